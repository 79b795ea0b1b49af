// SPDX-License-Identifier: GPL-3.0-or-later
//! The wizard's figures in demo mode: launch to first frame, resident
//! memory, and the longest main-loop stall while typing into a subvolume on
//! the layout page of a plan with 30 subvolumes and 500 persistence entries.
//!
//! `xvfb-run -a dbus-run-session -- cargo bench --bench ui`

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use keepsake::GuiOptions;
use keepsake::plan::{PersistentDirectory, Subvolume, default_mount_options};
use keepsake::ui::{KsApplication, KsWindow, prepare};

const SUBVOLUMES: usize = 30;
const PERSISTENCE_ENTRIES: usize = 500;
const KEY_PRESSES: usize = 40;

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn find(parent: &gtk::Widget, name: &str) -> Option<gtk::Widget> {
    if parent.widget_name() == name {
        return Some(parent.clone());
    }
    let mut child = parent.first_child();
    while let Some(widget) = child {
        if let Some(found) = find(&widget, name) {
            return Some(found);
        }
        child = widget.next_sibling();
    }
    None
}

async fn measure_typing(window: KsWindow) {
    let model = window.plan_model();
    model.update(|plan| {
        for index in plan.subvolumes.len()..SUBVOLUMES {
            plan.subvolumes.push(Subvolume {
                name: format!("data{index}"),
                mount_point: format!("/srv/data{index}"),
                options: default_mount_options(false),
            });
        }
        for index in plan.persistence.directories.len()..PERSISTENCE_ENTRIES {
            plan.persistence
                .directories
                .push(PersistentDirectory::new(&format!(
                    "/var/lib/service{index}"
                )));
        }
    });
    window.navigation_view().push_by_tag("layout");
    glib::timeout_future(Duration::from_millis(500)).await;
    let page = window
        .navigation_view()
        .visible_page()
        .expect("the layout page");
    let row = find(page.upcast_ref(), "subvolume-29").expect("30 subvolume rows");
    let entry = find(&row, "subvolume-name")
        .and_downcast::<gtk::Editable>()
        .expect("the name entry");

    // A 1 ms timer: the longest gap between its runs is the longest time
    // the main loop was busy with something else.
    let last_tick = Rc::new(Cell::new(Instant::now()));
    let longest_stall = Rc::new(Cell::new(Duration::ZERO));
    let ticker = glib::timeout_add_local(
        Duration::from_millis(1),
        glib::clone!(
            #[strong]
            last_tick,
            #[strong]
            longest_stall,
            move || {
                let now = Instant::now();
                longest_stall.set(longest_stall.get().max(now - last_tick.get()));
                last_tick.set(now);
                glib::ControlFlow::Continue
            }
        ),
    );
    let mut handler_times = Vec::with_capacity(KEY_PRESSES);
    let mut text = String::from("data29");
    for key in 0..KEY_PRESSES {
        text.push(char::from(b'a' + (key % 26) as u8));
        let started = Instant::now();
        entry.set_text(&text);
        handler_times.push(started.elapsed());
        // About the pace of fast typing.
        glib::timeout_future(Duration::from_millis(60)).await;
    }
    ticker.remove();
    handler_times.sort();
    println!(
        "typing in the layout page ({SUBVOLUMES} subvolumes, {PERSISTENCE_ENTRIES} persistence entries, {KEY_PRESSES} key presses):"
    );
    println!(
        "  per key press: median {:.1} ms, max {:.1} ms",
        handler_times[KEY_PRESSES / 2].as_secs_f64() * 1000.0,
        handler_times[KEY_PRESSES - 1].as_secs_f64() * 1000.0
    );
    println!(
        "  longest main-loop stall: {:.1} ms",
        longest_stall.get().as_secs_f64() * 1000.0
    );
    println!(
        "  resident memory afterwards: {} MiB",
        resident_kib() / 1024
    );
}

fn main() {
    let launched = Instant::now();
    keepsake::i18n::init();
    prepare();
    let options = GuiOptions {
        demo: true,
        screenshot: None,
        ..GuiOptions::default()
    };
    let app = KsApplication::new(&options, launched);
    app.set_flags(gio::ApplicationFlags::NON_UNIQUE);
    let started = Rc::new(RefCell::new(false));
    app.connect_window_added(move |app, window| {
        if started.replace(true) {
            return;
        }
        let window = window.clone().downcast::<KsWindow>().expect("a KsWindow");
        let app = app.clone();
        window.connect_map(move |window| {
            let Some(clock) = window.frame_clock() else {
                return;
            };
            let window = window.clone().downcast::<KsWindow>().expect("a KsWindow");
            let measured = Cell::new(false);
            let app = app.clone();
            clock.connect_after_paint(move |_| {
                if measured.replace(true) {
                    return;
                }
                println!(
                    "launch to first frame: {} ms; resident memory: {} MiB",
                    launched.elapsed().as_millis(),
                    resident_kib() / 1024
                );
                let (window, app) = (window.clone(), app.clone());
                glib::spawn_future_local(async move {
                    measure_typing(window).await;
                    app.quit();
                });
            });
        });
    });
    app.run_with_args::<&str>(&[]);
}
