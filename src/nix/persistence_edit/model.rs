// SPDX-License-Identifier: GPL-3.0-or-later
//! What a configuration file persists, as read from its syntax tree.

use std::ops::Range;
use std::path::{Path, PathBuf};

use gettextrs::gettext;
use serde_json::{Map, Value, json};

use crate::i18n::gettext_f;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Directory,
    File,
}

impl EntryKind {
    /// The impermanence option that lists entries of this kind.
    pub fn list_name(self) -> &'static str {
        match self {
            EntryKind::Directory => "directories",
            EntryKind::File => "files",
        }
    }

    /// The key naming the path in an attribute-set entry.
    pub fn path_key(self) -> &'static str {
        match self {
            EntryKind::Directory => "directory",
            EntryKind::File => "file",
        }
    }
}

/// One kept directory or file written as a literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub kind: EntryKind,
    pub path: String,
    /// The other keys of an attribute-set entry (`user`, `mode`,
    /// `parentDirectory`, `method` …) in source order, as JSON.
    pub attributes: Vec<(String, Value)>,
    /// The bytes of the entry in the file.
    pub range: Range<usize>,
    /// 1-based.
    pub line: usize,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert(self.kind.path_key().to_owned(), json!(self.path));
        if self.kind == EntryKind::Directory {
            for key in ["user", "group", "mode"] {
                object.insert(key.to_owned(), Value::Null);
            }
        }
        for (key, value) in &self.attributes {
            object.insert(key.clone(), value.clone());
        }
        Value::Object(object)
    }
}

/// The entries of one list pair: a storage root's own or a user's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryLists {
    pub directories: Vec<Entry>,
    pub files: Vec<Entry>,
}

impl EntryLists {
    pub fn of_kind(&self, kind: EntryKind) -> &[Entry] {
        match kind {
            EntryKind::Directory => &self.directories,
            EntryKind::File => &self.files,
        }
    }

    pub(super) fn of_kind_mut(&mut self, kind: EntryKind) -> &mut Vec<Entry> {
        match kind {
            EntryKind::Directory => &mut self.directories,
            EntryKind::File => &mut self.files,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.directories.iter().chain(&self.files)
    }

    fn json_fields(&self, object: &mut Map<String, Value>) {
        let list = |entries: &[Entry]| Value::Array(entries.iter().map(Entry::to_json).collect());
        object.insert("directories".to_owned(), list(&self.directories));
        object.insert("files".to_owned(), list(&self.files));
    }
}

/// `users.<name>` of a storage root: paths relative to the home directory.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEntries {
    pub name: String,
    pub home: Option<String>,
    pub entries: EntryLists,
}

/// One attribute of `environment.persistence`, named by its storage root.
#[derive(Debug, Clone, PartialEq)]
pub struct Storage {
    pub root: String,
    pub enable: Option<bool>,
    pub hide_mounts: Option<bool>,
    pub entries: EntryLists,
    pub users: Vec<UserEntries>,
}

impl Storage {
    pub(super) fn new(root: &str) -> Self {
        Self {
            root: root.to_owned(),
            enable: None,
            hide_mounts: None,
            entries: EntryLists::default(),
            users: Vec::new(),
        }
    }

    /// The lists of `user`, or the storage root's own without one.
    pub fn lists(&self, user: Option<&str>) -> Option<&EntryLists> {
        match user {
            None => Some(&self.entries),
            Some(name) => self
                .users
                .iter()
                .find(|u| u.name == name)
                .map(|u| &u.entries),
        }
    }

    pub(super) fn user_mut(&mut self, name: &str) -> &mut UserEntries {
        let index = match self.users.iter().position(|u| u.name == name) {
            Some(index) => index,
            None => {
                self.users.push(UserEntries {
                    name: name.to_owned(),
                    home: None,
                    entries: EntryLists::default(),
                });
                self.users.len() - 1
            }
        };
        &mut self.users[index]
    }
}

/// Why a part of the configuration is shown read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComputedReason {
    /// A name bound elsewhere (`let`, a function argument, `config.…`).
    Variable(String),
    /// The result of calling a function (`map`, `lib.optionals` …).
    FunctionCall(String),
    /// A string with `${…}` in it.
    Interpolation,
    /// `inherit` takes its value from elsewhere.
    Inherit,
    /// An attribute name computed with `${…}`.
    DynamicName,
    /// `if … then … else …`
    Conditional,
    /// An attribute-set entry without its `directory` or `file` key.
    NoPath(&'static str),
    /// Any other expression, with its syntax kind for the curious.
    Expression(String),
}

impl ComputedReason {
    pub fn message(&self) -> String {
        match self {
            // Translators: Completes “{place} cannot be edited because …”; {name} is a Nix variable name.
            ComputedReason::Variable(name) => gettext_f(
                "it refers to “{name}”, which is defined elsewhere",
                &[("name", name)],
            ),
            // Translators: Completes “{place} cannot be edited because …”; {function} is a Nix function name.
            ComputedReason::FunctionCall(function) => gettext_f(
                "it is computed by calling “{function}”",
                &[("function", function)],
            ),
            // Translators: Completes “{place} cannot be edited because …”. ${…} is Nix syntax; keep it.
            ComputedReason::Interpolation => gettext("it is a string with “${…}” in it"),
            // Translators: Completes “{place} cannot be edited because …”.
            ComputedReason::Inherit => gettext("it is inherited from elsewhere"),
            // Translators: Completes “{place} cannot be edited because …”.
            ComputedReason::DynamicName => gettext("its name is computed"),
            // Translators: Completes “{place} cannot be edited because …”.
            ComputedReason::Conditional => gettext("it depends on a condition"),
            ComputedReason::NoPath(key) => {
                // Translators: Completes “{place} cannot be edited because …”; {key} is “directory” or “file”, untranslated Nix attributes.
                gettext_f("it has no literal “{key}” attribute", &[("key", key)])
            }
            ComputedReason::Expression(kind) => {
                // Translators: {kind} is the Nix syntax kind of the expression, untranslated (such as NODE_IF_ELSE). This text completes “{place} cannot be edited because …”.
                gettext_f("it is an expression ({kind})", &[("kind", kind)])
            }
        }
    }
}

/// A value Keepsake cannot read, and so never rewrites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    /// Where it sits below `environment.persistence`, for example
    /// `"/persist".directories`.
    pub place: String,
    pub line: usize,
    pub reason: ComputedReason,
}

/// Everything `environment.persistence` holds in one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Persistence {
    /// In order of first appearance.
    pub storages: Vec<Storage>,
    pub computed: Vec<Computed>,
}

impl Persistence {
    pub fn storage(&self, root: &str) -> Option<&Storage> {
        self.storages.iter().find(|s| s.root == root)
    }

    pub(super) fn storage_mut(&mut self, root: &str) -> &mut Storage {
        let index = match self.storages.iter().position(|s| s.root == root) {
            Some(index) => index,
            None => {
                self.storages.push(Storage::new(root));
                self.storages.len() - 1
            }
        };
        &mut self.storages[index]
    }

    pub fn is_computed(&self) -> bool {
        !self.computed.is_empty()
    }

    /// The storage roots, and every literal kept path as the running system
    /// sees it: a user's entries below `home`, which impermanence takes to
    /// be `/home/<name>` when it is not set.
    pub fn kept_paths(&self) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let roots = self
            .storages
            .iter()
            .filter(|storage| storage.enable != Some(false))
            .collect::<Vec<_>>();
        let mut kept = Vec::new();
        for storage in &roots {
            kept.extend(
                storage
                    .entries
                    .iter()
                    .map(|entry| PathBuf::from(&entry.path)),
            );
            for user in &storage.users {
                let home = user
                    .home
                    .clone()
                    .unwrap_or_else(|| format!("/home/{}", user.name));
                kept.extend(
                    user.entries
                        .iter()
                        .map(|entry| Path::new(&home).join(entry.path.trim_start_matches('/'))),
                );
            }
        }
        let storage_roots = roots
            .iter()
            .map(|storage| PathBuf::from(&storage.root))
            .collect();
        (storage_roots, kept)
    }

    /// The shape `keepsake persist list --json` prints.
    pub fn to_json(&self, file: &Path) -> Value {
        let storages: Map<String, Value> = self
            .storages
            .iter()
            .map(|storage| {
                let mut object = Map::new();
                object.insert("hideMounts".to_owned(), json!(storage.hide_mounts));
                storage.entries.json_fields(&mut object);
                let users: Map<String, Value> = storage
                    .users
                    .iter()
                    .map(|user| {
                        let mut fields = Map::new();
                        fields.insert("home".to_owned(), json!(user.home));
                        user.entries.json_fields(&mut fields);
                        (user.name.clone(), Value::Object(fields))
                    })
                    .collect();
                object.insert("users".to_owned(), Value::Object(users));
                (storage.root.clone(), Value::Object(object))
            })
            .collect();
        json!({
            "file": file.to_string_lossy(),
            "computed": self.is_computed(),
            "storages": storages,
        })
    }
}
