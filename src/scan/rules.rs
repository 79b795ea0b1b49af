// SPDX-License-Identifier: GPL-3.0-or-later
//! What the walk skips and how it groups: one tree of path components built
//! before the walk, so a directory far from every rule costs no look-up.
//!
//! The skip list is data (`data/scan/skip.toml`, with a reason for every
//! entry); the areas below say how the rest is grouped into candidates.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use serde::Deserialize;

use super::Area;
use crate::catalogue::{Catalogue, Location};

const SKIP_DATA: &str = include_str!("../../data/scan/skip.toml");

/// Where candidates start, as `(path, area, whole)`: with `whole` the path
/// itself is one candidate, otherwise every entry in it is one. `*` under
/// `/home` stands for any user; `~` for every home (`/home/*` and `/root`).
const AREAS: &[(&str, Area, bool)] = &[
    ("/", Area::Top, false),
    ("/var", Area::Var, false),
    ("/var/lib", Area::State, false),
    ("/var/db", Area::State, false),
    ("/var/cache", Area::Cache, false),
    ("/var/log", Area::Log, false),
    ("/var/spool", Area::Spool, false),
    ("/var/tmp", Area::Temporary, true),
    ("/etc", Area::Etc, false),
    ("/srv", Area::Served, false),
    ("/opt", Area::Opt, false),
    ("/usr/local", Area::Opt, false),
    ("~", Area::Home, false),
    ("~/.config", Area::UserConfig, false),
    ("~/.local", Area::UserData, false),
    ("~/.local/share", Area::UserData, false),
    ("~/.local/state", Area::UserData, false),
    ("~/.cache", Area::UserCache, true),
];

/// Homes: the wildcard under `/home` and root's.
const HOMES: &[&str] = &["/home/*", "/root"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipData {
    path: Vec<SkipPath>,
    link: Vec<SkipLink>,
    list: Vec<SkipList>,
    storage: Vec<SkipPath>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipPath {
    path: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipLink {
    target: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SkipList {
    path: String,
    under: String,
    reason: String,
}

impl SkipData {
    /// Every entry says why. Links are not listed one by one in the report
    /// (there are thousands in /etc), so for them the reason is for readers
    /// of the data.
    fn check(&self) -> Result<(), String> {
        let reasons = (self.path.iter().chain(&self.storage))
            .map(|entry| (&entry.path, &entry.reason))
            .chain(self.link.iter().map(|link| (&link.target, &link.reason)))
            .chain(self.list.iter().map(|list| (&list.path, &list.reason)));
        for (path, reason) in reasons {
            if reason.trim().is_empty() {
                return Err(format!("skip.toml: {path} has no reason"));
            }
        }
        Ok(())
    }
}

/// Why a path is not scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// An entry of the skip list, with its reason.
    Listed(String),
    /// Kept by the configuration.
    Kept,
    /// A storage root.
    Storage,
    /// A mount point.
    Mount,
    /// On another file system than the scanned root.
    OtherFileSystem,
}

/// What a node of the tree says about its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// Only a step towards deeper rules.
    Pass,
    /// Not scanned (index into [`Rules::skip_reasons`]).
    Skip(u32),
    /// A candidate owned by a catalogue entry (indices into the catalogue).
    Preset { preset: u32, path: u32 },
    /// One candidate of this area.
    Whole(Area),
    /// Each entry inside is a candidate of this area.
    Group(Area),
}

#[derive(Debug, Clone)]
struct Node {
    children: HashMap<Box<[u8]>, u32>,
    /// Any other name (a user under `/home`).
    any: Option<u32>,
    rule: Rule,
    /// The name leading here is a user's (`/home/<user>`, `/root`).
    home: bool,
}

impl Node {
    fn new() -> Node {
        Node {
            children: HashMap::new(),
            any: None,
            rule: Rule::Pass,
            home: false,
        }
    }
}

/// Inputs of the rules besides the built-in data.
pub(super) struct RuleInputs<'a> {
    pub catalogue: &'a Catalogue,
    pub kept: &'a [std::path::PathBuf],
    pub mounts: &'a [std::path::PathBuf],
    pub storage_roots: &'a [std::path::PathBuf],
    /// Reads a file of the scanned system (for the `[[list]]` entries).
    pub read: &'a dyn Fn(&str) -> Option<Vec<u8>>,
}

#[derive(Debug)]
pub(super) struct Rules {
    nodes: Vec<Node>,
    skip_reasons: Vec<SkipReason>,
    /// Symbolic link targets recreated at boot, and storage roots.
    link_prefixes: Vec<Vec<u8>>,
}

pub(super) const ROOT: u32 = 0;

impl Rules {
    /// Builds the rules; an error is a mistake in the built-in data.
    pub fn new(inputs: &RuleInputs<'_>) -> Result<Rules, String> {
        let data: SkipData = toml::from_str(SKIP_DATA).map_err(|error| error.to_string())?;
        data.check()?;
        let mut rules = Rules {
            nodes: vec![Node::new()],
            skip_reasons: Vec::new(),
            link_prefixes: Vec::new(),
        };
        for home in HOMES {
            let node = rules.insert(home.as_bytes(), true);
            rules.nodes[node as usize].home = true;
        }
        for (path, area, whole) in AREAS {
            let rule = if *whole {
                Rule::Whole(*area)
            } else {
                Rule::Group(*area)
            };
            for path in expand_home(path) {
                let node = rules.insert(&path, true);
                rules.set(node, rule);
            }
        }
        for (index, preset) in inputs.catalogue.presets.iter().enumerate() {
            for (path_index, path) in preset.paths.iter().enumerate() {
                let rule = Rule::Preset {
                    preset: u32::try_from(index).unwrap_or(u32::MAX),
                    path: u32::try_from(path_index).unwrap_or(u32::MAX),
                };
                let paths = match &path.location {
                    Location::System(path) => vec![path.as_bytes().to_vec()],
                    Location::Home(path) => expand_home(&format!("~/{path}")),
                };
                for path in paths {
                    let node = rules.insert(&path, true);
                    rules.set(node, rule);
                }
            }
        }
        for entry in &data.path {
            rules.skip(
                entry.path.as_bytes(),
                SkipReason::Listed(entry.reason.clone()),
            );
        }
        for entry in &data.storage {
            rules.skip(
                entry.path.as_bytes(),
                SkipReason::Listed(entry.reason.clone()),
            );
            rules.link_prefixes.push(dir_prefix(entry.path.as_bytes()));
        }
        for path in inputs.storage_roots {
            rules.skip(path.as_os_str().as_bytes(), SkipReason::Storage);
            rules
                .link_prefixes
                .push(dir_prefix(path.as_os_str().as_bytes()));
        }
        for path in inputs.kept {
            rules.skip(path.as_os_str().as_bytes(), SkipReason::Kept);
        }
        for path in inputs.mounts {
            if path != Path::new("/") {
                rules.skip(path.as_os_str().as_bytes(), SkipReason::Mount);
            }
        }
        for list in &data.list {
            let Some(text) = (inputs.read)(&list.path) else {
                continue;
            };
            for line in text
                .split(|byte| *byte == b'\n')
                .filter(|line| !line.is_empty())
            {
                let mut path = list.under.as_bytes().to_vec();
                path.push(b'/');
                path.extend_from_slice(line);
                rules.skip(&path, SkipReason::Listed(list.reason.clone()));
            }
        }
        rules
            .link_prefixes
            .extend(data.link.iter().map(|link| link.target.as_bytes().to_vec()));
        Ok(rules)
    }

    /// The node for `name` inside `node`, if any rule lies there or deeper.
    pub fn child(&self, node: u32, name: &[u8]) -> Option<u32> {
        let node = &self.nodes[node as usize];
        node.children.get(name).copied().or(node.any)
    }

    pub fn rule(&self, node: u32) -> Rule {
        self.nodes[node as usize].rule
    }

    /// Whether the name that leads to `node` is a user's.
    pub fn is_home(&self, node: u32) -> bool {
        self.nodes[node as usize].home
    }

    pub fn skip_reason(&self, index: u32) -> &SkipReason {
        &self.skip_reasons[index as usize]
    }

    /// Whether a link with this target is recreated at boot or points into
    /// storage (then the configuration keeps it).
    pub fn link_is_managed(&self, target: &[u8]) -> bool {
        self.link_prefixes
            .iter()
            .any(|prefix| target.starts_with(prefix) || prefix.strip_suffix(b"/") == Some(target))
    }

    fn skip(&mut self, path: &[u8], reason: SkipReason) {
        if path.iter().all(|byte| *byte == b'/') {
            return;
        }
        let index = u32::try_from(self.skip_reasons.len()).unwrap_or(u32::MAX);
        self.skip_reasons.push(reason);
        let node = self.insert(path, false);
        if !matches!(self.nodes[node as usize].rule, Rule::Skip(_)) {
            self.nodes[node as usize].rule = Rule::Skip(index);
        }
    }

    /// Sets a grouping rule: catalogue entries win over areas, skips over
    /// both.
    fn set(&mut self, node: u32, rule: Rule) {
        let current = &mut self.nodes[node as usize].rule;
        let replace = match (*current, rule) {
            (Rule::Skip(_), _) => false,
            (Rule::Preset { .. }, _) => false,
            (Rule::Pass, _) => true,
            (_, Rule::Preset { .. }) => true,
            _ => false,
        };
        if replace {
            *current = rule;
        }
    }

    /// The node of `path`, created if needed. With `wildcards`, `*` is the
    /// any-name edge; otherwise a name that so far only matched that edge
    /// gets its own copy of what lies behind it, so `/home/alice/.ssh` kept
    /// does not hide the rules of every other user's home.
    fn insert(&mut self, path: &[u8], wildcards: bool) -> u32 {
        let mut node = ROOT;
        for name in path
            .split(|byte| *byte == b'/')
            .filter(|name| !name.is_empty())
        {
            node = if wildcards && name == b"*" {
                match self.nodes[node as usize].any {
                    Some(any) => any,
                    None => {
                        let any = self.push(Node::new());
                        self.nodes[node as usize].any = Some(any);
                        any
                    }
                }
            } else if let Some(child) = self.nodes[node as usize].children.get(name) {
                *child
            } else {
                let copy = match self.nodes[node as usize].any {
                    Some(any) if !wildcards => self.copy(any),
                    _ => self.push(Node::new()),
                };
                self.nodes[node as usize].children.insert(name.into(), copy);
                copy
            };
        }
        node
    }

    fn copy(&mut self, node: u32) -> u32 {
        let original = self.nodes[node as usize].clone();
        let mut copy = original.clone();
        for (name, child) in &original.children {
            let child = self.copy(*child);
            copy.children.insert(name.clone(), child);
        }
        copy.any = original.any.map(|any| self.copy(any));
        self.push(copy)
    }

    fn push(&mut self, node: Node) -> u32 {
        self.nodes.push(node);
        u32::try_from(self.nodes.len() - 1).unwrap_or(u32::MAX)
    }
}

/// `~/x` as `/home/*/x` and `/root/x`; other paths unchanged.
fn expand_home(path: &str) -> Vec<Vec<u8>> {
    match path.strip_prefix('~') {
        Some(rest) => HOMES
            .iter()
            .map(|home| format!("{home}{rest}").into_bytes())
            .collect(),
        None => vec![path.as_bytes().to_vec()],
    }
}

fn dir_prefix(path: &[u8]) -> Vec<u8> {
    let mut prefix = path.to_vec();
    if !prefix.ends_with(b"/") {
        prefix.push(b'/');
    }
    prefix
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn rules(kept: &[&str]) -> Rules {
        let catalogue = Catalogue::builtin().unwrap();
        let kept: Vec<PathBuf> = kept.iter().map(PathBuf::from).collect();
        let read = |path: &str| (path == "/etc/.clean").then(|| b"sudoers\nNIXOS\n".to_vec());
        Rules::new(&RuleInputs {
            catalogue: &catalogue,
            kept: &kept,
            mounts: &[PathBuf::from("/"), PathBuf::from("/home/bob")],
            storage_roots: &[PathBuf::from("/data/keep")],
            read: &read,
        })
        .unwrap()
    }

    fn lookup(rules: &Rules, path: &str) -> Option<u32> {
        path.split('/')
            .filter(|name| !name.is_empty())
            .try_fold(ROOT, |node, name| rules.child(node, name.as_bytes()))
    }

    #[test]
    fn skip_list_parses_and_skips() {
        let rules = rules(&[]);
        for path in [
            "/nix",
            "/proc",
            "/etc/static",
            "/etc/passwd",
            "/etc/sudoers",
            "/persist",
        ] {
            let node = lookup(&rules, path).unwrap();
            assert!(matches!(rules.rule(node), Rule::Skip(_)), "{path}");
        }
        assert!(lookup(&rules, "/usr/bin").is_none());
    }

    #[test]
    fn a_kept_path_in_one_home_keeps_the_rules_of_homes() {
        let rules = rules(&["/home/alice/.ssh", "/var/lib/docker"]);
        let alice_ssh = lookup(&rules, "/home/alice/.ssh").unwrap();
        assert!(matches!(rules.rule(alice_ssh), Rule::Skip(_)));
        let carol_ssh = lookup(&rules, "/home/carol/.ssh").unwrap();
        assert!(matches!(rules.rule(carol_ssh), Rule::Preset { .. }));
        let alice_config = lookup(&rules, "/home/alice/.config").unwrap();
        assert_eq!(rules.rule(alice_config), Rule::Group(Area::UserConfig));
        assert!(rules.is_home(lookup(&rules, "/home/alice").unwrap()));
        assert!(matches!(
            rules.rule(lookup(&rules, "/home/bob").unwrap()),
            Rule::Skip(_)
        ));
        let docker = lookup(&rules, "/var/lib/docker").unwrap();
        assert!(matches!(rules.rule(docker), Rule::Skip(_)));
    }

    #[test]
    fn managed_links_are_recognised() {
        let rules = rules(&[]);
        assert!(rules.link_is_managed(b"/etc/static/hosts"));
        assert!(rules.link_is_managed(b"/run"));
        assert!(rules.link_is_managed(b"/nix/store/abc-bash/bin/sh"));
        assert!(rules.link_is_managed(b"/data/keep/etc/machine-id"));
        assert!(!rules.link_is_managed(b"/etc/statically"));
        assert!(!rules.link_is_managed(b"../lib/foo"));
    }
}
