// SPDX-License-Identifier: GPL-3.0-or-later
use std::process::ExitCode;

use clap::Parser;
use keepsake::cli::{self, Cli};

fn main() -> ExitCode {
    keepsake::i18n::init();
    let cli = Cli::parse();
    match cli.command {
        Some(command) => cli::run(command),
        None => run_gui(cli.gui),
    }
}

#[cfg(feature = "gui")]
fn run_gui(options: keepsake::GuiOptions) -> ExitCode {
    keepsake::ui::run(options)
}

#[cfg(not(feature = "gui"))]
fn run_gui(_options: keepsake::GuiOptions) -> ExitCode {
    eprintln!("keepsake was built without the graphical interface; see `keepsake --help`");
    ExitCode::from(2)
}
