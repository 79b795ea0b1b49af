// SPDX-License-Identifier: GPL-3.0-or-later
//! The editor's window: its pages in a view stack (a bar at the bottom on
//! narrow screens), the banner that counts pending changes, and the review
//! and apply dialogs it opens.

use std::cell::{Cell, OnceCell, RefCell};
use std::path::{Path, PathBuf};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{
    KsAccountsPage, KsApplyDialog, KsEditorModel, KsKeptPage, KsLostPage, KsOrphansPage,
    KsReviewDialog, OpenError, create_module,
};
use crate::apply::{Activation, ConflictChoice, DataMove, Pending};
use crate::config;
use crate::i18n::{gettext_f, isolate, ngettext_f};
use crate::kept::SystemView;
use crate::nix::persistence_edit::PersistenceDocument;
use crate::ui::KsApplication;
use crate::ui::editor;

/// `KEEPSAKE_DEMO_REBUILD=fail keepsake --demo --edit` shows a failed apply.
const DEMO_REBUILD_VARIABLE: &str = "KEEPSAKE_DEMO_REBUILD";

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/editor-window.ui")]
    #[properties(wrapper_type = super::KsEditorWindow)]
    pub struct KsEditorWindow {
        /// In demo mode: the simulated `nixos-rebuild test` fails. Starts
        /// as `KEEPSAKE_DEMO_REBUILD=fail` in the environment says, so that
        /// a failure can be tried from the command line; tests set it.
        #[property(get, set)]
        pub(super) demo_rebuild_fails: Cell<bool>,
        #[template_child]
        pub(super) toast_overlay: TemplateChild<adw::ToastOverlay>,
        #[template_child]
        pub(super) changes_banner: TemplateChild<adw::Banner>,
        #[template_child]
        pub(super) content_stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub(super) view_stack: TemplateChild<adw::ViewStack>,
        #[template_child]
        pub(super) view_switcher: TemplateChild<adw::ViewSwitcher>,
        #[template_child]
        pub(super) switcher_bar: TemplateChild<adw::ViewSwitcherBar>,
        #[template_child]
        pub(super) error_page: TemplateChild<adw::StatusPage>,
        #[template_child]
        pub(super) kept_page: TemplateChild<KsKeptPage>,
        #[template_child]
        pub(super) lost_page: TemplateChild<KsLostPage>,
        #[template_child]
        pub(super) orphans_page: TemplateChild<KsOrphansPage>,
        #[template_child]
        pub(super) accounts_page: TemplateChild<KsAccountsPage>,
        pub(super) model: OnceCell<KsEditorModel>,
        /// Before a file defines `environment.persistence`: the system and
        /// the Ignore file to open once it is created.
        pub(super) without_persistence: RefCell<Option<(SystemView, Option<PathBuf>)>>,
        /// The last apply started, to keep the window open while it runs.
        pub(super) apply_dialog: RefCell<Option<KsApplyDialog>>,
        /// The person chose to close although changes were pending.
        pub(super) discard_confirmed: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsEditorWindow {
        const NAME: &'static str = "KsEditorWindow";
        type Type = super::KsEditorWindow;
        type ParentType = adw::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("editor.review", None, |window, _, _| {
                window.review();
            });
            klass.install_action("editor.add", None, |window, _, _| {
                window.imp().kept_page.show_add_dialog();
            });
            klass.install_action_async("editor.create-module", None, |window, _, _| async move {
                window.create_module().await;
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsEditorWindow {
        fn constructed(&self) {
            self.parent_constructed();
            self.demo_rebuild_fails
                .set(std::env::var_os(DEMO_REBUILD_VARIABLE).is_some_and(|value| value == "fail"));
            if config::PROFILE == "development" {
                self.obj().add_css_class("devel");
            }
        }
    }

    impl WidgetImpl for KsEditorWindow {}
    impl WindowImpl for KsEditorWindow {
        /// An apply runs as root and must finish its rollback, so the window
        /// stays while it runs; pending changes are only lost on purpose.
        fn close_request(&self) -> glib::Propagation {
            let obj = self.obj();
            let applying = self
                .apply_dialog
                .borrow()
                .as_ref()
                .is_some_and(KsApplyDialog::is_running);
            if applying {
                obj.add_toast_with_details(
                    &gettext("Still applying"),
                    &gettext("Keepsake closes once the changes are applied or put back"),
                );
                return glib::Propagation::Stop;
            }
            let pending = obj.model().map_or(0, |model| model.n_changes());
            if pending == 0 || self.discard_confirmed.get() {
                return self.parent_close_request();
            }
            glib::spawn_future_local(glib::clone!(
                #[weak]
                obj,
                async move { obj.confirm_discard(pending).await }
            ));
            glib::Propagation::Stop
        }
    }
    impl ApplicationWindowImpl for KsEditorWindow {}
    impl AdwApplicationWindowImpl for KsEditorWindow {}
}

glib::wrapper! {
    pub struct KsEditorWindow(ObjectSubclass<imp::KsEditorWindow>)
        @extends gtk::Widget, gtk::Window, gtk::ApplicationWindow, adw::ApplicationWindow,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Accessible, gtk::Buildable,
            gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

impl KsEditorWindow {
    /// A window editing `model`, or explaining `problem` when the
    /// configuration could not be read.
    pub fn new(app: &KsApplication, opened: Result<KsEditorModel, OpenError>) -> Self {
        let window: Self = glib::Object::builder().property("application", app).build();
        let imp = window.imp();
        window.action_set_enabled("editor.create-module", false);
        // The pages' switchers only once there are pages to switch.
        window.show_switchers(false);
        match opened {
            Ok(model) => window.edit(model),
            Err(OpenError::NoPersistence {
                system,
                ignore_file,
            }) => {
                imp.without_persistence.replace(Some((system, ignore_file)));
                imp.content_stack.set_visible_child_name("empty");
                window.action_set_enabled("editor.create-module", true);
                window.action_set_enabled("editor.review", false);
                window.action_set_enabled("editor.add", false);
            }
            Err(OpenError::Problem(problem)) => {
                imp.error_page.set_description(Some(&problem));
                imp.content_stack.set_visible_child_name("error");
                window.action_set_enabled("editor.review", false);
                window.action_set_enabled("editor.add", false);
            }
        }
        window
    }

    fn show_switchers(&self, shown: bool) {
        let imp = self.imp();
        imp.view_switcher.set_visible(shown);
        imp.switcher_bar.set_visible(shown);
    }

    fn is_demo(&self) -> bool {
        self.application()
            .and_downcast::<KsApplication>()
            .is_some_and(|app| app.demo())
    }

    /// Shows the pages, editing `model`.
    fn edit(&self, model: KsEditorModel) {
        let imp = self.imp();
        let demo = self.is_demo();
        imp.kept_page.set_model(&model);
        imp.lost_page.set_model(&model);
        imp.orphans_page.set_model(&model, demo);
        imp.accounts_page.set_model(&model, demo);
        model.connect_changed(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_| window.update_banner()
        ));
        imp.model.set(model).expect("a window edits one model");
        imp.content_stack.set_visible_child_name("editor");
        self.show_switchers(true);
        self.action_set_enabled("editor.add", true);
        self.update_banner();
    }

    /// "Create persistence.nix…": the diff, then the file, then the editor.
    async fn create_module(&self) {
        let Some((system, ignore_file)) = self.imp().without_persistence.borrow().clone() else {
            return;
        };
        self.action_set_enabled("editor.create-module", false);
        let created = create_module::create(self, &system, self.is_demo()).await;
        let opened = match created {
            Ok(false) => {
                self.action_set_enabled("editor.create-module", true);
                return;
            }
            Ok(true) => editor::open(None, system, ignore_file),
            Err(problem) => Err(OpenError::Problem(problem)),
        };
        match opened {
            Ok(model) => {
                self.imp().without_persistence.take();
                self.edit(model);
            }
            Err(OpenError::Problem(problem)) => {
                self.action_set_enabled("editor.create-module", true);
                self.add_toast_with_details(&gettext("Nothing was created"), &problem);
            }
            Err(OpenError::NoPersistence { .. }) => {
                self.action_set_enabled("editor.create-module", true);
                self.add_toast_with_details(
                    &gettext("Not imported"),
                    &gettext("The new file is not imported; look at configuration.nix"),
                );
            }
        }
    }

    pub fn model(&self) -> Option<KsEditorModel> {
        self.imp().model.get().cloned()
    }

    pub fn view_stack(&self) -> adw::ViewStack {
        self.imp().view_stack.get()
    }

    pub fn add_toast(&self, toast: adw::Toast) {
        self.imp().toast_overlay.add_toast(toast);
    }

    /// A toast whose `title` is short enough for a narrow window, with a
    /// Details button that shows all of `details`.
    pub fn add_toast_with_details(&self, title: &str, details: &str) {
        let toast = adw::Toast::builder()
            .title(glib::markup_escape_text(title))
            .button_label(gettext("_Details"))
            .timeout(10)
            .build();
        let details = details.to_owned();
        let title = title.to_owned();
        toast.connect_button_clicked(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_| {
                let dialog = adw::AlertDialog::new(Some(&title), Some(&details));
                dialog.add_response("close", &gettext("_Close"));
                dialog.present(Some(&window));
            }
        ));
        self.add_toast(toast);
    }

    fn update_banner(&self) {
        let Some(model) = self.model() else {
            return;
        };
        let count = model.n_changes();
        let banner = &self.imp().changes_banner;
        banner.set_title(&ngettext_f(
            "{n} change waiting to be applied",
            "{n} changes waiting to be applied",
            u32::try_from(count).unwrap_or(u32::MAX),
            &[],
        ));
        banner.set_revealed(count > 0);
        self.action_set_enabled("editor.review", count > 0);
    }

    fn review(&self) {
        let Some(model) = self.model() else {
            return;
        };
        let dialog = KsReviewDialog::new(&model);
        dialog.connect_apply(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |_, activation| {
                glib::spawn_future_local(async move {
                    window.apply(activation).await;
                });
            }
        ));
        dialog.present(Some(self));
    }

    async fn apply(&self, activation: Activation) {
        let Some(model) = self.model() else {
            return;
        };
        let conflicts = conflicts(&model);
        let conflict = match conflicts.first() {
            None => None,
            Some(first) => match self
                .ask_conflict(&model.live_root(), first, conflicts.len())
                .await
            {
                Some(choice) => Some(choice),
                None => return,
            },
        };
        let demo = self
            .application()
            .and_downcast::<KsApplication>()
            .is_some_and(|app| app.demo());
        // An Undo offered before the apply would take back what is applied.
        self.imp().toast_overlay.dismiss_all();
        let dialog = KsApplyDialog::new(&model, demo, self.demo_rebuild_fails());
        dialog.present(Some(self));
        dialog.start(activation, conflict);
        self.imp().apply_dialog.replace(Some(dialog));
    }

    async fn confirm_discard(&self, pending: usize) {
        let dialog = adw::AlertDialog::new(
            Some(&gettext("Discard the Changes?")),
            Some(&ngettext_f(
                "{n} change was not applied. Closing forgets it; nothing on the system changes.",
                "{n} changes were not applied. Closing forgets them; nothing on the system changes.",
                u32::try_from(pending).unwrap_or(u32::MAX),
                &[],
            )),
        );
        dialog.add_response("keep", &gettext("_Keep Editing"));
        dialog.add_response("discard", &gettext("_Discard and Close"));
        dialog.set_response_appearance("discard", adw::ResponseAppearance::Destructive);
        dialog.set_default_response(Some("keep"));
        dialog.set_close_response("keep");
        if dialog.choose_future(Some(self)).await == "discard" {
            self.imp().discard_confirmed.set(true);
            self.close();
        }
    }

    /// Which copy stays when storage already holds data at a newly kept
    /// path that has live data too; `None` when the person cancels.
    async fn ask_conflict(
        &self,
        root: &Path,
        first: &DataMove,
        count: usize,
    ) -> Option<ConflictChoice> {
        // As the system sees them, also in the demo's scratch root.
        let seen = |path: &Path| {
            Path::new("/")
                .join(path.strip_prefix(root).unwrap_or(path))
                .display()
                .to_string()
        };
        let (stored, live) = (seen(&first.stored), seen(&first.live));
        let body = match count.checked_sub(1).filter(|others| *others > 0) {
            None => gettext_f(
                "{stored} exists already, and {live} has data now. Which copy should be kept? The other is set aside as a dated backup next to it; nothing is overwritten.",
                &[("stored", &isolate(&stored)), ("live", &isolate(&live))],
            ),
            Some(others) => ngettext_f(
                "{stored} and {n} other path exist already in storage, and have live data too. Which copies should be kept? The others are set aside as dated backups next to them; nothing is overwritten.",
                "{stored} and {n} other paths exist already in storage, and have live data too. Which copies should be kept? The others are set aside as dated backups next to them; nothing is overwritten.",
                u32::try_from(others).unwrap_or(u32::MAX),
                &[("stored", &isolate(&stored))],
            ),
        };
        let dialog =
            adw::AlertDialog::new(Some(&gettext("Storage Already Has This Data")), Some(&body));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("stored", &gettext("Keep the _Stored Copy"));
        dialog.add_response("live", &gettext("Keep the _Live Copy"));
        dialog.set_default_response(Some("stored"));
        dialog.set_close_response("cancel");
        match dialog.choose_future(Some(self)).await.as_str() {
            "stored" => Some(ConflictChoice::KeepStored),
            "live" => Some(ConflictChoice::KeepLive),
            _ => None,
        }
    }
}

/// The data moves of the pending additions that would meet data in
/// storage, as the system (or the demo) stands now.
fn conflicts(model: &KsEditorModel) -> Vec<DataMove> {
    let root = model.live_root();
    model.with_state(|state| {
        let Ok(applied) = PersistenceDocument::parse(state.original()) else {
            return Vec::new();
        };
        Pending::between(applied.persistence(), state.persistence())
            .added
            .iter()
            .map(|kept| kept.data_move(&root, None))
            .filter(|data_move| {
                std::fs::symlink_metadata(&data_move.live).is_ok()
                    && std::fs::symlink_metadata(&data_move.stored).is_ok()
            })
            .collect()
    })
}
