// SPDX-License-Identifier: GPL-3.0-or-later
//! The catalogue: services, desktops and programs, and the paths they need
//! kept on a system whose root is erased at every boot.
//!
//! The entries are data (`data/presets/*.toml`, compiled in), each path with
//! a one-line reason and a source: the NixOS module that creates the path or
//! the program's documentation. The wizard's presets, the editor's
//! suggestions and the scanner's grouping all read this one catalogue.
//!
//! A preset looks like this:
//!
//! ```toml
//! [[preset]]
//! id = "networkmanager"          # stable, lower case
//! name = "NetworkManager"        # shown to people
//! kind = "service"               # service | desktop | program
//! units = ["NetworkManager.service"]   # enabled when one is wanted
//! programs = ["nmcli"]                 # or when one is installed
//!
//! [[preset.paths]]
//! path = "/etc/NetworkManager/system-connections"  # or home = ".ssh"
//! mode = "0700"                  # optional, with user and group
//! advice = "keep"                # keep (default) | optional | ignore
//! reason = "Saved Wi-Fi passwords and network connections."
//! source = "nixos/modules/services/networking/networkmanager.nix"
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

mod detect;
mod keep;
mod validate;

pub use keep::{is_preset_kept, keep_preset};
pub use validate::{CatalogueError, PathProblem, check_home_path, check_system_path};

/// The preset files, in the order their entries are listed.
const SOURCES: &[(&str, &str)] = &[
    (
        "system.toml",
        include_str!("../../data/presets/system.toml"),
    ),
    (
        "network.toml",
        include_str!("../../data/presets/network.toml"),
    ),
    (
        "hardware.toml",
        include_str!("../../data/presets/hardware.toml"),
    ),
    (
        "virtualisation.toml",
        include_str!("../../data/presets/virtualisation.toml"),
    ),
    (
        "desktop.toml",
        include_str!("../../data/presets/desktop.toml"),
    ),
    (
        "servers.toml",
        include_str!("../../data/presets/servers.toml"),
    ),
    (
        "programs.toml",
        include_str!("../../data/presets/programs.toml"),
    ),
];

/// Whether keeping a path is usually wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Advice {
    /// Losing it hurts: passwords, keys, databases.
    Keep,
    /// Useful to some people: logs, settings that are easy to redo.
    Optional,
    /// Rebuilt when needed: caches, temporary files.
    Ignore,
}

impl Advice {
    /// The word used in JSON and in the human output.
    pub fn as_str(self) -> &'static str {
        match self {
            Advice::Keep => "keep",
            Advice::Optional => "optional",
            Advice::Ignore => "ignore",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresetKind {
    Service,
    Desktop,
    Program,
}

/// Where a kept path lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// An absolute path of the system, such as `/var/lib/docker`.
    System(String),
    /// A path relative to every user's home, such as `.ssh`.
    Home(String),
}

impl Location {
    pub fn as_str(&self) -> &str {
        match self {
            Location::System(path) | Location::Home(path) => path,
        }
    }
}

/// One path a preset needs kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetPath {
    pub location: Location,
    /// A single file rather than a directory.
    pub file: bool,
    pub user: Option<String>,
    pub group: Option<String>,
    /// Permission bits, for the directory impermanence creates in storage.
    pub mode: Option<u32>,
    pub advice: Advice,
    pub reason: String,
    /// The NixOS module or the documentation that says the path is used.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub id: String,
    pub name: String,
    pub kind: PresetKind,
    /// systemd units whose `wants` link means the preset is enabled.
    pub units: Vec<String>,
    /// Programs whose presence in the system profile means it is installed.
    pub programs: Vec<String>,
    pub paths: Vec<PresetPath>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub presets: Vec<Preset>,
}

impl Catalogue {
    /// The catalogue compiled into Keepsake.
    pub fn builtin() -> Result<Catalogue, CatalogueError> {
        Catalogue::parse(SOURCES)
    }

    /// Parses and checks preset files given as `(name, text)` pairs.
    pub fn parse(sources: &[(&str, &str)]) -> Result<Catalogue, CatalogueError> {
        let mut presets = Vec::new();
        for (file, text) in sources {
            let parsed: raw::File = toml::from_str(text).map_err(|error| CatalogueError::Toml {
                file: (*file).to_owned(),
                message: error.to_string(),
            })?;
            for preset in parsed.preset {
                presets.push(preset.into_preset()?);
            }
        }
        let catalogue = Catalogue { presets };
        validate::check_catalogue(&catalogue)?;
        Ok(catalogue)
    }

    /// The presets enabled on the system mounted at `root`.
    pub fn enabled(&self, root: &Path) -> Vec<&Preset> {
        detect::enabled_presets(self, root)
    }
}

/// The file format, before checking.
mod raw {
    use serde::Deserialize;

    use super::{Advice, CatalogueError, Location, PresetKind};

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub preset: Vec<Preset>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Preset {
        id: String,
        name: String,
        kind: PresetKind,
        #[serde(default)]
        units: Vec<String>,
        #[serde(default)]
        programs: Vec<String>,
        paths: Vec<Path>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Path {
        path: Option<String>,
        home: Option<String>,
        #[serde(default)]
        file: bool,
        user: Option<String>,
        group: Option<String>,
        mode: Option<String>,
        #[serde(default = "keep")]
        advice: Advice,
        reason: String,
        source: String,
    }

    fn keep() -> Advice {
        Advice::Keep
    }

    impl Preset {
        pub fn into_preset(self) -> Result<super::Preset, CatalogueError> {
            let id = self.id;
            let paths = self
                .paths
                .into_iter()
                .map(|path| path.into_path(&id))
                .collect::<Result<_, _>>()?;
            Ok(super::Preset {
                id,
                name: self.name,
                kind: self.kind,
                units: self.units,
                programs: self.programs,
                paths,
            })
        }
    }

    impl Path {
        fn into_path(self, preset: &str) -> Result<super::PresetPath, CatalogueError> {
            let location = match (self.path, self.home) {
                (Some(path), None) => Location::System(path),
                (None, Some(home)) => Location::Home(home),
                _ => {
                    return Err(CatalogueError::PathOrHome {
                        preset: preset.to_owned(),
                    });
                }
            };
            let mode = match self.mode {
                None => None,
                Some(text) => Some(
                    u32::from_str_radix(&text, 8)
                        .ok()
                        .filter(|mode| *mode <= 0o7777)
                        .ok_or_else(|| CatalogueError::BadMode {
                            preset: preset.to_owned(),
                            path: location.as_str().to_owned(),
                            mode: text.clone(),
                        })?,
                ),
            };
            Ok(super::PresetPath {
                location,
                file: self.file,
                user: self.user,
                group: self.group,
                mode,
                advice: self.advice,
                reason: self.reason,
                source: self.source,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `(preset, path)` pair, in catalogue order.
    fn paths(catalogue: &Catalogue) -> impl Iterator<Item = (&Preset, &PresetPath)> {
        catalogue
            .presets
            .iter()
            .flat_map(|preset| preset.paths.iter().map(move |path| (preset, path)))
    }

    #[test]
    fn builtin_catalogue_parses_and_is_valid() {
        let catalogue = Catalogue::builtin().unwrap();
        assert!(catalogue.presets.len() >= 40, "{}", catalogue.presets.len());
        for (preset, path) in paths(&catalogue) {
            let checked = match &path.location {
                Location::System(text) => check_system_path(text),
                Location::Home(text) => check_home_path(text),
            };
            assert_eq!(checked, Ok(()), "{}: {}", preset.id, path.location.as_str());
            assert!(path.reason.ends_with('.'), "{}: {}", preset.id, path.reason);
            assert!(
                !preset.units.is_empty() || !preset.programs.is_empty(),
                "{} cannot be detected",
                preset.id
            );
        }
    }

    #[test]
    fn builtin_catalogue_covers_the_issue_list() {
        let catalogue = Catalogue::builtin().unwrap();
        let has = |location: Location| paths(&catalogue).any(|(_, path)| path.location == location);
        let system = |path: &str| Location::System(path.to_owned());
        let home = |path: &str| Location::Home(path.to_owned());
        for path in [
            "/etc/NetworkManager/system-connections",
            "/var/lib/iwd",
            "/etc/wpa_supplicant.conf",
            "/var/lib/bluetooth",
            "/etc/ssh/ssh_host_ed25519_key",
            "/etc/machine-id",
            "/var/log/journal",
            "/var/lib/systemd/timers",
            "/var/lib/systemd/coredump",
            "/var/lib/systemd/random-seed",
            "/var/lib/nixos",
            "/var/lib/docker",
            "/var/lib/containers",
            "/var/lib/libvirt",
            "/var/lib/lxd",
            "/var/lib/incus",
            "/var/lib/flatpak",
            "/var/lib/fwupd",
            "/var/lib/cups",
            "/var/lib/colord",
            "/var/lib/fprint",
            "/var/lib/upower",
            "/var/lib/AccountsService",
            "/var/lib/gdm",
            "/var/lib/sddm",
            "/var/lib/tailscale",
            "/var/lib/syncthing",
            "/var/lib/postgresql",
            "/var/lib/mysql",
            "/var/lib/nextcloud",
            "/var/lib/hass",
            "/var/lib/jellyfin",
            "/var/lib/plex",
            "/var/lib/sops-nix",
            "/var/lib/tpm",
        ] {
            assert!(has(system(path)), "{path}");
        }
        for path in [
            ".steam",
            ".local/share/Steam",
            ".mozilla/firefox",
            ".config/chromium",
            ".local/share/keyrings",
            ".local/share/kwalletd",
            ".ssh",
            ".gnupg",
            ".bash_history",
            ".zsh_history",
            ".thunderbird",
            ".config/Code",
            ".config/JetBrains",
        ] {
            assert!(has(home(path)), "{path}");
        }
        assert!(catalogue.presets.iter().any(|preset| preset.id == "agenix"));
    }
}
