// SPDX-License-Identifier: GPL-3.0-or-later
//! Where a problem of the plan is, in the wizard's words: the page that
//! holds the field and the field itself (“Users: password of “ada””), so
//! that neither the wizard, `keepsake check` nor the install log shows a
//! JSON path such as `users[0].password`.

use std::fmt;

use gettextrs::gettext;

use super::shown::shown;
use super::{FieldPath, Plan, Service};
use crate::i18n::{gettext_f, isolate};

/// The page of the install wizard where a part of the plan is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanPage {
    Disk,
    Keyboard,
    Encryption,
    Layout,
    Persistence,
    System,
    Software,
    Users,
    Review,
}

impl PlanPage {
    /// The page's title, as its header shows it.
    pub fn title(self) -> String {
        match self {
            PlanPage::Disk => gettext("Disk"),
            PlanPage::Keyboard => gettext("Keyboard"),
            PlanPage::Encryption => gettext("Encryption"),
            PlanPage::Layout => gettext("Layout"),
            PlanPage::Persistence => gettext("Persistence"),
            PlanPage::System => gettext("System"),
            PlanPage::Software => gettext("Software"),
            PlanPage::Users => gettext("Users"),
            PlanPage::Review => gettext("Review"),
        }
    }
}

/// A field of the plan as a person finds it in the wizard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub page: PlanPage,
    /// The field in words, such as “password of “ada””.
    pub field: String,
}

impl Place {
    fn new(page: PlanPage, field: String) -> Self {
        Self { page, field }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Translators: where a problem is: {page} is a page title such as “Users”, {field} a field such as “password of “ada””.
        f.write_str(&gettext_f(
            "{page}: {field}",
            &[("page", &self.page.title()), ("field", &self.field)],
        ))
    }
}

/// One part of a field path: `users`, `[0]`, `password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Name(&'a str),
    Index(usize),
}

fn parts(path: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    for dotted in path.split('.') {
        let (name, mut indices) = dotted
            .split_once('[')
            .map_or((dotted, ""), |(name, rest)| (name, rest));
        if !name.is_empty() {
            parts.push(Part::Name(name));
        }
        while let Some((index, rest)) = indices.split_once(']') {
            if let Ok(index) = index.parse() {
                parts.push(Part::Index(index));
            }
            indices = rest.strip_prefix('[').unwrap_or(rest);
        }
    }
    parts
}

impl FieldPath {
    /// Where this field is in the wizard, named with what `plan` holds
    /// (the user's name, the subvolume's, the kept path).
    pub fn place(&self, plan: &Plan) -> Place {
        use Part::{Index, Name};
        use PlanPage::*;
        let place = |page, field: String| Place::new(page, field);
        match parts(self.as_str()).as_slice() {
            [Name("esp"), ..] => place(Disk, gettext("size of the EFI system partition")),
            [Name("disk"), Name("size_bytes")] => place(Disk, gettext("size of the chosen disk")),
            [Name("disk"), ..] => place(Disk, gettext("chosen disk")),
            [Name("encryption"), Name("passphrase")] => place(Encryption, gettext("passphrase")),
            [Name("encryption"), ..] => place(Encryption, gettext("name of the unlocked device")),
            [Name("swap"), ..] => place(Layout, gettext("swap file")),
            [Name("subvolumes"), Index(index), rest @ ..] => {
                place(Layout, subvolume_field(plan, *index, rest.first()))
            }
            [Name("subvolumes"), ..] => place(Layout, gettext("subvolumes")),
            [Name("root_tmpfs"), ..] => place(Layout, gettext("root file system size")),
            [Name("persistence"), Name("path")] => place(Layout, gettext("persistent storage")),
            [Name("persistence"), Name("directories"), Index(index), ..] => {
                let path = plan.persistence.directories.get(*index).map(|d| &d.path);
                place(
                    Persistence,
                    gettext_f(
                        "kept directory “{path}”",
                        &[("path", &isolate(&shown(path.map_or("", String::as_str))))],
                    ),
                )
            }
            [Name("persistence"), Name("files"), Index(index), ..] => {
                let path = plan.persistence.files.get(*index);
                place(
                    Persistence,
                    gettext_f(
                        "kept file “{path}”",
                        &[("path", &isolate(&shown(path.map_or("", String::as_str))))],
                    ),
                )
            }
            [Name("persistence"), Name("users"), Index(index), ..] => {
                let user = plan.persistence.users.get(*index).map(|home| &home.user);
                place(
                    Persistence,
                    gettext_f(
                        "kept in the home folder of “{user}”",
                        &[("user", &shown(user.map_or("", String::as_str)))],
                    ),
                )
            }
            [
                Name("persistence"),
                Name("every_home"),
                Name(list @ ("directories" | "files")),
                Index(index),
                ..,
            ] => {
                let every_home = &plan.persistence.every_home;
                let path = if *list == "files" {
                    every_home.files.get(*index)
                } else {
                    every_home.directories.get(*index).map(|d| &d.path)
                };
                place(
                    Persistence,
                    // Translators: where a problem is, after “Persistence: ”; {path} is relative to a home folder, such as “.ssh”.
                    gettext_f(
                        "“{path}” in every home folder",
                        &[("path", &isolate(&shown(path.map_or("", String::as_str))))],
                    ),
                )
            }
            [Name("persistence"), Name("every_home"), ..] => {
                place(Persistence, gettext("kept in every home folder"))
            }
            [Name("persistence"), ..] => place(Persistence, gettext("kept directories and files")),
            [Name("system"), Name("hostname")] => place(System, gettext("host name")),
            [Name("system"), Name("time_zone")] => place(System, gettext("time zone")),
            [Name("system"), Name("locale")] => place(System, gettext("language and formats")),
            [
                Name("system"),
                Name("console_keymap" | "xkb_layout" | "xkb_variant"),
            ] => place(Keyboard, gettext("keyboard layout")),
            [Name("system"), ..] => place(System, gettext("NixOS release")),
            [Name("services"), Index(index), ..] => place(
                Software,
                plan.services
                    .get(*index)
                    .map_or_else(|| gettext("services"), |service| Service::label(*service)),
            ),
            [Name("flake"), ..] => place(Review, gettext("flake")),
            [Name("users"), Index(index), rest @ ..] => {
                place(Users, account_field(plan, *index, rest.first()))
            }
            [Name("root_password"), ..] => place(Users, gettext("root password")),
            [Name("users"), ..] => place(Users, gettext("administrators")),
            _ => place(Review, gettext("the plan")),
        }
    }
}

/// “name of the subvolume at “/home””, “mount point of subvolume “home””…
fn subvolume_field(plan: &Plan, index: usize, field: Option<&Part<'_>>) -> String {
    let subvolume = plan.subvolumes.get(index);
    let name = subvolume.map_or("", |s| s.name.as_str());
    let mount_point = subvolume.map_or("", |s| s.mount_point.as_str());
    let number = (index + 1).to_string();
    match field {
        Some(Part::Name("name")) if !mount_point.is_empty() => gettext_f(
            "name of the subvolume at “{mount_point}”",
            &[("mount_point", &shown(mount_point))],
        ),
        Some(Part::Name("name")) => gettext_f("name of subvolume {number}", &[("number", &number)]),
        Some(Part::Name("options")) if !name.is_empty() => gettext_f(
            "mount options of subvolume “{name}”",
            &[("name", &shown(name))],
        ),
        Some(Part::Name("options")) => gettext_f(
            "mount options of subvolume {number}",
            &[("number", &number)],
        ),
        _ if !name.is_empty() => gettext_f(
            "mount point of subvolume “{name}”",
            &[("name", &shown(name))],
        ),
        _ => gettext_f("mount point of subvolume {number}", &[("number", &number)]),
    }
}

/// “password of “ada””, or of “account 2” while it has no name.
fn account_field(plan: &Plan, index: usize, field: Option<&Part<'_>>) -> String {
    let user = plan.users.get(index);
    let name = user.map_or("", |user| user.name.as_str());
    let full_name = user.map_or("", |user| user.full_name.trim());
    let quoted = |name: &str| {
        // Translators: a user name in quotes, for {account} in “password of {account}”; use your language's quotation marks.
        gettext_f("“{name}”", &[("name", &shown(name))])
    };
    let account = if !name.is_empty() {
        quoted(name)
    } else if !full_name.is_empty() {
        quoted(full_name)
    } else {
        // Translators: an account not named yet, in “password of {account}”; {number} counts from 1.
        gettext_f("account {number}", &[("number", &(index + 1).to_string())])
    };
    let account = [("account", account.as_str())];
    match field {
        // Translators: {account} is a user name in quotes, such as “ada”, or “account 2”.
        Some(Part::Name("full_name")) => gettext_f("full name of {account}", &account),
        // Translators: {account} is a user name in quotes, such as “ada”, or “account 2”.
        Some(Part::Name("groups")) => gettext_f("groups of {account}", &account),
        // Translators: {account} is a user name in quotes, such as “ada”, or “account 2”.
        Some(Part::Name("password")) => gettext_f("password of {account}", &account),
        // Translators: {account} is a user name in quotes, such as “ada”, or “account 2”.
        Some(Part::Name("keep_whole_home")) => gettext_f("home folder of {account}", &account),
        // Translators: {account} is a user name in quotes, such as “ada”, or “account 2”.
        _ => gettext_f("user name of {account}", &account),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Password, PersistentDirectory, Secret, User};

    fn place(plan: &Plan, path: &str) -> String {
        FieldPath::new(path).place(plan).to_string()
    }

    #[test]
    fn paths_are_split_into_names_and_indices() {
        assert_eq!(
            parts("persistence.users[1].directories[0].mode"),
            [
                Part::Name("persistence"),
                Part::Name("users"),
                Part::Index(1),
                Part::Name("directories"),
                Part::Index(0),
                Part::Name("mode"),
            ]
        );
        assert_eq!(
            parts("subvolumes[2].options[0]"),
            [
                Part::Name("subvolumes"),
                Part::Index(2),
                Part::Name("options"),
                Part::Index(0)
            ]
        );
    }

    #[test]
    fn fields_are_named_by_page_and_by_what_the_plan_holds() {
        let mut plan = Plan::example();
        plan.users.push(User {
            name: String::new(),
            full_name: String::new(),
            groups: Vec::new(),
            password: None,
            keep_whole_home: true,
        });
        plan.persistence
            .directories
            .push(PersistentDirectory::new("var/lib/x"));
        assert_eq!(
            place(&plan, "users[0].password"),
            "Users: password of “alice”"
        );
        assert_eq!(
            place(&plan, "users[1].name"),
            "Users: user name of account 2"
        );
        assert_eq!(place(&plan, "users"), "Users: administrators");
        assert_eq!(
            place(&plan, "subvolumes[1].mount_point"),
            "Layout: mount point of subvolume “home”"
        );
        assert_eq!(
            place(&plan, "subvolumes[1].name"),
            "Layout: name of the subvolume at “/home”"
        );
        let last = plan.persistence.directories.len() - 1;
        assert_eq!(
            place(&plan, &format!("persistence.directories[{last}].mode")),
            "Persistence: kept directory “\u{2068}var/lib/x\u{2069}”"
        );
        assert_eq!(
            place(&plan, "system.xkb_layout"),
            "Keyboard: keyboard layout"
        );
        assert_eq!(
            place(&plan, "encryption.passphrase"),
            "Encryption: passphrase"
        );
        assert_eq!(place(&plan, "services[0]"), "Software: Bluetooth");
        let every_home = &mut plan.persistence.every_home;
        every_home
            .directories
            .push(PersistentDirectory::new(".ssh"));
        every_home.files.push(".bash_history".to_owned());
        assert_eq!(
            place(&plan, "persistence.every_home.directories[0].mode"),
            "Persistence: “\u{2068}.ssh\u{2069}” in every home folder"
        );
        assert_eq!(
            place(&plan, "persistence.every_home.files[0]"),
            "Persistence: “\u{2068}.bash_history\u{2069}” in every home folder"
        );
        assert_eq!(
            place(&plan, "persistence.every_home"),
            "Persistence: kept in every home folder"
        );
    }

    #[test]
    fn every_problem_of_a_broken_plan_is_placed_in_words() {
        let mut plan = Plan::example();
        plan.users[0].password = Some(Password::Clear(Secret::new(String::new())));
        plan.users[0].groups = vec!["Bad Group".to_owned()];
        plan.subvolumes[1].name = String::new();
        plan.subvolumes[2].options = vec!["a,b".to_owned()];
        plan.system.hostname = "-bad".to_owned();
        plan.system.xkb_layout = "no layout".to_owned();
        plan.persistence.files.push("relative".to_owned());
        plan.encryption.passphrase = Some(Secret::new("short".to_owned()));
        let errors = plan.validate().expect_err("the plan is broken");
        assert!(errors.len() >= 8, "{errors:?}");
        for error in &errors {
            let text = error.to_string();
            assert_ne!(error.place.page, PlanPage::Review, "{text}");
            assert!(
                !text.contains(error.field.as_str()),
                "a raw path in “{text}”"
            );
            assert!(!error.place.field.is_empty(), "{text}");
            assert!(text.starts_with(&error.place.to_string()), "{text}");
        }
        let password = errors
            .iter()
            .find(|error| error.field.as_str() == "users[0].password")
            .expect("the empty password is a problem");
        assert_eq!(password.place.page, PlanPage::Users);
        assert_eq!(password.place.field, "password of “alice”");
    }
}
