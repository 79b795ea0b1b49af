// SPDX-License-Identifier: GPL-3.0-or-later
//! Finding the file that defines `environment.persistence`: from
//! `/etc/nixos/configuration.nix` through `imports`, or from the modules of
//! `nixosConfigurations` in `/etc/nixos/flake.nix`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::syntax::{self, Unwrapped, attrpath_names};
use super::{EditError, PersistenceDocument};
use crate::i18n::{gettext_f, isolate};

#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// No file reachable from the entry points defines it.
    #[error("{}", self.message())]
    NotFound { searched: Vec<PathBuf> },
    #[error("{}", self.message())]
    Parse { file: PathBuf, error: EditError },
}

impl LocateError {
    pub fn message(&self) -> String {
        match self {
            LocateError::NotFound { searched } => gettext_f(
                "No file defines environment.persistence. Searched: {files}. Name the file with --config.",
                &[(
                    "files",
                    &searched
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                )],
            ),
            LocateError::Parse { file, error } => {
                format!(
                    "{}: {}",
                    isolate(&file.display().to_string()),
                    error.message()
                )
            }
        }
    }
}

/// The first file, depth first in import order, that defines
/// `environment.persistence`, on the system whose `/` is `root`.
pub fn find_persistence_file(root: &Path) -> Result<PathBuf, LocateError> {
    let nixos = root.join("etc/nixos");
    let mut search = Search {
        root: root.to_owned(),
        host: host_name(root),
        visited: BTreeSet::new(),
        searched: Vec::new(),
    };
    for entry in [nixos.join("configuration.nix"), nixos.join("flake.nix")] {
        if let Some(found) = search.visit(&entry)? {
            return Ok(found);
        }
    }
    Err(LocateError::NotFound {
        searched: search.searched,
    })
}

struct Search {
    root: PathBuf,
    /// The host whose `nixosConfigurations` entry a flake's modules are
    /// taken from.
    host: Option<String>,
    visited: BTreeSet<PathBuf>,
    searched: Vec<PathBuf>,
}

impl Search {
    fn visit(&mut self, file: &Path) -> Result<Option<PathBuf>, LocateError> {
        let file = if file.is_dir() {
            file.join("default.nix")
        } else {
            file.to_owned()
        };
        if !self.visited.insert(file.clone()) {
            return Ok(None);
        }
        // Imports from the Nix store or a missing file are not the person's.
        let Ok(text) = std::fs::read_to_string(&file) else {
            return Ok(None);
        };
        self.searched.push(file.clone());
        let document = PersistenceDocument::parse(&text).map_err(|error| LocateError::Parse {
            file: file.clone(),
            error,
        })?;
        let persistence = document.persistence();
        if !persistence.storages.is_empty() || persistence.is_computed() {
            return Ok(Some(file));
        }
        let directory = file.parent().unwrap_or(Path::new("/")).to_owned();
        let tree = ast::Root::parse(&text).tree();
        for imported in module_paths(tree.syntax(), self.host.as_deref()) {
            let next = match imported {
                ImportedPath::Relative(relative) => directory.join(relative),
                ImportedPath::Absolute(absolute) => {
                    self.root.join(absolute.trim_start_matches('/'))
                }
            };
            if let Some(found) = self.visit(&next)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

enum ImportedPath {
    Relative(String),
    Absolute(String),
}

/// The plain paths listed in `imports` (a module) or `modules` (a flake's
/// `nixosSystem` call), in source order. In a flake with several hosts,
/// only the modules of `host`'s `nixosConfigurations` entry count, so that
/// another machine's file is never edited; when no entry names `host`, all
/// of them do.
fn module_paths(tree: &SyntaxNode, host: Option<&str>) -> Vec<ImportedPath> {
    let bindings: Vec<(ast::AttrpathValue, Configuration)> = tree
        .descendants()
        .filter_map(ast::AttrpathValue::cast)
        .filter(|binding| {
            let names = binding.attrpath().and_then(|p| attrpath_names(&p));
            matches!(names.as_deref(), Some([name]) if name == "imports" || name == "modules")
        })
        .map(|binding| {
            let configuration = configuration_of(&binding);
            (binding, configuration)
        })
        .collect();
    let host_is_named = host.is_some_and(|host| {
        bindings
            .iter()
            .any(|(_, configuration)| *configuration == Configuration::Host(host.to_owned()))
    });
    bindings
        .into_iter()
        .filter(|(_, configuration)| {
            !host_is_named
                || match configuration {
                    Configuration::None => true,
                    Configuration::Host(name) => Some(name.as_str()) == host,
                    Configuration::Unknown => false,
                }
        })
        .filter_map(|(binding, _)| match syntax::unwrap(binding.value()?) {
            Unwrapped::Value {
                expr: ast::Expr::List(list),
                ..
            } => Some(list),
            _ => None,
        })
        .flat_map(|list| list.items().collect::<Vec<_>>())
        .filter_map(|item| plain_path(&item))
        .collect()
}

/// Which `nixosConfigurations` entry a binding is inside.
#[derive(Debug, PartialEq, Eq)]
enum Configuration {
    /// None: an ordinary module's `imports`.
    None,
    Host(String),
    /// One whose name is not a literal.
    Unknown,
}

fn configuration_of(binding: &ast::AttrpathValue) -> Configuration {
    let mut names = Vec::new();
    for outer in binding
        .syntax()
        .ancestors()
        .filter_map(ast::AttrpathValue::cast)
    {
        // A name that is not a literal stands as an empty one.
        let mut outer_names = outer
            .attrpath()
            .and_then(|p| attrpath_names(&p))
            .unwrap_or_else(|| vec![String::new()]);
        outer_names.append(&mut names);
        names = outer_names;
    }
    match names.iter().position(|name| name == "nixosConfigurations") {
        None if names.iter().any(String::is_empty) => Configuration::Unknown,
        None => Configuration::None,
        Some(at) => match names.get(at + 1) {
            Some(host) if !host.is_empty() && at + 2 < names.len() => {
                Configuration::Host(host.clone())
            }
            _ => Configuration::Unknown,
        },
    }
}

/// The host name of the system whose `/` is `root`: its `/etc/hostname`,
/// or the kernel's for the running system.
fn host_name(root: &Path) -> Option<String> {
    let from_file = std::fs::read_to_string(root.join("etc/hostname")).ok();
    let from_kernel = || {
        (root == Path::new("/"))
            .then(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .flatten()
    };
    from_file
        .or_else(from_kernel)
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

fn plain_path(item: &ast::Expr) -> Option<ImportedPath> {
    let node = item.syntax();
    // `./${name}.nix` has an interpolation node inside.
    if node.children().next().is_some() {
        return None;
    }
    let text = node.text().to_string();
    match node.kind() {
        SyntaxKind::NODE_PATH_REL => Some(ImportedPath::Relative(text)),
        SyntaxKind::NODE_PATH_ABS => Some(ImportedPath::Absolute(text)),
        SyntaxKind::NODE_STRING => match syntax::literal_str(&ast::Str::cast(node.clone())?) {
            Ok(path) if path.starts_with('/') => Some(ImportedPath::Absolute(path)),
            _ => None,
        },
        _ => None,
    }
}

/// Every file reachable through `imports` (and a flake's `modules`) from
/// `/etc/nixos/configuration.nix` and `/etc/nixos/flake.nix` of the system
/// whose `/` is `root`, in the order they are found; files that cannot be
/// read are left out.
pub fn configuration_files(root: &Path) -> Vec<PathBuf> {
    let nixos = root.join("etc/nixos");
    let mut pending = vec![nixos.join("flake.nix"), nixos.join("configuration.nix")];
    let host = host_name(root);
    let mut visited = BTreeSet::new();
    let mut files = Vec::new();
    while let Some(file) = pending.pop() {
        let file = if file.is_dir() {
            file.join("default.nix")
        } else {
            file
        };
        // `modules/../a.nix` is `a.nix`.
        let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
        if !visited.insert(canonical) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let directory = file.parent().unwrap_or(Path::new("/")).to_owned();
        let tree = ast::Root::parse(&text).tree();
        let imported: Vec<PathBuf> = module_paths(tree.syntax(), host.as_deref())
            .into_iter()
            .map(|imported| match imported {
                ImportedPath::Relative(relative) => directory.join(relative),
                ImportedPath::Absolute(absolute) => root.join(absolute.trim_start_matches('/')),
            })
            .collect();
        // A stack: the first import is visited next.
        pending.extend(imported.into_iter().rev());
        files.push(file);
    }
    files
}

/// Every absolute path written as a literal in `text`: plain strings
/// starting with `/` and path literals such as `/persist/keys`.
pub fn absolute_literals(text: &str) -> Vec<String> {
    let tree = ast::Root::parse(text).tree();
    tree.syntax()
        .descendants()
        .filter_map(|node| match node.kind() {
            SyntaxKind::NODE_STRING => syntax::literal_str(&ast::Str::cast(node)?).ok(),
            SyntaxKind::NODE_PATH_ABS if node.children().next().is_none() => {
                Some(node.text().to_string())
            }
            _ => None,
        })
        .filter(|path| path.starts_with('/'))
        .collect()
}

/// The value of the setting `names` (such as `["users", "mutableUsers"]`)
/// when `text` writes it as a literal, in any of the usual forms
/// (`users.users.alice.hashedPasswordFile = …;`, nested
/// `users = { users.alice = { … }; };`, under `config = …` or
/// `lib.mkIf`). Path literals are returned as strings.
pub fn literal_setting(text: &str, names: &[&str]) -> Option<serde_json::Value> {
    let tree = ast::Root::parse(text).tree();
    tree.syntax()
        .descendants()
        .filter_map(ast::AttrpathValue::cast)
        .find_map(|binding| {
            if full_names(&binding)? != names {
                return None;
            }
            match binding.value()? {
                ast::Expr::PathAbs(path) if path.syntax().children().next().is_none() => {
                    Some(serde_json::Value::String(path.syntax().text().to_string()))
                }
                value => syntax::literal_json(&value).ok(),
            }
        })
}

/// The whole name a binding sets, with the names of the bindings around it
/// and without a leading `config`: `["users", "users", "alice"]` for
/// `alice = { … };` inside `users.users = { … };`. `None` when a name is
/// not a literal.
fn full_names(binding: &ast::AttrpathValue) -> Option<Vec<String>> {
    let mut full = binding.attrpath().and_then(|p| attrpath_names(&p))?;
    for outer in binding
        .syntax()
        .ancestors()
        .skip(1)
        .filter_map(ast::AttrpathValue::cast)
    {
        let mut outer_names = outer.attrpath().and_then(|p| attrpath_names(&p))?;
        outer_names.append(&mut full);
        full = outer_names;
    }
    let leading = full.iter().take_while(|name| *name == "config").count();
    full.drain(..leading);
    Some(full)
}

/// The accounts `text` declares (`users.users.<name>` set in any of the
/// forms [`literal_setting`] reads), in source order, each once. Names
/// that are not literals are left out.
pub fn configured_users(text: &str) -> Vec<String> {
    let tree = ast::Root::parse(text).tree();
    let mut users: Vec<String> = Vec::new();
    for binding in tree
        .syntax()
        .descendants()
        .filter_map(ast::AttrpathValue::cast)
    {
        let Some(names) = full_names(&binding) else {
            continue;
        };
        if let [first, second, user, ..] = names.as_slice() {
            if first == "users" && second == "users" && !users.contains(user) {
                users.push(user.clone());
            }
        }
    }
    users
}

/// The `hashedPasswordFile` of `user` when `text` writes it as a literal.
pub fn hashed_password_file(text: &str, user: &str) -> Option<String> {
    literal_setting(text, &["users", "users", user, "hashedPasswordFile"])
        .and_then(|value| value.as_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_files_are_found_in_every_usual_form() {
        let forms = [
            r#"{ users.users.alice.hashedPasswordFile = "/persist/passwords/alice"; }"#,
            r#"{ users = { mutableUsers = false; users.alice = { hashedPasswordFile = "/persist/passwords/alice"; }; }; }"#,
            r#"{ lib, ... }: { config = lib.mkIf true { users.users.alice.hashedPasswordFile = /persist/passwords/alice; }; }"#,
        ];
        for text in forms {
            assert_eq!(
                hashed_password_file(text, "alice").as_deref(),
                Some("/persist/passwords/alice"),
                "{text}"
            );
            assert_eq!(hashed_password_file(text, "bob"), None);
        }
        let computed = r#"{ config, ... }: { users.users.alice.hashedPasswordFile = config.sops.secrets.alice.path; }"#;
        assert_eq!(hashed_password_file(computed, "alice"), None);
        assert_eq!(
            literal_setting(forms[1], &["users", "mutableUsers"]),
            Some(serde_json::Value::Bool(false))
        );
    }

    #[test]
    fn configured_users_are_found_in_every_usual_form() {
        let text = r#"{ lib, ... }: {
          users.users.root.hashedPassword = "!";
          users = { users.alice = { isNormalUser = true; }; };
          users.users = { bob.hashedPasswordFile = "/persist/passwords/bob"; alice.uid = 1000; };
          config = lib.mkIf true { users.users.carol = { }; };
          users.users.${name}.isNormalUser = true;
          users.groups.wheel = { };
          users.mutableUsers = false;
        }"#;
        assert_eq!(configured_users(text), ["root", "alice", "bob", "carol"]);
        assert_eq!(configured_users("{ }"), Vec::<String>::new());
    }

    #[test]
    fn absolute_literals_are_strings_and_paths() {
        let text = r#"{ a = "/persist/keys"; b = /etc/x; c = "rel"; d = "${x}/y"; }"#;
        assert_eq!(absolute_literals(text), ["/persist/keys", "/etc/x"]);
    }

    #[test]
    fn a_flake_with_several_hosts_is_read_for_this_host_only() {
        let dir = tempfile::tempdir().unwrap();
        let nixos = dir.path().join("etc/nixos");
        std::fs::create_dir_all(&nixos).unwrap();
        std::fs::write(
            nixos.join("flake.nix"),
            r#"{
  outputs = { nixpkgs, ... }: {
    nixosConfigurations.desktop = nixpkgs.lib.nixosSystem { modules = [ ./desktop.nix ]; };
    nixosConfigurations = {
      laptop = nixpkgs.lib.nixosSystem { modules = [ ./laptop.nix ]; };
    };
  };
}"#,
        )
        .unwrap();
        for host in ["desktop", "laptop"] {
            std::fs::write(
                nixos.join(format!("{host}.nix")),
                format!(r#"{{ environment.persistence."/persist-{host}".directories = [ "/var/log" ]; }}"#),
            )
            .unwrap();
        }
        let hostname = dir.path().join("etc/hostname");
        std::fs::write(&hostname, "laptop\n").unwrap();
        assert_eq!(
            find_persistence_file(dir.path()).unwrap(),
            nixos.join("laptop.nix")
        );
        assert_eq!(
            configuration_files(dir.path()),
            [nixos.join("flake.nix"), nixos.join("laptop.nix")]
        );
        std::fs::write(&hostname, "desktop\n").unwrap();
        assert_eq!(
            find_persistence_file(dir.path()).unwrap(),
            nixos.join("desktop.nix")
        );
        // A host the flake does not name: every host's modules are read.
        std::fs::write(&hostname, "server\n").unwrap();
        assert_eq!(configuration_files(dir.path()).len(), 3);
    }

    #[test]
    fn every_imported_file_is_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let nixos = dir.path().join("etc/nixos");
        std::fs::create_dir_all(nixos.join("modules")).unwrap();
        std::fs::write(
            nixos.join("configuration.nix"),
            "{ imports = [ ./a.nix ./modules ./a.nix ]; }",
        )
        .unwrap();
        std::fs::write(nixos.join("a.nix"), "{ }").unwrap();
        std::fs::write(
            nixos.join("modules/default.nix"),
            "{ imports = [ ../a.nix ]; }",
        )
        .unwrap();
        let files = configuration_files(dir.path());
        assert_eq!(
            files,
            [
                nixos.join("configuration.nix"),
                nixos.join("a.nix"),
                nixos.join("modules/default.nix"),
            ]
        );
    }
}
