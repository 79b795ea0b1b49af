// SPDX-License-Identifier: GPL-3.0-or-later
//! Keepsake installs NixOS as an "erase your darlings" system and edits what
//! that system persists.
//!
//! The layers only depend downwards:
//!
//! * [`ui`] — libadwaita widgets (only with the `gui` feature): the install
//!   wizard, and the persistence editor ([`ui::editor`]).
//! * [`apply`] — on an installed system: the safe data move and
//!   `nixos-rebuild` with the previous file restored on failure.
//! * [`cli`] — the `keepsake` subcommands, without GTK.
//! * [`kept`] — what an installed system keeps, seen from the running
//!   system: entry states, orphans, accounts, the demo system.
//! * [`install`] — the step list and its executor with UDisks and fake
//!   backends.
//! * [`disks`] — UDisks2 discovery and the rules that refuse disks in use.
//! * [`scan`] — the walk of the erased root that finds what would be lost at
//!   the next boot, grouped into candidates by owner.
//! * [`catalogue`] — services and programs and the paths they need kept
//!   (data in `data/presets/`), and which of them a system enables.
//! * [`nix`] — the Nix writer and the renderers of every generated file.
//! * [`plan`] — the data model of an installation and its validation.

pub mod apply;
pub mod atomic_file;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod disks;
mod gui_options;
pub mod i18n;
pub mod install;
pub mod kept;
pub mod nix;
pub mod plan;
pub mod region;
pub mod scan;
#[cfg(feature = "gui")]
pub mod ui;

pub use gui_options::GuiOptions;
