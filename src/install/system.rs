// SPDX-License-Identifier: GPL-3.0-or-later
//! The real backend: UDisks for partitions, encryption and subvolumes,
//! mount(2) for the target tree, the NixOS tools as child processes.

use std::ffi::OsStr;
use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rustix::mount::UnmountFlags;
use zbus::zvariant::OwnedObjectPath;

use crate::disks::UDisksSource;
use crate::plan::{Secret, TargetDisk};

use super::backend::{
    Backend, BackendError, CheckedDisk, CreatedPartition, CreatedRoot, DiskRefused, MountRequest,
    ToolCommand, check_disk,
};
use super::cancel::CancelFlag;
use super::mount_options::split_mount_options;
use super::tools::{ToolDirs, ToolNotFound};
use super::udisks::{BlockObject, PartitionRequest, UDisks};

const CRYPTSETUP: &str = "cryptsetup";

/// How often an unmount that is busy is tried again, 200 ms apart.
const UNMOUNT_BUSY_RETRIES: u32 = 15;

const ESP_TYPE: &str = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const LUKS_TYPE: &str = "ca7d7ccb-63ed-4c53-861c-1742536059cc";
const LINUX_TYPE: &str = "0fc63daf-8483-4772-8e79-3d69d8477de4";
/// Where the first partition starts: the usual 1 MiB alignment.
const FIRST_PARTITION_OFFSET: u64 = 1024 * 1024;

/// Handles of what this run created, for the later steps.
#[derive(Default)]
struct Created {
    disk: Option<BlockObject>,
    esp_end: Option<u64>,
    root_partition: Option<OwnedObjectPath>,
    btrfs: Option<OwnedObjectPath>,
}

pub struct SystemBackend {
    udisks: UDisks,
    tools: ToolDirs,
    created: Created,
}

impl SystemBackend {
    pub fn connect() -> Result<Self, BackendError> {
        let tools = ToolDirs::system();
        Ok(Self {
            udisks: UDisks::connect(tools.find("udevadm").ok())?,
            tools,
            created: Created::default(),
        })
    }

    fn run_found(
        &self,
        command: &ToolCommand,
        cancel: &CancelFlag,
        output: &mut dyn FnMut(&str),
    ) -> Result<(), BackendError> {
        let program = self
            .tools
            .find(&command.program)
            .map_err(|not_found| BackendError::new(not_found.to_string()))?;
        run_streaming(&program, command, &self.tools.search_path(), cancel, output)
    }

    fn disk(&self) -> Result<&BlockObject, BackendError> {
        self.created
            .disk
            .as_ref()
            .ok_or_else(|| BackendError::new("no partition table was created in this run"))
    }

    fn btrfs(&self) -> Result<&OwnedObjectPath, BackendError> {
        self.created
            .btrfs
            .as_ref()
            .ok_or_else(|| BackendError::new("no btrfs file system was created in this run"))
    }
}

impl Backend for SystemBackend {
    fn check_disk(
        &mut self,
        name: &str,
        expected: &TargetDisk,
        needed_bytes: u64,
    ) -> Result<CheckedDisk, DiskRefused> {
        let source = UDisksSource::on(self.udisks.connection().inner().clone());
        check_disk(&source, name, expected, needed_bytes)
    }

    fn find_program(&mut self, name: &str) -> Result<PathBuf, ToolNotFound> {
        self.tools.find(name)
    }

    fn run(
        &mut self,
        command: &ToolCommand,
        cancel: &CancelFlag,
        output: &mut dyn FnMut(&str),
    ) -> Result<(), BackendError> {
        self.run_found(command, cancel, output)
    }

    fn create_partition_table(&mut self, disk: &CheckedDisk) -> Result<(), BackendError> {
        let object_path = OwnedObjectPath::try_from(disk.object_path.as_str())
            .map_err(|error| BackendError::new(format!("{}: {error}", disk.object_path)))?;
        let block = BlockObject {
            object_path,
            device: PathBuf::from(&disk.device),
        };
        self.udisks.format_gpt(&block)?;
        self.created.disk = Some(block);
        Ok(())
    }

    fn create_esp(
        &mut self,
        size_bytes: u64,
        label: &str,
    ) -> Result<CreatedPartition, BackendError> {
        let disk = self.disk()?.clone();
        let esp = self.udisks.create_partition_and_format(
            &disk,
            PartitionRequest {
                offset: FIRST_PARTITION_OFFSET,
                size: size_bytes,
                type_guid: ESP_TYPE,
                name: "ESP",
                format_type: "vfat",
                label,
                passphrase: None,
            },
        )?;
        self.created.esp_end = Some(self.udisks.partition_end(&esp.object_path)?);
        let uuid = self.udisks.block_uuid(&esp.object_path)?;
        Ok(CreatedPartition {
            device: esp.device,
            uuid,
        })
    }

    fn create_root(
        &mut self,
        passphrase: Option<&Secret>,
        label: &str,
    ) -> Result<CreatedRoot, BackendError> {
        let disk = self.disk()?.clone();
        let offset = self
            .created
            .esp_end
            .ok_or_else(|| BackendError::new("the ESP was not created in this run"))?;
        let partition = self.udisks.create_partition_and_format(
            &disk,
            PartitionRequest {
                offset,
                size: 0,
                type_guid: if passphrase.is_some() {
                    LUKS_TYPE
                } else {
                    LINUX_TYPE
                },
                name: label,
                format_type: "btrfs",
                label,
                passphrase: passphrase.map(Secret::expose),
            },
        )?;
        self.created.root_partition = Some(partition.object_path.clone());
        let partition_uuid = self.udisks.block_uuid(&partition.object_path)?;
        let btrfs = if passphrase.is_some() {
            self.udisks.cleartext_of(&partition.object_path)?
        } else {
            partition.clone()
        };
        let btrfs_uuid = self.udisks.block_uuid(&btrfs.object_path)?;
        self.created.btrfs = Some(btrfs.object_path.clone());
        Ok(CreatedRoot {
            partition: CreatedPartition {
                device: partition.device,
                uuid: partition_uuid,
            },
            btrfs_device: btrfs.device,
            btrfs_uuid,
            encrypted: passphrase.is_some(),
        })
    }

    fn add_key(
        &mut self,
        device: &Path,
        passphrase: &Secret,
        new_key: &Secret,
    ) -> Result<(), BackendError> {
        // UDisks 2.10 can only replace a passphrase, not add one.
        let program = self
            .tools
            .find(CRYPTSETUP)
            .map_err(|not_found| BackendError::new(not_found.to_string()))?;
        add_key_with(
            &program,
            &self.tools.search_path(),
            device,
            passphrase,
            new_key,
        )
    }

    fn enable_btrfs(&mut self) -> Result<(), BackendError> {
        self.udisks.enable_btrfs_module()
    }

    fn mount_btrfs_top_level(&mut self) -> Result<PathBuf, BackendError> {
        let btrfs = self.btrfs()?.clone();
        self.udisks.mount(&btrfs)
    }

    fn create_subvolume(&mut self, name: &str) -> Result<(), BackendError> {
        let btrfs = self.btrfs()?.clone();
        self.udisks.create_subvolume(&btrfs, name)
    }

    fn unmount_btrfs_top_level(&mut self) -> Result<(), BackendError> {
        let btrfs = self.btrfs()?.clone();
        self.udisks.unmount(&btrfs)
    }

    fn lock_root(&mut self) -> Result<(), BackendError> {
        let partition =
            self.created.root_partition.clone().ok_or_else(|| {
                BackendError::new("no encrypted partition was created in this run")
            })?;
        self.udisks.lock(&partition)
    }

    fn mount(&mut self, request: &MountRequest) -> Result<(), BackendError> {
        let (flags, data) = split_mount_options(&request.options);
        let data = std::ffi::CString::new(data)
            .map_err(|_| BackendError::new("mount options contain a NUL byte"))?;
        rustix::mount::mount(
            request.source.as_path(),
            request.target.as_path(),
            request.fs_type.as_str(),
            flags,
            data.as_c_str(),
        )
        .map_err(|errno| {
            BackendError::new(format!(
                "mount {} on {}: {}",
                request.source.display(),
                request.target.display(),
                std::io::Error::from(errno)
            ))
        })
    }

    fn unmount(&mut self, target: &Path) -> Result<(), BackendError> {
        // A file system just written to can be busy for a moment (udev and
        // UDisks probe new mounts); a cleanup must not give up on that.
        let mut attempts = 0;
        let result = loop {
            match rustix::mount::unmount(target, UnmountFlags::empty()) {
                Err(rustix::io::Errno::BUSY) if attempts < UNMOUNT_BUSY_RETRIES => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
                other => break other,
            }
        };
        result.map_err(|errno| {
            BackendError::new(format!(
                "unmount {}: {}",
                target.display(),
                std::io::Error::from(errno)
            ))
        })
    }

    fn create_dir_all(&mut self, path: &Path, mode: u32) -> Result<(), BackendError> {
        DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(path)
            .map_err(|error| io_error("create", path, &error))
    }

    fn write_file(&mut self, path: &Path, contents: &[u8], mode: u32) -> Result<(), BackendError> {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(path)
            .map_err(|error| io_error("create", path, &error))?;
        // An existing file keeps its old mode through open(2).
        file.set_permissions(Permissions::from_mode(mode))
            .and_then(|()| file.write_all(contents))
            .and_then(|()| file.sync_all())
            .map_err(|error| io_error("write", path, &error))
    }

    fn remove_dir_all(&mut self, path: &Path) -> Result<(), BackendError> {
        match fs::remove_dir_all(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error("remove", path, &error))
            }
            _ => Ok(()),
        }
    }

    fn create_swapfile(&mut self, path: &Path, size_gib: u32) -> Result<(), BackendError> {
        // btrfs-progs knows the rules for swapfiles on btrfs: an empty file
        // made NOCOW, no compression, fully allocated, then mkswap.
        let command = ToolCommand::new(
            "btrfs",
            [
                "filesystem".into(),
                "mkswapfile".into(),
                "--size".into(),
                format!("{size_gib}g").into(),
                path.as_os_str().to_owned(),
            ],
        );
        self.run_found(&command, &CancelFlag::new(), &mut |_| {})
    }
}

/// Runs `program` (the command's program, found) with stdin closed and
/// `search_path` as its PATH, passing its stdout and stderr lines on as
/// they come, and kills it when `cancel` is raised.
pub(crate) fn run_streaming(
    program: &Path,
    command: &ToolCommand,
    search_path: &std::ffi::OsStr,
    cancel: &CancelFlag,
    output: &mut dyn FnMut(&str),
) -> Result<(), BackendError> {
    // Its own process group, so cancelling stops its children too (they
    // would keep the output pipes open otherwise).
    let mut child = Command::new(program)
        .args(&command.args)
        .env("PATH", search_path)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| BackendError::new(format!("{}: {error}", command.program)))?;
    let (lines, received) = mpsc::channel();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|pipe| {
        let lines = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(lines);
    let mut killed = false;
    loop {
        match received.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => output(&line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if cancel.is_cancelled() && !killed {
            killed = true;
            let group = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::TERM);
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child
        .wait()
        .map_err(|error| BackendError::new(format!("{}: {error}", command.program)))?;
    if killed {
        Err(BackendError::new(format!(
            "{} was stopped",
            command.program
        )))
    } else if status.success() {
        Ok(())
    } else {
        Err(BackendError::new(format!(
            "{} failed: {status}",
            command.program
        )))
    }
}

/// `cryptsetup luksAddKey` on `device`, reading the passphrase that opens
/// it from stdin (`--key-file=-`) and the key to add from the pipe
/// `/proc/self/fd/<key_fd>` (not `/dev/fd`, which only a system with
/// systemd or udev rules has): neither secret is in the arguments.
fn add_key_command(device: &Path, key_fd: i32) -> ToolCommand {
    ToolCommand::new(
        CRYPTSETUP,
        [
            "luksAddKey".into(),
            "--key-file=-".into(),
            device.as_os_str().to_owned(),
            format!("/proc/self/fd/{key_fd}").into(),
        ],
    )
}

/// Runs [`add_key_command`] with `program`. Both secrets travel through
/// pipes, never through a file, the environment or the command line;
/// cryptsetup reads each to its end, so nothing has to say how long they
/// are.
fn add_key_with(
    program: &Path,
    search_path: &OsStr,
    device: &Path,
    passphrase: &Secret,
    new_key: &Secret,
) -> Result<(), BackendError> {
    let failed = |error: std::io::Error| {
        BackendError::new(format!(
            "{CRYPTSETUP} luksAddKey {}: {error}",
            device.display()
        ))
    };
    let (key_read, key_write) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| failed(e.into()))?;
    // Only the read end goes to cryptsetup: with the write end open in it
    // too, it would wait for the end of the key for ever. The helper starts
    // no other process meanwhile, so no other child inherits it.
    rustix::io::fcntl_setfd(&key_read, rustix::io::FdFlags::empty())
        .map_err(|e| failed(e.into()))?;
    let command = add_key_command(device, key_read.as_raw_fd());
    let mut child = Command::new(program)
        .args(&command.args)
        .env("PATH", search_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(failed)?;
    drop(key_read);
    // In the order cryptsetup reads them. A cryptsetup that gave up early
    // closes its ends; its exit status and words say why.
    let written = child
        .stdin
        .take()
        .map_or(Ok(()), |mut stdin| {
            stdin.write_all(passphrase.expose().as_bytes())
        })
        .and_then(|()| File::from(key_write).write_all(new_key.expose().as_bytes()));
    let output = child.wait_with_output().map_err(failed)?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(BackendError::new(format!(
            "{CRYPTSETUP} luksAddKey {} failed: {}: {}",
            device.display(),
            output.status,
            said.trim()
        )));
    }
    written.map_err(failed)
}

fn io_error(action: &str, path: &Path, error: &std::io::Error) -> BackendError {
    BackendError::new(format!("{action} {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in `cryptsetup` that records its arguments, its stdin, the
    /// file its last argument names and its environment into `dir`.
    fn recording_stand_in(dir: &Path) -> PathBuf {
        let program = dir.join("cryptsetup");
        let script = format!(
            "#!/bin/sh\nset -e\nfor arg in \"$@\"; do printf '%s\\n' \"$arg\"; done >'{dir}/args'\n\
             cat >'{dir}/stdin'\nfor last in \"$@\"; do :; done\ncat \"$last\" >'{dir}/new-key'\n\
             env >'{dir}/env'\n",
            dir = dir.display()
        );
        fs::write(&program, script).unwrap();
        fs::set_permissions(&program, Permissions::from_mode(0o755)).unwrap();
        program
    }

    #[test]
    fn the_key_slot_is_added_with_both_secrets_through_pipes_only() {
        let dir = tempfile::tempdir().unwrap();
        let program = recording_stand_in(dir.path());
        let passphrase = Secret::from("correct horse battery staple");
        let key = Secret::from("cbdef ghijk lnrtu vcbde fghij klnrt uvcbd efghi");
        add_key_with(
            &program,
            OsStr::new("/usr/bin:/bin"),
            Path::new("/dev/vda2"),
            &passphrase,
            &key,
        )
        .unwrap();
        let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();
        let args = read("args");
        let args: Vec<&str> = args.lines().collect();
        assert_eq!(args[..3], ["luksAddKey", "--key-file=-", "/dev/vda2"]);
        assert!(args[3].starts_with("/proc/self/fd/"), "{args:?}");
        assert_eq!(args.len(), 4);
        assert_eq!(read("stdin"), passphrase.expose());
        assert_eq!(read("new-key"), key.expose());
        let env = read("env");
        assert!(!env.contains(passphrase.expose()) && !env.contains(key.expose()));
    }

    #[test]
    fn a_failing_cryptsetup_says_what_it_said() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("cryptsetup");
        fs::write(
            &program,
            "#!/bin/sh\necho 'No key available with this passphrase.' >&2\nexit 2\n",
        )
        .unwrap();
        fs::set_permissions(&program, Permissions::from_mode(0o755)).unwrap();
        let error = add_key_with(
            &program,
            OsStr::new("/usr/bin:/bin"),
            Path::new("/dev/vda2"),
            &Secret::from("wrong"),
            &Secret::from("new key"),
        )
        .unwrap_err();
        assert!(
            error
                .detail
                .contains("No key available with this passphrase."),
            "{error}"
        );
        assert!(!error.detail.contains("wrong") && !error.detail.contains("new key"));
    }

    /// With the real cryptsetup on a LUKS2 image file (no device-mapper
    /// needed): afterwards both the passphrase and the new key open it.
    #[test]
    fn cryptsetup_adds_a_second_key_slot_that_opens_the_volume() {
        let Some(cryptsetup) = ["/usr/sbin/cryptsetup", "/sbin/cryptsetup"]
            .into_iter()
            .map(PathBuf::from)
            .find(|path| path.exists())
        else {
            eprintln!(
                "\n*** SKIPPED: cryptsetup is not installed; run the tests in the build root ***\n"
            );
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("luks.img");
        File::create(&image)
            .and_then(|file| file.set_len(20 * 1024 * 1024))
            .unwrap();
        let passphrase = Secret::from("correct horse battery staple");
        let key = Secret::from("cbdef ghijk lnrtu vcbde fghij klnrt uvcbd efghi");
        let with_stdin = |args: &[&OsStr], input: &str| {
            let mut child = Command::new(&cryptsetup)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child.wait().unwrap().success()
        };
        // Quick key derivation for the test's own slot.
        let format: Vec<&OsStr> = [
            "luksFormat",
            "--type",
            "luks2",
            "--batch-mode",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            "--key-file=-",
        ]
        .iter()
        .map(OsStr::new)
        .chain([image.as_os_str()])
        .collect();
        assert!(with_stdin(&format, passphrase.expose()), "luksFormat");
        add_key_with(
            &cryptsetup,
            OsStr::new("/usr/sbin:/usr/bin:/sbin:/bin"),
            &image,
            &passphrase,
            &key,
        )
        .unwrap();
        let opens = |slot: &str, secret: &str| {
            let words = [
                "open",
                "--test-passphrase",
                "--key-slot",
                slot,
                "--key-file=-",
            ];
            let args: Vec<&OsStr> = words
                .iter()
                .map(OsStr::new)
                .chain([image.as_os_str()])
                .collect();
            with_stdin(&args, secret)
        };
        assert!(opens("1", key.expose()), "the new key opens slot 1");
        assert!(
            opens("0", passphrase.expose()),
            "the passphrase still opens slot 0"
        );
        assert!(
            !opens("0", key.expose()),
            "and the key does not open slot 0"
        );
    }
}
