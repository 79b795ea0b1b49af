// SPDX-License-Identifier: GPL-3.0-or-later
//! Whether Keepsake runs on a NixOS it installed (or one like it), so the
//! GUI opens the editor instead of the install wizard.

use std::fs;

use super::SystemView;
use crate::nix::persistence_edit::find_persistence_file;

/// What kind of system a [`SystemView`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemKind {
    /// NixOS with an erased root: `/` is a tmpfs, or the configuration sets
    /// `environment.persistence`. The editor is for this.
    Installed,
    /// The NixOS installer (live ISO): its `/` is a tmpfs too, but
    /// `/etc/os-release` says `VARIANT_ID=installer`, which
    /// `nixos/modules/profiles/installation-device.nix` sets. (A read-only
    /// `/nix/.ro-store` is no marker: NixOS test VMs and microVMs mount one
    /// too.)
    Installer,
    /// NixOS whose root is not erased at boot.
    PersistentRoot,
    /// No `/etc/NIXOS`.
    NotNixos,
}

/// Reads `/etc/NIXOS`, `/etc/os-release`, the mount table and the
/// configuration under `view.root`; nothing else.
pub fn system_kind(view: &SystemView) -> SystemKind {
    if fs::symlink_metadata(view.host_path("/etc/NIXOS")).is_err() {
        return SystemKind::NotNixos;
    }
    if is_installer(&fs::read_to_string(view.host_path("/etc/os-release")).unwrap_or_default()) {
        return SystemKind::Installer;
    }
    let tmpfs_root = view.root_fs_type().as_deref() == Some("tmpfs");
    if tmpfs_root || find_persistence_file(&view.root).is_ok() {
        SystemKind::Installed
    } else {
        SystemKind::PersistentRoot
    }
}

fn is_installer(os_release: &str) -> bool {
    os_release.lines().any(|line| {
        line.trim()
            .strip_prefix("VARIANT_ID=")
            .is_some_and(|value| value.trim_matches(['"', '\'']) == "installer")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TMPFS_ROOT: &str = "22 1 0:21 / / rw shared:1 - tmpfs none rw,mode=755\n";
    const EXT4_ROOT: &str = "22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n";

    fn root(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn installed_installer_persistent_and_foreign_systems_are_told_apart() {
        let nixos = root(&[("etc/NIXOS", ""), ("etc/os-release", "ID=nixos\n")]);
        let view = |dir: &tempfile::TempDir, mountinfo: &str| {
            system_kind(&SystemView::new(dir.path(), mountinfo))
        };
        assert_eq!(view(&nixos, TMPFS_ROOT), SystemKind::Installed);
        assert_eq!(view(&nixos, EXT4_ROOT), SystemKind::PersistentRoot);

        let live = root(&[
            ("etc/NIXOS", ""),
            ("etc/os-release", "ID=nixos\nVARIANT_ID=\"installer\"\n"),
        ]);
        assert_eq!(view(&live, TMPFS_ROOT), SystemKind::Installer);

        let configured = root(&[
            ("etc/NIXOS", ""),
            (
                "etc/nixos/configuration.nix",
                r#"{ environment.persistence."/persist".directories = [ "/var/log" ]; }"#,
            ),
        ]);
        assert_eq!(view(&configured, EXT4_ROOT), SystemKind::Installed);

        let debian = root(&[("etc/os-release", "ID=debian\n")]);
        assert_eq!(view(&debian, TMPFS_ROOT), SystemKind::NotNixos);
    }
}
