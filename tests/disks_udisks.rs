// SPDX-License-Identifier: GPL-3.0-or-later
//! The disk rules against the real udisksd, on loop devices this test
//! creates. One test function: the cases share one set of daemons and must
//! not run in parallel.

#[path = "support/udisks_env.rs"]
mod udisks_env;

use std::process::Command;

use keepsake::disks::{self, DiskError, RefusalReason, UDisksSource, Verdict};
use udisks_env::{
    Daemons, LoopDisk, Mount, Swap, find, loop_query, missing_capability, mkfs_btrfs,
    wait_for_disks,
};

const MIB: u64 = 1 << 20;

#[test]
fn udisks_verdicts_on_loop_devices() {
    if let Some(missing) = missing_capability() {
        eprintln!("\n*** SKIPPED udisks_verdicts_on_loop_devices: {missing} ***\n");
        return;
    }
    let daemons = Daemons::start();
    let dir = daemons.work_dir.path();
    async_io::block_on(async {
        let source = UDisksSource::system().await.expect("system bus");

        let clean = LoopDisk::create(dir, "clean.img", 256 * MIB, false);
        let read_only = LoopDisk::create(dir, "read-only.img", 256 * MIB, true);
        let swap_disk = LoopDisk::create(dir, "swap.img", 256 * MIB, false);
        let _swap = Swap::new(&swap_disk.device);
        let btrfs_disk = LoopDisk::create(dir, "btrfs.img", 256 * MIB, false);
        mkfs_btrfs(&btrfs_disk.device);
        let mount = Mount::new(&btrfs_disk.device, dir.join("mnt"));
        // A loop device whose file lives on the mounted btrfs: the btrfs
        // disk must also be refused for it.
        let image_on_btrfs = mount.mount_point.join("nested.img");
        std::fs::File::create(&image_on_btrfs)
            .and_then(|file| file.set_len(64 * MIB))
            .expect("file on the btrfs");
        let nested = LoopDisk::attach(image_on_btrfs.clone(), false);

        let mount_point = mount.mount_point.to_str().unwrap().to_owned();
        let disks = wait_for_disks(&source, "the mount and the swap", |disks| {
            find(disks, &btrfs_disk.device).is_some_and(|disk| disk.verdict.reasons().len() == 2)
                && find(disks, &swap_disk.device).is_some_and(|disk| !disk.is_usable())
                && find(disks, &read_only.device).is_some()
                && find(disks, &clean.device).is_some()
        })
        .await;

        let clean_disk = find(&disks, &clean.device).unwrap();
        assert_eq!(clean_disk.verdict, Verdict::Usable, "{clean_disk:#?}");
        assert_eq!(clean_disk.size, 256 * MIB);
        assert_eq!(clean_disk.connection_bus, "loop");

        let btrfs = find(&disks, &btrfs_disk.device).unwrap();
        assert_eq!(
            btrfs.verdict.reasons(),
            [
                RefusalReason::Mounted {
                    device: btrfs_disk.device.clone(),
                    mount_point: mount_point.clone(),
                },
                RefusalReason::LoopBackingFile {
                    loop_device: nested.device.clone(),
                    backing_file: image_on_btrfs.to_str().unwrap().to_owned(),
                },
            ]
        );
        assert!(btrfs.verdict.reasons()[0].message().contains(&mount_point));
        assert_eq!(btrfs.content_type.as_deref(), Some("btrfs"));

        assert_eq!(
            find(&disks, &swap_disk.device).unwrap().verdict.reasons(),
            [RefusalReason::SwapActive {
                device: swap_disk.device.clone()
            }]
        );
        assert_eq!(
            find(&disks, &read_only.device).unwrap().verdict.reasons(),
            [RefusalReason::ReadOnly]
        );
        assert_eq!(
            find(&disks, &nested.device).unwrap().verdict,
            Verdict::Usable
        );

        let rechecked = disks::recheck_disk(&source, &btrfs_disk.device, &loop_query())
            .await
            .expect("recheck");
        assert!(!rechecked.is_usable());

        let hidden = disks::list_disks(&source, &Default::default())
            .await
            .unwrap();
        assert!(
            hidden
                .iter()
                .all(|disk| !disk.device.starts_with("/dev/loop")),
            "loop devices are listed without allow_loop: {hidden:#?}"
        );

        // Hotplug: a loop device attached while watching appears, and
        // disappears once detached.
        let plugged = LoopDisk::create(dir, "hotplug.img", 128 * MIB, false);
        let device = plugged.device.clone();
        let disks = wait_for_disks(&source, "the new loop device", |disks| {
            find(disks, &device).is_some()
        })
        .await;
        assert!(find(&disks, &device).unwrap().is_usable());
        drop(plugged);
        wait_for_disks(&source, "the detached loop device to go", |disks| {
            find(disks, &device).is_none()
        })
        .await;
        assert!(matches!(
            disks::recheck_disk(&source, &device, &loop_query()).await,
            Err(DiskError::NotFound { .. })
        ));
    });
}

/// Runs without root or UDisks: only needs the binary.
#[test]
fn cli_reports_missing_udisks_with_its_own_exit_code() {
    let output = Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .arg("disks")
        .env(
            "DBUS_SYSTEM_BUS_ADDRESS",
            "unix:path=/nonexistent/keepsake-test-bus",
        )
        .output()
        .expect("run keepsake");
    assert_eq!(output.status.code(), Some(69));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "UDisks2 is not available on the system bus: is udisks2 installed and running?"
        ),
        "{stderr}"
    );
}
