// SPDX-License-Identifier: GPL-3.0-or-later
//! `storage.nix`: the LUKS device, the tmpfs root, the subvolume mounts, the
//! ESP and swap.

use super::writer::{Attrs, File, Value};
use super::{DiskIds, header};
use crate::plan::{Plan, Swap};

pub fn render(plan: &Plan, ids: &DiskIds) -> String {
    let mut body = Attrs::new();
    if ids.are_placeholders() {
        body.comment(
            "PLACEHOLDER UUIDs: no disk was formatted for this rendering. The installer\n\
             writes the real UUIDs here.",
        )
        .blank_line();
    }
    let root_device = format!("/dev/disk/by-uuid/{}", ids.root_uuid);
    let btrfs_device = if plan.encryption.enabled {
        let mut luks = Attrs::new();
        luks.set(["device"], root_device);
        body.set(
            [
                "boot",
                "initrd",
                "luks",
                "devices",
                &plan.encryption.mapped_name,
            ],
            luks,
        )
        .blank_line();
        format!("/dev/mapper/{}", plan.encryption.mapped_name)
    } else {
        root_device
    };

    let mut root = Attrs::new();
    root.set(["device"], "none").set(["fsType"], "tmpfs").set(
        ["options"],
        Value::strings([
            "defaults".to_owned(),
            format!("size={}", plan.root_tmpfs.size.mount_option_value()),
            "mode=755".to_owned(),
        ]),
    );
    body.comment("Everything on / is lost at every boot; see persistence.nix.")
        .set(["fileSystems", "/"], root);

    for (_, subvolume) in plan.created_subvolumes() {
        let mut mount = Attrs::new();
        mount
            .set(["device"], btrfs_device.as_str())
            .set(["fsType"], "btrfs")
            .set(["options"], Value::strings(subvolume.mount_options()));
        if plan.needed_for_boot(&subvolume.mount_point) {
            mount.set(["neededForBoot"], true);
        }
        body.blank_line()
            .set(["fileSystems", &subvolume.mount_point], mount);
    }

    let mut esp = Attrs::new();
    esp.set(["device"], format!("/dev/disk/by-uuid/{}", ids.esp_uuid))
        .set(["fsType"], "vfat")
        .set(["options"], Value::strings(["fmask=0077", "dmask=0077"]));
    body.blank_line().set(["fileSystems", "/boot"], esp);

    let swap_devices = plan.swap.iter().map(|swap| {
        let mut device = Attrs::new();
        device
            .set(["device"], Swap::FILE)
            .set(["size"], Value::Int(i64::from(swap.size_gib) * 1024));
        Value::Attrs(device)
    });
    body.blank_line()
        .set(["swapDevices"], Value::List(swap_devices.collect()));

    File {
        arguments: Vec::new(),
        header: header(
            "The disk layout Keepsake created: encrypted btrfs subvolumes under a tmpfs\n\
             root.",
            "Edit with care: every \"subvol=\" must name a subvolume that exists on the disk,\n\
             and / must stay a tmpfs with mode=755.",
        ),
        bindings: Vec::new(),
        body,
    }
    .print()
}
