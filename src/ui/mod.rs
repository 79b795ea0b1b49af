// SPDX-License-Identifier: GPL-3.0-or-later
//! The graphical interface: the only module that touches GTK.
//!
//! Widget tree:
//!
//! ```text
//! KsApplication
//! └── KsWindow (AdwApplicationWindow)
//!     └── AdwNavigationView
//!         └── KsWelcomePage
//! ```

mod application;
mod screenshot;
mod welcome_page;
mod window;

use std::process::ExitCode;
use std::time::Instant;

use gtk::prelude::*;
use gtk::{gio, glib};

pub use self::application::KsApplication;
pub use self::welcome_page::KsWelcomePage;
pub use self::window::KsWindow;
use crate::cli::GuiOptions;

/// Runs the application until its last window closes.
pub fn run(options: GuiOptions) -> ExitCode {
    let launched = Instant::now();
    gio::resources_register_include!("keepsake.gresource")
        .expect("the GResource is compiled into the binary by build.rs");
    glib::set_application_name("Keepsake");
    register_types();

    let app = KsApplication::new(&options, launched);
    // Our own command line was parsed by clap already: GApplication must not
    // see (and reject) our flags.
    let status = app.run_with_args::<&str>(&[]);
    ExitCode::from(status.get())
}

/// Every custom type must exist before a template that names it is built.
fn register_types() {
    KsWelcomePage::ensure_type();
    KsWindow::ensure_type();
}
