// SPDX-License-Identifier: GPL-3.0-or-later
//! "Kept": every directory and file the configuration keeps, by storage root
//! and user, with a remove button (undone from its toast) and "Add…".
//! Parts that are not literals are listed read-only with the reason.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{KsAddEntryDialog, KsEditorModel, KsEditorWindow};
use crate::i18n::gettext_f;
use crate::nix::persistence_edit::{Entry, EntryKind, Target};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/kept-page.ui")]
    pub struct KsKeptPage {
        #[template_child]
        pub(super) page: TemplateChild<adw::PreferencesPage>,
        pub(super) model: RefCell<Option<KsEditorModel>>,
        /// The groups of the last refresh, replaced by the next one.
        pub(super) groups: RefCell<Vec<adw::PreferencesGroup>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsKeptPage {
        const NAME: &'static str = "KsKeptPage";
        type Type = super::KsKeptPage;
        type ParentType = adw::Bin;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsKeptPage {
        fn dispose(&self) {
            self.dispose_template();
        }
    }
    impl WidgetImpl for KsKeptPage {}
    impl BinImpl for KsKeptPage {}
}

glib::wrapper! {
    pub struct KsKeptPage(ObjectSubclass<imp::KsKeptPage>)
        @extends gtk::Widget, adw::Bin,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsKeptPage {
    pub fn set_model(&self, model: &KsEditorModel) {
        self.imp().model.replace(Some(model.clone()));
        model.connect_changed(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_| page.refresh()
        ));
        self.refresh();
    }

    fn model(&self) -> Option<KsEditorModel> {
        self.imp().model.borrow().clone()
    }

    pub fn show_add_dialog(&self) {
        if let Some(model) = self.model() {
            KsAddEntryDialog::new(&model).present(Some(self));
        }
    }

    fn refresh(&self) {
        let Some(model) = self.model() else {
            return;
        };
        let imp = self.imp();
        for group in imp.groups.take() {
            imp.page.remove(&group);
        }
        let mut groups = Vec::new();
        model.with_state(|state| {
            for storage in &state.persistence().storages {
                let root = storage.root.as_str();
                let group = adw::PreferencesGroup::builder()
                    .title(glib::markup_escape_text(root))
                    .description(if storage.enable == Some(false) {
                        gettext("System paths. This storage root is disabled, so nothing here is kept.")
                    } else {
                        gettext("System paths")
                    })
                    .build();
                for entry in storage.entries.iter() {
                    let pending = !state.is_applied(root, None, entry.kind, &entry.path);
                    group.add(&self.entry_row(root, None, entry, pending));
                }
                groups.push(group);
                for user in &storage.users {
                    let home = user
                        .home
                        .clone()
                        .unwrap_or_else(|| format!("/home/{}", user.name));
                    let group = adw::PreferencesGroup::builder()
                        .title(glib::markup_escape_text(&gettext_f(
                            "{user}’s Home in {root}",
                            &[("user", &user.name), ("root", root)],
                        )))
                        .description(glib::markup_escape_text(&gettext_f(
                            "Relative to {home}",
                            &[("home", &home)],
                        )))
                        .build();
                    for entry in user.entries.iter() {
                        let pending =
                            !state.is_applied(root, Some(&user.name), entry.kind, &entry.path);
                        group.add(&self.entry_row(root, Some(&user.name), entry, pending));
                    }
                    groups.push(group);
                }
            }
            let computed = &state.persistence().computed;
            if !computed.is_empty() {
                let group = adw::PreferencesGroup::builder()
                    .title(gettext("Read-Only"))
                    .description(gettext(
                        "These parts of the configuration are computed, so Keepsake shows them but never rewrites them.",
                    ))
                    .build();
                for part in computed {
                    let row = adw::ActionRow::builder()
                        .title(glib::markup_escape_text(&part.place))
                        .subtitle(glib::markup_escape_text(&gettext_f(
                            "Line {line}: read-only because {reason}.",
                            &[
                                ("line", &part.line.to_string()),
                                ("reason", &part.reason.message()),
                            ],
                        )))
                        .build();
                    row.add_prefix(&gtk::Image::from_icon_name("changes-prevent-symbolic"));
                    group.add(&row);
                }
                groups.push(group);
            }
        });
        for group in &groups {
            imp.page.add(group);
        }
        imp.groups.replace(groups);
    }

    fn entry_row(
        &self,
        storage: &str,
        user: Option<&str>,
        entry: &Entry,
        pending: bool,
    ) -> adw::ActionRow {
        let kind = match entry.kind {
            EntryKind::Directory => gettext("Directory"),
            EntryKind::File => gettext("File"),
        };
        let mut subtitle = vec![kind];
        if pending {
            subtitle.push(gettext("Kept once the changes are applied"));
        }
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(&entry.path))
            .subtitle(glib::markup_escape_text(&subtitle.join(" · ")))
            .name(format!("kept:{}", entry.path))
            .build();
        row.add_prefix(&gtk::Image::from_icon_name(match entry.kind {
            EntryKind::Directory => "folder-symbolic",
            EntryKind::File => "text-x-generic-symbolic",
        }));
        let label = gettext_f("Stop keeping {path}", &[("path", &entry.path)]);
        let remove = gtk::Button::builder()
            .icon_name("user-trash-symbolic")
            .tooltip_text(&label)
            .valign(gtk::Align::Center)
            .name(format!("remove:{}", entry.path))
            .build();
        remove.add_css_class("flat");
        remove.update_property(&[gtk::accessible::Property::Label(&label)]);
        let target = Target {
            kind: entry.kind,
            path: entry.path.clone(),
            user: user.map(str::to_owned),
            storage: Some(storage.to_owned()),
        };
        remove.connect_clicked(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_| page.remove(target.clone())
        ));
        row.add_suffix(&remove);
        row
    }

    fn remove(&self, target: Target) {
        let Some(model) = self.model() else {
            return;
        };
        let Some(window) = self.root().and_downcast::<KsEditorWindow>() else {
            return;
        };
        match model.edit(|state| state.remove(target.clone())) {
            Ok(removal) => {
                let toast = adw::Toast::builder()
                    .title(glib::markup_escape_text(&gettext_f(
                        "{path} will no longer be kept; its stored data stays",
                        &[("path", &target.path)],
                    )))
                    .button_label(gettext("_Undo"))
                    .build();
                toast.connect_button_clicked(glib::clone!(
                    #[weak]
                    model,
                    #[weak]
                    window,
                    move |_| {
                        if let Err(error) = model.edit(|state| state.undo(&removal)) {
                            window.add_toast(adw::Toast::new(&error.message()));
                        }
                    }
                ));
                window.add_toast(toast);
            }
            Err(error) => window.add_toast(adw::Toast::new(&error.message())),
        }
    }
}
