// SPDX-License-Identifier: GPL-3.0-or-later
//! "Kept": every directory and file the configuration keeps, by storage root
//! and user, with a remove button (undone from its toast) and "Add…".
//! Parts that are not literals are listed read-only with the reason.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{KsAddEntryDialog, KsEditorModel, KsEditorWindow};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate};
use crate::kept::{Activity, EntryStatus, allocated_bytes, entry_statuses};
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
        /// Counts refreshes, so that sizes measured for an older list are
        /// dropped.
        pub(super) generation: Cell<u64>,
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
            crate::ui::dispose_bin_template(self);
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
        let view = model.view();
        let mut sized = Vec::new();
        model.with_state(|state| {
            let statuses = match model.catalogue() {
                Some(catalogue) => entry_statuses(state.persistence(), &view, &catalogue),
                None => Vec::new(),
            };
            let status_of = |root: &str, user: Option<&str>, entry: &Entry| {
                statuses.iter().find(|status| {
                    status.kept.storage == root
                        && status.kept.user.as_deref() == user
                        && status.kept.kind == entry.kind
                        && status.kept.path == entry.path
                })
            };
            for storage in &state.persistence().storages {
                let root = storage.root.as_str();
                let group = adw::PreferencesGroup::builder()
                    .title(glib::markup_escape_text(root))
                    .description(if storage.enable == Some(false) {
                        gettext("System paths. This storage root is disabled, so nothing here is kept.")
                    } else if storage.entries.iter().next().is_none() {
                        gettext(
                            "System paths. None yet: add them with Add…, or with Keep in Lost at Next Reboot.",
                        )
                    } else {
                        gettext("System paths")
                    })
                    .build();
                for entry in storage.entries.iter() {
                    let pending = !state.is_applied(root, None, entry.kind, &entry.path);
                    let status = status_of(root, None, entry);
                    let row = self.entry_row(root, None, entry, pending, status);
                    if let Some(status) = status.filter(|status| status.stored_exists) {
                        sized.push((row.clone(), view.host_path(&status.stored)));
                    }
                    group.add(&row);
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
                            &[("user", &user.name), ("root", &isolate(root))],
                        )))
                        .description(glib::markup_escape_text(&gettext_f(
                            "Relative to {home}",
                            &[("home", &isolate(&home))],
                        )))
                        .build();
                    for entry in user.entries.iter() {
                        let pending =
                            !state.is_applied(root, Some(&user.name), entry.kind, &entry.path);
                        let status = status_of(root, Some(&user.name), entry);
                        let row = self.entry_row(root, Some(&user.name), entry, pending, status);
                        if let Some(status) = status.filter(|status| status.stored_exists) {
                            sized.push((row.clone(), view.host_path(&status.stored)));
                        }
                        group.add(&row);
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
        self.measure(sized);
    }

    /// Measures what each entry holds in storage off the main thread, then
    /// shows it in its row unless the list was rebuilt meanwhile.
    fn measure(&self, rows: Vec<(adw::ActionRow, PathBuf)>) {
        let imp = self.imp();
        let generation = imp.generation.get() + 1;
        imp.generation.set(generation);
        let paths: Vec<PathBuf> = rows.iter().map(|(_, path)| path.clone()).collect();
        glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let sizes = gio::spawn_blocking(move || {
                    paths
                        .iter()
                        .map(|path| allocated_bytes(path).ok())
                        .collect::<Vec<_>>()
                })
                .await
                .unwrap_or_default();
                if page.imp().generation.get() != generation {
                    return;
                }
                for ((row, _), bytes) in rows.iter().zip(sizes) {
                    if let Some(bytes) = bytes {
                        let size =
                            gettext_f("{size} stored", &[("size", &isolate(&format_size(bytes)))]);
                        row.set_subtitle(&format!(
                            "{} · {}",
                            row.subtitle().unwrap_or_default(),
                            glib::markup_escape_text(&size)
                        ));
                    }
                }
            }
        ));
    }

    fn entry_row(
        &self,
        storage: &str,
        user: Option<&str>,
        entry: &Entry,
        pending: bool,
        status: Option<&EntryStatus>,
    ) -> adw::ActionRow {
        let (icon, state) = if pending {
            (
                "list-add-symbolic",
                gettext("Kept once the changes are applied"),
            )
        } else {
            match status.map(|status| status.activity) {
                Some(Activity::BindMounted) => (
                    "object-select-symbolic",
                    gettext("Active: mounted from storage"),
                ),
                Some(Activity::Linked) => (
                    "object-select-symbolic",
                    gettext("Active: linked to storage"),
                ),
                Some(Activity::Inactive) | None => (
                    "dialog-warning-symbolic",
                    gettext("Not active: set up at the next boot"),
                ),
            }
        };
        let what = match (status.and_then(|status| status.known.as_ref()), entry.kind) {
            (Some(known), _) => format!("{}: {}", known.preset_name, known.reason),
            (None, EntryKind::Directory) => gettext("Directory"),
            (None, EntryKind::File) => gettext("File"),
        };
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(&entry.path))
            .subtitle(glib::markup_escape_text(&format!("{what}\n{state}")))
            .name(format!("kept:{}", entry.path))
            .build();
        let image = gtk::Image::from_icon_name(icon);
        image.update_property(&[gtk::accessible::Property::Label(&state)]);
        row.add_prefix(&image);
        let label = gettext_f("Stop keeping {path}", &[("path", &isolate(&entry.path))]);
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
                // Short enough for a narrow window next to Undo; the path is
                // gone from the list right above.
                let toast = adw::Toast::builder()
                    .title(gettext("Entry removed"))
                    .button_label(gettext("_Undo"))
                    // Undo only helps right away, so it jumps the queue.
                    .priority(adw::ToastPriority::High)
                    .build();
                toast.connect_button_clicked(glib::clone!(
                    #[weak]
                    model,
                    #[weak]
                    window,
                    move |_| {
                        if let Err(error) = model.edit(|state| state.undo(&removal)) {
                            window.add_toast_with_details(
                                &gettext("Could not undo"),
                                &error.message(),
                            );
                        }
                    }
                ));
                window.add_toast(toast);
            }
            Err(error) => {
                window.add_toast_with_details(&gettext("Entry not removed"), &error.message());
            }
        }
    }
}
