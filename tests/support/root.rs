// SPDX-License-Identifier: GPL-3.0-or-later
//! Tests that change owners, mount or write as root run only as root. The
//! build root always runs them as root, so there a missing root is a broken
//! set-up that would hide failures, not a reason to skip.

/// Whether the test can go on; a loud skip elsewhere, a failure in the
/// build root.
pub fn running_as_root() -> bool {
    let root = rustix::process::geteuid().is_root();
    assert!(
        root || std::env::var("KEEPSAKE_IN_BUILDROOT").as_deref() != Ok("1"),
        "this test needs root, and the build root runs tests as root: something changed the user"
    );
    if !root {
        eprintln!(
            "SKIPPED: this test needs root (it runs as root in the build root, build-aux/dev)"
        );
    }
    root
}
