// SPDX-License-Identifier: GPL-3.0-or-later
//! "Orphans": data in the storage roots that no entry keeps any more, with
//! its size, and "Delete…" behind a confirmation that names the size.
//! Nothing is ever deleted without that confirmation.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::privileged::{self, Privileged};
use super::{KsEditorModel, KsEditorWindow};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate};
use crate::kept::{Orphan, Protected, find_orphans};
use crate::nix::persistence_edit::PersistenceDocument;
use crate::ui::name_button;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/orphans-page.ui")]
    pub struct KsOrphansPage {
        #[template_child]
        pub(super) stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub(super) orphans_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) message_page: TemplateChild<adw::StatusPage>,
        pub(super) model: RefCell<Option<KsEditorModel>>,
        pub(super) rows: RefCell<Vec<adw::ActionRow>>,
        pub(super) busy: Cell<bool>,
        /// Set in demo mode: deletes in the scratch root, without pkexec.
        pub(super) demo: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsOrphansPage {
        const NAME: &'static str = "KsOrphansPage";
        type Type = super::KsOrphansPage;
        type ParentType = adw::Bin;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsOrphansPage {
        fn dispose(&self) {
            crate::ui::dispose_bin_template(self);
        }
    }
    impl WidgetImpl for KsOrphansPage {}
    impl BinImpl for KsOrphansPage {}
}

glib::wrapper! {
    pub struct KsOrphansPage(ObjectSubclass<imp::KsOrphansPage>)
        @extends gtk::Widget, adw::Bin,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsOrphansPage {
    pub fn set_model(&self, model: &KsEditorModel, demo: bool) {
        self.imp().model.replace(Some(model.clone()));
        self.imp().demo.set(demo);
        // An apply can turn removed entries into orphans.
        model.connect_changed(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |model| {
                if model.n_changes() == 0 {
                    page.refresh();
                }
            }
        ));
        self.refresh();
    }

    /// Whether orphans are being measured or deleted now.
    pub fn is_busy(&self) -> bool {
        self.imp().busy.get()
    }

    /// The configuration as applied: pending removals are not orphans yet.
    fn protected(model: &KsEditorModel) -> Option<Protected> {
        let view = model.view();
        model.with_state(|state| {
            PersistenceDocument::parse(state.original())
                .ok()
                .map(|document| Protected::new(document.persistence(), &view))
        })
    }

    fn refresh(&self) {
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        let Some(protected) = Self::protected(&model) else {
            return;
        };
        if imp.busy.replace(true) {
            return;
        }
        imp.stack.set_visible_child_name("measuring");
        let view = model.view();
        glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let found = gio::spawn_blocking(move || find_orphans(&protected, &view))
                    .await
                    .unwrap_or_default();
                page.imp().busy.set(false);
                page.show(&found.orphans, found.uncertain);
            }
        ));
    }

    fn show(&self, orphans: &[Orphan], uncertain: bool) {
        let imp = self.imp();
        for row in imp.rows.take() {
            imp.orphans_group.remove(&row);
        }
        if orphans.is_empty() {
            imp.message_page.set_title(&gettext("No Orphans"));
            imp.message_page.set_description(Some(&gettext(
                "Everything in storage is kept by an entry of the configuration.",
            )));
            imp.stack.set_visible_child_name("message");
            return;
        }
        imp.orphans_group.set_description(
            uncertain
                .then(|| {
                    gettext(
                        "The configuration computes some entries, so some of these may still be used. Check before you delete.",
                    )
                })
                .as_deref(),
        );
        let rows: Vec<adw::ActionRow> = orphans.iter().map(|orphan| self.row(orphan)).collect();
        for row in &rows {
            imp.orphans_group.add(row);
        }
        imp.rows.replace(rows);
        imp.stack.set_visible_child_name("results");
    }

    fn row(&self, orphan: &Orphan) -> adw::ActionRow {
        let path = orphan.path.display().to_string();
        let size = format_size(orphan.bytes);
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(&path))
            .subtitle(glib::markup_escape_text(&gettext_f(
                "{size} in {storage}; no entry keeps it",
                &[
                    ("size", &isolate(&size)),
                    ("storage", &isolate(&orphan.storage.display().to_string())),
                ],
            )))
            .name(format!("orphan:{path}"))
            .build();
        let label = gettext_f("Delete {path}…", &[("path", &isolate(&path))]);
        let delete = gtk::Button::builder()
            .label(gettext("Delete…"))
            .tooltip_text(&label)
            .valign(gtk::Align::Center)
            .name(format!("delete:{path}"))
            .build();
        // Its label alone, “Delete…”, would name every row's button alike.
        name_button(&delete, &label);
        delete.add_css_class("destructive-action");
        let target = orphan.path.clone();
        delete.connect_clicked(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_| {
                let target = target.clone();
                let size = size.clone();
                glib::spawn_future_local(async move {
                    page.confirm_delete(target, &size).await;
                });
            }
        ));
        row.add_suffix(&delete);
        row
    }

    async fn confirm_delete(&self, path: PathBuf, size: &str) {
        let shown = path.display().to_string();
        let dialog = adw::AlertDialog::new(
            Some(&gettext_f("Delete {path}?", &[("path", &isolate(&shown))])),
            Some(&gettext_f(
                "This deletes {size} of data that no entry keeps any more. It cannot be undone.",
                &[("size", &isolate(size))],
            )),
        );
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response(
            "delete",
            &gettext_f("_Delete {size}", &[("size", &isolate(size))]),
        );
        dialog.set_response_appearance("delete", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("cancel"));
        dialog.set_close_response("cancel");
        if dialog.choose_future(Some(self)).await != "delete" {
            return;
        }
        self.delete(path).await;
    }

    async fn delete(&self, path: PathBuf) {
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        let Some(protected) = Self::protected(&model) else {
            return;
        };
        imp.busy.set(true);
        let shown = path.display().to_string();
        let outcome = privileged::run(
            imp.demo.get(),
            Privileged::DeleteOrphan {
                protected,
                view: model.view(),
                config: model.with_state(|state| state.file().to_owned()),
                path,
            },
        )
        .await;
        imp.busy.set(false);
        let (title, details) = match outcome {
            Ok(()) => (
                gettext("Orphan deleted"),
                gettext_f("{path} was deleted", &[("path", &isolate(&shown))]),
            ),
            Err(problem) => (gettext("Nothing was deleted"), problem),
        };
        if let Some(window) = self.root().and_downcast::<KsEditorWindow>() {
            window.add_toast_with_details(&title, &details);
        }
        self.refresh();
    }
}
