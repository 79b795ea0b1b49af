// SPDX-License-Identifier: GPL-3.0-or-later
//! The state of every kept entry: where its data is stored, whether the
//! running system uses the stored copy now, and what the path is for.

use std::fs;
use std::path::{Path, PathBuf};

use gettextrs::gettext;

use super::SystemView;
use crate::apply::{KeptPath, kept_entries};
use crate::catalogue::{Catalogue, Location};
use crate::nix::persistence_edit::Persistence;

/// Whether the running system uses the stored copy of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// The stored copy is bind-mounted over the live path.
    BindMounted,
    /// The live path is a symbolic link into the storage root.
    Linked,
    /// Neither: the entry was added since the last boot or apply, or
    /// impermanence did not set it up. What is at the live path now is lost
    /// at the next boot unless an apply moves it.
    Inactive,
}

/// A path the catalogue knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPath {
    pub preset_id: String,
    /// Such as “Docker”.
    pub preset_name: String,
    /// Translated: what the path holds.
    pub reason: String,
}

/// One entry of the configuration and its state. Sizes are not measured
/// here: call [`allocated_bytes`](super::allocated_bytes) on
/// `view.host_path(&status.stored)` off the main thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryStatus {
    pub kept: KeptPath,
    /// The path on the running system, such as `/home/alice/.ssh`.
    pub live: PathBuf,
    /// Where impermanence stores it, such as `/persist/home/alice/.ssh`.
    pub stored: PathBuf,
    /// Whether anything is stored there yet.
    pub stored_exists: bool,
    pub activity: Activity,
    pub known: Option<KnownPath>,
}

/// The state of every literal entry of `persistence`, in source order
/// (storage roots switched off with `enable = false` are left out). Cheap:
/// a few `lstat`s per entry.
pub fn entry_statuses(
    persistence: &Persistence,
    view: &SystemView,
    catalogue: &Catalogue,
) -> Vec<EntryStatus> {
    let mounts = view.mount_points();
    kept_entries(persistence)
        .into_iter()
        .map(|kept| {
            let live = PathBuf::from(kept.absolute());
            let stored = Path::new(&kept.storage).join(live.strip_prefix("/").unwrap_or(&live));
            let activity = if mounts.contains(&live) {
                Activity::BindMounted
            } else if links_into(&view.host_path(&live), Path::new(&kept.storage)) {
                Activity::Linked
            } else {
                Activity::Inactive
            };
            let stored_exists = fs::symlink_metadata(view.host_path(&stored)).is_ok();
            let known = known_path(catalogue, &kept);
            EntryStatus {
                kept,
                live,
                stored,
                stored_exists,
                activity,
                known,
            }
        })
        .collect()
}

fn links_into(link: &Path, storage: &Path) -> bool {
    fs::read_link(link).is_ok_and(|target| target.starts_with(storage))
}

/// What the catalogue says about a kept path: a user's entry is matched
/// against the presets' home paths, a system entry against their system
/// paths.
pub fn known_path(catalogue: &Catalogue, kept: &KeptPath) -> Option<KnownPath> {
    catalogue.presets.iter().find_map(|preset| {
        let path = preset.paths.iter().find(|path| match &path.location {
            Location::Home(home) => kept.user.is_some() && same_path(home, &kept.path),
            Location::System(system) => kept.user.is_none() && same_path(system, &kept.path),
        })?;
        Some(KnownPath {
            preset_id: preset.id.clone(),
            preset_name: preset.name.clone(),
            reason: gettext(&path.reason),
        })
    })
}

fn same_path(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}
