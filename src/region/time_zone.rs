// SPDX-License-Identifier: GPL-3.0-or-later
//! Time zones from the system's tz database and the live session's zone.

use std::path::Path;
use std::process::Command;

/// The tz database in the compact form zic reads; every distribution with
/// tzdata installs it.
pub const TZDATA: &str = "/usr/share/zoneinfo/tzdata.zi";

/// The zone that needs no place.
pub const UTC: &str = "UTC";

/// The named places of the tz database (`Europe/Zurich`), sorted, and UTC.
/// Links (old and alternative names) and the fixed `Etc/` offsets are left
/// out so each place is offered once.
pub fn read_zones(path: &Path) -> std::io::Result<Vec<String>> {
    Ok(parse_zones(&std::fs::read_to_string(path)?))
}

pub fn parse_zones(tzdata: &str) -> Vec<String> {
    let mut zones: Vec<String> = tzdata
        .lines()
        .filter_map(|line| line.strip_prefix("Z "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|name| name.contains('/') && !name.starts_with("Etc/"))
        .map(str::to_owned)
        .collect();
    zones.push(UTC.to_owned());
    zones.sort();
    zones.dedup();
    zones
}

/// The live session's zone: the target of /etc/localtime, else what
/// timedatectl says.
pub fn live_zone() -> Option<String> {
    std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|target| zone_of_localtime_target(&target))
        .or_else(|| {
            let output = Command::new("timedatectl")
                .args(["show", "--property=Timezone", "--value"])
                .output()
                .ok()
                .filter(|output| output.status.success())?;
            let zone = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            (!zone.is_empty()).then_some(zone)
        })
}

/// `Europe/Zurich` for `/usr/share/zoneinfo/Europe/Zurich` (or NixOS's
/// `/etc/zoneinfo/…`); the `Etc/` spellings of UTC as `UTC`.
pub fn zone_of_localtime_target(target: &Path) -> Option<String> {
    let text = target.to_str()?;
    let (_, zone) = text.rsplit_once("zoneinfo/")?;
    let zone = zone.trim_start_matches("posix/");
    if zone.is_empty() {
        return None;
    }
    Some(match zone {
        "Etc/UTC" | "Etc/UCT" | "Etc/Universal" | "Etc/Zulu" | "UCT" | "Universal" | "Zulu" => {
            UTC.to_owned()
        }
        _ => zone.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_the_named_places_and_utc() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tzdata.zi");
        let zones = read_zones(&path).expect("the fixture reads");
        assert_eq!(
            zones,
            [
                "America/New_York",
                "Asia/Jerusalem",
                "Europe/Berlin",
                "Europe/Zurich",
                "UTC"
            ]
        );
    }

    #[test]
    fn localtime_targets_name_their_zone() {
        let zone = |target: &str| zone_of_localtime_target(Path::new(target));
        assert_eq!(
            zone("/usr/share/zoneinfo/Europe/Zurich").as_deref(),
            Some("Europe/Zurich")
        );
        assert_eq!(
            zone("../usr/share/zoneinfo/posix/Asia/Jerusalem").as_deref(),
            Some("Asia/Jerusalem")
        );
        assert_eq!(zone("/etc/zoneinfo/Etc/UTC").as_deref(), Some(UTC));
        assert_eq!(zone("/usr/share/zoneinfo/"), None);
        assert_eq!(zone("/etc/timezone-file"), None);
    }
}
