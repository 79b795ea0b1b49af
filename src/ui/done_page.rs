// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 10: success, said for the choices made: the passphrase only when
//! the disk is encrypted, the accounts to log in with, how to change what
//! is kept; then Restart (through logind) and Save Log.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::save_log;
use crate::i18n::gettext_f;
use crate::install::reboot;
use crate::plan::Plan;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/done-page.ui")]
    #[properties(wrapper_type = super::KsDonePage)]
    pub struct KsDonePage {
        #[template_child]
        pub(super) status_page: TemplateChild<adw::StatusPage>,
        #[template_child]
        pub(super) logins_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) toasts: TemplateChild<adw::ToastOverlay>,
        /// Restarting would only end the demo.
        #[property(get, set)]
        pub(super) demo: Cell<bool>,
        pub(super) login_rows: RefCell<Vec<adw::ActionRow>>,
        /// The install's log, for Save Log.
        pub(super) log: RefCell<String>,
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
            klass.install_action_async("done.save-log", None, |page, _, _| async move {
                let log = page.imp().log.borrow().clone();
                save_log(&page, log, &page.imp().toasts).await;
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
    /// Says what to do next with what `plan` installed; `log` is what
    /// Save Log writes.
    pub fn show_installed(&self, plan: &Plan, log: &str) {
        let imp = self.imp();
        imp.status_page
            .set_description(Some(&if plan.encryption.enabled {
                gettext(
                    "Remove the installation medium and restart. When the computer starts, type the disk passphrase, then log in.",
                )
            } else {
                gettext("Remove the installation medium and restart, then log in.")
            }));
        for row in imp.login_rows.take() {
            imp.logins_group.remove(&row);
        }
        let administrator = gettext("_Administrator").replace('_', "");
        let mut rows = Vec::new();
        for user in &plan.users {
            let full_name = user.full_name.trim();
            // The user name is what is typed at a text login: the more
            // visible line.
            let row = if full_name.is_empty() {
                adw::ActionRow::builder()
                    .title(glib::markup_escape_text(&user.name))
                    .build()
            } else {
                adw::ActionRow::builder()
                    .title(glib::markup_escape_text(full_name))
                    .subtitle(glib::markup_escape_text(&user.name))
                    .css_classes(["property"])
                    .build()
            };
            row.set_widget_name(&format!("login:{}", user.name));
            if user.is_administrator() {
                row.add_suffix(
                    &gtk::Label::builder()
                        .label(administrator.as_str())
                        .css_classes(["dim-label", "caption"])
                        .build(),
                );
            }
            rows.push(row);
        }
        if plan.root_password.is_some() {
            rows.push(
                adw::ActionRow::builder()
                    .title(glib::markup_escape_text(&gettext("Root Account")))
                    .subtitle("root")
                    .css_classes(["property"])
                    .name("login:root")
                    .build(),
            );
        }
        for row in &rows {
            imp.logins_group.add(row);
        }
        imp.logins_group.set_visible(!rows.is_empty());
        imp.login_rows.replace(rows);
        imp.log.replace(log.to_owned());
    }

    /// What the page says about the next start.
    pub fn description(&self) -> String {
        self.imp()
            .status_page
            .description()
            .map(String::from)
            .unwrap_or_default()
    }

    async fn reboot(&self) {
        let message = if self.demo() {
            Some(gettext(
                "Demo mode: nothing was installed, so there is nothing to restart into.",
            ))
        } else {
            reboot::reboot().await.err().map(|error| {
                gettext_f(
                    "Could not restart: {error}. Restart from the system menu instead.",
                    &[("error", &error.to_string())],
                )
            })
        };
        if let Some(message) = message {
            self.imp().toasts.add_toast(adw::Toast::new(&message));
        }
    }
}
