// SPDX-License-Identifier: GPL-3.0-or-later
//! The privileged half of Keepsake, started through pkexec. It reads the plan
//! as JSON on stdin and writes progress events as JSON lines on stdout. A
//! later line `cancel` on stdin, SIGINT or SIGTERM stop it at the next safe
//! point; with `--cancel-when-input-closes` (the GUI's), so does the end of
//! stdin, so a GUI that dies does not leave it running unseen. It never
//! links GTK.
//!
//! Exit status: 0 installed, 1 the install failed or was cancelled (the
//! events say why and what the disk holds), 2 the input was unusable. The
//! GUI names this mode `install` as the first argument, so that pkexec
//! matches the policy's install action by its `exec.argv1`.
//!
//! The editor's modes are named by the first argument: `apply`,
//! `delete-orphan`, `set-password` (see [`keepsake::kept::EditorMode`]
//! and the input each reads). They take `--root DIR` (the system's `/`,
//! for tests and a mounted system) and, for `apply`,
//! `--cancel-when-input-closes`. Exit status: 0 done, 1 refused or failed
//! (the events say why), 2 the input was unusable.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

use std::path::PathBuf;

use keepsake::apply::{self, ApplyEvent};
use keepsake::install::{self, CancelFlag, Event, InputEnd, InstallOptions, StepId, ToolDirs};
use keepsake::kept::{
    ApplyInput, DeleteOrphanInput, EditorMode, SetPasswordInput, SystemView, TaskEvent,
    apply_request, run_delete_orphan, run_set_password,
};
use keepsake::plan::Plan;

/// The first argument that selects installing (also the default).
const INSTALL_MODE: &str = "install";

fn main() -> ExitCode {
    keepsake::i18n::init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(mode) = args.first().and_then(|arg| EditorMode::from_arg(arg)) {
        args.remove(0);
        return editor_main(mode, args);
    }
    // The GUI names the mode so that pkexec picks the install action's
    // message; without a mode the helper installs, as `keepsake install` does.
    if args.first().map(String::as_str) == Some(INSTALL_MODE) {
        args.remove(0);
    }
    install_main(args)
}

fn install_main(args: Vec<String>) -> ExitCode {
    let (options, input_end) = match options_from_args(args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("keepsake-helper: {message}");
            return ExitCode::from(2);
        }
    };
    let cancel = CancelFlag::new();
    if let Err(error) = cancel.raise_on_termination_signals() {
        eprintln!("keepsake-helper: {error}");
        return ExitCode::from(2);
    }
    // Unbuffered: the plan, passphrase included, must not stay behind in
    // std's stdin buffer, which is never wiped.
    let read = io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(install::PlanInputError::from)
        .and_then(|fd| install::read_plan_json(&mut File::from(fd), install::MAX_PLAN_BYTES));
    let input = match read {
        Ok(input) => input,
        Err(error) => {
            eprintln!("keepsake-helper: {error}");
            return ExitCode::from(2);
        }
    };
    let plan = match Plan::from_json(&input) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("keepsake-helper: {error}");
            return ExitCode::from(2);
        }
    };
    drop(input);
    let watcher_cancel = cancel.clone();
    std::thread::spawn(move || {
        install::watch_for_cancel(io::stdin().lock(), &watcher_cancel, input_end);
    });
    let mut stdout = io::stdout().lock();
    let mut emit = |event: Event| {
        // The GUI going away must not stop the cleanup.
        let _ = stdout
            .write_all(event.to_json_line().as_bytes())
            .and_then(|()| stdout.flush());
    };
    match install::install_with_udisks(&plan, &options, &cancel, &mut emit) {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// `--cancel-when-input-closes` (the GUI's) and the tests'
/// `--fail-after-step N`.
fn options_from_args(args: Vec<String>) -> Result<(InstallOptions, InputEnd), String> {
    let mut options = InstallOptions::default();
    let mut input_end = InputEnd::Ignored;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fail-after-step" => {
                let step = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .and_then(StepId::from_number)
                    .ok_or("--fail-after-step wants a step number")?;
                options.fail_after_step = Some(step);
            }
            "--cancel-when-input-closes" => input_end = InputEnd::Cancels,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((options, input_end))
}

/// An editor mode: its input, its work, its events.
fn editor_main(mode: EditorMode, args: Vec<String>) -> ExitCode {
    let mut root = PathBuf::from("/");
    let mut input_end = InputEnd::Ignored;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => match args.next() {
                Some(dir) => root = PathBuf::from(dir),
                None => return usage("--root wants a directory"),
            },
            "--cancel-when-input-closes" if mode == EditorMode::Apply => {
                input_end = InputEnd::Cancels;
            }
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    // Unbuffered, as for the plan: a password must not stay behind in
    // std's stdin buffer.
    let read = io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(install::PlanInputError::from)
        .and_then(|fd| install::read_plan_json(&mut File::from(fd), install::MAX_PLAN_BYTES));
    let input = match read {
        Ok(input) => input,
        Err(error) => return usage(&error.to_string()),
    };
    let view = SystemView::new(root, Vec::new());
    let task = match mode {
        EditorMode::Apply => {
            return match serde_json::from_str::<ApplyInput>(&input) {
                Ok(request) => run_apply(&request, &view, input_end),
                Err(error) => usage(&error.to_string()),
            };
        }
        EditorMode::DeleteOrphan => match serde_json::from_str::<DeleteOrphanInput>(&input) {
            Ok(request) => run_delete_orphan(&request, &view),
            Err(error) => return usage(&error.to_string()),
        },
        // serde's message could quote the input, which holds the password.
        EditorMode::SetPassword => match serde_json::from_str::<SetPasswordInput>(&input) {
            Ok(request) => run_set_password(&request, &view),
            Err(_) => return usage("the input is not {\"user\": …, \"password\": …}"),
        },
    };
    drop(input);
    let _ = io::stdout().write_all(task.to_json_line().as_bytes());
    match task {
        TaskEvent::Done { .. } => ExitCode::SUCCESS,
        TaskEvent::Refused { .. } => ExitCode::FAILURE,
    }
}

fn run_apply(input: &ApplyInput, view: &SystemView, input_end: InputEnd) -> ExitCode {
    let request = match apply_request(input, &view.root) {
        Ok(request) => request,
        Err(message) => {
            let refused = TaskEvent::Refused { message };
            let _ = io::stdout().write_all(refused.to_json_line().as_bytes());
            return ExitCode::FAILURE;
        }
    };
    let cancel = CancelFlag::new();
    if let Err(error) = cancel.raise_on_termination_signals() {
        return usage(&error.to_string());
    }
    let watcher_cancel = cancel.clone();
    std::thread::spawn(move || {
        install::watch_for_cancel(io::stdin().lock(), &watcher_cancel, input_end);
    });
    let mut stdout = io::stdout().lock();
    let result = apply::apply(
        &request,
        &ToolDirs::system(),
        &cancel,
        &mut |event: &ApplyEvent| {
            // The GUI going away must not stop the restore after a failure.
            let _ = stdout
                .write_all(event.to_json_line().as_bytes())
                .and_then(|()| stdout.flush());
        },
    );
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("keepsake-helper: {message}");
    ExitCode::from(2)
}
