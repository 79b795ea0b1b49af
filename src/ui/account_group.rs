// SPDX-License-Identifier: GPL-3.0-or-later
//! One account on the users page: full name, user name, password typed
//! twice, the administrator switch, whether the home is kept whole, and a
//! remove button. It edits `plan.users[index]`.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;
use gtk::glib::subclass::Signal;

use super::{KsPlanModel, KsStrengthMeter, name_button, name_reveal_button, show_message};
use crate::i18n::gettext_f;
use crate::plan::{Password, Secret, strength};

mod imp {
    use std::sync::OnceLock;

    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/account-group.ui")]
    #[properties(wrapper_type = super::KsAccountGroup)]
    pub struct KsAccountGroup {
        #[template_child]
        pub(super) group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) remove_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) full_name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) user_name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) password_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) password_repeat_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) admin_row: TemplateChild<adw::SwitchRow>,
        #[template_child]
        pub(super) home_row: TemplateChild<adw::SwitchRow>,
        #[template_child]
        pub(super) strength_meter: TemplateChild<KsStrengthMeter>,
        #[template_child]
        pub(super) problem_label: TemplateChild<gtk::Label>,
        #[property(get, set, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        /// Which of the plan's users this is.
        #[property(get, set)]
        pub(super) index: Cell<u32>,
        /// The user name was typed by hand: stop deriving it.
        pub(super) user_name_typed: Cell<bool>,
        /// Rows are being set from the plan: do not write them back.
        pub(super) syncing: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsAccountGroup {
        const NAME: &'static str = "KsAccountGroup";
        type Type = super::KsAccountGroup;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsAccountGroup {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| vec![Signal::builder("remove-requested").build()])
        }

        fn constructed(&self) {
            self.parent_constructed();
            for row in [&self.password_row, &self.password_repeat_row] {
                name_reveal_button(row);
            }
        }
    }

    impl WidgetImpl for KsAccountGroup {}
    impl BoxImpl for KsAccountGroup {}
}

glib::wrapper! {
    pub struct KsAccountGroup(ObjectSubclass<imp::KsAccountGroup>)
        @extends gtk::Widget, gtk::Box,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

#[gtk::template_callbacks]
impl KsAccountGroup {
    pub fn new(model: &KsPlanModel, index: usize) -> Self {
        let group: Self = glib::Object::builder()
            .property("plan-model", model)
            .property("index", index as u32)
            .build();
        group.set_widget_name(&format!("account-{index}"));
        group.load();
        group
    }

    /// Fills the rows from the plan's user; the passwords stay empty (the
    /// plan holds only what both entries agreed on).
    fn load(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let index = imp.index.get() as usize;
        let Some(user) = model.with_plan(|plan| plan.users.get(index).cloned()) else {
            return;
        };
        imp.syncing.set(true);
        imp.full_name_row.set_text(&user.full_name);
        imp.user_name_row.set_text(&user.name);
        imp.admin_row.set_active(user.is_administrator());
        imp.syncing.set(false);
        imp.user_name_typed.set(!user.name.is_empty());
        self.sync();
    }

    pub fn connect_remove_requested<F: Fn(&Self) + 'static>(&self, callback: F) {
        self.connect_local("remove-requested", false, move |values| {
            let group = values[0].get::<Self>().expect("the emitter");
            callback(&group);
            None
        });
    }

    #[template_callback]
    fn on_remove_clicked(&self) {
        self.emit_by_name::<()>("remove-requested", &[]);
    }

    #[template_callback]
    fn on_full_name_changed(&self) {
        let imp = self.imp();
        if imp.syncing.get() {
            return;
        }
        if !imp.user_name_typed.get() {
            let derived = user_name_from(&imp.full_name_row.text());
            imp.syncing.set(true);
            imp.user_name_row.set_text(&derived);
            imp.syncing.set(false);
        }
        self.store();
    }

    #[template_callback]
    fn on_user_name_changed(&self) {
        let imp = self.imp();
        if imp.syncing.get() {
            return;
        }
        imp.user_name_typed
            .set(!imp.user_name_row.text().is_empty());
        self.store();
    }

    #[template_callback]
    fn on_home_changed(&self) {
        let imp = self.imp();
        if imp.syncing.get() {
            return;
        }
        let Some(model) = self.plan_model() else {
            return;
        };
        let index = imp.index.get() as usize;
        let whole = imp.home_row.is_active();
        if model.with_plan(|plan| plan.home_kept_whole(index)) != whole {
            model.update(|plan| plan.set_keep_whole_home(index, whole));
        }
    }

    #[template_callback]
    fn on_changed(&self) {
        if !self.imp().syncing.get() {
            self.store();
        }
    }

    /// Writes the account as typed into the plan. A password counts only
    /// once both entries agree.
    fn store(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let index = imp.index.get() as usize;
        let full_name = imp.full_name_row.text().to_string();
        let name = imp.user_name_row.text().to_string();
        let password = agreed_password(&imp.password_row, &imp.password_repeat_row);
        let admin = imp.admin_row.is_active();
        model.update(|plan| {
            plan.rename_user(index, &name);
            let Some(user) = plan.users.get_mut(index) else {
                return;
            };
            user.full_name = full_name;
            user.password = password;
            user.set_administrator(admin);
        });
    }

    /// Shows the account's problems; false while it has one.
    pub fn sync(&self) -> bool {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return false;
        };
        let index = imp.index.get() as usize;
        let count = model.with_plan(|plan| plan.users.len());
        let title = if count > 1 {
            gettext_f("Account {number}", &[("number", &(index + 1).to_string())])
        } else {
            gettext("Your Account")
        };
        imp.group.set_title(&title);
        imp.remove_button.set_visible(count > 1);
        // Every account has its trash button: say whose it is.
        let user_name = model
            .with_plan(|plan| plan.users.get(index).map(|user| user.name.clone()))
            .filter(|name| !name.is_empty());
        let remove_name = match user_name {
            // Translators: read by screen readers for the trash button of an account; {name} is its user name, such as “alice”.
            Some(name) => gettext_f("Remove Account {name}", &[("name", &name)]),
            // Translators: read by screen readers for the trash button of an account without a user name yet; {account} is its title, such as “Account 2”.
            None => gettext_f("Remove {account}", &[("account", &title)]),
        };
        name_button(&imp.remove_button, &remove_name);
        self.sync_home(&model, index);
        let field = |name: &str| format!("users[{index}].{name}");
        let problem = ["full_name", "name", "password", "keep_whole_home"]
            .into_iter()
            .find_map(|name| model.problem(&field(name)));
        self.sync_strength(&model, index);
        let mismatch = differs(&imp.password_row, &imp.password_repeat_row);
        let message = if mismatch {
            Some(gettext(
                "The passwords differ. Type the same password twice.",
            ))
        } else {
            problem
        };
        show_message(&imp.problem_label, message.as_deref());
        for (row, name) in [
            (
                imp.full_name_row.upcast_ref::<adw::PreferencesRow>(),
                "full_name",
            ),
            (imp.user_name_row.upcast_ref(), "name"),
            (imp.home_row.upcast_ref(), "keep_whole_home"),
        ] {
            if model.problem(&field(name)).is_some() {
                row.add_css_class("error");
            } else {
                row.remove_css_class("error");
            }
        }
        message.is_none()
    }
}

impl KsAccountGroup {
    /// The meter of the password as typed, knowing the names typed on this
    /// page and the host name; hidden while the password is empty.
    fn sync_strength(&self, model: &KsPlanModel, index: usize) {
        let imp = self.imp();
        let password = imp.password_row.text();
        imp.strength_meter.set_visible(!password.is_empty());
        if password.is_empty() {
            return;
        }
        let related = model.with_plan(|plan| {
            let mut words = vec![plan.system.hostname.clone()];
            if let Some(user) = plan.users.get(index) {
                words.push(user.name.clone());
                words.extend(user.full_name.split_whitespace().map(str::to_owned));
            }
            words
        });
        let related: Vec<&str> = related.iter().map(String::as_str).collect();
        imp.strength_meter
            .show_strength(&strength::assess_password(&password, &related));
    }

    /// The home switch follows the plan, and its subtitle says where the
    /// home is kept or what of it survives a reboot.
    fn sync_home(&self, model: &KsPlanModel, index: usize) {
        let imp = self.imp();
        let Some((kept, subvolume, storage, entries)) = model.with_plan(|plan| {
            let user = plan.users.get(index)?;
            let entries: Vec<String> = plan
                .kept_in_homes()
                .iter()
                .filter(|home| home.user == user.name)
                .flat_map(|home| {
                    home.directories
                        .iter()
                        .map(|directory| &directory.path)
                        .chain(&home.files)
                        .map(|path| format!("~/{path}"))
                })
                .collect();
            Some((
                plan.home_kept_whole(index),
                plan.home_subvolume(&user.name),
                plan.persistence.path.clone(),
                entries,
            ))
        }) else {
            return;
        };
        if imp.home_row.is_active() != kept {
            imp.syncing.set(true);
            imp.home_row.set_active(kept);
            imp.syncing.set(false);
        }
        // A subvolume of the home's own is the layout page's to remove.
        let own_subvolume = subvolume.as_deref().filter(|mount| *mount != "/home");
        imp.home_row.set_sensitive(own_subvolume.is_none());
        let subtitle = match (own_subvolume, subvolume.is_some(), kept) {
            (Some(mount_point), ..) => gettext_f(
                "On the subvolume mounted at {mount_point}, which keeps everything in it.",
                &[("mount_point", &isolated(mount_point))],
            ),
            (None, true, _) => gettext(
                "On the shared /home subvolume, which keeps everything in it. Switched off, this home is erased at every boot but for chosen folders, and /home stops being a subvolume.",
            ),
            (None, false, true) => gettext_f(
                "Everything in it is kept in {storage}.",
                &[("storage", &isolated(&storage))],
            ),
            (None, false, false) if entries.is_empty() => gettext("Erased at every boot."),
            (None, false, false) => gettext_f(
                "Erased at every boot, except {paths}.",
                &[("paths", &isolated(&entries.join(", ")))],
            ),
        };
        imp.home_row
            .set_subtitle(&glib::markup_escape_text(&subtitle));
    }
}

/// `text` in a bidirectional isolate (first strong character decides), so
/// that a right-to-left sentence does not reorder the slashes and dots of
/// the paths in it.
fn isolated(text: &str) -> String {
    format!("\u{2068}{text}\u{2069}")
}

fn differs(row: &adw::PasswordEntryRow, repeat: &adw::PasswordEntryRow) -> bool {
    let repeated = repeat.text();
    !repeated.is_empty() && row.text() != repeated
}

pub(super) fn agreed_password(
    row: &adw::PasswordEntryRow,
    repeat: &adw::PasswordEntryRow,
) -> Option<Password> {
    let text = row.text();
    (!text.is_empty() && text == repeat.text())
        .then(|| Password::Clear(Secret::new(text.to_string())))
}

/// "Ada Lovelace" → "ada": the first name in the letters a user name allows.
fn user_name_from(full_name: &str) -> String {
    let first = full_name.split_whitespace().next().unwrap_or_default();
    first
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .skip_while(|c| !c.is_ascii_lowercase() && *c != '_')
        .take(32)
        .collect()
}
