// SPDX-License-Identifier: GPL-3.0-or-later
//! The editor's modes of `keepsake-helper` (root, through pkexec):
//! `keepsake-helper apply`, `delete-orphan`, `set-password` and
//! `create-module`. Like the
//! install (the default mode), each reads one JSON value on stdin and
//! writes JSON lines on stdout; `apply` then also takes the line `cancel`.
//!
//! * `apply`: input [`ApplyInput`], events [`ApplyEvent`] (the steps of
//!   [`crate::apply::apply`]).
//! * `delete-orphan`: input [`DeleteOrphanInput`], one [`TaskEvent`].
//! * `set-password`: input [`SetPasswordInput`] (the password is on stdin
//!   only, never in argv or the environment), one [`TaskEvent`].
//! * `create-module`: input [`CreateModuleInput`], one [`TaskEvent`]: the
//!   new `persistence.nix` and its import, when no file defines
//!   `environment.persistence` yet.
//!
//! The GUI starts them with [`editor_helper_command`] and
//! [`HelperProcess::start`](crate::install::HelperProcess::start) with a
//! channel of `HelperMessage<EditorEvent>`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use gettextrs::gettext;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Protected, SystemView, delete_orphan, password_takes_effect, set_password};
use crate::apply::{Activation, ApplyEvent, ApplyRequest, ConflictChoice, read_baseline};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate};
use crate::install::HelperEvent;
use crate::nix::persistence_edit::{
    PersistenceDocument, find_persistence_file, plan_new_module_for_system,
};
use crate::plan::Secret;

/// A mode of `keepsake-helper`, its first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorMode {
    Apply,
    DeleteOrphan,
    SetPassword,
    CreateModule,
}

impl EditorMode {
    pub fn arg(self) -> &'static str {
        match self {
            EditorMode::Apply => "apply",
            EditorMode::DeleteOrphan => "delete-orphan",
            EditorMode::SetPassword => "set-password",
            EditorMode::CreateModule => "create-module",
        }
    }

    pub fn from_arg(arg: &str) -> Option<Self> {
        [
            EditorMode::Apply,
            EditorMode::DeleteOrphan,
            EditorMode::SetPassword,
            EditorMode::CreateModule,
        ]
        .into_iter()
        .find(|mode| mode.arg() == arg)
    }
}

/// `["pkexec", helper, mode]`: what the GUI runs.
pub fn editor_helper_command(helper: &Path, mode: EditorMode) -> Vec<OsString> {
    vec![
        OsString::from("pkexec"),
        helper.as_os_str().to_owned(),
        OsString::from(mode.arg()),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationInput {
    Switch,
    Boot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictInput {
    KeepStored,
    KeepLive,
}

/// `{"config": PATH|null, "activation": "switch"|"boot",
/// "conflict": "keep_stored"|"keep_live"|null, "new_text": TEXT|null}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyInput {
    /// The file that defines `environment.persistence`; found from
    /// `/etc/nixos` when `null`.
    pub config: Option<PathBuf>,
    pub activation: ActivationInput,
    pub conflict: Option<ConflictInput>,
    /// The edited file to apply (the GUI's pending changes, which it
    /// cannot write itself); `null` applies the file as it is now. It must
    /// parse, and goes through the same checks as any apply.
    #[serde(default)]
    pub new_text: Option<String>,
}

/// `{"config": PATH|null, "path": "/persist/…"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteOrphanInput {
    pub config: Option<PathBuf>,
    /// The orphan, as the system sees it.
    pub path: PathBuf,
}

/// `{"storage": ROOT, "diff": TEXT}`: create `persistence.nix` keeping
/// things in `storage` and import it from `configuration.nix`, only when
/// the plan made here is still the `diff` the person confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateModuleInput {
    pub storage: String,
    pub diff: String,
}

/// `{"user": NAME, "password": CLEAR TEXT}`. The password file is the one
/// the configuration names; the GUI cannot choose another.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SetPasswordInput {
    pub user: String,
    pub password: Secret,
}

impl SetPasswordInput {
    /// The JSON for the helper's stdin, in memory wiped when dropped.
    pub fn to_json(&self) -> Zeroizing<String> {
        let user = serde_json::Value::String(self.user.clone());
        // serde_json escapes into a String of its own: wiped as well.
        let password =
            Zeroizing::new(serde_json::to_string(self.password.expose()).unwrap_or_default());
        Zeroizing::new(format!("{{\"user\":{user},\"password\":{}}}", *password))
    }
}

/// The one line `delete-orphan` and `set-password` end with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TaskEvent {
    /// Translated: what was done and what follows.
    Done { message: String },
    /// Translated: why nothing (or what) was changed.
    Refused { message: String },
}

impl TaskEvent {
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default() + "\n"
    }
}

/// An event of any editor mode.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorEvent {
    Apply(ApplyEvent),
    Task(TaskEvent),
}

impl HelperEvent for EditorEvent {
    fn from_line(line: &str) -> Option<Self> {
        ApplyEvent::from_json_line(line)
            .map(EditorEvent::Apply)
            .or_else(|_| serde_json::from_str(line.trim_end()).map(EditorEvent::Task))
            .ok()
    }
}

fn open(config: Option<&Path>, root: &Path) -> Result<(PathBuf, PersistenceDocument), String> {
    let file = match config {
        Some(file) => file.to_owned(),
        None => find_persistence_file(root).map_err(|error| error.message())?,
    };
    let text = fs::read_to_string(&file).map_err(|error| {
        gettext_f(
            "Cannot read {file}: {error}",
            &[
                ("file", &isolate(&file.display().to_string())),
                ("error", &error.to_string()),
            ],
        )
    })?;
    let document = PersistenceDocument::parse(&text).map_err(|error| {
        format!(
            "{}: {}",
            isolate(&file.display().to_string()),
            error.message()
        )
    })?;
    Ok((file, document))
}

/// The apply `input` asks for on the system at `live_root`: the file as it
/// is now, against the version last applied.
pub fn apply_request(input: &ApplyInput, live_root: &Path) -> Result<ApplyRequest, String> {
    let (file, document) = open(input.config.as_deref(), live_root)?;
    let previous = read_baseline(&file, document.text()).map_err(|error| error.to_string())?;
    let new_text = match &input.new_text {
        Some(text) => {
            PersistenceDocument::parse(text).map_err(|error| {
                format!(
                    "{}: {}",
                    isolate(&file.display().to_string()),
                    error.message()
                )
            })?;
            text.clone()
        }
        None => document.text().to_owned(),
    };
    Ok(ApplyRequest {
        file,
        previous,
        new_text,
        live_root: live_root.to_owned(),
        conflict: input.conflict.map(|choice| match choice {
            ConflictInput::KeepStored => ConflictChoice::KeepStored,
            ConflictInput::KeepLive => ConflictChoice::KeepLive,
        }),
        activation: match input.activation {
            ActivationInput::Switch => Activation::Switch,
            ActivationInput::Boot => Activation::Boot,
        },
    })
}

/// `delete-orphan` on the system `view`: the configuration is read again
/// here, so only a real orphan is deleted.
pub fn run_delete_orphan(input: &DeleteOrphanInput, view: &SystemView) -> TaskEvent {
    let document = match open(input.config.as_deref(), &view.root) {
        Ok((_, document)) => document,
        Err(message) => return TaskEvent::Refused { message },
    };
    let protected = Protected::new(document.persistence(), view);
    match delete_orphan(&protected, view, &input.path) {
        Ok(bytes) => TaskEvent::Done {
            message: gettext_f(
                "Deleted {path}; {size} are free again.",
                &[
                    ("path", &isolate(&input.path.display().to_string())),
                    ("size", &isolate(&format_size(bytes))),
                ],
            ),
        },
        Err(error) => TaskEvent::Refused {
            message: error.message(),
        },
    }
}

/// `set-password` on the system `view`.
pub fn run_set_password(input: &SetPasswordInput, view: &SystemView) -> TaskEvent {
    match set_password(view, &input.user, &input.password) {
        Ok(file) => TaskEvent::Done {
            message: format!(
                "{} {}",
                gettext_f(
                    "The password of {user} was changed in {file}.",
                    &[
                        ("user", &input.user),
                        ("file", &isolate(&file.display().to_string())),
                    ],
                ),
                password_takes_effect()
            ),
        },
        Err(error) => TaskEvent::Refused {
            message: error.message(),
        },
    }
}

/// `create-module` on the system `view`.
pub fn run_create_module(input: &CreateModuleInput, view: &SystemView) -> TaskEvent {
    let plan = match plan_new_module_for_system(&view.root, &input.storage) {
        Ok(plan) => plan,
        Err(error) => {
            return TaskEvent::Refused {
                message: error.message(),
            };
        }
    };
    if plan.diff() != input.diff {
        return TaskEvent::Refused {
            message: gettext(
                "The configuration changed after the changes were shown; nothing was written. Look at them again.",
            ),
        };
    }
    match plan.write() {
        Ok(()) => TaskEvent::Done {
            message: gettext_f(
                "Created {file}; add what this system should keep, then apply.",
                &[(
                    "file",
                    &isolate(&view.seen_path(&plan.file).display().to_string()),
                )],
            ),
        },
        Err(error) => TaskEvent::Refused {
            message: error.message(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_both_kinds_are_read_back() {
        let done = TaskEvent::Done {
            message: "m".to_owned(),
        };
        let line = done.to_json_line();
        assert_eq!(line, "{\"event\":\"done\",\"message\":\"m\"}\n");
        assert_eq!(EditorEvent::from_line(&line), Some(EditorEvent::Task(done)));
        let completed = ApplyEvent::Completed { seconds: 1.0 };
        assert_eq!(
            EditorEvent::from_line(&completed.to_json_line()),
            Some(EditorEvent::Apply(completed))
        );
        assert_eq!(EditorEvent::from_line("pkexec: not authorised"), None);
    }

    #[test]
    fn the_password_input_round_trips_with_quotes_escaped() {
        let input = SetPasswordInput {
            user: "alice".to_owned(),
            password: Secret::new("a \"quoted\" \\ pass".to_owned()),
        };
        let json = input.to_json();
        let back: SetPasswordInput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, input);
        assert_eq!(
            EditorMode::from_arg("set-password"),
            Some(EditorMode::SetPassword)
        );
        assert_eq!(EditorMode::from_arg("install"), None);
    }
}
