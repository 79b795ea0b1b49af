// SPDX-License-Identifier: GPL-3.0-or-later
//! The privileged half of Keepsake, started through pkexec. It reads the plan
//! as JSON on stdin and writes progress events as JSON lines on stdout. A
//! later line `cancel` on stdin, SIGINT or SIGTERM stop it at the next safe
//! point; with `--cancel-when-input-closes` (the GUI's), so does the end of
//! stdin, so a GUI that dies does not leave it running unseen. It never
//! links GTK.
//!
//! Exit status: 0 installed, 1 the install failed or was cancelled (the
//! events say why and what the disk holds), 2 the input was unusable.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

use keepsake::install::{self, CancelFlag, Event, InputEnd, InstallOptions, StepId};
use keepsake::plan::Plan;

fn main() -> ExitCode {
    keepsake::i18n::init();
    let (options, input_end) = match options_from_args() {
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
fn options_from_args() -> Result<(InstallOptions, InputEnd), String> {
    let mut options = InstallOptions::default();
    let mut input_end = InputEnd::Ignored;
    let mut args = std::env::args().skip(1);
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
