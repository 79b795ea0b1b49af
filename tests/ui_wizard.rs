// SPDX-License-Identifier: GPL-3.0-or-later
//! Drives the install wizard in demo mode from the welcome page to the done
//! page through its real widgets, checks the plan and the Nix preview, and
//! saves a screenshot of every page at 950 px and at 360 px under
//! `target/screenshots/`. Then every other ending: without encryption, a
//! cancel, a failure, a refused password, Ctrl+Q and closing the window
//! during an install. Then runs itself again in German, Hebrew and Arabic
//! (right to left), each as a live session in that language whose keyboard
//! is Swiss French, which the wizard must adopt.
//!
//! Needs a display: CI runs it under `xvfb-run dbus-run-session`.
//!
//! Every wait has a deadline and names what it waited for; the test fails
//! unless the drive reached its last step.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use keepsake::GuiOptions;
use keepsake::i18n::{gettext_f, isolate};
use keepsake::install::preflight::{self, Download};
use keepsake::plan::{
    Desktop, RecoveryKey, Service, mount_options_in_words, required_entry_reason,
};
use keepsake::ui::{
    DemoOutcome, KsApplication, KsDiskPage, KsNixPreview, KsProgressPage, KsReviewPage,
    KsStrengthMeter, KsWindow, KsWizardPage, prepare, save_png,
};

use self::page_widgets::{mnemonic_clashes, unnamed_icon_buttons};

#[path = "support/page_widgets.rs"]
mod page_widgets;

/// Set in the child runs to the language they drive the wizard in.
const LANGUAGE_CHILD: &str = "KEEPSAKE_UI_TEST_LANGUAGE";

/// The runs after the English one: German for its long words, Hebrew and
/// Arabic for right to left. (language, locale, screenshot prefix, name)
const OTHER_LANGUAGES: [(&str, &str, &str, &str); 3] = [
    ("de", "de_DE.UTF-8", "de-", "German"),
    ("he", "he_IL.UTF-8", "rtl-", "Hebrew"),
    ("ar", "ar_EG.UTF-8", "ar-", "Arabic"),
];

/// The input source of the live session this test gives the wizard, as
/// layout and variant, and its name in xkeyboard-config's registry.
const LIVE_INPUT_SOURCE: (&str, &str) = ("ch", "fr");
const LIVE_INPUT_SOURCE_NAME: &str = "French (Switzerland)";

/// Deadlines, generous because CI machines are slow and shared: they only
/// turn a hang into a failure that says what never happened.
const WIDGETS_DEADLINE: Duration = Duration::from_secs(20);
const INSTALL_DEADLINE: Duration = Duration::from_secs(180);
const LANGUAGE_RUN_DEADLINE: Duration = Duration::from_secs(600);

/// Why the drive stopped before its last step.
#[derive(Debug)]
struct Stuck(String);

/// Lets the main loop run until `done` is true, or fails after `limit`
/// naming `what` it waited for.
async fn wait_until(
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<(), Stuck> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline {
            return Err(Stuck(format!(
                "gave up after {} s waiting for {what}",
                limit.as_secs()
            )));
        }
        settle().await;
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    passed: Cell<u32>,
    failed: Cell<u32>,
    reached_end: Cell<bool>,
}

impl Tally {
    fn check(&self, ok: bool, what: &str) {
        if ok {
            self.passed.set(self.passed.get() + 1);
            println!("ok: {what}");
        } else {
            self.failed.set(self.failed.get() + 1);
            println!("FAILED: {what}");
        }
    }
}

struct Driver {
    window: KsWindow,
    tally: Rc<Tally>,
    prefix: &'static str,
}

impl Driver {
    fn page(&self) -> adw::NavigationPage {
        self.window
            .navigation_view()
            .visible_page()
            .expect("the navigation view always shows a page")
    }

    fn tag(&self) -> String {
        self.page().tag().map(String::from).unwrap_or_default()
    }

    /// The widget named `name` on the visible page.
    fn find(&self, name: &str) -> gtk::Widget {
        find_in(self.page().upcast_ref(), name)
            .unwrap_or_else(|| panic!("no widget named {name} on page {}", self.tag()))
    }

    fn find_in_widget(&self, parent: &gtk::Widget, name: &str) -> gtk::Widget {
        find_in(parent, name).unwrap_or_else(|| panic!("no widget named {name}"))
    }

    fn set_text(&self, name: &str, text: &str) {
        self.find(name)
            .downcast::<gtk::Editable>()
            .expect("an editable")
            .set_text(text);
    }

    fn next_sensitive(&self) -> bool {
        self.find("next").is_sensitive()
    }

    fn preview(&self) -> String {
        let mut previews = Vec::new();
        collect::<KsNixPreview>(self.page().upcast_ref(), &mut previews);
        previews.iter().map(KsNixPreview::text).collect()
    }

    fn label_shown(&self, name: &str) -> Option<String> {
        let label = self.find(name).downcast::<gtk::Label>().expect("a label");
        (label.is_visible() && !label.label().is_empty()).then(|| label.label().into())
    }

    async fn click(&self, name: &str) {
        self.find(name)
            .downcast::<gtk::Button>()
            .expect("a button")
            .emit_clicked();
        settle().await;
    }

    /// Moves the focus with Tab, as a keyboard-only user would, until it
    /// reaches the widget named `name`; false if it never does.
    /// A widget that waits for its layout is skipped by Tab, so each try
    /// starts again after the main loop has run.
    async fn focus_by_tab(&self, name: &str) -> bool {
        let target = self.find(name);
        let mut visited = Vec::new();
        let reached = wait_until(&format!("Tab to reach {name}"), WIDGETS_DEADLINE, || {
            GtkWindowExt::set_focus(&self.window, None::<&gtk::Widget>);
            visited.clear();
            // Enough for every preset's Keep button after Show All.
            (0..1000).any(|_| {
                self.window.child_focus(gtk::DirectionType::TabForward);
                let focus = GtkWindowExt::focus(&self.window);
                if visited.len() < 12 {
                    visited.push(focus.as_ref().map_or_else(
                        || "none".to_owned(),
                        |widget| format!("{}:{}", widget.type_().name(), widget.widget_name()),
                    ));
                }
                focus.as_ref() == Some(&target)
            })
        })
        .await
        .is_ok();
        if !reached {
            eprintln!("Tab never reached {name}; the focus went to {visited:?}");
        }
        reached
    }

    /// Presses Enter in the text field named `name`: GTK binds the key to
    /// the `activate` signal of the field's text.
    async fn press_enter_in(&self, name: &str) {
        let field = self.find(name);
        field.grab_focus();
        let mut texts = Vec::new();
        collect::<gtk::Text>(&field, &mut texts);
        texts
            .first()
            .unwrap_or_else(|| panic!("{name} is a text field"))
            .emit_by_name::<()>("activate", &[]);
        settle().await;
    }

    /// Enter in the field `name` goes on to the page `expected_tag`, as
    /// Next does; Tab still reaches Next.
    async fn enter_goes_next(&self, name: &str, expected_tag: &str) -> Result<(), Stuck> {
        let page = self.tag();
        let reachable = self.focus_by_tab("next").await;
        self.tally
            .check(reachable, &format!("Tab reaches Next on the {page} page"));
        let default = GtkWindowExt::default_widget(&self.window);
        self.tally.check(
            default.as_ref() == Some(&self.find("next")),
            &format!(
                "Next is the window's default widget on the {page} page (it is {:?} on {:?})",
                default.as_ref().map(|widget| widget.widget_name()),
                default
                    .and_then(|widget| widget.ancestor(adw::NavigationPage::static_type()))
                    .and_downcast::<adw::NavigationPage>()
                    .and_then(|page| page.tag())
            ),
        );
        self.press_enter_in(name).await;
        wait_until(
            &format!("Enter in {name} on the {page} page to lead to the {expected_tag} page"),
            WIDGETS_DEADLINE,
            || self.tag() == expected_tag,
        )
        .await?;
        self.tally.check(
            true,
            &format!("Enter in {name} goes from the {page} page to the {expected_tag} page"),
        );
        settle().await;
        Ok(())
    }

    async fn go_next(&self, expected_tag: &str) -> Result<(), Stuck> {
        let page = self.tag();
        let reachable = self.focus_by_tab("next").await;
        self.tally
            .check(reachable, &format!("Tab reaches Next on the {page} page"));
        if reachable {
            // What Enter or Space does to the focused button; GTK shows the
            // press for a quarter of a second before the click.
            self.find("next").activate();
        } else {
            self.click("next").await;
        }
        wait_until(
            &format!("Next on the {page} page to lead to the {expected_tag} page"),
            WIDGETS_DEADLINE,
            || self.tag() == expected_tag,
        )
        .await?;
        settle().await;
        Ok(())
    }

    /// Saves the window at its normal size and at 360 px wide, each once
    /// the window has taken that width.
    async fn screenshots(&self, name: &str) -> Result<(), Stuck> {
        self.screenshots_scrolled_to(name, None).await
    }

    /// Scrolls the page so the widget named `name` is at the top.
    fn scroll_to(&self, name: &str) {
        let target = self.find(name);
        let scrolled = target
            .ancestor(gtk::ScrolledWindow::static_type())
            .and_downcast::<gtk::ScrolledWindow>()
            .expect("the widget is in a scrolled window");
        // The viewport's child moves as a whole; positions in it do not
        // depend on the current scroll.
        let content = scrolled
            .child()
            .and_downcast::<gtk::Viewport>()
            .and_then(|viewport| viewport.child())
            .expect("a scrolled window around a viewport");
        let top = target
            .compute_point(&content, &gtk::graphene::Point::new(0.0, 0.0))
            .expect("the widget is inside the viewport's child");
        scrolled.vadjustment().set_value(f64::from(top.y()) - 12.0);
    }

    /// As [`Driver::screenshots`], with the page scrolled to the widget
    /// named `target` at each width.
    async fn screenshots_scrolled_to(&self, name: &str, target: Option<&str>) -> Result<(), Stuck> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        for (width, suffix) in [(950, "wide"), (360, "narrow")] {
            self.window.set_default_size(width, 720);
            // Client-side decorations may take a few pixels off.
            wait_until(
                &format!("the window to become {width} px wide for {name}"),
                WIDGETS_DEADLINE,
                || (self.window.width() - width).abs() <= 10,
            )
            .await?;
            // A breakpoint that the new width crosses applies its setters
            // during this allocation and lays the page out again in the
            // next frame.
            settle().await;
            if let Some(target) = target {
                self.scroll_to(target);
                settle().await;
            }
            let banner = self
                .find_in_widget(self.window.upcast_ref(), "demo-banner")
                .downcast::<adw::Banner>()
                .expect("the demo banner");
            self.tally.check(
                banner.is_revealed() && banner.is_mapped() && banner.height() > 0,
                &format!("the demo banner is on screen at {width} px on {name}"),
            );
            // The form pages: their controls must be reachable with the
            // page's own scrolling alone. (The failure page's log scrolls
            // by itself, with nothing to fill in below it.)
            if width == 360 && self.page().is::<KsWizardPage>() {
                let nested = nested_scrollers(self.page().upcast_ref());
                self.tally.check(
                    nested.is_empty(),
                    &format!(
                        "at 360 px nothing on {name} scrolls inside the page's scroller {nested:?}"
                    ),
                );
            }
            let path = dir.join(format!("{}{name}-{suffix}.png", self.prefix));
            // A window with a resize pending (the progress page relabels
            // itself all the time) draws nothing until its next layout.
            let mut last_error = String::new();
            let saved = wait_until(
                &format!("{} to be drawn", path.display()),
                WIDGETS_DEADLINE,
                || match save_png(self.window.upcast_ref(), &path) {
                    Ok(()) => true,
                    Err(error) => {
                        last_error = error.to_string();
                        false
                    }
                },
            )
            .await;
            let failure = if saved.is_ok() {
                ""
            } else {
                last_error.as_str()
            };
            self.tally.check(
                saved.is_ok(),
                &format!("screenshot {} at {width} px {failure}", path.display()),
            );
        }
        self.window.set_default_size(960, 720);
        wait_until(
            &format!("the window to return to 960 px after {name}"),
            WIDGETS_DEADLINE,
            || (self.window.width() - 960).abs() <= 10,
        )
        .await?;
        settle().await;
        Ok(())
    }
}

fn find_in(parent: &gtk::Widget, name: &str) -> Option<gtk::Widget> {
    if parent.widget_name() == name {
        return Some(parent.clone());
    }
    let mut child = parent.first_child();
    while let Some(widget) = child {
        if let Some(found) = find_in(&widget, name) {
            return Some(found);
        }
        child = widget.next_sibling();
    }
    None
}

fn collect<T: IsA<gtk::Widget>>(parent: &gtk::Widget, found: &mut Vec<T>) {
    if let Some(widget) = parent.downcast_ref::<T>() {
        found.push(widget.clone());
    }
    let mut child = parent.first_child();
    while let Some(widget) = child {
        collect(&widget, found);
        child = widget.next_sibling();
    }
}

/// The names (or types) of the shown vertical scrollers inside another
/// scroller under `parent`: each traps the wheel and the touchpad half way
/// down the page. Popovers float above the page and do not count.
fn nested_scrollers(parent: &gtk::Widget) -> Vec<String> {
    fn walk(widget: &gtk::Widget, inside_scroller: bool, found: &mut Vec<String>) {
        if widget.is::<gtk::Popover>() || !widget.is_visible() {
            return;
        }
        let scroller = widget
            .downcast_ref::<gtk::ScrolledWindow>()
            .filter(|scroller| scroller.vscrollbar_policy() != gtk::PolicyType::Never);
        if scroller.is_some() && inside_scroller {
            let parent = widget
                .parent()
                .map(|parent| parent.widget_name().to_string());
            found.push(format!(
                "{} in {}",
                widget.widget_name(),
                parent.unwrap_or_default()
            ));
        }
        let inside = inside_scroller || scroller.is_some();
        let mut child = widget.first_child();
        while let Some(next) = child {
            walk(&next, inside, found);
            child = next.next_sibling();
        }
    }
    let mut found = Vec::new();
    walk(parent, false, &mut found);
    found
}

/// Lets GTK lay out and draw a frame.
async fn settle() {
    glib::timeout_future(Duration::from_millis(150)).await;
}

async fn drive(driver: &Driver) -> Result<(), Stuck> {
    let tally = driver.tally.clone();
    let model = driver.window.plan_model();
    settle().await;
    tally.check(
        driver.tag() == "welcome",
        "the wizard starts on the welcome page",
    );
    driver.screenshots("01-welcome").await?;
    WidgetExt::activate_action(&driver.page(), "welcome.explain", None).unwrap();
    settle().await;
    let explanation = driver
        .window
        .visible_dialog()
        .and_downcast::<adw::AlertDialog>();
    tally.check(
        explanation.as_ref().is_some_and(|dialog| {
            dialog.heading().as_deref()
                == Some(gettextrs::gettext("What Is Erased at Every Boot?").as_str())
        }),
        "the welcome page explains what is erased at every boot",
    );
    if let Some(dialog) = explanation {
        dialog.close();
        settle().await;
    }
    WidgetExt::activate_action(&driver.window, "win.start-install", None).unwrap();
    settle().await;

    // Disk
    tally.check(driver.tag() == "disk", "Install NixOS opens the disk page");
    wait_until(
        "the fake NVMe disk in the disk list",
        WIDGETS_DEADLINE,
        || find_in(driver.page().upcast_ref(), "disk:/dev/nvme0n1").is_some(),
    )
    .await?;
    tally.check(!driver.next_sensitive(), "Next waits for a disk");
    let stick = driver.find("disk:/dev/sdb");
    tally.check(
        !driver.find("disk-choice:/dev/sdb").is_sensitive()
            && stick.is_sensitive()
            && stick.is_focusable(),
        "the live USB stick is refused, but only its choice is insensitive",
    );
    let reason = driver.find("disk-reason-0:/dev/sdb");
    let mut reason_labels = Vec::new();
    collect::<gtk::Label>(&reason, &mut reason_labels);
    let mut reason_icons = Vec::new();
    collect::<gtk::Image>(&reason, &mut reason_icons);
    tally.check(
        reason.is_visible()
            && reason_icons.len() == 1
            && reason_labels
                .iter()
                .any(|label| !label.label().is_empty() && !label.has_css_class("dim-label")),
        "the refusal reason is at full contrast beside an icon",
    );
    tally.check(
        driver.focus_by_tab("disk:/dev/sdb").await,
        "Tab reaches the refused disk, so its reason can be read",
    );
    let mut windows_labels = Vec::new();
    collect::<gtk::Label>(&driver.find("disk-warning:/dev/sda"), &mut windows_labels);
    tally.check(
        windows_labels
            .iter()
            .any(|label| label.label() == gettextrs::gettext("Windows will be erased")),
        "the disk holding Windows says Windows will be erased",
    );
    tally.check(
        find_in(driver.page().upcast_ref(), "disk-warning:/dev/nvme0n1").is_none(),
        "the empty NVMe disk warns of no system",
    );
    let mut nvme_labels = Vec::new();
    collect::<gtk::Label>(&driver.find("disk:/dev/nvme0n1"), &mut nvme_labels);
    tally.check(
        nvme_labels.iter().any(|label| {
            label.label().starts_with("/dev/disk/by-id/")
                && label.ellipsize() == gtk::pango::EllipsizeMode::Middle
        }),
        "the by-id path ellipsizes in the middle",
    );
    driver.find("disk:/dev/nvme0n1").activate();
    settle().await;
    tally.check(
        model.with_plan(|plan| {
            plan.disk
                .as_ref()
                .is_some_and(|disk| disk.by_id_path.contains("nvme"))
        }),
        "choosing the NVMe disk puts it in the plan",
    );
    tally.check(
        driver.next_sensitive(),
        "Next is sensitive with a usable disk",
    );
    driver.screenshots("02-disk").await?;
    driver.go_next("keyboard").await?;
    keyboard_page(driver).await?;
    driver.go_next("encryption").await?;

    // Encryption
    let swiss = format!(
        "{} {}",
        gettextrs::gettext("At boot you will type this with: {keyboard}")
            .split("{keyboard}")
            .next()
            .unwrap_or_default()
            .trim_end(),
        gettextrs::dgettext("xkeyboard-config", "German (Switzerland)")
    );
    let mut groups = Vec::new();
    collect::<adw::PreferencesGroup>(driver.page().upcast_ref(), &mut groups);
    tally.check(
        groups.iter().any(|group| {
            group
                .description()
                .is_some_and(|text| text.contains(&swiss))
        }),
        &format!("the encryption page says “{swiss}”"),
    );
    tally.check(!driver.next_sensitive(), "Next waits for a passphrase");
    let strength_bar = driver
        .find("strength-bar")
        .downcast::<gtk::LevelBar>()
        .unwrap();
    driver.set_text("passphrase", "kx7!qpz");
    driver.set_text("passphrase-repeat", "kx7!qpz");
    settle().await;
    tally.check(
        driver
            .label_shown("strength")
            .is_some_and(|text| text.contains('8'))
            && driver.label_shown("mismatch-label").is_none()
            && !driver.next_sensitive(),
        "a passphrase of seven characters is refused, saying the minimum once",
    );
    driver.set_text("passphrase", "password123");
    driver.set_text("passphrase-repeat", "password123");
    settle().await;
    let weak_label = driver.find("strength");
    tally.check(
        driver.next_sensitive()
            && weak_label.has_css_class("warning")
            && strength_bar.value() == 1.0
            && strength_bar.offset_value(Some("weak")) == Some(1.0),
        "a weak passphrase fills one block and its hint is a warning",
    );
    tally.check(
        driver.label_shown("strength").is_some_and(|text| {
            text.contains(&gettextrs::gettext(
                "This is one of the most common passwords.",
            ))
        }),
        "the hint for a common password is our own sentence",
    );
    driver.screenshots("03-encryption-weak").await?;
    driver.click("next").await;
    let weak_dialog = driver
        .window
        .visible_dialog()
        .and_downcast::<adw::AlertDialog>();
    tally.check(
        driver.tag() == "encryption"
            && weak_dialog.as_ref().is_some_and(|dialog| {
                dialog.heading().as_deref()
                    == Some(gettextrs::gettext("Use a Weak Passphrase?").as_str())
                    && dialog.default_response().as_deref() == Some("change")
            }),
        "Next with a weak passphrase asks first, changing it being the default",
    );
    if let Some(dialog) = weak_dialog {
        dialog.emit_by_name::<()>("response", &[&"change"]);
        dialog.force_close();
        settle().await;
    }
    tally.check(
        driver.tag() == "encryption",
        "choosing to change the weak passphrase stays on the page",
    );
    driver.set_text("passphrase", "correct horse battery staple");
    driver.set_text("passphrase-repeat", "correct horse battery stapel");
    settle().await;
    tally.check(
        driver.label_shown("mismatch-label").is_some() && !driver.next_sensitive(),
        "different passphrases are shown inline and keep Next insensitive",
    );
    driver.press_enter_in("passphrase-repeat").await;
    tally.check(
        driver.tag() == "encryption" && driver.window.visible_dialog().is_none(),
        "Enter does not go on while the passphrases differ",
    );
    driver.set_text("passphrase-repeat", "correct horse battery staple");
    settle().await;
    tally.check(
        driver.label_shown("mismatch-label").is_none() && driver.next_sensitive(),
        "equal passphrases make Next sensitive",
    );
    tally.check(
        model.with_plan(|plan| plan.encryption.passphrase.is_some()),
        "the passphrase is in the plan",
    );
    tally.check(
        driver.preview().contains("boot.initrd.luks.devices"),
        "the preview shows the LUKS device",
    );
    tally.check(
        strength_bar.value() == 4.0 && !driver.find("strength").has_css_class("warning"),
        "a passphrase of four words fills the bar",
    );
    driver.screenshots("03-encryption").await?;
    nix_preview_toggle(driver).await?;
    recovery_key(driver).await?;
    driver
        .enter_goes_next("passphrase-repeat", "persistence")
        .await?;
    tally.check(
        driver.window.visible_dialog().is_none(),
        "a strong passphrase goes on without a question",
    );

    // Persistence
    required_entries_and_undo(driver).await?;
    driver.set_text("add-directory", "/var/lib/libvirt");
    driver
        .find("add-directory")
        .emit_by_name::<()>("apply", &[]);
    settle().await;
    tally.check(
        model.with_plan(|plan| {
            plan.persistence
                .directories
                .iter()
                .any(|d| d.path == "/var/lib/libvirt")
        }) && driver.preview().contains("\"/var/lib/libvirt\""),
        "an added directory is in the plan and the preview",
    );
    driver.set_text("add-directory", "var/tmp-stuff");
    driver
        .find("add-directory")
        .emit_by_name::<()>("apply", &[]);
    settle().await;
    tally.check(!driver.next_sensitive(), "a relative entry disables Next");
    driver.click("remove:var/tmp-stuff").await;
    tally.check(
        driver.next_sensitive(),
        "removing it makes Next sensitive again",
    );

    // Layout, an advanced page opened from the persistence page
    let open_layout = driver.find("open-layout");
    tally.check(
        open_layout.is::<gtk::Button>() && driver.focus_by_tab("open-layout").await,
        "the persistence page has a row to the disk layout, its button reached by Tab",
    );
    // What Enter on the focused button does.
    open_layout.activate();
    wait_until(
        "the Disk Layout row to open the layout page",
        WIDGETS_DEADLINE,
        || driver.tag() == "layout",
    )
    .await?;
    settle().await;
    required_subvolumes_and_undo(driver).await?;
    driver
        .page()
        .activate_action("layout.add-subvolume", None)
        .unwrap();
    settle().await;
    let row = driver.find("subvolume-4");
    let set_row = |name: &str, text: &str| {
        driver
            .find_in_widget(&row, name)
            .downcast::<gtk::Editable>()
            .unwrap()
            .set_text(text);
    };
    set_row("subvolume-name", "docker");
    set_row("subvolume-mount-point", "/var/lib/docker");
    settle().await;
    tally.check(
        driver.preview().contains("subvol=docker"),
        "adding docker at /var/lib/docker puts subvol=docker in the preview",
    );
    tally.check(
        model.with_plan(|plan| {
            plan.subvolumes
                .iter()
                .any(|s| s.name == "docker" && s.mount_point == "/var/lib/docker")
        }),
        "the docker subvolume is in the plan",
    );
    set_row("subvolume-mount-point", "var/lib/docker");
    settle().await;
    let problem = driver
        .find_in_widget(&row, "subvolume-problem")
        .downcast::<gtk::Label>()
        .unwrap();
    tally.check(
        !driver.next_sensitive(),
        "an invalid mount point disables Done",
    );
    tally.check(
        problem.is_visible() && problem.label().contains("var/lib/docker"),
        "an invalid mount point shows its message next to the row",
    );
    set_row("subvolume-mount-point", "/var/lib/docker");
    settle().await;
    tally.check(
        driver.next_sensitive(),
        "fixing the mount point makes Done sensitive",
    );
    driver.screenshots("04-layout").await?;
    driver.go_next("persistence").await?;
    driver.screenshots("05-persistence").await?;
    persistence_presets(driver).await?;
    driver.go_next("system").await?;

    // System
    driver.set_text("hostname", "-bad");
    settle().await;
    tally.check(
        driver.label_shown("hostname-problem-label").is_some() && !driver.next_sensitive(),
        "an invalid host name is explained and disables Next",
    );
    driver.press_enter_in("hostname").await;
    tally.check(
        driver.tag() == "system",
        "Enter does not go on with an invalid host name",
    );
    driver.set_text("hostname", "keepsake-test");
    let zones = driver
        .find("time-zone")
        .downcast::<adw::ComboRow>()
        .unwrap();
    let berlin = (0..zones.model().unwrap().n_items()).find(|&index| {
        zones
            .model()
            .unwrap()
            .item(index)
            .and_downcast::<gtk::StringObject>()
            .is_some_and(|item| item.string() == "Europe/Berlin")
    });
    let berlin_time = || {
        glib::DateTime::now(&glib::TimeZone::new(Some("Europe/Berlin")))
            .and_then(|now| now.format("%R"))
            .expect("GLib formats the time")
    };
    // The row's time is taken somewhere between selecting and reading it,
    // which may cross a minute boundary: either side's minute is right.
    let before = berlin_time();
    zones.set_selected(berlin.expect("Europe/Berlin is listed"));
    settle().await;
    let (subtitle, after) = (zones.subtitle().unwrap_or_default(), berlin_time());
    tally.check(
        subtitle.contains(before.as_str()) || subtitle.contains(after.as_str()),
        &format!("the time zone row shows the time in Berlin ({before}): “{subtitle}”"),
    );
    let preview = driver.preview();
    tally.check(
        preview.contains("services.xserver.xkb.layout = \"ch\";")
            && preview.contains("console.useXkbConfig = true;"),
        "the chosen keyboard reaches the preview, for the console too",
    );
    tally.check(
        preview.contains("\"keepsake-test\"") && preview.contains("\"Europe/Berlin\""),
        "host name and time zone reach the preview",
    );
    tally.check(
        preview.contains("LC_TIME = \"de_CH.UTF-8\";")
            && preview.contains("LC_MONETARY = \"de_CH.UTF-8\";"),
        "the Swiss formats reach the preview as extra locale settings",
    );
    tally.check(driver.next_sensitive(), "a valid system page allows Next");
    driver.screenshots("06-system").await?;
    driver.enter_goes_next("hostname", "software").await?;

    // Software
    let check_of = |name: &str| {
        let mut checks = Vec::new();
        collect::<gtk::CheckButton>(&driver.find(name), &mut checks);
        checks.pop().expect("a desktop row has a radio button")
    };
    // Each language run starts from another live desktop (see run_in); the
    // main run has none, where GNOME, the live ISO's own, is the default.
    let (live_desktop, live_option) = match std::env::var("XDG_CURRENT_DESKTOP")
        .ok()
        .and_then(|value| Desktop::from_current_desktop(&value))
    {
        Some(Desktop::Plasma6) => ("plasma6", "services.desktopManager.plasma6.enable = true;"),
        Some(Desktop::Xfce) => (
            "xfce",
            "services.xserver.desktopManager.xfce.enable = true;",
        ),
        _ => ("gnome", "services.desktopManager.gnome.enable = true;"),
    };
    let desktop_rows = [
        "desktop:gnome",
        "desktop:plasma6",
        "desktop:xfce",
        "desktop:none",
    ];
    tally.check(
        desktop_rows
            .iter()
            .all(|row| check_of(row).is_active() == (*row == format!("desktop:{live_desktop}"))),
        &format!("the live session's desktop ({live_desktop}) is preselected, and only it"),
    );
    tally.check(
        driver.preview().contains(live_option),
        &format!("the preview enables the live session's desktop ({live_desktop})"),
    );
    let switch = |name: &str| {
        driver
            .find(name)
            .downcast::<adw::SwitchRow>()
            .expect("a service is a switch row")
    };
    tally.check(
        switch("service:docker")
            .subtitle()
            .is_some_and(|s| s.contains("/var/lib/docker")),
        "the Docker switch says what it keeps",
    );
    switch("service:docker").set_active(true);
    switch("service:flatpak").set_active(true);
    settle().await;
    tally.check(
        driver
            .preview()
            .contains("virtualisation.docker.enable = true;")
            && model.with_plan(|plan| {
                plan.services.contains(&Service::Docker) && plan.keeps("/var/lib/docker")
            }),
        "switching Docker on enables it; /var/lib/docker is kept (on its subvolume)",
    );
    check_of("desktop:none").activate();
    settle().await;
    tally.check(
        driver.label_shown("software-problem-label").is_some() && !driver.next_sensitive(),
        "Flatpak without a desktop is explained and disables Next",
    );
    check_of("desktop:plasma6").activate();
    settle().await;
    tally.check(
        driver.next_sensitive()
            && driver
                .preview()
                .contains("services.desktopManager.plasma6.enable = true;")
            && !driver.preview().contains("gnome"),
        "choosing Plasma replaces GNOME in the preview",
    );
    driver.screenshots("06b-software").await?;
    driver.go_next("users").await?;

    // Users
    tally.check(
        driver
            .label_shown("users-passwords-note")
            .is_some_and(|note| {
                note.contains("users.mutableUsers = false") && note.contains("Keepsake")
            }),
        "the users page says passwords are changed with Keepsake, not passwd",
    );
    driver.set_text("full-name", "Ada Lovelace");
    settle().await;
    let user_name = driver
        .find("user-name")
        .downcast::<gtk::Editable>()
        .unwrap();
    tally.check(
        user_name.text() == "ada",
        "the user name is derived from the full name",
    );
    driver.set_text("password", "analytical engine");
    driver.set_text("password-repeat", "analytical engine");
    settle().await;
    tally.check(
        driver.next_sensitive(),
        "a named user with a password allows Next",
    );
    tally.check(
        driver.preview().contains("ada") && !driver.preview().contains("analytical"),
        "the preview names the user and never shows the password",
    );
    // A second account: not an administrator unless switched on, and not
    // complete without its password.
    driver.click("add-account").await;
    let second = driver.find("account-1");
    let in_second = |name: &str| {
        driver
            .find_in_widget(&second, name)
            .downcast::<gtk::Editable>()
            .expect("an editable")
    };
    tally.check(
        !driver.next_sensitive() && model.with_plan(|plan| plan.users.len() == 2),
        "an added, empty account keeps Next insensitive",
    );
    in_second("full-name").set_text("Grace Hopper");
    settle().await;
    tally.check(
        in_second("user-name").text() == "grace",
        "the second user name is derived from its full name",
    );
    let second_admin = driver
        .find_in_widget(&second, "administrator")
        .downcast::<adw::SwitchRow>()
        .unwrap();
    tally.check(
        !second_admin.is_active(),
        "an added account is not an administrator",
    );
    in_second("password").set_text("compiler");
    in_second("password-repeat").set_text("compilers");
    settle().await;
    tally.check(
        !driver.next_sensitive()
            && driver
                .find_in_widget(&second, "user-problem-label")
                .downcast::<gtk::Label>()
                .unwrap()
                .is_visible(),
        "differing passwords of the second account are shown and keep Next insensitive",
    );
    // The accounts' meters are the encryption page's: a weak password
    // fills one block and its advice reads as a warning.
    let meter = |group: &gtk::Widget| {
        let meter = driver
            .find_in_widget(group, "password-strength")
            .downcast::<KsStrengthMeter>()
            .expect("a strength meter");
        let bar = driver
            .find_in_widget(meter.upcast_ref(), "strength-bar")
            .downcast::<gtk::LevelBar>()
            .expect("a level bar");
        let advice = driver.find_in_widget(meter.upcast_ref(), "strength");
        (
            meter.is_visible(),
            bar.value(),
            advice.has_css_class("warning"),
        )
    };
    tally.check(
        meter(&second) == (true, 1.0, true) && {
            let (shown, value, warning) = meter(&driver.find("account-0"));
            shown && value >= 3.0 && !warning
        },
        "an easily guessed password fills one block of its meter, two unrelated words more",
    );
    in_second("password-repeat").set_text("compiler");
    second_admin.set_active(true);
    settle().await;
    tally.check(
        driver.next_sensitive()
            && model.with_plan(|plan| {
                plan.users[1].name == "grace" && plan.users[1].is_administrator()
            })
            && driver.preview().contains("users.users.grace"),
        "a complete second administrator allows Next and is in the preview",
    );
    driver.click("add-account").await;
    let third = driver.find("account-2");
    driver
        .find_in_widget(&third, "remove-account")
        .downcast::<gtk::Button>()
        .unwrap()
        .emit_clicked();
    settle().await;
    tally.check(
        model.with_plan(|plan| plan.users.len() == 2)
            && driver.next_sensitive()
            && in_second("full-name").text() == "Grace Hopper",
        "removing the third account keeps the other two as typed",
    );
    // An account removed by mistake comes back from the toast as it was,
    // with what was typed in it.
    driver
        .find_in_widget(&second, "remove-account")
        .downcast::<gtk::Button>()
        .unwrap()
        .emit_clicked();
    settle().await;
    tally.check(
        model.with_plan(|plan| plan.users.len() == 1),
        "the trash button removes grace's account",
    );
    let message = gettext_f(
        "The account {name} was removed",
        &[("name", &isolate("grace"))],
    );
    undo_button(driver, &message).await?.emit_clicked();
    settle().await;
    tally.check(
        model.with_plan(|plan| {
            plan.users.len() == 2
                && plan.users[1].name == "grace"
                && plan.users[1].is_administrator()
                && plan.users[1].password.is_some()
        }) && driver.find("account-1") == second
            && in_second("full-name").text() == "Grace Hopper"
            && in_second("password-repeat").text() == "compiler"
            && driver.next_sensitive(),
        "Undo puts grace's account back where it was, as typed",
    );
    users_page(driver).await?;
    kept_in_every_home(driver).await?;
    driver.go_next("review").await?;

    // Review: the pre-flight group says what this machine lacks, exactly
    // as the checks find it.
    let review = driver.page().downcast::<KsReviewPage>().unwrap();
    wait_until("the pre-flight check to finish", WIDGETS_DEADLINE, || {
        review.preflight_problems().is_some()
    })
    .await?;
    let live = std::env::var("XDG_CURRENT_DESKTOP")
        .ok()
        .and_then(|value| Desktop::from_current_desktop(&value));
    let expected = preflight::check(
        std::path::Path::new("/sys"),
        preflight::power().await,
        model.with_plan(|plan| preflight::needs_network(plan, live)),
        gio::NetworkMonitor::default().is_network_available(),
    );
    let group = driver.find("preflight");
    let mut rows = Vec::new();
    collect::<adw::ActionRow>(&group, &mut rows);
    let shown: Vec<String> = rows.iter().map(|row| row.title().to_string()).collect();
    let messages: Vec<String> = expected
        .iter()
        .map(|problem| glib::markup_escape_text(&problem.message()).to_string())
        .collect();
    tally.check(
        review.preflight_problems().as_ref() == Some(&expected)
            && group.is_visible() != expected.is_empty()
            && shown == messages,
        &format!("the pre-flight group shows this machine's problems ({expected:?})"),
    );
    let downloads = model.with_plan(|plan| preflight::needs_network(plan, live));
    tally.check(
        downloads.contains(&Download::Desktop(Desktop::Plasma6)) == (live != Some(Desktop::Plasma6))
            && [Service::Docker, Service::Flatpak]
                .iter()
                .all(|service| downloads.contains(&Download::Service(*service))),
        &format!(
            "Plasma, unless it is the live session's, and the chosen services are downloaded: the plan needs the network ({downloads:?})"
        ),
    );
    tally.check(
        !driver.find("install").is_sensitive(),
        "Install waits for the typed confirmation",
    );
    driver.set_text("confirm", "sda");
    settle().await;
    tally.check(
        !driver.find("install").is_sensitive(),
        "a wrong disk name keeps Install insensitive",
    );
    driver.set_text("confirm", "nvme0n1");
    settle().await;
    tally.check(
        driver.find("install").is_sensitive(),
        &format!(
            "the disk's name makes Install sensitive (problems: {:?})",
            model
                .problems()
                .iter()
                .map(|error| error.field.as_str().to_owned())
                .collect::<Vec<_>>()
        ),
    );
    review_summary(driver).await?;
    let files_row = driver.find("files").downcast::<adw::ExpanderRow>().unwrap();
    let review_preview = collect_all::<KsNixPreview>(&driver.page()).remove(0);
    tally.check(
        !files_row.is_expanded() && !review_preview.is_visible(),
        "the generated files wait behind their expander",
    );
    files_row.set_expanded(true);
    driver
        .find("steps")
        .downcast::<adw::ExpanderRow>()
        .unwrap()
        .set_expanded(true);
    settle().await;
    tally.check(
        review_preview.is_visible(),
        "opening the files' expander shows the file",
    );
    let files = driver.find("file").downcast::<adw::ComboRow>().unwrap();
    let flake = driver.find("flake").downcast::<adw::SwitchRow>().unwrap();
    tally.check(
        !flake.is_active() && files.model().unwrap().n_items() == 4,
        "the flake is off by default and not listed",
    );
    flake.set_active(true);
    settle().await;
    files.set_selected(4);
    settle().await;
    tally.check(
        model.with_plan(|plan| plan.flake)
            && driver
                .preview()
                .contains("nixosConfigurations.keepsake-test"),
        "the flake switch adds flake.nix, shown in the review",
    );
    flake.set_active(false);
    settle().await;
    files.set_selected(1);
    settle().await;
    tally.check(
        driver.preview().contains("subvol=docker") && driver.preview().contains("mode=755"),
        "the review shows storage.nix with the docker subvolume and mode=755",
    );
    driver
        .screenshots_scrolled_to("08b-review-files", Some("files"))
        .await?;
    files_row.set_expanded(false);
    let progress = driver
        .window
        .navigation_view()
        .find_page("progress")
        .and_downcast::<KsProgressPage>()
        .unwrap();
    progress.set_demo_time_scale(0.2);
    driver.click("install").await;

    // Progress
    tally.check(
        driver.tag() == "progress",
        "Install opens the progress page",
    );
    tally.check(
        progress.is_guarding_session(),
        "the install inhibits suspend and logout and holds the application",
    );
    driver
        .find("show-log")
        .downcast::<gtk::ToggleButton>()
        .unwrap()
        .set_active(true);
    let done_word = gettextrs::gettext("Done");
    wait_until("a step row that says it is done", INSTALL_DEADLINE, || {
        let mut rows = Vec::new();
        collect::<adw::ActionRow>(driver.page().upcast_ref(), &mut rows);
        rows.iter()
            .any(|row| row.subtitle().as_deref() == Some(done_word.as_str()))
    })
    .await?;
    let log_scroller = find_in(progress.upcast_ref(), "log-scroller")
        .and_downcast::<gtk::ScrolledWindow>()
        .expect("the progress page has a log");
    tally.check(
        log_scroller.is_mapped(),
        "Show Log in the header shows the log",
    );
    settle().await;
    tally.check(
        progress.log_follows_output(),
        "the log follows the output to its last line",
    );
    driver.screenshots("09-progress").await?;
    wait_until(
        "the simulated install to leave the progress page",
        INSTALL_DEADLINE,
        || driver.tag() != "progress",
    )
    .await?;
    tally.check(
        driver.tag() == "done",
        "the simulated install ends on the done page",
    );
    tally.check(
        !progress.is_guarding_session(),
        "a finished install lets the session suspend again",
    );
    tally.check(
        progress.log_text().contains("installation finished!"),
        "the log holds nixos-install's output",
    );
    driver.screenshots("10-done").await?;
    done_page(driver, true).await?;

    // Without encryption, changed from the review: the done page leaves
    // the passphrase out.
    driver.window.navigation_view().pop_to_tag("review");
    settle().await;
    driver.click("change:encryption").await;
    driver
        .find("encrypt")
        .downcast::<adw::SwitchRow>()
        .unwrap()
        .set_active(false);
    settle().await;
    back_to_review(driver).await?;
    tally.check(
        row_texts(&driver.find("summary:encryption"))
            .iter()
            .any(|text| text == &gettextrs::gettext("The disk is not encrypted")),
        "the review says the disk is not encrypted",
    );
    progress.set_demo_time_scale(0.0);
    driver.click("install").await;
    wait_until(
        "the install without encryption to reach the done page",
        INSTALL_DEADLINE,
        || driver.tag() == "done",
    )
    .await?;
    driver.screenshots("10b-done-unencrypted").await?;
    done_page(driver, false).await?;

    // Cancel, failure page, Try again
    driver.window.navigation_view().pop_to_tag("review");
    settle().await;
    progress.set_demo_time_scale(0.2);
    driver.click("install").await;
    progress.cancel();
    wait_until(
        "the cancelled install to leave the progress page",
        INSTALL_DEADLINE,
        || driver.tag() != "progress",
    )
    .await?;
    tally.check(
        driver.tag() == "failed",
        "a cancelled install ends on the failure page",
    );
    tally.check(
        driver.page().title() == gettextrs::gettext("Installation Stopped"),
        "a cancelled install says Installation Stopped, not Failed",
    );
    let disk_state = driver.find("disk-state").downcast::<gtk::Label>().unwrap();
    tally.check(
        !disk_state.label().is_empty(),
        "the failure page says what the disk holds",
    );
    let focused = wait_until(
        "the focus on Try Again once the failure page is shown",
        WIDGETS_DEADLINE,
        || {
            GtkWindowExt::focus(&driver.window)
                .is_some_and(|focus| focus.widget_name() == "try-again")
        },
    )
    .await;
    tally.check(
        focused.is_ok(),
        "the failure page puts the focus on Try Again",
    );
    settle().await;
    tally.check(
        disk_state.selection_bounds().is_none(),
        "nothing on the failure page is shown selected",
    );
    WidgetExt::activate_action(&driver.page(), "failed.copy-log", None).unwrap();
    tally.check(
        wait_for_toast(driver, &gettextrs::gettext("Log copied"))
            .await
            .is_ok(),
        "Copy Log says so in a toast",
    );
    let copied = driver.window.clipboard().read_text_future().await;
    tally.check(
        copied.is_ok_and(|text| {
            text.is_some_and(|text| {
                text.contains(&gettextrs::gettext("Cancelling at the next safe point…"))
            })
        }),
        "Copy Log puts the log on the clipboard",
    );
    driver.screenshots("11-failed").await?;
    driver.click("try-again").await;
    tally.check(driver.tag() == "review", "Try again returns to the review");

    failed_install(driver, &progress).await?;
    refused_authentication(driver, &progress).await?;
    quitting_during_an_install_asks_first(driver, &progress).await?;
    disk_page_is_freed_when_closed(&tally).await?;
    closing_the_window_stops_the_install_first(driver, &progress).await
}

/// The recovery key: shown once in a dialog with Copy, in the plan only
/// once it is saved, and only in the helper's input.
async fn recovery_key(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let model = driver.window.plan_model();
    let switch = driver
        .find("recovery-key")
        .downcast::<adw::SwitchRow>()
        .expect("the recovery key is a switch row");
    let shown_key = |dialog: &adw::AlertDialog| {
        find_in(dialog.upcast_ref(), "recovery-key-text")
            .and_downcast::<gtk::Label>()
            .map(|label| label.label().to_string())
            .unwrap_or_default()
    };
    let open_dialog = || async {
        switch.set_active(true);
        wait_until("the recovery key dialog", WIDGETS_DEADLINE, || {
            driver
                .window
                .visible_dialog()
                .is_some_and(|dialog| dialog.is::<adw::AlertDialog>())
        })
        .await?;
        settle().await;
        Ok::<_, Stuck>(
            driver
                .window
                .visible_dialog()
                .and_downcast::<adw::AlertDialog>()
                .expect("an alert dialog"),
        )
    };
    tally.check(
        !switch.is_active() && model.with_plan(|plan| !plan.encryption.recovery_key),
        "no recovery key unless asked for",
    );

    // Asked for, then not saved: nothing stays.
    let dialog = open_dialog().await?;
    let first_key = shown_key(&dialog);
    tally.check(
        RecoveryKey::is_well_formed(&first_key),
        &format!("the dialog shows a key of eight groups of five letters: “{first_key}”"),
    );
    tally.check(
        dialog.default_response().is_none() && dialog.close_response() == "cancel",
        "neither Enter nor Escape confirms that the key is saved",
    );
    check_page_widgets(tally, dialog.upcast_ref(), "in the recovery key dialog");
    dialog.emit_by_name::<()>("response", &[&"cancel"]);
    dialog.force_close();
    settle().await;
    tally.check(
        !switch.is_active()
            && model.with_plan(|plan| {
                !plan.encryption.recovery_key && plan.encryption.recovery_key_secret.is_none()
            })
            && driver.next_sensitive(),
        "a key not saved turns the switch off and stays out of the plan",
    );

    // Asked for again: a new key, copied and saved.
    let dialog = open_dialog().await?;
    let key = shown_key(&dialog);
    tally.check(
        RecoveryKey::is_well_formed(&key) && key != first_key,
        "asking again makes a new key",
    );
    driver.screenshots("03b-recovery-key").await?;
    find_in(dialog.upcast_ref(), "copy-recovery-key")
        .and_downcast::<gtk::Button>()
        .expect("the dialog has a Copy button")
        .emit_clicked();
    let copied = driver
        .window
        .clipboard()
        .read_text_future()
        .await
        .ok()
        .flatten()
        .map(String::from);
    tally.check(
        copied.as_deref() == Some(key.as_str()),
        "Copy puts the key on the clipboard",
    );
    dialog.emit_by_name::<()>("response", &[&"saved"]);
    dialog.force_close();
    settle().await;
    let (planned, in_file, for_helper) = model.with_plan(|plan| {
        (
            plan.encryption.recovery_key
                && plan
                    .encryption
                    .recovery_key_secret
                    .as_ref()
                    .is_some_and(|secret| secret.expose() == key),
            plan.to_json().unwrap_or_default().contains(&key),
            plan.to_helper_json()
                .map(|json| json.contains(&key))
                .unwrap_or(false),
        )
    });
    tally.check(
        switch.is_active() && planned && driver.next_sensitive(),
        "I Have Saved It puts the key in the plan and allows Next",
    );
    tally.check(
        !in_file && for_helper,
        "the key goes to the helper's input, never into the plan file",
    );
    tally.check(
        !driver.preview().contains(&key),
        "the preview never shows the key",
    );
    Ok(())
}

/// Every widget of type `T` below `page`.
/// The Undo button of the toast that says `message`, once it is shown.
async fn undo_button(driver: &Driver, message: &str) -> Result<gtk::Button, Stuck> {
    let undo = gettextrs::gettext("_Undo");
    let mut found = None;
    wait_until(
        &format!("a toast “{message}” with Undo"),
        WIDGETS_DEADLINE,
        || {
            let mut labels = Vec::new();
            collect::<gtk::Label>(driver.window.upcast_ref(), &mut labels);
            // The toast is the nearest widget around its title that also
            // holds an Undo button.
            found = labels
                .iter()
                .filter(|label| label.label() == message)
                .find_map(|label| {
                    std::iter::successors(label.parent(), |widget| widget.parent())
                        .take(4)
                        .find_map(|toast| {
                            let mut buttons = Vec::new();
                            collect::<gtk::Button>(&toast, &mut buttons);
                            buttons
                                .into_iter()
                                .find(|button| button.label().as_deref() == Some(undo.as_str()))
                        })
                });
            found.is_some()
        },
    )
    .await?;
    Ok(found.expect("found while waiting"))
}

/// The store, the storage and the configuration subvolumes say why they
/// stay and have no trash button; the others say in words how they are
/// mounted; a removal can be undone from its toast.
async fn required_subvolumes_and_undo(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let plan = driver.window.plan_model().plan();
    for (index, mount_point) in [(0, "/nix"), (2, "/persist"), (3, "/etc/nixos")] {
        let row = driver
            .find(&format!("subvolume-{index}"))
            .downcast::<adw::ExpanderRow>()
            .unwrap();
        let reason = plan.required_subvolume_reason(mount_point);
        tally.check(
            row.title() == mount_point
                && reason.is_some_and(|reason| row.subtitle() == reason)
                && !driver
                    .find_in_widget(row.upcast_ref(), "remove-subvolume")
                    .is_visible(),
            &format!("the {mount_point} subvolume is required, says why, and has no trash button"),
        );
    }
    let home = driver
        .find("subvolume-1")
        .downcast::<adw::ExpanderRow>()
        .unwrap();
    tally.check(
        home.subtitle() == mount_options_in_words(&plan.subvolumes[1].options)
            && !home.subtitle().contains('='),
        &format!(
            "the /home subvolume is described in words: “{}”",
            home.subtitle()
        ),
    );
    let remove = driver
        .find_in_widget(home.upcast_ref(), "remove-subvolume")
        .downcast::<gtk::Button>()
        .unwrap();
    remove.emit_clicked();
    settle().await;
    let has_home = |driver: &Driver| {
        driver.window.plan_model().with_plan(|plan| {
            plan.subvolumes
                .iter()
                .position(|subvolume| subvolume.mount_point == "/home")
        })
    };
    tally.check(has_home(driver).is_none(), "the trash button removes /home");
    let message = gettext_f(
        "The subvolume at {mount_point} was removed",
        &[("mount_point", &isolate("/home"))],
    );
    undo_button(driver, &message).await?.emit_clicked();
    settle().await;
    tally.check(
        has_home(driver) == Some(1),
        "Undo puts the /home subvolume back where it was",
    );
    Ok(())
}

/// NixOS's own state is kept without a trash button and says why; a
/// kept directory that is given up comes back with Undo.
async fn required_entries_and_undo(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let rows = row_texts(driver.page().upcast_ref());
    for path in ["/var/lib/nixos", "/etc/machine-id"] {
        let position = rows.iter().position(|text| text == path);
        let reason = required_entry_reason(path).expect("NixOS's own state is required");
        tally.check(
            position.is_some_and(|position| rows.get(position + 1) == Some(&reason))
                && find_in(driver.page().upcast_ref(), &format!("remove:{path}")).is_none(),
            &format!("{path} is kept as required, says why, and has no trash button"),
        );
    }
    let keeps_log = |driver: &Driver| {
        driver.window.plan_model().with_plan(|plan| {
            plan.persistence
                .directories
                .iter()
                .any(|entry| entry.path == "/var/log")
        })
    };
    driver.click("remove:/var/log").await;
    tally.check(
        !keeps_log(driver),
        "the trash button stops keeping /var/log",
    );
    let message = gettext_f(
        "{path} is no longer kept",
        &[("path", &isolate("/var/log"))],
    );
    undo_button(driver, &message).await?.emit_clicked();
    settle().await;
    tally.check(keeps_log(driver), "Undo keeps /var/log again");
    Ok(())
}

/// The Nix preview is for the curious: hidden at first, shown beside the
/// form by F9's action (or the header toggle) and over it on a narrow
/// window, and hidden again the same way.
async fn nix_preview_toggle(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let split = collect_all::<adw::OverlaySplitView>(&driver.page())
        .into_iter()
        .next()
        .expect("the encryption page has a split view for its preview");
    let preview = collect_all::<KsNixPreview>(&driver.page())
        .into_iter()
        .next()
        .expect("the encryption page has a preview");
    tally.check(
        !split.shows_sidebar()
            && !preview.is_mapped()
            && collect_all::<gtk::TextView>(&driver.page()).is_empty(),
        "the Nix preview is hidden at first, without its highlighted view",
    );
    WidgetExt::activate_action(&driver.window, "win.show-preview", None).unwrap();
    wait_until(
        "the Nix preview to be shown after win.show-preview",
        WIDGETS_DEADLINE,
        || split.shows_sidebar() && preview.is_mapped(),
    )
    .await?;
    tally.check(
        collect_all::<gtk::TextView>(&driver.page()).len() == 1
            && preview.text().contains("boot.initrd.luks.devices"),
        "the shown preview has its highlighted view, made when first shown",
    );
    // The split view slides the preview in: the screenshot waits until
    // it has arrived, and the whole card must then lie inside the window.
    let inside_window = || {
        let width = f64::from(driver.window.width());
        preview
            .compute_bounds(&driver.window)
            .is_some_and(|bounds| {
                f64::from(bounds.x()) >= 0.0
                    && f64::from(bounds.x() + bounds.width()) <= width
                    && bounds.width() > 0.0
            })
    };
    wait_until(
        "the shown Nix preview to slide wholly into the window",
        WIDGETS_DEADLINE,
        inside_window,
    )
    .await?;
    driver.screenshots("03-encryption-preview").await?;
    WidgetExt::activate_action(&driver.window, "win.show-preview", None).unwrap();
    wait_until(
        "the Nix preview to hide after win.show-preview again",
        WIDGETS_DEADLINE,
        || !split.shows_sidebar(),
    )
    .await?;
    Ok(())
}

fn collect_all<T: IsA<gtk::Widget>>(page: &adw::NavigationPage) -> Vec<T> {
    let mut found = Vec::new();
    collect::<T>(page.upcast_ref(), &mut found);
    found
}

/// The titles and subtitles of the rows below `parent`.
fn row_texts(parent: &gtk::Widget) -> Vec<String> {
    let mut rows = Vec::new();
    collect::<adw::PreferencesRow>(parent, &mut rows);
    rows.iter()
        .flat_map(|row| {
            let subtitle = row
                .downcast_ref::<adw::ActionRow>()
                .and_then(|row| row.subtitle())
                .map(String::from)
                .or_else(|| {
                    row.downcast_ref::<adw::ExpanderRow>()
                        .map(|row| row.subtitle().to_string())
                });
            std::iter::once(row.title().to_string()).chain(subtitle)
        })
        .collect()
}

/// Whether `widget` is drawn entirely inside the window.
fn inside_window(driver: &Driver, widget: &gtk::Widget) -> bool {
    let window = driver.window.upcast_ref::<gtk::Widget>();
    widget.is_mapped()
        && widget.compute_bounds(window).is_some_and(|bounds| {
            bounds.x() >= 0.0
                && bounds.y() >= 0.0
                && bounds.x() + bounds.width() <= window.width() as f32 + 0.5
                && bounds.y() + bounds.height() <= window.height() as f32 + 0.5
        })
}

/// Waits for a toast saying `text` on the visible page or the window.
async fn wait_for_toast(driver: &Driver, text: &str) -> Result<(), Stuck> {
    wait_until(
        &format!("a toast saying “{text}”"),
        WIDGETS_DEADLINE,
        || {
            let mut labels = Vec::new();
            collect::<gtk::Label>(driver.window.upcast_ref(), &mut labels);
            labels
                .iter()
                .any(|label| label.is_mapped() && label.label() == text)
        },
    )
    .await
}

/// The review as a summary: a group per page with a way back to it, what
/// is kept, the problems in words, and the confirmation always on screen.
async fn review_summary(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let model = driver.window.plan_model();
    let texts = |name: &str| row_texts(&driver.find(name));
    tally.check(
        texts("summary:disk")
            .iter()
            .any(|text| text.starts_with("/dev/disk/by-id/nvme")),
        "the disk group names the disk to erase",
    );
    let encryption = texts("summary:encryption");
    tally.check(
        encryption
            .iter()
            .any(|text| text == &gettextrs::gettext("The disk is encrypted"))
            && encryption.iter().any(|text| {
                text == &gettextrs::dgettext("xkeyboard-config", "German (Switzerland)")
            }),
        &format!("the encryption group says it is on, with the keyboard: {encryption:?}"),
    );
    let system = texts("summary:system");
    tally.check(
        ["keepsake-test", "Europe/Berlin"]
            .iter()
            .all(|value| system.iter().any(|text| text == value)),
        &format!("the system group has the host name and the time zone: {system:?}"),
    );
    let software = texts("summary:software");
    tally.check(
        software
            .iter()
            .any(|text| text == &Desktop::Plasma6.label())
            && software
                .iter()
                .any(|text| text.contains(&Service::Docker.label())),
        &format!("the software group has the desktop and the services: {software:?}"),
    );
    let users = texts("summary:users");
    tally.check(
        ["Ada Lovelace", "ada", "Grace Hopper", "grace"]
            .iter()
            .all(|value| users.iter().any(|text| text == value)),
        &format!("the users group names both accounts: {users:?}"),
    );
    let kept_count = model.with_plan(|plan| plan.kept_paths().len());
    let kept = texts("summary:kept");
    tally.check(
        kept.first()
            .is_some_and(|title| title.contains(&kept_count.to_string()))
            && kept.iter().any(|text| text == "/var/lib/libvirt")
            && kept.iter().any(|text| text == "/var/lib/tailscale"),
        &format!("the kept group counts {kept_count} and lists them behind an expander"),
    );
    let install = driver.find("install");
    let confirm = driver.find("confirm");
    let bottom = |widget: &gtk::Widget| {
        widget
            .ancestor(gtk::ScrolledWindow::static_type())
            .is_none()
    };
    tally.check(
        bottom(&install) && bottom(&confirm) && inside_window(driver, &install),
        "the confirmation and Install are outside the scrolled summary",
    );
    driver.screenshots("08-review").await?;
    driver
        .find("kept")
        .downcast::<adw::ExpanderRow>()
        .unwrap()
        .set_expanded(true);
    driver
        .screenshots_scrolled_to("08a-review-summary", Some("summary:software"))
        .await?;
    driver.window.set_default_size(360, 720);
    wait_until(
        "the window to become 360 px wide for the review",
        WIDGETS_DEADLINE,
        || (driver.window.width() - 360).abs() <= 10,
    )
    .await?;
    settle().await;
    tally.check(
        inside_window(driver, &install) && inside_window(driver, &confirm),
        "at 360 px the confirmation and Install are still on screen",
    );
    driver.window.set_default_size(960, 720);
    wait_until("the window to return to 960 px", WIDGETS_DEADLINE, || {
        (driver.window.width() - 960).abs() <= 10
    })
    .await?;
    settle().await;

    // Each group's Change leads to its page, and the banner back.
    for (button, tag) in [
        ("change:disk", "disk"),
        ("change:encryption", "encryption"),
        ("change:system", "system"),
        ("change:software", "software"),
        ("change:users", "users"),
        ("change:persistence", "persistence"),
    ] {
        driver.click(button).await;
        let arrived = wait_until(
            &format!("{button} to open the {tag} page"),
            WIDGETS_DEADLINE,
            || driver.tag() == tag,
        )
        .await;
        tally.check(arrived.is_ok(), &format!("{button} opens the {tag} page"));
        arrived?;
        back_to_review(driver).await?;
    }
    let stack: Vec<String> = driver
        .window
        .navigation_view()
        .navigation_stack()
        .iter::<adw::NavigationPage>()
        .filter_map(|page| page.ok().and_then(|page| page.tag()).map(String::from))
        .collect();
    tally.check(
        stack.iter().rev().nth(1).map(String::as_str) == Some("users")
            && stack.first().map(String::as_str) == Some("welcome"),
        &format!("back on the review, Back still leads through the pages: {stack:?}"),
    );

    // A problem is named by its page and field, and leads there.
    model.update(|plan| plan.system.hostname = "-bad".to_owned());
    settle().await;
    let place = keepsake::plan::FieldPath::new("system.hostname")
        .place(&model.plan())
        .to_string();
    let mut problem_rows = Vec::new();
    collect::<adw::ActionRow>(&driver.find("problems"), &mut problem_rows);
    let problem_row = problem_rows.iter().find(|row| row.title() == place);
    tally.check(
        problem_row.is_some()
            && !problem_rows
                .iter()
                .any(|row| row.title().contains("system.") || row.title().contains('[')),
        &format!("a problem is named “{place}”, not by its path"),
    );
    tally.check(
        !install.is_sensitive(),
        "a problem keeps Install insensitive",
    );
    driver
        .screenshots_scrolled_to("08c-review-problem", Some("problems"))
        .await?;
    if let Some(row) = problem_row {
        // What Enter on the focused row does.
        WidgetExt::activate(row);
    }
    let fixed = wait_until(
        "the problem's row to open the system page",
        WIDGETS_DEADLINE,
        || driver.tag() == "system",
    )
    .await;
    tally.check(fixed.is_ok(), "a problem's row opens its page");
    fixed?;
    driver.set_text("hostname", "keepsake-test");
    settle().await;
    back_to_review(driver).await?;
    tally.check(
        !driver.find("problems").is_visible() && driver.find("install").is_sensitive(),
        "fixed on its page, the problem is gone from the review",
    );
    Ok(())
}

/// Back to the review through the banner a Change shows.
async fn back_to_review(driver: &Driver) -> Result<(), Stuck> {
    let banner = find_in(driver.window.upcast_ref(), "back-to-review")
        .and_downcast::<adw::Banner>()
        .expect("the window has the banner back to the review");
    let page = driver.tag();
    wait_until(
        &format!("the banner back to the review on the {page} page"),
        WIDGETS_DEADLINE,
        || banner.is_revealed(),
    )
    .await?;
    let mut buttons = Vec::new();
    collect::<gtk::Button>(banner.upcast_ref(), &mut buttons);
    buttons
        .first()
        .expect("the banner has its button")
        .emit_clicked();
    wait_until(
        &format!("the banner to lead from the {page} page to the review"),
        WIDGETS_DEADLINE,
        || driver.tag() == "review",
    )
    .await?;
    settle().await;
    driver.tally.check(
        !banner.is_revealed(),
        &format!("the banner leads from the {page} page back to the review and hides"),
    );
    Ok(())
}

/// The done page as the plan made it; `encrypted` says whether it should
/// speak of the passphrase.
async fn done_page(driver: &Driver, encrypted: bool) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let done = driver
        .page()
        .downcast::<keepsake::ui::KsDonePage>()
        .expect("the done page");
    let with_passphrase = gettextrs::gettext(
        "Remove the installation medium and restart. When the computer starts, type the disk passphrase, then log in.",
    );
    let without = gettextrs::gettext("Remove the installation medium and restart, then log in.");
    tally.check(
        done.description() == if encrypted { with_passphrase } else { without },
        &format!(
            "the done page {} the passphrase: “{}”",
            if encrypted { "mentions" } else { "leaves out" },
            done.description()
        ),
    );
    tally.check(
        ["login:ada", "login:grace"]
            .iter()
            .all(|name| find_in(done.upcast_ref(), name).is_some()),
        "the done page names the accounts to log in with",
    );
    tally.check(
        driver
            .find("passwords-note")
            .downcast::<gtk::Label>()
            .unwrap()
            .label()
            .contains("users.mutableUsers = false")
            && driver
                .find("kept-note")
                .downcast::<gtk::Label>()
                .unwrap()
                .label()
                .contains("programs.keepsake.editor.enable"),
        "the done page says how passwords and what is kept are changed",
    );
    if encrypted {
        let saved = save_log_through_dialog(driver, "done.save-log").await?;
        tally.check(
            saved.contains("installation finished!"),
            "Save Log on the done page writes the log",
        );
        WidgetExt::activate_action(&done, "done.reboot", None).unwrap();
        let told = wait_for_toast(
            driver,
            &gettextrs::gettext(
                "Demo mode: nothing was installed, so there is nothing to restart into.",
            ),
        )
        .await;
        tally.check(
            told.is_ok() && driver.window.is_visible(),
            "Restart in demo mode says so and restarts nothing",
        );
    }
    Ok(())
}

/// Activates `action` (a Save Log), answers the file chooser with a file in
/// a scratch directory, and returns what was written there.
async fn save_log_through_dialog(driver: &Driver, action: &str) -> Result<String, Stuck> {
    let dir = tempfile::tempdir().map_err(|error| Stuck(error.to_string()))?;
    let path = dir.path().join("saved.log");
    WidgetExt::activate_action(&driver.page(), action, None).unwrap();
    // Without a portal, GTK asks in a dialog of its own.
    #[allow(deprecated)]
    let find_chooser = || {
        gtk::Window::list_toplevels()
            .into_iter()
            .find_map(|window| window.downcast::<gtk::FileChooserDialog>().ok())
            .filter(|dialog| dialog.is_mapped())
    };
    wait_until(
        &format!("the file chooser of {action}"),
        WIDGETS_DEADLINE,
        || find_chooser().is_some(),
    )
    .await?;
    let chooser = find_chooser().expect("waited for");
    // The chooser may still be setting itself up (its folder, the
    // proposed name): name the file until it holds.
    #[allow(deprecated)]
    wait_until(
        &format!("the file chooser of {action} to name {}", path.display()),
        WIDGETS_DEADLINE,
        || {
            let named = chooser.file().and_then(|file| file.path()).as_ref() == Some(&path);
            if !named {
                let _ = chooser.set_current_folder(Some(&gio::File::for_path(dir.path())));
                chooser.set_current_name("saved.log");
            }
            named
        },
    )
    .await?;
    #[allow(deprecated)]
    chooser.response(gtk::ResponseType::Accept);
    wait_for_toast(driver, &gettextrs::gettext("Log saved")).await?;
    std::fs::read_to_string(&path).map_err(|error| {
        Stuck(format!(
            "{action} said it saved, but {}: {error}",
            path.display()
        ))
    })
}

/// A failing step ends on “Installation Failed”, whose log can be saved.
async fn failed_install(driver: &Driver, progress: &KsProgressPage) -> Result<(), Stuck> {
    let tally = &driver.tally;
    progress.set_demo_time_scale(0.0);
    progress.set_demo_outcome(DemoOutcome::Fails);
    driver.click("install").await;
    wait_until(
        "the failing install to reach the failure page",
        INSTALL_DEADLINE,
        || driver.tag() == "failed",
    )
    .await?;
    tally.check(
        driver.page().title() == gettextrs::gettext("Installation Failed"),
        "a failed install says Installation Failed",
    );
    driver.screenshots("11b-failed").await?;
    let saved = save_log_through_dialog(driver, "failed.save-log").await?;
    tally.check(
        saved.contains("simulated failure"),
        "Save Log on the failure page writes the log with the failure",
    );
    driver.click("try-again").await;
    tally.check(
        driver.tag() == "review",
        "Try again after a failure returns to the review",
    );
    Ok(())
}

/// A refused or dismissed password (pkexec 126/127) says nothing was
/// written and offers to try again.
async fn refused_authentication(driver: &Driver, progress: &KsProgressPage) -> Result<(), Stuck> {
    let tally = &driver.tally;
    progress.set_demo_outcome(DemoOutcome::NotAuthorised);
    driver.click("install").await;
    wait_until(
        "the refused install to reach the failure page",
        INSTALL_DEADLINE,
        || driver.tag() == "failed",
    )
    .await?;
    tally.check(
        driver.page().title() == gettextrs::gettext("Installation Not Started"),
        "a refused password says Installation Not Started",
    );
    tally.check(
        driver.find("disk-state").downcast::<gtk::Label>().unwrap().label()
            == gettextrs::gettext(
                "Nothing was written to the disk. Install again and enter the administrator password when asked.",
            ),
        "a refused password says nothing was written",
    );
    tally.check(
        driver.find("try-again").is_visible() && !driver.find("copy-log").is_visible(),
        "a refused password offers Try Again, and no empty log",
    );
    driver.screenshots("11c-not-authorised").await?;
    driver.click("try-again").await;
    tally.check(
        driver.tag() == "review",
        "Try again after a refused password returns to the review",
    );
    progress.set_demo_outcome(DemoOutcome::Installed);
    Ok(())
}

/// Ctrl+Q (app.quit) during an install asks the Stop question too, and
/// Keep Installing keeps it running.
async fn quitting_during_an_install_asks_first(
    driver: &Driver,
    progress: &KsProgressPage,
) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let window = &driver.window;
    let app = window
        .application()
        .expect("the window has its application");
    tally.check(
        app.accels_for_action("app.quit")
            .iter()
            .any(|accel| accel == "<Control>q"),
        "Ctrl+Q quits",
    );
    progress.set_demo_time_scale(1.0);
    driver.click("install").await;
    app.activate_action("quit", None);
    wait_until(
        "a dialog about the running install after Ctrl+Q",
        WIDGETS_DEADLINE,
        || window.visible_dialog().is_some(),
    )
    .await?;
    let dialog = window.visible_dialog().and_downcast::<adw::AlertDialog>();
    tally.check(
        dialog.as_ref().is_some_and(|dialog| {
            dialog.heading().as_deref()
                == Some(gettextrs::gettext("Stop the Installation and Close?").as_str())
        }),
        "Ctrl+Q during an install asks whether to stop it",
    );
    let Some(dialog) = dialog else {
        return Err(Stuck("Ctrl+Q asked nothing".to_owned()));
    };
    dialog.emit_by_name::<()>("response", &[&"continue"]);
    dialog.force_close();
    settle().await;
    tally.check(
        window.is_visible() && progress.is_running(),
        "Keep Installing after Ctrl+Q keeps the window and the install",
    );
    progress.cancel();
    wait_until(
        "the install to stop after Ctrl+Q was answered",
        INSTALL_DEADLINE,
        || driver.tag() == "failed",
    )
    .await?;
    driver.click("try-again").await;
    Ok(())
}

/// The users page with three accounts: the third one's home, switched
/// from the shared /home subvolume to erased at boot and back, and the
/// root password.
async fn users_page(driver: &Driver) -> Result<(), Stuck> {
    let tally = driver.tally.clone();
    let model = driver.window.plan_model();
    driver.click("add-account").await;
    let third = driver.find("account-2");
    let in_third = |name: &str| driver.find_in_widget(&third, name);
    let typed = |name: &str, text: &str| {
        in_third(name)
            .downcast::<gtk::Editable>()
            .expect("an editable")
            .set_text(text);
    };
    typed("full-name", "Carol Shaw");
    typed("password", "river atari joystick");
    typed("password-repeat", "river atari joystick");
    settle().await;
    tally.check(
        driver.next_sensitive()
            && model.with_plan(|plan| plan.users.len() == 3 && plan.users[2].name == "carol"),
        "a third complete account allows Next",
    );
    let home = in_third("keep-whole-home")
        .downcast::<adw::SwitchRow>()
        .expect("the home switch is a switch row");
    tally.check(
        home.is_active()
            && home.is_sensitive()
            && model.with_plan(|plan| plan.home_subvolume("carol").as_deref() == Some("/home")),
        "a new account's home is on the shared /home subvolume",
    );
    home.set_active(false);
    settle().await;
    // Flatpak, switched on the software page, keeps paths in every home.
    let subtitle = home.subtitle().unwrap_or_default();
    tally.check(
        model.with_plan(|plan| {
            plan.home_subvolume("carol").is_none()
                && plan.home_kept_whole(0)
                && plan.home_kept_whole(1)
                && !plan.home_kept_whole(2)
                && plan
                    .kept_in_homes()
                    .iter()
                    .any(|home| home.user == "carol")
        }) && subtitle.contains("~/.local/share/flatpak")
            && driver.next_sensitive(),
        &format!(
            "erasing carol's home takes /home off its subvolume, keeps the other homes whole and keeps Flatpak's folders in hers (“{subtitle}”)"
        ),
    );
    driver
        .screenshots_scrolled_to("07b-users-erased-home", Some("account-2"))
        .await?;
    home.set_active(true);
    settle().await;
    tally.check(
        model.with_plan(|plan| {
            plan.users.iter().all(|user| user.keep_whole_home)
                && plan.persisted_homes().len() == 3
                && !plan.kept_in_homes().iter().any(|home| home.user == "carol")
        }) && home
            .subtitle()
            .is_some_and(|subtitle| subtitle.contains("/persist")),
        "keeping carol's home whole again keeps it in /persist, with no separate entries",
    );

    // Root stays locked until its switch is on and both entries agree.
    let root = driver
        .find("root-password-enabled")
        .downcast::<adw::ExpanderRow>()
        .expect("the root password is an expander row");
    tally.check(
        !root.enables_expansion()
            && driver
                .preview()
                .contains("users.users.root.hashedPassword = \"!\";"),
        "root is locked by default",
    );
    root.set_enable_expansion(true);
    root.set_expanded(true);
    settle().await;
    tally.check(
        driver.label_shown("root-problem-label").is_some() && !driver.next_sensitive(),
        "switching the root password on asks for it and keeps Next insensitive",
    );
    driver.set_text("root-password", "correct horse battery");
    driver.set_text("root-password-repeat", "correct horse batteries");
    settle().await;
    tally.check(
        driver.label_shown("root-problem-label").is_some()
            && model.with_plan(|plan| plan.root_password.is_none()),
        "differing root passwords are pointed out and not taken",
    );
    driver.set_text("root-password-repeat", "correct horse battery");
    settle().await;
    let preview = driver.preview();
    tally.check(
        driver.label_shown("root-problem-label").is_none()
            && driver.next_sensitive()
            && model.with_plan(|plan| plan.root_password.is_some())
            && preview.contains("/persist/passwords/root")
            && !preview.contains("correct horse"),
        "a root password typed twice unlocks root in the preview, never showing it",
    );
    driver
        .screenshots_scrolled_to("07c-users-root", Some("root-password-enabled"))
        .await?;
    root.set_enable_expansion(false);
    settle().await;
    tally.check(
        model.with_plan(|plan| plan.root_password.is_none())
            && driver
                .preview()
                .contains("users.users.root.hashedPassword = \"!\";")
            && driver.next_sensitive(),
        "switching the root password off locks root again",
    );
    driver
        .screenshots_scrolled_to("07-users", Some("account-0"))
        .await
}

/// The attribute set of `user`'s home in a rendered persistence.nix.
fn home_in_preview<'a>(preview: &'a str, user: &str) -> Option<&'a str> {
    let start = preview.find(&format!("users.{user} = {{"))?;
    let rest = &preview[start..];
    rest.find("\n    };").map(|end| &rest[..end])
}

/// With the homes of all three accounts erased at boot, a folder added on
/// the persistence page is kept in each of them, not only in the first
/// account's; then back to the users page.
async fn kept_in_every_home(driver: &Driver) -> Result<(), Stuck> {
    let tally = driver.tally.clone();
    let model = driver.window.plan_model();
    for index in 0..3 {
        let account = driver.find(&format!("account-{index}"));
        driver
            .find_in_widget(&account, "keep-whole-home")
            .downcast::<adw::SwitchRow>()
            .expect("the home switch is a switch row")
            .set_active(false);
        settle().await;
    }
    tally.check(
        model.with_plan(|plan| (0..3).all(|index| !plan.home_kept_whole(index)))
            && driver.next_sensitive(),
        "all three homes can be erased at boot: Flatpak's folders are kept in every home",
    );
    driver.window.navigation_view().pop_to_tag("persistence");
    settle().await;
    tally.check(
        driver.tag() == "persistence" && driver.find("add-home").is_visible(),
        "back on the persistence page, folders can be added to every home",
    );
    driver.set_text("add-home", ".ssh");
    driver.find("add-home").emit_by_name::<()>("apply", &[]);
    settle().await;
    let accounts = ["ada", "grace", "carol"];
    tally.check(
        model.with_plan(|plan| {
            let homes = plan.kept_in_homes();
            plan.persistence.users.is_empty()
                && plan
                    .persistence
                    .every_home
                    .directories
                    .iter()
                    .any(|directory| directory.path == ".ssh")
                && accounts.iter().all(|user| {
                    homes.iter().any(|home| {
                        home.user == *user && home.directories.iter().any(|d| d.path == ".ssh")
                    })
                })
        }),
        "a folder added on the persistence page is kept in the home of every account",
    );
    let preview = driver.preview();
    let missing: Vec<&str> = accounts
        .iter()
        .copied()
        .filter(|user| {
            !home_in_preview(&preview, user).is_some_and(|home| home.contains("\".ssh\""))
        })
        .collect();
    tally.check(
        missing.is_empty(),
        &format!(
            "the preview keeps .ssh in the homes of ada, grace and carol (not in {missing:?})"
        ),
    );
    tally.check(
        find_in(driver.page().upcast_ref(), "remove:.ssh").is_some(),
        "the folder is listed once, with its trash button",
    );
    driver
        .screenshots_scrolled_to("05b-persistence-every-home", Some("every-home"))
        .await?;
    driver.go_next("system").await?;
    driver.go_next("software").await?;
    driver.go_next("users").await
}

/// The keyboard rows shown, by xkb name (`ch`, `us+dvorak`).
fn shown_keyboards(driver: &Driver) -> Vec<String> {
    let mut rows = Vec::new();
    collect::<adw::ActionRow>(driver.page().upcast_ref(), &mut rows);
    rows.iter()
        .filter(|row| row.is_visible())
        .filter_map(|row| {
            let name = row.widget_name();
            name.strip_prefix("keyboard:").map(str::to_owned)
        })
        .collect()
}

/// The position of the locale `code` in a locale row's list.
fn locale_position(row: &adw::ComboRow, code: &str) -> Option<u32> {
    let model = row.model()?;
    (0..model.n_items()).find(|&index| {
        model
            .item(index)
            .and_downcast::<gtk::StringObject>()
            .is_some_and(|item| item.string() == code)
    })
}

/// The language and formats rows of the keyboard page: the live session's
/// language, every locale by its names, and formats of their own.
async fn language_rows(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let model = driver.window.plan_model();
    let row = |name: &str| {
        driver
            .find(name)
            .downcast::<adw::ComboRow>()
            .expect("a combo row")
    };
    let (language, formats) = (row("language"), row("formats"));
    if let Some((_, live, _, name)) = child_language() {
        wait_until(
            &format!("the {name} of the live session ({live}) as the language"),
            WIDGETS_DEADLINE,
            || model.with_plan(|plan| plan.system.locale == live),
        )
        .await?;
        tally.check(true, &format!("the live session's {name} is the language"));
    }
    let chosen = |row: &adw::ComboRow| {
        row.selected_item()
            .and_downcast::<gtk::StringObject>()
            .map(|item| item.string().to_string())
            .unwrap_or_default()
    };
    let locale = model.with_plan(|plan| plan.system.locale.clone());
    tally.check(
        chosen(&language) == locale && chosen(&formats) == locale,
        &format!("both rows show the plan's language {locale}"),
    );
    let swiss = locale_position(&formats, "de_CH.UTF-8").expect("de_CH is listed");
    let searched = formats
        .expression()
        .and_then(|expression| {
            expression.evaluate(formats.model().and_then(|model| model.item(swiss)).as_ref())
        })
        .and_then(|value| value.get::<String>().ok())
        .unwrap_or_default();
    tally.check(
        searched.contains("Deutsch (Schweiz)") && searched.contains("German (Switzerland)"),
        &format!("a search finds de_CH by both its names: “{searched}”"),
    );
    formats.set_selected(swiss);
    settle().await;
    tally.check(
        model.with_plan(|plan| plan.system.formats == "de_CH.UTF-8") && chosen(&language) == locale,
        "Swiss formats go into the plan and leave the language",
    );
    // The open list names the chosen formats both ways and checks them.
    ActionRowExt::activate(&formats);
    let mut popovers = Vec::new();
    collect::<gtk::Popover>(formats.upcast_ref(), &mut popovers);
    let popover = popovers.first().expect("the row has its list in a popover");
    let checked = || {
        let mut labels = Vec::new();
        collect::<gtk::Label>(popover.upcast_ref(), &mut labels);
        labels.iter().any(|label| {
            let names = label.parent();
            let mark = names.as_ref().and_then(|names| names.next_sibling());
            label.label() == "Deutsch (Schweiz)"
                && label.is_drawable()
                && label
                    .next_sibling()
                    .and_downcast::<gtk::Label>()
                    .is_some_and(|english| english.label() == "German (Switzerland)")
                && mark.is_some_and(|mark| mark.is_visible())
        })
    };
    let listed = wait_until(
        "the open formats list to show Deutsch (Schweiz) checked",
        WIDGETS_DEADLINE,
        checked,
    )
    .await;
    tally.check(
        listed.is_ok(),
        "the open list shows the chosen formats by both names, checked",
    );
    popover.popdown();
    settle().await;
    driver.screenshots("02a-language").await
}

/// The language this run drives the wizard in, when not English.
fn child_language() -> Option<(&'static str, &'static str, &'static str, &'static str)> {
    std::env::var(LANGUAGE_CHILD).ok().and_then(|language| {
        OTHER_LANGUAGES
            .into_iter()
            .find(|(other, ..)| *other == language)
    })
}

/// Whether the keyboard row named `name` is listed and shows its check mark.
fn keyboard_checked(driver: &Driver, name: &str) -> bool {
    find_in(driver.page().upcast_ref(), name).is_some_and(|row| {
        let mut images = Vec::new();
        collect::<gtk::Image>(&row, &mut images);
        row.is_visible()
            && images.iter().any(|image| {
                image.icon_name().as_deref() == Some("object-select-symbolic") && image.is_visible()
            })
    })
}

/// Before anyone touches the keyboard page, it has taken the live session's
/// input source (the GSettings that `live_session_settings` gives the
/// language runs), shows it checked, and the encryption page names it.
async fn live_keyboard(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let model = driver.window.plan_model();
    let (layout, variant) = LIVE_INPUT_SOURCE;
    wait_until(
        &format!("the live input source {layout}+{variant} as the plan's keyboard"),
        WIDGETS_DEADLINE,
        || {
            model.with_plan(|plan| {
                plan.system.xkb_layout == layout && plan.system.xkb_variant == variant
            })
        },
    )
    .await?;
    tally.check(
        true,
        &format!("the keyboard page adopts the live input source {layout}+{variant}"),
    );
    let row = format!("keyboard:{layout}+{variant}");
    let shown = wait_until(
        &format!("the row {row} to be listed with its check mark"),
        WIDGETS_DEADLINE,
        || keyboard_checked(driver, &row),
    )
    .await;
    let name = gettextrs::dgettext("xkeyboard-config", LIVE_INPUT_SOURCE_NAME);
    let title = find_in(driver.page().upcast_ref(), &row)
        .and_downcast::<adw::ActionRow>()
        .map(|row| row.title().to_string())
        .unwrap_or_default();
    tally.check(
        shown.is_ok() && title == name,
        &format!("the live layout is listed as “{title}” and checked"),
    );
    let mut marks = Vec::new();
    collect::<gtk::Image>(driver.page().upcast_ref(), &mut marks);
    tally.check(
        marks
            .iter()
            .filter(|mark| {
                mark.icon_name().as_deref() == Some("object-select-symbolic") && mark.is_visible()
            })
            .count()
            == 1,
        "only the live layout is checked",
    );
    driver.go_next("encryption").await?;
    let expected = gettext_f(
        "At boot you will type this with: {keyboard}",
        &[("keyboard", &name)],
    );
    let mut groups = Vec::new();
    collect::<adw::PreferencesGroup>(driver.page().upcast_ref(), &mut groups);
    tally.check(
        groups
            .iter()
            .any(|group| group.description().as_deref() == Some(expected.as_str())),
        &format!("the encryption page says “{expected}” for the live layout"),
    );
    driver.window.navigation_view().pop();
    wait_until(
        "Back on the encryption page to lead to the keyboard page",
        WIDGETS_DEADLINE,
        || driver.tag() == "keyboard",
    )
    .await?;
    settle().await;
    Ok(())
}

/// The keyboard page: the live session's layout, the language rows, the
/// registry's layouts by name, a search, and the choice in the plan.
async fn keyboard_page(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let model = driver.window.plan_model();
    // Only the language runs are given a live session's settings (see
    // `run_in`): the environment of this process is the one it started with.
    if child_language().is_some() {
        live_keyboard(driver).await?;
    }
    language_rows(driver).await?;
    wait_until(
        "the keyboard page to list the chosen layout",
        WIDGETS_DEADLINE,
        || !shown_keyboards(driver).is_empty(),
    )
    .await?;
    driver.set_text("keyboard-search", "switz");
    wait_until(
        "the keyboard list to follow the search “switz”",
        WIDGETS_DEADLINE,
        || {
            let shown = shown_keyboards(driver);
            shown.iter().any(|name| name == "ch")
                && shown
                    .iter()
                    .all(|name| name == "ch" || name.starts_with("ch+"))
        },
    )
    .await?;
    let swiss = driver
        .find("keyboard:ch")
        .downcast::<adw::ActionRow>()
        .expect("a layout row");
    tally.check(
        swiss.title() == gettextrs::dgettext("xkeyboard-config", "German (Switzerland)"),
        &format!("the layout ch is called “{}”", swiss.title()),
    );
    // What Enter does on the focused row.
    swiss.emit_by_name::<()>("activate", &[]);
    settle().await;
    tally.check(
        model
            .with_plan(|plan| plan.system.xkb_layout == "ch" && plan.system.xkb_variant.is_empty()),
        "choosing German (Switzerland) puts layout ch without variant in the plan",
    );
    driver.set_text("keyboard-search", "dvorak");
    wait_until(
        "the keyboard list to follow the search “dvorak”",
        WIDGETS_DEADLINE,
        || {
            shown_keyboards(driver)
                .iter()
                .any(|name| name == "us+dvorak")
        },
    )
    .await?;
    tally.check(
        driver.find("keyboard-status").is_visible() || shown_keyboards(driver).len() > 1,
        "a search lists the variants it matches",
    );
    driver.set_text("keyboard-search", "no such keyboard");
    wait_until(
        "the keyboard list to empty for “no such keyboard”",
        WIDGETS_DEADLINE,
        || shown_keyboards(driver).is_empty(),
    )
    .await?;
    tally.check(
        driver.label_shown("keyboard-status").is_some(),
        "a search without result says so",
    );
    driver.set_text("keyboard-search", "");
    wait_until(
        "the keyboard list to show Swiss layouts again",
        WIDGETS_DEADLINE,
        || {
            shown_keyboards(driver)
                .iter()
                .any(|name| name == "ch+legacy")
        },
    )
    .await?;
    // The entry row's text field takes the focus, not the row.
    let test_row = driver.find("keyboard-test");
    let reached = wait_until(
        "Tab to reach the keyboard test field",
        WIDGETS_DEADLINE,
        || {
            GtkWindowExt::set_focus(&driver.window, None::<&gtk::Widget>);
            (0..400).any(|_| {
                driver.window.child_focus(gtk::DirectionType::TabForward);
                GtkWindowExt::focus(&driver.window)
                    .is_some_and(|focus| focus.is_ancestor(&test_row))
            })
        },
    )
    .await;
    tally.check(reached.is_ok(), "Tab reaches the keyboard test field");
    driver.set_text("keyboard-test", "Grüezi");
    tally.check(driver.next_sensitive(), "a chosen layout allows Next");
    driver.screenshots("02b-keyboard").await
}

/// The preset rows of the persistence page that are shown.
fn shown_presets(driver: &Driver) -> Vec<String> {
    let mut rows = Vec::new();
    collect::<adw::ActionRow>(driver.page().upcast_ref(), &mut rows);
    rows.iter()
        .filter(|row| row.is_visible())
        .filter_map(|row| {
            let name = row.widget_name();
            name.strip_prefix("preset-row:").map(str::to_owned)
        })
        .collect()
}

/// Types `query` into the preset search and waits for the list to follow.
async fn search_presets(
    driver: &Driver,
    query: &str,
    shown: impl Fn(&[String]) -> bool,
) -> Result<(), Stuck> {
    driver.set_text("preset-search", query);
    wait_until(
        &format!("the presets to follow the search “{query}”"),
        WIDGETS_DEADLINE,
        || shown(&shown_presets(driver)),
    )
    .await
}

/// The catalogue's presets on the persistence page: a short list, a
/// search by name and path, Keep, and what is kept shown as such.
async fn persistence_presets(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let model = driver.window.plan_model();
    let short = shown_presets(driver);
    tally.check(
        short.len() == 8 && driver.find("show-all-presets").is_visible(),
        &format!("the page suggests eight presets and offers the rest: {short:?}"),
    );
    tally.check(
        !short.iter().any(|id| id == "nixos"),
        "the short list leaves out presets already kept (NixOS' ID maps and configuration)",
    );

    search_presets(driver, "DOCK", |shown| shown == ["docker"]).await?;
    tally.check(
        !driver.find("preset:docker").get_visible()
            && driver.find("kept:docker").get_visible()
            && driver.find("preset-row:docker").is_visible(),
        "Docker, whose directory is a subvolume, is found by name and shown as kept",
    );

    search_presets(driver, "/var/lib/tail", |shown| shown == ["tailscale"]).await?;
    tally.check(
        driver.find("preset:tailscale").is_visible(),
        "Tailscale is found by its path and can be kept",
    );
    driver.click("preset:tailscale").await;
    tally.check(
        model.with_plan(|plan| {
            plan.persistence
                .directories
                .iter()
                .any(|d| d.path == "/var/lib/tailscale")
                && plan.persistence.presets.iter().any(|id| id == "tailscale")
        }) && driver.preview().contains("\"/var/lib/tailscale\""),
        "Keep puts Tailscale's directory and the preset in the plan and the preview",
    );
    tally.check(
        !driver.find("preset:tailscale").get_visible()
            && driver.find("kept:tailscale").is_visible(),
        "a kept preset shows as kept",
    );
    let mut rows = Vec::new();
    collect::<adw::ActionRow>(driver.page().upcast_ref(), &mut rows);
    let reason = gettextrs::gettext(
        "The node key and login; without it the machine joins the tailnet as a new device.",
    );
    tally.check(
        rows.iter().any(|row| {
            row.title() == "/var/lib/tailscale"
                && row.subtitle().as_deref() == Some(reason.as_str())
        }),
        "the kept directory is explained with the catalogue's reason",
    );

    search_presets(driver, "no such program", |shown| shown.is_empty()).await?;
    tally.check(
        driver.find("no-preset").is_visible(),
        "a search without result says so",
    );

    search_presets(driver, "", |shown| shown.len() == 8).await?;
    driver
        .find("show-all-presets")
        .emit_by_name::<()>("activated", &[]);
    settle().await;
    let all = shown_presets(driver);
    tally.check(
        all.len() > 40 && !driver.find("show-all-presets").is_visible(),
        &format!("Show All lists every preset ({} shown)", all.len()),
    );
    driver
        .screenshots_scrolled_to("05-persistence-presets", Some("preset-search"))
        .await
}

/// Closing the window while the (simulated) helper runs asks first, then
/// stops the install and closes only once it has stopped.
async fn closing_the_window_stops_the_install_first(
    driver: &Driver,
    progress: &KsProgressPage,
) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let window = &driver.window;
    // Keeps the application running when its only window closes.
    let _hold = window.application().map(|app| app.hold());
    progress.set_demo_time_scale(1.0);
    driver.click("install").await;
    tally.check(progress.is_running(), "the install runs again");
    window.close();
    wait_until(
        "a dialog about the running install",
        WIDGETS_DEADLINE,
        || window.visible_dialog().is_some(),
    )
    .await?;
    let dialog = window.visible_dialog().and_downcast::<adw::AlertDialog>();
    tally.check(
        window.is_visible()
            && dialog.as_ref().is_some_and(|dialog| {
                dialog.heading().as_deref()
                    == Some(gettextrs::gettext("Stop the Installation and Close?").as_str())
            }),
        "closing the window during an install asks first and keeps the window",
    );
    let Some(dialog) = dialog else {
        return Err(Stuck(
            "no dialog asked about the running install".to_owned(),
        ));
    };
    // What a click on the button does: the response, then the dialog closes.
    dialog.emit_by_name::<()>("response", &[&"stop"]);
    dialog.force_close();
    wait_until(
        "the window to close once the install stopped",
        INSTALL_DEADLINE,
        || !window.is_visible(),
    )
    .await?;
    // The demo install takes far longer than this at full time scale, so a
    // window that closed at once would find it still running.
    tally.check(
        !progress.is_running()
            && progress
                .log_text()
                .contains(&gettextrs::gettext("Cancelling at the next safe point…")),
        "the window closed only once the cancelled install had stopped",
    );
    Ok(())
}

/// The disk page watches the disks for as long as it lives; once its window
/// is gone, the watch must not keep it alive.
async fn disk_page_is_freed_when_closed(tally: &Tally) -> Result<(), Stuck> {
    let page: KsDiskPage = glib::Object::builder().property("demo", true).build();
    let navigation = adw::NavigationView::new();
    navigation.add(&page);
    let window = gtk::Window::builder().child(&navigation).build();
    window.present();
    wait_until(
        "a lone disk page to list the fake disks",
        WIDGETS_DEADLINE,
        || find_in(page.upcast_ref(), "disk:/dev/nvme0n1").is_some(),
    )
    .await?;
    let freed = page.downgrade();
    drop(page);
    drop(navigation);
    window.destroy();
    drop(window);
    let outcome = wait_until("the closed disk page to be freed", WIDGETS_DEADLINE, || {
        freed.upgrade().is_none()
    })
    .await;
    tally.check(
        outcome.is_ok(),
        "a closed disk page is freed although its disk watch was running",
    );
    Ok(())
}

/// Checks the widgets of `root` that every page must get right: no
/// mnemonic twice, no icon-only button without a name.
fn check_page_widgets(tally: &Tally, root: &gtk::Widget, what: &str) {
    let clashes = mnemonic_clashes(root);
    tally.check(
        clashes.is_empty(),
        &format!("no two labels share a mnemonic {what} {clashes:?}"),
    );
    let unnamed = unnamed_icon_buttons(root);
    tally.check(
        unnamed.is_empty(),
        &format!("every icon-only button has a name {what} {unnamed:?}"),
    );
}

/// Runs [`check_page_widgets`] on every page the drive shows, as it
/// arrives and again as it leaves (with what was added on it).
fn watch_every_page(window: &KsWindow, tally: &Rc<Tally>) {
    let view = window.navigation_view();
    let shown: Rc<RefCell<Option<adw::NavigationPage>>> = Rc::new(RefCell::new(None));
    let check = glib::clone!(
        #[strong]
        tally,
        move |view: &adw::NavigationView| {
            let leaving = shown.replace(view.visible_page());
            let arriving = view.visible_page();
            for (page, when) in [(leaving, "leaving"), (arriving, "arriving at")] {
                if let Some(page) = page {
                    let tag = page.tag().unwrap_or_default();
                    check_page_widgets(&tally, page.upcast_ref(), &format!("{when} {tag}"));
                }
            }
        }
    );
    check(&view);
    view.connect_visible_page_notify(check);
}

fn run_wizard(prefix: &'static str) -> Rc<Tally> {
    let tally = Rc::new(Tally::default());
    let options = GuiOptions {
        demo: true,
        screenshot: None,
        ..GuiOptions::default()
    };
    let app = KsApplication::new(&options, Instant::now());
    app.set_flags(gio::ApplicationFlags::NON_UNIQUE);
    let driving = Rc::new(RefCell::new(false));
    app.connect_window_added(glib::clone!(
        #[strong]
        tally,
        move |app, window| {
            if driving.replace(true) {
                return;
            }
            let window = window.clone().downcast::<KsWindow>().expect("a KsWindow");
            watch_every_page(&window, &tally);
            let driver = Driver {
                window,
                tally: tally.clone(),
                prefix,
            };
            let app = app.clone();
            glib::spawn_future_local(async move {
                let outcome = drive(&driver).await;
                let stuck = outcome.as_ref().err().map(|Stuck(why)| why.as_str());
                driver.tally.check(
                    stuck.is_none(),
                    &format!(
                        "the drive reached its last step{}",
                        stuck.map(|why| format!(" ({why})")).unwrap_or_default()
                    ),
                );
                driver.tally.reached_end.set(outcome.is_ok());
                app.quit();
            });
        }
    ));
    app.run_with_args::<&str>(&[]);
    tally
}

/// The live session each language run pretends to be in, so that the
/// software page's preselection is seen to follow it.
fn live_desktop_of(language: &str) -> &'static str {
    match language {
        "de" => "KDE",
        "ar" => "XFCE",
        _ => "GNOME",
    }
}

/// Runs this test again in `language`, in a child process with a deadline,
/// as in a live session in that language whose settings are in `config`.
/// (A child, because this process cannot change its own environment once
/// it runs: the lints forbid the `unsafe` that `set_var` needs.)
fn run_in(language: &str, locale: &str, name: &str, config: &Path) -> Result<(), String> {
    let mut child = Command::new(std::env::current_exe().map_err(|error| error.to_string())?)
        .env(LANGUAGE_CHILD, language)
        .env("LANG", locale)
        .env("LANGUAGE", language)
        .env("XDG_CURRENT_DESKTOP", live_desktop_of(language))
        .env("GSETTINGS_BACKEND", "keyfile")
        .env("XDG_CONFIG_HOME", config)
        .spawn()
        .map_err(|error| format!("could not start the {name} run: {error}"))?;
    let deadline = Instant::now() + LANGUAGE_RUN_DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("the {name} run ended with {status}")),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "gave up after {} s waiting for the {name} run to end",
                    LANGUAGE_RUN_DEADLINE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(error) => return Err(format!("could not wait for the {name} run: {error}")),
        }
    }
}

/// The configuration of a live session whose GNOME input source is
/// [`LIVE_INPUT_SOURCE`], for the language runs: a file of GLib's keyfile
/// backend under a new `XDG_CONFIG_HOME`, which the `gsettings` the wizard
/// runs reads as it would dconf on the live ISO (see `run_in`).
fn live_session_settings() -> tempfile::TempDir {
    let config = tempfile::tempdir().expect("a temporary configuration directory");
    let settings = config.path().join("glib-2.0/settings");
    std::fs::create_dir_all(&settings).expect("the keyfile backend's directory");
    let (layout, variant) = LIVE_INPUT_SOURCE;
    std::fs::write(
        settings.join("keyfile"),
        format!("[org/gnome/desktop/input-sources]\nsources=[('xkb', '{layout}+{variant}')]\n"),
    )
    .expect("the keyfile backend's file");
    config
}

fn main() -> ExitCode {
    keepsake::i18n::init();
    prepare();
    let child = child_language();
    let tally = run_wizard(child.map_or("", |(_, _, prefix, _)| prefix));
    // The app can also quit before the drive ends (a window closed, a
    // crash in a handler): that must fail too.
    tally.check(
        tally.reached_end.get(),
        "the application ran until the drive's last step",
    );
    if let Some((language, _, _, name)) = child {
        let rtl = matches!(language, "he" | "ar");
        tally.check(
            (gtk::Widget::default_direction() == gtk::TextDirection::Rtl) == rtl,
            &format!(
                "{name} lays the window out {}",
                if rtl {
                    "right to left"
                } else {
                    "left to right"
                }
            ),
        );
        // The catalogue is loaded: the Next button is not in English.
        let next = gettextrs::gettext("_Next");
        tally.check(
            next != "_Next",
            &format!("the {name} catalogue is loaded (Next reads “{next}”)"),
        );
    } else {
        let live_settings = live_session_settings();
        for (language, locale, _, name) in OTHER_LANGUAGES {
            let outcome = run_in(language, locale, name, live_settings.path());
            tally.check(
                outcome.is_ok(),
                &format!(
                    "the whole wizard also passes in {name}{}",
                    outcome
                        .err()
                        .map(|why| format!(": {why}"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    let (passed, failed) = (tally.passed.get(), tally.failed.get());
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
