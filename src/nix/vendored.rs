// SPDX-License-Identifier: GPL-3.0-or-later
//! The impermanence source that Keepsake carries, so that an install needs
//! no network: written to `/etc/nixos/impermanence/` and imported by path.
//!
//! It is the pinned revision's tarball, uncompressed (so that reading it
//! needs no decompressor), compiled in and checked against its SHA-256
//! before any file of it is written.

use sha2::{Digest, Sha256};

use crate::i18n::gettext_f;

/// The pinned revision's `git archive` tarball
/// ([`super::IMPERMANENCE_URL`]), gunzipped.
const TARBALL: &[u8] = include_bytes!("../../data/impermanence/impermanence-7b1d382.tar");

/// `sha256sum` of [`TARBALL`].
pub const TARBALL_SHA256: &str = "fd45f73f757cfd809db4915f07cc9f828866a530d382dff46c3702cd0810d230";

/// Where the tree goes, relative to `/etc/nixos`; the tarball's single top
/// directory has this name.
pub const DIRECTORY: &str = "impermanence";

const BLOCK: usize = 512;

/// One entry of the vendored tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredEntry {
    /// Relative to `/etc/nixos`, for example `impermanence/nixos.nix`.
    pub path: String,
    /// `None` for a directory.
    pub contents: Option<&'static [u8]>,
    /// 0o755 for directories and executable files, 0o644 otherwise: the
    /// tarball's owners and group-write bits mean nothing on the target.
    pub mode: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VendorError {
    #[error("{}", hash_mismatch(found))]
    HashMismatch { found: String },
    #[error("{}", malformed(.0))]
    Malformed(String),
}

fn hash_mismatch(found: &str) -> String {
    gettext_f(
        "The impermanence source built into Keepsake is damaged (SHA-256 {found}, expected {expected}). Reinstall Keepsake, or install with “keepsake install --plan” from a plan file that sets “impermanence” to “fetch”, which downloads the module while installing.",
        &[("found", found), ("expected", TARBALL_SHA256)],
    )
}

fn malformed(detail: &str) -> String {
    gettext_f(
        "The impermanence source built into Keepsake cannot be read ({detail}). Reinstall Keepsake, or install with “keepsake install --plan” from a plan file that sets “impermanence” to “fetch”, which downloads the module while installing.",
        &[("detail", detail)],
    )
}

/// Every directory and file of the vendored tree, parents first, after
/// checking the tarball's hash.
pub fn entries() -> Result<Vec<VendoredEntry>, VendorError> {
    entries_of(TARBALL, TARBALL_SHA256)
}

fn entries_of(tarball: &'static [u8], sha256: &str) -> Result<Vec<VendoredEntry>, VendorError> {
    let found = hex(&Sha256::digest(tarball));
    if found != sha256 {
        return Err(VendorError::HashMismatch { found });
    }
    let malformed = |what: &str| VendorError::Malformed(what.to_owned());
    let mut entries = Vec::new();
    let mut offset = 0;
    loop {
        let header = tarball
            .get(offset..offset + BLOCK)
            .ok_or_else(|| malformed("the archive ends without its end marker"))?;
        if header.iter().all(|byte| *byte == 0) {
            return Ok(entries);
        }
        let size = octal(&header[124..136]).ok_or_else(|| malformed("a size is not octal"))?;
        let mode = octal(&header[100..108]).ok_or_else(|| malformed("a mode is not octal"))?;
        let data_start = offset + BLOCK;
        let data = usize::try_from(size)
            .ok()
            .and_then(|size| tarball.get(data_start..data_start.checked_add(size)?))
            .ok_or_else(|| malformed("an entry runs past the end"))?;
        offset = data_start + data.len().div_ceil(BLOCK) * BLOCK;
        let kind = header[156];
        // A pax global header holds git's commit id and nothing for us.
        if kind == b'g' {
            continue;
        }
        let name = [text(&header[345..500]), text(&header[0..100])]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        let path = name.trim_end_matches('/').to_owned();
        let inside = path == DIRECTORY
            || path
                .strip_prefix(DIRECTORY)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|rest| rest.split('/').all(|part| !matches!(part, "" | "." | "..")));
        if !inside {
            return Err(VendorError::Malformed(format!(
                "“{path}” is outside {DIRECTORY}/"
            )));
        }
        let entry = match kind {
            b'5' => VendoredEntry {
                path,
                contents: None,
                mode: 0o755,
            },
            b'0' | 0 => VendoredEntry {
                path,
                contents: Some(data),
                mode: if mode & 0o111 != 0 { 0o755 } else { 0o644 },
            },
            _ => {
                return Err(VendorError::Malformed(format!(
                    "“{path}” is neither a file nor a directory"
                )));
            }
        };
        entries.push(entry);
    }
}

fn text(field: &[u8]) -> String {
    let end = field
        .iter()
        .position(|byte| *byte == 0)
        .unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

fn octal(field: &[u8]) -> Option<u64> {
    let digits = text(field);
    let digits = digits.trim_matches(' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_has_the_module_and_nothing_outside_its_directory() {
        let entries = entries().unwrap();
        assert_eq!(entries[0].path, DIRECTORY);
        let nixos = entries
            .iter()
            .find(|entry| entry.path == "impermanence/nixos.nix")
            .unwrap();
        assert!(nixos.contents.unwrap().starts_with(b"{"));
        assert_eq!(nixos.mode, 0o644);
        let script = entries
            .iter()
            .find(|entry| entry.path == "impermanence/mount-file.bash")
            .unwrap();
        assert_eq!(script.mode, 0o755);
    }

    #[test]
    fn a_damaged_tarball_is_refused_before_anything_is_read() {
        let damaged: &'static [u8] = Box::leak(
            TARBALL
                .iter()
                .enumerate()
                .map(|(index, byte)| if index == 3000 { byte ^ 1 } else { *byte })
                .collect::<Vec<u8>>()
                .into_boxed_slice(),
        );
        assert!(matches!(
            entries_of(damaged, TARBALL_SHA256),
            Err(VendorError::HashMismatch { .. })
        ));
    }
}
