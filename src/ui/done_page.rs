// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 10: success, and the way into the new system.

use std::cell::Cell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::KsWindow;
use crate::i18n::gettext_f;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/done-page.ui")]
    #[properties(wrapper_type = super::KsDonePage)]
    pub struct KsDonePage {
        /// Restarting would only end the demo.
        #[property(get, set)]
        pub(super) demo: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsDonePage {
        const NAME: &'static str = "KsDonePage";
        type Type = super::KsDonePage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action_async("done.reboot", None, |page, _, _| async move {
                page.reboot().await;
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsDonePage {}
    impl WidgetImpl for KsDonePage {}
    impl NavigationPageImpl for KsDonePage {}
}

glib::wrapper! {
    pub struct KsDonePage(ObjectSubclass<imp::KsDonePage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsDonePage {
    async fn reboot(&self) {
        let window = self.root().and_downcast::<KsWindow>();
        let message = if self.demo() {
            Some(gettext(
                "Demo mode: nothing was installed, so there is nothing to restart into.",
            ))
        } else {
            let result = match gio::Subprocess::newv(
                &["systemctl".as_ref(), "reboot".as_ref()],
                gio::SubprocessFlags::NONE,
            ) {
                Ok(process) => process.wait_check_future().await,
                Err(error) => Err(error),
            };
            result.err().map(|error| {
                gettext_f(
                    "Could not restart: {error}. Restart from the system menu instead.",
                    &[("error", &error.to_string())],
                )
            })
        };
        if let (Some(window), Some(message)) = (window, message) {
            window.show_toast(&message);
        }
    }
}
