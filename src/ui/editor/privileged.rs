// SPDX-License-Identifier: GPL-3.0-or-later
//! The editor's root-only actions besides apply: deleting an orphan and
//! writing a password hash. They run in `keepsake-helper` under pkexec, or
//! in demo mode directly on the scratch root; both off the main thread.

use std::ffi::OsString;

use gettextrs::gettext;
use gtk::gio;
use zeroize::Zeroizing;

use super::apply_runner::helper_path;
use crate::i18n::gettext_f;
use crate::install::{HelperExit, HelperMessage, HelperProcess};
use crate::kept::{Protected, SystemView, delete_orphan, set_password};
use crate::plan::Secret;

/// One action, with what it needs.
pub enum Privileged {
    DeleteOrphan {
        protected: Protected,
        view: SystemView,
        path: std::path::PathBuf,
    },
    SetPassword {
        view: SystemView,
        user: String,
        password: Secret,
    },
}

/// Runs `action`; the error is a sentence to show.
pub async fn run(demo: bool, action: Privileged) -> Result<(), String> {
    if demo {
        return gio::spawn_blocking(move || run_here(action))
            .await
            .unwrap_or_else(|_| Err(gettext("The action stopped unexpectedly.")));
    }
    run_in_helper(action).await
}

fn run_here(action: Privileged) -> Result<(), String> {
    match action {
        Privileged::DeleteOrphan {
            protected,
            view,
            path,
        } => delete_orphan(&protected, &view, &path)
            .map(drop)
            .map_err(|error| error.message()),
        Privileged::SetPassword {
            view,
            user,
            password,
        } => set_password(&view, &user, &password)
            .map(drop)
            .map_err(|error| error.message()),
    }
}

/// `pkexec keepsake-helper MODE` with the request as one JSON line on its
/// stdin (the password never in argv or the environment).
async fn run_in_helper(action: Privileged) -> Result<(), String> {
    let (mode, input) = match &action {
        Privileged::DeleteOrphan { path, .. } => (
            "delete-orphan",
            serde_json::json!({ "path": path }).to_string(),
        ),
        Privileged::SetPassword { user, password, .. } => (
            "set-password",
            serde_json::json!({ "user": user, "password": password.expose() }).to_string(),
        ),
    };
    let command: [OsString; 3] = ["pkexec".into(), helper_path().into_os_string(), mode.into()];
    let (sender, receiver) = async_channel::unbounded();
    HelperProcess::start(&command, Zeroizing::new(input + "\n"), sender).map_err(|error| {
        gettext_f(
            "Keepsake could not start its helper with pkexec: {problem}",
            &[("problem", &error.to_string())],
        )
    })?;
    let mut last_line = String::new();
    while let Ok(message) = receiver.recv().await {
        match message {
            HelperMessage::Output(line) if !line.trim().is_empty() => last_line = line,
            HelperMessage::Output(_) | HelperMessage::Event(_) => {}
            HelperMessage::Exited(HelperExit::Succeeded) => return Ok(()),
            HelperMessage::Exited(HelperExit::NotAuthorised) => {
                return Err(gettext(
                    "Nothing was changed: Keepsake was not allowed to. Try again and enter the administrator password when asked.",
                ));
            }
            HelperMessage::Exited(HelperExit::Failed(_)) => return Err(last_line),
        }
    }
    Err(gettext("The helper stopped without saying why."))
}
