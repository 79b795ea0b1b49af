// SPDX-License-Identifier: GPL-3.0-or-later
//! `users.nix`: declarative accounts (`users.mutableUsers = false`).

use super::writer::{Attrs, File, Value};
use super::{RenderError, header};
use crate::plan::{Password, Plan};

pub fn render(plan: &Plan) -> Result<String, RenderError> {
    let mut body = Attrs::new();
    body.set(["users", "mutableUsers"], false);
    match &plan.root_password {
        Some(password) => {
            body.set(
                ["users", "users", "root"],
                password_attrs(plan, "root", password)?,
            );
        }
        None => {
            body.comment("No root password: administrators use sudo.")
                .set(["users", "users", "root", "hashedPassword"], "!");
        }
    }
    for user in &plan.users {
        let mut account = Attrs::new();
        account.set(["isNormalUser"], true);
        if !user.full_name.is_empty() {
            account.set(["description"], user.full_name.as_str());
        }
        account.set(["extraGroups"], Value::strings(&user.groups));
        if let Some(password) = &user.password {
            for (name, value) in password_bindings(plan, &user.name, password)? {
                account.set([name], value);
            }
        }
        body.blank_line()
            .set(["users", "users", &user.name], account);
    }
    let where_hashes_are = if plan.self_contained {
        "Password hashes are inline (a self-contained configuration): they end up\n\
         in the world-readable Nix store."
    } else {
        "Password hashes live in root-only files under the persistent storage,\n\
         not in the Nix store."
    };
    Ok(File {
        arguments: Vec::new(),
        header: header(
            &format!("The accounts of this system.\n{where_hashes_are}"),
            "You may edit this file; change a password by writing a new hash from\n\
             `mkpasswd` into its file.",
        ),
        bindings: Vec::new(),
        body,
    }
    .print())
}

fn password_attrs(plan: &Plan, user: &str, password: &Password) -> Result<Attrs, RenderError> {
    let mut attrs = Attrs::new();
    for (name, value) in password_bindings(plan, user, password)? {
        attrs.set([name], value);
    }
    Ok(attrs)
}

fn password_bindings(
    plan: &Plan,
    user: &str,
    password: &Password,
) -> Result<Vec<(&'static str, Value)>, RenderError> {
    if plan.self_contained {
        let hash = password
            .hash()
            .ok_or_else(|| RenderError::PasswordNotHashed {
                user: user.to_owned(),
            })?;
        Ok(vec![("hashedPassword", Value::from(hash))])
    } else {
        Ok(vec![(
            "hashedPasswordFile",
            Value::from(password_file_path(plan, user)),
        )])
    }
}

/// Every account that has a password, root first.
pub fn accounts_with_passwords(plan: &Plan) -> impl Iterator<Item = (&str, &Password)> {
    let root = plan
        .root_password
        .as_ref()
        .map(|password| ("root", password));
    let users = plan
        .users
        .iter()
        .filter_map(|user| Some((user.name.as_str(), user.password.as_ref()?)));
    root.into_iter().chain(users)
}

pub fn password_file_path(plan: &Plan, user: &str) -> String {
    format!("{}/passwords/{user}", plan.persistence.path)
}
