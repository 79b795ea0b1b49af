// SPDX-License-Identifier: GPL-3.0-or-later
//! Replacing a file so that a crash leaves either the old or the new
//! version, never a mix: a temporary file in the same directory, fsync,
//! rename over the old one, fsync of the directory. Configuration files,
//! password hashes and Keepsake's own state all go through here.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Who owns the new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Whoever writes it.
    Writer,
    /// root, when the writer is root (a password hash read at activation).
    RootWhenRoot,
}

/// Replaces `path` with `contents`, with permission bits `mode` (not
/// narrowed by the umask) and `owner`. The directory must exist.
pub fn replace(path: &Path, contents: &[u8], mode: u32, owner: Owner) -> io::Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut temporary_name = OsString::from(".");
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
        if owner == Owner::RootWhenRoot && rustix::process::geteuid().is_root() {
            rustix::fs::fchown(
                &file,
                Some(rustix::process::Uid::ROOT),
                Some(rustix::process::Gid::ROOT),
            )?;
        }
        file.write_all(contents)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_with_the_given_mode_and_leaves_no_temporary_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("file");
        fs::write(&path, "old").unwrap();
        replace(&path, b"new", 0o600, Owner::Writer).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
            0o600
        );
        let names: Vec<_> = fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["file"]);
    }

    #[test]
    fn a_missing_directory_is_an_error_and_writes_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("missing").join("file");
        assert!(replace(&path, b"new", 0o644, Owner::Writer).is_err());
        assert!(!path.exists());
    }
}
