// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 3: LUKS on or off, the passphrase typed twice, and an optional
//! recovery key, shown once.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gdk, glib};

use super::{
    KsPlanModel, KsStrengthMeter, KsWizardPage, KsWizardPageExt, KsWizardPageImpl,
    name_reveal_button, show_message,
};
use crate::i18n::gettext_f;
use crate::plan::strength::{self, Level};
use crate::plan::{RecoveryKey, Secret, recovery_key};

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
        pub(super) recovery_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) recovery_row: TemplateChild<adw::SwitchRow>,
        /// The keyboard layout the passphrase is typed with at boot.
        #[property(get, set = Self::set_keyboard_name)]
        pub(super) keyboard_name: RefCell<String>,
        /// The recovery key dialog is open: the switch is on, the plan
        /// has no key yet.
        pub(super) showing_recovery_key: Cell<bool>,
    }

    impl KsEncryptionPage {
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
        type ParentType = KsWizardPage;

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

    impl KsWizardPageImpl for KsEncryptionPage {
        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsEncryptionPage(ObjectSubclass<imp::KsEncryptionPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
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
        self.refresh_page();
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
        self.refresh_page();
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

    #[template_callback]
    fn on_recovery_key_changed(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let wanted = self.imp().recovery_row.is_active();
        let planned = model.with_plan(|plan| plan.encryption.recovery_key);
        if wanted == planned || self.imp().showing_recovery_key.get() {
            return;
        }
        if wanted {
            glib::spawn_future_local(glib::clone!(
                #[weak(rename_to = page)]
                self,
                async move { page.offer_recovery_key().await }
            ));
        } else {
            // Dropping the key wipes it; a new one is made if the switch
            // is turned on again.
            model.update(|plan| {
                plan.encryption.recovery_key = false;
                plan.encryption.recovery_key_secret = None;
            });
        }
    }

    /// Makes a key and shows it; it goes into the plan only once the person
    /// says it is saved. The dialog is the only place it is ever shown.
    async fn offer_recovery_key(&self) {
        let imp = self.imp();
        imp.showing_recovery_key.set(true);
        let saved = match RecoveryKey::generate() {
            Ok(key) => recovery_key_dialog(&key)
                .choose_future(Some(self))
                .await
                .eq("saved")
                .then_some(key),
            Err(error) => {
                let dialog = adw::AlertDialog::new(
                    Some(&gettext("No Recovery Key")),
                    Some(&gettext_f(
                        "The system could not make a random key: {problem}. Try again, or go on without a recovery key.",
                        &[("problem", &error.to_string())],
                    )),
                );
                dialog.add_response("close", &gettext("_Close"));
                dialog.choose_future(Some(self)).await;
                None
            }
        };
        imp.showing_recovery_key.set(false);
        if let (Some(key), Some(model)) = (saved, self.plan_model()) {
            model.update(|plan| {
                plan.encryption.recovery_key = true;
                plan.encryption.recovery_key_secret = Some(key.secret().clone());
            });
        }
        // Back off unless the key was saved.
        self.refresh_page();
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
        let _ = self.activate_action("navigation.push", Some(&"persistence".to_variant()));
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let (enabled, recovery_key) = model.with_plan(|plan| {
            (
                plan.encryption.enabled,
                plan.encryption.recovery_key && plan.encryption.recovery_key_secret.is_some(),
            )
        });
        if imp.enabled_row.is_active() != enabled {
            imp.enabled_row.set_active(enabled);
        }
        if !imp.showing_recovery_key.get() && imp.recovery_row.is_active() != recovery_key {
            imp.recovery_row.set_active(recovery_key);
        }
        imp.passphrase_group.set_sensitive(enabled);
        imp.recovery_group.set_sensitive(enabled);
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
        // A recovery key counts once it was saved (the switch is on while
        // its dialog is open).
        let complete = !enabled
            || model.with_plan(|plan| plan.encryption.passphrase.is_some())
                && (recovery_key || !imp.recovery_row.is_active());
        complete && !model.has_problems_under(&["encryption"])
    }
}

/// The dialog that shows `key`, with Copy, and asks whether it is saved:
/// “saved”, or “cancel” to go on without it.
fn recovery_key_dialog(key: &RecoveryKey) -> adw::AlertDialog {
    let dialog = adw::AlertDialog::new(
        Some(&gettext("Save Your Recovery Key")),
        Some(&gettext(
            "If you forget the passphrase, type this key at boot instead, spaces included. Write it down or save it in a password manager, away from this computer: it is shown only now, and anyone who has it can read the disk.",
        )),
    );
    // Two lines of four groups, where the dialog is wide enough.
    let half = recovery_key::GROUPS / 2 * (recovery_key::GROUP_LENGTH + 1) - 1;
    let text = gtk::Label::builder()
        .label(key.expose())
        .name("recovery-key-text")
        .wrap(true)
        .max_width_chars(i32::try_from(half).unwrap_or(-1))
        .justify(gtk::Justification::Center)
        .css_classes(["monospace", "title-3"])
        .build();
    let copy_label = adw::ButtonContent::builder()
        .icon_name("edit-copy-symbolic")
        .label(gettext("C_opy"))
        .use_underline(true)
        .build();
    let copy = gtk::Button::builder()
        .child(&copy_label)
        .name("copy-recovery-key")
        .halign(gtk::Align::Center)
        .css_classes(["pill"])
        .build();
    // A copy that is wiped with the button (the label's and the
    // clipboard's belong to GTK).
    let copied = key.clone();
    copy.connect_clicked(move |button| {
        button.clipboard().set_text(copied.expose());
        copy_label.set_label(&gettext("Copied"));
        copy_label.set_icon_name("object-select-symbolic");
    });
    let content = gtk::Box::builder()
        .orientation(gtk::Orientation::Vertical)
        .spacing(12)
        .build();
    content.append(&text);
    content.append(&copy);
    dialog.set_extra_child(Some(&content));
    dialog.add_response("cancel", &gettext("_Cancel"));
    dialog.add_response("saved", &gettext("I Have _Saved It"));
    dialog.set_response_appearance("saved", adw::ResponseAppearance::Suggested);
    // Enter or Escape must not confirm a key nobody saved.
    dialog.set_default_response(None);
    dialog.set_close_response("cancel");
    dialog
}
