// SPDX-License-Identifier: GPL-3.0-or-later
//! Presets as entries of an installation plan: what the wizard's
//! persistence page offers, what its Keep button adds, and what it says
//! about an entry the catalogue knows.
//!
//! A home path goes to the plan's `persistence.every_home`, as the
//! catalogue means it ("a path relative to every user's home"): the
//! wizard's persistence page comes before its users page, and every
//! account whose home is erased at boot gets those entries, one created
//! later too. A home on a subvolume or kept whole keeps everything in it
//! already and gets none of them.
//!
//! The plan stores kept files as bare paths, so a file's owner and mode
//! from the catalogue are not carried over; impermanence creates the
//! parent directories and the program writes the file with its own mode.
//! A directory carries the catalogue's user, group and mode.

use super::{Advice, Catalogue, Location, Preset, PresetKind, PresetPath};
use crate::plan::{EveryHome, PersistentDirectory, Plan, is_inside};

impl Preset {
    /// The paths keeping the preset means: all but those the catalogue
    /// calls throw-away (caches).
    pub fn wanted_paths(&self) -> impl Iterator<Item = &PresetPath> {
        self.paths
            .iter()
            .filter(|path| path.advice != Advice::Ignore)
    }
}

impl Catalogue {
    /// The presets the wizard offers, most useful first: those with a path
    /// whose loss hurts before those that are merely convenient, then
    /// services, desktops and programs, each in catalogue order.
    pub fn offered(&self) -> Vec<&Preset> {
        let mut offered: Vec<&Preset> = self
            .presets
            .iter()
            .filter(|preset| preset.wanted_paths().next().is_some())
            .collect();
        offered.sort_by_key(|preset| {
            let optional = !preset.paths.iter().any(|path| path.advice == Advice::Keep);
            let kind = match preset.kind {
                PresetKind::Service => 0,
                PresetKind::Desktop => 1,
                PresetKind::Program => 2,
            };
            (optional, kind)
        });
        offered
    }

    /// The untranslated reason the catalogue gives for keeping `location`,
    /// from the first preset that lists it.
    pub fn reason(&self, location: &Location) -> Option<&str> {
        self.presets
            .iter()
            .flat_map(|preset| &preset.paths)
            .find(|path| path.location == *location)
            .map(|path| path.reason.as_str())
    }
}

/// Adds what `preset` needs kept to `plan` and records its identifier.
/// Paths the plan keeps already (on a subvolume, inside a kept directory,
/// in every home) are left alone, so applying a preset twice changes
/// nothing.
pub fn keep_preset(plan: &mut Plan, preset: &Preset) {
    for path in preset.wanted_paths() {
        match &path.location {
            Location::System(system) => {
                if plan.keeps(system) {
                    continue;
                }
                if path.file {
                    plan.persistence.files.push(system.clone());
                } else {
                    plan.persistence.directories.push(directory(system, path));
                }
            }
            // Also while every home is kept whole: a home erased later
            // gets the path then.
            Location::Home(home) => {
                let every_home = &mut plan.persistence.every_home;
                if in_every_home(every_home, home) {
                    continue;
                }
                if path.file {
                    every_home.files.push(home.clone());
                } else {
                    every_home.directories.push(directory(home, path));
                }
            }
        }
    }
    if !plan.persistence.presets.contains(&preset.id) {
        plan.persistence.presets.push(preset.id.clone());
    }
}

/// Whether `plan` keeps every path of `preset`, for every user, whether
/// through the preset or otherwise.
pub fn is_preset_kept(plan: &Plan, preset: &Preset) -> bool {
    preset.wanted_paths().all(|path| match &path.location {
        Location::System(system) => plan.keeps(system),
        Location::Home(home) => {
            in_every_home(&plan.persistence.every_home, home)
                || plan
                    .users
                    .iter()
                    .all(|user| keeps_home_path(plan, &user.name, home))
        }
    })
}

fn directory(path: &str, preset_path: &PresetPath) -> PersistentDirectory {
    PersistentDirectory {
        path: path.to_owned(),
        user: preset_path.user.clone(),
        group: preset_path.group.clone(),
        mode: preset_path.mode.map(|mode| format!("{mode:04o}")),
    }
}

/// Whether an entry of `every_home` is `path` or holds it.
fn in_every_home(every_home: &EveryHome, path: &str) -> bool {
    every_home
        .directories
        .iter()
        .any(|directory| is_inside(path, &directory.path))
        || every_home.files.iter().any(|file| file == path)
}

fn keeps_home_path(plan: &Plan, user: &str, path: &str) -> bool {
    // The wizard's user has no name until the users page; "/home//x" is
    // still inside a /home subvolume.
    plan.keeps(&format!("/home/{user}/{path}"))
        || plan
            .persistence
            .users
            .iter()
            .filter(|home| home.user == user)
            .any(|home| {
                home.directories
                    .iter()
                    .any(|directory| is_inside(path, &directory.path))
                    || home.files.iter().any(|file| file == path)
            })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{User, ValidationError};

    fn catalogue() -> Catalogue {
        Catalogue::builtin().unwrap()
    }

    fn preset<'a>(catalogue: &'a Catalogue, id: &str) -> &'a Preset {
        catalogue.presets.iter().find(|p| p.id == id).unwrap()
    }

    /// The example without the /home subvolume, with a second user: every
    /// home path needs entries.
    fn plan_with_erased_homes() -> Plan {
        let mut plan = Plan::example();
        plan.subvolumes.retain(|s| s.mount_point != "/home");
        let mut bob = plan.users[0].clone();
        bob.name = "bob".to_owned();
        bob.full_name = "Bob".to_owned();
        plan.users.push(bob);
        plan
    }

    /// The wizard's starting plan: its one user has no name yet.
    fn wizard_plan() -> Plan {
        let mut plan = plan_with_erased_homes();
        plan.users = vec![User {
            name: String::new(),
            ..plan.users[0].clone()
        }];
        plan
    }

    fn problems(plan: &Plan) -> Vec<ValidationError> {
        plan.validate().err().unwrap_or_default()
    }

    #[test]
    fn every_offered_preset_keeps_a_plan_valid_and_is_then_kept() {
        let catalogue = catalogue();
        let offered = catalogue.offered();
        for base in [Plan::example(), plan_with_erased_homes(), wizard_plan()] {
            let before = problems(&base);
            for preset in &offered {
                let mut plan = base.clone();
                keep_preset(&mut plan, preset);
                // A home path may give an erased home its first entry.
                let new: Vec<_> = problems(&plan)
                    .into_iter()
                    .filter(|problem| !before.contains(problem))
                    .collect();
                assert_eq!(new, [], "{}", preset.id);
                assert!(is_preset_kept(&plan, preset), "{}", preset.id);
                assert!(plan.persistence.presets.contains(&preset.id));
                let once = plan.clone();
                keep_preset(&mut plan, preset);
                assert_eq!(plan, once, "{} applied twice", preset.id);
            }
            let mut everything = base.clone();
            for preset in &offered {
                keep_preset(&mut everything, preset);
            }
            assert!(
                problems(&everything)
                    .iter()
                    .all(|problem| before.contains(problem))
            );
        }
    }

    #[test]
    fn the_wizard_plan_has_only_its_unnamed_user_to_complain_about() {
        let problems = problems(&wizard_plan());
        assert!(
            problems
                .iter()
                .all(|error| error.field.as_str().starts_with("users[0]")),
            "{problems:?}"
        );
    }

    #[test]
    fn directories_carry_owner_and_mode_and_homes_go_to_every_erased_home() {
        let catalogue = catalogue();
        let mut plan = plan_with_erased_homes();
        keep_preset(&mut plan, preset(&catalogue, "postgresql"));
        let postgres = plan.persistence.directories.last().unwrap();
        assert_eq!(postgres.path, "/var/lib/postgresql");
        assert_eq!(postgres.user.as_deref(), Some("postgres"));
        assert_eq!(postgres.group.as_deref(), Some("postgres"));
        assert_eq!(postgres.mode.as_deref(), Some("0750"));

        keep_preset(&mut plan, preset(&catalogue, "ssh-client"));
        let ssh = &plan.persistence.every_home.directories[0];
        assert_eq!(ssh.path, ".ssh");
        assert_eq!(ssh.mode.as_deref(), Some("0700"));
        let homes: Vec<_> = plan
            .kept_in_homes()
            .into_iter()
            .map(|home| (home.user, home.directories[0].clone()))
            .collect();
        assert_eq!(homes.len(), 2);
        for (user, (name, directory)) in ["alice", "bob"].iter().zip(&homes) {
            assert_eq!(name, user);
            assert_eq!(directory, ssh);
        }

        keep_preset(&mut plan, preset(&catalogue, "bash"));
        assert_eq!(plan.persistence.every_home.files, [".bash_history"]);
        assert!(
            plan.kept_in_homes()
                .iter()
                .all(|home| home.files == [".bash_history"])
        );
        assert!(plan.persistence.users.is_empty());
    }

    #[test]
    fn what_is_kept_already_is_not_added_again() {
        let catalogue = catalogue();
        let mut plan = Plan::example();
        let before = plan.persistence.clone();
        // /var/lib/nixos is persisted and /etc/nixos is a subvolume;
        // Firefox lives in the /home subvolume. Its folder is kept in
        // every home all the same, for a home erased at boot later.
        for id in ["nixos", "firefox"] {
            assert!(is_preset_kept(&plan, preset(&catalogue, id)), "{id}");
            keep_preset(&mut plan, preset(&catalogue, id));
        }
        assert_eq!(plan.persistence.directories, before.directories);
        assert_eq!(plan.persistence.users, before.users);
        assert_eq!(
            plan.persistence.every_home.directories,
            [PersistentDirectory::new(".mozilla/firefox")]
        );
        assert!(plan.kept_in_homes().is_empty());
        assert_eq!(
            plan.persistence.presets[before.presets.len()..],
            ["nixos", "firefox"]
        );

        // The journal is inside the persisted /var/log; the rest of
        // systemd's paths are not.
        let systemd = preset(&catalogue, "systemd");
        assert!(!is_preset_kept(&plan, systemd));
        keep_preset(&mut plan, systemd);
        assert!(
            !plan
                .persistence
                .directories
                .iter()
                .any(|d| d.path == "/var/log/journal")
        );
        assert!(
            plan.persistence
                .files
                .contains(&"/var/lib/systemd/random-seed".to_owned())
        );
    }

    #[test]
    fn throw_away_paths_are_neither_kept_nor_required() {
        let catalogue = catalogue();
        let jellyfin = preset(&catalogue, "jellyfin");
        let mut plan = Plan::example();
        keep_preset(&mut plan, jellyfin);
        assert!(
            !plan
                .persistence
                .directories
                .iter()
                .any(|d| d.path == "/var/cache/jellyfin")
        );
        assert!(is_preset_kept(&plan, jellyfin));
    }

    #[test]
    fn removing_an_entry_makes_the_preset_unkept() {
        let catalogue = catalogue();
        let cups = preset(&catalogue, "cups");
        let mut plan = Plan::example();
        keep_preset(&mut plan, cups);
        plan.persistence
            .directories
            .retain(|d| d.path != "/var/lib/cups");
        assert!(!is_preset_kept(&plan, cups));
    }

    #[test]
    fn a_home_on_a_subvolume_of_its_own_gets_no_entry() {
        let catalogue = catalogue();
        let mut plan = plan_with_erased_homes();
        let mut alice = plan.subvolumes[0].clone();
        alice.name = "alice".to_owned();
        alice.mount_point = "/home/alice".to_owned();
        plan.subvolumes.push(alice);
        keep_preset(&mut plan, preset(&catalogue, "gnupg"));
        let homes: Vec<String> = plan.kept_in_homes().into_iter().map(|h| h.user).collect();
        assert_eq!(homes, ["bob"]);
        assert_eq!(plan.validate(), Ok(()));
    }

    #[test]
    fn a_later_user_gets_the_home_paths_of_the_presets_kept_before() {
        let catalogue = catalogue();
        let mut plan = Plan::example();
        plan.subvolumes.retain(|s| s.mount_point != "/home");
        for id in ["ssh-client", "bash", "docker"] {
            keep_preset(&mut plan, preset(&catalogue, id));
        }
        let mut bob = plan.users[0].clone();
        bob.name = "bob".to_owned();
        plan.users.push(bob);
        let homes = plan.kept_in_homes();
        let bob = homes.iter().find(|home| home.user == "bob").unwrap();
        assert_eq!(bob.directories.len(), 1);
        assert_eq!(bob.directories[0].path, ".ssh");
        assert_eq!(bob.files, [".bash_history"]);
        assert!(is_preset_kept(&plan, preset(&catalogue, "ssh-client")));
    }

    #[test]
    fn offered_presets_put_what_hurts_to_lose_first() {
        let catalogue = catalogue();
        let offered = catalogue.offered();
        let position = |id: &str| offered.iter().position(|p| p.id == id).unwrap();
        assert!(position("docker") < position("firefox"));
        assert!(position("firefox") < position("fwupd"));
        assert!(position("gnome") < position("ssh-client"));
        assert!(offered.iter().all(|p| p.wanted_paths().next().is_some()));
        let mut ids: Vec<_> = offered.iter().map(|p| &p.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), offered.len());
    }

    #[test]
    fn reasons_are_found_by_location() {
        let catalogue = catalogue();
        assert_eq!(
            catalogue.reason(&Location::System("/var/lib/docker".to_owned())),
            Some(
                "Images, containers and volumes; without it every image is pulled again and volume data is gone."
            )
        );
        assert_eq!(
            catalogue.reason(&Location::Home(".ssh".to_owned())),
            Some("A user's SSH keys, known hosts and client settings.")
        );
        assert_eq!(catalogue.reason(&Location::System(".ssh".to_owned())), None);
        assert_eq!(
            catalogue.reason(&Location::System("/var/lib".to_owned())),
            None
        );
    }
}
