// SPDX-License-Identifier: GPL-3.0-or-later
//! Compiles the GResource of the interface, so that `cargo build` alone
//! gives a working binary (meson only adds installation).

fn main() {
    #[cfg(feature = "gui")]
    glib_build_tools::compile_resources(
        &["data"],
        "data/resources.gresource.xml",
        "keepsake.gresource",
    );
}
