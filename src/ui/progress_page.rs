// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 9: the install's steps as they run, an honest progress bar, the log,
//! and Cancel. The work happens in another thread (demo) or in
//! `keepsake-helper` under pkexec; events arrive over a channel and are
//! handled on the main context.

use std::cell::{Cell, OnceCell, RefCell};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib::subclass::Signal;
use gtk::{gio, glib};

use super::confirm_stop_install;
use super::step_state::{StepList, StepState, overall_fraction};
use crate::i18n::gettext_f;
use crate::install::{
    self, CancelFlag, Event, FakeBackend, HelperExit, HelperMessage, HelperProcess, InstallOptions,
    StepId,
};
use crate::plan::Plan;

/// Why an install ended without completing, for the failure page.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, glib::Enum)]
#[enum_type(name = "KsStopKind")]
pub enum StopKind {
    #[default]
    Failed,
    /// The person chose Stop.
    Cancelled,
    /// pkexec was dismissed or refused: nothing was written.
    NotAuthorised,
}

/// How the simulated install of demo mode ends, to try (and test) each
/// page that can follow it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, glib::Enum)]
#[enum_type(name = "KsDemoOutcome")]
pub enum DemoOutcome {
    #[default]
    Installed,
    /// A step fails after the disk was written.
    Fails,
    /// The administrator's password is refused, as pkexec reports it.
    NotAuthorised,
}

impl DemoOutcome {
    /// `KEEPSAKE_DEMO_INSTALL=fails` or `=not-authorised` chooses the end
    /// of `keepsake --demo`'s install.
    pub const VARIABLE: &'static str = "KEEPSAKE_DEMO_INSTALL";

    pub fn from_variable() -> Self {
        match std::env::var(Self::VARIABLE).as_deref() {
            Ok("fail" | "fails") => DemoOutcome::Fails,
            Ok("not-authorised") => DemoOutcome::NotAuthorised,
            _ => DemoOutcome::Installed,
        }
    }
}

/// The step whose failure the demo simulates: late, once the disk holds
/// the new system's partitions, as a download that breaks off would.
const DEMO_FAILING_OPERATION: &str = "run nixos-install";

/// While an install runs: suspend and logout are inhibited and the
/// application holds itself, so neither ends the root helper's work unseen.
/// Dropping it lets both go.
#[derive(Debug)]
struct InstallGuard {
    app: gtk::Application,
    /// 0 when no session manager took the inhibition (nothing to undo).
    cookie: u32,
    _hold: gio::ApplicationHoldGuard,
}

impl Drop for InstallGuard {
    fn drop(&mut self) {
        if self.cookie != 0 {
            self.app.uninhibit(self.cookie);
        }
    }
}

mod imp {
    use super::*;

    #[derive(Debug, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/progress-page.ui")]
    #[properties(wrapper_type = super::KsProgressPage)]
    pub struct KsProgressPage {
        #[template_child]
        pub(super) progress_bar: TemplateChild<gtk::ProgressBar>,
        #[template_child]
        pub(super) step_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) log_view: TemplateChild<gtk::TextView>,
        #[template_child]
        pub(super) log_scroller: TemplateChild<gtk::ScrolledWindow>,
        #[template_child]
        pub(super) view_stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub(super) log_button: TemplateChild<gtk::ToggleButton>,
        /// Run the simulated install instead of keepsake-helper.
        #[property(get, set)]
        pub(super) demo: Cell<bool>,
        /// The simulated install's speed: 1 takes as long as a real one.
        #[property(get, set)]
        pub(super) demo_time_scale: Cell<f64>,
        /// How the simulated install ends.
        #[property(get, set, builder(DemoOutcome::default()))]
        pub(super) demo_outcome: Cell<DemoOutcome>,
        pub(super) steps: OnceCell<StepList<StepId>>,
        pub(super) cancel: RefCell<CancelFlag>,
        pub(super) helper: RefCell<Option<HelperProcess>>,
        pub(super) failure: RefCell<Option<String>>,
        pub(super) stop_kind: Cell<StopKind>,
        pub(super) running: Cell<bool>,
        pub(super) guard: RefCell<Option<InstallGuard>>,
    }

    impl Default for KsProgressPage {
        fn default() -> Self {
            Self {
                progress_bar: TemplateChild::default(),
                step_group: TemplateChild::default(),
                log_view: TemplateChild::default(),
                log_scroller: TemplateChild::default(),
                view_stack: TemplateChild::default(),
                log_button: TemplateChild::default(),
                demo: Cell::new(false),
                demo_time_scale: Cell::new(1.0),
                demo_outcome: Cell::default(),
                steps: OnceCell::new(),
                cancel: RefCell::default(),
                helper: RefCell::default(),
                failure: RefCell::default(),
                stop_kind: Cell::default(),
                running: Cell::new(false),
                guard: RefCell::default(),
            }
        }
    }

    impl KsProgressPage {
        /// The step rows, made in `constructed`.
        pub(super) fn steps(&self) -> &StepList<StepId> {
            self.steps
                .get()
                .expect("the step rows are made in constructed")
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsProgressPage {
        const NAME: &'static str = "KsProgressPage";
        type Type = super::KsProgressPage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
            klass.install_action_async("progress.cancel", None, |page, _, _| async move {
                page.confirm_cancel().await;
            });
            klass.install_action("progress.copy-log", None, |page, _, _| {
                page.clipboard().set_text(&page.log_text());
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsProgressPage {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![
                    Signal::builder("completed").build(),
                    Signal::builder("stopped")
                        .param_types([
                            String::static_type(),
                            String::static_type(),
                            StopKind::static_type(),
                        ])
                        .build(),
                ]
            })
        }

        fn constructed(&self) {
            self.parent_constructed();
            let steps = StepList::new(&self.step_group, StepId::ALL, StepId::title);
            self.steps.set(steps).expect("constructed once");
        }
    }

    impl WidgetImpl for KsProgressPage {}
    impl NavigationPageImpl for KsProgressPage {}
}

glib::wrapper! {
    pub struct KsProgressPage(ObjectSubclass<imp::KsProgressPage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsProgressPage {
    /// Show Log swaps the step list for the log, which then has the
    /// page's whole height.
    #[template_callback]
    fn on_log_toggled(&self) {
        let imp = self.imp();
        let shown = if imp.log_button.is_active() {
            "log"
        } else {
            "steps"
        };
        imp.view_stack.set_visible_child_name(shown);
    }
}

impl KsProgressPage {
    pub fn connect_completed<F: Fn(&Self) + 'static>(&self, callback: F) -> glib::SignalHandlerId {
        self.connect_local("completed", false, move |values| {
            let page = values[0]
                .get::<Self>()
                .expect("emitted by a KsProgressPage");
            callback(&page);
            None
        })
    }

    /// `callback(page, what failed, what the disk holds now, why it stopped)`.
    pub fn connect_stopped<F: Fn(&Self, &str, &str, StopKind) + 'static>(
        &self,
        callback: F,
    ) -> glib::SignalHandlerId {
        self.connect_local("stopped", false, move |values| {
            let page = values[0]
                .get::<Self>()
                .expect("emitted by a KsProgressPage");
            let message = values[1].get::<String>().unwrap_or_default();
            let disk_state = values[2].get::<String>().unwrap_or_default();
            let kind = values[3].get::<StopKind>().unwrap_or_default();
            callback(&page, &message, &disk_state, kind);
            None
        })
    }

    /// The whole log as plain text.
    pub fn log_text(&self) -> String {
        let buffer = self.imp().log_view.buffer();
        buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .into()
    }

    /// Installs `plan`; returns at once. Ends with `completed` or `stopped`.
    pub fn start(&self, plan: Plan) {
        let imp = self.imp();
        if imp.running.replace(true) {
            return;
        }
        imp.log_view.buffer().set_text("");
        imp.failure.replace(None);
        imp.stop_kind.set(StopKind::Failed);
        imp.progress_bar.set_fraction(0.0);
        imp.progress_bar.set_text(Some(&gettext("Starting…")));
        imp.steps().reset();
        self.guard_session();
        self.action_set_enabled("progress.cancel", true);
        let cancel = CancelFlag::new();
        imp.cancel.replace(cancel.clone());
        let (sender, receiver) = async_channel::unbounded();
        if self.demo() && self.demo_outcome() == DemoOutcome::NotAuthorised {
            // What pkexec's exit status 126 comes to, before any step.
            let _ = sender.try_send(HelperMessage::Exited(HelperExit::NotAuthorised));
        } else if self.demo() {
            let time_scale = self.demo_time_scale();
            let fails = self.demo_outcome() == DemoOutcome::Fails;
            std::thread::spawn(move || {
                let mut backend = FakeBackend::new().with_time_scale(time_scale);
                if fails {
                    backend = backend.failing_at(DEMO_FAILING_OPERATION);
                }
                // A closed channel means the page is gone.
                let result = install::install(
                    &plan,
                    &mut backend,
                    &InstallOptions::default(),
                    &cancel,
                    &mut |event| {
                        let _ = sender.send_blocking(HelperMessage::Event(event));
                    },
                );
                let exit = match result {
                    Ok(_) => HelperExit::Succeeded,
                    Err(_) => HelperExit::Failed(Some(1)),
                };
                let _ = sender.send_blocking(HelperMessage::Exited(exit));
            });
        } else {
            self.run_helper(plan, sender);
        }
        // Holds the page only while a message is handled, so a closed
        // window is freed even if the helper never reports again.
        let page = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(message) = receiver.recv().await {
                let Some(page) = page.upgrade() else {
                    return;
                };
                page.receive(message);
            }
        });
    }

    /// Inhibits suspend and logout and holds the application until the
    /// install ends.
    fn guard_session(&self) {
        let Some(app) = self
            .root()
            .and_downcast::<gtk::Window>()
            .and_then(|window| window.application())
        else {
            return;
        };
        let window = self.root().and_downcast::<gtk::Window>();
        let cookie = app.inhibit(
            window.as_ref(),
            gtk::ApplicationInhibitFlags::SUSPEND | gtk::ApplicationInhibitFlags::LOGOUT,
            Some(&gettext("Installing NixOS")),
        );
        let hold = app.hold();
        self.imp().guard.replace(Some(InstallGuard {
            app,
            cookie,
            _hold: hold,
        }));
    }

    /// Whether the page keeps the session awake and the application alive.
    pub fn is_guarding_session(&self) -> bool {
        self.imp().guard.borrow().is_some()
    }

    /// Hashes the passwords off the main thread, then runs `pkexec
    /// keepsake-helper` with the plan and the passphrase on its stdin.
    fn run_helper(&self, plan: Plan, sender: async_channel::Sender<HelperMessage>) {
        glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let input = gio::spawn_blocking(move || {
                    let mut plan = plan;
                    plan.hash_passwords().map_err(|error| error.to_string())?;
                    plan.to_helper_json().map_err(|error| error.to_string())
                })
                .await
                .unwrap_or_else(|_| Err(gettext("hashing the passwords stopped unexpectedly")));
                let input = match input {
                    Ok(input) => input,
                    Err(error) => {
                        page.finish_stopped(
                            &gettext_f(
                                "Keepsake could not prepare the plan for the installer: {problem}",
                                &[("problem", &error)],
                            ),
                            &gettext("Nothing was written to the disk."),
                        );
                        return;
                    }
                };
                let command: [OsString; 4] = [
                    "pkexec".into(),
                    helper_path().into_os_string(),
                    "install".into(),
                    "--cancel-when-input-closes".into(),
                ];
                match HelperProcess::start(&command, input, sender) {
                    Ok(process) => {
                        page.imp().helper.replace(Some(process));
                    }
                    Err(error) => page.finish_stopped(
                        &gettext_f(
                            "Keepsake could not start its installer with pkexec: {problem}",
                            &[("problem", &error.to_string())],
                        ),
                        &gettext("Nothing was written to the disk."),
                    ),
                }
            }
        ));
    }

    fn receive(&self, message: HelperMessage) {
        match message {
            HelperMessage::Event(event) => self.handle(event),
            HelperMessage::Output(line) => self.append_log(&line),
            HelperMessage::Exited(exit) => {
                self.imp().helper.replace(None);
                // A helper that reported its end has already finished the page.
                if !self.imp().running.get() {
                    return;
                }
                match exit {
                    HelperExit::NotAuthorised => {
                        self.imp().stop_kind.set(StopKind::NotAuthorised);
                        self.finish_stopped(
                        &gettext("Keepsake was not allowed to install."),
                        &gettext(
                            "Nothing was written to the disk. Install again and enter the administrator password when asked.",
                        ),
                    )
                    }
                    HelperExit::Succeeded | HelperExit::Failed(_) => self.finish_stopped(
                        &gettext("The installer stopped without saying why."),
                        &gettext("The disk may be partly written. Check it before you use it."),
                    ),
                }
            }
        }
    }

    /// Whether an installation runs now.
    pub fn is_running(&self) -> bool {
        self.imp().running.get()
    }

    fn handle(&self, event: Event) {
        let imp = self.imp();
        match event {
            Event::Started { step, title, .. } => {
                self.set_step(step, StepState::Running);
                // Translators: {title} is the name of an installation step, such as “Partitioning the disk”.
                let text = gettext_f(
                    "Step {number} of {total}: {title}",
                    &[
                        ("number", &step.number().to_string()),
                        ("total", &StepId::ALL.len().to_string()),
                        ("title", &title),
                    ],
                );
                imp.progress_bar.set_text(Some(&text));
                self.announce(&text, gtk::AccessibleAnnouncementPriority::Medium);
                self.set_fraction(step, 0.0);
            }
            Event::Progress { step, fraction } => self.set_fraction(step, fraction),
            Event::Log { line, .. } => self.append_log(&line),
            Event::Finished { step, .. } => {
                self.set_step(step, StepState::Done);
                // Translators: said by screen readers when an installation step ends; {title} such as “Partitioning the disk”.
                let text = gettext_f("Finished: {title}", &[("title", &step.title())]);
                self.announce(&text, gtk::AccessibleAnnouncementPriority::Medium);
                self.set_fraction(step, 1.0);
            }
            Event::Failed {
                step,
                message,
                detail,
            } => {
                self.set_step(step, StepState::Failed);
                self.announce(&message, gtk::AccessibleAnnouncementPriority::High);
                self.append_log(&format!("{message} {detail}"));
                imp.failure.replace(Some(message));
            }
            Event::Cancelled { step } => {
                self.set_step(step, StepState::Failed);
                imp.stop_kind.set(StopKind::Cancelled);
                imp.failure
                    .replace(Some(gettext("The installation was cancelled.")));
            }
            Event::Stopped { disk_state } => {
                let message = imp
                    .failure
                    .take()
                    .unwrap_or_else(|| gettext("The installation stopped."));
                self.finish_stopped(&message, &disk_state);
            }
            Event::Completed { .. } => {
                imp.running.set(false);
                imp.guard.replace(None);
                imp.progress_bar.set_fraction(1.0);
                imp.progress_bar.set_text(Some(&gettext("Done")));
                self.action_set_enabled("progress.cancel", false);
                self.emit_by_name::<()>("completed", &[]);
            }
        }
    }

    fn finish_stopped(&self, message: &str, disk_state: &str) {
        self.imp().running.set(false);
        self.imp().guard.replace(None);
        self.action_set_enabled("progress.cancel", false);
        let kind = self.imp().stop_kind.get();
        self.emit_by_name::<()>(
            "stopped",
            &[&message.to_owned(), &disk_state.to_owned(), &kind],
        );
    }

    fn set_fraction(&self, step: StepId, fraction: f64) {
        self.imp().progress_bar.set_fraction(overall_fraction(
            step.number(),
            StepId::ALL.len(),
            fraction,
        ));
    }

    fn set_step(&self, step: StepId, state: StepState) {
        self.imp().steps().set(step, state);
    }

    /// Adds a line; the view follows the output unless the person
    /// scrolled up to read.
    fn append_log(&self, line: &str) {
        let imp = self.imp();
        let adjustment = imp.log_scroller.vadjustment();
        let at_end = adjustment.value() + adjustment.page_size() >= adjustment.upper() - 1.0;
        let buffer = imp.log_view.buffer();
        let mut end = buffer.end_iter();
        buffer.insert(&mut end, line);
        buffer.insert(&mut end, "\n");
        if at_end {
            let mark = buffer.create_mark(None, &buffer.end_iter(), false);
            imp.log_view.scroll_mark_onscreen(&mark);
            buffer.delete_mark(&mark);
        }
    }

    /// Whether the log shows its last line.
    pub fn log_follows_output(&self) -> bool {
        let adjustment = self.imp().log_scroller.vadjustment();
        adjustment.value() + adjustment.page_size() >= adjustment.upper() - 1.0
    }

    async fn confirm_cancel(&self) {
        let stop = confirm_stop_install(
            self,
            &gettext("Stop the Installation?"),
            &gettext(
                "Keepsake stops at the next safe point, then unmounts and locks what it set up. If the disk was already erased, it will not start until you install again.",
            ),
            &gettext("_Stop"),
        )
        .await;
        if stop {
            self.cancel();
        }
    }

    /// Raises the cancel flag (demo) or asks the helper to stop.
    pub fn cancel(&self) {
        let imp = self.imp();
        imp.cancel.borrow().cancel();
        if let Some(helper) = imp.helper.borrow().as_ref() {
            if let Err(error) = helper.request_cancel() {
                self.append_log(&gettext_f(
                    "Could not ask the installer to stop: {problem}",
                    &[("problem", &error.to_string())],
                ));
            }
        }
        self.append_log(&gettext("Cancelling at the next safe point…"));
    }
}

/// The helper is installed next to `keepsake` (meson) or built next to it
/// (cargo).
fn helper_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("keepsake-helper")))
        .unwrap_or_else(|| PathBuf::from("keepsake-helper"))
}
