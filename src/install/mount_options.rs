// SPDX-License-Identifier: GPL-3.0-or-later
//! fstab-style options mix per-mount flags, which mount(2) takes as bits,
//! with file system options, which it takes as a string. btrfs refuses
//! `noatime` in the string, so they have to be told apart.

use rustix::mount::MountFlags;

pub fn split_mount_options(options: &[String]) -> (MountFlags, String) {
    let mut flags = MountFlags::empty();
    let mut data = Vec::new();
    for option in options {
        match option.as_str() {
            "noatime" => flags |= MountFlags::NOATIME,
            "nodiratime" => flags |= MountFlags::NODIRATIME,
            "relatime" => flags |= MountFlags::RELATIME,
            "strictatime" => flags |= MountFlags::STRICTATIME,
            "lazytime" => flags |= MountFlags::LAZYTIME,
            "nodev" => flags |= MountFlags::NODEV,
            "nosuid" => flags |= MountFlags::NOSUID,
            "noexec" => flags |= MountFlags::NOEXEC,
            "ro" => flags |= MountFlags::RDONLY,
            "rw" | "defaults" => {}
            other => data.push(other),
        }
    }
    (flags, data.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_taken_out_of_the_data_string() {
        let options: Vec<String> = ["subvol=nix", "compress-force=zstd", "noatime", "ssd"]
            .into_iter()
            .map(String::from)
            .collect();
        let (flags, data) = split_mount_options(&options);
        assert_eq!(flags, MountFlags::NOATIME);
        assert_eq!(data, "subvol=nix,compress-force=zstd,ssd");
    }
}
