// SPDX-License-Identifier: GPL-3.0-or-later
//! The primitive operations the install steps are made of. The executor
//! decides what to do and in which order; a backend only does it, on real
//! disks ([`super::SystemBackend`]) or pretend ([`super::FakeBackend`]).
//! [`check_disk`] is the disk check both share.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::disks::{self, DiskError, DiskQuery, DiskSource, RefusalReason, format_size};
use crate::i18n::{gettext_f, isolate};
use crate::plan::{Secret, TargetDisk};

use super::cancel::CancelFlag;
use super::tools::ToolNotFound;

/// What went wrong, in the words of the tool or service that failed. The
/// executor puts a translated sentence in front of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{detail}")]
pub struct BackendError {
    pub detail: String,
}

impl BackendError {
    pub fn new(detail: impl Into<String>) -> Self {
        Self {
            detail: detail.into(),
        }
    }
}

/// The disk as the last check found it. The destructive calls use this
/// object instead of resolving the plan's path again, so what is written to
/// is what was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedDisk {
    /// UDisks' object of the whole-disk block device.
    pub object_path: String,
    /// `/dev/sda`, for the log.
    pub device: String,
}

/// One reason to refuse the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskProblem {
    /// The disk is gone, or UDisks could not be asked.
    Unavailable(DiskError),
    /// The disk list's rules refuse it now (mounted, swap, too small …).
    InUse(RefusalReason),
    /// Another disk is there, or the same one with another size.
    Changed {
        disk: String,
        now_serial: String,
        now_size: u64,
        expected_serial: String,
        expected_size: u64,
    },
}

impl DiskProblem {
    /// One translated sentence.
    pub fn message(&self) -> String {
        match self {
            Self::Unavailable(error) => error.to_string(),
            Self::InUse(reason) => reason.message(),
            Self::Changed {
                disk,
                now_serial,
                now_size,
                expected_serial,
                expected_size,
            } => gettext_f(
                "{disk} is no longer the disk in the plan: now serial {now_serial}, {now_size}; the plan expected serial {expected_serial}, {expected_size}",
                &[
                    ("disk", &isolate(disk)),
                    ("now_serial", &serial_text(now_serial)),
                    ("now_size", &isolate(&format_size(*now_size))),
                    ("expected_serial", &serial_text(expected_serial)),
                    ("expected_size", &isolate(&format_size(*expected_size))),
                ],
            ),
        }
    }
}

fn serial_text(serial: &str) -> String {
    if serial.is_empty() {
        gettext_f("(none)", &[])
    } else {
        serial.to_owned()
    }
}

/// A refusal of the disk before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DiskRefused {
    pub problems: Vec<DiskProblem>,
}

impl fmt::Display for DiskRefused {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<String> = self.problems.iter().map(DiskProblem::message).collect();
        formatter.write_str(&messages.join("; "))
    }
}

/// A partition the install created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedPartition {
    pub device: PathBuf,
    /// The UUID of what is on it: the vfat volume ID of the ESP, the LUKS
    /// UUID of an encrypted root, the btrfs UUID of a plain one.
    pub uuid: String,
}

/// The root partition and the btrfs file system on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedRoot {
    pub partition: CreatedPartition,
    /// The btrfs device: the unlocked LUKS mapping, or the partition itself.
    pub btrfs_device: PathBuf,
    pub btrfs_uuid: String,
    pub encrypted: bool,
}

/// One mount(2) of the target tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountRequest {
    pub source: PathBuf,
    pub target: PathBuf,
    pub fs_type: String,
    /// As in fstab: generic flags (`noatime`, `nodev` …) and file system
    /// options (`subvol=…`, `compress=zstd` …) mixed.
    pub options: Vec<String>,
}

/// A program (by name; the backend finds it) and its arguments. Never
/// carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCommand {
    pub program: String,
    pub args: Vec<OsString>,
}

impl ToolCommand {
    pub fn new(program: &str, args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        Self {
            program: program.to_owned(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }
}

pub trait Backend {
    /// Finds the disk `name` names (the plan's by-id path at the first
    /// check, the object that check found at the next) and checks that it
    /// is still the plan's disk (serial and size), big enough, and not in
    /// use (the same rules as the disk list).
    fn check_disk(
        &mut self,
        name: &str,
        expected: &TargetDisk,
        needed_bytes: u64,
    ) -> Result<CheckedDisk, DiskRefused>;
    /// Where the program `name` is, as [`super::ToolDirs`] finds it.
    fn find_program(&mut self, name: &str) -> Result<PathBuf, ToolNotFound>;
    /// Runs a program, passing each line of its output (stdout and stderr)
    /// to `output`; kills it when `cancel` is raised.
    fn run(
        &mut self,
        command: &ToolCommand,
        cancel: &CancelFlag,
        output: &mut dyn FnMut(&str),
    ) -> Result<(), BackendError>;

    fn create_partition_table(&mut self, disk: &CheckedDisk) -> Result<(), BackendError>;
    fn create_esp(
        &mut self,
        size_bytes: u64,
        label: &str,
    ) -> Result<CreatedPartition, BackendError>;
    /// Creates the root partition in the rest of the disk: LUKS2 with btrfs
    /// inside when a passphrase is given, plain btrfs otherwise. An
    /// encrypted root stays unlocked.
    fn create_root(
        &mut self,
        passphrase: Option<&Secret>,
        label: &str,
    ) -> Result<CreatedRoot, BackendError>;
    /// Adds `new_key` in another key slot of the LUKS header on `device`
    /// (the root partition this run created), which `passphrase` opens.
    fn add_key(
        &mut self,
        device: &Path,
        passphrase: &Secret,
        new_key: &Secret,
    ) -> Result<(), BackendError>;
    fn enable_btrfs(&mut self) -> Result<(), BackendError>;
    fn mount_btrfs_top_level(&mut self) -> Result<PathBuf, BackendError>;
    fn create_subvolume(&mut self, name: &str) -> Result<(), BackendError>;
    fn unmount_btrfs_top_level(&mut self) -> Result<(), BackendError>;
    fn lock_root(&mut self) -> Result<(), BackendError>;

    fn mount(&mut self, request: &MountRequest) -> Result<(), BackendError>;
    fn unmount(&mut self, target: &Path) -> Result<(), BackendError>;
    fn create_dir_all(&mut self, path: &Path, mode: u32) -> Result<(), BackendError>;
    fn write_file(&mut self, path: &Path, contents: &[u8], mode: u32) -> Result<(), BackendError>;
    fn remove_dir_all(&mut self, path: &Path) -> Result<(), BackendError>;
    fn create_swapfile(&mut self, path: &Path, size_gib: u32) -> Result<(), BackendError>;
}

/// The check of [`Backend::check_disk`] against a disk source: UDisks, or
/// the fake disks of tests.
pub(crate) fn check_disk(
    source: &dyn DiskSource,
    name: &str,
    expected: &TargetDisk,
    needed_bytes: u64,
) -> Result<CheckedDisk, DiskRefused> {
    let query = DiskQuery {
        allow_loop: false,
        minimum_size: Some(needed_bytes),
    };
    let found = async_io::block_on(disks::recheck_disk(source, name, &query)).map_err(|error| {
        // Named as the person confirmed it, not by the object path of a
        // later check.
        let error = match error {
            DiskError::NotFound { .. } => DiskError::NotFound {
                disk: expected.by_id_path.clone(),
            },
            other => other,
        };
        DiskRefused {
            problems: vec![DiskProblem::Unavailable(error)],
        }
    })?;
    let mut problems: Vec<DiskProblem> = found
        .verdict
        .reasons()
        .iter()
        .cloned()
        .map(DiskProblem::InUse)
        .collect();
    if found.serial != expected.serial || found.size != expected.size_bytes {
        problems.push(DiskProblem::Changed {
            disk: expected.by_id_path.clone(),
            now_serial: found.serial.clone(),
            now_size: found.size,
            expected_serial: expected.serial.clone(),
            expected_size: expected.size_bytes,
        });
    }
    if problems.is_empty() {
        Ok(CheckedDisk {
            object_path: found.object_path,
            device: found.device,
        })
    } else {
        Err(DiskRefused { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_disk_says_what_it_is_now_and_what_was_expected() {
        let refused = DiskRefused {
            problems: vec![
                DiskProblem::Changed {
                    disk: "/dev/disk/by-id/ata-Big_Disk_Y".to_owned(),
                    now_serial: String::new(),
                    now_size: 500_107_862_016,
                    expected_serial: "Y".to_owned(),
                    expected_size: 4_398_046_511_104,
                },
                DiskProblem::InUse(RefusalReason::ReadOnly),
            ],
        };
        assert_eq!(
            refused.to_string(),
            "\u{2068}/dev/disk/by-id/ata-Big_Disk_Y\u{2069} is no longer the disk in the plan: now serial (none), \u{2068}500.1 GB\u{2069}; \
             the plan expected serial Y, \u{2068}4.4 TB\u{2069}; The disk is read-only"
        );
    }
}
