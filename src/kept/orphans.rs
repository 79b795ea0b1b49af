// SPDX-License-Identifier: GPL-3.0-or-later
//! Orphans: data in a storage root that no entry keeps any more (removing
//! an entry never deletes its data). Deleting one is never automatic, and
//! [`delete_orphan`] checks again that it is one.
//!
//! A stored path is taken as kept when an entry keeps it, when it lies
//! inside or around a kept path, or when the configuration names it (or the
//! live path it would be stored for) anywhere as a literal — such as a
//! `hashedPasswordFile` under the storage root, or `"/var/lib/bluetooth"`
//! inside `lib.optionals`. Entries the configuration computes from
//! variables cannot be seen: [`Orphans::uncertain`] says so.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{SystemView, allocated_bytes};
use crate::apply::{KeptPath, kept_entries};
use crate::i18n::{gettext_f, isolate};
use crate::nix::persistence_edit::{Persistence, absolute_literals, configuration_files};

/// One orphan, the top-most path no entry keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The storage root it is in, such as `/persist`.
    pub storage: PathBuf,
    /// As the system sees it, such as `/persist/var/lib/postgresql`.
    pub path: PathBuf,
    /// Allocated bytes, as `du` counts them.
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Orphans {
    /// In path order.
    pub orphans: Vec<Orphan>,
    /// The configuration computes some entries, so some of these may be
    /// kept after all: say so before deleting anything.
    pub uncertain: bool,
}

/// What protects stored data from being called an orphan.
#[derive(Debug, Clone)]
pub struct Protected {
    storages: Vec<PathBuf>,
    /// Stored paths (as the system sees them) kept or named.
    kept: Vec<PathBuf>,
    uncertain: bool,
}

impl Protected {
    /// From the entries of `persistence` and the literals of every file of
    /// the configuration of `view`.
    pub fn new(persistence: &Persistence, view: &SystemView) -> Self {
        let literals: Vec<PathBuf> = configuration_files(&view.root)
            .iter()
            .filter_map(|file| fs::read_to_string(file).ok())
            .flat_map(|text| absolute_literals(&text))
            .map(PathBuf::from)
            .collect();
        Self::from_parts(persistence, &literals)
    }

    /// From the entries of `persistence` and the absolute paths the
    /// configuration names.
    pub fn from_parts(persistence: &Persistence, literals: &[PathBuf]) -> Self {
        let (storages, _) = persistence.kept_paths();
        let mut kept: Vec<PathBuf> = kept_entries(persistence).iter().map(stored_path).collect();
        for literal in literals {
            kept.push(literal.clone());
            kept.extend(storages.iter().map(|storage| under(storage, literal)));
        }
        // `fileSystems."/persist"` or `"/"` name a storage root or what is
        // around it, which would make everything in it look kept.
        kept.retain(|path| !storages.iter().any(|storage| storage.starts_with(path)));
        Self {
            storages,
            kept,
            uncertain: persistence.is_computed(),
        }
    }

    /// Some kept path is `path`, inside it, or around it.
    fn touches(&self, path: &Path) -> bool {
        self.kept
            .iter()
            .any(|kept| kept.starts_with(path) || path.starts_with(kept))
    }
}

fn stored_path(kept: &KeptPath) -> PathBuf {
    under(Path::new(&kept.storage), Path::new(&kept.absolute()))
}

fn under(storage: &Path, path: &Path) -> PathBuf {
    storage.join(path.strip_prefix("/").unwrap_or(path))
}

/// The orphans in every enabled storage root, with their sizes (this walks
/// them: call it off the main thread).
pub fn find_orphans(protected: &Protected, view: &SystemView) -> Orphans {
    let mut orphans = Vec::new();
    for storage in &protected.storages {
        collect(protected, view, storage, storage, &mut orphans);
    }
    orphans.sort_by(|a, b| a.path.cmp(&b.path));
    Orphans {
        orphans,
        uncertain: protected.uncertain,
    }
}

fn collect(
    protected: &Protected,
    view: &SystemView,
    storage: &Path,
    dir: &Path,
    orphans: &mut Vec<Orphan>,
) {
    let Ok(entries) = fs::read_dir(view.host_path(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let path = dir.join(entry.file_name());
        if !protected.touches(&path) {
            let bytes = allocated_bytes(&entry.path()).unwrap_or(0);
            orphans.push(Orphan {
                storage: storage.to_owned(),
                path,
                bytes,
            });
        } else if !protected.kept.contains(&path)
            && entry.file_type().is_ok_and(|kind| kind.is_dir())
        {
            collect(protected, view, storage, &path, orphans);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error("{}", self.message())]
    NotInStorage { path: PathBuf },
    #[error("{}", self.message())]
    Kept { path: PathBuf },
    #[error("{}", self.message())]
    Io { path: PathBuf, error: io::Error },
}

impl DeleteError {
    pub fn message(&self) -> String {
        match self {
            DeleteError::NotInStorage { path } => gettext_f(
                "{path} is not inside a storage root, so Keepsake does not delete it.",
                &[("path", &isolate(&path.display().to_string()))],
            ),
            DeleteError::Kept { path } => gettext_f(
                "{path} is kept by the configuration, or holds something it keeps, so it was not deleted.",
                &[("path", &isolate(&path.display().to_string()))],
            ),
            DeleteError::Io { path, error } => gettext_f(
                "{path} could not be deleted completely ({error}); what is left is still there.",
                &[
                    ("path", &isolate(&path.display().to_string())),
                    ("error", &error.to_string()),
                ],
            ),
        }
    }
}

/// Deletes the orphan `path` (as the system sees it) and returns the bytes
/// it held. Refuses anything outside a storage root (`..`, symbolic links
/// in the way included), a storage root itself, and anything kept.
pub fn delete_orphan(
    protected: &Protected,
    view: &SystemView,
    path: &Path,
) -> Result<u64, DeleteError> {
    let not_in_storage = || DeleteError::NotInStorage {
        path: path.to_owned(),
    };
    let plain = path.is_absolute()
        && path
            .components()
            .all(|part| matches!(part, Component::RootDir | Component::Normal(_)));
    let storage = protected
        .storages
        .iter()
        .find(|storage| path.starts_with(storage) && path != storage.as_path())
        .filter(|_| plain)
        .ok_or_else(not_in_storage)?;
    if protected.touches(path) {
        return Err(DeleteError::Kept {
            path: path.to_owned(),
        });
    }
    // A link on the way would lead the removal out of the storage root.
    let host = view.host_path(path);
    let parent = host.parent().ok_or_else(not_in_storage)?;
    let real_storage =
        fs::canonicalize(view.host_path(storage)).map_err(|error| io_at(path, error))?;
    let real_parent = fs::canonicalize(parent).map_err(|error| io_at(path, error))?;
    if !real_parent.starts_with(&real_storage) {
        return Err(not_in_storage());
    }
    let bytes = allocated_bytes(&host).map_err(|error| io_at(path, error))?;
    let removed = match fs::symlink_metadata(&host) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(&host),
        Ok(_) => fs::remove_file(&host),
        Err(error) => Err(error),
    };
    removed.map_err(|error| io_at(path, error))?;
    Ok(bytes)
}

fn io_at(path: &Path, error: io::Error) -> DeleteError {
    DeleteError::Io {
        path: path.to_owned(),
        error,
    }
}
