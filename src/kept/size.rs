// SPDX-License-Identifier: GPL-3.0-or-later
//! The size of kept data as `du` counts it.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Bytes allocated to `path` and everything below it (`st_blocks` × 512,
/// as `du` counts them): sparse files count only their data, a file with
/// several hard links counts once, symbolic links are not followed. Other
/// file systems below `path` (a btrfs subvolume in the storage root) are
/// counted too, as `du` does. Unreadable directories count as empty; a
/// missing `path` is an error.
pub fn allocated_bytes(path: &Path) -> io::Result<u64> {
    let metadata = fs::symlink_metadata(path)?;
    let mut seen = HashSet::new();
    Ok(add(path, &metadata, &mut seen))
}

fn add(path: &Path, metadata: &fs::Metadata, seen: &mut HashSet<(u64, u64)>) -> u64 {
    let counted =
        metadata.nlink() <= 1 || metadata.is_dir() || seen.insert((metadata.dev(), metadata.ino()));
    let mut bytes = if counted {
        metadata.blocks().saturating_mul(512)
    } else {
        0
    };
    if metadata.is_dir() {
        let Ok(entries) = fs::read_dir(path) else {
            return bytes;
        };
        for entry in entries.flatten() {
            if let Ok(child) = entry.metadata() {
                bytes = bytes.saturating_add(add(&entry.path(), &child, seen));
            }
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_links_count_once_and_holes_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::write(&data, vec![1u8; 64 * 1024]).unwrap();
        fs::hard_link(&data, dir.path().join("link")).unwrap();
        let sparse = fs::File::create(dir.path().join("sparse")).unwrap();
        sparse.set_len(1 << 30).unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("root")).unwrap();
        let total = allocated_bytes(dir.path()).unwrap();
        let file = fs::metadata(&data).unwrap().blocks() * 512;
        assert!(file >= 64 * 1024);
        assert!(
            total >= file && total < file + 64 * 1024,
            "{total} vs {file}"
        );
        assert!(allocated_bytes(&dir.path().join("missing")).is_err());
    }
}
