// SPDX-License-Identifier: GPL-3.0-or-later
use std::cell::{Cell, OnceCell, RefCell};
use std::path::PathBuf;
use std::time::Instant;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::KsWindow;
use super::editor::{self, KsEditorModel, KsEditorWindow, OpenError};
use crate::GuiOptions;
use crate::config;
use crate::i18n::gettext_f;
use crate::kept::{DemoSystem, IgnoredPaths, SystemKind, SystemView, system_kind};

/// `KEEPSAKE_DEMO_PERSISTENCE=none keepsake --demo --edit` starts the demo
/// system before anything is kept: no file defines `environment.persistence`
/// and the editor offers to create one. The editor's tests use it.
const DEMO_PERSISTENCE_VARIABLE: &str = "KEEPSAKE_DEMO_PERSISTENCE";

mod imp {
    use super::*;

    #[derive(Debug, Default, glib::Properties)]
    #[properties(wrapper_type = super::KsApplication)]
    pub struct KsApplication {
        /// Fake disks and a simulated install.
        #[property(get, construct_only)]
        pub(super) demo: Cell<bool>,
        /// The persistence editor instead of the installer.
        #[property(get, construct_only)]
        pub(super) edit: Cell<bool>,
        pub(super) config: RefCell<Option<PathBuf>>,
        /// The fake installed system of `--demo --edit`, removed at exit.
        pub(super) demo_system: RefCell<Option<tempfile::TempDir>>,
        pub(super) screenshot: RefCell<Option<PathBuf>>,
        pub(super) launched: OnceCell<Instant>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsApplication {
        const NAME: &'static str = "KsApplication";
        type Type = super::KsApplication;
        type ParentType = adw::Application;
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsApplication {}

    impl ApplicationImpl for KsApplication {
        fn startup(&self) {
            self.parent_startup();
            let app = self.obj();
            gtk::Window::set_default_icon_name(config::BASE_APP_ID);
            app.setup_actions();
            app.set_accels_for_action("app.quit", &["<Control>q"]);
            app.set_accels_for_action("window.close", &["<Control>w"]);
            app.set_accels_for_action("win.show-preview", &["F9"]);
        }

        fn shutdown(&self) {
            // Dropping the directory removes the demo system.
            self.demo_system.take();
            self.parent_shutdown();
        }

        fn activate(&self) {
            self.parent_activate();
            let app = self.obj();
            if let Some(window) = app.active_window() {
                window.present();
                return;
            }
            let window: gtk::Window = if app.edit() || self.on_installed_system() {
                KsEditorWindow::new(&app, self.open_editor()).upcast()
            } else {
                KsWindow::new(&app).upcast()
            };
            if let Some(path) = self.screenshot.borrow().clone() {
                let launched = *self.launched.get().expect("set in KsApplication::new");
                super::super::screenshot::save_after_first_frame(&window, path, launched);
            }
            window.present();
        }
    }

    impl KsApplication {
        /// Started without `--demo` on a NixOS with an erased root (not the
        /// live ISO), Keepsake's job is the editor.
        fn on_installed_system(&self) -> bool {
            !self.demo.get()
                && SystemView::running()
                    .is_ok_and(|view| system_kind(&view) == SystemKind::Installed)
        }

        /// The model of the system to edit: this one, or in demo mode a
        /// fake installed system in a scratch directory.
        fn open_editor(&self) -> Result<KsEditorModel, OpenError> {
            if !self.demo.get() {
                let system = SystemView::running().map_err(|error| {
                    OpenError::Problem(gettext_f(
                        "Cannot read the mount table: {error}",
                        &[("error", &error.to_string())],
                    ))
                })?;
                return editor::open(
                    self.config.borrow().as_deref(),
                    system,
                    IgnoredPaths::default_file(),
                );
            }
            let without_persistence =
                std::env::var_os(DEMO_PERSISTENCE_VARIABLE).is_some_and(|value| value == "none");
            let created = tempfile::Builder::new()
                .prefix("keepsake-demo-")
                .tempdir()
                .and_then(|dir| {
                    let system = dir.path().join("system");
                    let demo = if without_persistence {
                        DemoSystem::create_without_persistence(&system)?
                    } else {
                        DemoSystem::create(&system)?
                    };
                    Ok((demo, dir))
                });
            let (demo, dir) = created.map_err(|error| {
                OpenError::Problem(gettext_f(
                    "Cannot create the demo system: {error}",
                    &[("error", &error.to_string())],
                ))
            })?;
            // The demo's choices stay in the demo, not in the person's
            // state directory.
            let ignore_file = dir.path().join("state/ignored.json");
            self.demo_system.replace(Some(dir));
            let config = (!without_persistence).then_some(demo.config_file.as_path());
            editor::open(config, demo.view(), Some(ignore_file))
        }
    }

    impl GtkApplicationImpl for KsApplication {}
    impl AdwApplicationImpl for KsApplication {}
}

glib::wrapper! {
    pub struct KsApplication(ObjectSubclass<imp::KsApplication>)
        @extends gio::Application, gtk::Application, adw::Application,
        @implements gio::ActionGroup, gio::ActionMap;
}

impl KsApplication {
    pub fn new(options: &GuiOptions, launched: Instant) -> Self {
        let app: Self = glib::Object::builder()
            .property("application-id", config::APP_ID)
            .property("resource-base-path", "/io/github/keepsake/Keepsake/")
            .property("demo", options.demo)
            .property("edit", options.edit)
            .build();
        app.imp().config.replace(options.config.clone());
        app.imp().screenshot.replace(options.screenshot.clone());
        app.imp()
            .launched
            .set(launched)
            .expect("a new application has no launch time yet");
        app
    }

    fn setup_actions(&self) {
        let quit = gio::ActionEntry::builder("quit")
            // Through each window's close request, which stops a running
            // install first; the application ends with its last window.
            .activate(|app: &Self, _, _| {
                for window in app.windows() {
                    window.close();
                }
            })
            .build();
        let about = gio::ActionEntry::builder("about")
            .activate(|app: &Self, _, _| app.show_about())
            .build();
        self.add_action_entries([quit, about]);
    }

    fn show_about(&self) {
        let about = adw::AboutDialog::builder()
            .application_name(gettext("Keepsake"))
            .application_icon(config::BASE_APP_ID)
            .developer_name(gettext("The Keepsake developers"))
            .version(config::VERSION)
            .comments(gettext(
                "Install NixOS with an encrypted disk and a root file system that is erased at every boot, then choose what it keeps.",
            ))
            .license_type(gtk::License::Gpl30)
            // Translators: replace with your names, one per line.
            .translator_credits(gettext("translator-credits"))
            .build();
        about.present(self.active_window().as_ref());
    }
}
