// SPDX-License-Identifier: GPL-3.0-or-later
//! Every page of the wizard, as demo mode builds it, in English and in every
//! language of po/LINGUAS: no two different labels on a page share a
//! mnemonic, so Alt and a letter always reach one control. (The wizard test
//! checks the pages again as its drive changes them, in four languages.)
//!
//! Needs a display: CI runs it under `xvfb-run dbus-run-session`.

use std::cell::RefCell;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use keepsake::GuiOptions;
use keepsake::ui::{KsApplication, KsWindow, prepare};

use self::page_widgets::mnemonic_clashes;

#[path = "support/page_widgets.rs"]
mod page_widgets;

/// Set in a child run to the language it looks at.
const LANGUAGE_CHILD: &str = "KEEPSAKE_MNEMONICS_LANGUAGE";
/// A locale the build root has: with any locale but C, gettext follows
/// LANGUAGE.
const LOCALE: &str = "en_US.UTF-8";
/// A language's run builds one window; this only turns a hang into a
/// failure that says which language it was.
const CHILD_DEADLINE: Duration = Duration::from_secs(180);

/// The tags of the wizard's pages, in window.ui's order.
const PAGES: [&str; 13] = [
    "welcome",
    "disk",
    "keyboard",
    "encryption",
    "layout",
    "persistence",
    "system",
    "software",
    "users",
    "review",
    "progress",
    "done",
    "failed",
];

/// The clashes on every page of a demo window, as “page: clash”; an entry
/// for a page that is missing.
fn clashes_in_demo_window() -> Vec<String> {
    let found: Rc<RefCell<Option<Vec<String>>>> = Rc::new(RefCell::new(None));
    let options = GuiOptions {
        demo: true,
        screenshot: None,
        ..GuiOptions::default()
    };
    let app = KsApplication::new(&options, Instant::now());
    app.set_flags(gio::ApplicationFlags::NON_UNIQUE);
    app.connect_window_added(glib::clone!(
        #[strong]
        found,
        move |app, window| {
            if found.borrow().is_some() {
                return;
            }
            let window = window.clone().downcast::<KsWindow>().expect("a KsWindow");
            window.ensure_pages();
            let view = window.navigation_view();
            let clashes = PAGES
                .iter()
                .flat_map(|tag| match view.find_page(tag) {
                    Some(page) => mnemonic_clashes(page.upcast_ref())
                        .into_iter()
                        .map(|clash| format!("{tag}: {clash}"))
                        .collect(),
                    None => vec![format!("{tag}: no such page")],
                })
                .collect();
            found.replace(Some(clashes));
            app.quit();
        }
    ));
    app.run_with_args::<&str>(&[]);
    found
        .take()
        .unwrap_or_else(|| vec!["the window never appeared".to_owned()])
}

/// Runs this test again for `language` and says how it went.
fn run_in(language: &str) -> Result<(), String> {
    let mut child = Command::new(std::env::current_exe().map_err(|error| error.to_string())?)
        .env(LANGUAGE_CHILD, language)
        .env("LANG", LOCALE)
        .env("LANGUAGE", language)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .spawn()
        .map_err(|error| format!("could not start the {language} run: {error}"))?;
    let deadline = Instant::now() + CHILD_DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("the {language} run ended with {status}")),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "gave up after {} s waiting for the {language} run to end",
                    CHILD_DEADLINE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(error) => return Err(format!("could not wait for the {language} run: {error}")),
        }
    }
}

fn main() -> ExitCode {
    keepsake::i18n::init();
    if let Ok(language) = std::env::var(LANGUAGE_CHILD) {
        prepare();
        // The catalogue must be the one looked at, not English by accident.
        let next = gettextrs::gettext("_Next");
        if language != "en" && next == "_Next" {
            println!("FAILED: {language}: the catalogue is not loaded");
            return ExitCode::FAILURE;
        }
        let clashes = clashes_in_demo_window();
        for clash in &clashes {
            println!("FAILED: {language}: two labels share a mnemonic on {clash}");
        }
        if clashes.is_empty() {
            println!(
                "ok: {language}: no mnemonic twice on any of the {} pages",
                PAGES.len()
            );
            return ExitCode::SUCCESS;
        }
        return ExitCode::FAILURE;
    }
    let linguas = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("po/LINGUAS"))
        .expect("po/LINGUAS is readable");
    let languages: Vec<&str> = std::iter::once("en")
        .chain(
            linguas
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#')),
        )
        .collect();
    let failed: Vec<String> = languages
        .iter()
        .filter_map(|language| run_in(language).err())
        .collect();
    for failure in &failed {
        println!("FAILED: {failure}");
    }
    println!(
        "{} languages looked at, {} failed",
        languages.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
