// SPDX-License-Identifier: GPL-3.0-or-later
//! The privileged half of Keepsake, started through pkexec. It reads the plan
//! as JSON on stdin and writes progress events as JSON lines on stdout. It
//! never links GTK.

use std::process::ExitCode;

fn main() -> ExitCode {
    keepsake::i18n::init();
    eprintln!("keepsake-helper: the install engine is not built yet");
    ExitCode::FAILURE
}
