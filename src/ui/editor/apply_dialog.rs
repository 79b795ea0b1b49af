// SPDX-License-Identifier: GPL-3.0-or-later
//! Applying the pending changes: the steps as they run, the log, Cancel
//! until the rebuild starts, and at the end one sentence on the state of
//! the file, the storage root and the system. A screen reader hears each
//! step start and end, a failure and the outcome.
//!
//! The work runs in `keepsake-helper` under pkexec, or in demo mode in a
//! thread on the scratch root; its events arrive over a channel and are
//! handled on the main context.

use std::cell::{Cell, OnceCell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::super::step_state::{StepList, StepState, overall_fraction};
use super::KsEditorModel;
use super::apply_runner::{ApplyMessage, ApplyRun, Stopper};
use crate::apply::{Activation, ApplyEvent, ApplyStep, ConflictChoice};
use crate::i18n::gettext_f;
use crate::install::HelperExit;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/apply-dialog.ui")]
    pub struct KsApplyDialog {
        #[template_child]
        pub(super) state_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) progress_bar: TemplateChild<gtk::ProgressBar>,
        #[template_child]
        pub(super) step_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) log_expander: TemplateChild<gtk::Expander>,
        #[template_child]
        pub(super) log_view: TemplateChild<gtk::TextView>,
        #[template_child]
        pub(super) cancel_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) close_button: TemplateChild<gtk::Button>,
        pub(super) model: RefCell<Option<KsEditorModel>>,
        pub(super) demo: Cell<bool>,
        pub(super) demo_rebuild_fails: Cell<bool>,
        pub(super) steps: OnceCell<StepList<ApplyStep>>,
        pub(super) stopper: RefCell<Option<Stopper>>,
        pub(super) failure: RefCell<Option<String>>,
        pub(super) running: Cell<bool>,
        pub(super) succeeded: Cell<bool>,
        /// The text being applied, which the file holds after a success.
        pub(super) new_text: RefCell<String>,
        pub(super) activation: Cell<Activation>,
    }

    impl KsApplyDialog {
        /// The step rows, made in `constructed`.
        pub(super) fn steps(&self) -> &StepList<ApplyStep> {
            self.steps
                .get()
                .expect("the step rows are made in constructed")
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsApplyDialog {
        const NAME: &'static str = "KsApplyDialog";
        type Type = super::KsApplyDialog;
        type ParentType = adw::Dialog;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("apply.cancel", None, |dialog, _, _| dialog.cancel());
            klass.install_action("apply.close", None, |dialog, _, _| {
                dialog.force_close();
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsApplyDialog {
        fn constructed(&self) {
            self.parent_constructed();
            let steps = StepList::new(&self.step_group, ApplyStep::ALL, ApplyStep::title);
            self.steps.set(steps).expect("constructed once");
        }

        fn dispose(&self) {
            self.dispose_template();
        }
    }
    impl WidgetImpl for KsApplyDialog {}
    impl AdwDialogImpl for KsApplyDialog {}
}

glib::wrapper! {
    pub struct KsApplyDialog(ObjectSubclass<imp::KsApplyDialog>)
        @extends gtk::Widget, adw::Dialog,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsApplyDialog {
    /// In demo mode the apply is simulated; `rebuild_fails` makes its
    /// `nixos-rebuild test` fail.
    pub fn new(model: &KsEditorModel, demo: bool, rebuild_fails: bool) -> Self {
        let dialog: Self = glib::Object::new();
        let imp = dialog.imp();
        imp.model.replace(Some(model.clone()));
        imp.demo.set(demo);
        imp.demo_rebuild_fails.set(rebuild_fails);
        dialog
    }

    /// Starts applying, with `conflict` for paths whose storage holds data
    /// already; returns at once.
    pub fn start(&self, activation: Activation, conflict: Option<ConflictChoice>) {
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        if imp.running.replace(true) {
            return;
        }
        imp.activation.set(activation);
        let run = model.with_state(|state| ApplyRun {
            file: state.file().to_owned(),
            original: state.original().to_owned(),
            new_text: state.text().to_owned(),
            live_root: model.live_root(),
            activation,
            conflict,
        });
        imp.new_text.replace(run.new_text.clone());
        let (receiver, stopper) = if imp.demo.get() {
            run.start_demo(imp.demo_rebuild_fails.get())
        } else {
            run.start_helper()
        };
        match stopper {
            Ok(stopper) => {
                imp.stopper.replace(Some(stopper));
            }
            Err(problem) => {
                self.finish(
                    &gettext_f(
                        "Keepsake could not start its helper with pkexec: {problem}",
                        &[("problem", &problem)],
                    ),
                    &crate::apply::ApplyState::Unchanged.sentence(),
                );
                return;
            }
        }
        // Holds the dialog only while a message is handled.
        let dialog = self.downgrade();
        glib::spawn_future_local(async move {
            while let Ok(message) = receiver.recv().await {
                let Some(dialog) = dialog.upgrade() else {
                    return;
                };
                dialog.receive(message);
            }
        });
    }

    pub fn is_running(&self) -> bool {
        self.imp().running.get()
    }

    pub fn succeeded(&self) -> bool {
        self.imp().succeeded.get()
    }

    pub fn log_text(&self) -> String {
        let buffer = self.imp().log_view.buffer();
        buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .into()
    }

    /// Each step's state as its row says it in words (and a screen reader
    /// reads as the row's description): empty while it waits.
    pub fn step_states(&self) -> Vec<String> {
        self.imp().steps().states_in_words()
    }

    /// The sentence shown on top: the running step, or the outcome.
    pub fn state_text(&self) -> String {
        self.imp().state_label.label().into()
    }

    fn receive(&self, message: ApplyMessage) {
        match message {
            ApplyMessage::Event(event) => self.handle(event),
            ApplyMessage::Output(line) => self.append_log(&line),
            ApplyMessage::Refused(message) => {
                self.finish(&message, &crate::apply::ApplyState::Unchanged.sentence())
            }
            ApplyMessage::Exited(exit) => {
                self.imp().stopper.replace(None);
                if !self.imp().running.get() {
                    return;
                }
                match exit {
                    HelperExit::NotAuthorised => self.finish(
                        &gettext("Keepsake was not allowed to apply the changes."),
                        &gettext(
                            "Nothing was changed. Apply again and enter the administrator password when asked.",
                        ),
                    ),
                    HelperExit::Succeeded | HelperExit::Failed(_) => self.finish(
                        &gettext("The helper stopped without saying why."),
                        &gettext(
                            "The configuration file may have changed; check it and its .keepsake-backup before applying again.",
                        ),
                    ),
                }
            }
        }
    }

    fn handle(&self, event: ApplyEvent) {
        let imp = self.imp();
        match event {
            ApplyEvent::Started { step, title, .. } => {
                self.set_step(step, StepState::Running);
                imp.state_label.set_label(&title);
                let (number, total) = (step.number().to_string(), ApplyStep::ALL.len().to_string());
                let count = [("number", number.as_str()), ("total", total.as_str())];
                imp.progress_bar
                    .set_text(Some(&gettext_f("Step {number} of {total}", &count)));
                self.announce(
                    &gettext_f(
                        "Step {number} of {total}: {title}",
                        &[count[0], count[1], ("title", &title)],
                    ),
                    gtk::AccessibleAnnouncementPriority::Medium,
                );
                self.set_fraction(step, 0.0);
                // Cancel works through `nixos-rebuild test`, after which the
                // engine puts the file back; making the new system the boot
                // default is never interrupted.
                if step == ApplyStep::Activate {
                    self.action_set_enabled("apply.cancel", false);
                }
            }
            ApplyEvent::Progress { step, fraction } => self.set_fraction(step, fraction),
            ApplyEvent::Log { line, .. } => self.append_log(&line),
            ApplyEvent::Finished { step, .. } => {
                self.set_step(step, StepState::Done);
                self.announce(
                    &gettext_f("Finished: {title}", &[("title", &step.title())]),
                    gtk::AccessibleAnnouncementPriority::Medium,
                );
                self.set_fraction(step, 1.0);
            }
            ApplyEvent::Failed {
                step,
                message,
                detail,
            } => {
                self.set_step(step, StepState::Failed);
                self.announce(&message, gtk::AccessibleAnnouncementPriority::High);
                self.append_log(&format!("{message} {detail}"));
                imp.failure.replace(Some(message));
            }
            ApplyEvent::Cancelled { step } => {
                self.set_step(step, StepState::Failed);
                imp.failure
                    .replace(Some(gettext("Applying was cancelled.")));
            }
            ApplyEvent::Stopped { state } => {
                let message = imp
                    .failure
                    .take()
                    .unwrap_or_else(|| gettext("Applying stopped."));
                self.finish(&message, &state);
            }
            ApplyEvent::Completed { .. } => self.complete(),
        }
    }

    fn complete(&self) {
        let imp = self.imp();
        imp.running.set(false);
        imp.succeeded.set(true);
        imp.progress_bar.set_fraction(1.0);
        imp.progress_bar.set_text(Some(&gettext("Done")));
        let outcome = match imp.activation.get() {
            Activation::Switch => gettext(
                "Applied. The new system runs now and starts at every boot; what it keeps is mounted in place.",
            ),
            Activation::Boot => gettext(
                "Applied. The new system starts at the next boot; until then the running system stays as it is.",
            ),
        };
        imp.state_label.set_label(&outcome);
        self.announce(&outcome, gtk::AccessibleAnnouncementPriority::High);
        if let Some(model) = imp.model.borrow().as_ref() {
            let text = imp.new_text.take();
            if let Err(error) = model.edit(|state| state.applied_as(text)) {
                self.append_log(&error.message());
            }
        }
        self.show_close();
    }

    /// After a failure: what failed and one sentence on the state.
    fn finish(&self, message: &str, state: &str) {
        let imp = self.imp();
        imp.running.set(false);
        let outcome = format!("{message} {state}");
        imp.state_label.set_label(&outcome);
        self.announce(&outcome, gtk::AccessibleAnnouncementPriority::High);
        imp.progress_bar.set_text(Some(&gettext("Stopped")));
        imp.log_expander.set_expanded(true);
        self.show_close();
    }

    fn show_close(&self) {
        let imp = self.imp();
        self.set_can_close(true);
        imp.cancel_button.set_visible(false);
        imp.close_button.set_visible(true);
        imp.close_button.grab_focus();
    }

    fn set_fraction(&self, step: ApplyStep, fraction: f64) {
        self.imp().progress_bar.set_fraction(overall_fraction(
            step.number(),
            ApplyStep::ALL.len(),
            fraction,
        ));
    }

    fn set_step(&self, step: ApplyStep, state: StepState) {
        self.imp().steps().set(step, state);
    }

    fn append_log(&self, line: &str) {
        let buffer = self.imp().log_view.buffer();
        let mut end = buffer.end_iter();
        buffer.insert(&mut end, line);
        buffer.insert(&mut end, "\n");
    }

    /// Asks the run to stop at its next safe point.
    pub fn cancel(&self) {
        if let Some(stopper) = self.imp().stopper.borrow().as_ref() {
            if let Err(problem) = stopper.stop() {
                self.append_log(&gettext_f(
                    "Could not ask the helper to stop: {problem}",
                    &[("problem", &problem)],
                ));
            }
        }
        self.action_set_enabled("apply.cancel", false);
        self.append_log(&gettext("Cancelling at the next safe point…"));
    }
}
