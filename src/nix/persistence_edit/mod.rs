// SPDX-License-Identifier: GPL-3.0-or-later
//! A lossless reader and editor of `environment.persistence` in a person's
//! own configuration files.
//!
//! The file is never regenerated: reading walks rnix's syntax tree, and an
//! edit replaces only the bytes of the entry it adds or removes, so an
//! unchanged file stays byte-identical and a one-entry change is a one-entry
//! diff. Values that are not literals are reported as [`Computed`] and never
//! rewritten.

mod create;
mod locate;
mod model;
mod reader;
mod save;
mod splice;
mod syntax;
mod validate;

use gettextrs::gettext;
use rnix::ast::{self, HasEntry};

pub use self::create::{
    CreateError, NEW_MODULE_NAME, NewModule, new_module_text, plan_new_module,
    plan_new_module_for_system,
};
pub use self::locate::{
    LocateError, absolute_literals, configuration_files, configured_users, find_persistence_file,
    hashed_password_file, literal_setting,
};
pub use self::model::{
    Computed, ComputedReason, Entry, EntryKind, EntryLists, Persistence, Storage, UserEntries,
};
use self::reader::{Host, Layout, ListSite};
pub use self::save::{backup_path, write_atomically};
use self::splice::Splice;
use self::syntax::{LineIndex, attr_text, attrpath_names, quote};
pub use self::validate::{Rejection, kept_entry};
use crate::i18n::{gettext_f, isolate};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The file is not valid Nix.
    #[error("{}", self.message())]
    Parse {
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("{}", self.message())]
    AlreadyPresent { path: String, storage: String },
    #[error("{}", self.message())]
    NotFound { path: String },
    /// The list an entry would join is computed, so it cannot be edited.
    #[error("{}", self.message())]
    TargetComputed {
        place: String,
        reason: ComputedReason,
    },
    /// The file keeps nothing yet, so the storage root must be named.
    #[error("{}", self.message())]
    NoStorage,
    #[error("{}", self.message())]
    AmbiguousStorage { storages: Vec<String> },
    /// No literal attribute set can take the new list.
    #[error("{}", self.message())]
    NowhereToAdd { place: String },
    #[error("{}", self.message())]
    Rejected(Rejection),
    /// A safety net: the edited text does not parse, so it is not offered.
    #[error("{}", self.message())]
    WouldBreakFile { line: usize, column: usize },
}

impl EditError {
    /// The translated sentence for people.
    pub fn message(&self) -> String {
        match self {
            EditError::Parse {
                line,
                column,
                detail,
            } => gettext_f(
                "The file is not valid Nix at line {line}, column {column} ({detail}).",
                &[
                    ("line", &line.to_string()),
                    ("column", &column.to_string()),
                    ("detail", detail),
                ],
            ),
            EditError::AlreadyPresent { path, storage } => gettext_f(
                "“{path}” is already kept in {storage}.",
                &[("path", &isolate(path)), ("storage", &isolate(storage))],
            ),
            EditError::NotFound { path } => gettext_f(
                "“{path}” is not among the entries written as literals, so there is nothing to remove.",
                &[("path", &isolate(path))],
            ),
            // Translators: {place} is a Nix attribute path such as environment.persistence."/persist".directories; {reason} is one of the “it …” texts.
            EditError::TargetComputed { place, reason } => gettext_f(
                "{place} cannot be edited because {reason}.",
                &[("place", &isolate(place)), ("reason", &reason.message())],
            ),
            EditError::NoStorage => {
                gettext("The file does not define a storage root yet. Name one with --storage.")
            }
            EditError::AmbiguousStorage { storages } => gettext_f(
                "The file has several storage roots ({storages}). Choose one with --storage.",
                &[(
                    "storages",
                    &storages
                        .iter()
                        .map(|storage| isolate(storage))
                        .collect::<Vec<_>>()
                        .join(", "),
                )],
            ),
            EditError::NowhereToAdd { place } => gettext_f(
                "There is no attribute set written as a literal where {place} could be added.",
                &[("place", &isolate(place))],
            ),
            EditError::Rejected(rejection) => rejection.message(),
            EditError::WouldBreakFile { line, column } => gettext_f(
                "Keepsake's change would leave the file invalid at line {line}, column {column}, so nothing was changed. Please report this.",
                &[("line", &line.to_string()), ("column", &column.to_string())],
            ),
        }
    }
}

/// Which entry an edit is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: EntryKind,
    /// Absolute, or relative to the home directory for a user's entry.
    pub path: String,
    /// A user's home entry instead of a system one.
    pub user: Option<String>,
    /// The storage root; may be left out when the file leaves no choice.
    pub storage: Option<String>,
}

/// An entry to add: owner and mode go to the directory itself, or to a
/// file's parent directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub target: Target,
    pub owner: Option<String>,
    pub group: Option<String>,
    pub mode: Option<String>,
}

impl NewEntry {
    /// The Nix text of the entry: a string, or an attribute set when it has
    /// an owner or a mode.
    fn nix_text(&self) -> String {
        let path = quote(&self.target.path);
        let attributes: Vec<String> = [
            ("user", &self.owner),
            ("group", &self.group),
            ("mode", &self.mode),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some(format!("{key} = {};", quote(value.as_ref()?))))
        .collect();
        if attributes.is_empty() {
            return path;
        }
        match self.target.kind {
            EntryKind::Directory => format!("{{ directory = {path}; {} }}", attributes.join(" ")),
            EntryKind::File => format!(
                "{{ file = {path}; parentDirectory = {{ {} }}; }}",
                attributes.join(" ")
            ),
        }
    }
}

/// How an edit changed the file, for the person to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Appended to an existing literal list.
    AddedToList {
        place: String,
        line: usize,
    },
    /// The list did not exist: a new binding was written.
    AddedBinding {
        place: String,
        line: usize,
    },
    Removed {
        place: String,
        line: usize,
    },
}

impl Change {
    pub fn describe(&self) -> String {
        match self {
            // Translators: {place} is a Nix attribute path such as environment.persistence."/persist".directories.
            Change::AddedToList { place, line } => gettext_f(
                "Added to the list {place} at line {line}.",
                &[("place", &isolate(place)), ("line", &line.to_string())],
            ),
            // Translators: {place} is a Nix attribute path such as environment.persistence."/persist".directories.
            Change::AddedBinding { place, line } => gettext_f(
                "Added {place} as a new binding at line {line}.",
                &[("place", &isolate(place)), ("line", &line.to_string())],
            ),
            // Translators: {place} is a Nix attribute path such as environment.persistence."/persist".directories.
            Change::Removed { place, line } => gettext_f(
                "Removed from {place} at line {line}.",
                &[("place", &isolate(place)), ("line", &line.to_string())],
            ),
        }
    }
}

/// The file after an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub text: String,
    pub change: Change,
}

/// A parsed configuration file and what it persists.
pub struct PersistenceDocument {
    text: String,
    layout: Layout,
}

impl PersistenceDocument {
    pub fn parse(text: &str) -> Result<Self, EditError> {
        let parse = ast::Root::parse(text);
        let lines = LineIndex::new(text);
        if let Some(error) = parse.errors().first() {
            let offset = parse_error_offset(error).unwrap_or(text.len());
            let (line, column) = lines.line_column(text, offset);
            return Err(EditError::Parse {
                line,
                column,
                detail: error.to_string(),
            });
        }
        let layout = reader::read(&parse.tree(), &lines);
        Ok(Self {
            text: text.to_owned(),
            layout,
        })
    }

    /// The text as read: saving it unchanged writes the same bytes.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn persistence(&self) -> &Persistence {
        &self.layout.persistence
    }

    /// Adds `entry` to the least guarded literal list it belongs in (next
    /// to computed parts such as `[ … ] ++ extra`), or writes that list when
    /// the file has none and nothing computed stands in its place.
    pub fn add(&self, entry: &NewEntry) -> Result<Edit, EditError> {
        let target = &entry.target;
        let storage = self.storage_for_add(target.storage.as_deref())?;
        validate::new_entry(entry, &storage, self.persistence())?;
        // Kept in another storage root, or as the other kind, the path is
        // kept all the same, and impermanence refuses duplicates.
        let duplicate = [EntryKind::Directory, EntryKind::File]
            .into_iter()
            .find_map(|kind| {
                let same_path = Target {
                    kind,
                    ..target.clone()
                };
                self.find(&same_path, None)
                    .map(|(storage, _)| storage.to_owned())
            });
        if let Some(storage) = duplicate {
            return Err(EditError::AlreadyPresent {
                path: target.path.clone(),
                storage,
            });
        }
        let path = target_path(&storage, target.user.as_deref(), target.kind);
        let item = entry.nix_text();
        let site = self
            .layout
            .sites
            .iter()
            .filter(|site| {
                site.root == storage
                    && site.user.as_deref() == target.user.as_deref()
                    && site.kind == target.kind
            })
            .min_by_key(|site| site.conditions);
        let (splice, change) = match site {
            Some(site) => self.add_to_site(site, &item),
            // A new binding next to a computed value would repeat or shadow it.
            None => match self.computed_over(&path) {
                Some(blocked) => return Err(blocked),
                None => self.add_binding(&path, &item),
            },
        }
        .ok_or_else(|| EditError::NowhereToAdd {
            place: reader::place(&path),
        })?;
        self.finish(&splice, change)
    }

    /// Removes a literal entry.
    pub fn remove(&self, target: &Target) -> Result<Edit, EditError> {
        let unknown_storage = target
            .storage
            .as_deref()
            .is_some_and(|root| self.persistence().storage(root).is_none());
        if unknown_storage {
            return Err(EditError::NotFound {
                path: target.path.clone(),
            });
        }
        // Kept in several roots and none named: taking it from the first
        // would be a guess about which copy the person meant.
        if target.storage.is_none() {
            let holding: Vec<String> = self
                .persistence()
                .storages
                .iter()
                .filter(|storage| self.find(target, Some(&storage.root)).is_some())
                .map(|storage| storage.root.clone())
                .collect();
            if holding.len() > 1 {
                return Err(EditError::AmbiguousStorage { storages: holding });
            }
        }
        let (storage, entry) = self
            .find(target, target.storage.as_deref())
            .ok_or_else(|| EditError::NotFound {
                path: target.path.clone(),
            })?;
        let path = target_path(storage, target.user.as_deref(), target.kind);
        let splice = splice::remove(&self.text, entry.range.clone());
        let change = Change::Removed {
            place: reader::place(&path),
            line: entry.line,
        };
        self.finish(&splice, change)
    }

    fn finish(&self, splice: &Splice, change: Change) -> Result<Edit, EditError> {
        let text = splice.apply(&self.text);
        match PersistenceDocument::parse(&text) {
            Ok(_) => Ok(Edit { text, change }),
            Err(EditError::Parse { line, column, .. }) => {
                Err(EditError::WouldBreakFile { line, column })
            }
            Err(other) => Err(other),
        }
    }

    fn storage_for_add(&self, named: Option<&str>) -> Result<String, EditError> {
        if let Some(named) = named {
            return Ok(named.to_owned());
        }
        match self.persistence().storages.as_slice() {
            [] => Err(EditError::NoStorage),
            [only] => Ok(only.root.clone()),
            several => Err(EditError::AmbiguousStorage {
                storages: several.iter().map(|s| s.root.clone()).collect(),
            }),
        }
    }

    /// The entry `target` names, in `storage` or in any storage root.
    fn find(&self, target: &Target, storage: Option<&str>) -> Option<(&str, &Entry)> {
        self.persistence()
            .storages
            .iter()
            .filter(|s| storage.is_none_or(|root| s.root == root))
            .find_map(|s| {
                let entry = s
                    .lists(target.user.as_deref())?
                    .of_kind(target.kind)
                    .iter()
                    .find(|entry| entry.path == target.path)?;
                Some((s.root.as_str(), entry))
            })
    }

    /// An error when a computed value covers `path`, so that writing there
    /// would repeat or shadow it.
    fn computed_over(&self, path: &[String]) -> Option<EditError> {
        let covering = self
            .layout
            .computed_paths
            .iter()
            .find(|computed| path.starts_with(computed))?;
        let place = reader::place(covering);
        let reason = self
            .persistence()
            .computed
            .iter()
            .find(|c| c.place == place)
            .map(|c| c.reason.clone())?;
        Some(EditError::TargetComputed { place, reason })
    }

    fn add_to_site(&self, site: &ListSite, item: &str) -> Option<(Splice, Change)> {
        let splice = splice::append_to_list(&self.text, &site.list, item)?;
        let line = LineIndex::new(&splice.apply(&self.text)).line(splice_item_offset(&splice));
        let change = Change::AddedToList {
            place: site.place.clone(),
            line,
        };
        Some((splice, change))
    }

    /// Writes `path = [ item ];` into the deepest literal set it fits in.
    fn add_binding(&self, path: &[String], item: &str) -> Option<(Splice, Change)> {
        let host: &Host = self
            .layout
            .hosts
            .iter()
            .filter(|host| host.base.len() < path.len() && path.starts_with(&host.base))
            .filter(|host| {
                // `config = mkIf …;` next to a new `config.….` binding would
                // define `config` twice.
                let first = match host.key_prefix {
                    "" => path[host.base.len()].as_str(),
                    _ => "config",
                };
                !binds_as_a_whole(&host.set, first)
            })
            .max_by_key(|host| (host.base.len(), std::cmp::Reverse(host.conditions)))?;
        let names: Vec<String> = path[host.base.len()..]
            .iter()
            .map(|name| attr_text(name))
            .collect();
        let binding = format!("{}{} = [ {item} ];", host.key_prefix, names.join("."));
        let splice = splice::append_to_set(&self.text, &host.set, &binding)?;
        let line = LineIndex::new(&splice.apply(&self.text)).line(splice_item_offset(&splice));
        Some((
            splice,
            Change::AddedBinding {
                place: reader::place(path),
                line,
            },
        ))
    }
}

/// Whether `set` has a binding of `name` itself (not only of `name.…`).
fn binds_as_a_whole(set: &ast::AttrSet, name: &str) -> bool {
    set.attrpath_values().any(|binding| {
        binding
            .attrpath()
            .and_then(|path| attrpath_names(&path))
            .is_some_and(|names| names == [name])
    })
}

/// Where the inserted text's first visible character lands.
fn splice_item_offset(splice: &Splice) -> usize {
    let skipped = splice.text.len() - splice.text.trim_start().len();
    splice.range.start + skipped
}

/// `environment.persistence.<root>[.users.<user>].<directories|files>`.
fn target_path(storage: &str, user: Option<&str>, kind: EntryKind) -> Vec<String> {
    let mut path: Vec<String> = vec!["environment".into(), "persistence".into(), storage.into()];
    if let Some(user) = user {
        path.extend(["users".into(), user.into()]);
    }
    path.push(kind.list_name().into());
    path
}

fn parse_error_offset(error: &rnix::ParseError) -> Option<usize> {
    use rnix::ParseError::*;
    match error {
        Unexpected(range)
        | UnexpectedExtra(range)
        | UnexpectedWanted(_, range, _)
        | UnexpectedDoubleBind(range)
        | DuplicatedArgs(range, _) => Some(range.start().into()),
        _ => None,
    }
}
