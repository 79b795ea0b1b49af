// SPDX-License-Identifier: GPL-3.0-or-later
//! The system being looked at: a directory standing for its `/` and its
//! mount table.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::scan::mount_points;

/// A system as the functions of [`crate::kept`] see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemView {
    /// The directory standing for `/`: `/` itself on a running system.
    pub root: PathBuf,
    /// The text of its `/proc/self/mountinfo`.
    pub mountinfo: Vec<u8>,
}

impl SystemView {
    pub fn new(root: impl Into<PathBuf>, mountinfo: impl Into<Vec<u8>>) -> Self {
        Self {
            root: root.into(),
            mountinfo: mountinfo.into(),
        }
    }

    /// The running system: `/` and this process's mount table.
    pub fn running() -> io::Result<Self> {
        Ok(Self::new("/", fs::read("/proc/self/mountinfo")?))
    }

    /// Where `path` (absolute, as the system sees it) is on this machine.
    pub fn host_path(&self, path: impl AsRef<Path>) -> PathBuf {
        let relative = path.as_ref().strip_prefix("/").unwrap_or(path.as_ref());
        if relative.as_os_str().is_empty() {
            return self.root.clone();
        }
        self.root.join(relative)
    }

    /// The mount points, as the system sees them.
    pub fn mount_points(&self) -> Vec<PathBuf> {
        mount_points(&self.mountinfo)
    }

    /// The file system type mounted at `/` last (the one in use), from the
    /// field after ` - ` of its mountinfo line.
    pub fn root_fs_type(&self) -> Option<String> {
        self.mountinfo
            .split(|byte| *byte == b'\n')
            .filter_map(|line| {
                let line = std::str::from_utf8(line).ok()?;
                let (mount, rest) = line.split_once(" - ")?;
                (mount.split(' ').nth(4)? == "/").then(|| rest.split(' ').next())?
            })
            .next_back()
            .map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_placed_under_the_root_and_the_root_fs_is_read() {
        let view = SystemView::new(
            "/scratch",
            "21 1 0:20 / / rw - ext4 /dev/sda1 rw\n22 1 0:21 / / rw shared:1 - tmpfs none rw\n",
        );
        assert_eq!(view.host_path("/var/log"), Path::new("/scratch/var/log"));
        assert_eq!(view.host_path("/"), Path::new("/scratch"));
        assert_eq!(view.root_fs_type().as_deref(), Some("tmpfs"));
        assert_eq!(SystemView::new("/", "garbage").root_fs_type(), None);
    }
}
