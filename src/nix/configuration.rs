// SPDX-License-Identifier: GPL-3.0-or-later
//! `configuration.nix`: imports the other files and holds the system
//! settings.

use super::header;
use super::writer::{Attrs, File, Value};
use crate::plan::{Desktop, Plan, Service};
use crate::region::locale::FORMAT_CATEGORIES;

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
        .set(["i18n", "defaultLocale"], system.locale.as_str());
    if !system.formats.is_empty() && system.formats != system.locale {
        let mut formats = Attrs::new();
        for category in FORMAT_CATEGORIES {
            formats.set([category], system.formats.as_str());
        }
        body.comment("Dates, numbers, money, paper and units as in this locale.")
            .set(["i18n", "extraLocaleSettings"], formats);
    }
    body.set(
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
        .blank_line();
    desktop(&mut body, plan);
    services(&mut body, plan);
    body.comment("The release this system was first installed with; keep it when upgrading.")
        .set(["system", "stateVersion"], system.state_version.as_str());
    File {
        arguments: if needs_portal(plan) {
            vec!["pkgs"]
        } else {
            Vec::new()
        },
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

/// GNOME and GDM moved out of `services.xserver` in NixOS 25.11; the older
/// names still work there, with a warning, but the new ones do not exist
/// before.
const GNOME_MOVED_IN: (u32, u32) = (25, 11);

/// `25.11` as `(25, 11)`; a malformed version (refused by validation) as
/// the newest.
fn release(version: &str) -> (u32, u32) {
    version
        .split_once('.')
        .and_then(|(year, month)| Some((year.parse().ok()?, month.parse().ok()?)))
        .unwrap_or((u32::MAX, u32::MAX))
}

fn desktop(body: &mut Attrs, plan: &Plan) {
    let moved = release(&plan.system.state_version) >= GNOME_MOVED_IN;
    match plan.desktop {
        Desktop::None => return,
        Desktop::Gnome if moved => {
            body.comment("The desktop: GNOME with the GDM login screen.")
                .set(["services", "displayManager", "gdm", "enable"], true)
                .set(["services", "desktopManager", "gnome", "enable"], true);
        }
        Desktop::Gnome => {
            body.comment("The desktop: GNOME with the GDM login screen (NixOS 25.05 names).")
                .set(["services", "xserver", "enable"], true)
                .set(
                    ["services", "xserver", "displayManager", "gdm", "enable"],
                    true,
                )
                .set(
                    ["services", "xserver", "desktopManager", "gnome", "enable"],
                    true,
                );
        }
        Desktop::Plasma6 => {
            body.comment("The desktop: KDE Plasma 6 with the SDDM login screen.")
                .set(["services", "displayManager", "sddm", "enable"], true)
                .comment("SDDM needs X11 or its Wayland greeter; Plasma 6 runs on Wayland.")
                .set(
                    ["services", "displayManager", "sddm", "wayland", "enable"],
                    true,
                )
                .set(["services", "desktopManager", "plasma6", "enable"], true);
        }
        Desktop::Xfce => {
            body.comment("The desktop: Xfce on X11 with the LightDM login screen.")
                .set(["services", "xserver", "enable"], true)
                .set(
                    ["services", "xserver", "displayManager", "lightdm", "enable"],
                    true,
                )
                .set(
                    ["services", "xserver", "desktopManager", "xfce", "enable"],
                    true,
                );
        }
    }
    body.blank_line()
        .comment("Sound through PipeWire, also for ALSA and PulseAudio programs.")
        .set(["security", "rtkit", "enable"], true)
        .set(["services", "pipewire", "enable"], true)
        .set(["services", "pipewire", "alsa", "enable"], true)
        .set(["services", "pipewire", "pulse", "enable"], true)
        .blank_line();
}

fn services(body: &mut Attrs, plan: &Plan) {
    if plan.services.is_empty() {
        return;
    }
    body.comment("Services; what each keeps is listed in persistence.nix.");
    for service in Service::ALL {
        if plan.services.contains(&service) {
            body.set(service.option(), true);
        }
    }
    if needs_portal(plan) {
        body.comment("Flatpak needs the desktop portals, which Xfce does not turn on.")
            .set(["xdg", "portal", "enable"], true)
            .set(
                ["xdg", "portal", "extraPortals"],
                Value::List(vec![Value::Raw("pkgs.xdg-desktop-portal-gtk".to_owned())]),
            );
    }
    body.blank_line();
}

/// GNOME and Plasma turn on the portals Flatpak asserts; Xfce does not.
fn needs_portal(plan: &Plan) -> bool {
    plan.desktop == Desktop::Xfce && plan.services.contains(&Service::Flatpak)
}
