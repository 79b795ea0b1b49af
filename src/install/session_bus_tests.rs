// SPDX-License-Identifier: GPL-3.0-or-later
//! For the tests that stand in for a system service (logind, UPower) on the
//! session bus: CI runs every test under dbus-run-session, a developer's
//! shell may have no session bus.

/// Whether a session bus is there; false (the caller skips, loudly) only
/// outside CI, where it must be.
pub(super) fn session_bus_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI must run the tests with a session bus"
    );
    eprintln!("skipped: no session bus");
    false
}
