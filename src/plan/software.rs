// SPDX-License-Identifier: GPL-3.0-or-later
//! The desktop and the services of the installed system (plan version 2).
//!
//! What a service needs kept is not listed here: it comes from the preset
//! catalogue (`data/presets/`), by preset identifier, so that the wizard's
//! switches, the persistence page and the editor agree on every path.

use std::sync::OnceLock;

use gettextrs::gettext;
use serde::{Deserialize, Serialize};

use super::{Plan, is_inside};
use crate::catalogue::{Advice, Catalogue, Location, Preset, PresetPath};

/// The graphical desktop, or none for a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Desktop {
    Gnome,
    Plasma6,
    Xfce,
    /// A text console only; what a version 1 plan rendered.
    #[default]
    None,
}

impl Desktop {
    pub const ALL: [Desktop; 4] = [
        Desktop::Gnome,
        Desktop::Plasma6,
        Desktop::Xfce,
        Desktop::None,
    ];

    /// The name shown to people.
    pub fn label(self) -> String {
        match self {
            Desktop::Gnome => gettext("GNOME"),
            Desktop::Plasma6 => gettext("KDE Plasma 6"),
            Desktop::Xfce => gettext("Xfce"),
            Desktop::None => gettext("No Desktop"),
        }
    }

    /// One sentence under the name.
    pub fn description(self) -> String {
        match self {
            // Not “this live system's desktop”: the live session may be
            // another one.
            Desktop::Gnome => gettext("GNOME's desktop, with the GDM login screen."),
            Desktop::Plasma6 => gettext("KDE's desktop, with the SDDM login screen."),
            Desktop::Xfce => gettext("A light desktop for older computers, with LightDM."),
            Desktop::None => gettext("A text console, for servers."),
        }
    }

    /// The desktop of a live session, from `XDG_CURRENT_DESKTOP` (a
    /// colon-separated list such as `GNOME` or `ubuntu:GNOME`).
    pub fn from_current_desktop(value: &str) -> Option<Desktop> {
        value
            .split(':')
            .find_map(|name| match name.to_ascii_lowercase().as_str() {
                "gnome" => Some(Desktop::Gnome),
                "kde" => Some(Desktop::Plasma6),
                "xfce" => Some(Desktop::Xfce),
                _ => None,
            })
    }

    pub fn is_graphical(self) -> bool {
        self != Desktop::None
    }

    /// The services a desktop system starts with and a server without.
    pub const SERVICES: [Service; 2] = [Service::Bluetooth, Service::Printing];
}

/// A service a person can switch on in the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Ssh,
    Bluetooth,
    Printing,
    Docker,
    Podman,
    Flatpak,
    Tailscale,
    Fwupd,
}

impl Service {
    pub const ALL: [Service; 8] = [
        Service::Ssh,
        Service::Bluetooth,
        Service::Printing,
        Service::Docker,
        Service::Podman,
        Service::Flatpak,
        Service::Tailscale,
        Service::Fwupd,
    ];

    /// The catalogue preset that says what the service needs kept.
    pub fn preset_id(self) -> &'static str {
        match self {
            Service::Ssh => "sshd",
            Service::Bluetooth => "bluetooth",
            Service::Printing => "cups",
            Service::Docker => "docker",
            Service::Podman => "podman",
            Service::Flatpak => "flatpak",
            Service::Tailscale => "tailscale",
            Service::Fwupd => "fwupd",
        }
    }

    /// The NixOS option that turns the service on.
    pub fn option(self) -> [&'static str; 3] {
        match self {
            Service::Ssh => ["services", "openssh", "enable"],
            Service::Bluetooth => ["hardware", "bluetooth", "enable"],
            Service::Printing => ["services", "printing", "enable"],
            Service::Docker => ["virtualisation", "docker", "enable"],
            Service::Podman => ["virtualisation", "podman", "enable"],
            Service::Flatpak => ["services", "flatpak", "enable"],
            Service::Tailscale => ["services", "tailscale", "enable"],
            Service::Fwupd => ["services", "fwupd", "enable"],
        }
    }

    /// The name shown to people.
    pub fn label(self) -> String {
        match self {
            Service::Ssh => gettext("SSH Server"),
            Service::Bluetooth => gettext("Bluetooth"),
            Service::Printing => gettext("Printing"),
            Service::Docker => gettext("Docker"),
            Service::Podman => gettext("Podman"),
            Service::Flatpak => gettext("Flatpak"),
            Service::Tailscale => gettext("Tailscale"),
            Service::Fwupd => gettext("Firmware Updates"),
        }
    }

    /// The catalogue entry of the service.
    pub fn preset(self) -> &'static Preset {
        catalogue()
            .presets
            .iter()
            .find(|preset| preset.id == self.preset_id())
            .expect("every service names a preset of the built-in catalogue")
    }

    /// The paths kept when the service is switched on: those the catalogue
    /// does not call throw-away.
    pub fn kept_paths(self) -> impl Iterator<Item = &'static PresetPath> {
        self.preset()
            .paths
            .iter()
            .filter(|path| path.advice != Advice::Ignore)
    }

    /// The system paths without which the service loses what matters
    /// (keys, images, pairings): a plan that enables the service must keep
    /// them.
    pub fn required_paths(self) -> impl Iterator<Item = &'static str> {
        self.preset()
            .paths
            .iter()
            .filter(|path| path.advice == Advice::Keep)
            .filter_map(|path| match &path.location {
                Location::System(path) => Some(path.as_str()),
                Location::Home(_) => None,
            })
    }
}

/// The built-in catalogue, parsed once; its tests check it parses.
pub(super) fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::builtin().expect("the built-in catalogue is valid"))
}

impl Plan {
    /// Whether `path` survives a reboot: it is on a subvolume, a persisted
    /// entry is it or holds it, or it is in a home kept whole.
    pub fn keeps(&self, path: &str) -> bool {
        let on_subvolume = self
            .created_subvolumes()
            .iter()
            .any(|(_, subvolume)| is_inside(path, &subvolume.mount_point));
        let persistence = &self.persistence;
        on_subvolume
            || persistence
                .directories
                .iter()
                .any(|directory| is_inside(path, &directory.path))
            || persistence.files.iter().any(|file| file == path)
            || self.in_home_kept_whole(path)
    }

    /// Chooses the desktop. Between a desktop and none, Bluetooth and
    /// printing follow: on for a desktop, off for a server; either way they
    /// stay switchable.
    pub fn set_desktop(&mut self, desktop: Desktop) {
        let graphical = desktop.is_graphical();
        let changes_kind = self.desktop.is_graphical() != graphical;
        self.desktop = desktop;
        if changes_kind {
            for service in Desktop::SERVICES {
                self.set_service(service, graphical);
            }
        }
    }

    /// Switches `service` on with everything it needs kept, or off (its
    /// kept entries stay: removing them would lose the data at the next
    /// boot).
    pub fn set_service(&mut self, service: Service, enabled: bool) {
        if !enabled {
            self.services.retain(|other| *other != service);
            return;
        }
        if !self.services.contains(&service) {
            self.services.push(service);
            self.services.sort();
        }
        crate::catalogue::keep_preset(self, service.preset());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_names_a_preset_with_something_to_keep() {
        for service in Service::ALL {
            assert_eq!(service.preset().id, service.preset_id());
            assert!(service.kept_paths().next().is_some(), "{service:?}");
        }
    }

    #[test]
    fn switching_a_service_on_keeps_its_state_once() {
        let mut plan = Plan::example();
        plan.set_service(Service::Ssh, true);
        plan.set_service(Service::Ssh, true);
        assert_eq!(
            plan.services,
            [Service::Ssh, Service::Bluetooth, Service::Printing]
        );
        let keys = plan
            .persistence
            .files
            .iter()
            .filter(|file| file.starts_with("/etc/ssh/ssh_host_"))
            .count();
        assert_eq!(keys, 4);
        for path in Service::Ssh.required_paths() {
            assert!(plan.keeps(path), "{path}");
        }
        plan.set_service(Service::Ssh, false);
        assert!(!plan.services.contains(&Service::Ssh));
        assert!(plan.keeps("/etc/ssh/ssh_host_ed25519_key"));
    }

    #[test]
    fn a_path_on_a_subvolume_is_not_persisted_again() {
        let mut plan = Plan::example();
        plan.subvolumes.push(super::super::Subvolume {
            name: "docker".to_owned(),
            mount_point: "/var/lib/docker".to_owned(),
            options: Vec::new(),
        });
        plan.set_service(Service::Docker, true);
        assert!(
            !plan
                .persistence
                .directories
                .iter()
                .any(|directory| directory.path == "/var/lib/docker")
        );
    }

    #[test]
    fn home_paths_go_to_every_home_and_so_to_each_erased_one() {
        let mut plan = Plan::example();
        plan.set_service(Service::Podman, true);
        assert!(plan.persistence.users.is_empty());
        assert_eq!(
            plan.persistence.every_home.directories[0].path,
            ".local/share/containers"
        );
        assert!(plan.kept_in_homes().is_empty());
        plan.subvolumes.retain(|subvolume| subvolume.name != "home");
        let homes = plan.kept_in_homes();
        assert_eq!(homes.len(), 1);
        assert_eq!(homes[0].directories[0].path, ".local/share/containers");
    }

    #[test]
    fn a_server_starts_without_bluetooth_and_printing() {
        let mut plan = Plan::example();
        plan.set_desktop(Desktop::Plasma6);
        assert_eq!(plan.services, Desktop::SERVICES);
        plan.set_desktop(Desktop::None);
        assert!(plan.services.is_empty());
        // Their state stays kept, for when they are switched on again.
        assert!(plan.keeps("/var/lib/bluetooth"));
        plan.set_service(Service::Printing, true);
        plan.set_service(Service::Ssh, true);
        plan.set_desktop(Desktop::None);
        assert_eq!(plan.services, [Service::Ssh, Service::Printing]);
        plan.set_desktop(Desktop::Xfce);
        assert_eq!(
            plan.services,
            [Service::Ssh, Service::Bluetooth, Service::Printing]
        );
    }

    #[test]
    fn the_live_desktop_is_recognised() {
        assert_eq!(Desktop::from_current_desktop("GNOME"), Some(Desktop::Gnome));
        assert_eq!(
            Desktop::from_current_desktop("ubuntu:GNOME"),
            Some(Desktop::Gnome)
        );
        assert_eq!(Desktop::from_current_desktop("KDE"), Some(Desktop::Plasma6));
        assert_eq!(Desktop::from_current_desktop("sway"), None);
    }
}
