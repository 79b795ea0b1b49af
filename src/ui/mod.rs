// SPDX-License-Identifier: GPL-3.0-or-later
//! The graphical interface.

use std::process::ExitCode;

use crate::cli::GuiOptions;

pub fn run(_options: GuiOptions) -> ExitCode {
    ExitCode::FAILURE
}
