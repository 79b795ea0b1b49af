// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 8: the accounts (one KsAccountGroup each; add and remove) and an
//! optional root password. Root is locked unless a password is set.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::account_group::agreed_password;
use super::{
    KsAccountGroup, KsPlanModel, KsWindow, KsWizardPage, KsWizardPageExt, KsWizardPageImpl,
    name_reveal_button, offer_undo, show_message,
};
use crate::i18n::{gettext_f, isolate};
use crate::plan::User;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/users-page.ui")]
    pub struct KsUsersPage {
        #[template_child]
        pub(super) accounts_box: TemplateChild<gtk::Box>,
        #[template_child]
        pub(super) users_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) root_row: TemplateChild<adw::ExpanderRow>,
        #[template_child]
        pub(super) root_password_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) root_repeat_row: TemplateChild<adw::PasswordEntryRow>,
        #[template_child]
        pub(super) root_problem_label: TemplateChild<gtk::Label>,
        /// One per user of the plan, in its order.
        pub(super) accounts: RefCell<Vec<KsAccountGroup>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsUsersPage {
        const NAME: &'static str = "KsUsersPage";
        type Type = super::KsUsersPage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsUsersPage {
        fn constructed(&self) {
            self.parent_constructed();
            for row in [&self.root_password_row, &self.root_repeat_row] {
                name_reveal_button(row);
            }
        }
    }
    impl WidgetImpl for KsUsersPage {}
    impl NavigationPageImpl for KsUsersPage {}

    impl KsWizardPageImpl for KsUsersPage {
        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsUsersPage(ObjectSubclass<imp::KsUsersPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsUsersPage {
    #[template_callback]
    fn on_add_clicked(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        model.update(|plan| {
            plan.users.push(User {
                name: String::new(),
                full_name: String::new(),
                groups: vec!["networkmanager".to_owned()],
                password: None,
                keep_whole_home: false,
            });
        });
        if let Some(account) = self.imp().accounts.borrow().last() {
            account.grab_focus();
        }
    }

    /// Removes the account's widget first, so that the others keep what is
    /// typed in them, then the user from the plan. Undo puts the same
    /// widget back, with what was typed in it, and the user with it.
    fn remove_account(&self, account: &KsAccountGroup) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let index = account.index() as usize;
        if index >= imp.accounts.borrow().len() {
            return;
        }
        let window = self.root().and_downcast::<KsWindow>();
        let user_name = model
            .with_plan(|plan| plan.users.get(index).map(|user| user.name.clone()))
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| {
                gettext_f("Account {number}", &[("number", &(index + 1).to_string())])
            });
        let before = model.plan();
        let removed = imp.accounts.borrow_mut().remove(index);
        imp.accounts_box.remove(&removed);
        self.renumber_accounts();
        model.update(|plan| plan.remove_user(index));
        let Some(window) = window else {
            return;
        };
        // Translators: in a notification after an account's trash button, with an Undo button; {name} is its user name, such as “alice”, or “Account 2”.
        let message = gettext_f(
            "The account {name} was removed",
            &[("name", &isolate(&user_name))],
        );
        offer_undo(
            &window,
            &model,
            &message,
            glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |model: &KsPlanModel| {
                    let imp = page.imp();
                    {
                        let mut accounts = imp.accounts.borrow_mut();
                        let index = index.min(accounts.len());
                        let previous = index.checked_sub(1).and_then(|i| accounts.get(i)).cloned();
                        imp.accounts_box
                            .insert_child_after(&removed, previous.as_ref());
                        accounts.insert(index, removed);
                    }
                    page.renumber_accounts();
                    model.update(move |plan| *plan = before);
                }
            ),
        );
    }

    /// Gives each account widget its position in the plan's list of users.
    fn renumber_accounts(&self) {
        for (position, account) in self.imp().accounts.borrow().iter().enumerate() {
            account.set_index(position as u32);
            account.set_widget_name(&format!("account-{position}"));
        }
    }

    #[template_callback]
    fn on_password_changed(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let root_password = if imp.root_row.enables_expansion() {
            agreed_password(&imp.root_password_row, &imp.root_repeat_row)
        } else {
            None
        };
        model.update(|plan| plan.root_password = root_password);
    }

    /// One account widget per user: new users get one at the end.
    fn reconcile_accounts(&self, model: &KsPlanModel) {
        let imp = self.imp();
        let count = model.with_plan(|plan| plan.users.len());
        let mut accounts = imp.accounts.borrow_mut();
        while accounts.len() > count {
            if let Some(extra) = accounts.pop() {
                imp.accounts_box.remove(&extra);
            }
        }
        while accounts.len() < count {
            let account = KsAccountGroup::new(model, accounts.len());
            account.connect_remove_requested(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |account| page.remove_account(account)
            ));
            imp.accounts_box.append(&account);
            accounts.push(account);
        }
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        self.reconcile_accounts(model);
        // Every account shows its problems, not only the first incomplete.
        let complete: Vec<bool> = imp
            .accounts
            .borrow()
            .iter()
            .map(KsAccountGroup::sync)
            .collect();
        let accounts_complete = complete.iter().all(|complete| *complete);
        show_message(&imp.users_problem_label, model.problem("users").as_deref());
        let root_enabled = imp.root_row.enables_expansion();
        let repeated = imp.root_repeat_row.text();
        let root_mismatch =
            root_enabled && !repeated.is_empty() && imp.root_password_row.text() != repeated;
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
        let complete = accounts_complete && root_message.is_none();
        complete && !model.has_problems_under(&["users", "root_password"])
    }
}
