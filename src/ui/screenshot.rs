// SPDX-License-Identifier: GPL-3.0-or-later
//! `--screenshot`: the window saves itself as a PNG once it has drawn its
//! first frame, so headless machines and tests can see what a person would.

use std::path::{Path, PathBuf};
use std::time::Instant;

use adw::prelude::*;
use gtk::{glib, graphene};

use super::KsWindow;
use super::editor::KsEditorWindow;

/// After the window's first frame: prints how long start-up took, saves the
/// window as a PNG at `path`, prints the path and quits the application.
pub fn save_after_first_frame(window: &impl IsA<gtk::Window>, path: PathBuf, launched: Instant) {
    let window = window.as_ref().clone();
    window.connect_map(move |window| {
        let Some(clock) = window.frame_clock() else {
            return;
        };
        let handler = std::rc::Rc::new(std::cell::Cell::new(None));
        let path = path.clone();
        let handler_in_callback = handler.clone();
        let id = clock.connect_after_paint(glib::clone!(
            #[weak]
            window,
            move |clock| {
                if let Some(id) = handler_in_callback.take() {
                    clock.disconnect(id);
                }
                let title = window.title().unwrap_or_default();
                let wizard_page = window
                    .downcast_ref::<KsWindow>()
                    .and_then(|window| window.navigation_view().visible_page())
                    .map(|page| page.title());
                let editor_page = window.downcast_ref::<KsEditorWindow>().and_then(|window| {
                    let stack = window.view_stack();
                    let child = stack.visible_child()?;
                    stack.page(&child).title()
                });
                let page = wizard_page.or(editor_page).unwrap_or_default();
                println!(
                    "keepsake: window \"{title}\" mapped showing page \"{page}\"; first frame {} ms after launch, peak RSS {} KiB",
                    launched.elapsed().as_millis(),
                    peak_rss_kib().unwrap_or(0)
                );
                let path = path.clone();
                // Rendering inside the paint cycle is not allowed.
                glib::idle_add_local_once(move || {
                    match save_png(&window, &path) {
                        Ok(()) => println!("keepsake: screenshot saved to {}", path.display()),
                        Err(error) => eprintln!(
                            "keepsake: could not save the screenshot to {}: {error}",
                            path.display()
                        ),
                    }
                    if let Some(app) = window.application() {
                        app.quit();
                    }
                });
            }
        ));
        handler.set(Some(id));
    });
}

/// The process's peak resident set size, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Renders `window` as it is now into a PNG at `path`.
pub fn save_png(window: &gtk::Window, path: &Path) -> anyhow::Result<()> {
    let width = window.width();
    let height = window.height();
    let paintable = gtk::WidgetPaintable::new(Some(window));
    let snapshot = gtk::Snapshot::new();
    paintable.snapshot(&snapshot, f64::from(width), f64::from(height));
    let node = snapshot
        .to_node()
        .ok_or_else(|| anyhow::anyhow!("the window drew nothing"))?;
    let renderer = window
        .renderer()
        .ok_or_else(|| anyhow::anyhow!("the window has no renderer"))?;
    let bounds = graphene::Rect::new(0.0, 0.0, width as f32, height as f32);
    let texture = renderer.render_texture(node, Some(&bounds));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    texture.save_to_png(path)?;
    Ok(())
}
