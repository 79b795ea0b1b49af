// SPDX-License-Identifier: GPL-3.0-or-later
//! The configuration file the editor works on and the changes waiting to be
//! applied. Nothing is written until Apply: every pending change is an edit
//! of the syntax tree replayed on the file as read, so undoing one gives
//! back the exact bytes.

use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;
use gtk::glib::subclass::Signal;
use gtk::prelude::*;

use crate::catalogue::Catalogue;
use crate::i18n::{gettext_f, isolate};
use crate::kept::{IgnoredPaths, SystemView};
use crate::nix::persistence_edit::{
    Change, EditError, EntryKind, NewEntry, Persistence, PersistenceDocument, Target,
};

/// One change waiting to be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingEdit {
    Add(NewEntry),
    Remove(Target),
}

/// The file as read and the edits on top of it, without GTK.
#[derive(Default)]
pub struct EditorState {
    file: PathBuf,
    /// The text read from the file: what Apply replaces.
    original: String,
    edits: Vec<PendingEdit>,
    /// `original` with every edit replayed.
    current: Option<PersistenceDocument>,
    /// What `original` keeps, to tell pending entries from applied ones.
    applied: Persistence,
}

impl EditorState {
    pub fn new(file: PathBuf, original: String) -> Result<Self, EditError> {
        let document = PersistenceDocument::parse(&original)?;
        Ok(Self {
            file,
            original,
            edits: Vec::new(),
            applied: document.persistence().clone(),
            current: Some(document),
        })
    }

    fn document(&self) -> &PersistenceDocument {
        self.current
            .as_ref()
            .expect("EditorState::new parses the file")
    }

    /// Replays `edits` on the original text.
    fn replay(&self, edits: &[PendingEdit]) -> Result<PersistenceDocument, EditError> {
        let mut document = PersistenceDocument::parse(&self.original)?;
        for edit in edits {
            let next = match edit {
                PendingEdit::Add(entry) => document.add(entry)?,
                PendingEdit::Remove(target) => document.remove(target)?,
            };
            document = PersistenceDocument::parse(&next.text)?;
        }
        Ok(document)
    }

    fn set_edits(&mut self, edits: Vec<PendingEdit>) -> Result<(), EditError> {
        self.current = Some(self.replay(&edits)?);
        self.edits = edits;
        Ok(())
    }

    /// Adds `entry`; adding back a pending removal cancels it instead.
    pub fn add(&mut self, entry: NewEntry) -> Result<Change, EditError> {
        let change = self.document().add(&entry)?.change;
        let mut edits = self.edits.clone();
        match edits.iter().position(
            |edit| matches!(edit, PendingEdit::Remove(target) if same_entry(target, &entry.target)),
        ) {
            Some(index) => {
                edits.remove(index);
            }
            None => edits.push(PendingEdit::Add(entry)),
        }
        self.set_edits(edits)?;
        Ok(change)
    }

    /// Removes `target`; removing a pending addition cancels it instead.
    /// Returns what [`EditorState::undo`] takes to put it back.
    pub fn remove(&mut self, target: Target) -> Result<PendingEdit, EditError> {
        self.document().remove(&target)?;
        let mut edits = self.edits.clone();
        let undo = match edits.iter().position(
            |edit| matches!(edit, PendingEdit::Add(entry) if same_entry(&entry.target, &target)),
        ) {
            Some(index) => edits.remove(index),
            None => {
                edits.push(PendingEdit::Remove(target.clone()));
                PendingEdit::Remove(target)
            }
        };
        self.set_edits(edits)?;
        Ok(undo)
    }

    /// Takes back a removal [`EditorState::remove`] returned.
    pub fn undo(&mut self, removal: &PendingEdit) -> Result<(), EditError> {
        let mut edits = self.edits.clone();
        match removal {
            PendingEdit::Remove(target) => edits.retain(
                |edit| !matches!(edit, PendingEdit::Remove(other) if same_entry(other, target)),
            ),
            PendingEdit::Add(_) => edits.push(removal.clone()),
        }
        self.set_edits(edits)
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn text(&self) -> &str {
        self.document().text()
    }

    pub fn persistence(&self) -> &Persistence {
        self.document().persistence()
    }

    pub fn edits(&self) -> &[PendingEdit] {
        &self.edits
    }

    /// Whether `path` of `kind` is kept by the file as last read.
    pub fn is_applied(
        &self,
        storage: &str,
        user: Option<&str>,
        kind: EntryKind,
        path: &str,
    ) -> bool {
        self.applied
            .storage(storage)
            .and_then(|s| s.lists(user))
            .is_some_and(|lists| lists.of_kind(kind).iter().any(|e| e.path == path))
    }

    /// The pending changes as a unified diff of the file.
    pub fn diff(&self) -> String {
        let name = self.file.display().to_string();
        similar::TextDiff::from_lines(self.original.as_str(), self.text())
            .unified_diff()
            .header(&name, &name)
            .to_string()
    }

    /// The file now holds `text` (after an apply): no changes are pending.
    pub fn applied_as(&mut self, text: String) -> Result<(), EditError> {
        *self = Self::new(self.file.clone(), text)?;
        Ok(())
    }
}

/// Same path, kind and user; the storage root may be left out.
fn same_entry(a: &Target, b: &Target) -> bool {
    a.path == b.path
        && a.kind == b.kind
        && a.user == b.user
        && (a.storage.is_none() || b.storage.is_none() || a.storage == b.storage)
}

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct KsEditorModel {
        pub(super) state: RefCell<EditorState>,
        /// The running system, or the demo's scratch root and mount table.
        pub(super) view: RefCell<Option<SystemView>>,
        pub(super) catalogue: OnceCell<Option<Catalogue>>,
        /// Where Ignore is remembered; none without a home directory.
        pub(super) ignore_file: RefCell<Option<PathBuf>>,
        pub(super) ignored: RefCell<IgnoredPaths>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsEditorModel {
        const NAME: &'static str = "KsEditorModel";
        type Type = super::KsEditorModel;
    }

    impl ObjectImpl for KsEditorModel {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| vec![Signal::builder("changed").build()])
        }
    }
}

glib::wrapper! {
    /// The editor's one source of truth, shared by its pages.
    pub struct KsEditorModel(ObjectSubclass<imp::KsEditorModel>);
}

impl KsEditorModel {
    /// `ignore_file` remembers the paths Ignore was chosen for.
    pub fn new(state: EditorState, view: SystemView, ignore_file: Option<PathBuf>) -> Self {
        let model: Self = glib::Object::new();
        let imp = model.imp();
        imp.state.replace(state);
        imp.view.replace(Some(view));
        // An unreadable file forgets earlier choices; the next Ignore
        // writes it anew.
        let ignored = ignore_file
            .as_deref()
            .and_then(|file| IgnoredPaths::load(file).ok())
            .unwrap_or_default();
        imp.ignored.replace(ignored);
        imp.ignore_file.replace(ignore_file);
        model
    }

    pub fn ignored(&self) -> IgnoredPaths {
        self.imp().ignored.borrow().clone()
    }

    /// Where Ignore's choices are remembered between sessions.
    pub fn ignore_file(&self) -> Option<PathBuf> {
        self.imp().ignore_file.borrow().clone()
    }

    /// Stops offering `path` on the Lost page, now and in later sessions;
    /// the error is a sentence to show.
    pub fn ignore(&self, path: &Path) -> Result<(), String> {
        let imp = self.imp();
        imp.ignored.borrow_mut().ignore(path);
        let Some(file) = imp.ignore_file.borrow().clone() else {
            return Err(gettext(
                "Ignored for now; without a home directory it is offered again next time.",
            ));
        };
        imp.ignored.borrow().save(&file).map_err(|error| {
            gettext_f(
                "Ignored for now, but {file} could not be written: {error}",
                &[
                    ("file", &isolate(&file.display().to_string())),
                    ("error", &error.to_string()),
                ],
            )
        })
    }

    pub fn connect_changed<F: Fn(&Self) + 'static>(&self, callback: F) -> glib::SignalHandlerId {
        self.connect_local("changed", false, move |values| {
            let model = values[0].get::<Self>().expect("emitted by a KsEditorModel");
            callback(&model);
            None
        })
    }

    pub fn with_state<T>(&self, read: impl FnOnce(&EditorState) -> T) -> T {
        read(&self.imp().state.borrow())
    }

    /// Changes the state and tells every page, unless `change` failed.
    pub fn edit<T>(
        &self,
        change: impl FnOnce(&mut EditorState) -> Result<T, EditError>,
    ) -> Result<T, EditError> {
        let result = change(&mut self.imp().state.borrow_mut());
        if result.is_ok() {
            self.emit_by_name::<()>("changed", &[]);
        }
        result
    }

    pub fn view(&self) -> SystemView {
        self.imp()
            .view
            .borrow()
            .clone()
            .expect("KsEditorModel::new sets the view")
    }

    /// `/` on a real system; the scratch root in demo mode.
    pub fn live_root(&self) -> PathBuf {
        self.view().root
    }

    /// The built-in catalogue, or none if it is broken (a build defect
    /// its own tests catch; the editor then shows no reasons).
    pub fn catalogue(&self) -> Option<Catalogue> {
        self.imp()
            .catalogue
            .get_or_init(|| Catalogue::builtin().ok())
            .clone()
    }

    pub fn n_changes(&self) -> usize {
        self.with_state(|state| state.edits().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "{\n  environment.persistence.\"/persist\" = {\n    directories = [\n      \"/var/log\"\n      \"/var/lib/nixos\"\n    ];\n  };\n}\n";

    fn target(path: &str) -> Target {
        Target {
            kind: EntryKind::Directory,
            path: path.to_owned(),
            user: None,
            storage: None,
        }
    }

    fn new_entry(path: &str) -> NewEntry {
        NewEntry {
            target: target(path),
            owner: None,
            group: None,
            mode: None,
        }
    }

    #[test]
    fn undoing_a_removal_gives_back_the_exact_bytes() {
        let mut state = EditorState::new("/etc/nixos/p.nix".into(), FILE.to_owned()).unwrap();
        state.add(new_entry("/var/lib/docker")).unwrap();
        let undo = state.remove(target("/var/log")).unwrap();
        assert_eq!(state.edits().len(), 2);
        assert!(state.diff().contains("-      \"/var/log\""));
        state.undo(&undo).unwrap();
        assert_eq!(state.edits().len(), 1);
        state.remove(target("/var/lib/docker")).unwrap();
        assert!(state.edits().is_empty());
        assert_eq!(state.text(), FILE);
        assert!(state.diff().is_empty());
    }

    #[test]
    fn a_refused_edit_changes_nothing() {
        let mut state = EditorState::new("/p.nix".into(), FILE.to_owned()).unwrap();
        assert!(state.add(new_entry("/var/log")).is_err());
        assert!(state.remove(target("/srv")).is_err());
        assert!(state.edits().is_empty());
        assert!(state.is_applied("/persist", None, EntryKind::Directory, "/var/log"));
    }
}
