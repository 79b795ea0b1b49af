// SPDX-License-Identifier: GPL-3.0-or-later
//! What Keepsake knows about a disk and why it may refuse it.

use serde::Serialize;

use crate::i18n::{decimal_separator, gettext_f, isolate, ngettext_f};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disk {
    /// The UDisks object path of the whole-disk block device.
    pub object_path: String,
    /// `/dev/sda`, `/dev/nvme0n1`, `/dev/loop3`.
    pub device: String,
    /// The most descriptive `/dev/disk/by-id/` link; loop devices have none.
    pub by_id: Option<String>,
    pub vendor: String,
    pub model: String,
    pub serial: String,
    /// Bytes.
    pub size: u64,
    pub rotational: bool,
    pub removable: bool,
    /// UDisks' `ConnectionBus` (`usb`, `sdio`, `ieee1394`), `loop` for loop
    /// devices, empty when the kernel does not say (NVMe, SATA).
    pub connection_bus: String,
    /// `gpt`, `dos`, or `None` without a partition table.
    pub partition_table: Option<String>,
    pub partitions: Vec<Partition>,
    /// The file system (or LUKS, swap, ...) on the whole disk when it has no
    /// partition table.
    pub content_type: Option<String>,
    pub verdict: Verdict,
}

impl Disk {
    pub fn is_usable(&self) -> bool {
        self.verdict == Verdict::Usable
    }

    /// Model and vendor as people read them on the label.
    pub fn display_name(&self) -> String {
        match (self.vendor.trim(), self.model.trim()) {
            ("", "") => self.device.clone(),
            (vendor, "") => vendor.to_owned(),
            ("", model) => model.to_owned(),
            (vendor, model) if model.starts_with(vendor) => model.to_owned(),
            (vendor, model) => format!("{vendor} {model}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    pub object_path: String,
    pub device: String,
    pub number: u32,
    /// Bytes from the start of the disk.
    pub offset: u64,
    pub size: u64,
    /// GPT type GUID or MBR type (`0x07`).
    pub type_id: String,
    /// The GPT partition name.
    pub name: String,
    /// `ntfs`, `vfat`, `crypto_LUKS`, `swap`, ...; empty when unknown.
    pub filesystem: String,
    pub label: String,
    pub uuid: String,
    pub mount_points: Vec<String>,
}

impl Partition {
    /// What a person recognises the partition by: its file system, label
    /// and name (`ntfs · Windows`); empty when none is known.
    pub fn contents(&self) -> String {
        [&self.filesystem, &self.label, &self.name]
            .into_iter()
            .filter(|text| !text.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "reasons", rename_all = "snake_case")]
pub enum Verdict {
    Usable,
    Refused(Vec<RefusalReason>),
}

impl Verdict {
    pub fn reasons(&self) -> &[RefusalReason] {
        match self {
            Self::Usable => &[],
            Self::Refused(reasons) => reasons,
        }
    }
}

/// Why a disk cannot be installed to. Devices are named by their node
/// (`/dev/sdb2`) because that is what people see in other tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RefusalReason {
    RunningSystem,
    Mounted {
        device: String,
        mount_point: String,
    },
    LoopBackingFile {
        loop_device: String,
        backing_file: String,
    },
    SwapActive {
        device: String,
    },
    EncryptionUnlocked {
        device: String,
    },
    RaidMember {
        device: String,
    },
    LvmPhysicalVolume {
        device: String,
    },
    ReadOnly,
    SizeZero,
    TooSmall {
        size: u64,
        minimum: u64,
    },
    Optical,
    IgnoredByUDisks,
}

impl RefusalReason {
    /// One translated sentence for the disk list and the CLI.
    pub fn message(&self) -> String {
        match self {
            Self::RunningSystem => gettext_f("This disk holds the running system", &[]),
            Self::Mounted {
                device,
                mount_point,
            } => gettext_f(
                "{device} is mounted at {mount_point}",
                &[
                    ("device", &isolate(device)),
                    ("mount_point", &isolate(mount_point)),
                ],
            ),
            Self::LoopBackingFile {
                loop_device,
                backing_file,
            } => gettext_f(
                "{loop_device} uses the file {backing_file} on this disk",
                &[
                    ("loop_device", &isolate(loop_device)),
                    ("backing_file", &isolate(backing_file)),
                ],
            ),
            Self::SwapActive { device } => gettext_f(
                "{device} is in use as swap",
                &[("device", &isolate(device))],
            ),
            Self::EncryptionUnlocked { device } => gettext_f(
                "The encrypted volume {device} is unlocked",
                &[("device", &isolate(device))],
            ),
            Self::RaidMember { device } => gettext_f(
                "{device} is a member of an MD RAID array",
                &[("device", &isolate(device))],
            ),
            Self::LvmPhysicalVolume { device } => gettext_f(
                "{device} is an LVM physical volume",
                &[("device", &isolate(device))],
            ),
            Self::ReadOnly => gettext_f("The disk is read-only", &[]),
            Self::SizeZero => gettext_f("The disk has no capacity (is a medium inserted?)", &[]),
            // Translators: {size} and {minimum} are amounts such as “32 GB”.
            Self::TooSmall { size, minimum } => gettext_f(
                "The disk holds {size}; this installation needs at least {minimum}",
                &[
                    ("size", &isolate(&format_size(*size))),
                    ("minimum", &isolate(&format_size(*minimum))),
                ],
            ),
            Self::Optical => gettext_f("Optical drives cannot be installed to", &[]),
            Self::IgnoredByUDisks => {
                gettext_f("The system marks this disk as one to leave alone", &[])
            }
        }
    }
}

/// An operating system a disk seems to hold, named so people see what
/// choosing the disk destroys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstalledSystem {
    Windows,
    MacOs,
    Linux,
    /// A boot partition beside nothing recognised (a BSD, say).
    Other,
}

impl InstalledSystem {
    /// The warning on a disk holding this system.
    pub fn erase_warning(self) -> String {
        match self {
            Self::Windows => gettext_f("Windows will be erased", &[]),
            Self::MacOs => gettext_f("macOS will be erased", &[]),
            Self::Linux => gettext_f("The Linux system on this disk will be erased", &[]),
            Self::Other => gettext_f("The operating system on this disk will be erased", &[]),
        }
    }
}

/// A size in decimal units, as disk vendors and GNOME print them, with the
/// locale's decimal separator and the units in the person's language
/// (“512,1 Go” in French). Not `glib::format_size`: the helper and the
/// command line print sizes too, and they do not link GLib.
pub fn format_size(bytes: u64) -> String {
    if bytes < 1000 {
        // Translators: a size below one kilobyte, such as “512 bytes”.
        return ngettext_f("{n} byte", "{n} bytes", bytes as u32, &[]);
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit < 5 {
        value /= 1000.0;
        unit += 1;
    }
    let number = format!("{value:.1}").replace('.', &decimal_separator());
    let args = [("size", number.as_str())];
    match unit {
        // Translators: a size in kilobytes (1000 bytes), such as “3.2 kB”; {size} is the number.
        0 => gettext_f("{size} kB", &args),
        // Translators: a size in megabytes (10⁶ bytes), such as “3.2 MB”; {size} is the number.
        1 => gettext_f("{size} MB", &args),
        // Translators: a size in gigabytes (10⁹ bytes), such as “512.1 GB”; {size} is the number.
        2 => gettext_f("{size} GB", &args),
        // Translators: a size in terabytes (10¹² bytes), such as “2.0 TB”; {size} is the number.
        3 => gettext_f("{size} TB", &args),
        // Translators: a size in petabytes (10¹⁵ bytes); {size} is the number.
        4 => gettext_f("{size} PB", &args),
        // Translators: a size in exabytes (10¹⁸ bytes); {size} is the number.
        _ => gettext_f("{size} EB", &args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_decimal_units() {
        assert_eq!(format_size(0), "0 bytes");
        assert_eq!(format_size(1), "1 byte");
        assert_eq!(format_size(999), "999 bytes");
        assert_eq!(format_size(1000), "1.0 kB");
        assert_eq!(format_size(512_110_190_592), "512.1 GB");
        assert_eq!(format_size(999_999_999_999), "1.0 TB");
    }

    #[test]
    fn too_small_states_the_minimum() {
        let reason = RefusalReason::TooSmall {
            size: 8_000_000_000,
            minimum: 20_000_000_000,
        };
        assert_eq!(
            reason.message(),
            "The disk holds \u{2068}8.0 GB\u{2069}; this installation needs at least \u{2068}20.0 GB\u{2069}"
        );
    }

    #[test]
    fn devices_and_paths_are_isolated_in_the_sentence() {
        let reason = RefusalReason::LoopBackingFile {
            loop_device: "/dev/loop0".to_owned(),
            backing_file: "/var/lib/docker/disk.img".to_owned(),
        };
        assert_eq!(
            reason.message(),
            "\u{2068}/dev/loop0\u{2069} uses the file \u{2068}/var/lib/docker/disk.img\u{2069} on this disk"
        );
    }

    #[test]
    fn display_name_does_not_repeat_the_vendor() {
        let mut disk = crate::disks::fake::demo_disks().remove(0);
        disk.vendor = "Samsung".to_owned();
        disk.model = "Samsung SSD 980".to_owned();
        assert_eq!(disk.display_name(), "Samsung SSD 980");
        disk.vendor = "ATA".to_owned();
        disk.model = "ST1000".to_owned();
        assert_eq!(disk.display_name(), "ATA ST1000");
    }
}
