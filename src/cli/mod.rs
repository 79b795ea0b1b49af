// SPDX-License-Identifier: GPL-3.0-or-later
//! The `keepsake` command line. Subcommands never initialise GTK.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub mod disks;
pub mod install;
pub mod persist;
pub mod plan;
pub mod scan;

#[derive(Debug, Parser)]
#[command(name = "keepsake", version = crate::config::VERSION, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub gui: GuiOptions,
}

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the disks Keepsake would offer, and why it refuses the others.
    Disks(disks::DisksArgs),
    /// Print a plan: `keepsake plan --example > plan.json`.
    Plan(plan::PlanArgs),
    /// Validate a plan and list every problem (exit status 1 if any).
    Check(plan::CheckArgs),
    /// Render a plan to the Nix files the installer writes.
    Render(plan::RenderArgs),
    /// Erase a disk and install NixOS on it as the plan says (as root).
    Install(install::InstallArgs),
    /// Read or edit what an installed system keeps across reboots.
    Persist(persist::PersistArgs),
    /// List what would be lost at the next reboot of a tmpfs root, grouped
    /// by the service, program or user it belongs to, largest first.
    Scan(scan::ScanArgs),
}

/// Runs a subcommand and turns its result into an exit code.
pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Disks(args) => disks::run(args),
        Command::Plan(args) => plan::run_plan(args),
        Command::Check(args) => plan::run_check(args),
        Command::Render(args) => plan::run_render(args),
        Command::Install(args) => install::run(args),
        Command::Persist(args) => persist::run(args),
        Command::Scan(args) => scan::run(args),
    }
}
