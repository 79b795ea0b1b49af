// SPDX-License-Identifier: GPL-3.0-or-later
//! A disk source without UDisks, for `--demo` and the UI tests. It builds
//! the same kind of objects UDisks exports, so the real rules judge them.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, StreamExt};

use super::model::Disk;
use super::rules::{DiskQuery, disks_from_snapshot};
use super::snapshot::{
    BLOCK, DRIVE, FILESYSTEM, Interfaces, PARTITION, PARTITION_TABLE, Properties, Snapshot, Value,
};
use super::{DiskError, DiskSource};

const BLOCK_DEVICES: &str = "/org/freedesktop/UDisks2/block_devices";
const MIB: u64 = 1 << 20;
const GPT_EFI_SYSTEM: &str = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const GPT_BASIC_DATA: &str = "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7";
const GPT_MICROSOFT_RESERVED: &str = "e3c9e316-0b5c-4db8-817d-f92df00215ae";

/// A whole disk to add to a snapshot.
#[derive(Debug, Clone)]
pub struct DriveSpec {
    /// Kernel name: `sda`, `nvme0n1`.
    pub name: &'static str,
    pub vendor: &'static str,
    pub model: &'static str,
    pub serial: &'static str,
    pub size: u64,
    /// `usb`, `sdio`, or empty for NVMe and SATA.
    pub connection_bus: &'static str,
    /// RPM; 0 for flash.
    pub rotation_rate: i64,
    pub removable: bool,
    /// `gpt`, `dos`, or `None` for a blank disk.
    pub partition_table: Option<&'static str>,
    pub partitions: Vec<PartitionSpec>,
}

impl DriveSpec {
    /// A flash SATA disk with an empty GPT.
    pub fn new(
        name: &'static str,
        vendor: &'static str,
        model: &'static str,
        serial: &'static str,
        size: u64,
    ) -> Self {
        Self {
            name,
            vendor,
            model,
            serial,
            size,
            connection_bus: "",
            rotation_rate: 0,
            removable: false,
            partition_table: Some("gpt"),
            partitions: Vec::new(),
        }
    }

    fn by_id(&self) -> String {
        let prefix = match (self.connection_bus, self.name.starts_with("nvme")) {
            ("usb", _) => "usb",
            (_, true) => "nvme",
            _ => "ata",
        };
        format!(
            "/dev/disk/by-id/{prefix}-{}_{}",
            self.model.replace(' ', "_"),
            self.serial
        )
    }

    fn partition_name(&self, number: u32) -> String {
        if self.name.ends_with(|c: char| c.is_ascii_digit()) {
            format!("{}p{number}", self.name)
        } else {
            format!("{}{number}", self.name)
        }
    }
}

#[derive(Debug, Clone)]
pub struct PartitionSpec {
    pub number: u32,
    pub size: u64,
    pub type_id: &'static str,
    pub filesystem: &'static str,
    pub label: &'static str,
    pub mount_points: Vec<&'static str>,
}

impl PartitionSpec {
    pub fn new(number: u32, size: u64, filesystem: &'static str, label: &'static str) -> Self {
        Self {
            number,
            size,
            type_id: GPT_BASIC_DATA,
            filesystem,
            label,
            mount_points: Vec::new(),
        }
    }
}

fn properties<const N: usize>(entries: [(&str, Value); N]) -> Properties {
    entries
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// Adds the drive, block and partition objects UDisks would export for
/// `spec`; returns the object path of the whole-disk block device.
pub fn add_drive(snapshot: &mut Snapshot, spec: &DriveSpec) -> String {
    let drive_path = format!(
        "/org/freedesktop/UDisks2/drives/{}_{}",
        spec.model.replace([' ', '-'], "_"),
        spec.serial.replace('-', "_")
    );
    snapshot.add_interfaces(
        &drive_path,
        Interfaces::from([(
            DRIVE.to_owned(),
            properties([
                ("Vendor", Value::text(spec.vendor)),
                ("Model", Value::text(spec.model)),
                ("Serial", Value::text(spec.serial)),
                ("Size", Value::Unsigned(spec.size)),
                ("ConnectionBus", Value::text(spec.connection_bus)),
                ("RotationRate", Value::Signed(spec.rotation_rate)),
                ("Removable", Value::Bool(spec.removable)),
                ("MediaRemovable", Value::Bool(spec.removable)),
                ("Optical", Value::Bool(false)),
                ("MediaCompatibility", Value::List(Vec::new())),
            ]),
        )]),
    );

    let disk_path = format!("{BLOCK_DEVICES}/{}", spec.name);
    let mut disk = Interfaces::from([(
        BLOCK.to_owned(),
        properties([
            ("Device", Value::bytes(&format!("/dev/{}", spec.name))),
            ("Symlinks", Value::byte_strings(&[&spec.by_id()])),
            ("Drive", Value::text(&drive_path)),
            ("Size", Value::Unsigned(spec.size)),
            ("ReadOnly", Value::Bool(false)),
            ("HintIgnore", Value::Bool(false)),
            ("IdType", Value::text("")),
        ]),
    )]);
    if let Some(table) = spec.partition_table {
        disk.insert(
            PARTITION_TABLE.to_owned(),
            properties([("Type", Value::text(table))]),
        );
    }
    snapshot.add_interfaces(&disk_path, disk);

    let mut offset = MIB;
    for partition in &spec.partitions {
        let name = spec.partition_name(partition.number);
        let mut interfaces = Interfaces::from([
            (
                BLOCK.to_owned(),
                properties([
                    ("Device", Value::bytes(&format!("/dev/{name}"))),
                    ("Drive", Value::text(&drive_path)),
                    ("Size", Value::Unsigned(partition.size)),
                    ("IdType", Value::text(partition.filesystem)),
                    ("IdLabel", Value::text(partition.label)),
                    (
                        "IdUUID",
                        Value::Text(format!("{:04X}-{:04X}", partition.number, offset / MIB)),
                    ),
                ]),
            ),
            (
                PARTITION.to_owned(),
                properties([
                    ("Number", Value::Unsigned(partition.number.into())),
                    ("Offset", Value::Unsigned(offset)),
                    ("Size", Value::Unsigned(partition.size)),
                    ("Type", Value::text(partition.type_id)),
                    ("Table", Value::text(&disk_path)),
                ]),
            ),
        ]);
        if !partition.filesystem.is_empty() {
            interfaces.insert(
                FILESYSTEM.to_owned(),
                properties([("MountPoints", Value::byte_strings(&partition.mount_points))]),
            );
        }
        snapshot.add_interfaces(&format!("{BLOCK_DEVICES}/{name}"), interfaces);
        offset += partition.size;
    }
    disk_path
}

fn demo_snapshot() -> Snapshot {
    let mut snapshot = Snapshot::new();
    add_drive(
        &mut snapshot,
        &DriveSpec::new(
            "nvme0n1",
            "",
            "Samsung SSD 980 PRO 1TB",
            "S5GXNF0R123456A",
            1_000_204_886_016,
        ),
    );
    add_drive(&mut snapshot, &live_usb_stick());
    add_drive(
        &mut snapshot,
        &DriveSpec {
            rotation_rate: 5400,
            partitions: vec![
                PartitionSpec {
                    type_id: GPT_EFI_SYSTEM,
                    ..PartitionSpec::new(1, 100 * MIB, "vfat", "SYSTEM")
                },
                PartitionSpec {
                    type_id: GPT_MICROSOFT_RESERVED,
                    ..PartitionSpec::new(2, 16 * MIB, "", "")
                },
                PartitionSpec::new(3, 999_500 * MIB - 100 * MIB, "ntfs", "Windows"),
                PartitionSpec::new(4, 650 * MIB, "ntfs", "Recovery"),
            ],
            ..DriveSpec::new(
                "sda",
                "ATA",
                "ST1000LM035-1RK172",
                "WL1A2B3C",
                1_000_204_886_016,
            )
        },
    );
    snapshot
}

fn live_usb_stick() -> DriveSpec {
    DriveSpec {
        connection_bus: "usb",
        removable: true,
        partition_table: Some("dos"),
        partitions: vec![PartitionSpec {
            type_id: "0x00",
            mount_points: vec!["/iso"],
            ..PartitionSpec::new(1, 2_634 * MIB, "iso9660", "nixos-gnome-25.05-x86_64")
        }],
        ..DriveSpec::new(
            "sdb",
            "SanDisk",
            "Ultra",
            "4C530001230913117393",
            30_752_636_928,
        )
    }
}

fn spare_usb_stick() -> DriveSpec {
    DriveSpec {
        connection_bus: "usb",
        removable: true,
        partition_table: Some("dos"),
        partitions: vec![PartitionSpec {
            type_id: "0x0c",
            ..PartitionSpec::new(1, 62_000 * MIB, "vfat", "BACKUP")
        }],
        ..DriveSpec::new(
            "sdc",
            "Kingston",
            "DataTraveler 3.0",
            "E0D55EA573F0",
            62_008_590_336,
        )
    }
}

/// The demo disks as the rules judge them: the NVMe disk and the SATA disk
/// with Windows are usable, the live USB stick is refused.
pub fn demo_disks() -> Vec<Disk> {
    disks_from_snapshot(&demo_snapshot(), &DiskQuery::default())
}

/// A disk source whose objects tests and the demo change at will; every
/// watcher sees each change.
#[derive(Debug, Clone)]
pub struct FakeDisks {
    state: Arc<Mutex<FakeState>>,
}

#[derive(Debug, Default)]
struct FakeState {
    snapshot: Snapshot,
    watchers: Vec<async_channel::Sender<Result<Snapshot, DiskError>>>,
}

impl FakeDisks {
    /// An NVMe laptop disk, the live USB stick and a SATA disk with Windows.
    pub fn demo() -> Self {
        Self::with_snapshot(demo_snapshot())
    }

    pub fn with_snapshot(snapshot: Snapshot) -> Self {
        Self {
            state: Arc::new(Mutex::new(FakeState {
                snapshot,
                watchers: Vec::new(),
            })),
        }
    }

    /// Changes the objects and tells every watcher.
    pub fn update(&self, change: impl FnOnce(&mut Snapshot)) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut state.snapshot);
        let snapshot = state.snapshot.clone();
        state
            .watchers
            .retain(|watcher| watcher.try_send(Ok(snapshot.clone())).is_ok());
    }

    /// Plugs in a 64 GB USB stick with a FAT partition; returns its object
    /// path.
    pub fn plug_usb_stick(&self) -> String {
        let mut path = String::new();
        self.update(|snapshot| path = add_drive(snapshot, &spare_usb_stick()));
        path
    }

    /// Removes a disk, its partitions and its drive, as unplugging does.
    pub fn unplug(&self, disk_object_path: &str) {
        self.update(|snapshot| {
            let Some(disk) = snapshot.object(disk_object_path) else {
                return;
            };
            let drive = disk.object_path(BLOCK, "Drive");
            let doomed: Vec<String> = snapshot
                .objects()
                .filter(|object| {
                    object.path == disk_object_path
                        || object.object_path(PARTITION, "Table").as_deref()
                            == Some(disk_object_path)
                })
                .map(|object| object.path.to_owned())
                .chain(drive)
                .collect();
            for path in doomed {
                snapshot.remove_object(&path);
            }
        });
    }
}

impl DiskSource for FakeDisks {
    fn snapshot(&self) -> BoxFuture<'_, Result<Snapshot, DiskError>> {
        let snapshot = self
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .snapshot
            .clone();
        Box::pin(async move { Ok(snapshot) })
    }

    fn snapshots(
        &self,
    ) -> BoxFuture<'_, Result<BoxStream<'static, Result<Snapshot, DiskError>>, DiskError>> {
        let (sender, receiver) = async_channel::unbounded();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Unbounded and freshly made: sending cannot fail.
        let _ = sender.try_send(Ok(state.snapshot.clone()));
        state.watchers.push(sender);
        Box::pin(async move { Ok(receiver.boxed()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disks::model::{RefusalReason, Verdict};
    use crate::disks::{list_disks, watch_disks};

    #[test]
    fn demo_has_two_usable_disks_and_a_refused_live_stick() {
        let disks = demo_disks();
        let summary: Vec<_> = disks
            .iter()
            .map(|disk| (disk.device.as_str(), disk.is_usable()))
            .collect();
        assert_eq!(
            summary,
            [
                ("/dev/nvme0n1", true),
                ("/dev/sda", true),
                ("/dev/sdb", false)
            ]
        );
        assert!(
            disks[2]
                .verdict
                .reasons()
                .contains(&RefusalReason::Mounted {
                    device: "/dev/sdb1".to_owned(),
                    mount_point: "/iso".to_owned()
                })
        );
        let windows: Vec<_> = disks[1]
            .partitions
            .iter()
            .map(|partition| partition.label.as_str())
            .collect();
        assert_eq!(windows, ["SYSTEM", "", "Windows", "Recovery"]);
        assert_eq!(
            disks[1].by_id.as_deref(),
            Some("/dev/disk/by-id/ata-ST1000LM035-1RK172_WL1A2B3C")
        );
    }

    #[test]
    fn watchers_see_plugging_mounting_and_unplugging() {
        async_io::block_on(async {
            let fake = FakeDisks::demo();
            let mut watch = watch_disks(&fake, DiskQuery::default()).await.unwrap();
            assert_eq!(watch.next().await.unwrap().unwrap().len(), 3);

            let stick = fake.plug_usb_stick();
            let disks = watch.next().await.unwrap().unwrap();
            let plugged = disks.iter().find(|disk| disk.object_path == stick).unwrap();
            assert_eq!(plugged.verdict, Verdict::Usable);

            fake.update(|snapshot| {
                snapshot.set(
                    &format!("{stick}1"),
                    FILESYSTEM,
                    "MountPoints",
                    Value::byte_strings(&["/media/BACKUP"]),
                );
            });
            let disks = watch.next().await.unwrap().unwrap();
            let mounted = disks.iter().find(|disk| disk.object_path == stick).unwrap();
            assert_eq!(
                mounted.verdict.reasons(),
                [RefusalReason::Mounted {
                    device: "/dev/sdc1".to_owned(),
                    mount_point: "/media/BACKUP".to_owned()
                }]
            );

            fake.unplug(&stick);
            assert_eq!(watch.next().await.unwrap().unwrap().len(), 3);
            assert_eq!(
                list_disks(&fake, &DiskQuery::default())
                    .await
                    .unwrap()
                    .len(),
                3
            );
        });
    }
}
