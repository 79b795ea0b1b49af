// SPDX-License-Identifier: GPL-3.0-or-later
//! What an installation has done to the disk so far, and the one sentence
//! that tells a person where that leaves them.

use std::path::PathBuf;

use crate::i18n::{gettext_f, isolate};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiskState {
    /// The partition table was (or may have been) replaced.
    pub partition_table_touched: bool,
    pub esp: bool,
    /// `Some(true)` for an encrypted root partition, `Some(false)` for plain
    /// btrfs.
    pub root: Option<bool>,
    pub subvolumes: bool,
    /// nixos-generate-config or later steps wrote into the new system.
    pub system_files: bool,
    pub unlocked: bool,
    /// Mounted by UDisks to create the subvolumes.
    pub top_level_mounted: bool,
    /// The target tree, in mount order.
    pub mounts: Vec<PathBuf>,
}

impl DiskState {
    pub fn describe(&self) -> String {
        let contents = if !self.partition_table_touched {
            return gettext_f("Nothing was written to the disk; it is as it was.", &[]);
        } else if self.system_files {
            match self.root {
                Some(true) => gettext_f(
                    "The disk has an EFI system partition and an encrypted partition with an incomplete NixOS installation",
                    &[],
                ),
                _ => gettext_f(
                    "The disk has an EFI system partition and a btrfs partition with an incomplete NixOS installation",
                    &[],
                ),
            }
        } else {
            match (self.esp, self.root, self.subvolumes) {
                (_, Some(true), true) => gettext_f(
                    "The disk has a new partition table, an EFI system partition and an encrypted partition with empty btrfs subvolumes",
                    &[],
                ),
                (_, Some(false), true) => gettext_f(
                    "The disk has a new partition table, an EFI system partition and a btrfs partition with empty subvolumes",
                    &[],
                ),
                (_, Some(true), false) => gettext_f(
                    "The disk has a new partition table, an EFI system partition and an encrypted partition",
                    &[],
                ),
                (_, Some(false), false) => gettext_f(
                    "The disk has a new partition table, an EFI system partition and a btrfs partition",
                    &[],
                ),
                (true, None, _) => gettext_f(
                    "The disk has a new partition table and an EFI system partition (its previous contents are gone)",
                    &[],
                ),
                (false, None, _) => gettext_f(
                    "The disk has a new, empty partition table (its previous contents are gone)",
                    &[],
                ),
            }
        };
        let leftovers = self.leftovers();
        if leftovers.is_empty() {
            // Translators: {contents} is a sentence about what was written to the disk, without its final full stop.
            gettext_f(
                "{contents}; nothing is mounted or unlocked.",
                &[("contents", &contents)],
            )
        } else {
            // Translators: {contents} is a sentence about what was written to the disk, without its final full stop; {leftovers} lists devices such as /dev/sda1.
            gettext_f(
                "{contents}; still in use: {leftovers}.",
                &[
                    ("contents", &contents),
                    ("leftovers", &leftovers.join(", ")),
                ],
            )
        }
    }

    fn leftovers(&self) -> Vec<String> {
        let mut leftovers: Vec<String> = self
            .mounts
            .iter()
            .map(|mount_point| {
                gettext_f(
                    "mounted at {path}",
                    &[("path", &isolate(&mount_point.display().to_string()))],
                )
            })
            .collect();
        if self.top_level_mounted {
            leftovers.push(gettext_f("the btrfs top level is mounted", &[]));
        }
        if self.unlocked {
            leftovers.push(gettext_f("the encrypted partition is unlocked", &[]));
        }
        leftovers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_disk_says_so() {
        assert_eq!(
            DiskState::default().describe(),
            "Nothing was written to the disk; it is as it was."
        );
    }

    #[test]
    fn encrypted_partition_locked_and_unmounted() {
        let state = DiskState {
            partition_table_touched: true,
            esp: true,
            root: Some(true),
            ..DiskState::default()
        };
        assert_eq!(
            state.describe(),
            "The disk has a new partition table, an EFI system partition and an encrypted partition; nothing is mounted or unlocked."
        );
    }

    #[test]
    fn a_lone_esp_says_the_old_contents_are_gone() {
        let state = DiskState {
            partition_table_touched: true,
            esp: true,
            ..DiskState::default()
        };
        assert_eq!(
            state.describe(),
            "The disk has a new partition table and an EFI system partition (its previous contents are gone); nothing is mounted or unlocked."
        );
    }

    #[test]
    fn leftovers_are_named() {
        let state = DiskState {
            partition_table_touched: true,
            esp: true,
            root: Some(true),
            subvolumes: true,
            system_files: true,
            unlocked: true,
            mounts: vec![PathBuf::from("/run/keepsake/target")],
            ..DiskState::default()
        };
        assert_eq!(
            state.describe(),
            "The disk has an EFI system partition and an encrypted partition with an incomplete NixOS installation; still in use: mounted at \u{2068}/run/keepsake/target\u{2069}, the encrypted partition is unlocked."
        );
    }
}
