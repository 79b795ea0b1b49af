// SPDX-License-Identifier: GPL-3.0-or-later
//! The `keepsake` command line. Subcommands never initialise GTK.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::GuiOptions;

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
