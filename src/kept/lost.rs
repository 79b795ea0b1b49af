// SPDX-License-Identifier: GPL-3.0-or-later
//! What would be lost at the next reboot, for the editor's page: the
//! scanner's candidates on the system of a [`SystemView`], minus what the
//! configuration keeps, with the presets the system enables and the paths
//! the person ignored.

use std::collections::HashSet;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{IgnoredPaths, SystemView};
use crate::catalogue::Catalogue;
use crate::catalogue::Location;
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate};
use crate::nix::persistence_edit::{EntryKind, NewEntry, Persistence, Target};
use crate::scan::{
    self, Candidate, Owner, Report, ScanError, ScanOptions, ScanProgress, escape_bytes,
};

/// One candidate and what the editor says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub candidate: Candidate,
    /// Its preset (service or program) is enabled on the system.
    pub enabled: bool,
    /// The person chose to ignore it.
    pub ignored: bool,
}

impl Lost {
    /// “Docker is enabled but /var/lib/docker is not kept (3.2 GB would be
    /// lost)”, for a candidate of an enabled preset.
    pub fn headline(&self) -> Option<String> {
        let Owner::Preset { name, .. } = &self.candidate.owner else {
            return None;
        };
        self.enabled.then(|| {
            gettext_f(
                "{service} is enabled but {path} is not kept ({size} would be lost)",
                &[
                    ("service", name),
                    (
                        "path",
                        &isolate(&escape_bytes(self.candidate.path.as_os_str().as_bytes())),
                    ),
                    ("size", &isolate(&format_size(self.candidate.bytes))),
                ],
            )
        })
    }
}

impl Lost {
    /// The entry that keeps this candidate, for the editor's pending
    /// changes: a user's entry (relative to the home) for a path in
    /// `/home/<user>` or `/root`, a file entry when it is a file on the
    /// system of `view`, with the owner and mode the catalogue gives.
    /// `storage` may be left out when the configuration has one storage
    /// root. `None` for a name that is not UTF-8, which Nix cannot hold.
    pub fn entry(
        &self,
        view: &SystemView,
        catalogue: &Catalogue,
        storage: Option<String>,
    ) -> Option<NewEntry> {
        let path = self.candidate.path.to_str()?;
        let user = match &self.candidate.user {
            Some(user) => Some(user.to_str()?.to_owned()),
            None => None,
        };
        let relative = user.as_deref().and_then(|user| {
            let home = if user == "root" {
                "/root".to_owned()
            } else {
                format!("/home/{user}")
            };
            Path::new(path)
                .strip_prefix(home)
                .ok()
                .and_then(Path::to_str)
                .map(str::to_owned)
        });
        let is_file =
            fs::symlink_metadata(view.host_path(path)).is_ok_and(|metadata| !metadata.is_dir());
        let preset_path = match &self.candidate.owner {
            Owner::Preset { id, .. } => catalogue
                .presets
                .iter()
                .find(|preset| &preset.id == id)
                .and_then(|preset| {
                    preset.paths.iter().find(|known| match &known.location {
                        Location::System(system) => system == path,
                        Location::Home(home) => relative.as_deref() == Some(home.as_str()),
                    })
                }),
            _ => None,
        };
        let (target_path, user) = match relative {
            Some(relative) => (relative, user),
            None => (path.to_owned(), None),
        };
        Some(NewEntry {
            target: Target {
                kind: if is_file {
                    EntryKind::File
                } else {
                    EntryKind::Directory
                },
                path: target_path,
                user,
                storage,
            },
            owner: preset_path.and_then(|known| known.user.clone()),
            group: preset_path.and_then(|known| known.group.clone()),
            mode: preset_path
                .and_then(|known| known.mode)
                .map(|mode| format!("{mode:04o}")),
        })
    }
}

/// The candidates of `report` with their enabled presets and ignored marks,
/// largest first (the report's order).
pub fn lost_candidates(
    report: &Report,
    catalogue: &Catalogue,
    view: &SystemView,
    ignored: &IgnoredPaths,
) -> Vec<Lost> {
    let enabled: HashSet<&str> = catalogue
        .enabled(&view.root)
        .into_iter()
        .map(|preset| preset.id.as_str())
        .collect();
    report
        .candidates
        .iter()
        .map(|candidate| Lost {
            enabled: matches!(&candidate.owner, Owner::Preset { id, .. } if enabled.contains(id.as_str())),
            ignored: ignored.is_ignored(&candidate.path),
            candidate: candidate.clone(),
        })
        .collect()
}

/// Scans the system of `view`: its mount points and what `persistence`
/// keeps are skipped. This walks the whole root file system: call it off
/// the main thread, and watch or stop it through `progress`.
pub fn scan_lost(
    view: &SystemView,
    persistence: &Persistence,
    catalogue: &Catalogue,
    progress: &ScanProgress,
) -> Result<Report, ScanError> {
    let (storage_roots, kept) = persistence.kept_paths();
    let options = ScanOptions {
        root: view.root.clone(),
        kept,
        mounts: view.mount_points(),
        storage_roots,
        threads: 0,
    };
    scan::scan_with_progress(&options, catalogue, progress)
}
