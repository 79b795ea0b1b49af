// SPDX-License-Identifier: GPL-3.0-or-later
//! The editor's root-only actions besides apply: deleting an orphan and
//! writing a password hash. They run in `keepsake-helper` under pkexec, or
//! in demo mode directly on the scratch root; both off the main thread.

use std::path::PathBuf;

use gettextrs::gettext;
use gtk::gio;
use zeroize::Zeroizing;

use super::apply_runner::helper_path;
use crate::i18n::gettext_f;
use crate::install::{HelperExit, HelperMessage, HelperProcess};
use crate::kept::{
    DeleteOrphanInput, EditorEvent, EditorMode, Protected, SetPasswordInput, SystemView, TaskEvent,
    delete_orphan, editor_helper_command, set_password,
};
use crate::plan::Secret;

/// One action, with what it needs.
pub enum Privileged {
    DeleteOrphan {
        protected: Protected,
        view: SystemView,
        /// The configuration file, which the helper reads again.
        config: PathBuf,
        path: PathBuf,
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
            ..
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
        Privileged::DeleteOrphan { path, config, .. } => (
            EditorMode::DeleteOrphan,
            Zeroizing::new(
                serde_json::to_string(&DeleteOrphanInput {
                    config: Some(config.clone()),
                    path: path.clone(),
                })
                .unwrap_or_default(),
            ),
        ),
        Privileged::SetPassword { user, password, .. } => (
            EditorMode::SetPassword,
            SetPasswordInput {
                user: user.clone(),
                password: password.clone(),
            }
            .to_json(),
        ),
    };
    drop(action);
    let command = editor_helper_command(&helper_path(), mode);
    let (sender, receiver) = async_channel::unbounded::<HelperMessage<EditorEvent>>();
    let mut line = input;
    line.push('\n');
    HelperProcess::start(&command, line, sender).map_err(|error| {
        gettext_f(
            "Keepsake could not start its helper with pkexec: {problem}",
            &[("problem", &error.to_string())],
        )
    })?;
    let mut outcome = None;
    let mut last_line = String::new();
    while let Ok(message) = receiver.recv().await {
        match message {
            HelperMessage::Event(EditorEvent::Task(TaskEvent::Done { .. })) => {
                outcome = Some(Ok(()));
            }
            HelperMessage::Event(EditorEvent::Task(TaskEvent::Refused { message })) => {
                outcome = Some(Err(message));
            }
            HelperMessage::Event(EditorEvent::Apply(_)) => {}
            HelperMessage::Output(line) => last_line = line,
            HelperMessage::Exited(HelperExit::NotAuthorised) => {
                return Err(gettext(
                    "Nothing was changed: Keepsake was not allowed to. Try again and enter the administrator password when asked.",
                ));
            }
            HelperMessage::Exited(_) => {
                return outcome.unwrap_or(Err(last_line));
            }
        }
    }
    Err(gettext("The helper stopped without saying why."))
}
