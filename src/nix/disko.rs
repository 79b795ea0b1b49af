// SPDX-License-Identifier: GPL-3.0-or-later
//! `disko.nix` (`keepsake render --disko`): the disk layout Keepsake
//! creates, as a disko configuration, for people who reinstall or manage
//! the layout with disko.

use super::header;
use super::writer::{Attrs, File, Value};
use crate::plan::{Plan, Swap};

/// The name `keepsake render --disko` gives the file.
pub const FILE: &str = "disko.nix";

/// Shown when the plan names no disk yet.
pub const DEVICE_PLACEHOLDER: &str = "/dev/disk/by-id/KEEPSAKE-CHOOSE-A-DISK";

pub fn render(plan: &Plan) -> String {
    let device = plan
        .disk
        .as_ref()
        .map_or(DEVICE_PLACEHOLDER, |disk| disk.by_id_path.as_str());

    let mut esp_content = Attrs::new();
    esp_content
        .set(["type"], "filesystem")
        .set(["format"], "vfat")
        .set(["mountpoint"], "/boot")
        .set(
            ["mountOptions"],
            Value::strings(["fmask=0077", "dmask=0077"]),
        );
    let mut esp = Attrs::new();
    esp.set(["size"], format!("{}M", plan.esp.size_mib))
        .set(["type"], "EF00")
        .set(["content"], esp_content);

    let mut subvolumes = Attrs::new();
    for subvolume in &plan.subvolumes {
        let mut entry = Attrs::new();
        entry
            .set(["mountpoint"], subvolume.mount_point.as_str())
            .set(["mountOptions"], Value::strings(&subvolume.options));
        subvolumes.set([subvolume.name.as_str()], entry);
    }
    if let Some(swap) = &plan.swap {
        let mut entry = Attrs::new();
        entry
            .set(["mountpoint"], Swap::MOUNT_POINT)
            .set(["mountOptions"], Value::strings(["noatime"]))
            .set(["swap", "swapfile", "size"], format!("{}G", swap.size_gib));
        subvolumes.set([Swap::SUBVOLUME], entry);
    }
    let mut btrfs = Attrs::new();
    btrfs
        .set(["type"], "btrfs")
        .set(["extraArgs"], Value::strings(["-f"]))
        .set(["subvolumes"], subvolumes);

    let root_content = if plan.encryption.enabled {
        let mut luks = Attrs::new();
        luks.set(["type"], "luks")
            .set(["name"], plan.encryption.mapped_name.as_str())
            .comment("disko asks for the passphrase when it formats.")
            .set(["content"], btrfs);
        luks
    } else {
        btrfs
    };
    let mut root = Attrs::new();
    root.set(["size"], "100%").set(["content"], root_content);

    let mut partitions = Attrs::new();
    partitions.set(["ESP"], esp).set(["root"], root);
    let mut table = Attrs::new();
    table.set(["type"], "gpt").set(["partitions"], partitions);
    let mut disk = Attrs::new();
    disk.set(["type"], "disk")
        .set(["device"], device)
        .set(["content"], table);

    let mut tmpfs = Attrs::new();
    tmpfs.set(["fsType"], "tmpfs").set(
        ["mountOptions"],
        Value::strings([
            "defaults".to_owned(),
            format!("size={}", plan.root_tmpfs.size.mount_option_value()),
            "mode=755".to_owned(),
        ]),
    );

    let mut body = Attrs::new();
    body.set(["disko", "devices", "disk", "main"], disk)
        .blank_line()
        .comment("The root is a tmpfs: everything on / is lost at every boot.")
        .set(["disko", "devices", "nodev", "/"], tmpfs);
    File {
        arguments: Vec::new(),
        header: header(
            "The disk layout Keepsake creates, as a disko configuration.",
            "disko ERASES the disk it names when it formats. Check the device first.",
        ),
        bindings: Vec::new(),
        body,
    }
    .print()
}
