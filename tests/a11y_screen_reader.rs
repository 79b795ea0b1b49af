// SPDX-License-Identifier: GPL-3.0-or-later
//! Looks at the wizard as a screen reader does: runs
//! `tests/a11y/screen_reader.py`, which starts `keepsake --demo` with
//! accessibility on, drives it from the welcome page to the done page (and
//! through a cancelled and a failed install, and the editor; in English
//! and in Hebrew) and walks the AT-SPI tree of every page and dialog on the
//! way, listening for what the app announces. See the script for what
//! fails it.
//!
//! Needs a display, a D-Bus session, whose bus starts the accessibility bus
//! on demand, and the compiled catalogues (build-aux/compile-translations):
//! CI runs it under `xvfb-run dbus-run-session`. When the accessibility bus
//! cannot start, it fails in CI and in the build root, where it must run;
//! elsewhere it skips, saying so loudly.

use std::path::Path;
use std::process::Command;

/// What the script exits with when the AT-SPI bus cannot start.
const SKIPPED: i32 = 77;

/// Where a skip would hide a broken setup: CI, and the build root CI uses.
fn must_run() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
        || std::env::var("KEEPSAKE_IN_BUILDROOT").is_ok_and(|value| value == "1")
}

#[test]
fn every_wizard_page_makes_sense_to_a_screen_reader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new("python3")
        .arg(root.join("tests/a11y/screen_reader.py"))
        .arg(env!("CARGO_BIN_EXE_keepsake"))
        .current_dir(root)
        .status()
        .expect("python3 runs (the build root has python3-gi and gir1.2-atspi-2.0)");
    if status.code() == Some(SKIPPED) {
        assert!(
            !must_run(),
            "the AT-SPI accessibility bus could not start (see above), and in CI or the build \
             root the screen-reader walk must run: start the test under dbus-run-session with \
             at-spi2-core installed"
        );
        eprintln!(
            "\n*** SKIPPED: the AT-SPI accessibility bus could not start, so the \
             screen-reader walk of the wizard did not run (see above) ***\n"
        );
        return;
    }
    assert!(
        status.success(),
        "the screen-reader walk of the wizard failed ({status}): see the FAILED lines above"
    );
}
