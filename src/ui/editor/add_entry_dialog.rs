// SPDX-License-Identifier: GPL-3.0-or-later
//! "Add…": one more directory or file to keep, system-wide or in a user's
//! home, with owner and mode tucked away in an expander. The entry joins
//! the pending changes; a refusal is shown in the dialog.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{KsEditorModel, KsEditorWindow};
use crate::nix::persistence_edit::{EntryKind, NewEntry, Target};
use crate::ui::show_message;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/add-entry-dialog.ui")]
    pub struct KsAddEntryDialog {
        #[template_child]
        pub(super) path_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) kind_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) user_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) storage_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) owner_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) group_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) mode_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) problem_label: TemplateChild<gtk::Label>,
        pub(super) model: RefCell<Option<KsEditorModel>>,
        /// The user names offered after "System", in the order shown.
        pub(super) users: RefCell<Vec<String>>,
        pub(super) storages: RefCell<Vec<String>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsAddEntryDialog {
        const NAME: &'static str = "KsAddEntryDialog";
        type Type = super::KsAddEntryDialog;
        type ParentType = adw::Dialog;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
            klass.install_action("add-entry.add", None, |dialog, _, _| dialog.add());
            klass.install_action("add-entry.cancel", None, |dialog, _, _| {
                dialog.close();
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsAddEntryDialog {
        fn dispose(&self) {
            self.dispose_template();
        }
    }
    impl WidgetImpl for KsAddEntryDialog {}
    impl AdwDialogImpl for KsAddEntryDialog {}
}

glib::wrapper! {
    pub struct KsAddEntryDialog(ObjectSubclass<imp::KsAddEntryDialog>)
        @extends gtk::Widget, adw::Dialog,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsAddEntryDialog {
    pub fn new(model: &KsEditorModel) -> Self {
        let dialog: Self = glib::Object::new();
        let imp = dialog.imp();
        imp.model.replace(Some(model.clone()));
        let (users, storages) = model.with_state(|state| {
            let persistence = state.persistence();
            let mut users: Vec<String> = persistence
                .storages
                .iter()
                .flat_map(|storage| storage.users.iter().map(|user| user.name.clone()))
                .collect();
            users.sort();
            users.dedup();
            let storages: Vec<String> = persistence
                .storages
                .iter()
                .map(|storage| storage.root.clone())
                .collect();
            (users, storages)
        });
        let mut user_labels = vec![gettext("System")];
        user_labels.extend(users.iter().cloned());
        let user_labels: Vec<&str> = user_labels.iter().map(String::as_str).collect();
        imp.user_row
            .set_model(Some(&gtk::StringList::new(&user_labels)));
        let storage_labels: Vec<&str> = storages.iter().map(String::as_str).collect();
        imp.storage_row
            .set_model(Some(&gtk::StringList::new(&storage_labels)));
        imp.storage_row.set_visible(storages.len() > 1);
        imp.users.replace(users);
        imp.storages.replace(storages);
        dialog.on_input_changed();
        dialog
    }

    fn user(&self) -> Option<String> {
        let selected = self.imp().user_row.selected() as usize;
        selected
            .checked_sub(1)
            .and_then(|index| self.imp().users.borrow().get(index).cloned())
    }

    #[template_callback]
    fn on_input_changed(&self) {
        let imp = self.imp();
        imp.path_row.set_title(&if self.user().is_some() {
            gettext("Path Relative to the Home Directory")
        } else {
            gettext("Path")
        });
        show_message(&imp.problem_label, None);
        self.action_set_enabled("add-entry.add", !imp.path_row.text().trim().is_empty());
    }

    #[template_callback]
    fn on_path_activated(&self) {
        self.add();
    }

    fn add(&self) {
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        let path = imp.path_row.text().trim().to_owned();
        if path.is_empty() {
            return;
        }
        let optional = |row: &adw::EntryRow| {
            let text = row.text().trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        let storage = imp
            .storages
            .borrow()
            .get(imp.storage_row.selected() as usize)
            .cloned();
        let entry = NewEntry {
            target: Target {
                kind: if imp.kind_row.selected() == 1 {
                    EntryKind::File
                } else {
                    EntryKind::Directory
                },
                path,
                user: self.user(),
                storage,
            },
            owner: optional(&imp.owner_row),
            group: optional(&imp.group_row),
            mode: optional(&imp.mode_row),
        };
        match model.edit(|state| state.add(entry)) {
            Ok(change) => {
                // Where in the file it goes, since that is not always the
                // obvious list.
                if let Some(window) = self.root().and_downcast::<KsEditorWindow>() {
                    window.add_toast(adw::Toast::new(&glib::markup_escape_text(
                        &change.describe(),
                    )));
                }
                self.close();
            }
            Err(error) => show_message(&imp.problem_label, Some(&error.message())),
        }
    }
}
