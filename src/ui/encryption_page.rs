// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 3: LUKS on or off, and the passphrase typed twice.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gdk, glib};

use super::{KsNixPreview, KsPlanModel, KsStrengthMeter, name_reveal_button, show_message};
use crate::i18n::gettext_f;
use crate::plan::Secret;
use crate::plan::strength::{self, Level};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/encryption-page.ui")]
    #[properties(wrapper_type = super::KsEncryptionPage)]
    pub struct KsEncryptionPage {
        #[template_child]
        pub(super) enabled_row: TemplateChild<adw::SwitchRow>,
        #[template_child]
        pub(super) passphrase_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) passphrase_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) repeat_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) strength_meter: TemplateChild<KsStrengthMeter>,
        #[template_child]
        pub(super) mismatch_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) caps_lock_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) preview: TemplateChild<KsNixPreview>,
        #[template_child]
        pub(super) next_button: TemplateChild<gtk::Button>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        /// The keyboard layout the passphrase is typed with at boot.
        #[property(get, set = Self::set_keyboard_name)]
        pub(super) keyboard_name: RefCell<String>,
    }

    impl KsEncryptionPage {
        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            self.preview.set_plan_model(model.as_ref());
            self.plan_model.replace(model.clone());
            if let Some(model) = &model {
                model.keep_in_sync(&*self.obj(), super::KsEncryptionPage::sync);
            }
        }

        fn set_keyboard_name(&self, name: String) {
            let description = (!name.is_empty()).then(|| {
                gettext_f(
                    "At boot you will type this with: {keyboard}",
                    &[("keyboard", &name)],
                )
            });
            self.passphrase_group
                .set_description(description.as_deref());
            self.keyboard_name.replace(name);
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsEncryptionPage {
        const NAME: &'static str = "KsEncryptionPage";
        type Type = super::KsEncryptionPage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsEncryptionPage {
        fn constructed(&self) {
            self.parent_constructed();
            name_reveal_button(&self.passphrase_row);
            name_reveal_button(&self.repeat_row);
            let keyboard = gdk::Display::default()
                .and_then(|display| display.default_seat())
                .and_then(|seat| seat.keyboard());
            if let Some(keyboard) = keyboard {
                let label = self.caps_lock_label.get();
                label.set_visible(keyboard.is_caps_locked());
                keyboard.connect_caps_lock_state_notify(move |keyboard| {
                    label.set_visible(keyboard.is_caps_locked());
                });
            }
        }
    }

    impl WidgetImpl for KsEncryptionPage {}
    impl NavigationPageImpl for KsEncryptionPage {}
}

glib::wrapper! {
    pub struct KsEncryptionPage(ObjectSubclass<imp::KsEncryptionPage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsEncryptionPage {
    #[template_callback]
    fn on_enabled_changed(&self) {
        let enabled = self.imp().enabled_row.is_active();
        if let Some(model) = self.plan_model() {
            if model.with_plan(|plan| plan.encryption.enabled) != enabled {
                model.update(|plan| plan.encryption.enabled = enabled);
            }
        }
        self.sync();
    }

    #[template_callback]
    fn on_passphrase_changed(&self) {
        let imp = self.imp();
        let passphrase = imp.passphrase_row.text();
        let repeated = imp.repeat_row.text();
        imp.strength_meter
            .show_strength(&self.strength(&passphrase));
        let agreed = (!passphrase.is_empty() && passphrase == repeated)
            .then(|| Secret::new(passphrase.to_string()));
        if let Some(model) = self.plan_model() {
            if model.with_plan(|plan| plan.encryption.passphrase != agreed) {
                model.update(|plan| plan.encryption.passphrase = agreed);
            }
        }
        self.sync();
    }

    /// The estimate of `passphrase`, knowing the names typed elsewhere.
    fn strength(&self, passphrase: &str) -> strength::Strength {
        let related: Vec<String> = self
            .plan_model()
            .map(|model| {
                model.with_plan(|plan| {
                    let mut words = vec![plan.system.hostname.clone()];
                    for user in &plan.users {
                        words.push(user.name.clone());
                        words.extend(user.full_name.split_whitespace().map(str::to_owned));
                    }
                    words
                })
            })
            .unwrap_or_default();
        let related: Vec<&str> = related.iter().map(String::as_str).collect();
        strength::assess(passphrase, &related)
    }

    /// Next: a weak passphrase is accepted only once the person confirms it.
    #[template_callback]
    async fn on_next_clicked(&self) {
        let imp = self.imp();
        let enabled = imp.enabled_row.is_active();
        let weak = enabled && self.strength(&imp.passphrase_row.text()).level == Level::Weak;
        if weak {
            let dialog = adw::AlertDialog::new(
                Some(&gettext("Use a Weak Passphrase?")),
                Some(&gettext(
                    "Anyone who has the disk could guess this passphrase quickly and read everything on it. A few more words make it much harder.",
                )),
            );
            dialog.add_response("change", &gettext("_Change Passphrase"));
            dialog.add_response("use", &gettext("_Use Anyway"));
            dialog.set_response_appearance("use", adw::ResponseAppearance::Destructive);
            dialog.set_default_response(Some("change"));
            dialog.set_close_response("change");
            if dialog.choose_future(Some(self)).await != "use" {
                imp.passphrase_row.grab_focus();
                return;
            }
        }
        let _ = self.activate_action("navigation.push", Some(&"layout".to_variant()));
    }

    fn sync(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let enabled = model.with_plan(|plan| plan.encryption.enabled);
        if imp.enabled_row.is_active() != enabled {
            imp.enabled_row.set_active(enabled);
        }
        imp.passphrase_group.set_sensitive(enabled);
        imp.strength_meter.set_visible(enabled);
        let passphrase = imp.passphrase_row.text();
        let repeated = imp.repeat_row.text();
        let mismatch = enabled && !repeated.is_empty() && passphrase != repeated;
        // The strength label already says why a short passphrase is refused.
        let too_short = self.strength(&passphrase).level == Level::TooShort;
        let problem = model
            .problem("encryption.passphrase")
            .filter(|_| !too_short);
        let message = if mismatch {
            Some(gettext(
                "The passphrases differ. Type the same passphrase twice.",
            ))
        } else {
            problem
        };
        show_message(&imp.mismatch_label, message.as_deref());
        for row in [&imp.passphrase_row, &imp.repeat_row] {
            if mismatch {
                row.add_css_class("error");
            } else {
                row.remove_css_class("error");
            }
        }
        let complete = !enabled || model.with_plan(|plan| plan.encryption.passphrase.is_some());
        imp.next_button
            .set_sensitive(complete && !model.has_problems_under(&["encryption"]));
    }
}
