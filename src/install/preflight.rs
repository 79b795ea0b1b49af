// SPDX-License-Identifier: GPL-3.0-or-later
//! Checks of the live system before the review: what would make an install
//! fail or stop halfway, each said as a sentence with what to do.

use std::path::Path;

use gettextrs::gettext;

use crate::i18n::gettext_f;
use crate::plan::{Desktop, ImpermanenceSource, Plan, Service};

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
    NoNetwork { downloads: Vec<Download> },
}

/// Software `nixos-install` has to download because the installation
/// medium's Nix store does not have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    /// The impermanence module, when the plan fetches it.
    Impermanence,
    Desktop(Desktop),
    Service(Service),
}

impl Download {
    /// The name shown in the pre-flight sentence.
    pub fn label(self) -> String {
        match self {
            Download::Impermanence => gettext("the impermanence module"),
            Download::Desktop(desktop) => desktop.label(),
            Download::Service(service) => service.label(),
        }
    }
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
            PreflightProblem::NoNetwork { downloads } => {
                let names: Vec<String> =
                    downloads.iter().map(|download| download.label()).collect();
                // Translators: {downloads} is a list such as “KDE Plasma 6, Docker”.
                gettext_f(
                    "Installing this plan downloads software that the installation medium does not have: {downloads}. There is no network connection: connect to a network, or leave these out of the plan.",
                    &[("downloads", &names.join(", "))],
                )
            }
        }
    }
}

/// What the install downloads: the impermanence module when it is
/// fetched, a desktop other than the live session's (which is in the live
/// system's store), and every chosen service whose packages the medium
/// lacks. Empty when the install needs no network.
pub fn needs_network(plan: &Plan, live_desktop: Option<Desktop>) -> Vec<Download> {
    let impermanence =
        (plan.impermanence == ImpermanenceSource::Fetch).then_some(Download::Impermanence);
    let desktop = (plan.desktop.is_graphical() && Some(plan.desktop) != live_desktop)
        .then_some(Download::Desktop(plan.desktop));
    let services = plan
        .services
        .iter()
        .filter(|service| !on_installation_medium(**service, live_desktop))
        .map(|service| Download::Service(*service));
    impermanence
        .into_iter()
        .chain(desktop)
        .chain(services)
        .collect()
}

/// Whether the live system's store holds what `service` runs. Every NixOS
/// installation medium enables OpenSSH (profiles/installation-device.nix),
/// and GNOME enables Bluetooth by default (services.gnome.core-os-services);
/// nothing on the media turns on CUPS, Docker, Podman, Flatpak, Tailscale
/// or fwupd.
fn on_installation_medium(service: Service, live_desktop: Option<Desktop>) -> bool {
    match service {
        Service::Ssh => true,
        Service::Bluetooth => live_desktop == Some(Desktop::Gnome),
        Service::Printing
        | Service::Docker
        | Service::Podman
        | Service::Flatpak
        | Service::Tailscale
        | Service::Fwupd => false,
    }
}

/// The problems found; `sys` is where sysfs is mounted (`/sys`), `power`
/// is `None` when UPower cannot tell, `downloads` what
/// [`needs_network`] found, `network_up` whether a network is available.
pub fn check(
    sys: &Path,
    power: Option<Power>,
    downloads: Vec<Download>,
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
    if !downloads.is_empty() && !network_up {
        problems.push(PreflightProblem::NoNetwork { downloads });
    }
    problems
}

/// Asks UPower on the system bus; `None` when it is not running.
pub async fn power() -> Option<Power> {
    power_on(&zbus::Connection::system().await.ok()?).await
}

/// Asks the UPower on `connection`: on battery, the display device's
/// charge, which is what UPower itself shows for all batteries together.
pub async fn power_on(connection: &zbus::Connection) -> Option<Power> {
    let upower = zbus::Proxy::new(
        connection,
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
        connection,
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

    /// What a UPower says about the power supply.
    struct FakeUPower {
        on_battery: bool,
    }

    #[zbus::interface(name = "org.freedesktop.UPower")]
    impl FakeUPower {
        #[zbus(property)]
        fn on_battery(&self) -> bool {
            self.on_battery
        }
    }

    /// What a UPower says about the batteries together.
    struct FakeDisplayDevice {
        percentage: f64,
    }

    #[zbus::interface(name = "org.freedesktop.UPower.Device")]
    impl FakeDisplayDevice {
        #[zbus(property)]
        fn percentage(&self) -> f64 {
            self.percentage
        }
    }

    /// What `power_on` reads from a stand-in UPower owning its name on the
    /// session bus, which it gives up afterwards.
    async fn power_from(on_battery: bool, percentage: f64) -> Option<Power> {
        let upower = zbus::connection::Builder::session()
            .unwrap()
            .name("org.freedesktop.UPower")
            .unwrap()
            .serve_at("/org/freedesktop/UPower", FakeUPower { on_battery })
            .unwrap()
            .serve_at(
                "/org/freedesktop/UPower/devices/DisplayDevice",
                FakeDisplayDevice { percentage },
            )
            .unwrap()
            .build()
            .await
            .expect("the session bus lets a test own UPower's name");
        let client = zbus::Connection::session().await.unwrap();
        let power = power_on(&client).await;
        // Before the next stand-in asks for the name.
        upower
            .release_name("org.freedesktop.UPower")
            .await
            .expect("the stand-in owns its name");
        power
    }

    #[test]
    fn power_is_read_from_upower() {
        if !super::super::session_bus_tests::session_bus_available() {
            return;
        }
        // One after the other: each stand-in owns the one name.
        async_io::block_on(async {
            assert_eq!(power_from(false, 12.0).await, Some(Power::Mains));
            assert_eq!(
                power_from(true, 25.0).await,
                Some(Power::Battery { percent: 25.0 })
            );
            let client = zbus::Connection::session().await.unwrap();
            assert_eq!(power_on(&client).await, None, "no UPower, no answer");
        });
    }

    #[test]
    fn each_problem_is_found_and_nothing_else() {
        let uefi = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(uefi.path().join("firmware/efi")).unwrap();
        let bios = tempfile::tempdir().unwrap();
        let docker = || vec![Download::Service(Service::Docker)];
        assert_eq!(check(uefi.path(), Some(Power::Mains), docker(), true), []);
        assert_eq!(check(uefi.path(), None, Vec::new(), false), []);
        assert_eq!(
            check(
                bios.path(),
                Some(Power::Battery { percent: 80.0 }),
                Vec::new(),
                false
            ),
            [PreflightProblem::NotUefi]
        );
        assert_eq!(
            check(
                uefi.path(),
                Some(Power::Battery { percent: 30.0 }),
                docker(),
                false
            ),
            [
                PreflightProblem::LowBattery { percent: 30.0 },
                PreflightProblem::NoNetwork {
                    downloads: docker()
                }
            ]
        );
        assert!(
            PreflightProblem::LowBattery { percent: 12.4 }
                .message()
                .contains("12 %")
        );
        let message = PreflightProblem::NoNetwork {
            downloads: vec![
                Download::Desktop(Desktop::Plasma6),
                Download::Service(Service::Docker),
            ],
        }
        .message();
        assert!(message.contains("KDE Plasma 6, Docker"), "{message}");
    }

    #[test]
    fn the_network_is_needed_for_what_the_medium_lacks_only() {
        use Download::{Desktop as D, Service as S};
        let mut plan = Plan::example();
        // GNOME, Bluetooth and printing: CUPS is on no medium.
        assert_eq!(
            needs_network(&plan, Some(Desktop::Gnome)),
            [S(Service::Printing)]
        );
        assert_eq!(
            needs_network(&plan, Some(Desktop::Plasma6)),
            [
                D(Desktop::Gnome),
                S(Service::Bluetooth),
                S(Service::Printing)
            ]
        );
        plan.set_service(Service::Printing, false);
        plan.set_service(Service::Ssh, true);
        assert_eq!(needs_network(&plan, Some(Desktop::Gnome)), []);
        plan.desktop = Desktop::None;
        plan.set_service(Service::Bluetooth, false);
        assert_eq!(needs_network(&plan, None), []);
        for service in [
            Service::Docker,
            Service::Podman,
            Service::Tailscale,
            Service::Fwupd,
        ] {
            let mut with = plan.clone();
            with.set_service(service, true);
            assert_eq!(needs_network(&with, None), [S(service)], "{service:?}");
        }
        plan.impermanence = ImpermanenceSource::Fetch;
        assert_eq!(needs_network(&plan, None), [Download::Impermanence]);
    }
}
