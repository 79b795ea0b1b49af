// SPDX-License-Identifier: GPL-3.0-or-later
//! Replacing a configuration file so that a crash leaves either the old or
//! the new version, never a mix, and the old one stays next to it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// `<file>.keepsake-backup`
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".keepsake-backup");
    PathBuf::from(name)
}

/// Writes `contents` to `path` through a temporary file in the same
/// directory (fsync, rename, fsync of the directory), keeping the previous
/// version as [`backup_path`]. The new file keeps the old one's mode.
pub fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mode = fs::metadata(path)?.permissions().mode() & 0o7777;

    let backup = backup_path(path);
    fs::copy(path, &backup)?;
    File::open(&backup)?.sync_all()?;

    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".keepsake-{}", std::process::id()));
    let temporary = directory.join(temporary_name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temporary)?;
        // The umask may have narrowed the mode given to open().
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        File::open(directory)?.sync_all()
    })();
    if result.is_err() {
        // Nothing to do if it is already gone: the rename happened.
        let _ = fs::remove_file(&temporary);
    }
    result
}
