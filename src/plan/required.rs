// SPDX-License-Identifier: GPL-3.0-or-later
//! What an installed system cannot do without, and subvolumes described in
//! plain words: the wizard shows required rows without a remove button and
//! with the reason, and speaks of compression instead of mount options.

use gettextrs::gettext;

use super::Plan;

impl Plan {
    /// Why the subvolume mounted at `mount_point` cannot be removed, or
    /// `None` when it can.
    pub fn required_subvolume_reason(&self, mount_point: &str) -> Option<String> {
        if mount_point == "/nix" {
            Some(gettext(
                "Required: the system and every program are stored here",
            ))
        } else if mount_point == self.persistence.path {
            Some(gettext(
                "Required: everything kept at every boot is stored here",
            ))
        } else if mount_point == "/etc/nixos" {
            Some(gettext(
                "Required: the configuration of the system is written here",
            ))
        } else {
            None
        }
    }
}

/// Why the kept system path `path` cannot be given up, or `None` when it
/// can. NixOS itself needs these two across reboots.
pub fn required_entry_reason(path: &str) -> Option<String> {
    match path {
        "/var/lib/nixos" => Some(gettext(
            "Required: NixOS records here which user and group numbers it gave out, so files keep their owners",
        )),
        "/etc/machine-id" => Some(gettext(
            "Required: this computer’s identity, without which the system journal starts anew at every boot",
        )),
        _ => None,
    }
}

/// A subvolume's mount options as a person reads them, for example
/// “Compressed, on an SSD”; the options themselves are behind an expander.
pub fn mount_options_in_words(options: &[String]) -> String {
    let compressed = options
        .iter()
        .any(|option| option.starts_with("compress") && !option.ends_with("=no"));
    let ssd = options.iter().any(|option| option == "ssd");
    match (compressed, ssd) {
        (true, true) => gettext("Compressed, on an SSD"),
        (true, false) => gettext("Compressed"),
        (false, true) => gettext("Not compressed, on an SSD"),
        (false, false) => gettext("Not compressed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(list: &[&str]) -> Vec<String> {
        list.iter().map(|option| (*option).to_owned()).collect()
    }

    #[test]
    fn the_store_the_storage_and_the_configuration_are_required() {
        let plan = Plan::example();
        for mount_point in ["/nix", "/persist", "/etc/nixos"] {
            assert!(
                plan.required_subvolume_reason(mount_point)
                    .is_some_and(|reason| reason.starts_with("Required: ")),
                "{mount_point}"
            );
        }
        assert_eq!(plan.required_subvolume_reason("/home"), None);
        let mut moved = plan.clone();
        moved.persistence.path = "/nix/persist".to_owned();
        assert!(moved.required_subvolume_reason("/nix/persist").is_some());
        assert_eq!(moved.required_subvolume_reason("/persist"), None);
    }

    #[test]
    fn nixos_state_is_required_and_the_rest_is_not() {
        assert!(required_entry_reason("/var/lib/nixos").is_some());
        assert!(required_entry_reason("/etc/machine-id").is_some());
        assert_eq!(required_entry_reason("/var/log"), None);
        assert_eq!(required_entry_reason("/var/lib/nixos/uid-map"), None);
    }

    #[test]
    fn mount_options_read_as_words() {
        let recipe = super::super::default_mount_options(false);
        assert_eq!(mount_options_in_words(&recipe), "Compressed, on an SSD");
        assert_eq!(
            mount_options_in_words(&super::super::default_mount_options(true)),
            "Compressed"
        );
        assert_eq!(
            mount_options_in_words(&options(&["compress=no", "noatime"])),
            "Not compressed"
        );
        assert_eq!(
            mount_options_in_words(&options(&["nodatacow", "ssd"])),
            "Not compressed, on an SSD"
        );
    }
}
