// SPDX-License-Identifier: GPL-3.0-or-later
//! Checks of the live system before the review: what would make an install
//! fail or stop halfway, each said as a sentence with what to do.

use std::path::Path;

use gettextrs::gettext;

use crate::i18n::gettext_f;
use crate::plan::{Desktop, ImpermanenceSource, Plan};

/// Below this charge, on battery, an install (an hour on a slow disk) may
/// not finish.
pub const MINIMUM_BATTERY_PERCENT: f64 = 30.0;

/// How the computer is powered, as UPower reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Power {
    Mains,
    Battery { percent: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum PreflightProblem {
    NotUefi,
    LowBattery { percent: f64 },
    NoNetwork,
}

impl PreflightProblem {
    pub fn message(&self) -> String {
        match self {
            PreflightProblem::NotUefi => gettext(
                "This computer did not start the live system in UEFI mode, and Keepsake installs a UEFI boot loader. Restart and choose the installation medium’s UEFI entry in the firmware’s boot menu.",
            ),
            PreflightProblem::LowBattery { percent } => gettext_f(
                // xgettext:no-c-format
                "The battery is at {percent} % and the charger is not connected. Connect it before installing: an install that stops halfway leaves the disk erased.",
                &[("percent", &format!("{percent:.0}"))],
            ),
            PreflightProblem::NoNetwork => gettext(
                "This plan downloads software while installing, but there is no network connection. Connect to a network, or choose the live session’s desktop and the impermanence copy Keepsake carries.",
            ),
        }
    }
}

/// Whether the install downloads something: the impermanence module when
/// it is fetched, or a desktop the live system does not carry (the live
/// session's desktop is in its Nix store).
pub fn needs_network(plan: &Plan, live_desktop: Option<Desktop>) -> bool {
    plan.impermanence == ImpermanenceSource::Fetch
        || (plan.desktop.is_graphical() && Some(plan.desktop) != live_desktop)
}

/// The problems found; `sys` is where sysfs is mounted (`/sys`), `power`
/// is `None` when UPower cannot tell, `network_up` whether a network is
/// available.
pub fn check(
    sys: &Path,
    power: Option<Power>,
    needs_network: bool,
    network_up: bool,
) -> Vec<PreflightProblem> {
    let mut problems = Vec::new();
    if !sys.join("firmware/efi").is_dir() {
        problems.push(PreflightProblem::NotUefi);
    }
    if let Some(Power::Battery { percent }) = power {
        if percent <= MINIMUM_BATTERY_PERCENT {
            problems.push(PreflightProblem::LowBattery { percent });
        }
    }
    if needs_network && !network_up {
        problems.push(PreflightProblem::NoNetwork);
    }
    problems
}

/// Asks UPower on the system bus; `None` when it is not running.
pub async fn power() -> Option<Power> {
    let connection = zbus::Connection::system().await.ok()?;
    let upower = zbus::Proxy::new(
        &connection,
        "org.freedesktop.UPower",
        "/org/freedesktop/UPower",
        "org.freedesktop.UPower",
    )
    .await
    .ok()?;
    let on_battery: bool = upower.get_property("OnBattery").await.ok()?;
    if !on_battery {
        return Some(Power::Mains);
    }
    let display = zbus::Proxy::new(
        &connection,
        "org.freedesktop.UPower",
        "/org/freedesktop/UPower/devices/DisplayDevice",
        "org.freedesktop.UPower.Device",
    )
    .await
    .ok()?;
    let percent: f64 = display.get_property("Percentage").await.ok()?;
    Some(Power::Battery { percent })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_is_found_and_nothing_else() {
        let uefi = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(uefi.path().join("firmware/efi")).unwrap();
        let bios = tempfile::tempdir().unwrap();
        assert_eq!(check(uefi.path(), Some(Power::Mains), true, true), []);
        assert_eq!(check(uefi.path(), None, false, false), []);
        assert_eq!(
            check(
                bios.path(),
                Some(Power::Battery { percent: 80.0 }),
                false,
                false
            ),
            [PreflightProblem::NotUefi]
        );
        assert_eq!(
            check(
                uefi.path(),
                Some(Power::Battery { percent: 30.0 }),
                true,
                false
            ),
            [
                PreflightProblem::LowBattery { percent: 30.0 },
                PreflightProblem::NoNetwork
            ]
        );
        assert!(
            PreflightProblem::LowBattery { percent: 12.4 }
                .message()
                .contains("12 %")
        );
    }

    #[test]
    fn the_network_is_needed_for_a_download_only() {
        let mut plan = Plan::example();
        assert!(!needs_network(&plan, Some(Desktop::Gnome)));
        assert!(needs_network(&plan, Some(Desktop::Plasma6)));
        assert!(needs_network(&plan, None));
        plan.desktop = Desktop::None;
        assert!(!needs_network(&plan, None));
        plan.impermanence = ImpermanenceSource::Fetch;
        assert!(needs_network(&plan, None));
    }
}
