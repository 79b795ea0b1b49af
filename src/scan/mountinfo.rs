// SPDX-License-Identifier: GPL-3.0-or-later
//! Mount points from `/proc/self/mountinfo`: on a running system the
//! impermanence module keeps paths with bind mounts, and a bind mount from
//! the same file system would not show up as another device.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// The mount points listed in the text of a `mountinfo` file (see
/// proc_pid_mountinfo(5)); the kernel writes space, tab, newline and
/// backslash in them as octal escapes such as `\040`.
pub fn mount_points(mountinfo: &[u8]) -> Vec<PathBuf> {
    mountinfo
        .split(|byte| *byte == b'\n')
        .filter_map(|line| line.split(|byte| *byte == b' ').nth(4))
        .map(|field| PathBuf::from(OsString::from_vec(unescape_octal(field))))
        .collect()
}

fn unescape_octal(field: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(field.len());
    let mut rest = field;
    while let Some((&first, tail)) = rest.split_first() {
        let digits = tail.get(..3).filter(|digits| {
            first == b'\\' && digits.iter().all(|digit| (b'0'..=b'7').contains(digit))
        });
        match digits {
            Some(digits) => {
                let value = digits
                    .iter()
                    .fold(0u32, |value, digit| value * 8 + u32::from(digit - b'0'));
                bytes.push(u8::try_from(value).unwrap_or(b'?'));
                rest = &tail[3..];
            }
            None => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_read_and_unescaped() {
        let text = b"22 1 0:21 / / rw,relatime shared:1 - tmpfs none rw,mode=755\n\
            30 22 254:1 /persist/var/lib/nixos /var/lib/nixos rw shared:9 - btrfs /dev/mapper/root rw\n\
            31 22 254:1 /persist/home /home/my\\040files rw - btrfs /dev/mapper/root rw\n";
        assert_eq!(
            mount_points(text),
            [
                PathBuf::from("/"),
                PathBuf::from("/var/lib/nixos"),
                PathBuf::from("/home/my files"),
            ]
        );
    }

    #[test]
    fn malformed_lines_are_ignored() {
        assert_eq!(mount_points(b"garbage\n\n1 2"), Vec::<PathBuf>::new());
        assert_eq!(unescape_octal(b"a\\0"), b"a\\0");
    }
}
