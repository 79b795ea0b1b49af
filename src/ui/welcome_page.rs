// SPDX-License-Identifier: GPL-3.0-or-later
use std::cell::Cell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/welcome-page.ui")]
    #[properties(wrapper_type = super::KsWelcomePage)]
    pub struct KsWelcomePage {
        #[template_child]
        pub(super) demo_banner: TemplateChild<adw::Banner>,
        /// Whether the banner says that disks are simulated.
        #[property(get, set = Self::set_demo)]
        pub(super) demo: Cell<bool>,
    }

    impl KsWelcomePage {
        fn set_demo(&self, demo: bool) {
            self.demo.set(demo);
            self.demo_banner.set_revealed(demo);
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsWelcomePage {
        const NAME: &'static str = "KsWelcomePage";
        type Type = super::KsWelcomePage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsWelcomePage {}
    impl WidgetImpl for KsWelcomePage {}
    impl NavigationPageImpl for KsWelcomePage {}
}

glib::wrapper! {
    pub struct KsWelcomePage(ObjectSubclass<imp::KsWelcomePage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl Default for KsWelcomePage {
    fn default() -> Self {
        glib::Object::new()
    }
}
