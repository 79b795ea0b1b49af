// SPDX-License-Identifier: GPL-3.0-or-later
//! How the graphical interface is started: parsed by the command line (no
//! subcommand), read by the application, the UI tests and the benchmarks.

use std::path::PathBuf;

use clap::Args;

/// Options of the graphical interface (no subcommand).
#[derive(Debug, Clone, Default, Args)]
pub struct GuiOptions {
    /// Use fake disks and a simulated install, so nothing is written.
    #[arg(long)]
    pub demo: bool,
    /// Open the editor of what this installed system keeps, even where the
    /// installer would open; with --demo, on a fake installed system.
    #[arg(long)]
    pub edit: bool,
    /// The file that defines `environment.persistence`, instead of the one
    /// `/etc/nixos/configuration.nix` imports (with --edit).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Save a PNG of the window after its first frame, print its path and
    /// quit (used on headless machines and by the tests).
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
}
