// SPDX-License-Identifier: GPL-3.0-or-later
//! What would be lost at the next boot: a walk of the erased root that
//! reports candidates for keeping, grouped by owner, not files.
//!
//! * **What is walked.** Only the file system of the scanned root (entries
//!   on another device — the storage subvolumes, `/nix`, bind mounts of kept
//!   paths — are skipped), minus the skip list in `data/scan/skip.toml`
//!   (`/nix`, `/proc`, `/sys`, `/dev`, `/run`, `/tmp`, files NixOS activation
//!   writes at every boot, links into `/etc/static` and the Nix store, the
//!   usual storage roots), minus paths the caller says are kept, storage
//!   roots and mount points ([`mount_points`] reads them for the running
//!   system).
//! * **Grouping.** A path that a [`catalogue`](crate::catalogue) entry
//!   names belongs to that entry; otherwise to an entry of a user's home
//!   (`/home/<user>/.foo`, `/root/.foo`, one level deeper in `.config`,
//!   `.local/share` and `.local/state`), otherwise to the top directory
//!   under `/var/lib`, `/var/cache`, `/var/log`, `/etc`, `/srv`, `/opt` …,
//!   otherwise to the top directory under `/`.
//! * **Sizes** are allocated bytes (`st_blocks` × 512), as `du` counts
//!   them: on the tmpfs root that is the memory the files hold, and sparse
//!   files are not counted as if they were full. The file count counts every
//!   entry that is not a directory; a file with several hard links is
//!   counted once. Symbolic links are counted as files and never followed,
//!   so loops are harmless. `newest` is the newest modification time of any
//!   entry, directories included.
//! * **Errors.** A directory that cannot be read is left out with a
//!   [`Note`]; the walk goes on.
//! * **Memory** does not grow with the number of files: sizes are added up
//!   per candidate while walking, candidates are capped, and only files with
//!   more than one hard link are remembered (by device and inode).
//!
//! File names need not be UTF-8. Wherever they are written as text (JSON,
//! the terminal) they go through [`escape_bytes`]: valid UTF-8 is copied, a
//! backslash is doubled and every other byte, and every ASCII control
//! character, becomes `\xNN`.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use gettextrs::gettext;
use thiserror::Error;

use crate::catalogue::{Advice, Catalogue};
use crate::i18n::{gettext_f, ngettext_f};

mod escape;
mod mountinfo;
mod rules;
mod walk;

pub use escape::escape_bytes;
pub use mountinfo::mount_points;
pub use rules::SkipReason;

use rules::{RuleInputs, Rules};
use walk::{Group, GroupKind, Stats};

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// The directory standing for `/` of the scanned system.
    pub root: PathBuf,
    /// Paths the configuration keeps, as the scanned system sees them.
    pub kept: Vec<PathBuf>,
    /// Mount points to skip, as the scanned system sees them.
    pub mounts: Vec<PathBuf>,
    /// Storage roots besides the usual ones (`/persist` …): skipped, and
    /// links into them are kept paths.
    pub storage_roots: Vec<PathBuf>,
    /// Worker threads; 0 for one per processor.
    pub threads: usize,
}

/// Where a candidate without a catalogue entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// A directory at the top, such as `/data`.
    Top,
    /// `/var/<x>` outside the places below.
    Var,
    /// `/var/lib/<x>`, `/var/db/<x>`.
    State,
    /// `/var/cache/<x>`.
    Cache,
    /// `/var/log/<x>`.
    Log,
    /// `/var/spool/<x>`.
    Spool,
    /// `/var/tmp`.
    Temporary,
    /// `/etc/<x>`.
    Etc,
    /// `/srv/<x>`.
    Served,
    /// `/opt/<x>`, `/usr/local/<x>`.
    Opt,
    /// `/home/<user>/<x>`, `/root/<x>`.
    Home,
    /// `~/.config/<x>`.
    UserConfig,
    /// `~/.local/<x>`, `~/.local/share/<x>`, `~/.local/state/<x>`.
    UserData,
    /// `~/.cache`.
    UserCache,
}

/// Who a candidate belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A service or program of the catalogue.
    Preset { id: String, name: String },
    /// A user's home, without a catalogue entry.
    User(OsString),
    /// Nothing known: the directory itself.
    Directory(OsString),
}

/// Something that would be lost at the next boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// As seen by the scanned system, such as `/var/lib/docker`.
    pub path: PathBuf,
    pub owner: Owner,
    /// The user whose home it is in.
    pub user: Option<OsString>,
    /// Allocated bytes.
    pub bytes: u64,
    /// Entries that are not directories, hard links counted once.
    pub files: u64,
    pub newest: Option<DateTime<Utc>>,
    pub advice: Advice,
    /// Translated: what it is and whether keeping it is usually wanted.
    pub reason: String,
}

/// A part of the tree that was not scanned because of a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub path: PathBuf,
    pub problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A directory or file could not be read (the OS error number).
    Unreadable(i32),
    /// More candidates than this; the rest count towards their parents.
    TooManyCandidates(usize),
}

/// A path the walk did not enter, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Largest first.
    pub candidates: Vec<Candidate>,
    pub notes: Vec<Note>,
    pub skipped: Vec<Skipped>,
    /// Notes and skipped paths beyond the listed ones.
    pub unlisted: usize,
}

#[derive(Debug, Error)]
pub enum ScanError {
    #[error("{path}: {source}")]
    Root { path: String, source: io::Error },
    #[error("the built-in skip list is broken: {0}")]
    Data(String),
    #[error("the scan was cancelled")]
    Cancelled,
}

/// How far a scan has come, for a GUI that polls it while the scan runs
/// on another thread, and a way to stop it. Counters, so its memory does
/// not grow with the tree; the walk adds to them once per directory.
#[derive(Debug, Default)]
pub struct ScanProgress {
    files: AtomicU64,
    bytes: AtomicU64,
    cancelled: AtomicBool,
}

impl ScanProgress {
    /// Files looked at so far (directories not counted).
    pub fn files(&self) -> u64 {
        self.files.load(Ordering::Relaxed)
    }

    /// Allocated bytes of everything looked at so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Stops the scan soon: it then ends with [`ScanError::Cancelled`].
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    fn add(&self, files: u64, bytes: u64) {
        self.files.fetch_add(files, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// Walks `options.root` and reports what would be lost at the next boot.
pub fn scan(options: &ScanOptions, catalogue: &Catalogue) -> Result<Report, ScanError> {
    scan_with_progress(options, catalogue, &ScanProgress::default())
}

/// [`scan`], counting in `progress` as it goes and stopping when it is
/// cancelled.
pub fn scan_with_progress(
    options: &ScanOptions,
    catalogue: &Catalogue,
    progress: &ScanProgress,
) -> Result<Report, ScanError> {
    let root = &options.root;
    let read = |path: &str| fs::read(root.join(path.trim_start_matches('/'))).ok();
    let rules = Rules::new(&RuleInputs {
        catalogue,
        kept: &options.kept,
        mounts: &options.mounts,
        storage_roots: &options.storage_roots,
        read: &read,
    })
    .map_err(ScanError::Data)?;
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        threads => threads,
    };
    let walked = walk::walk(root, &rules, threads, progress).map_err(|source| ScanError::Root {
        path: escape_bytes(root.as_os_str().as_bytes()),
        source,
    })?;
    if progress.is_cancelled() {
        return Err(ScanError::Cancelled);
    }
    let mut candidates: Vec<Candidate> = walked
        .groups
        .into_iter()
        .filter(|(_, stats)| stats.files > 0)
        .map(|(group, stats)| candidate(&group, stats, catalogue))
        .collect();
    candidates.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    Ok(Report {
        candidates,
        notes: walked.notes,
        skipped: walked.skipped,
        unlisted: walked.unlisted,
    })
}

fn candidate(group: &Arc<Group>, stats: Stats, catalogue: &Catalogue) -> Candidate {
    let path = PathBuf::from(OsStr::from_bytes(&group.path));
    let name = path.file_name().unwrap_or(path.as_os_str()).to_owned();
    let user = group
        .user
        .as_deref()
        .map(|user| OsString::from_vec(user.to_vec()));
    let user_text = user.as_deref().map(|user| escape_bytes(user.as_bytes()));
    let preset = match group.kind {
        GroupKind::Preset { preset, path } => catalogue
            .presets
            .get(preset as usize)
            .and_then(|preset| Some((preset, preset.paths.get(path as usize)?))),
        GroupKind::Area(_) => None,
    };
    let (owner, advice, reason) = match (preset, group.kind) {
        (Some((preset, path)), _) => (
            Owner::Preset {
                id: preset.id.clone(),
                // Names and reasons come from data/presets, extracted into
                // the catalogue by build-aux/extract-data-strings.
                name: gettext(&preset.name),
            },
            path.advice,
            gettext(&path.reason),
        ),
        (None, GroupKind::Area(area)) => {
            let hidden = name.as_bytes().starts_with(b".");
            let owner = match &user {
                Some(user) => Owner::User(user.clone()),
                None => Owner::Directory(name.clone()),
            };
            (
                owner,
                area.advice(hidden),
                area.reason(hidden, user_text.as_deref()),
            )
        }
        // An index outside the catalogue cannot come from the rules built
        // from the same catalogue; say nothing rather than something wrong.
        (None, GroupKind::Preset { .. }) => {
            (Owner::Directory(name), Advice::Optional, String::new())
        }
    };
    Candidate {
        path,
        owner,
        user,
        bytes: stats.bytes,
        files: stats.files,
        newest: stats
            .newest
            .and_then(|(seconds, nanoseconds)| DateTime::from_timestamp(seconds, nanoseconds)),
        advice,
        reason,
    }
}

impl Area {
    /// `hidden`: the candidate's name starts with a dot.
    fn advice(self, hidden: bool) -> Advice {
        match self {
            Area::Cache | Area::Temporary | Area::UserCache => Advice::Ignore,
            Area::Served => Advice::Keep,
            Area::Home if !hidden => Advice::Keep,
            _ => Advice::Optional,
        }
    }

    fn reason(self, hidden: bool, user: Option<&str>) -> String {
        let user = user.unwrap_or("root");
        match self {
            Area::Top => gettext("Something at the top of the system that NixOS does not create."),
            Area::Var => gettext("Variable data of a program the catalogue does not know."),
            Area::State => gettext(
                "State of a service the catalogue does not know; keep it if that service should remember anything.",
            ),
            Area::Cache => gettext("A cache; it is filled again when needed."),
            Area::Log => gettext("Logs, useful to find out what happened before a reboot."),
            Area::Spool => gettext("Queued mail, print jobs or scheduled tasks not handled yet."),
            Area::Temporary => gettext("Temporary files that programs are prepared to lose."),
            Area::Etc => gettext(
                "Changed by hand or by a program, not written by the NixOS configuration; better move the setting into the configuration.",
            ),
            Area::Served => gettext("Data this machine serves, put here on purpose."),
            Area::Opt => gettext("Software installed outside Nix."),
            Area::Home if hidden => gettext_f(
                "Settings or data of a program in the home folder of {user}.",
                &[("user", user)],
            ),
            Area::Home => gettext_f("Files in the home folder of {user}.", &[("user", user)]),
            Area::UserConfig => gettext_f("Settings of a program for {user}.", &[("user", user)]),
            Area::UserData => gettext_f("Data a program keeps for {user}.", &[("user", user)]),
            Area::UserCache => gettext_f(
                "The cache of {user}; programs fill it again when needed.",
                &[("user", user)],
            ),
        }
    }
}

impl Note {
    /// Translated, for people.
    pub fn message(&self) -> String {
        match self.problem {
            Problem::Unreadable(errno) => {
                let error = io::Error::from_raw_os_error(errno).to_string();
                gettext_f(
                    "Not scanned, it cannot be read: {error}",
                    &[("error", &error)],
                )
            }
            Problem::TooManyCandidates(limit) => ngettext_f(
                "More than {n} candidate; the rest are counted in their parent folders.",
                "More than {n} candidates; the rest are counted in their parent folders.",
                u32::try_from(limit).unwrap_or(u32::MAX),
                &[],
            ),
        }
    }
}

impl SkipReason {
    /// Translated, for people.
    pub fn message(&self) -> String {
        match self {
            // Extracted from data/scan/skip.toml by build-aux/extract-data-strings.
            SkipReason::Listed(reason) => gettext(reason),
            SkipReason::Kept => gettext("Kept by the configuration."),
            SkipReason::Storage => gettext("A storage root, kept by design."),
            SkipReason::Mount => gettext("A mount point."),
            SkipReason::OtherFileSystem => gettext("On another file system than the erased root."),
        }
    }
}

/// The mount points of the running system, for [`ScanOptions::mounts`].
pub fn running_mounts() -> io::Result<Vec<PathBuf>> {
    fs::read("/proc/self/mountinfo").map(|text| mount_points(&text))
}

/// Whether `root` is the running system's `/`.
pub fn is_running_root(root: &Path) -> bool {
    fs::canonicalize(root).is_ok_and(|root| root == Path::new("/"))
}
