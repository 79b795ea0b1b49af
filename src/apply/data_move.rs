// SPDX-License-Identifier: GPL-3.0-or-later
//! The safe data move: before a newly kept path is bind-mounted from the
//! storage root, its data on the live (tmpfs) root is copied there, or the
//! mount would hide it and the next reboot would erase it.
//!
//! The live data is only ever read. The copy is made under a temporary name
//! next to its final place and renamed at the end, so a failure leaves no
//! partial copy behind, and data already stored at that path is never
//! overwritten: the caller chooses which copy stays in place, and the other
//! one is renamed to a dated backup next to it.

use std::fs;
use std::io;
use std::ops::ControlFlow;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, CWD, Mode, RenameFlags};
use serde::{Deserialize, Serialize};

use super::copy::{self, CopyError, Interrupt, TreeCopier, TreeSize};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate};

/// Room left free on the storage root after a move, besides the data: its
/// file system needs some for metadata, and a full root file system of a
/// running system breaks it.
const SPACE_MARGIN_BYTES: u64 = 16 * 1024 * 1024;
/// What each directory, link or small file costs beyond its data blocks.
const ENTRY_OVERHEAD_BYTES: u64 = 512;

/// Which copy stays in place when the storage root already has data at the
/// path; the other one is kept as a dated backup next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictChoice {
    KeepStored,
    KeepLive,
}

#[derive(Debug, thiserror::Error)]
pub enum DataMoveError {
    #[error("{}", self.message())]
    NoSpace {
        stored: PathBuf,
        needed: u64,
        available: u64,
    },
    /// The storage root has data at the path and no [`ConflictChoice`] was
    /// made.
    #[error("{}", self.message())]
    Conflict { live: PathBuf, stored: PathBuf },
    #[error("{}", self.message())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The observer asked to stop (cancellation).
    #[error("{}", self.message())]
    Stopped { live: PathBuf },
}

impl DataMoveError {
    /// The translated sentence for people.
    pub fn message(&self) -> String {
        match self {
            DataMoveError::NoSpace {
                stored,
                needed,
                available,
                // Translators: {stored} is a folder path; {needed} and {available} are amounts such as “3.2 GB”.
            } => gettext_f(
                "There is not enough space for {stored}: {needed} are needed and {available} are free. Nothing was copied.",
                &[
                    ("stored", &isolate(&stored.display().to_string())),
                    ("needed", &isolate(&format_size(*needed))),
                    ("available", &isolate(&format_size(*available))),
                ],
            ),
            DataMoveError::Conflict { live, stored } => gettext_f(
                "{stored} already holds data, and so does {live}. Choose which copy to keep; the other will be kept as a dated backup.",
                &[
                    ("stored", &isolate(&stored.display().to_string())),
                    ("live", &isolate(&live.display().to_string())),
                ],
            ),
            DataMoveError::Io { path, source } => gettext_f(
                "Copying failed at {path}: {error}. The live data was not changed and the partial copy was removed.",
                &[
                    ("path", &isolate(&path.display().to_string())),
                    ("error", &source.to_string()),
                ],
            ),
            DataMoveError::Stopped { live } => gettext_f(
                "Copying {live} was stopped. The live data was not changed and the partial copy was removed.",
                &[("live", &isolate(&live.display().to_string()))],
            ),
        }
    }
}

impl From<CopyError> for DataMoveError {
    fn from(error: CopyError) -> Self {
        DataMoveError::Io {
            path: error.path,
            source: error.source,
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> DataMoveError + '_ {
    move |source| DataMoveError::Io {
        path: path.to_owned(),
        source,
    }
}

fn errno_at(path: &Path) -> impl FnOnce(rustix::io::Errno) -> DataMoveError + '_ {
    move |errno| io_at(path)(errno.into())
}

/// `2026-11-25T18-00-00` in UTC: the suffix of backups made at `time`,
/// without colons, which some tools read as host names.
pub fn backup_stamp(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// well-known algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// How far a move has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveProgress {
    pub copied_bytes: u64,
    pub total_bytes: u64,
}

/// One newly kept path: its data on the live root and where it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataMove {
    pub live: PathBuf,
    pub stored: PathBuf,
    pub conflict: Option<ConflictChoice>,
}

impl DataMove {
    /// Looks at both places without changing anything: `None` when there
    /// is no live data or it is not on the live root's file system (it is
    /// stored already, or another file system is mounted there), an error
    /// for a conflict without a choice or too little space.
    pub fn prepare(&self) -> Result<Option<PreparedMove>, DataMoveError> {
        let live = match fs::symlink_metadata(&self.live) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(io_at(&self.live)(error)),
            Ok(live) => live,
        };
        let live_parent = self.live.parent().unwrap_or(Path::new("/"));
        let parent = fs::metadata(live_parent).map_err(io_at(live_parent))?;
        if live.dev() != parent.dev() {
            return Ok(None);
        }
        let stored_exists = match fs::symlink_metadata(&self.stored) {
            // Inside a path kept already, the live path is the stored one
            // seen through the bind mount.
            Ok(stored) if (stored.dev(), stored.ino()) == (live.dev(), live.ino()) => {
                return Ok(None);
            }
            Ok(_) => true,
            Err(error) if error.kind() == io::ErrorKind::NotFound => false,
            Err(error) => return Err(io_at(&self.stored)(error)),
        };
        let conflict = match (stored_exists, self.conflict) {
            (false, _) => None,
            (true, Some(choice)) => Some(choice),
            (true, None) => {
                return Err(DataMoveError::Conflict {
                    live: self.live.clone(),
                    stored: self.stored.clone(),
                });
            }
        };
        let size = copy::measure(&self.live)?;
        let prepared = PreparedMove {
            live: self.live.clone(),
            stored: self.stored.clone(),
            conflict,
            size,
        };
        prepared.check_space()?;
        Ok(Some(prepared))
    }
}

/// A move that was measured and fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedMove {
    live: PathBuf,
    stored: PathBuf,
    /// The choice, when the storage root has data at the path.
    conflict: Option<ConflictChoice>,
    size: TreeSize,
}

/// What a finished move changed in the storage root, so that it can be
/// undone while the live data is still there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveOutcome {
    /// The live data is stored; `created` are the parent directories made
    /// for it, outermost first.
    Copied {
        stored: PathBuf,
        created: Vec<PathBuf>,
    },
    /// The live data is stored; what was stored before is now `backup`.
    KeptLive { stored: PathBuf, backup: PathBuf },
    /// The stored data stays; a copy of the live data is now `backup`.
    KeptStored { backup: PathBuf },
}

impl PreparedMove {
    pub fn live(&self) -> &Path {
        &self.live
    }

    pub fn stored(&self) -> &Path {
        &self.stored
    }

    /// The bytes of data the copy will write.
    pub fn data_bytes(&self) -> u64 {
        self.size.allocated_bytes
    }

    fn needed_bytes(&self) -> u64 {
        self.size.allocated_bytes + self.size.entries * ENTRY_OVERHEAD_BYTES + SPACE_MARGIN_BYTES
    }

    fn check_space(&self) -> Result<(), DataMoveError> {
        let existing = self
            .stored
            .ancestors()
            .skip(1)
            .find(|dir| dir.is_dir())
            .unwrap_or(Path::new("/"));
        let stat = rustix::fs::statvfs(existing).map_err(errno_at(existing))?;
        let available = stat.f_bavail.saturating_mul(stat.f_frsize);
        let needed = self.needed_bytes();
        if needed > available {
            return Err(DataMoveError::NoSpace {
                stored: self.stored.clone(),
                needed,
                available,
            });
        }
        Ok(())
    }

    /// Copies the live data into the storage root. `observer` hears the
    /// progress after each file and stops the move with
    /// `ControlFlow::Break`; whatever stops it, the live data is untouched
    /// and nothing of the copy is left.
    pub fn run(
        &self,
        backup_stamp: &str,
        observer: &mut dyn FnMut(MoveProgress) -> ControlFlow<()>,
    ) -> Result<MoveOutcome, DataMoveError> {
        // Another move may have used the space since `prepare`.
        self.check_space()?;
        let (parent, name) = split(&self.stored)?;
        let created = create_parents(&self.live, &self.stored)?;
        let temporary = parent.join(format!(".{name}.keepsake-partial-{}", std::process::id()));
        if fs::symlink_metadata(&temporary).is_ok() {
            // Not this run's to remove.
            remove_empty(&created);
            return Err(DataMoveError::Io {
                path: temporary,
                source: io::Error::from(io::ErrorKind::AlreadyExists),
            });
        }
        let total_bytes = self.size.allocated_bytes;
        let mut report = |copied_bytes| match observer(MoveProgress {
            copied_bytes,
            total_bytes,
        }) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(()),
        };
        let copied = TreeCopier::new(&mut report).copy(&self.live, &temporary);
        let result = match copied {
            Ok(()) => self.put_in_place(parent, name, &temporary, backup_stamp, created.clone()),
            Err(Interrupt::Io(error)) => Err(error.into()),
            Err(Interrupt::Stopped(())) => Err(DataMoveError::Stopped {
                live: self.live.clone(),
            }),
        };
        if result.is_err() {
            // Best effort: each is only a copy, and an error is already
            // being reported.
            let _ = remove_tree(&temporary);
            remove_empty(&created);
        }
        result
    }

    fn put_in_place(
        &self,
        parent: &Path,
        name: &str,
        temporary: &Path,
        backup_stamp: &str,
        created: Vec<PathBuf>,
    ) -> Result<MoveOutcome, DataMoveError> {
        // The bind mount will hide the live data: the copy must be on disk
        // first, or a power cut could lose both.
        let directory = fs::File::open(parent).map_err(io_at(parent))?;
        rustix::fs::syncfs(&directory).map_err(errno_at(parent))?;
        let outcome = match self.conflict {
            None => {
                rename_new(temporary, &self.stored)?;
                MoveOutcome::Copied {
                    stored: self.stored.clone(),
                    created,
                }
            }
            Some(ConflictChoice::KeepLive) => {
                let backup = free_backup_name(parent, name, backup_stamp)?;
                rename_new(&self.stored, &backup)?;
                if let Err(error) = rename_new(temporary, &self.stored) {
                    let _ = rename_new(&backup, &self.stored);
                    return Err(error);
                }
                MoveOutcome::KeptLive {
                    stored: self.stored.clone(),
                    backup,
                }
            }
            Some(ConflictChoice::KeepStored) => {
                let backup = free_backup_name(parent, name, backup_stamp)?;
                rename_new(temporary, &backup)?;
                MoveOutcome::KeptStored { backup }
            }
        };
        directory.sync_all().map_err(io_at(parent))?;
        Ok(outcome)
    }
}

impl MoveOutcome {
    /// Puts the storage root back as it was before the move. Only copies
    /// are removed: the live data they came from is still there.
    pub fn undo(&self) -> Result<(), DataMoveError> {
        match self {
            MoveOutcome::Copied { stored, created } => {
                remove_tree(stored)?;
                remove_empty(created);
            }
            MoveOutcome::KeptLive { stored, backup } => {
                remove_tree(stored)?;
                rename_new(backup, stored)?;
            }
            MoveOutcome::KeptStored { backup } => remove_tree(backup)?,
        }
        Ok(())
    }

    /// The copy this move made in the storage root.
    pub fn made(&self) -> &Path {
        match self {
            MoveOutcome::Copied { stored, .. } | MoveOutcome::KeptLive { stored, .. } => stored,
            MoveOutcome::KeptStored { backup } => backup,
        }
    }

    /// The backup this move made, if any.
    pub fn backup(&self) -> Option<&Path> {
        match self {
            MoveOutcome::Copied { .. } => None,
            MoveOutcome::KeptLive { backup, .. } | MoveOutcome::KeptStored { backup } => {
                Some(backup)
            }
        }
    }
}

fn split(stored: &Path) -> Result<(&Path, &str), DataMoveError> {
    let invalid = || DataMoveError::Io {
        path: stored.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidInput, "not a path with a file name"),
    };
    let parent = stored.parent().ok_or_else(invalid)?;
    let name = stored
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(invalid)?;
    Ok((parent, name))
}

/// `<name>.keepsake-backup-<stamp>`, or with `-2`, `-3` … when a backup of
/// the same second exists.
fn free_backup_name(parent: &Path, name: &str, stamp: &str) -> Result<PathBuf, DataMoveError> {
    let base = format!("{name}.keepsake-backup-{stamp}");
    for attempt in 1..1000 {
        let candidate = match attempt {
            1 => parent.join(&base),
            n => parent.join(format!("{base}-{n}")),
        };
        match fs::symlink_metadata(&candidate) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(candidate),
            Err(error) => return Err(io_at(&candidate)(error)),
            Ok(_) => {}
        }
    }
    Err(DataMoveError::Io {
        path: parent.join(&base),
        source: io::Error::from(io::ErrorKind::AlreadyExists),
    })
}

/// A rename that fails instead of replacing anything.
fn rename_new(from: &Path, to: &Path) -> Result<(), DataMoveError> {
    rustix::fs::renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(errno_at(to))
}

/// Makes the missing parents of `stored` with the owner and mode of the
/// live directories they stand for, outermost first.
fn create_parents(live: &Path, stored: &Path) -> Result<Vec<PathBuf>, DataMoveError> {
    let mut missing: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut live_parent = live.parent();
    let mut stored_parent = stored.parent();
    while let (Some(live_dir), Some(stored_dir)) = (live_parent, stored_parent) {
        if stored_dir.is_dir() {
            break;
        }
        missing.push((live_dir.to_owned(), stored_dir.to_owned()));
        live_parent = live_dir.parent();
        stored_parent = stored_dir.parent();
    }
    let mut created = Vec::new();
    for (live_dir, stored_dir) in missing.into_iter().rev() {
        let made = make_dir_like(&live_dir, &stored_dir);
        if let Err(error) = made {
            remove_empty(&created);
            return Err(error);
        }
        created.push(stored_dir);
    }
    Ok(created)
}

fn make_dir_like(live_dir: &Path, stored_dir: &Path) -> Result<(), DataMoveError> {
    let stat = copy::lstat(live_dir)?;
    rustix::fs::mkdirat(CWD, stored_dir, Mode::RWXU).map_err(errno_at(stored_dir))?;
    rustix::fs::chownat(
        CWD,
        stored_dir,
        Some(rustix::fs::Uid::from_raw(stat.st_uid)),
        Some(rustix::fs::Gid::from_raw(stat.st_gid)),
        AtFlags::empty(),
    )
    .map_err(errno_at(stored_dir))?;
    rustix::fs::chmodat(
        CWD,
        stored_dir,
        Mode::from_raw_mode(stat.st_mode),
        AtFlags::empty(),
    )
    .map_err(errno_at(stored_dir))
}

/// Removes directories made for a move, innermost first, if still empty.
fn remove_empty(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        // Not empty means something else uses it now: it stays.
        let _ = fs::remove_dir(dir);
    }
}

fn remove_tree(path: &Path) -> Result<(), DataMoveError> {
    let result = match fs::symlink_metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        _ => fs::remove_file(path),
    };
    result.map_err(io_at(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backup_stamps_are_utc_without_colons() {
        let time = UNIX_EPOCH + Duration::from_secs(1_795_629_600);
        assert_eq!(backup_stamp(time), "2026-11-25T18-00-00");
        assert_eq!(backup_stamp(UNIX_EPOCH), "1970-01-01T00-00-00");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(backup_stamp(leap_day), "2000-02-29T00-00-00");
    }
}
