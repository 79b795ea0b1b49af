// SPDX-License-Identifier: GPL-3.0-or-later
//! The scanner's “Ignore”: candidate paths a person said not to offer
//! again, remembered per user in a small state file.
//!
//! The file is JSON, `{"ignored": ["/var/lib/foo", …]}`, at
//! `$XDG_STATE_HOME/keepsake/ignored.json` (`~/.local/state/…` when the
//! variable is not set). Paths are written with
//! [`escape_bytes`](crate::scan::escape_bytes), so names that are not UTF-8
//! are kept exactly; a path is ignored when its escaped form is listed.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::scan::escape_bytes;

/// The set of ignored candidate paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredPaths {
    ignored: BTreeSet<String>,
}

impl IgnoredPaths {
    /// `$XDG_STATE_HOME/keepsake/ignored.json`, or under
    /// `~/.local/state`; `None` without a home directory.
    pub fn default_file() -> Option<PathBuf> {
        let state = match std::env::var_os("XDG_STATE_HOME").filter(|dir| !dir.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".local/state"),
        };
        state
            .is_absolute()
            .then(|| state.join("keepsake/ignored.json"))
    }

    /// Reads `file`; a missing file is an empty set.
    pub fn load(file: &Path) -> io::Result<Self> {
        match fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(error),
        }
    }

    /// Replaces `file` atomically (temporary file, fsync, rename, fsync of
    /// the directory), making its directory when missing.
    pub fn save(&self, file: &Path) -> io::Result<()> {
        let directory = file
            .parent()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no directory"))?;
        fs::create_dir_all(directory)?;
        let mut temporary = file.as_os_str().to_owned();
        temporary.push(format!(".{}", std::process::id()));
        let temporary = PathBuf::from(temporary);
        let result = (|| {
            let mut output = File::create(&temporary)?;
            serde_json::to_writer_pretty(&mut output, self)?;
            output.write_all(b"\n")?;
            output.sync_all()?;
            fs::rename(&temporary, file)?;
            File::open(directory)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }

    pub fn ignore(&mut self, path: &Path) {
        self.ignored.insert(key(path));
    }

    /// Offers `path` again.
    pub fn unignore(&mut self, path: &Path) {
        self.ignored.remove(&key(path));
    }

    pub fn is_ignored(&self, path: &Path) -> bool {
        self.ignored.contains(&key(path))
    }
}

fn key(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_bytes())
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn ignored_paths_survive_a_save_and_load_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state/keepsake/ignored.json");
        assert_eq!(IgnoredPaths::load(&file).unwrap(), IgnoredPaths::default());
        let odd = Path::new(OsStr::from_bytes(b"/srv/\xff\\name"));
        let mut ignored = IgnoredPaths::default();
        ignored.ignore(Path::new("/var/lib/docker"));
        ignored.ignore(odd);
        ignored.ignore(Path::new("/var/cache/x"));
        ignored.unignore(Path::new("/var/cache/x"));
        ignored.save(&file).unwrap();
        let loaded = IgnoredPaths::load(&file).unwrap();
        assert_eq!(loaded, ignored);
        assert!(loaded.is_ignored(odd));
        assert!(loaded.is_ignored(Path::new("/var/lib/docker")));
        assert!(!loaded.is_ignored(Path::new("/var/cache/x")));
        assert!(!loaded.is_ignored(Path::new("/var/lib/docker/volumes")));
        let names: Vec<_> = fs::read_dir(file.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["ignored.json"]);
        fs::write(&file, "not json").unwrap();
        assert!(IgnoredPaths::load(&file).is_err());
    }
}
