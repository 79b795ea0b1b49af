// SPDX-License-Identifier: GPL-3.0-or-later
//! `configuration.nix`: imports the other files and holds the system
//! settings.

use super::header;
use super::writer::{Attrs, File, Value};
use crate::plan::Plan;

pub fn render(plan: &Plan) -> String {
    let system = &plan.system;
    let mut body = Attrs::new();
    body.set(
        ["imports"],
        Value::List(
            [
                "./hardware-configuration.nix",
                "./storage.nix",
                "./persistence.nix",
                "./users.nix",
            ]
            .into_iter()
            .map(|path| Value::Raw(path.to_owned()))
            .collect(),
        ),
    );
    body.blank_line()
        .set(["boot", "loader", "systemd-boot", "enable"], true)
        .set(["boot", "loader", "efi", "canTouchEfiVariables"], true)
        .blank_line()
        .set(["networking", "hostName"], system.hostname.as_str())
        .set(["networking", "networkmanager", "enable"], true)
        .blank_line()
        .set(["time", "timeZone"], system.time_zone.as_str())
        .set(["i18n", "defaultLocale"], system.locale.as_str())
        .set(
            ["services", "xserver", "xkb", "layout"],
            system.xkb_layout.as_str(),
        );
    if !system.xkb_variant.is_empty() {
        body.set(
            ["services", "xserver", "xkb", "variant"],
            system.xkb_variant.as_str(),
        );
    }
    body.comment("The console, and so the passphrase prompt at boot, uses the same layout.")
        .set(["console", "useXkbConfig"], true)
        .blank_line()
        .comment("The release this system was first installed with; keep it when upgrading.")
        .set(["system", "stateVersion"], system.state_version.as_str());
    File {
        header: header(
            "The system's settings; it imports the other generated files.",
            "You may edit this file freely: Keepsake does not write it again after\n\
             installation.",
        ),
        bindings: Vec::new(),
        body,
    }
    .print()
}
