// SPDX-License-Identifier: GPL-3.0-or-later
//! Turns a snapshot of UDisks objects into the list of disks with their
//! verdicts. Pure: everything it knows comes from the snapshot.

use std::collections::BTreeSet;

use super::model::{Disk, InstalledSystem, Partition, RefusalReason, Verdict};
use super::snapshot::{
    BLOCK, DRIVE, ENCRYPTED, FILESYSTEM, LOOP, Object, PARTITION, PARTITION_TABLE, PHYSICAL_VOLUME,
    SWAPSPACE, Snapshot,
};

/// What the caller wants listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskQuery {
    /// List loop devices (hidden otherwise: only tests and demos install to
    /// them).
    pub allow_loop: bool,
    /// Refuse disks smaller than this many bytes.
    pub minimum_size: Option<u64>,
}

/// Mount points that mean the disk carries the system that is running now:
/// an installed system, or the NixOS live medium (`/iso`).
const SYSTEM_MOUNT_POINTS: &[&str] = &["/", "/boot", "/nix", "/nix/store", "/usr", "/iso"];

const RAID_MEMBER_TYPES: &[&str] = &["linux_raid_member", "isw_raid_member", "ddf_raid_member"];

/// Every whole disk in `snapshot`, ordered by device node.
pub fn disks_from_snapshot(snapshot: &Snapshot, query: &DiskQuery) -> Vec<Disk> {
    let mut disks: Vec<Disk> = snapshot
        .objects()
        .filter(|object| is_listed_disk(object, query))
        .map(|object| describe_disk(snapshot, &object, query))
        .collect();
    disks.sort_by_key(|disk| natural_key(&disk.device));
    disks
}

/// Sorts `/dev/loop10` after `/dev/loop9`.
fn natural_key(device: &str) -> (String, u64, String) {
    let digits_at = device
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |index| index + 1);
    let (stem, number) = device.split_at(digits_at);
    (
        stem.to_owned(),
        number.parse().unwrap_or(0),
        device.to_owned(),
    )
}

fn is_listed_disk(object: &Object, query: &DiskQuery) -> bool {
    if !object.has(BLOCK) || object.has(PARTITION) {
        return false;
    }
    if object.has(LOOP) {
        // A loop device without a backing file is an unused kernel slot.
        return query.allow_loop && !object.text(LOOP, "BackingFile").is_empty();
    }
    // Device-mapper, MD arrays and zram have no drive: they are built on
    // disks, not disks themselves.
    object.object_path(BLOCK, "Drive").is_some()
}

fn describe_disk(snapshot: &Snapshot, block: &Object, query: &DiskQuery) -> Disk {
    let drive = block
        .object_path(BLOCK, "Drive")
        .and_then(|path| snapshot.object(&path));
    let drive_text = |name: &str| drive.map(|d| d.text(DRIVE, name)).unwrap_or_default();
    let drive_bool = |name: &str| drive.is_some_and(|d| d.bool(DRIVE, name));
    let is_loop = block.has(LOOP);
    let partitions = partitions_of(snapshot, block.path);
    let partition_table = block
        .has(PARTITION_TABLE)
        .then(|| block.text(PARTITION_TABLE, "Type"))
        .filter(|table| !table.is_empty());
    let content_type = Some(block.text(BLOCK, "IdType")).filter(|id| !id.is_empty());

    let mut disk = Disk {
        object_path: block.path.to_owned(),
        device: device_of(block),
        by_id: by_id_link(block),
        vendor: drive_text("Vendor"),
        model: drive_text("Model"),
        serial: drive_text("Serial"),
        size: block.u64(BLOCK, "Size"),
        rotational: drive.is_some_and(|d| d.i64(DRIVE, "RotationRate") > 0),
        removable: drive_bool("Removable") || drive_bool("MediaRemovable"),
        connection_bus: if is_loop {
            "loop".to_owned()
        } else {
            drive_text("ConnectionBus")
        },
        partition_table,
        partitions,
        content_type,
        verdict: Verdict::Usable,
    };
    let reasons = refusal_reasons(snapshot, block, drive.as_ref(), &disk, query);
    if !reasons.is_empty() {
        disk.verdict = Verdict::Refused(reasons);
    }
    disk
}

fn device_of(block: &Object) -> String {
    block.text(BLOCK, "Device")
}

/// Prefers links built from model and serial over WWN/EUI numbers, which
/// people cannot match to the label on a disk.
fn by_id_link(block: &Object) -> Option<String> {
    block
        .texts(BLOCK, "Symlinks")
        .into_iter()
        .filter_map(|link| {
            let name = link.strip_prefix("/dev/disk/by-id/")?.to_owned();
            let opaque =
                name.starts_with("wwn-") || name.contains("eui.") || name.starts_with("nvme-nvme.");
            Some((opaque, name.len(), link))
        })
        .min()
        .map(|(_, _, link)| link)
}

fn partitions_of(snapshot: &Snapshot, disk_path: &str) -> Vec<Partition> {
    let mut partitions: Vec<Partition> = snapshot
        .objects()
        .filter(|object| object.object_path(PARTITION, "Table").as_deref() == Some(disk_path))
        .map(|object| Partition {
            object_path: object.path.to_owned(),
            device: device_of(&object),
            number: u32::try_from(object.u64(PARTITION, "Number")).unwrap_or(u32::MAX),
            offset: object.u64(PARTITION, "Offset"),
            size: object.u64(PARTITION, "Size"),
            type_id: object.text(PARTITION, "Type"),
            name: object.text(PARTITION, "Name"),
            filesystem: object.text(BLOCK, "IdType"),
            label: object.text(BLOCK, "IdLabel"),
            uuid: object.text(BLOCK, "IdUUID"),
            mount_points: object.texts(FILESYSTEM, "MountPoints"),
        })
        .collect();
    partitions.sort_by_key(|partition| partition.number);
    partitions
}

/// The disk, its partitions, and what is stacked on them that UDisks
/// links back: unlocked LUKS devices and, through them, anything inside.
fn block_tree<'a>(snapshot: &'a Snapshot, disk_path: &str) -> Vec<Object<'a>> {
    let mut paths: BTreeSet<String> = BTreeSet::from([disk_path.to_owned()]);
    loop {
        let grown: BTreeSet<String> = snapshot
            .objects()
            .filter(|object| object.has(BLOCK))
            .filter(|object| {
                [
                    object.object_path(PARTITION, "Table"),
                    object.object_path(BLOCK, "CryptoBackingDevice"),
                ]
                .into_iter()
                .flatten()
                .any(|parent| paths.contains(&parent))
            })
            .map(|object| object.path.to_owned())
            .collect();
        let before = paths.len();
        paths.extend(grown);
        if paths.len() == before {
            break;
        }
    }
    paths
        .iter()
        .filter_map(|path| snapshot.object(path))
        .collect()
}

fn refusal_reasons(
    snapshot: &Snapshot,
    block: &Object,
    drive: Option<&Object>,
    disk: &Disk,
    query: &DiskQuery,
) -> Vec<RefusalReason> {
    let mut reasons = Vec::new();
    let tree = block_tree(snapshot, block.path);

    let mounts: Vec<(String, String)> = tree
        .iter()
        .flat_map(|object| {
            object
                .texts(FILESYSTEM, "MountPoints")
                .into_iter()
                .map(|mount_point| (device_of(object), mount_point))
        })
        .collect();
    if mounts
        .iter()
        .any(|(_, mount_point)| SYSTEM_MOUNT_POINTS.contains(&mount_point.as_str()))
    {
        reasons.push(RefusalReason::RunningSystem);
    }
    reasons.extend(
        mounts
            .iter()
            .map(|(device, mount_point)| RefusalReason::Mounted {
                device: device.clone(),
                mount_point: mount_point.clone(),
            }),
    );
    reasons.extend(loops_backed_by(snapshot, &mounts));

    for object in &tree {
        let device = device_of(object);
        if object.bool(SWAPSPACE, "Active") {
            reasons.push(RefusalReason::SwapActive {
                device: device.clone(),
            });
        }
        if object.object_path(ENCRYPTED, "CleartextDevice").is_some() {
            reasons.push(RefusalReason::EncryptionUnlocked {
                device: device.clone(),
            });
        }
        let id_type = object.text(BLOCK, "IdType");
        if object.object_path(BLOCK, "MDRaidMember").is_some()
            || RAID_MEMBER_TYPES.contains(&id_type.as_str())
        {
            reasons.push(RefusalReason::RaidMember {
                device: device.clone(),
            });
        }
        if object.has(PHYSICAL_VOLUME) || id_type == "LVM2_member" {
            reasons.push(RefusalReason::LvmPhysicalVolume { device });
        }
    }

    if block.bool(BLOCK, "ReadOnly") {
        reasons.push(RefusalReason::ReadOnly);
    }
    if disk.size == 0 {
        reasons.push(RefusalReason::SizeZero);
    } else if let Some(minimum) = query.minimum_size.filter(|&minimum| disk.size < minimum) {
        reasons.push(RefusalReason::TooSmall {
            size: disk.size,
            minimum,
        });
    }
    let optical_media = drive.is_some_and(|drive| {
        drive.bool(DRIVE, "Optical")
            || drive
                .texts(DRIVE, "MediaCompatibility")
                .iter()
                .any(|media| media.starts_with("optical"))
    });
    if optical_media || disk.device.starts_with("/dev/sr") {
        reasons.push(RefusalReason::Optical);
    }
    if block.bool(BLOCK, "HintIgnore") {
        reasons.push(RefusalReason::IgnoredByUDisks);
    }
    reasons
}

/// Loop devices whose backing file lives on one of `mounts` (the disk's
/// mounted file systems). The file belongs to the longest mount point that
/// contains it among all mounts in the snapshot, so a file under
/// `/media/usb` on another disk is not blamed on the disk mounted at `/`.
fn loops_backed_by(snapshot: &Snapshot, mounts: &[(String, String)]) -> Vec<RefusalReason> {
    let all_mount_points: Vec<String> = snapshot
        .objects()
        .flat_map(|object| object.texts(FILESYSTEM, "MountPoints"))
        .collect();
    snapshot
        .objects()
        .filter(|object| object.has(LOOP))
        .filter_map(|object| {
            let backing_file = object.text(LOOP, "BackingFile");
            let holder = all_mount_points
                .iter()
                .filter(|mount_point| is_inside(&backing_file, mount_point))
                .max_by_key(|mount_point| mount_point.len())?;
            mounts
                .iter()
                .any(|(_, mount_point)| mount_point == holder)
                .then(|| RefusalReason::LoopBackingFile {
                    loop_device: device_of(&object),
                    backing_file,
                })
        })
        .collect()
}

/// GPT partition types only an installed system creates.
const GPT_EFI_SYSTEM: &str = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const GPT_WINDOWS: &[&str] = &[
    "e3c9e316-0b5c-4db8-817d-f92df00215ae", // Microsoft reserved
    "de94bba4-06d1-4d40-a16a-bfd50179d6ac", // Windows recovery environment
];
const GPT_MACOS: &[&str] = &[
    "7c3457ef-0000-11aa-aa11-00306543ecac", // APFS
    "48465300-0000-11aa-aa11-00306543ecac", // HFS+
];
const GPT_LINUX_SYSTEM: &[&str] = &[
    "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", // root, x86-64
    "b921b045-1df0-41c3-af44-4c6f280d3fae", // root, AArch64
    "44479540-f297-41b2-9af7-d131d5f0458a", // root, x86
    "8484680c-9521-48c6-9c11-b0720656f69e", // /usr, x86-64
    "bc13c2ff-59e6-4262-a352-b275fd6f7172", // extended boot loader
];
const LINUX_SYSTEM_FILESYSTEMS: &[&str] = &["ext4", "ext3", "btrfs", "xfs", "f2fs", "crypto_LUKS"];

/// The operating systems `disk` seems to hold, judged from its partition
/// types, file systems and labels alone; none for a disk of plain data.
/// A disk of NTFS data is not Windows, but NTFS beside a boot partition is.
pub fn installed_systems(disk: &Disk) -> Vec<InstalledSystem> {
    let types = |wanted: &[&str]| {
        disk.partitions
            .iter()
            .any(|partition| wanted.contains(&partition.type_id.to_ascii_lowercase().as_str()))
    };
    let filesystem = |wanted: &[&str]| {
        disk.partitions
            .iter()
            .any(|partition| wanted.contains(&partition.filesystem.as_str()))
    };
    let boot_partition = types(&[GPT_EFI_SYSTEM]);
    let named_windows = disk.partitions.iter().any(|partition| {
        partition.filesystem == "ntfs"
            && [&partition.label, &partition.name]
                .iter()
                .any(|text| text.to_lowercase().contains("windows"))
    });
    let mut systems = Vec::new();
    if types(GPT_WINDOWS)
        || named_windows
        || filesystem(&["BitLocker"])
        || (boot_partition && filesystem(&["ntfs"]))
    {
        systems.push(InstalledSystem::Windows);
    }
    if types(GPT_MACOS) || filesystem(&["apfs", "hfsplus"]) {
        systems.push(InstalledSystem::MacOs);
    }
    if types(GPT_LINUX_SYSTEM) || (boot_partition && filesystem(LINUX_SYSTEM_FILESYSTEMS)) {
        systems.push(InstalledSystem::Linux);
    }
    if systems.is_empty() && boot_partition {
        systems.push(InstalledSystem::Other);
    }
    systems
}

fn is_inside(path: &str, mount_point: &str) -> bool {
    if path.is_empty() {
        return false;
    }
    mount_point == "/"
        || path
            .strip_prefix(mount_point)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disks::fake::{self, DriveSpec, PartitionSpec};
    use crate::disks::snapshot::Value;

    const GIB: u64 = 1 << 30;

    /// One 500 GiB SATA disk `/dev/sda` with two partitions and nothing in
    /// use; each test breaks one thing.
    fn one_disk() -> (Snapshot, String) {
        let mut snapshot = Snapshot::new();
        let spec = DriveSpec {
            partitions: vec![
                PartitionSpec::new(1, GIB, "vfat", "EFI"),
                PartitionSpec::new(2, 400 * GIB, "ext4", "data"),
            ],
            ..DriveSpec::new("sda", "ATA", "WDC WD5000", "WD-1234", 500 * GIB)
        };
        let path = fake::add_drive(&mut snapshot, &spec);
        (snapshot, path)
    }

    fn partition_path(disk_path: &str, number: u32) -> String {
        format!("{disk_path}{number}")
    }

    fn reasons(snapshot: &Snapshot, query: &DiskQuery) -> Vec<RefusalReason> {
        let disks = disks_from_snapshot(snapshot, query);
        assert_eq!(disks.len(), 1, "{disks:#?}");
        disks[0].verdict.reasons().to_vec()
    }

    fn only_reasons(snapshot: &Snapshot) -> Vec<RefusalReason> {
        reasons(snapshot, &DiskQuery::default())
    }

    /// The systems found on a disk with these partitions.
    fn systems_with(partitions: Vec<PartitionSpec>) -> Vec<InstalledSystem> {
        let mut snapshot = Snapshot::new();
        let spec = DriveSpec {
            partitions,
            ..DriveSpec::new("sda", "ATA", "WDC WD5000", "WD-1234", 500 * GIB)
        };
        fake::add_drive(&mut snapshot, &spec);
        let disks = disks_from_snapshot(&snapshot, &DiskQuery::default());
        installed_systems(&disks[0])
    }

    fn typed(type_id: &'static str, spec: PartitionSpec) -> PartitionSpec {
        PartitionSpec { type_id, ..spec }
    }

    #[test]
    fn windows_is_recognised_by_its_partitions_or_its_label() {
        assert_eq!(
            systems_with(vec![
                typed(GPT_EFI_SYSTEM, PartitionSpec::new(1, GIB, "vfat", "SYSTEM")),
                typed(GPT_WINDOWS[0], PartitionSpec::new(2, GIB, "", "")),
                PartitionSpec::new(3, 400 * GIB, "ntfs", "OS"),
            ]),
            [InstalledSystem::Windows]
        );
        // An MBR disk of an older Windows: no boot partition, only the label.
        assert_eq!(
            systems_with(vec![PartitionSpec::new(1, 400 * GIB, "ntfs", "Windows 10")]),
            [InstalledSystem::Windows]
        );
        assert_eq!(
            systems_with(vec![PartitionSpec::new(1, 400 * GIB, "BitLocker", "")]),
            [InstalledSystem::Windows]
        );
    }

    #[test]
    fn plain_data_disks_hold_no_system() {
        assert!(systems_with(vec![PartitionSpec::new(1, 400 * GIB, "ntfs", "Photos")]).is_empty());
        assert!(systems_with(vec![PartitionSpec::new(1, 400 * GIB, "ext4", "backup")]).is_empty());
        assert!(systems_with(Vec::new()).is_empty());
    }

    #[test]
    fn linux_macos_and_unknown_systems_are_named() {
        assert_eq!(
            systems_with(vec![
                typed(GPT_EFI_SYSTEM, PartitionSpec::new(1, GIB, "vfat", "EFI")),
                PartitionSpec::new(2, 400 * GIB, "crypto_LUKS", ""),
            ]),
            [InstalledSystem::Linux]
        );
        assert_eq!(
            systems_with(vec![typed(
                GPT_LINUX_SYSTEM[0],
                PartitionSpec::new(1, 400 * GIB, "xfs", "")
            )]),
            [InstalledSystem::Linux]
        );
        assert_eq!(
            systems_with(vec![typed(
                GPT_MACOS[0],
                PartitionSpec::new(1, 400 * GIB, "apfs", "")
            )]),
            [InstalledSystem::MacOs]
        );
        assert_eq!(
            systems_with(vec![
                typed(GPT_EFI_SYSTEM, PartitionSpec::new(1, GIB, "vfat", "EFI")),
                PartitionSpec::new(2, 400 * GIB, "ufs", ""),
            ]),
            [InstalledSystem::Other]
        );
    }

    #[test]
    fn windows_beside_linux_names_both() {
        assert_eq!(
            systems_with(vec![
                typed(GPT_EFI_SYSTEM, PartitionSpec::new(1, GIB, "vfat", "EFI")),
                PartitionSpec::new(2, 200 * GIB, "ntfs", "Windows"),
                PartitionSpec::new(3, 200 * GIB, "btrfs", "nixos"),
            ]),
            [InstalledSystem::Windows, InstalledSystem::Linux]
        );
    }

    #[test]
    fn the_demo_sata_disk_holds_windows() {
        let disks = fake::demo_disks();
        let sata = disks.iter().find(|disk| disk.device == "/dev/sda").unwrap();
        assert_eq!(installed_systems(sata), [InstalledSystem::Windows]);
        let nvme = disks
            .iter()
            .find(|disk| disk.device == "/dev/nvme0n1")
            .unwrap();
        assert!(installed_systems(nvme).is_empty());
    }

    #[test]
    fn unused_disk_is_usable_and_described() {
        let (snapshot, path) = one_disk();
        let disks = disks_from_snapshot(&snapshot, &DiskQuery::default());
        let disk = &disks[0];
        assert_eq!(disk.verdict, Verdict::Usable);
        assert_eq!(disk.object_path, path);
        assert_eq!(disk.device, "/dev/sda");
        assert_eq!(
            disk.by_id.as_deref(),
            Some("/dev/disk/by-id/ata-WDC_WD5000_WD-1234")
        );
        assert_eq!(disk.size, 500 * GIB);
        assert_eq!(disk.partition_table.as_deref(), Some("gpt"));
        let labels: Vec<_> = disk
            .partitions
            .iter()
            .map(|p| (p.number, p.label.as_str(), p.filesystem.as_str()))
            .collect();
        assert_eq!(labels, [(1, "EFI", "vfat"), (2, "data", "ext4")]);
    }

    #[test]
    fn by_id_prefers_model_and_serial_over_wwn() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(
            &path,
            BLOCK,
            "Symlinks",
            Value::byte_strings(&[
                "/dev/disk/by-path/pci-0000:00:17.0-ata-1",
                "/dev/disk/by-id/wwn-0x50014ee2b5b3c6a1",
                "/dev/disk/by-id/ata-WDC_WD5000_WD-1234",
            ]),
        );
        let disks = disks_from_snapshot(&snapshot, &DiskQuery::default());
        assert_eq!(
            disks[0].by_id.as_deref(),
            Some("/dev/disk/by-id/ata-WDC_WD5000_WD-1234")
        );
    }

    #[test]
    fn mounted_partition_names_its_mount_point() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(
            &partition_path(&path, 2),
            FILESYSTEM,
            "MountPoints",
            Value::byte_strings(&["/media/data"]),
        );
        assert_eq!(
            only_reasons(&snapshot),
            [RefusalReason::Mounted {
                device: "/dev/sda2".to_owned(),
                mount_point: "/media/data".to_owned()
            }]
        );
        assert_eq!(
            only_reasons(&snapshot)[0].message(),
            "\u{2068}/dev/sda2\u{2069} is mounted at \u{2068}/media/data\u{2069}"
        );
    }

    #[test]
    fn disk_holding_the_running_system_says_so() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(
            &partition_path(&path, 2),
            FILESYSTEM,
            "MountPoints",
            Value::byte_strings(&["/"]),
        );
        let reasons = only_reasons(&snapshot);
        assert_eq!(reasons[0], RefusalReason::RunningSystem);
        assert!(
            matches!(&reasons[1], RefusalReason::Mounted { mount_point, .. } if mount_point == "/")
        );
    }

    #[test]
    fn active_swap_is_refused_inactive_swap_is_not() {
        let (mut snapshot, path) = one_disk();
        let swap = partition_path(&path, 2);
        snapshot.set(&swap, SWAPSPACE, "Active", Value::Bool(false));
        assert_eq!(only_reasons(&snapshot), []);
        snapshot.set(&swap, SWAPSPACE, "Active", Value::Bool(true));
        assert_eq!(
            only_reasons(&snapshot),
            [RefusalReason::SwapActive {
                device: "/dev/sda2".to_owned()
            }]
        );
    }

    #[test]
    fn unlocked_luks_is_refused_with_what_is_mounted_inside() {
        let (mut snapshot, path) = one_disk();
        let luks = partition_path(&path, 2);
        snapshot.set(&luks, ENCRYPTED, "CleartextDevice", Value::text("/"));
        assert_eq!(
            only_reasons(&snapshot),
            [],
            "a locked LUKS container is not in use"
        );

        let cleartext = "/org/freedesktop/UDisks2/block_devices/dm_2d0";
        snapshot.set(&luks, ENCRYPTED, "CleartextDevice", Value::text(cleartext));
        snapshot.set(cleartext, BLOCK, "Device", Value::bytes("/dev/dm-0"));
        snapshot.set(cleartext, BLOCK, "Drive", Value::text("/"));
        snapshot.set(cleartext, BLOCK, "CryptoBackingDevice", Value::text(&luks));
        snapshot.set(
            cleartext,
            FILESYSTEM,
            "MountPoints",
            Value::byte_strings(&["/home"]),
        );
        let disks = disks_from_snapshot(&snapshot, &DiskQuery::default());
        assert_eq!(
            disks.len(),
            1,
            "the cleartext device is not a disk of its own"
        );
        assert_eq!(
            disks[0].verdict.reasons(),
            [
                RefusalReason::Mounted {
                    device: "/dev/dm-0".to_owned(),
                    mount_point: "/home".to_owned()
                },
                RefusalReason::EncryptionUnlocked {
                    device: "/dev/sda2".to_owned()
                },
            ]
        );
    }

    #[test]
    fn md_raid_member_is_refused_active_or_not() {
        let (mut snapshot, path) = one_disk();
        let member = partition_path(&path, 1);
        snapshot.set(
            &member,
            BLOCK,
            "MDRaidMember",
            Value::text("/org/freedesktop/UDisks2/mdraid/abc"),
        );
        let expected = [RefusalReason::RaidMember {
            device: "/dev/sda1".to_owned(),
        }];
        assert_eq!(only_reasons(&snapshot), expected);

        let (mut snapshot, path) = one_disk();
        snapshot.set(
            &partition_path(&path, 1),
            BLOCK,
            "IdType",
            Value::text("linux_raid_member"),
        );
        assert_eq!(only_reasons(&snapshot), expected);
    }

    #[test]
    fn lvm_physical_volume_is_refused() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(&path, BLOCK, "IdType", Value::text("LVM2_member"));
        assert_eq!(
            only_reasons(&snapshot),
            [RefusalReason::LvmPhysicalVolume {
                device: "/dev/sda".to_owned()
            }]
        );

        let (mut snapshot, path) = one_disk();
        snapshot.set(
            &partition_path(&path, 2),
            PHYSICAL_VOLUME,
            "VolumeGroup",
            Value::text("/org/freedesktop/UDisks2/lvm/vg0"),
        );
        assert_eq!(
            only_reasons(&snapshot),
            [RefusalReason::LvmPhysicalVolume {
                device: "/dev/sda2".to_owned()
            }]
        );
    }

    #[test]
    fn optical_drive_is_refused() {
        let (mut snapshot, path) = one_disk();
        let drive = snapshot
            .object(&path)
            .unwrap()
            .object_path(BLOCK, "Drive")
            .unwrap();
        snapshot.set(
            &drive,
            DRIVE,
            "MediaCompatibility",
            Value::texts(&["optical_cd", "optical_dvd"]),
        );
        assert_eq!(only_reasons(&snapshot), [RefusalReason::Optical]);
    }

    #[test]
    fn hint_ignore_is_refused() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(&path, BLOCK, "HintIgnore", Value::Bool(true));
        assert_eq!(only_reasons(&snapshot), [RefusalReason::IgnoredByUDisks]);
    }

    #[test]
    fn read_only_is_refused() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(&path, BLOCK, "ReadOnly", Value::Bool(true));
        assert_eq!(only_reasons(&snapshot), [RefusalReason::ReadOnly]);
    }

    #[test]
    fn size_zero_is_refused_without_a_size_complaint() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(&path, BLOCK, "Size", Value::Unsigned(0));
        let query = DiskQuery {
            minimum_size: Some(GIB),
            ..DiskQuery::default()
        };
        assert_eq!(reasons(&snapshot, &query), [RefusalReason::SizeZero]);
    }

    #[test]
    fn tiny_disk_is_refused_below_the_minimum_only() {
        let (snapshot, _) = one_disk();
        let just_enough = DiskQuery {
            minimum_size: Some(500 * GIB),
            ..DiskQuery::default()
        };
        assert_eq!(reasons(&snapshot, &just_enough), []);
        let more = DiskQuery {
            minimum_size: Some(500 * GIB + 1),
            ..DiskQuery::default()
        };
        assert_eq!(
            reasons(&snapshot, &more),
            [RefusalReason::TooSmall {
                size: 500 * GIB,
                minimum: 500 * GIB + 1
            }]
        );
    }

    #[test]
    fn loop_backing_file_on_the_disk_is_refused() {
        let (mut snapshot, path) = one_disk();
        snapshot.set(
            &partition_path(&path, 2),
            FILESYSTEM,
            "MountPoints",
            Value::byte_strings(&["/srv"]),
        );
        let other_disk = fake::add_drive(
            &mut snapshot,
            &DriveSpec {
                partitions: vec![PartitionSpec {
                    mount_points: vec!["/srv/usb"],
                    ..PartitionSpec::new(1, GIB, "vfat", "USB")
                }],
                ..DriveSpec::new("sdb", "Kingston", "DataTraveler", "K-1", 32 * GIB)
            },
        );
        let loop_path = "/org/freedesktop/UDisks2/block_devices/loop0";
        snapshot.set(loop_path, BLOCK, "Device", Value::bytes("/dev/loop0"));
        snapshot.set(
            loop_path,
            LOOP,
            "BackingFile",
            Value::bytes("/srv/images/vm.img"),
        );
        let usb_loop = "/org/freedesktop/UDisks2/block_devices/loop1";
        snapshot.set(usb_loop, BLOCK, "Device", Value::bytes("/dev/loop1"));
        snapshot.set(
            usb_loop,
            LOOP,
            "BackingFile",
            Value::bytes("/srv/usb/stick.img"),
        );

        let disks = disks_from_snapshot(&snapshot, &DiskQuery::default());
        let sda = disks.iter().find(|disk| disk.object_path == path).unwrap();
        assert!(
            sda.verdict
                .reasons()
                .contains(&RefusalReason::LoopBackingFile {
                    loop_device: "/dev/loop0".to_owned(),
                    backing_file: "/srv/images/vm.img".to_owned()
                })
        );
        assert_eq!(sda.verdict.reasons().len(), 2, "{:#?}", sda.verdict);
        let sdb = disks
            .iter()
            .find(|disk| disk.object_path == other_disk)
            .unwrap();
        assert!(
            sdb.verdict
                .reasons()
                .contains(&RefusalReason::LoopBackingFile {
                    loop_device: "/dev/loop1".to_owned(),
                    backing_file: "/srv/usb/stick.img".to_owned()
                })
        );
    }

    #[test]
    fn loop_devices_are_hidden_unless_allowed() {
        let mut snapshot = Snapshot::new();
        for (name, backing_file) in [("loop0", "/tmp/disk.img"), ("loop1", "")] {
            let path = format!("/org/freedesktop/UDisks2/block_devices/{name}");
            snapshot.set(
                &path,
                BLOCK,
                "Device",
                Value::bytes(&format!("/dev/{name}")),
            );
            snapshot.set(&path, BLOCK, "Drive", Value::text("/"));
            snapshot.set(&path, BLOCK, "Size", Value::Unsigned(GIB));
            snapshot.set(&path, LOOP, "BackingFile", Value::bytes(backing_file));
        }
        assert!(disks_from_snapshot(&snapshot, &DiskQuery::default()).is_empty());
        let disks = disks_from_snapshot(
            &snapshot,
            &DiskQuery {
                allow_loop: true,
                ..DiskQuery::default()
            },
        );
        let devices: Vec<_> = disks
            .iter()
            .map(|disk| (disk.device.as_str(), disk.connection_bus.as_str()))
            .collect();
        assert_eq!(
            devices,
            [("/dev/loop0", "loop")],
            "unattached loop devices are not disks"
        );
        assert!(disks[0].is_usable());
    }

    #[test]
    fn devices_without_a_drive_are_not_disks() {
        let mut snapshot = Snapshot::new();
        let path = "/org/freedesktop/UDisks2/block_devices/md127";
        snapshot.set(path, BLOCK, "Device", Value::bytes("/dev/md127"));
        snapshot.set(path, BLOCK, "Drive", Value::text("/"));
        snapshot.set(path, BLOCK, "Size", Value::Unsigned(GIB));
        assert!(disks_from_snapshot(&snapshot, &DiskQuery::default()).is_empty());
    }

    #[test]
    fn disks_sort_by_device_number() {
        let mut snapshot = Snapshot::new();
        for name in ["loop10", "loop9"] {
            let path = format!("/org/freedesktop/UDisks2/block_devices/{name}");
            snapshot.set(
                &path,
                BLOCK,
                "Device",
                Value::bytes(&format!("/dev/{name}")),
            );
            snapshot.set(&path, BLOCK, "Size", Value::Unsigned(GIB));
            snapshot.set(&path, LOOP, "BackingFile", Value::bytes("/tmp/x"));
        }
        let disks = disks_from_snapshot(
            &snapshot,
            &DiskQuery {
                allow_loop: true,
                ..DiskQuery::default()
            },
        );
        let devices: Vec<_> = disks.iter().map(|disk| disk.device.as_str()).collect();
        assert_eq!(devices, ["/dev/loop9", "/dev/loop10"]);
    }
}
