// SPDX-License-Identifier: GPL-3.0-or-later
use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::{KsApplication, KsWelcomePage};
use crate::config;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/window.ui")]
    pub struct KsWindow {
        #[template_child]
        pub(super) toast_overlay: TemplateChild<adw::ToastOverlay>,
        #[template_child]
        pub(super) navigation_view: TemplateChild<adw::NavigationView>,
        #[template_child]
        pub(super) welcome_page: TemplateChild<KsWelcomePage>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsWindow {
        const NAME: &'static str = "KsWindow";
        type Type = super::KsWindow;
        type ParentType = adw::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsWindow {
        fn constructed(&self) {
            self.parent_constructed();
            if config::PROFILE == "development" {
                self.obj().add_css_class("devel");
            }
        }
    }

    impl WidgetImpl for KsWindow {}
    impl WindowImpl for KsWindow {}
    impl ApplicationWindowImpl for KsWindow {}
    impl AdwApplicationWindowImpl for KsWindow {}
}

glib::wrapper! {
    pub struct KsWindow(ObjectSubclass<imp::KsWindow>)
        @extends gtk::Widget, gtk::Window, gtk::ApplicationWindow, adw::ApplicationWindow,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Accessible, gtk::Buildable,
            gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

impl KsWindow {
    pub fn new(app: &KsApplication) -> Self {
        let window: Self = glib::Object::builder().property("application", app).build();
        window.imp().welcome_page.set_demo(app.demo());
        window
    }

    /// Shows a short message at the bottom of the window.
    pub fn show_toast(&self, message: &str) {
        self.imp().toast_overlay.add_toast(adw::Toast::new(message));
    }

    pub fn navigation_view(&self) -> adw::NavigationView {
        self.imp().navigation_view.get()
    }
}
