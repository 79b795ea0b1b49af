// SPDX-License-Identifier: GPL-3.0-or-later
//! The install engine: steps, executor, progress events, cleanup.
//!
//! [`install`] runs the steps of [`StepId::ALL`] in order against a
//! [`Backend`] — [`SystemBackend`] on real disks (as root, in
//! `keepsake-helper` or `keepsake install`), [`FakeBackend`] for the demo
//! and tests — and reports every step as [`Event`]s. Raise the
//! [`CancelFlag`] to stop at the next safe point; what the run set up is
//! then unmounted and locked, and the last event says what the disk holds.
//!
//! ```no_run
//! use keepsake::install::{self, CancelFlag, FakeBackend, InstallOptions};
//! # let plan = keepsake::plan::Plan::example();
//! let cancel = CancelFlag::new();
//! let mut backend = FakeBackend::new();
//! let result = install::install(&plan, &mut backend, &InstallOptions::default(), &cancel,
//!     &mut |event| println!("{}", event.to_json_line().trim_end()));
//! ```

mod backend;
mod cancel;
mod disk_state;
mod event;
mod executor;
mod fake;
mod helper_input;
mod helper_process;
mod mount_options;
pub mod preflight;
pub mod reboot;
#[cfg(test)]
mod session_bus_tests;
mod system;
mod tools;
mod udisks;

pub use self::backend::{
    Backend, BackendError, CheckedDisk, CreatedPartition, CreatedRoot, DiskProblem, DiskRefused,
    MountRequest, ToolCommand,
};
pub use self::cancel::CancelFlag;
pub use self::disk_state::DiskState;
pub use self::event::{Event, StepId};
pub use self::executor::{
    InstallError, InstallOptions, InstallReport, REQUIRED_PROGRAMS, install, install_with_udisks,
};
pub use self::fake::FakeBackend;
pub use self::helper_input::{
    CANCEL_COMMAND, InputEnd, MAX_PLAN_BYTES, PlanInputError, read_plan_json, watch_for_cancel,
};
pub use self::helper_process::{HelperEvent, HelperExit, HelperMessage, HelperProcess};
pub use self::mount_options::split_mount_options;
pub use self::system::SystemBackend;
pub(crate) use self::system::run_streaming;
pub use self::tools::{NIXOS_PROFILE_BIN, TOOLS_DIR_VARIABLE, ToolDirs, ToolNotFound};
