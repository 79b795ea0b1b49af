// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 7: the first account, its password, and an optional root password.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{KsNixPreview, KsPlanModel, name_reveal_button, show_message};
use crate::plan::{Password, Secret};

const ADMIN_GROUP: &str = "wheel";

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/users-page.ui")]
    #[properties(wrapper_type = super::KsUsersPage)]
    pub struct KsUsersPage {
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
        pub(super) user_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) root_row: TemplateChild<adw::ExpanderRow>,
        #[template_child]
        pub(super) root_password_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) root_repeat_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) root_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) preview: TemplateChild<KsNixPreview>,
        #[template_child]
        pub(super) next_button: TemplateChild<gtk::Button>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        /// The user name was typed by hand: stop deriving it.
        pub(super) user_name_typed: Cell<bool>,
        pub(super) deriving: Cell<bool>,
    }

    impl KsUsersPage {
        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            self.preview.set_plan_model(model.as_ref());
            self.plan_model.replace(model.clone());
            if let Some(model) = &model {
                model.keep_in_sync(&*self.obj(), super::KsUsersPage::sync);
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsUsersPage {
        const NAME: &'static str = "KsUsersPage";
        type Type = super::KsUsersPage;
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
    impl ObjectImpl for KsUsersPage {
        fn constructed(&self) {
            self.parent_constructed();
            for row in [
                &self.password_row,
                &self.password_repeat_row,
                &self.root_password_row,
                &self.root_repeat_row,
            ] {
                name_reveal_button(row);
            }
        }
    }
    impl WidgetImpl for KsUsersPage {}
    impl NavigationPageImpl for KsUsersPage {}
}

glib::wrapper! {
    pub struct KsUsersPage(ObjectSubclass<imp::KsUsersPage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsUsersPage {
    #[template_callback]
    fn on_full_name_changed(&self) {
        let imp = self.imp();
        let full_name = imp.full_name_row.text().to_string();
        if !imp.user_name_typed.get() {
            imp.deriving.set(true);
            imp.user_name_row.set_text(&user_name_from(&full_name));
            imp.deriving.set(false);
        }
        self.store_account();
    }

    #[template_callback]
    fn on_user_name_changed(&self) {
        let imp = self.imp();
        if !imp.deriving.get() {
            let typed = imp.user_name_row.text();
            imp.user_name_typed.set(!typed.is_empty());
        }
        self.store_account();
    }

    #[template_callback]
    fn on_password_changed(&self) {
        self.store_account();
    }

    /// Writes the account as typed into the plan. Passwords count only once
    /// both entries agree.
    fn store_account(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let full_name = imp.full_name_row.text().to_string();
        let name = imp.user_name_row.text().to_string();
        let password = agreed_password(&imp.password_row, &imp.password_repeat_row);
        let root_password = if imp.root_row.enables_expansion() {
            agreed_password(&imp.root_password_row, &imp.root_repeat_row)
        } else {
            None
        };
        let admin = imp.admin_row.is_active();
        model.update(|plan| {
            let Some(user) = plan.users.first_mut() else {
                return;
            };
            let old_name = std::mem::replace(&mut user.name, name.clone());
            user.full_name = full_name;
            user.password = password;
            user.groups.retain(|group| group != ADMIN_GROUP);
            if admin {
                user.groups.insert(0, ADMIN_GROUP.to_owned());
            }
            plan.root_password = root_password;
            for home in &mut plan.persistence.users {
                if home.user == old_name {
                    home.user = name.clone();
                }
            }
        });
    }

    fn sync(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let user_problem = [
            "users[0].full_name",
            "users[0].name",
            "users[0].password",
            "users",
        ]
        .into_iter()
        .find_map(|field| model.problem(field));
        let mismatch = differs(&imp.password_row, &imp.password_repeat_row);
        let user_message = if mismatch {
            Some(gettext(
                "The passwords differ. Type the same password twice.",
            ))
        } else {
            user_problem
        };
        show_message(&imp.user_problem_label, user_message.as_deref());
        for (row, field) in [
            (
                imp.full_name_row.upcast_ref::<adw::EntryRow>(),
                "users[0].full_name",
            ),
            (imp.user_name_row.upcast_ref(), "users[0].name"),
        ] {
            if model.problem(field).is_some() {
                row.add_css_class("error");
            } else {
                row.remove_css_class("error");
            }
        }
        let root_enabled = imp.root_row.enables_expansion();
        let root_mismatch = root_enabled && differs(&imp.root_password_row, &imp.root_repeat_row);
        let root_message = if root_mismatch {
            Some(gettext(
                "The root passwords differ. Type the same password twice.",
            ))
        } else if root_enabled && model.with_plan(|plan| plan.root_password.is_none()) {
            Some(gettext(
                "Type the root password twice, or turn the root password off.",
            ))
        } else {
            model.problem("root_password")
        };
        show_message(&imp.root_problem_label, root_message.as_deref());
        let complete = !mismatch && root_message.is_none();
        imp.next_button
            .set_sensitive(complete && !model.has_problems_under(&["users", "root_password"]));
    }
}

fn differs(row: &adw::PasswordEntryRow, repeat: &adw::PasswordEntryRow) -> bool {
    let repeated = repeat.text();
    !repeated.is_empty() && row.text() != repeated
}

fn agreed_password(
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
    let name: String = first
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .skip_while(|c| !c.is_ascii_lowercase() && *c != '_')
        .take(32)
        .collect();
    name
}
