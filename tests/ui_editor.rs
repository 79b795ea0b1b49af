// SPDX-License-Identifier: GPL-3.0-or-later
//! Drives the persistence editor in demo mode (`keepsake --demo --edit`)
//! through its real widgets: the kept list and its Read-Only group for the
//! computed list, Lost at Next Reboot (Keep and Ignore), Add…, remove and
//! its undo toast, the review diff, a simulated apply that succeeds, Orphans
//! and their confirmed deletion, a password change and when it takes
//! effect, and an apply whose `nixos-rebuild test` fails; in a second run,
//! the demo system without persistence and "Create persistence.nix…". Saves a
//! screenshot of each state at normal width and at 360 px under
//! `target/screenshots/editor-*`, then runs itself again in Hebrew (right to
//! left).
//!
//! Needs a display: CI runs it under `xvfb-run dbus-run-session`.
//!
//! Every wait has a deadline and names what it waited for; the test fails
//! unless the drive reached its last step.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::rc::Rc;
use std::time::{Duration, Instant};

use adw::prelude::*;
use gtk::{gio, glib};
use keepsake::GuiOptions;
use keepsake::nix::persistence_edit::ComputedReason;
use keepsake::ui::editor::{
    KsAccountsPage, KsAddEntryDialog, KsApplyDialog, KsEditorModel, KsEditorWindow, KsLostPage,
    KsOrphansPage, KsReviewDialog,
};
use keepsake::ui::{KsApplication, prepare, save_png};

const RTL_CHILD: &str = "KEEPSAKE_UI_TEST_RTL";
/// Set in the child run of the demo system without persistence.
const EMPTY_CHILD: &str = "KEEPSAKE_UI_TEST_NO_PERSISTENCE";

/// Deadlines, generous because CI machines are slow and shared: they only
/// turn a hang into a failure that says what never happened.
const WIDGETS_DEADLINE: Duration = Duration::from_secs(20);
const WORK_DEADLINE: Duration = Duration::from_secs(120);
const CHILD_RUN_DEADLINE: Duration = Duration::from_secs(600);

/// Why the drive stopped before its last step.
#[derive(Debug)]
struct Stuck(String);

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

/// Lets GTK lay out and draw a frame.
async fn settle() {
    glib::timeout_future(Duration::from_millis(150)).await;
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

/// The sizes the Lost page's rows show, top to bottom, in bytes as far as
/// their one decimal tells.
fn shown_sizes(page: &gtk::Widget) -> Vec<f64> {
    let mut sizes = Vec::new();
    collect_sizes(page, &mut sizes);
    sizes
}

fn collect_sizes(widget: &gtk::Widget, sizes: &mut Vec<f64>) {
    if widget.widget_name().starts_with("lost:") {
        let subtitle = widget
            .downcast_ref::<adw::ActionRow>()
            .and_then(|row| row.subtitle())
            .unwrap_or_default();
        let size = size_in(&subtitle);
        sizes.push(size.unwrap_or(f64::NAN));
        return;
    }
    let mut child = widget.first_child();
    while let Some(next) = child {
        collect_sizes(&next, sizes);
        child = next.next_sibling();
    }
}

/// The first size in `text`, in bytes as far as its one decimal tells,
/// read through the catalogue's own units and the locale's decimal
/// separator, as `format_size` writes them in any language.
fn size_in(text: &str) -> Option<f64> {
    let separator = keepsake::i18n::decimal_separator();
    [
        ("{size} kB", 1e3),
        ("{size} MB", 1e6),
        ("{size} GB", 1e9),
        ("{size} TB", 1e12),
    ]
    .into_iter()
    .find_map(|(msgid, factor)| {
        let template = gettextrs::gettext(msgid);
        let (_, unit) = template.split_once("{size}")?;
        text.match_indices(unit).find_map(|(at, _)| {
            let before = &text[..at];
            let number: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit() || separator.contains(*c))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let value = number.replace(&separator, ".").parse::<f64>().ok()?;
            Some(value * factor)
        })
    })
}

/// The first widget below `parent` that `matches`.
fn find_where(parent: &gtk::Widget, matches: &dyn Fn(&gtk::Widget) -> bool) -> Option<gtk::Widget> {
    if matches(parent) {
        return Some(parent.clone());
    }
    let mut child = parent.first_child();
    while let Some(widget) = child {
        if let Some(found) = find_where(&widget, matches) {
            return Some(found);
        }
        child = widget.next_sibling();
    }
    None
}

struct Driver {
    window: KsEditorWindow,
    model: KsEditorModel,
    tally: Rc<Tally>,
    prefix: &'static str,
}

impl Driver {
    fn find(&self, name: &str) -> Option<gtk::Widget> {
        find_in(self.window.upcast_ref(), name)
    }

    fn must_find(&self, name: &str) -> Result<gtk::Widget, Stuck> {
        self.find(name)
            .ok_or_else(|| Stuck(format!("no widget named {name} in the editor")))
    }

    async fn click(&self, name: &str) -> Result<(), Stuck> {
        self.must_find(name)?
            .downcast::<gtk::Button>()
            .map_err(|_| Stuck(format!("{name} is not a button")))?
            .emit_clicked();
        settle().await;
        Ok(())
    }

    /// Moves the focus with Tab, as a keyboard-only user would, until it
    /// reaches the widget named `name`; false if it never does.
    async fn focus_by_tab(&self, name: &str) -> bool {
        let Some(target) = self.find(name) else {
            return false;
        };
        wait_until(&format!("Tab to reach {name}"), WIDGETS_DEADLINE, || {
            GtkWindowExt::set_focus(&self.window, None::<&gtk::Widget>);
            (0..400).any(|_| {
                self.window.child_focus(gtk::DirectionType::TabForward);
                GtkWindowExt::focus(&self.window).as_ref() == Some(&target)
            })
        })
        .await
        .is_ok()
    }

    fn dialog<T: IsA<adw::Dialog>>(&self) -> Option<T> {
        self.window.visible_dialog().and_downcast::<T>()
    }

    async fn wait_for_dialog<T: IsA<adw::Dialog>>(&self, what: &str) -> Result<T, Stuck> {
        wait_until(what, WIDGETS_DEADLINE, || self.dialog::<T>().is_some()).await?;
        self.dialog::<T>()
            .ok_or_else(|| Stuck(format!("{what} went away")))
    }

    fn changes(&self) -> usize {
        self.model.n_changes()
    }

    fn file_text(&self) -> String {
        let file = self.model.with_state(|state| state.file().to_owned());
        std::fs::read_to_string(&file).unwrap_or_default()
    }

    /// Saves the window at its normal size and at 360 px wide.
    async fn screenshots(&self, name: &str) -> Result<(), Stuck> {
        self.screenshots_with(name, || {}).await
    }

    /// [`Driver::screenshots`], calling `prepare` once the window has its
    /// width (to scroll what the shot is about into view, which a new width
    /// moves).
    async fn screenshots_with(&self, name: &str, prepare: impl Fn()) -> Result<(), Stuck> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        for (width, suffix) in [(960, "wide"), (360, "narrow")] {
            self.window.set_default_size(width, 720);
            wait_until(
                &format!("the window to become {width} px wide for {name}"),
                WIDGETS_DEADLINE,
                || (self.window.width() - width).abs() <= 10,
            )
            .await?;
            settle().await;
            prepare();
            settle().await;
            let path = dir.join(format!("editor-{}{name}-{suffix}.png", self.prefix));
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

    /// Opens the review, checks the diff with `check_diff`, applies, and
    /// waits for the apply dialog to finish.
    async fn review_and_apply(
        &self,
        screenshot: Option<&str>,
        check_diff: impl Fn(&str) -> bool,
        what: &str,
        conflict: Option<&str>,
        boot: bool,
        cancel: bool,
    ) -> Result<KsApplyDialog, Stuck> {
        WidgetExt::activate_action(&self.window, "editor.review", None)
            .map_err(|_| Stuck("no editor.review action".to_owned()))?;
        let review: KsReviewDialog = self.wait_for_dialog("the review dialog").await?;
        settle().await;
        self.tally.check(check_diff(&review.diff_text()), what);
        if boot {
            find_in(review.upcast_ref(), "activation-boot")
                .and_downcast::<gtk::CheckButton>()
                .ok_or_else(|| Stuck("no choice of the next boot in the review".to_owned()))?
                .set_active(true);
        }
        if let Some(name) = screenshot {
            self.screenshots(name).await?;
        }
        WidgetExt::activate_action(&review, "review.apply", None)
            .map_err(|_| Stuck("no review.apply action".to_owned()))?;
        if let Some(response) = conflict {
            let ask: adw::AlertDialog = self
                .wait_for_dialog("the question which copy to keep")
                .await?;
            self.tally.check(
                ask.heading().as_deref()
                    == Some(gettextrs::gettext("Storage Already Has This Data").as_str())
                    && ask.body().contains("/persist/var/lib/colord"),
                "data in storage at a re-added path is a question, not an overwrite",
            );
            self.screenshots("11-conflict").await?;
            ask.emit_by_name::<()>("response", &[&response]);
            ask.force_close();
        }
        let apply: KsApplyDialog = self.wait_for_dialog("the apply dialog").await?;
        if cancel {
            // During the simulated `nixos-rebuild test` at the latest, which
            // takes about a second.
            WidgetExt::activate_action(&apply, "apply.cancel", None)
                .map_err(|_| Stuck("no apply.cancel action".to_owned()))?;
        }
        wait_until("the simulated apply to end", WORK_DEADLINE, || {
            !apply.is_running()
        })
        .await?;
        settle().await;
        Ok(apply)
    }
}

async fn drive(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    settle().await;
    // Kept
    let var_log = driver
        .must_find("kept:/var/log")?
        .downcast::<adw::ActionRow>()
        .map_err(|_| Stuck("kept:/var/log is not a row".to_owned()))?;
    let active = gettextrs::gettext("Active: mounted from storage");
    tally.check(
        var_log
            .subtitle()
            .is_some_and(|s| s.contains(active.as_str())),
        "/var/log is listed as active, in words",
    );
    wait_until("the stored size of /var/log", WIDGETS_DEADLINE, || {
        var_log.subtitle().is_some_and(|s| size_in(&s).is_some())
    })
    .await?;
    tally.check(
        driver
            .find("kept:/var/lib/systemd/coredump")
            .is_some_and(|row| {
                row.downcast::<adw::ActionRow>()
                    .ok()
                    .and_then(|row| row.subtitle())
                    .is_some_and(|s| {
                        s.contains(
                            gettextrs::gettext("Not active: set up at the next boot").as_str(),
                        )
                    })
            }),
        "an entry added since the last boot is shown as not active",
    );
    tally.check(
        driver.must_find("remove:/var/log")?.accessible_role() == gtk::AccessibleRole::Button,
        "the remove button is a button for assistive technologies",
    );
    tally.check(
        driver.focus_by_tab("add-entry").await && driver.focus_by_tab("remove:/var/log").await,
        "Tab reaches Add… and a remove button",
    );
    driver.screenshots("01-kept").await?;
    read_only(driver).await?;

    // Lost at Next Reboot
    driver.window.view_stack().set_visible_child_name("lost");
    let lost = driver
        .window
        .view_stack()
        .child_by_name("lost")
        .and_downcast::<KsLostPage>()
        .ok_or_else(|| Stuck("no lost page".to_owned()))?;
    wait_until("the scan of the demo root", WORK_DEADLINE, || {
        !lost.is_scanning()
    })
    .await?;
    let looked_at = driver
        .find("scan-progress")
        .and_downcast::<gtk::Label>()
        .map(|label| label.label().to_string())
        .unwrap_or_default();
    let files: u64 = looked_at
        .split(|c: char| !c.is_ascii_digit())
        .find(|digits| !digits.is_empty())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0);
    tally.check(
        files > 5 && size_in(&looked_at).is_some(),
        &format!("the scan counts the files and bytes it looked at ({looked_at})"),
    );
    wait_until("Docker's data in the lost list", WIDGETS_DEADLINE, || {
        driver.find("lost:/var/lib/docker").is_some()
    })
    .await?;
    driver.screenshots("02-lost").await?;
    let sizes = shown_sizes(lost.upcast_ref());
    tally.check(
        sizes.len() > 2 && sizes.windows(2).all(|pair| pair[0] >= pair[1]),
        &format!("the Lost page lists the largest first ({sizes:?} bytes)"),
    );
    let next = find_where(lost.upcast_ref(), &|widget| {
        widget.widget_name().starts_with("ignore:")
            && widget.widget_name() != "ignore:/var/lib/docker"
    })
    .ok_or_else(|| Stuck("no other candidate to ignore".to_owned()))?;
    let ignored = next.widget_name().trim_start_matches("ignore:").to_owned();
    next.downcast::<gtk::Button>().unwrap().emit_clicked();
    settle().await;
    tally.check(
        driver.changes() == 0 && driver.find(&format!("lost:{ignored}")).is_none(),
        &format!("Ignore takes {ignored} off the list without a change"),
    );
    let remembered = driver
        .model
        .ignore_file()
        .and_then(|file| keepsake::kept::IgnoredPaths::load(&file).ok());
    tally.check(
        remembered.is_some_and(|paths| paths.is_ignored(std::path::Path::new(&ignored))),
        &format!("Ignore of {ignored} is written to the state file"),
    );
    WidgetExt::activate_action(&lost, "lost.rescan", None).unwrap();
    wait_until("the second scan", WORK_DEADLINE, || !lost.is_scanning()).await?;
    tally.check(
        driver.find(&format!("lost:{ignored}")).is_none()
            && driver.find("lost:/home/alice/.cache").is_some(),
        "an ignored path stays off the list when looking again",
    );
    let docker = driver
        .find("lost:/var/lib/docker")
        .and_downcast::<adw::ActionRow>()
        .and_then(|row| row.subtitle());
    tally.check(
        docker.is_some_and(|s| s.contains("Docker") && s.contains("/var/lib/docker")),
        "Docker's row says it is enabled but not kept",
    );
    driver.click("keep:/var/lib/docker").await?;
    tally.check(
        driver.changes() == 1 && driver.find("lost:/var/lib/docker").is_none(),
        "Keep adds /var/lib/docker to the pending changes and takes it off the list",
    );

    // Add…
    driver.window.view_stack().set_visible_child_name("kept");
    settle().await;
    tally.check(
        driver.find("kept:/var/lib/docker").is_some(),
        "the kept list shows the pending /var/lib/docker",
    );
    WidgetExt::activate_action(&driver.window, "editor.add", None)
        .map_err(|_| Stuck("no editor.add action".to_owned()))?;
    let add: KsAddEntryDialog = driver.wait_for_dialog("the Add dialog").await?;
    let path = find_in(add.upcast_ref(), "add-path")
        .and_downcast::<gtk::Editable>()
        .ok_or_else(|| Stuck("no path entry in the Add dialog".to_owned()))?;
    path.set_text("var/www");
    WidgetExt::activate_action(&add, "add-entry.add", None).unwrap();
    settle().await;
    let problem = find_in(add.upcast_ref(), "add-problem")
        .and_downcast::<gtk::Label>()
        .unwrap();
    tally.check(
        driver.changes() == 1 && problem.is_visible() && !problem.label().is_empty(),
        "a relative path is refused in the Add dialog with a reason",
    );
    path.set_text("/srv/www");
    settle().await;
    driver.screenshots("03-add").await?;
    WidgetExt::activate_action(&add, "add-entry.add", None).unwrap();
    settle().await;
    tally.check(
        driver.changes() == 2 && driver.find("kept:/srv/www").is_some(),
        "Add puts /srv/www in the pending changes and the list",
    );
    wait_until("the Add dialog to close", WIDGETS_DEADLINE, || {
        driver.dialog::<KsAddEntryDialog>().is_none()
    })
    .await?;

    // Remove, undo
    driver.click("remove:/var/log").await?;
    tally.check(
        driver.changes() == 3 && driver.find("kept:/var/log").is_none(),
        "removing /var/log is a pending change",
    );
    driver.screenshots("04-removed").await?;
    let undo_label = gettextrs::gettext("_Undo");
    let undo = find_where(driver.window.upcast_ref(), &|widget| {
        widget
            .downcast_ref::<gtk::Button>()
            .is_some_and(|button| button.label().is_some_and(|label| label == undo_label))
    })
    .and_downcast::<gtk::Button>()
    .ok_or_else(|| Stuck("no Undo button in a toast".to_owned()))?;
    undo.emit_clicked();
    settle().await;
    tally.check(
        driver.changes() == 2 && driver.find("kept:/var/log").is_some(),
        "Undo in the toast keeps /var/log again",
    );
    driver.click("remove:/var/lib/colord").await?;
    tally.check(driver.changes() == 3, "removing /var/lib/colord is pending");

    // Review and apply
    let before = driver.file_text();
    let apply = driver
        .review_and_apply(
            Some("05-review"),
            |diff| {
                diff.contains("+      \"/var/lib/docker\"")
                    && diff.contains("/srv/www")
                    && diff
                        .lines()
                        .any(|l| l.starts_with('-') && l.contains("/var/lib/colord"))
            },
            "the review shows the added and removed entries as a diff",
            None,
            true,
            false,
        )
        .await?;
    let root = driver.model.live_root();
    tally.check(apply.succeeded(), "the simulated apply succeeds");
    let done = gettextrs::gettext("Done");
    tally.check(
        apply.step_states().iter().all(|state| *state == done),
        &format!(
            "every step of the apply says “{done}” in words: {:?}",
            apply.step_states()
        ),
    );
    tally.check(
        !apply.log_text().contains("not found"),
        "the demo's nixos-rebuild finds the commands it uses",
    );
    tally.check(
        apply.log_text().contains("done (boot)")
            && apply.state_text().contains(
                gettextrs::gettext(
                    "Applied. The new system starts at the next boot; until then the running system stays as it is.",
                )
                .as_str(),
            ),
        "choosing the next boot runs nixos-rebuild boot and says so",
    );
    tally.check(
        driver.changes() == 0
            && driver.file_text() != before
            && driver.file_text().contains("/srv/www"),
        "after the apply the file holds the changes and none are pending",
    );
    tally.check(
        root.join("persist/var/lib/docker/image/overlay2/repositories.json")
            .exists(),
        "Docker's live data was copied into the storage root",
    );
    tally.check(
        root.join("persist/var/lib/colord").exists(),
        "the removed entry's data stays in storage",
    );
    driver.screenshots("06-applied").await?;
    WidgetExt::activate_action(&apply, "apply.close", None).unwrap();
    settle().await;

    orphans(driver).await?;
    accounts(driver).await?;

    // Keeping /var/lib/colord again meets its data in storage; then the
    // rebuild fails.
    driver.window.set_demo_rebuild_fails(true);
    driver.window.view_stack().set_visible_child_name("kept");
    WidgetExt::activate_action(&driver.window, "editor.add", None).unwrap();
    let add: KsAddEntryDialog = driver.wait_for_dialog("the Add dialog again").await?;
    find_in(add.upcast_ref(), "add-path")
        .and_downcast::<gtk::Editable>()
        .unwrap()
        .set_text("/var/lib/colord");
    WidgetExt::activate_action(&add, "add-entry.add", None).unwrap();
    settle().await;
    let before = driver.file_text();
    let apply = driver
        .review_and_apply(
            None,
            |diff| diff.contains("+      \"/var/lib/colord\""),
            "the diff shows /var/lib/colord added back",
            Some("stored"),
            false,
            false,
        )
        .await?;
    tally.check(!apply.succeeded(), "the apply with a failing rebuild fails");
    let failed = gettextrs::gettext("Failed");
    tally.check(
        apply
            .step_states()
            .iter()
            .filter(|state| **state == failed)
            .count()
            == 1,
        &format!(
            "the step that failed says “{failed}” in words: {:?}",
            apply.step_states()
        ),
    );
    tally.check(
        driver.file_text() == before,
        "after the failed rebuild the file is back byte for byte",
    );
    tally.check(
        apply
            .state_text()
            .contains(gettextrs::gettext("Building or trying the new system failed.").as_str())
            && apply.log_text().contains("conflicting definition"),
        "the failure is one sentence on top and the rebuild's words in the log",
    );
    tally.check(
        driver.changes() == 1,
        "the change that failed is still pending, to fix or take back",
    );
    driver.screenshots("07-failed").await?;
    WidgetExt::activate_action(&apply, "apply.close", None).unwrap();
    settle().await;

    // Closing with a pending change asks first.
    driver.window.close();
    let ask: adw::AlertDialog = driver
        .wait_for_dialog("the question whether to discard the pending change")
        .await?;
    tally.check(
        driver.window.is_visible()
            && ask.heading().as_deref()
                == Some(gettextrs::gettext("Discard the Changes?").as_str())
            && ask.response_appearance("discard") == adw::ResponseAppearance::Destructive,
        "closing with a pending change asks first and keeps the window",
    );
    ask.emit_by_name::<()>("response", &[&"keep"]);
    ask.force_close();
    settle().await;
    tally.check(
        driver.window.is_visible() && driver.changes() == 1,
        "Keep Editing keeps the window and the change",
    );

    // Cancel, as soon as the apply starts.
    driver.window.set_demo_rebuild_fails(false);
    let before = driver.file_text();
    let apply = driver
        .review_and_apply(
            None,
            |diff| diff.contains("/var/lib/colord"),
            "the pending change is still in the diff",
            Some("stored"),
            false,
            true,
        )
        .await?;
    tally.check(
        !apply.succeeded()
            && apply
                .state_text()
                .contains(gettextrs::gettext("Applying was cancelled.").as_str())
            && driver.file_text() == before
            && driver.changes() == 1,
        &format!(
            "a cancelled apply says so and leaves the file as it was ({})",
            apply.state_text()
        ),
    );
    WidgetExt::activate_action(&apply, "apply.close", None).unwrap();
    settle().await;
    Ok(())
}

/// The demo's list computed with `lib.optionals`: shown in the Read-Only
/// group with the reason, and with nothing to remove or edit it.
async fn read_only(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let computed = driver
        .model
        .with_state(|state| state.persistence().computed.clone());
    let optionals_line = driver
        .file_text()
        .lines()
        .position(|line| line.contains("lib.optionals"))
        .map(|index| index + 1);
    tally.check(
        matches!(computed.as_slice(), [part] if part.place == "\"/persist\".directories"
            && Some(part.line) == optionals_line
            && part.reason == ComputedReason::FunctionCall("lib.optionals".to_owned())),
        &format!("the demo's lib.optionals list is its one computed part ({computed:?})"),
    );
    let title = gettextrs::gettext("Read-Only");
    let group = find_where(driver.window.upcast_ref(), &|widget| {
        widget
            .downcast_ref::<adw::PreferencesGroup>()
            .is_some_and(|group| group.title() == title)
    })
    .and_downcast::<adw::PreferencesGroup>()
    .ok_or_else(|| Stuck("no Read-Only group on the kept page".to_owned()))?;
    let description = gettextrs::gettext(
        "These parts of the configuration are computed, so Keepsake shows them but never rewrites them.",
    );
    tally.check(
        group.is_mapped() && group.description().is_some_and(|d| d == description),
        "the Read-Only group is shown and says why it cannot be edited",
    );
    let mut rows = Vec::new();
    collect_widgets(group.upcast_ref(), &mut |widget| {
        if let Some(row) = widget.downcast_ref::<adw::ActionRow>() {
            rows.push(row.clone());
        }
    });
    let reason = ComputedReason::FunctionCall("lib.optionals".to_owned()).message();
    let expected = keepsake::i18n::gettext_f(
        "Line {line}: read-only because {reason}.",
        &[
            ("line", &optionals_line.unwrap_or(0).to_string()),
            ("reason", &reason),
        ],
    );
    tally.check(
        matches!(rows.as_slice(), [row]
            if row.title() == glib::markup_escape_text("\"/persist\".directories")
                && row.subtitle().is_some_and(|s| s == glib::markup_escape_text(&expected))),
        &format!(
            "the computed list's row names its place, line and reason ({:?})",
            rows.iter()
                .map(|row| (
                    row.title().to_string(),
                    row.subtitle().map(|s| s.to_string())
                ))
                .collect::<Vec<_>>()
        ),
    );
    let mut buttons = 0;
    collect_widgets(group.upcast_ref(), &mut |widget| {
        if widget.is::<gtk::Button>() || widget.widget_name().starts_with("remove:") {
            buttons += 1;
        }
    });
    tally.check(
        buttons == 0 && driver.find("remove:/var/lib/bluetooth").is_none(),
        "the computed entry has no remove button",
    );
    // The group is the last on the page: scrolled to the end for the shot.
    let scrolled = group
        .ancestor(gtk::ScrolledWindow::static_type())
        .and_downcast::<gtk::ScrolledWindow>()
        .ok_or_else(|| Stuck("the kept page does not scroll".to_owned()))?;
    driver
        .screenshots_with("01-read-only", || {
            let adjustment = scrolled.vadjustment();
            adjustment.set_value(adjustment.upper() - adjustment.page_size());
        })
        .await?;
    scrolled.vadjustment().set_value(0.0);
    settle().await;
    Ok(())
}

/// Calls `visit` with `widget` and every widget below it.
fn collect_widgets(widget: &gtk::Widget, visit: &mut dyn FnMut(&gtk::Widget)) {
    visit(widget);
    let mut child = widget.first_child();
    while let Some(next) = child {
        collect_widgets(&next, visit);
        child = next.next_sibling();
    }
}

/// The orphan of the demo and the one the apply made: "Delete…" asks,
/// naming the size, with a destructive button, and only then deletes.
async fn orphans(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let root = driver.model.live_root();
    driver.window.view_stack().set_visible_child_name("orphans");
    let page = driver
        .window
        .view_stack()
        .child_by_name("orphans")
        .and_downcast::<KsOrphansPage>()
        .ok_or_else(|| Stuck("no orphans page".to_owned()))?;
    wait_until("the orphans to be measured", WORK_DEADLINE, || {
        !page.is_busy() && driver.find("orphan:/persist/var/lib/postgresql").is_some()
    })
    .await?;
    tally.check(
        driver.find("orphan:/persist/var/lib/colord").is_some(),
        "the entry removed by the apply left its data as an orphan",
    );
    driver.screenshots("08-orphans").await?;
    driver.click("delete:/persist/var/lib/postgresql").await?;
    let dialog: adw::AlertDialog = driver.wait_for_dialog("the delete confirmation").await?;
    tally.check(
        dialog
            .heading()
            .is_some_and(|h| h.contains("/persist/var/lib/postgresql"))
            && size_in(&dialog.body()).is_some()
            && dialog.response_appearance("delete") == adw::ResponseAppearance::Destructive
            && dialog.default_response().as_deref() == Some("cancel"),
        "Delete… asks first, names the size, and its delete button is destructive",
    );
    tally.check(
        root.join("persist/var/lib/postgresql").exists(),
        "nothing is deleted while the confirmation is open",
    );
    driver.screenshots("09-delete-orphan").await?;
    dialog.emit_by_name::<()>("response", &[&"delete"]);
    dialog.force_close();
    wait_until("the orphan to be deleted", WORK_DEADLINE, || {
        !page.is_busy() && driver.find("orphan:/persist/var/lib/postgresql").is_none()
    })
    .await?;
    tally.check(
        !root.join("persist/var/lib/postgresql").exists()
            && root.join("persist/var/lib/colord").exists(),
        "the confirmed orphan is deleted, the other stays",
    );
    Ok(())
}

/// Change Password… wants the password twice and writes a new hash.
async fn accounts(driver: &Driver) -> Result<(), Stuck> {
    let tally = &driver.tally;
    let file = driver.model.live_root().join("persist/passwords/alice");
    let before = std::fs::read_to_string(&file).unwrap_or_default();
    driver
        .window
        .view_stack()
        .set_visible_child_name("accounts");
    settle().await;
    let page = driver
        .window
        .view_stack()
        .child_by_name("accounts")
        .and_downcast::<KsAccountsPage>()
        .ok_or_else(|| Stuck("no accounts page".to_owned()))?;
    tally.check(
        driver.find("account:bob").is_some() && driver.find("change-password:bob").is_some(),
        "bob, declared in the configuration but keeping nothing, can change his password",
    );
    let no_file = keepsake::kept::PasswordError::NoPasswordFile {
        user: "root".to_owned(),
    }
    .message();
    tally.check(
        driver.find("account:root").is_some_and(|row| {
            row.downcast::<adw::ActionRow>()
                .ok()
                .and_then(|row| row.subtitle())
                .is_some_and(|s| s.contains(no_file.as_str()))
        }) && driver.find("change-password:root").is_none(),
        "root, without a hashedPasswordFile, gets a sentence instead of Change Password…",
    );
    driver.click("change-password:alice").await?;
    let dialog: adw::AlertDialog = driver.wait_for_dialog("the password dialog").await?;
    tally.check(
        dialog.body() == keepsake::kept::password_takes_effect(),
        &format!(
            "the password dialog says when a new password takes effect ({})",
            dialog.body()
        ),
    );
    let entry = |name: &str| {
        find_in(dialog.upcast_ref(), name)
            .and_downcast::<gtk::Editable>()
            .ok_or_else(|| Stuck(format!("no {name} in the password dialog")))
    };
    entry("new-password")?.set_text("through the looking glass");
    entry("repeat-password")?.set_text("through the looking-glass");
    settle().await;
    tally.check(
        !dialog.is_response_enabled("change"),
        "different passwords cannot be confirmed",
    );
    entry("repeat-password")?.set_text("through the looking glass");
    settle().await;
    tally.check(
        dialog.is_response_enabled("change"),
        "the same password twice can be confirmed",
    );
    driver.screenshots("10-password").await?;
    dialog.emit_by_name::<()>("response", &[&"change"]);
    dialog.force_close();
    wait_until("the new password hash to be written", WORK_DEADLINE, || {
        !page.is_busy() && std::fs::read_to_string(&file).is_ok_and(|text| text != before)
    })
    .await?;
    let after = std::fs::read_to_string(&file).unwrap_or_default();
    tally.check(
        after.starts_with("$y$") && !after.contains("looking glass"),
        "alice's password file holds a new yescrypt hash, not the password",
    );
    // A short toast title fits 360 px; the whole sentence, which says when
    // the password takes effect, is behind Details. Toasts queue: the
    // deleted orphan's may come first, and is dismissed with its Details.
    let changed = gettextrs::gettext("Password changed");
    let details_label = gettextrs::gettext("_Details");
    let details_button = || {
        find_where(driver.window.upcast_ref(), &|widget| {
            widget
                .downcast_ref::<gtk::Button>()
                .is_some_and(|button| button.label().is_some_and(|l| l == details_label))
        })
        .and_downcast::<gtk::Button>()
    };
    let password_toast_shown = || {
        find_where(driver.window.upcast_ref(), &|widget| {
            widget
                .downcast_ref::<gtk::Label>()
                .is_some_and(|label| label.label() == changed)
        })
        .is_some_and(|label| label.is_mapped())
    };
    let mut dismissed = Vec::new();
    wait_until("the password's toast", WORK_DEADLINE, || {
        if password_toast_shown() {
            return true;
        }
        if let Some(button) = details_button().filter(|button| !dismissed.contains(button)) {
            button.emit_clicked();
            if let Some(shown) = driver.window.visible_dialog() {
                shown.force_close();
            }
            dismissed.push(button);
        }
        false
    })
    .await?;
    driver.screenshots("12-toast").await?;
    details_button()
        .ok_or_else(|| Stuck("the password's toast has no Details button".to_owned()))?
        .emit_clicked();
    let shown: adw::AlertDialog = driver.wait_for_dialog("the toast's details").await?;
    let takes_effect = keepsake::i18n::gettext_f(
        "The password of {user} was changed; it is used from the next activation or boot.",
        &[("user", "alice")],
    );
    tally.check(
        shown.heading().is_some_and(|h| h == changed) && shown.body() == takes_effect,
        &format!(
            "after the change, Details says when the new password takes effect ({})",
            shown.body()
        ),
    );
    driver.screenshots("13-password-changed").await?;
    shown.force_close();
    settle().await;
    Ok(())
}

/// The demo system before anything is kept
/// (`KEEPSAKE_DEMO_PERSISTENCE=none`): the empty state offers to create
/// `persistence.nix`, shows the diff, and then the editor.
async fn drive_without_persistence(
    window: &KsEditorWindow,
    tally: &Tally,
    prefix: &'static str,
) -> Result<(), Stuck> {
    settle().await;
    let empty = find_in(window.upcast_ref(), "no-persistence")
        .ok_or_else(|| Stuck("no empty state without persistence".to_owned()))?;
    tally.check(
        empty.is_drawable() && window.model().is_none(),
        "without persistence the editor shows the empty state, not an error",
    );
    shots(window, tally, &format!("{prefix}00-no-persistence")).await?;
    WidgetExt::activate_action(window, "editor.create-module", None)
        .map_err(|_| Stuck("no editor.create-module action".to_owned()))?;
    wait_until("the diff of the new module", WIDGETS_DEADLINE, || {
        window.visible_dialog().is_some()
    })
    .await?;
    let dialog = window
        .visible_dialog()
        .and_downcast::<adw::AlertDialog>()
        .ok_or_else(|| Stuck("the diff is not an alert dialog".to_owned()))?;
    let diff = find_in(dialog.upcast_ref(), "create-module-diff")
        .and_downcast::<gtk::TextView>()
        .map(|view| {
            let buffer = view.buffer();
            buffer
                .text(&buffer.start_iter(), &buffer.end_iter(), false)
                .to_string()
        })
        .unwrap_or_default();
    tally.check(
        diff.contains("+  environment.persistence.\"/persist\"")
            && diff
                .lines()
                .any(|l| l.starts_with('+') && l.contains("./persistence.nix")),
        "the dialog shows the new file and its import as a diff",
    );
    settle().await;
    shots(window, tally, &format!("{prefix}00-create-module")).await?;
    dialog.emit_by_name::<()>("response", &[&"create"]);
    dialog.force_close();
    wait_until(
        "the editor after creating persistence.nix",
        WORK_DEADLINE,
        || {
            window.model().is_some()
                && find_in(window.upcast_ref(), "add-entry").is_some_and(|w| w.is_drawable())
        },
    )
    .await?;
    let model = window.model().ok_or_else(|| Stuck("no model".to_owned()))?;
    let file = model.with_state(|state| state.file().to_owned());
    tally.check(
        file.ends_with("etc/nixos/persistence.nix")
            && std::fs::read_to_string(&file).is_ok_and(|text| text.contains("/persist")),
        "the new persistence.nix is written and opened in the editor",
    );
    let none_yet = gettextrs::gettext(
        "System paths. None yet: add them with Add…, or with Keep in Lost at Next Reboot.",
    );
    tally.check(
        find_where(window.upcast_ref(), &|widget| {
            widget
                .downcast_ref::<adw::PreferencesGroup>()
                .is_some_and(|group| group.description().is_some_and(|d| d == none_yet))
        })
        .is_some(),
        "the empty storage root says how to add the first entry",
    );
    shots(window, tally, &format!("{prefix}00-created")).await?;
    Ok(())
}

/// [`Driver::screenshots`] for a window without a driver.
async fn shots(window: &KsEditorWindow, tally: &Tally, name: &str) -> Result<(), Stuck> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    for (width, suffix) in [(960, "wide"), (360, "narrow")] {
        window.set_default_size(width, 720);
        wait_until(
            &format!("the window to become {width} px wide for {name}"),
            WIDGETS_DEADLINE,
            || (window.width() - width).abs() <= 10,
        )
        .await?;
        settle().await;
        let path = dir.join(format!("editor-{name}-{suffix}.png"));
        let saved = wait_until(
            &format!("{} to be drawn", path.display()),
            WIDGETS_DEADLINE,
            || save_png(window.upcast_ref(), &path).is_ok(),
        )
        .await;
        tally.check(saved.is_ok(), &format!("screenshot {}", path.display()));
    }
    window.set_default_size(960, 720);
    settle().await;
    Ok(())
}

fn run_editor(prefix: &'static str) -> Rc<Tally> {
    let tally = Rc::new(Tally::default());
    let options = GuiOptions {
        demo: true,
        edit: true,
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
            let window = window
                .clone()
                .downcast::<KsEditorWindow>()
                .expect("--edit opens a KsEditorWindow");
            let app = app.clone();
            let tally = tally.clone();
            glib::spawn_future_local(async move {
                if std::env::var_os(EMPTY_CHILD).is_some() {
                    let outcome = drive_without_persistence(&window, &tally, prefix).await;
                    tally.check(
                        outcome.is_ok(),
                        &format!("the drive without persistence reached its last step {outcome:?}"),
                    );
                    tally.reached_end.set(outcome.is_ok());
                    app.quit();
                    return;
                }
                let Some(model) = window.model() else {
                    tally.check(false, "the demo system opens in the editor");
                    app.quit();
                    return;
                };
                let driver = Driver {
                    window,
                    model,
                    tally: tally.clone(),
                    prefix,
                };
                let outcome = drive(&driver).await;
                let stuck = outcome.as_ref().err().map(|Stuck(why)| why.as_str());
                tally.check(
                    stuck.is_none(),
                    &format!(
                        "the drive reached its last step{}",
                        stuck.map(|why| format!(" ({why})")).unwrap_or_default()
                    ),
                );
                tally.reached_end.set(outcome.is_ok());
                app.quit();
            });
        }
    ));
    app.run_with_args::<&str>(&[]);
    tally
}

/// Runs this test again in a child process with `env`, with a deadline.
fn run_child(what: &str, env: &[(&str, &str)]) -> Result<(), String> {
    let mut command = Command::new(std::env::current_exe().map_err(|error| error.to_string())?);
    command.envs(env.iter().copied());
    let mut child = command
        .spawn()
        .map_err(|error| format!("could not start the {what} run: {error}"))?;
    let deadline = Instant::now() + CHILD_RUN_DEADLINE;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("the {what} run ended with {status}")),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "gave up after {} s waiting for the {what} run to end",
                    CHILD_RUN_DEADLINE.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(error) => return Err(format!("could not wait for the {what} run: {error}")),
        }
    }
}

fn main() -> ExitCode {
    keepsake::i18n::init();
    prepare();
    let rtl = std::env::var_os(RTL_CHILD).is_some();
    let empty = std::env::var_os(EMPTY_CHILD).is_some();
    let tally = run_editor(if rtl { "rtl-" } else { "" });
    tally.check(
        tally.reached_end.get(),
        "the application ran until the drive's last step",
    );
    if rtl {
        tally.check(
            gtk::Widget::default_direction() == gtk::TextDirection::Rtl,
            "Hebrew lays the window out right to left",
        );
    } else if !empty {
        let without = [(EMPTY_CHILD, "1"), ("KEEPSAKE_DEMO_PERSISTENCE", "none")];
        let hebrew = [
            (RTL_CHILD, "1"),
            ("LANG", "he_IL.UTF-8"),
            ("LANGUAGE", "he"),
        ];
        for (what, env) in [
            ("without persistence", without.to_vec()),
            (
                "Hebrew without persistence",
                [without.as_slice(), hebrew.as_slice()].concat(),
            ),
        ] {
            let outcome = run_child(what, &env);
            tally.check(
                outcome.is_ok(),
                &format!(
                    "the editor {what} offers to create it{}",
                    outcome
                        .as_ref()
                        .err()
                        .map(|why| format!(": {why}"))
                        .unwrap_or_default()
                ),
            );
        }
        let outcome = run_child(
            "Hebrew",
            &[
                (RTL_CHILD, "1"),
                ("LANG", "he_IL.UTF-8"),
                ("LANGUAGE", "he"),
            ],
        );
        tally.check(
            outcome.is_ok(),
            &format!(
                "the whole editor drive also passes in Hebrew (right to left){}",
                outcome
                    .err()
                    .map(|why| format!(": {why}"))
                    .unwrap_or_default()
            ),
        );
    }
    let (passed, failed) = (tally.passed.get(), tally.failed.get());
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
