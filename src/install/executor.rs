// SPDX-License-Identifier: GPL-3.0-or-later
//! Runs the steps of an installation in order against a [`Backend`],
//! reports each as events, and on failure or cancellation undoes exactly what
//! this run set up.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::i18n::gettext_f;

use crate::nix::{self, DiskIds};
use crate::plan::{ImpermanenceSource, Plan, Swap};

use super::backend::{
    Backend, BackendError, CheckedDisk, CreatedPartition, CreatedRoot, DiskRefused, MountRequest,
    ToolCommand,
};
use super::cancel::CancelFlag;
use super::disk_state::DiskState;
use super::event::{Event, StepId};
use super::system::SystemBackend;

/// Where the new system is assembled and the configuration test-built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    pub target: PathBuf,
    pub build_dir: PathBuf,
    /// For tests: step N does its work and then fails.
    pub fail_after_step: Option<StepId>,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            target: PathBuf::from("/run/keepsake/target"),
            build_dir: PathBuf::from("/run/keepsake/build"),
            fail_after_step: None,
        }
    }
}

/// Why an installation stopped; the events already said the same.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} {disk_state}")]
pub struct InstallError {
    pub step: StepId,
    pub cancelled: bool,
    pub message: String,
    pub detail: String,
    pub disk_state: String,
}

/// Wall time of every step, for the benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallReport {
    pub step_seconds: Vec<(StepId, f64)>,
    pub total_seconds: f64,
}

/// The programs the steps run, found by [`super::ToolDirs`].
pub const REQUIRED_PROGRAMS: [&str; 3] = ["nixos-generate-config", "nix-build", "nixos-install"];
/// Adds the recovery key's key slot; needed only for that.
const CRYPTSETUP: &str = "cryptsetup";

/// The ESP's mount point and its umask options (the random seed and the
/// boot loader's files are nobody else's business).
const ESP_MOUNT_POINT: &str = "/boot";
const ESP_OPTIONS: [&str; 2] = ["fmask=0077", "dmask=0077"];
const ESP_LABEL: &str = "ESP";
const ROOT_LABEL: &str = "nixos";

/// Runs every step on this machine's disks through UDisks (as root).
pub fn install_with_udisks(
    plan: &Plan,
    options: &InstallOptions,
    cancel: &CancelFlag,
    emit: &mut dyn FnMut(Event),
) -> Result<InstallReport, InstallError> {
    match SystemBackend::connect() {
        Ok(mut backend) => install(plan, &mut backend, options, cancel, emit),
        Err(error) => {
            let step = StepId::CheckPlan;
            let message = step.failure_message();
            let disk_state = DiskState::default().describe();
            emit(Event::Failed {
                step,
                message: message.clone(),
                detail: error.detail.clone(),
            });
            emit(Event::Stopped {
                disk_state: disk_state.clone(),
            });
            Err(InstallError {
                step,
                cancelled: false,
                message,
                detail: error.detail,
                disk_state,
            })
        }
    }
}

/// Runs every step. Events go to `emit` as they happen.
pub fn install(
    plan: &Plan,
    backend: &mut dyn Backend,
    options: &InstallOptions,
    cancel: &CancelFlag,
    emit: &mut dyn FnMut(Event),
) -> Result<InstallReport, InstallError> {
    let mut run = Run {
        plan: plan.clone(),
        backend,
        options,
        cancel,
        emit,
        state: DiskState::default(),
        checked: None,
        root: None,
        esp: None,
        step_seconds: Vec::new(),
    };
    let started = Instant::now();
    for step in StepId::ALL {
        if let Err(failure) = run.step(step) {
            return Err(run.stop(step, failure));
        }
    }
    let total_seconds = started.elapsed().as_secs_f64();
    (run.emit)(Event::Completed {
        seconds: total_seconds,
    });
    Ok(InstallReport {
        step_seconds: run.step_seconds,
        total_seconds,
    })
}

/// Why a step did not finish.
#[derive(Debug)]
enum StepFailure {
    Backend(BackendError),
    Refused(DiskRefused),
    /// Already translated.
    Explained(String),
    Cancelled,
    Injected,
}

impl From<BackendError> for StepFailure {
    fn from(error: BackendError) -> Self {
        StepFailure::Backend(error)
    }
}

struct Run<'a> {
    /// A copy whose clear-text passwords the first step hashes.
    plan: Plan,
    backend: &'a mut dyn Backend,
    options: &'a InstallOptions,
    cancel: &'a CancelFlag,
    emit: &'a mut dyn FnMut(Event),
    state: DiskState,
    /// The disk as the last check found it.
    checked: Option<CheckedDisk>,
    root: Option<CreatedRoot>,
    esp: Option<CreatedPartition>,
    step_seconds: Vec<(StepId, f64)>,
}

impl Run<'_> {
    fn step(&mut self, step: StepId) -> Result<(), StepFailure> {
        self.check_cancel()?;
        (self.emit)(Event::Started {
            step,
            number: step.number(),
            title: step.title(),
        });
        let started = Instant::now();
        match step {
            StepId::CheckPlan => self.check_plan()?,
            StepId::CheckTools => self.check_tools()?,
            StepId::BuildBeforeErase => self.build_before_erase()?,
            StepId::PartitionTable => self.partition_table()?,
            StepId::Esp => self.esp()?,
            StepId::RootPartition => self.root_partition()?,
            StepId::Subvolumes => self.subvolumes()?,
            StepId::TargetTree => self.target_tree()?,
            StepId::HardwareConfiguration => self.hardware_configuration()?,
            StepId::WriteConfiguration => self.write_configuration()?,
            StepId::InstallNixos => self.install_nixos()?,
            StepId::UnmountAndLock => self.unmount_and_lock()?,
        }
        if self.options.fail_after_step == Some(step) {
            return Err(StepFailure::Injected);
        }
        let seconds = started.elapsed().as_secs_f64();
        self.step_seconds.push((step, seconds));
        (self.emit)(Event::Finished { step, seconds });
        Ok(())
    }

    fn check_cancel(&self) -> Result<(), StepFailure> {
        if self.cancel.is_cancelled() {
            Err(StepFailure::Cancelled)
        } else {
            Ok(())
        }
    }

    fn log(&mut self, step: StepId, line: &str) {
        (self.emit)(Event::Log {
            step,
            line: line.to_owned(),
        });
    }

    fn check_plan(&mut self) -> Result<(), StepFailure> {
        // Hashed once, so the build before erase and the installed system
        // see the same configuration.
        self.plan
            .hash_passwords()
            .map_err(|error| StepFailure::Explained(error.to_string()))?;
        if let Err(errors) = self.plan.validate() {
            let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
            return Err(StepFailure::Explained(reasons.join("\n")));
        }
        let disk = self.plan.disk.as_ref().ok_or_else(no_disk)?;
        if self.plan.encryption.enabled
            && self
                .plan
                .encryption
                .passphrase
                .as_ref()
                .is_none_or(|p| p.is_empty())
        {
            return Err(StepFailure::Explained(gettext_f(
                "The plan asks for encryption but carries no passphrase.",
                &[],
            )));
        }
        if self.adds_recovery_key()
            && self
                .plan
                .encryption
                .recovery_key_secret
                .as_ref()
                .is_none_or(|key| key.is_empty())
        {
            return Err(StepFailure::Explained(gettext_f(
                "The plan asks for a recovery key but carries none.",
                &[],
            )));
        }
        let checked = self
            .backend
            .check_disk(&disk.by_id_path, disk, self.plan.minimum_disk_bytes())
            .map_err(StepFailure::Refused)?;
        self.checked = Some(checked);
        Ok(())
    }

    fn check_tools(&mut self) -> Result<(), StepFailure> {
        let mut programs = REQUIRED_PROGRAMS.to_vec();
        if self.plan.swap.is_some() {
            programs.push("btrfs");
        }
        if self.adds_recovery_key() {
            programs.push(CRYPTSETUP);
        }
        let mut missing = Vec::new();
        for program in programs {
            match self.backend.find_program(program) {
                // Said out loud, so a stand-in or an unexpected copy shows.
                Ok(path) => self.log(
                    StepId::CheckTools,
                    &format!("{program}: {}", path.display()),
                ),
                Err(not_found) => missing.push(not_found.to_string()),
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            missing.push(gettext_f(
                "Run Keepsake on the NixOS installation medium.",
                &[],
            ));
            Err(StepFailure::Explained(missing.join("\n")))
        }
    }

    fn build_before_erase(&mut self) -> Result<(), StepFailure> {
        let step = StepId::BuildBeforeErase;
        let dir = self.options.build_dir.clone();
        self.backend.create_dir_all(&dir, 0o700)?;
        let result = self.build_in(step, &dir);
        let removed = self.backend.remove_dir_all(&dir);
        result?;
        removed?;
        Ok(())
    }

    fn build_in(&mut self, step: StepId, dir: &Path) -> Result<(), StepFailure> {
        self.run_tool(
            step,
            &ToolCommand::new(
                "nixos-generate-config",
                [
                    "--no-filesystems".into(),
                    "--dir".into(),
                    dir.as_os_str().to_owned(),
                ],
            ),
        )?;
        let files = nix::render(&self.plan, &DiskIds::placeholders())
            .map_err(|error| StepFailure::Explained(error.to_string()))?;
        for file in &files {
            self.backend
                .write_file(&dir.join(&file.path), file.contents.as_bytes(), 0o644)?;
        }
        self.write_vendored(None, dir)?;
        (self.emit)(Event::Progress {
            step,
            fraction: 0.1,
        });
        let mut nixos_config = std::ffi::OsString::from("nixos-config=");
        nixos_config.push(dir.join("configuration.nix"));
        self.run_tool(
            step,
            &ToolCommand::new(
                "nix-build",
                [
                    "<nixpkgs/nixos>".into(),
                    "-A".into(),
                    "config.system.build.toplevel".into(),
                    "-I".into(),
                    nixos_config,
                    "--no-out-link".into(),
                ],
            ),
        )
    }

    fn partition_table(&mut self) -> Result<(), StepFailure> {
        let disk = self.plan.disk.as_ref().ok_or_else(no_disk)?;
        let first = self.checked.take().ok_or_else(no_check)?;
        // Again right before the first write, on the object the first check
        // found: the build before erase can take an hour, time enough to
        // swap the disk or mount something from it.
        let checked = self
            .backend
            .check_disk(&first.object_path, disk, self.plan.minimum_disk_bytes())
            .map_err(StepFailure::Refused)?;
        self.log(
            StepId::PartitionTable,
            &format!(
                "{} ({}, serial {})",
                checked.device, checked.object_path, disk.serial
            ),
        );
        // Counted before the call: a failure half-way may already have
        // replaced the old table.
        self.state.partition_table_touched = true;
        self.backend.create_partition_table(&checked)?;
        Ok(())
    }

    fn esp(&mut self) -> Result<(), StepFailure> {
        self.state.esp = true;
        let size_bytes = self.plan.esp.size_bytes().ok_or_else(|| {
            StepFailure::Explained(gettext_f("The EFI system partition is too large.", &[]))
        })?;
        let esp = self.backend.create_esp(size_bytes, ESP_LABEL)?;
        self.log(
            StepId::Esp,
            &format!("{} UUID={}", esp.device.display(), esp.uuid),
        );
        self.esp = Some(esp);
        Ok(())
    }

    fn root_partition(&mut self) -> Result<(), StepFailure> {
        let step = StepId::RootPartition;
        // Copies, wiped when dropped: the log below needs `self` mutably.
        let passphrase = if self.plan.encryption.enabled {
            self.plan.encryption.passphrase.clone()
        } else {
            None
        };
        self.state.root = Some(passphrase.is_some());
        let root = self.backend.create_root(passphrase.as_ref(), ROOT_LABEL)?;
        self.state.unlocked = root.encrypted;
        self.log(
            step,
            &format!(
                "{} UUID={}, btrfs {} UUID={}",
                root.partition.device.display(),
                root.partition.uuid,
                root.btrfs_device.display(),
                root.btrfs_uuid
            ),
        );
        let device = root.partition.device.clone();
        self.root = Some(root);
        let recovery_key = if self.adds_recovery_key() {
            self.plan.encryption.recovery_key_secret.clone()
        } else {
            None
        };
        if let (Some(passphrase), Some(key)) = (&passphrase, &recovery_key) {
            self.backend.add_key(&device, passphrase, key)?;
            self.log(
                step,
                &format!(
                    "{}: recovery key added in a second key slot",
                    device.display()
                ),
            );
        }
        Ok(())
    }

    fn adds_recovery_key(&self) -> bool {
        self.plan.encryption.enabled && self.plan.encryption.recovery_key
    }

    fn subvolumes(&mut self) -> Result<(), StepFailure> {
        let step = StepId::Subvolumes;
        self.backend.enable_btrfs()?;
        let top_level = self.backend.mount_btrfs_top_level()?;
        self.state.top_level_mounted = true;
        self.log(step, &format!("btrfs top level at {}", top_level.display()));
        let subvolumes = self.plan.created_subvolumes();
        for (index, (_, subvolume)) in subvolumes.iter().enumerate() {
            self.check_cancel()?;
            self.backend.create_subvolume(&subvolume.name)?;
            self.state.subvolumes = true;
            (self.emit)(Event::Progress {
                step,
                fraction: (index + 1) as f64 / subvolumes.len() as f64,
            });
        }
        self.backend.unmount_btrfs_top_level()?;
        self.state.top_level_mounted = false;
        Ok(())
    }

    fn target_tree(&mut self) -> Result<(), StepFailure> {
        let step = StepId::TargetTree;
        let root = self.root.clone().ok_or_else(no_root)?;
        let target = self.options.target.clone();
        self.backend.create_dir_all(&target, 0o755)?;
        self.mount(
            step,
            MountRequest {
                source: PathBuf::from("tmpfs"),
                target: target.clone(),
                fs_type: "tmpfs".to_owned(),
                options: vec![
                    "mode=755".to_owned(),
                    format!("size={}", self.plan.root_tmpfs.size.mount_option_value()),
                ],
            },
        )?;
        let mut subvolumes: Vec<_> = self
            .plan
            .created_subvolumes()
            .into_iter()
            .map(|(_, subvolume)| subvolume)
            .collect();
        // Parents before children, whatever order the plan lists them in.
        subvolumes.sort_by_key(|subvolume| Path::new(&subvolume.mount_point).components().count());
        for subvolume in &subvolumes {
            self.check_cancel()?;
            let mount_point = under(&target, &subvolume.mount_point);
            self.backend.create_dir_all(&mount_point, 0o755)?;
            let options = subvolume.mount_options();
            self.mount(
                step,
                MountRequest {
                    source: root.btrfs_device.clone(),
                    target: mount_point,
                    fs_type: "btrfs".to_owned(),
                    options,
                },
            )?;
        }
        let esp_device = self.esp_device()?;
        let esp_mount_point = under(&target, ESP_MOUNT_POINT);
        self.backend.create_dir_all(&esp_mount_point, 0o755)?;
        self.mount(
            step,
            MountRequest {
                source: esp_device,
                target: esp_mount_point,
                fs_type: "vfat".to_owned(),
                options: ESP_OPTIONS.iter().map(|o| (*o).to_owned()).collect(),
            },
        )?;
        if let Some(swap) = self.plan.swap.clone() {
            self.check_cancel()?;
            self.log(step, &format!("swapfile of {} GiB", swap.size_gib));
            self.backend
                .create_swapfile(&under(&target, Swap::FILE), swap.size_gib)?;
        }
        Ok(())
    }

    fn esp_device(&self) -> Result<PathBuf, StepFailure> {
        let esp = self.esp.as_ref().ok_or_else(no_root)?;
        Ok(esp.device.clone())
    }

    fn mount(&mut self, step: StepId, request: MountRequest) -> Result<(), StepFailure> {
        self.log(
            step,
            &format!(
                "mount -t {} -o {} {} {}",
                request.fs_type,
                request.options.join(","),
                request.source.display(),
                request.target.display()
            ),
        );
        self.backend.mount(&request)?;
        self.state.mounts.push(request.target);
        Ok(())
    }

    fn hardware_configuration(&mut self) -> Result<(), StepFailure> {
        self.state.system_files = true;
        self.run_tool(
            StepId::HardwareConfiguration,
            &ToolCommand::new(
                "nixos-generate-config",
                [
                    "--no-filesystems".into(),
                    "--root".into(),
                    self.options.target.as_os_str().to_owned(),
                ],
            ),
        )
    }

    fn write_configuration(&mut self) -> Result<(), StepFailure> {
        let step = StepId::WriteConfiguration;
        let root = self.root.as_ref().ok_or_else(no_root)?;
        let ids = DiskIds {
            esp_uuid: self.esp.as_ref().ok_or_else(no_root)?.uuid.clone(),
            root_uuid: root.partition.uuid.clone(),
        };
        let render_failed = |error: nix::RenderError| StepFailure::Explained(error.to_string());
        let files = nix::render(&self.plan, &ids).map_err(render_failed)?;
        let password_files = nix::password_files(&self.plan).map_err(render_failed)?;
        let config_dir = self.options.target.join("etc/nixos");
        for file in &files {
            let path = config_dir.join(&file.path);
            self.log(step, &path.display().to_string());
            if let Some(parent) = path.parent() {
                self.backend.create_dir_all(parent, 0o755)?;
            }
            self.backend
                .write_file(&path, file.contents.as_bytes(), 0o644)?;
        }
        self.write_vendored(Some(step), &config_dir)?;
        for password_file in &password_files {
            let path = under(&self.options.target, &password_file.path);
            self.log(step, &path.display().to_string());
            if let Some(parent) = path.parent() {
                self.backend.create_dir_all(parent, 0o700)?;
            }
            self.backend.write_file(
                &path,
                password_file.contents.as_bytes(),
                password_file.mode,
            )?;
        }
        Ok(())
    }

    /// The impermanence source Keepsake carries, into `config_dir`, when
    /// the plan imports it by path; its hash is checked before the first
    /// file is written.
    fn write_vendored(
        &mut self,
        step: Option<StepId>,
        config_dir: &Path,
    ) -> Result<(), StepFailure> {
        if self.plan.impermanence != ImpermanenceSource::Vendored {
            return Ok(());
        }
        let entries =
            nix::vendored::entries().map_err(|error| StepFailure::Explained(error.to_string()))?;
        if let Some(step) = step {
            self.log(
                step,
                &config_dir
                    .join(nix::vendored::DIRECTORY)
                    .display()
                    .to_string(),
            );
        }
        for entry in &entries {
            let path = config_dir.join(&entry.path);
            match entry.contents {
                None => self.backend.create_dir_all(&path, entry.mode)?,
                Some(contents) => self.backend.write_file(&path, contents, entry.mode)?,
            }
        }
        Ok(())
    }

    fn install_nixos(&mut self) -> Result<(), StepFailure> {
        self.run_tool(
            StepId::InstallNixos,
            &ToolCommand::new(
                "nixos-install",
                [
                    "--root".into(),
                    self.options.target.as_os_str().to_owned(),
                    "--no-root-passwd".into(),
                ],
            ),
        )
    }

    fn unmount_and_lock(&mut self) -> Result<(), StepFailure> {
        while let Some(mount_point) = self.state.mounts.last().cloned() {
            self.backend.unmount(&mount_point)?;
            self.state.mounts.pop();
        }
        if self.state.unlocked {
            self.backend.lock_root()?;
            self.state.unlocked = false;
        }
        Ok(())
    }

    fn run_tool(&mut self, step: StepId, command: &ToolCommand) -> Result<(), StepFailure> {
        let emit = &mut *self.emit;
        let result = self.backend.run(command, self.cancel, &mut |line| {
            emit(Event::Log {
                step,
                line: line.to_owned(),
            });
        });
        self.check_cancel()?;
        result.map_err(StepFailure::from)
    }

    /// Undoes what this run set up, reports it, and says what the disk
    /// holds now.
    fn stop(&mut self, step: StepId, failure: StepFailure) -> InstallError {
        let cancelled = matches!(failure, StepFailure::Cancelled);
        let (message, detail) = match failure {
            StepFailure::Backend(error) => (step.failure_message(), error.detail),
            StepFailure::Refused(refusal) => (step.failure_message(), refusal.to_string()),
            StepFailure::Explained(text) => (step.failure_message(), text),
            StepFailure::Cancelled => (
                gettext_f("The installation was cancelled.", &[]),
                String::new(),
            ),
            StepFailure::Injected => (
                step.failure_message(),
                format!("failure injected after step {}", step.number()),
            ),
        };
        if cancelled {
            (self.emit)(Event::Cancelled { step });
        } else {
            (self.emit)(Event::Failed {
                step,
                message: message.clone(),
                detail: detail.clone(),
            });
        }
        self.clean_up(step);
        let disk_state = self.state.describe();
        (self.emit)(Event::Stopped {
            disk_state: disk_state.clone(),
        });
        InstallError {
            step,
            cancelled,
            message,
            detail,
            disk_state,
        }
    }

    fn clean_up(&mut self, step: StepId) {
        if self.state.top_level_mounted {
            match self.backend.unmount_btrfs_top_level() {
                Ok(()) => self.state.top_level_mounted = false,
                Err(error) => self.log(step, &format!("cleanup: {error}")),
            }
        }
        let mut still_mounted = Vec::new();
        while let Some(mount_point) = self.state.mounts.pop() {
            if let Err(error) = self.backend.unmount(&mount_point) {
                self.log(step, &format!("cleanup: {error}"));
                still_mounted.push(mount_point);
            }
        }
        still_mounted.reverse();
        self.state.mounts = still_mounted;
        // A device that is still mounted cannot be locked; try anyway when
        // nothing is, and report what stayed.
        if self.state.unlocked && self.state.mounts.is_empty() && !self.state.top_level_mounted {
            match self.backend.lock_root() {
                Ok(()) => self.state.unlocked = false,
                Err(error) => self.log(step, &format!("cleanup: {error}")),
            }
        }
    }
}

fn under(root: &Path, absolute: &str) -> PathBuf {
    root.join(absolute.trim_start_matches('/'))
}

fn no_disk() -> StepFailure {
    StepFailure::Explained(gettext_f("The plan names no disk.", &[]))
}

/// A step that needs an earlier one's result ran without it: only possible
/// through a bug in the step order.
fn no_root() -> StepFailure {
    StepFailure::Explained(gettext_f(
        "An earlier step did not leave the partitions this step needs.",
        &[],
    ))
}

/// Like [`no_root`], for the disk check of the first step.
fn no_check() -> StepFailure {
    StepFailure::Explained(gettext_f(
        "An earlier step did not check the disk this step writes to.",
        &[],
    ))
}
