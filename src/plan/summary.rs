// SPDX-License-Identifier: GPL-3.0-or-later
//! What the review page sums up about a plan: what is kept at every boot,
//! and who can log in.

use gettextrs::gettext;

use super::Plan;

/// How a kept path survives the reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptKind {
    /// A btrfs subvolume is mounted there.
    Subvolume,
    /// Bind-mounted from the persistent storage.
    Directory,
    File,
}

impl KeptKind {
    pub fn label(self) -> String {
        match self {
            // Translators: how a path is kept: a btrfs subvolume is mounted there.
            KeptKind::Subvolume => gettext("Own subvolume"),
            KeptKind::Directory => gettext("Directory"),
            KeptKind::File => gettext("File"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPath {
    pub path: String,
    pub kind: KeptKind,
}

impl Plan {
    /// Every path that survives a reboot, in the order of the plan:
    /// subvolumes (but not the persistent storage itself; swap is not in
    /// the plan's list), then
    /// the persisted directories and files, then those in home folders
    /// (those kept in every home once for each home erased at boot).
    pub fn kept_paths(&self) -> Vec<KeptPath> {
        let kept = |path: String, kind| KeptPath { path, kind };
        let subvolumes = self
            .subvolumes
            .iter()
            .filter(|subvolume| subvolume.mount_point != self.persistence.path)
            .map(|subvolume| kept(subvolume.mount_point.clone(), KeptKind::Subvolume));
        let persistence = &self.persistence;
        let directories = persistence
            .directories
            .iter()
            .map(|directory| kept(directory.path.clone(), KeptKind::Directory));
        let files = persistence
            .files
            .iter()
            .map(|file| kept(file.clone(), KeptKind::File));
        let homes = self.kept_in_homes().into_iter().flat_map(|home| {
            let in_home = |path: &str| format!("/home/{}/{path}", home.user);
            let directories = home
                .directories
                .iter()
                .map(|directory| kept(in_home(&directory.path), KeptKind::Directory));
            let files = home
                .files
                .iter()
                .map(|file| kept(in_home(file), KeptKind::File));
            directories.chain(files).collect::<Vec<_>>()
        });
        subvolumes
            .chain(directories)
            .chain(files)
            .chain(homes)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PersistentDirectory, Swap, UserPersistence};

    #[test]
    fn kept_paths_list_subvolumes_entries_and_home_folders() {
        let mut plan = Plan::example();
        plan.swap = Some(Swap { size_gib: 4 });
        plan.persistence.users.push(UserPersistence {
            user: "alice".to_owned(),
            directories: vec![PersistentDirectory::new(".ssh")],
            files: vec![".bashrc".to_owned()],
        });
        // Not for alice while /home keeps her whole home.
        plan.persistence
            .every_home
            .directories
            .push(PersistentDirectory::new(".gnupg"));
        let kept = plan.kept_paths();
        let paths: Vec<&str> = kept.iter().map(|kept| kept.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/nix",
                "/home",
                "/etc/nixos",
                "/var/log",
                "/var/lib/bluetooth",
                "/var/lib/nixos",
                "/var/lib/systemd/coredump",
                "/etc/NetworkManager/system-connections",
                "/var/lib/cups",
                "/etc/machine-id",
                "/home/alice/.ssh",
                "/home/alice/.bashrc",
            ]
        );
        assert_eq!(kept[0].kind, KeptKind::Subvolume);
        assert_eq!(kept[3].kind, KeptKind::Directory);
        assert_eq!(kept.last().map(|kept| kept.kind), Some(KeptKind::File));
        assert!(
            !paths.contains(&"/persist") && !paths.contains(&Swap::MOUNT_POINT),
            "the storage and swap are not listed"
        );
        plan.subvolumes
            .retain(|subvolume| subvolume.mount_point != "/home");
        let kept = plan.kept_paths();
        let homes: Vec<&str> = kept[kept.len() - 3..]
            .iter()
            .map(|kept| kept.path.as_str())
            .collect();
        assert_eq!(
            homes,
            [
                "/home/alice/.ssh",
                "/home/alice/.gnupg",
                "/home/alice/.bashrc"
            ]
        );
    }
}
