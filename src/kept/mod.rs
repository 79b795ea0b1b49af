// SPDX-License-Identifier: GPL-3.0-or-later
//! What an installed system keeps, seen from the running system: the
//! state of every entry (stored size, active now, what it is for), orphans
//! in the storage roots, whether Keepsake runs on an installed system at
//! all, and a fake installed system for the demo and the tests.
//!
//! Everything here reads a [`SystemView`]: a directory standing for `/`
//! and the text of a `mountinfo` file, so that tests and `--demo --edit`
//! work without bind mounts or root. Nothing here links GTK; sizes walk
//! trees, so the GUI calls them off its main thread.
//!
//! What the editor calls:
//! * start: [`system_kind`] (editor or wizard), [`DemoSystem::create`]
//!   for `--demo --edit`;
//! * the entries: [`entry_statuses`], then [`allocated_bytes`] of each
//!   stored path;
//! * the storage roots: [`Protected::new`], [`find_orphans`]; deleting
//!   goes through `keepsake-helper delete-orphan` ([`DeleteOrphanInput`]);
//! * accounts: [`password_file`] to offer the change,
//!   `keepsake-helper set-password` ([`SetPasswordInput::to_json`]) to make
//!   it, [`password_takes_effect`] to say when it counts;
//! * Lost at Next Reboot: [`scan_lost`], [`lost_candidates`],
//!   [`Lost::headline`], [`Lost::entry`], [`IgnoredPaths`];
//! * applying: `keepsake-helper apply` ([`ApplyInput`], events
//!   [`EditorEvent`]) started with [`editor_helper_command`] and
//!   [`HelperProcess::start`](crate::install::HelperProcess::start).

mod demo;
mod helper;
mod ignored;
mod installed;
mod lost;
mod orphans;
mod password;
mod size;
mod status;
mod view;

pub use self::demo::DemoSystem;
pub use self::helper::{
    ActivationInput, ApplyInput, ConflictInput, DeleteOrphanInput, EditorEvent, EditorMode,
    SetPasswordInput, TaskEvent, apply_request, editor_helper_command, run_delete_orphan,
    run_set_password,
};
pub use self::ignored::IgnoredPaths;
pub use self::installed::{SystemKind, system_kind};
pub use self::lost::{Lost, lost_candidates, scan_lost};
pub use self::orphans::{DeleteError, Orphan, Orphans, Protected, delete_orphan, find_orphans};
pub use self::password::{
    PasswordError, password_file, password_takes_effect, set_password, write_hash_file,
};
pub use self::size::allocated_bytes;
pub use self::status::{Activity, EntryStatus, KnownPath, entry_statuses, known_path};
pub use self::view::SystemView;
