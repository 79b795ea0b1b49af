// SPDX-License-Identifier: GPL-3.0-or-later
//! Where the install finds the programs it runs (`nixos-install`,
//! `nixos-generate-config`, `nix-build`, `btrfs`, `udevadm`).
//!
//! Not on `PATH`: pkexec replaces it with a fixed list that does not
//! contain NixOS' profile, and in a root process it must not be the
//! caller's to choose anyway. The programs are looked up where the NixOS
//! live ISO has them, `/run/current-system/sw/bin`, then in the usual
//! system directories.
//!
//! Tests put stand-ins first with the variable [`TOOLS_DIR_VARIABLE`]. It is
//! honoured only in a process whose real user is root, and only a root
//! caller can hand it one: pkexec starts the helper with a cleaned
//! environment, and sudo resets it. So it gives nobody a way to choose what
//! runs as root that they did not have before, and every run names the
//! program it found in its log.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::i18n::{gettext_f, isolate};

/// The profile of the running NixOS system.
pub const NIXOS_PROFILE_BIN: &str = "/run/current-system/sw/bin";

/// After the NixOS profile, in this order.
const SYSTEM_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// A directory searched before all others, for stand-ins in tests; see the
/// module documentation for who may set it.
pub const TOOLS_DIR_VARIABLE: &str = "KEEPSAKE_TOOLS_DIR";

/// A program that is in none of the directories.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ToolNotFound {
    pub tool: String,
    pub searched: Vec<PathBuf>,
}

impl fmt::Display for ToolNotFound {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let searched: Vec<String> = self
            .searched
            .iter()
            .map(|dir| isolate(&dir.display().to_string()))
            .collect();
        // Translators: {tool} is a program name; {directories} a list of folders separated by commas.
        formatter.write_str(&gettext_f(
            "{tool} was not found in {directories}",
            &[("tool", &self.tool), ("directories", &searched.join(", "))],
        ))
    }
}

/// The directories programs are looked up in, first match wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolDirs {
    dirs: Vec<PathBuf>,
}

impl ToolDirs {
    /// This machine's: the stand-in directory when root set one, the NixOS
    /// profile, the system directories.
    pub fn system() -> Self {
        let stand_ins = std::env::var_os(TOOLS_DIR_VARIABLE);
        Self::with_stand_ins(
            Path::new("/"),
            stand_ins,
            rustix::process::getuid().is_root(),
        )
    }

    /// The usual directories below `root`, without stand-ins: the tools of
    /// a scratch system, such as the editor's demo.
    pub fn below(root: &Path) -> Self {
        Self::with_stand_ins(root, None, false)
    }

    /// The live-ISO order below `root` (`/` on a real system), after the
    /// stand-in directory if the caller is root.
    fn with_stand_ins(root: &Path, stand_ins: Option<OsString>, caller_is_root: bool) -> Self {
        let stand_ins = stand_ins
            .filter(|dir| caller_is_root && Path::new(dir).is_absolute())
            .map(PathBuf::from);
        let standard = std::iter::once(NIXOS_PROFILE_BIN)
            .chain(SYSTEM_DIRS)
            .map(|dir| root.join(dir.trim_start_matches('/')));
        Self {
            dirs: stand_ins.into_iter().chain(standard).collect(),
        }
    }

    /// The absolute path of the first executable file called `tool`.
    pub fn find(&self, tool: &str) -> Result<PathBuf, ToolNotFound> {
        self.dirs
            .iter()
            .map(|dir| dir.join(tool))
            .find(|candidate| {
                fs::metadata(candidate)
                    .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
            })
            .ok_or_else(|| ToolNotFound {
                tool: tool.to_owned(),
                searched: self.dirs.clone(),
            })
    }

    /// `PATH` for the programs run: the same directories, so that what
    /// they start themselves comes from the same places.
    pub fn search_path(&self) -> OsString {
        std::env::join_paths(&self.dirs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executable(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn the_nixos_profile_comes_before_the_system_directories() {
        let root = tempfile::tempdir().unwrap();
        let profile = root.path().join("run/current-system/sw/bin/nixos-install");
        let usr_bin = root.path().join("usr/bin/nixos-install");
        executable(&usr_bin);
        let dirs = ToolDirs::with_stand_ins(root.path(), None, true);
        assert_eq!(dirs.find("nixos-install"), Ok(usr_bin));
        executable(&profile);
        assert_eq!(dirs.find("nixos-install"), Ok(profile));
    }

    #[test]
    fn a_file_that_is_not_executable_is_passed_over() {
        let root = tempfile::tempdir().unwrap();
        let profile = root.path().join("run/current-system/sw/bin/nix-build");
        executable(&profile);
        fs::set_permissions(&profile, fs::Permissions::from_mode(0o644)).unwrap();
        let bin = root.path().join("bin/nix-build");
        executable(&bin);
        let dirs = ToolDirs::with_stand_ins(root.path(), None, true);
        assert_eq!(dirs.find("nix-build"), Ok(bin));
    }

    #[test]
    fn a_missing_tool_names_itself_and_where_it_was_looked_for() {
        let root = tempfile::tempdir().unwrap();
        let dirs = ToolDirs::with_stand_ins(root.path(), None, true);
        let error = dirs.find("nixos-generate-config").unwrap_err();
        assert_eq!(error.tool, "nixos-generate-config");
        assert_eq!(error.searched.len(), 7);
        assert_eq!(
            error.searched[0],
            root.path().join("run/current-system/sw/bin")
        );
        let message = error.to_string();
        assert!(
            message.starts_with("nixos-generate-config was not found in "),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "{}, ",
                isolate(
                    &root
                        .path()
                        .join("run/current-system/sw/bin")
                        .display()
                        .to_string()
                )
            )),
            "{message}"
        );
        assert!(
            message.ends_with(&isolate(&root.path().join("bin").display().to_string())),
            "{message}"
        );
    }

    #[test]
    fn stand_ins_come_first_but_only_for_root() {
        let root = tempfile::tempdir().unwrap();
        let stand_ins = root.path().join("stand-ins");
        let stand_in = stand_ins.join("nixos-install");
        executable(&stand_in);
        let real = root.path().join("run/current-system/sw/bin/nixos-install");
        executable(&real);
        let variable = Some(stand_ins.clone().into_os_string());
        let as_root = ToolDirs::with_stand_ins(root.path(), variable.clone(), true);
        assert_eq!(as_root.find("nixos-install"), Ok(stand_in));
        let as_user = ToolDirs::with_stand_ins(root.path(), variable, false);
        assert_eq!(as_user.find("nixos-install"), Ok(real.clone()));
        let relative = ToolDirs::with_stand_ins(root.path(), Some("stand-ins".into()), true);
        assert_eq!(relative.find("nixos-install"), Ok(real));
    }

    #[test]
    fn the_real_system_searches_the_live_iso_profile_first() {
        let dirs = ToolDirs::with_stand_ins(Path::new("/"), None, true);
        assert_eq!(dirs.dirs[0], Path::new(NIXOS_PROFILE_BIN));
        assert_eq!(
            dirs.search_path(),
            "/run/current-system/sw/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        );
    }
}
