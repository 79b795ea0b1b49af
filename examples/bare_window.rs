// SPDX-License-Identifier: GPL-3.0-or-later
//! The floor for `build-aux/bench-startup`: the smallest libadwaita window
//! (a header bar and a status page), built from the same crates and
//! profile as Keepsake and timed by the same first-frame report, so that
//! Keepsake's start-up can be read as a ratio to what any app pays.
//!
//! `cargo run --release --example bare_window -- --screenshot FILE`

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use adw::prelude::*;

fn main() -> ExitCode {
    let launched = Instant::now();
    let screenshot = std::env::args()
        .skip_while(|arg| arg != "--screenshot")
        .nth(1)
        .map(PathBuf::from);
    let app = adw::Application::builder()
        .application_id("io.github.keepsake.Keepsake.BareWindow")
        .build();
    app.connect_activate(move |app| {
        let content = adw::ToolbarView::new();
        content.add_top_bar(&adw::HeaderBar::new());
        content.set_content(Some(
            &adw::StatusPage::builder()
                .title("Bare Window")
                .icon_name("drive-harddisk-symbolic")
                .build(),
        ));
        let window = adw::ApplicationWindow::builder()
            .application(app)
            .title("Bare Window")
            .default_width(950)
            .default_height(700)
            .content(&content)
            .build();
        if let Some(path) = &screenshot {
            keepsake::ui::save_after_first_frame(&window, path.clone(), launched);
        }
        window.present();
    });
    ExitCode::from(app.run_with_args::<&str>(&[]).get())
}
