// SPDX-License-Identifier: GPL-3.0-or-later
use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/welcome-page.ui")]
    pub struct KsWelcomePage {}

    #[glib::object_subclass]
    impl ObjectSubclass for KsWelcomePage {
        const NAME: &'static str = "KsWelcomePage";
        type Type = super::KsWelcomePage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("welcome.explain", None, |page, _, _| {
                page.explain_persistence();
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsWelcomePage {}
    impl WidgetImpl for KsWelcomePage {}
    impl NavigationPageImpl for KsWelcomePage {}
}

glib::wrapper! {
    pub struct KsWelcomePage(ObjectSubclass<imp::KsWelcomePage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsWelcomePage {
    /// The idea behind the whole installer, in words for someone who has
    /// never heard of "erase your darlings".
    fn explain_persistence(&self) {
        let dialog = adw::AlertDialog::new(
            Some(&gettext("What Is Erased at Every Boot?")),
            Some(&gettext(
                "Your new system starts every boot from a clean slate: files that programs leave behind outside your list are gone after a restart, so clutter and forgotten changes cannot pile up.\n\nWhat you list is kept: your home folder, your Wi-Fi connections, logs, and any folder or file you add. Keepsake suggests what a working desktop needs, and you can change the list at any time after installing.\n\nThe NixOS configuration itself is always kept, so the system you boot is always the one you described.",
            )),
        );
        dialog.add_response("close", &gettext("_Got It"));
        dialog.set_default_response(Some("close"));
        dialog.present(Some(self));
    }
}

impl Default for KsWelcomePage {
    fn default() -> Self {
        glib::Object::new()
    }
}
