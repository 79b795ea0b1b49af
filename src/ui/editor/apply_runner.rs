// SPDX-License-Identifier: GPL-3.0-or-later
//! Where an apply runs: `keepsake-helper apply` under pkexec, or in demo
//! mode a thread running the same engine on the scratch root. Either way
//! its events come back over one channel.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::apply::{self, Activation, ApplyEvent, ApplyRequest, ConflictChoice, read_baseline};
use crate::install::{
    CancelFlag, HelperExit, HelperMessage, HelperProcess, NIXOS_PROFILE_BIN, ToolDirs,
};
use crate::kept::{
    ActivationInput, ApplyInput, ConflictInput, EditorEvent, EditorMode, TaskEvent,
    editor_helper_command,
};

/// What the apply dialog receives, in order; `Exited` is last.
#[derive(Debug, Clone)]
pub enum ApplyMessage {
    Event(ApplyEvent),
    /// A line that is not an event (pkexec's or the helper's own words).
    Output(String),
    /// The helper refused before the first step; nothing was changed.
    Refused(String),
    Exited(HelperExit),
}

/// Stops a run at its next safe point.
#[derive(Debug)]
pub enum Stopper {
    Flag(CancelFlag),
    Helper(HelperProcess),
}

impl Stopper {
    pub fn stop(&self) -> Result<(), String> {
        match self {
            Stopper::Flag(flag) => {
                flag.cancel();
                Ok(())
            }
            Stopper::Helper(helper) => helper.request_cancel().map_err(|error| error.to_string()),
        }
    }
}

/// Everything an apply of the editor's pending changes needs.
#[derive(Debug, Clone)]
pub struct ApplyRun {
    pub file: PathBuf,
    /// The file as the editor read it.
    pub original: String,
    pub new_text: String,
    pub live_root: PathBuf,
    pub activation: Activation,
    /// The person's choice when storage holds data at a new path already.
    pub conflict: Option<ConflictChoice>,
}

impl ApplyRun {
    fn request(&self) -> ApplyRequest {
        // What to put back after a failed test: the version the running
        // system was built from, which may predate edits made with
        // `keepsake persist add`.
        let previous =
            read_baseline(&self.file, &self.original).unwrap_or_else(|_| self.original.clone());
        ApplyRequest {
            file: self.file.clone(),
            previous,
            new_text: self.new_text.clone(),
            live_root: self.live_root.clone(),
            conflict: self.conflict,
            activation: self.activation,
        }
    }

    /// Runs the engine in a thread, as the desktop user, on the scratch
    /// root, with a `nixos-rebuild` stand-in placed in its system profile
    /// that fails `test` when `rebuild_fails`.
    pub fn start_demo(
        &self,
        rebuild_fails: bool,
    ) -> (
        async_channel::Receiver<ApplyMessage>,
        Result<Stopper, String>,
    ) {
        let (sender, receiver) = async_channel::unbounded();
        let request = self.request();
        let cancel = CancelFlag::new();
        let flag = cancel.clone();
        if let Err(error) = place_demo_rebuild(&self.live_root, rebuild_fails) {
            return (receiver, Err(error.to_string()));
        }
        let tools = ToolDirs::below(&self.live_root);
        std::thread::spawn(move || {
            // A closed channel means the dialog is gone.
            let result = apply::apply(&request, &tools, &cancel, &mut |event| {
                let _ = sender.send_blocking(ApplyMessage::Event(event.clone()));
            });
            let exit = match result {
                Ok(_) => HelperExit::Succeeded,
                Err(_) => HelperExit::Failed(Some(1)),
            };
            let _ = sender.send_blocking(ApplyMessage::Exited(exit));
        });
        (receiver, Ok(Stopper::Flag(flag)))
    }

    /// Runs `pkexec keepsake-helper apply` with the edited text on its
    /// stdin; the helper reads the file and its applied version itself.
    pub fn start_helper(
        &self,
    ) -> (
        async_channel::Receiver<ApplyMessage>,
        Result<Stopper, String>,
    ) {
        let (sender, receiver) = async_channel::unbounded();
        let (helper_sender, helper_receiver) =
            async_channel::unbounded::<HelperMessage<EditorEvent>>();
        std::thread::spawn(move || {
            while let Ok(message) = helper_receiver.recv_blocking() {
                let message = match message {
                    HelperMessage::Event(EditorEvent::Apply(event)) => ApplyMessage::Event(event),
                    // The helper refused before any step: nothing changed.
                    HelperMessage::Event(EditorEvent::Task(
                        TaskEvent::Refused { message } | TaskEvent::Done { message },
                    )) => ApplyMessage::Refused(message),
                    HelperMessage::Output(line) => ApplyMessage::Output(line),
                    HelperMessage::Exited(exit) => ApplyMessage::Exited(exit),
                };
                if sender.send_blocking(message).is_err() {
                    return;
                }
            }
        });
        let mut command = editor_helper_command(&helper_path(), EditorMode::Apply);
        command.push("--cancel-when-input-closes".into());
        let input = ApplyInput {
            config: Some(self.file.clone()),
            activation: match self.activation {
                Activation::Switch => ActivationInput::Switch,
                Activation::Boot => ActivationInput::Boot,
            },
            conflict: self.conflict.map(|choice| match choice {
                ConflictChoice::KeepStored => ConflictInput::KeepStored,
                ConflictChoice::KeepLive => ConflictInput::KeepLive,
            }),
            new_text: Some(self.new_text.clone()),
        };
        let input = serde_json::to_string(&input).unwrap_or_default() + "\n";
        let started = HelperProcess::start(&command, Zeroizing::new(input), helper_sender)
            .map(Stopper::Helper)
            .map_err(|error| error.to_string());
        (receiver, started)
    }
}

/// The demo's `nixos-rebuild`: prints what a build prints, slowly enough
/// to watch, and succeeds.
const DEMO_REBUILD: &str = r#"#!/bin/sh
# The engine's PATH holds only the scratch system's directories.
PATH="$PATH:/run/current-system/sw/bin:/usr/bin:/bin"
echo "building the system configuration..."
sleep 0.3
echo "these 3 derivations will be built:"
sleep 0.3
echo "activating the configuration..."
sleep 0.3
echo "done ($1)"
"#;

/// The demo's `nixos-rebuild` when the rebuild is to fail: `test` fails
/// the way an evaluation error does.
const DEMO_REBUILD_FAILING: &str = r#"#!/bin/sh
PATH="$PATH:/run/current-system/sw/bin:/usr/bin:/bin"
echo "building the system configuration..."
sleep 0.3
if [ "$1" = test ]; then
    echo "error: The option 'environment.persistence' has a conflicting definition value." >&2
    exit 1
fi
echo "done ($1)"
"#;

fn place_demo_rebuild(root: &Path, fails: bool) -> std::io::Result<()> {
    let bin = root.join(NIXOS_PROFILE_BIN.trim_start_matches('/'));
    std::fs::create_dir_all(&bin)?;
    let program = bin.join("nixos-rebuild");
    let script = if fails {
        DEMO_REBUILD_FAILING
    } else {
        DEMO_REBUILD
    };
    std::fs::write(&program, script)?;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755))
}

/// The helper is installed next to `keepsake` (meson) or built next to it
/// (cargo).
pub(super) fn helper_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("keepsake-helper")))
        .unwrap_or_else(|| PathBuf::from("keepsake-helper"))
}
