// SPDX-License-Identifier: GPL-3.0-or-later
//! Where each user's home survives a reboot: on a subvolume (the shared
//! /home one, or one of its own), kept whole in the persistent storage
//! (`keep_whole_home`), or erased at every boot but for the entries kept in
//! it: those of `persistence.every_home`, which every such home gets, and
//! the user's own in `persistence.users`.
//!
//! The entries in `persistence.users` are found by user name. While the
//! wizard's accounts are still unnamed they share the name "", so the
//! functions here copy entries that another user still shares instead of
//! moving them.

use super::{PersistentDirectory, Plan, UserPersistence, is_inside, is_valid_account_name};

/// The home directory of `user`; an unnamed user stands for all of /home.
fn home_directory(user: &str) -> String {
    if user.is_empty() {
        "/home".to_owned()
    } else {
        format!("/home/{user}")
    }
}

impl Plan {
    /// The mount point of the subvolume `user`'s home is on: `/home`, or
    /// one of the home's own.
    pub fn home_subvolume(&self, user: &str) -> Option<String> {
        let home = home_directory(user);
        self.created_subvolumes()
            .into_iter()
            .map(|(_, subvolume)| subvolume.mount_point)
            .filter(|mount_point| mount_point != "/" && is_inside(&home, mount_point))
            .max_by_key(String::len)
    }

    /// Whether everything in the home of `users[index]` survives a reboot.
    pub fn home_kept_whole(&self, index: usize) -> bool {
        self.users
            .get(index)
            .is_some_and(|user| user.keep_whole_home || self.keeps(&home_directory(&user.name)))
    }

    /// Whether `path` is in a home that `keep_whole_home` keeps.
    pub(super) fn in_home_kept_whole(&self, path: &str) -> bool {
        self.users.iter().any(|user| {
            user.keep_whole_home
                && is_valid_account_name(&user.name)
                && is_inside(path, &home_directory(&user.name))
        })
    }

    /// The directories `keep_whole_home` adds to the persistent storage:
    /// one per such home that no subvolume or persisted directory keeps
    /// already, owned by its user and private to them.
    pub fn persisted_homes(&self) -> Vec<PersistentDirectory> {
        let mut homes: Vec<PersistentDirectory> = Vec::new();
        for user in &self.users {
            let home = home_directory(&user.name);
            let kept_otherwise = self.home_subvolume(&user.name).is_some()
                || self
                    .persistence
                    .directories
                    .iter()
                    .any(|directory| is_inside(&home, &directory.path));
            if !user.keep_whole_home
                || !is_valid_account_name(&user.name)
                || kept_otherwise
                || homes.iter().any(|other| other.path == home)
            {
                continue;
            }
            homes.push(PersistentDirectory {
                path: home,
                user: Some(user.name.clone()),
                group: Some("users".to_owned()),
                mode: Some("0700".to_owned()),
            });
        }
        homes
    }

    /// What impermanence keeps in the homes erased at boot, by user name,
    /// in the order `persistence.nix` lists them: each list of
    /// `persistence.users`, with the `every_home` entries it lacks if that
    /// home is erased, then the `every_home` entries of every other account
    /// whose home is erased. An `every_home` entry the home keeps already
    /// (inside one of its own folders, or on the system: a subvolume or a
    /// kept directory there) is left out, so none is bound twice.
    pub fn kept_in_homes(&self) -> Vec<UserPersistence> {
        let erased = |name: &str| {
            self.users
                .iter()
                .enumerate()
                .any(|(index, user)| user.name == name && !self.home_kept_whole(index))
        };
        let mut homes: Vec<UserPersistence> = self
            .persistence
            .users
            .iter()
            .map(|own| {
                let mut home = own.clone();
                if erased(&own.user) {
                    self.add_every_home(&mut home);
                }
                home
            })
            .collect();
        for user in &self.users {
            if homes.iter().any(|home| home.user == user.name) || !erased(&user.name) {
                continue;
            }
            let mut home = UserPersistence {
                user: user.name.clone(),
                directories: Vec::new(),
                files: Vec::new(),
            };
            self.add_every_home(&mut home);
            if !home.directories.is_empty() || !home.files.is_empty() {
                homes.push(home);
            }
        }
        homes
    }

    /// Adds to `home` the `every_home` entries it does not keep yet.
    fn add_every_home(&self, home: &mut UserPersistence) {
        let every = &self.persistence.every_home;
        let directories = every
            .directories
            .iter()
            .map(|directory| (directory.path.as_str(), Some(directory)));
        let files = every.files.iter().map(|file| (file.as_str(), None));
        for (path, directory) in directories.chain(files) {
            let kept = self.keeps(&format!("{}/{path}", home_directory(&home.user)))
                || home
                    .directories
                    .iter()
                    .any(|own| is_inside(path, &own.path))
                || home.files.iter().any(|own| own == path);
            match directory {
                _ if kept => {}
                Some(directory) => home.directories.push(directory.clone()),
                None => home.files.push(path.to_owned()),
            }
        }
    }

    /// Keeps the whole home of `users[index]`, or erases it at every boot
    /// but for the entries kept in every home and its own. Erasing a home
    /// on the shared /home subvolume takes /home off its subvolume: every
    /// other account then keeps its whole home in the persistent storage.
    /// A home on a subvolume of its own stays kept.
    pub fn set_keep_whole_home(&mut self, index: usize, whole: bool) {
        let Some(name) = self.users.get(index).map(|user| user.name.clone()) else {
            return;
        };
        if whole {
            self.users[index].keep_whole_home = true;
            // Its entries would keep nothing more.
            if !self.shares_name(index, &name) {
                self.persistence.users.retain(|home| home.user != name);
            }
            return;
        }
        match self.home_subvolume(&name).as_deref() {
            Some("/home") => {
                self.subvolumes
                    .retain(|subvolume| subvolume.mount_point != "/home");
                for (other, user) in self.users.iter_mut().enumerate() {
                    user.keep_whole_home = other != index;
                }
            }
            Some(_) => {}
            None => self.users[index].keep_whole_home = false,
        }
    }

    /// Removes `users[index]` with its home entries, unless another user
    /// still has its name.
    pub fn remove_user(&mut self, index: usize) {
        if index >= self.users.len() {
            return;
        }
        let name = self.users.remove(index).name;
        if !self.users.iter().any(|user| user.name == name) {
            self.persistence.users.retain(|home| home.user != name);
        }
    }

    /// Renames `users[index]`, taking its home entries along.
    pub fn rename_user(&mut self, index: usize, name: &str) {
        let Some(user) = self.users.get_mut(index) else {
            return;
        };
        let old = std::mem::replace(&mut user.name, name.to_owned());
        if old == name {
            return;
        }
        let shared = self.users.iter().any(|user| user.name == old);
        let homes = &mut self.persistence.users;
        let Some(position) = homes.iter().position(|home| home.user == old) else {
            return;
        };
        let taken = homes.iter().any(|home| home.user == name);
        if !shared && !taken {
            homes[position].user = name.to_owned();
            return;
        }
        let mut moved = if shared {
            homes[position].clone()
        } else {
            homes.remove(position)
        };
        moved.user = name.to_owned();
        match homes.iter_mut().find(|home| home.user == name) {
            Some(existing) => merge(existing, moved),
            None => homes.push(moved),
        }
    }

    /// Whether a user besides `users[index]` is called `name`.
    fn shares_name(&self, index: usize, name: &str) -> bool {
        self.users
            .iter()
            .enumerate()
            .any(|(other, user)| other != index && user.name == name)
    }
}

fn merge(into: &mut UserPersistence, from: UserPersistence) {
    for directory in from.directories {
        if !into.directories.iter().any(|d| d.path == directory.path) {
            into.directories.push(directory);
        }
    }
    for file in from.files {
        if !into.files.contains(&file) {
            into.files.push(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Location;
    use crate::plan::{EveryHome, Problem, Service, User};

    fn user(name: &str) -> User {
        User {
            name: name.to_owned(),
            ..Plan::example().users.remove(0)
        }
    }

    /// What `user`'s home keeps, as `persistence.nix` lists it.
    fn entries(plan: &Plan, user: &str) -> Vec<String> {
        plan.kept_in_homes()
            .iter()
            .filter(|home| home.user == user)
            .flat_map(|home| {
                home.directories
                    .iter()
                    .map(|d| d.path.clone())
                    .chain(home.files.iter().cloned())
            })
            .collect()
    }

    /// The example without a /home subvolume; alice keeps ~/.ssh.
    fn erased_homes() -> Plan {
        let mut plan = Plan::example();
        plan.subvolumes.retain(|s| s.mount_point != "/home");
        plan.persistence.users.push(UserPersistence {
            user: "alice".to_owned(),
            directories: vec![PersistentDirectory::new(".ssh")],
            files: Vec::new(),
        });
        plan
    }

    #[test]
    fn homes_on_the_home_subvolume_are_kept_whole() {
        let mut plan = Plan::example();
        plan.users.push(user("bob"));
        plan.persistence
            .every_home
            .files
            .push(".bash_history".to_owned());
        assert!(plan.home_kept_whole(0) && plan.home_kept_whole(1));
        assert_eq!(plan.home_subvolume("bob").as_deref(), Some("/home"));
        assert_eq!(plan.home_subvolume("").as_deref(), Some("/home"));
        assert!(plan.persisted_homes().is_empty());
        assert!(plan.kept_in_homes().is_empty());
        assert_eq!(plan.validate(), Ok(()));
    }

    #[test]
    fn erasing_one_home_on_the_shared_subvolume_keeps_the_others_whole() {
        let mut plan = Plan::example();
        plan.users.push(user("bob"));
        plan.set_service(Service::Podman, true);
        plan.set_keep_whole_home(1, false);
        assert!(plan.home_subvolume("alice").is_none());
        assert!(plan.home_kept_whole(0) && !plan.home_kept_whole(1));
        assert_eq!(
            plan.persisted_homes()
                .iter()
                .map(|home| home.path.as_str())
                .collect::<Vec<_>>(),
            ["/home/alice"]
        );
        // Podman was kept before, in every home: bob's keeps its path.
        assert!(plan.persistence.users.is_empty());
        assert_eq!(entries(&plan, "bob"), [".local/share/containers"]);
        assert!(entries(&plan, "alice").is_empty());
        assert!(plan.keeps("/home/alice/.local/share/containers"));
        assert_eq!(plan.validate(), Ok(()));
    }

    #[test]
    fn a_home_erased_with_nothing_kept_is_refused_on_its_switch() {
        let mut plan = erased_homes();
        plan.users.push(user("bob"));
        let errors = plan.validate().unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field.as_str(), "users[1].keep_whole_home");
        assert_eq!(
            errors[0].problem,
            Problem::HomeNotKept {
                user: "bob".to_owned()
            }
        );
        let message = errors[0].problem.message();
        assert!(
            message.contains("Users page") && message.contains("Keep Whole Home Folder"),
            "{message}"
        );
        let mut kept_in_every_home = plan.clone();
        kept_in_every_home
            .persistence
            .every_home
            .directories
            .push(PersistentDirectory::new("Documents"));
        assert_eq!(kept_in_every_home.validate(), Ok(()));
        plan.set_keep_whole_home(1, true);
        assert_eq!(plan.validate(), Ok(()));
        assert!(plan.keeps("/home/bob/Documents"));
    }

    #[test]
    fn keeping_a_home_whole_drops_its_entries_and_erasing_it_gives_every_homes_back() {
        let flatpak: Vec<String> = Service::Flatpak
            .kept_paths()
            .filter_map(|path| match &path.location {
                Location::Home(home) => Some(home.clone()),
                Location::System(_) => None,
            })
            .collect();
        assert!(flatpak.contains(&".local/share/flatpak".to_owned()));
        let mut plan = erased_homes();
        plan.set_service(Service::Flatpak, true);
        assert_eq!(plan.persistence.users[0].directories.len(), 1);
        assert_eq!(entries(&plan, "alice")[1..], flatpak);
        plan.set_keep_whole_home(0, true);
        assert!(plan.persistence.users.is_empty() && entries(&plan, "alice").is_empty());
        assert_eq!(plan.persisted_homes()[0].user.as_deref(), Some("alice"));
        assert_eq!(plan.persisted_homes()[0].mode.as_deref(), Some("0700"));
        plan.set_keep_whole_home(0, false);
        assert_eq!(entries(&plan, "alice"), flatpak);
        assert!(plan.persisted_homes().is_empty());
    }

    #[test]
    fn every_erased_home_keeps_the_entries_of_every_home_once() {
        let mut plan = erased_homes();
        plan.users.push(user("bob"));
        plan.users.push(User {
            keep_whole_home: true,
            ..user("carol")
        });
        plan.persistence.every_home = EveryHome {
            directories: vec![
                PersistentDirectory::new(".ssh/keys"),
                PersistentDirectory::new(".mozilla"),
            ],
            files: vec![".bash_history".to_owned()],
        };
        // A directory of alice's own is kept in her home already.
        plan.persistence
            .directories
            .push(PersistentDirectory::new("/home/alice/.mozilla"));
        assert_eq!(entries(&plan, "alice"), [".ssh", ".bash_history"]);
        assert_eq!(
            entries(&plan, "bob"),
            [".ssh/keys", ".mozilla", ".bash_history"]
        );
        assert!(entries(&plan, "carol").is_empty());
        let users: Vec<String> = plan.kept_in_homes().into_iter().map(|h| h.user).collect();
        assert_eq!(users, ["alice", "bob"]);
        assert_eq!(plan.validate(), Ok(()));
    }

    #[test]
    fn a_home_on_its_own_subvolume_stays_kept() {
        let mut plan = erased_homes();
        let mut own = plan.subvolumes[0].clone();
        own.name = "alice".to_owned();
        own.mount_point = "/home/alice".to_owned();
        plan.subvolumes.push(own);
        plan.persistence.users.clear();
        plan.persistence
            .every_home
            .files
            .push(".bash_history".to_owned());
        plan.set_keep_whole_home(0, false);
        assert!(plan.home_kept_whole(0));
        assert_eq!(plan.home_subvolume("alice").as_deref(), Some("/home/alice"));
        assert!(plan.kept_in_homes().is_empty());
    }

    #[test]
    fn unnamed_users_share_entries_until_each_is_named() {
        let mut plan = erased_homes();
        plan.rename_user(0, "");
        plan.users.push(user(""));
        plan.rename_user(1, "b");
        plan.rename_user(1, "bo");
        plan.rename_user(1, "bob");
        assert_eq!(entries(&plan, "bob"), [".ssh"]);
        assert_eq!(entries(&plan, ""), [".ssh"]);
        plan.rename_user(0, "alice");
        assert_eq!(entries(&plan, "alice"), [".ssh"]);
        assert!(entries(&plan, "").is_empty());
        plan.remove_user(1);
        assert!(entries(&plan, "bob").is_empty());
        assert_eq!(plan.users.len(), 1);
        assert_eq!(plan.validate(), Ok(()));
    }

    #[test]
    fn a_rename_onto_a_name_with_entries_merges_them() {
        let mut plan = erased_homes();
        plan.users.push(user("bob"));
        plan.persistence.users.push(UserPersistence {
            user: "bob".to_owned(),
            directories: vec![
                PersistentDirectory::new("Music"),
                PersistentDirectory::new(".ssh"),
            ],
            files: Vec::new(),
        });
        plan.rename_user(0, "bob");
        assert_eq!(entries(&plan, "bob"), ["Music", ".ssh"]);
        assert!(entries(&plan, "alice").is_empty());
    }
}
