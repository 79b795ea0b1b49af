// SPDX-License-Identifier: GPL-3.0-or-later
//! Build metadata. Meson passes these through the environment of `cargo
//! build`; a plain `cargo build` gets the development defaults.

/// The application ID; `.Devel` in development builds.
pub const APP_ID: &str = match option_env!("KEEPSAKE_APP_ID") {
    Some(id) => id,
    None => "io.github.keepsake.Keepsake.Devel",
};

/// The ID of released builds, which names the polkit action and icons.
pub const BASE_APP_ID: &str = "io.github.keepsake.Keepsake";

pub const VERSION: &str = match option_env!("KEEPSAKE_VERSION") {
    Some(version) => version,
    None => env!("CARGO_PKG_VERSION"),
};

pub const GETTEXT_PACKAGE: &str = "keepsake";

/// Where compiled translations live. Without meson, the `.mo` files built
/// into `target/locale` by the tests are used.
pub const LOCALEDIR: &str = match option_env!("KEEPSAKE_LOCALEDIR") {
    Some(dir) => dir,
    None => concat!(env!("CARGO_MANIFEST_DIR"), "/target/locale"),
};

pub const PROFILE: &str = match option_env!("KEEPSAKE_PROFILE") {
    Some(profile) => profile,
    None => "development",
};

/// The polkit action that lets `keepsake-helper` run as root.
pub const POLKIT_ACTION: &str = "io.github.keepsake.Keepsake.install";
