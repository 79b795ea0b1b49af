// SPDX-License-Identifier: GPL-3.0-or-later
//! "Accounts": each person of the configuration, and "Change Password…",
//! which writes a new yescrypt hash to their `hashedPasswordFile` and says
//! when it takes effect.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::privileged::{self, Privileged};
use super::{KsEditorModel, KsEditorWindow};
use crate::i18n::{gettext_f, isolate};
use crate::kept::{Account, accounts, password_file, password_takes_effect};
use crate::plan::Secret;
use crate::ui::{name_button, name_reveal_button};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/accounts-page.ui")]
    pub struct KsAccountsPage {
        #[template_child]
        pub(super) accounts_group: TemplateChild<adw::PreferencesGroup>,
        pub(super) model: RefCell<Option<KsEditorModel>>,
        pub(super) rows: RefCell<Vec<adw::ActionRow>>,
        pub(super) demo: Cell<bool>,
        pub(super) busy: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsAccountsPage {
        const NAME: &'static str = "KsAccountsPage";
        type Type = super::KsAccountsPage;
        type ParentType = adw::Bin;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsAccountsPage {
        fn dispose(&self) {
            crate::ui::dispose_bin_template(self);
        }
    }
    impl WidgetImpl for KsAccountsPage {}
    impl BinImpl for KsAccountsPage {}
}

glib::wrapper! {
    pub struct KsAccountsPage(ObjectSubclass<imp::KsAccountsPage>)
        @extends gtk::Widget, adw::Bin,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsAccountsPage {
    pub fn set_model(&self, model: &KsEditorModel, demo: bool) {
        self.imp().model.replace(Some(model.clone()));
        self.imp().demo.set(demo);
        self.refresh();
    }

    /// Whether a password is being written now.
    pub fn is_busy(&self) -> bool {
        self.imp().busy.get()
    }

    fn refresh(&self) {
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        for row in imp.rows.take() {
            imp.accounts_group.remove(&row);
        }
        let view = model.view();
        // The accounts of the configuration, then anyone else whose files
        // it keeps (a name it does not declare, such as one made by hand).
        let mut accounts = accounts(&view);
        let mut kept_users: Vec<String> = model.with_state(|state| {
            state
                .persistence()
                .storages
                .iter()
                .flat_map(|storage| storage.users.iter().map(|user| user.name.clone()))
                .collect()
        });
        kept_users.sort();
        kept_users.dedup();
        for name in kept_users {
            if !accounts.iter().any(|account| account.name == name) {
                accounts.push(Account {
                    password_file: password_file(&view, &name),
                    name,
                });
            }
        }
        let rows: Vec<adw::ActionRow> = accounts
            .into_iter()
            .map(
                |Account {
                     name: user,
                     password_file: file,
                 }| {
                    let subtitle = match &file {
                        Ok(file) => gettext_f(
                            "Password hash in {file}",
                            &[("file", &isolate(&file.display().to_string()))],
                        ),
                        Err(error) => error.message(),
                    };
                    let row = adw::ActionRow::builder()
                        .title(glib::markup_escape_text(&user))
                        .subtitle(glib::markup_escape_text(&subtitle))
                        .name(format!("account:{user}"))
                        .build();
                    row.add_prefix(&gtk::Image::from_icon_name("avatar-default-symbolic"));
                    if file.is_err() {
                        return row;
                    }
                    let label = gettext_f("Change the password of {user}…", &[("user", &user)]);
                    let change = gtk::Button::builder()
                        .label(gettext("Change Password…"))
                        .tooltip_text(&label)
                        .valign(gtk::Align::Center)
                        .name(format!("change-password:{user}"))
                        .build();
                    name_button(&change, &label);
                    change.connect_clicked(glib::clone!(
                        #[weak(rename_to = page)]
                        self,
                        move |_| {
                            let user = user.clone();
                            glib::spawn_future_local(async move {
                                page.change_password(&user).await;
                            });
                        }
                    ));
                    row.add_suffix(&change);
                    row
                },
            )
            .collect();
        for row in &rows {
            imp.accounts_group.add(row);
        }
        imp.accounts_group.set_description(
            rows.is_empty()
                .then(|| gettext("The configuration declares no accounts."))
                .as_deref(),
        );
        imp.rows.replace(rows);
    }

    async fn change_password(&self, user: &str) {
        let dialog = adw::AlertDialog::new(
            Some(&gettext_f(
                "Change the Password of {user}",
                &[("user", user)],
            )),
            Some(&password_takes_effect()),
        );
        let group = adw::PreferencesGroup::new();
        let password = adw::PasswordEntryRow::builder()
            .title(gettext("New Password"))
            .name("new-password")
            .build();
        let repeat = adw::PasswordEntryRow::builder()
            .title(gettext("Repeat the New Password"))
            .name("repeat-password")
            .build();
        group.add(&password);
        group.add(&repeat);
        // Each eye button says which of the two fields it reveals.
        name_reveal_button(&password);
        name_reveal_button(&repeat);
        dialog.set_extra_child(Some(&group));
        dialog.add_response("cancel", &gettext("_Cancel"));
        dialog.add_response("change", &gettext("C_hange Password"));
        dialog.set_response_appearance("change", adw::ResponseAppearance::Suggested);
        dialog.set_response_enabled("change", false);
        dialog.set_default_response(Some("change"));
        dialog.set_close_response("cancel");
        let update = glib::clone!(
            #[weak]
            dialog,
            #[weak]
            password,
            #[weak]
            repeat,
            move |_: &adw::PasswordEntryRow| {
                let matching = !password.text().is_empty() && password.text() == repeat.text();
                dialog.set_response_enabled("change", matching);
            }
        );
        password.connect_changed(update.clone());
        repeat.connect_changed(update);
        if dialog.choose_future(Some(self)).await != "change" {
            return;
        }
        let secret = Secret::new(password.text().into());
        password.set_text("");
        repeat.set_text("");
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        imp.busy.set(true);
        let outcome = privileged::run(
            imp.demo.get(),
            Privileged::SetPassword {
                view: model.view(),
                user: user.to_owned(),
                password: secret,
            },
        )
        .await;
        imp.busy.set(false);
        let (title, details) = match outcome {
            Ok(()) => (
                gettext("Password changed"),
                gettext_f(
                    "The password of {user} was changed; it is used from the next activation or boot.",
                    &[("user", user)],
                ),
            ),
            Err(problem) => (gettext("Password not changed"), problem),
        };
        if let Some(window) = self.root().and_downcast::<KsEditorWindow>() {
            window.add_toast_with_details(&title, &details);
        }
    }
}
