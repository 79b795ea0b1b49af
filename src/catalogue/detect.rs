// SPDX-License-Identifier: GPL-3.0-or-later
//! Which presets are enabled on an installed system, read from its files
//! only: the `wants` links of systemd units and the programs of the system
//! profile. `root` may be `/` or a system mounted elsewhere, so absolute
//! symbolic links (NixOS's `/etc/systemd/system` points into `/etc/static`,
//! which points into the Nix store) are resolved inside `root`.

use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Component, Path, PathBuf};

use super::{Catalogue, Preset};

/// Directories whose `*.wants` (and `*.requires`, `*.upholds`) links enable
/// units at boot or at login.
const UNIT_DIRS: &[&str] = &["/etc/systemd/system", "/etc/systemd/user"];

/// Where the programs of the system and of users' NixOS profiles are linked.
/// `/run` is empty on a system that is not running, hence the profile link.
const PROGRAM_DIRS: &[&str] = &[
    "/run/current-system/sw/bin",
    "/nix/var/nix/profiles/system/sw/bin",
];

/// `users.users.<name>.packages` end up here.
const PER_USER_PROFILES: &str = "/etc/profiles/per-user";

/// More links than this in one path is a loop (Linux's own limit).
const MAX_LINKS: usize = 40;

pub(super) fn enabled_presets<'a>(catalogue: &'a Catalogue, root: &Path) -> Vec<&'a Preset> {
    let units = wanted_units(root);
    let program_dirs = program_dirs(root);
    let installed = |program: &String| {
        program_dirs
            .iter()
            .any(|dir| fs::symlink_metadata(dir.join(program)).is_ok())
    };
    catalogue
        .presets
        .iter()
        .filter(|preset| {
            preset
                .units
                .iter()
                .any(|unit| units.contains(unit.as_str()))
                || preset.programs.iter().any(installed)
        })
        .collect()
}

fn wanted_units(root: &Path) -> HashSet<String> {
    let mut units = HashSet::new();
    for dir in UNIT_DIRS
        .iter()
        .filter_map(|dir| resolve_in_root(root, dir))
    {
        for wants in read_names(&dir) {
            let is_wants = [".wants", ".requires", ".upholds"]
                .iter()
                .any(|suffix| wants.to_string_lossy().ends_with(suffix));
            let Some(wants) = is_wants
                .then(|| resolve_in_root(root, strip_root(root, &dir.join(&wants))))
                .flatten()
            else {
                continue;
            };
            for unit in read_names(&wants) {
                let Some(unit) = unit.to_str() else { continue };
                // `getty@tty1.service` is enabled when `getty@.service` is named.
                if let Some((prefix, rest)) = unit.split_once('@') {
                    if let Some((_, suffix)) = rest.rsplit_once('.') {
                        units.insert(format!("{prefix}@.{suffix}"));
                    }
                }
                units.insert(unit.to_owned());
            }
        }
    }
    units
}

fn program_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = PROGRAM_DIRS
        .iter()
        .filter_map(|dir| resolve_in_root(root, dir))
        .collect();
    if let Some(profiles) = resolve_in_root(root, PER_USER_PROFILES) {
        for user in read_names(&profiles) {
            let inside = strip_root(root, &profiles.join(user).join("bin"));
            dirs.extend(resolve_in_root(root, &inside));
        }
    }
    dirs
}

fn read_names(dir: &Path) -> Vec<OsString> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.file_name()))
                .collect()
        })
        .unwrap_or_default()
}

/// `dir` as seen from inside `root`.
fn strip_root(root: &Path, dir: &Path) -> PathBuf {
    Path::new("/").join(dir.strip_prefix(root).unwrap_or(dir))
}

/// Resolves `path` (absolute, as seen by the system at `root`) to the
/// existing file it names on this machine, following symbolic links as if
/// `root` were `/`. `None` when it does not exist or links loop.
pub(super) fn resolve_in_root(root: &Path, path: impl AsRef<Path>) -> Option<PathBuf> {
    let mut pending: VecDeque<OsString> = components(path.as_ref()).collect();
    let mut resolved: Vec<OsString> = Vec::new();
    let mut links = 0;
    while let Some(component) = pending.pop_front() {
        if component == ".." {
            resolved.pop();
            continue;
        }
        let mut here = root.to_path_buf();
        here.extend(&resolved);
        here.push(&component);
        let metadata = fs::symlink_metadata(&here).ok()?;
        if !metadata.file_type().is_symlink() {
            resolved.push(component);
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return None;
        }
        let target = fs::read_link(&here).ok()?;
        if target.is_absolute() {
            resolved.clear();
        }
        for part in components(&target).rev() {
            pending.push_front(part);
        }
    }
    let mut here = root.to_path_buf();
    here.extend(&resolved);
    Some(here)
}

/// The normal and `..` components of a path; `.` and `/` say nothing here.
fn components(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|component| match component {
        Component::Normal(name) => Some(name.to_owned()),
        Component::ParentDir => Some(OsStr::new("..").to_owned()),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn catalogue() -> Catalogue {
        let text = r#"
[[preset]]
id = "docker"
name = "Docker"
kind = "service"
units = ["docker.service"]
[[preset.paths]]
path = "/var/lib/docker"
reason = "r"
source = "s"

[[preset]]
id = "getty"
name = "Getty"
kind = "service"
units = ["getty@.service"]
[[preset.paths]]
path = "/var/lib/getty"
reason = "r"
source = "s"

[[preset]]
id = "firefox"
name = "Firefox"
kind = "program"
programs = ["firefox"]
[[preset.paths]]
home = ".mozilla/firefox"
reason = "r"
source = "s"

[[preset]]
id = "steam"
name = "Steam"
kind = "program"
programs = ["steam"]
[[preset.paths]]
home = ".steam"
reason = "r"
source = "s"

[[preset]]
id = "cups"
name = "CUPS"
kind = "service"
units = ["cups.service"]
programs = ["lpstat"]
[[preset.paths]]
path = "/var/lib/cups"
reason = "r"
source = "s"
"#;
        Catalogue::parse(&[("test", text)]).unwrap()
    }

    /// A NixOS-like tree: `/etc/systemd/system` links into `/etc/static`,
    /// which links into the store, all with absolute targets.
    fn scratch_system() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let store_etc = r.join("nix/store/aaaa-etc/etc");
        let wants = store_etc.join("systemd/system/multi-user.target.wants");
        fs::create_dir_all(&wants).unwrap();
        symlink(
            "/etc/systemd/system/docker.service",
            wants.join("docker.service"),
        )
        .unwrap();
        let getty = store_etc.join("systemd/system/getty.target.wants");
        fs::create_dir_all(&getty).unwrap();
        symlink("../getty@.service", getty.join("getty@tty1.service")).unwrap();
        fs::create_dir_all(r.join("etc/systemd")).unwrap();
        symlink("/nix/store/aaaa-etc/etc", r.join("etc/static")).unwrap();
        symlink("/etc/static/systemd/system", r.join("etc/systemd/system")).unwrap();

        let sw = r.join("nix/store/bbbb-system-path/bin");
        fs::create_dir_all(&sw).unwrap();
        symlink("/nix/store/cccc-firefox/bin/firefox", sw.join("firefox")).unwrap();
        fs::create_dir_all(r.join("nix/store/dddd-system")).unwrap();
        symlink(
            "/nix/store/bbbb-system-path",
            r.join("nix/store/dddd-system/sw"),
        )
        .unwrap();
        fs::create_dir_all(r.join("nix/var/nix/profiles")).unwrap();
        symlink(
            "/nix/store/dddd-system",
            r.join("nix/var/nix/profiles/system"),
        )
        .unwrap();

        let user_bin = r.join("nix/store/eeee-user-env/bin");
        fs::create_dir_all(&user_bin).unwrap();
        fs::write(user_bin.join("steam"), "").unwrap();
        fs::create_dir_all(r.join("etc/profiles/per-user")).unwrap();
        symlink(
            "/nix/store/eeee-user-env",
            r.join("etc/profiles/per-user/alice"),
        )
        .unwrap();
        root
    }

    #[test]
    fn enabled_units_and_installed_programs_are_found() {
        let root = scratch_system();
        let catalogue = catalogue();
        let ids: Vec<&str> = catalogue
            .enabled(root.path())
            .iter()
            .map(|preset| preset.id.as_str())
            .collect();
        assert_eq!(ids, ["docker", "getty", "firefox", "steam"]);
    }

    #[test]
    fn an_empty_root_enables_nothing() {
        let root = tempfile::tempdir().unwrap();
        assert!(catalogue().enabled(root.path()).is_empty());
    }

    #[test]
    fn resolution_stays_inside_the_root_and_stops_at_loops() {
        let root = scratch_system();
        let r = root.path();
        assert_eq!(
            resolve_in_root(r, "/etc/systemd/system/multi-user.target.wants"),
            Some(r.join("nix/store/aaaa-etc/etc/systemd/system/multi-user.target.wants"))
        );
        symlink("/loop-b", r.join("loop-a")).unwrap();
        symlink("/loop-a", r.join("loop-b")).unwrap();
        assert_eq!(resolve_in_root(r, "/loop-a/x"), None);
        symlink("../../../..", r.join("up")).unwrap();
        assert_eq!(
            resolve_in_root(r, "/up/etc/static"),
            Some(r.join("nix/store/aaaa-etc/etc"))
        );
    }
}
