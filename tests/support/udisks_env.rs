// SPDX-License-Identifier: GPL-3.0-or-later
//! A real system bus, udevd and udisksd for the disk tests and benchmark,
//! and loop devices made from sparse files. Everything set up here is torn
//! down by `Drop`, also when a test panics; nothing here touches a device
//! it did not create.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::{Either, select};
use keepsake::disks::{self, Disk, DiskQuery, DiskSource};

const UDISKSD: &str = "/usr/libexec/udisks2/udisksd";
const UDEVD_PATHS: &[&str] = &[
    "/usr/lib/systemd/systemd-udevd",
    "/lib/systemd/systemd-udevd",
];
const SYSTEM_BUS_SOCKET: &str = "/run/dbus/system_bus_socket";
/// Generous: daemons start in well under a second on an idle machine, but
/// four builds may share its two cores. Past it the test fails loudly
/// instead of hanging.
const PATIENCE: Duration = Duration::from_secs(120);

/// Why the tests cannot run here, or `None` when they can. In the build
/// root on CI a missing capability is a failure, not a skip.
pub fn missing_capability() -> Option<String> {
    let missing = if !is_root() {
        Some("not running as root".to_owned())
    } else if !Path::new("/dev/loop-control").exists() {
        Some("no /dev/loop-control".to_owned())
    } else if !Path::new(UDISKSD).exists() {
        Some(format!("{UDISKSD} is not installed"))
    } else if udevd_path().is_none() {
        Some("systemd-udevd is not installed".to_owned())
    } else {
        None
    }?;
    let in_ci_build_root = std::env::var("KEEPSAKE_IN_BUILDROOT").as_deref() == Ok("1")
        && std::env::var("CI").as_deref() == Ok("true");
    assert!(
        !in_ci_build_root,
        "the UDisks tests must run in the CI build root, but: {missing}"
    );
    Some(missing)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn udevd_path() -> Option<&'static str> {
    UDEVD_PATHS
        .iter()
        .copied()
        .find(|path| Path::new(path).exists())
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program}: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The daemons this process started (those already running are reused and
/// left alone); dropping it stops them.
pub struct Daemons {
    started: Vec<(&'static str, Child)>,
    pub work_dir: tempfile::TempDir,
}

impl Daemons {
    pub fn start() -> Self {
        let work_dir = tempfile::tempdir().expect("temporary directory");
        let mut daemons = Self {
            started: Vec::new(),
            work_dir,
        };
        if !Path::new("/etc/machine-id").exists() {
            run("dbus-uuidgen", &["--ensure=/etc/machine-id"]);
        }
        if !bus_answers() {
            fs::create_dir_all("/run/dbus").expect("/run/dbus");
            // A socket left by a bus that died would make the new one fail.
            let _ = fs::remove_file(SYSTEM_BUS_SOCKET);
            daemons.spawn(
                "dbus-daemon",
                "dbus-daemon",
                &["--system", "--nofork", "--nopidfile"],
            );
            wait_until("the system bus", bus_answers);
        }
        if !udev_answers() {
            let udevd = udevd_path().expect("checked by missing_capability");
            daemons.spawn("systemd-udevd", udevd, &[]);
            wait_until("udevd", udev_answers);
        }
        if !udisks_on_bus() {
            daemons.spawn("udisksd", UDISKSD, &[]);
            wait_until("udisksd on the system bus", udisks_on_bus);
        }
        daemons
    }

    fn spawn(&mut self, name: &'static str, program: &str, args: &[&str]) {
        let log = File::create(self.work_dir.path().join(format!("{name}.log"))).expect("log");
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {program}: {error}"));
        self.started.push((name, child));
    }
}

impl Drop for Daemons {
    fn drop(&mut self) {
        // Reverse order: udisksd before the bus it is on.
        for (name, child) in self.started.iter_mut().rev() {
            if let Err(error) = child.kill() {
                eprintln!("could not stop {name}: {error}");
            }
            let _ = child.wait();
        }
    }
}

fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < PATIENCE, "{what} did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn bus_answers() -> bool {
    async_io::block_on(zbus::Connection::system()).is_ok()
}

fn udev_answers() -> bool {
    Command::new("udevadm")
        .args(["control", "--ping"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn udisks_on_bus() -> bool {
    async_io::block_on(async {
        let Ok(connection) = zbus::Connection::system().await else {
            return false;
        };
        let Ok(proxy) = zbus::fdo::DBusProxy::new(&connection).await else {
            return false;
        };
        let name = zbus::names::BusName::try_from("org.freedesktop.UDisks2").expect("bus name");
        proxy.name_has_owner(name).await.unwrap_or(false)
    })
}

/// A loop device over a sparse file of this test's; detached on drop.
pub struct LoopDisk {
    pub device: String,
}

impl LoopDisk {
    pub fn create(dir: &Path, name: &str, size: u64, read_only: bool) -> Self {
        let backing_file = dir.join(name);
        File::create(&backing_file)
            .and_then(|file| file.set_len(size))
            .expect("sparse file");
        Self::attach(backing_file, read_only)
    }

    /// Attaches an existing file, e.g. one on a file system of another
    /// loop disk.
    pub fn attach(backing_file: PathBuf, read_only: bool) -> Self {
        let path = backing_file.to_str().expect("UTF-8 path");
        let mut args = vec!["--find", "--show"];
        if read_only {
            args.push("--read-only");
        }
        args.push(path);
        let device = run("losetup", &args);
        assert!(
            device.starts_with("/dev/loop"),
            "losetup printed {device:?}"
        );
        settle();
        Self { device }
    }
}

impl Drop for LoopDisk {
    fn drop(&mut self) {
        let status = Command::new("losetup")
            .args(["--detach", &self.device])
            .status();
        if !status.is_ok_and(|status| status.success()) {
            eprintln!("could not detach {}", self.device);
        }
    }
}

/// A file system mounted by the test; unmounted on drop.
pub struct Mount {
    pub mount_point: PathBuf,
}

impl Mount {
    pub fn new(device: &str, mount_point: PathBuf) -> Self {
        fs::create_dir_all(&mount_point).expect("mount point");
        run(
            "mount",
            &[device, mount_point.to_str().expect("UTF-8 path")],
        );
        Self { mount_point }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let status = Command::new("umount").arg(&self.mount_point).status();
        if !status.is_ok_and(|status| status.success()) {
            eprintln!("could not unmount {}", self.mount_point.display());
        }
    }
}

/// Active swap on a test device; switched off on drop.
pub struct Swap {
    device: String,
}

impl Swap {
    pub fn new(device: &str) -> Self {
        run("mkswap", &[device]);
        run("swapon", &[device]);
        Self {
            device: device.to_owned(),
        }
    }
}

impl Drop for Swap {
    fn drop(&mut self) {
        let status = Command::new("swapoff").arg(&self.device).status();
        if !status.is_ok_and(|status| status.success()) {
            eprintln!("could not switch off swap on {}", self.device);
        }
    }
}

pub fn mkfs_btrfs(device: &str) {
    run("mkfs.btrfs", &["-q", "-f", device]);
}

pub fn settle() {
    run("udevadm", &["settle"]);
}

pub fn loop_query() -> DiskQuery {
    DiskQuery {
        allow_loop: true,
        minimum_size: None,
    }
}

/// Watches the disk list until `accept` holds for it and returns that list.
pub async fn wait_for_disks(
    source: &dyn DiskSource,
    what: &str,
    mut accept: impl FnMut(&[Disk]) -> bool,
) -> Vec<Disk> {
    let mut lists = disks::watch_disks(source, loop_query())
        .await
        .expect("watch disks");
    let mut deadline = std::pin::pin!(async_io::Timer::after(PATIENCE));
    let mut last = Vec::new();
    loop {
        match select(lists.next(), deadline.as_mut()).await {
            Either::Left((Some(list), _)) => {
                last = list.expect("disk list");
                if accept(&last) {
                    return last;
                }
            }
            Either::Left((None, _)) => panic!("the disk watch ended while waiting for {what}"),
            Either::Right(_) => panic!("never saw {what}; last list: {last:#?}"),
        }
    }
}

pub fn find<'a>(disks: &'a [Disk], device: &str) -> Option<&'a Disk> {
    disks.iter().find(|disk| disk.device == device)
}
