// SPDX-License-Identifier: GPL-3.0-or-later
//! Replacing a configuration file so that a crash leaves either the old or
//! the new version, never a mix, and the old one stays next to it.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::atomic_file::{self, Owner};

/// `<file>.keepsake-backup`
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".keepsake-backup");
    PathBuf::from(name)
}

/// Replaces `path` with `contents` ([`atomic_file::replace`]), keeping the
/// previous version as [`backup_path`]. The new file keeps the old one's mode.
pub fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;

    // Through the same atomic replace, so that a crash can leave neither a
    // half-written backup nor one whose name is not yet on disk.
    let previous = fs::read(path)?;
    atomic_file::replace(&backup_path(path), &previous, mode, Owner::Writer)?;
    atomic_file::replace(path, contents.as_bytes(), mode, Owner::Writer)
}
