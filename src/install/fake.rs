// SPDX-License-Identifier: GPL-3.0-or-later
//! A backend that only pretends, with the timing of a real installation, for
//! `keepsake --demo` and the UI tests. It needs no root and touches nothing.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use crate::disks::FakeDisks;
use crate::plan::{Secret, TargetDisk};

use super::backend::{
    Backend, BackendError, CheckedDisk, CreatedPartition, CreatedRoot, DiskProblem, DiskRefused,
    MountRequest, ToolCommand, check_disk,
};
use super::cancel::CancelFlag;
use super::tools::{NIXOS_PROFILE_BIN, ToolNotFound};

/// Seconds each operation takes on a laptop (measured under emulation and
/// scaled down), multiplied by `time_scale`.
const PARTITION_TABLE_SECONDS: f64 = 0.5;
const ESP_SECONDS: f64 = 1.5;
const LUKS_SECONDS: f64 = 4.0;
const SUBVOLUME_SECONDS: f64 = 0.3;
const MOUNT_SECONDS: f64 = 0.1;
const TOOL_LINE_SECONDS: f64 = 0.25;

#[derive(Debug, Clone)]
pub struct FakeBackend {
    time_scale: f64,
    fail_operation: Option<String>,
    /// Checked with the real rules when set; any disk passes otherwise.
    disks: Option<FakeDisks>,
    /// Every operation, in order, for tests.
    pub journal: Vec<String>,
}

impl Default for FakeBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeBackend {
    /// Realistic timing: a whole installation takes about a minute.
    pub fn new() -> Self {
        Self {
            time_scale: 1.0,
            fail_operation: None,
            disks: None,
            journal: Vec::new(),
        }
    }

    /// Checks the plan's disk against these disks, which a test may change
    /// while the installation runs.
    pub fn with_disks(mut self, disks: FakeDisks) -> Self {
        self.disks = Some(disks);
        self
    }

    /// 0 runs instantly (unit tests); 0.1 runs ten times faster.
    pub fn with_time_scale(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }

    /// Makes the operation whose journal entry starts with `prefix` fail,
    /// for tests of error paths.
    pub fn failing_at(mut self, prefix: &str) -> Self {
        self.fail_operation = Some(prefix.to_owned());
        self
    }

    fn operation(&mut self, entry: String, seconds: f64) -> Result<(), BackendError> {
        thread::sleep(Duration::from_secs_f64(seconds * self.time_scale));
        let fails = self
            .fail_operation
            .as_deref()
            .is_some_and(|prefix| entry.starts_with(prefix));
        self.journal.push(entry.clone());
        if fails {
            Err(BackendError::new(format!("simulated failure of {entry}")))
        } else {
            Ok(())
        }
    }
}

/// What the pretend tools print, line by line.
fn tool_output(program: &str) -> &'static [&'static str] {
    match program {
        "nixos-install" => &[
            "copying channel...",
            "building the configuration in /mnt/etc/nixos/configuration.nix...",
            "these 1432 paths will be fetched (1204.7 MiB download, 5120.3 MiB unpacked):",
            "copying path '/nix/store/…-glibc-2.40' from 'https://cache.nixos.org'...",
            "copying path '/nix/store/…-linux-6.12' from 'https://cache.nixos.org'...",
            "copying path '/nix/store/…-gnome-shell-48.2' from 'https://cache.nixos.org'...",
            "copying path '/nix/store/…-nixos-system-nixos-25.11' from 'https://cache.nixos.org'...",
            "installing the boot loader...",
            "setting up /etc...",
            "installation finished!",
        ],
        "nix-build" => &[
            "evaluating the configuration...",
            "these 12 derivations will be built:",
            "building '/nix/store/…-etc.drv'...",
            "building '/nix/store/…-nixos-system-nixos-25.11.drv'...",
        ],
        _ => &["writing /etc/nixos/hardware-configuration.nix..."],
    }
}

impl Backend for FakeBackend {
    fn check_disk(
        &mut self,
        name: &str,
        expected: &TargetDisk,
        needed_bytes: u64,
    ) -> Result<CheckedDisk, DiskRefused> {
        self.operation(format!("check {name}"), MOUNT_SECONDS)
            .map_err(|error| DiskRefused {
                problems: vec![DiskProblem::Unavailable(crate::disks::DiskError::Bus {
                    detail: error.detail,
                })],
            })?;
        match &self.disks {
            Some(disks) => check_disk(disks, name, expected, needed_bytes),
            None => Ok(CheckedDisk {
                object_path: expected.udisks_object_path.clone(),
                device: expected.by_id_path.clone(),
            }),
        }
    }

    fn find_program(&mut self, name: &str) -> Result<PathBuf, ToolNotFound> {
        Ok(Path::new(NIXOS_PROFILE_BIN).join(name))
    }

    fn run(
        &mut self,
        command: &ToolCommand,
        cancel: &CancelFlag,
        output: &mut dyn FnMut(&str),
    ) -> Result<(), BackendError> {
        for line in tool_output(&command.program) {
            if cancel.is_cancelled() {
                return Err(BackendError::new(format!(
                    "{} was stopped",
                    command.program
                )));
            }
            thread::sleep(Duration::from_secs_f64(TOOL_LINE_SECONDS * self.time_scale));
            output(line);
        }
        self.operation(format!("run {}", command.program), 0.0)
    }

    fn create_partition_table(&mut self, disk: &CheckedDisk) -> Result<(), BackendError> {
        self.operation(format!("gpt {}", disk.device), PARTITION_TABLE_SECONDS)
    }

    fn create_esp(
        &mut self,
        size_bytes: u64,
        label: &str,
    ) -> Result<CreatedPartition, BackendError> {
        self.operation(format!("esp {size_bytes} {label}"), ESP_SECONDS)?;
        Ok(CreatedPartition {
            device: PathBuf::from("/dev/fake1"),
            uuid: "1234-ABCD".to_owned(),
        })
    }

    fn create_root(
        &mut self,
        passphrase: Option<&Secret>,
        label: &str,
    ) -> Result<CreatedRoot, BackendError> {
        let encrypted = passphrase.is_some();
        let seconds = if encrypted { LUKS_SECONDS } else { ESP_SECONDS };
        self.operation(format!("root {label} encrypted={encrypted}"), seconds)?;
        Ok(CreatedRoot {
            partition: CreatedPartition {
                device: PathBuf::from("/dev/fake2"),
                uuid: "00000000-0000-4000-8000-00000000f2f2".to_owned(),
            },
            btrfs_device: PathBuf::from(if encrypted { "/dev/dm-0" } else { "/dev/fake2" }),
            btrfs_uuid: "00000000-0000-4000-8000-00000000b7f5".to_owned(),
            encrypted,
        })
    }

    fn add_key(
        &mut self,
        device: &Path,
        _passphrase: &Secret,
        _new_key: &Secret,
    ) -> Result<(), BackendError> {
        // Another key slot costs one more key derivation.
        self.operation(format!("add key {}", device.display()), LUKS_SECONDS / 2.0)
    }

    fn enable_btrfs(&mut self) -> Result<(), BackendError> {
        self.operation("enable btrfs".to_owned(), 0.0)
    }

    fn mount_btrfs_top_level(&mut self) -> Result<PathBuf, BackendError> {
        self.operation("mount top level".to_owned(), MOUNT_SECONDS)?;
        Ok(PathBuf::from("/media/root/nixos"))
    }

    fn create_subvolume(&mut self, name: &str) -> Result<(), BackendError> {
        self.operation(format!("subvolume {name}"), SUBVOLUME_SECONDS)
    }

    fn unmount_btrfs_top_level(&mut self) -> Result<(), BackendError> {
        self.operation("unmount top level".to_owned(), MOUNT_SECONDS)
    }

    fn lock_root(&mut self) -> Result<(), BackendError> {
        self.operation("lock".to_owned(), MOUNT_SECONDS)
    }

    fn mount(&mut self, request: &MountRequest) -> Result<(), BackendError> {
        self.operation(format!("mount {}", request.target.display()), MOUNT_SECONDS)
    }

    fn unmount(&mut self, target: &Path) -> Result<(), BackendError> {
        self.operation(format!("unmount {}", target.display()), MOUNT_SECONDS)
    }

    fn create_dir_all(&mut self, path: &Path, mode: u32) -> Result<(), BackendError> {
        self.operation(format!("mkdir {} {mode:o}", path.display()), 0.0)
    }

    fn write_file(&mut self, path: &Path, _contents: &[u8], mode: u32) -> Result<(), BackendError> {
        self.operation(format!("write {} {mode:o}", path.display()), 0.0)
    }

    fn remove_dir_all(&mut self, path: &Path) -> Result<(), BackendError> {
        self.operation(format!("rm {}", path.display()), 0.0)
    }

    fn create_swapfile(&mut self, path: &Path, size_gib: u32) -> Result<(), BackendError> {
        self.operation(
            format!("swapfile {} {size_gib}", path.display()),
            ESP_SECONDS,
        )
    }
}
