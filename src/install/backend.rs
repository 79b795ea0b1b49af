// SPDX-License-Identifier: GPL-3.0-or-later
//! The primitive operations the install steps are made of. The executor
//! decides what to do and in which order; a backend only does it, on real
//! disks ([`super::SystemBackend`]) or pretend ([`super::FakeBackend`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::plan::{Secret, TargetDisk};

use super::cancel::CancelFlag;

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

/// A refusal of the disk before anything is written, one translated reason
/// per entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", reasons.join("; "))]
pub struct DiskRefused {
    pub reasons: Vec<String>,
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

/// A program found on PATH and its arguments. Never carries a secret.
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
    /// The disk must still be the one in the plan, big enough, and not in
    /// use (the same rules as the disk list).
    fn recheck_disk(&mut self, disk: &TargetDisk, needed_bytes: u64) -> Result<(), DiskRefused>;
    fn find_program(&mut self, name: &str) -> Option<PathBuf>;
    /// Runs a program, passing each line of its output (stdout and stderr)
    /// to `output`; kills it when `cancel` is raised.
    fn run(
        &mut self,
        command: &ToolCommand,
        cancel: &CancelFlag,
        output: &mut dyn FnMut(&str),
    ) -> Result<(), BackendError>;

    fn create_partition_table(&mut self, disk: &TargetDisk) -> Result<(), BackendError>;
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
