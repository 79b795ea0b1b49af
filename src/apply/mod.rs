// SPDX-License-Identifier: GPL-3.0-or-later
//! Applying an edited persistence configuration on an installed system
//! (root, in `keepsake-helper` or `keepsake persist apply`).
//!
//! The steps of [`ApplyStep::ALL`]: check the entries added since the last
//! apply, copy their live data into the storage root ([`data_move`]), write
//! the file, `nixos-rebuild test`, then `switch` or `boot`. Nothing is lost
//! on the way: live data is only read, a removed entry's data stays in
//! storage, and a failed or cancelled test puts the previous file back byte
//! for byte. Cancelling works until the test is over; `switch` and `boot`
//! change the boot loader and are never interrupted.

mod copy;
pub mod data_move;
mod event;
mod pending;

use std::fs;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use gettextrs::gettext;

use crate::i18n::{gettext_f, isolate, ngettext_f};
use crate::install::{CancelFlag, ToolCommand, ToolDirs, run_streaming};
use crate::nix::persistence_edit::{PersistenceDocument, backup_path, write_atomically};

pub use self::data_move::{
    ConflictChoice, DataMove, DataMoveError, MoveOutcome, MoveProgress, PreparedMove,
};
pub use self::event::{ApplyEvent, ApplyStep};
pub use self::pending::{
    KeptPath, Pending, applied_path, kept_entries, read_baseline, record_baseline, write_baseline,
};

/// What follows a successful `nixos-rebuild test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// Also the boot default, now.
    #[default]
    Switch,
    /// The boot default from the next boot; the running system goes back
    /// to what it was before the test only at that reboot.
    Boot,
}

impl Activation {
    fn verb(self) -> &'static str {
        match self {
            Activation::Switch => "switch",
            Activation::Boot => "boot",
        }
    }
}

/// Everything an apply needs.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// The configuration file that defines `environment.persistence`.
    pub file: PathBuf,
    /// The file as last applied: put back when the rebuild fails.
    pub previous: String,
    /// The file to apply.
    pub new_text: String,
    /// `/` on a real system; a scratch tree in tests.
    pub live_root: PathBuf,
    /// For every path whose storage already holds data.
    pub conflict: Option<ConflictChoice>,
    pub activation: Activation,
}

/// The state after an apply stopped, for the one sentence people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyState {
    /// Stopped before the file was written: the file and the storage root
    /// are as they were.
    Unchanged,
    /// Stopped before the file was written, but copies in the storage root
    /// could not all be removed.
    CopiesLeft { paths: Vec<PathBuf> },
    /// The test failed or was cancelled and the previous file is back;
    /// `edited` keeps the version that failed.
    Restored { edited: PathBuf },
    /// The test failed and the previous file could not be written back.
    RestoreFailed { error: String },
    /// The test passed (the new system runs now) but it could not be made
    /// the boot default.
    NotPermanent,
}

impl ApplyState {
    pub fn sentence(&self) -> String {
        match self {
            ApplyState::Unchanged => gettext(
                "Nothing was changed: the configuration file, the storage root and the running system are as they were.",
            ),
            ApplyState::CopiesLeft { paths } => gettext_f(
                "The configuration file and the running system were not changed, but these copies in the storage root could not be removed: {paths}.",
                &[("paths", &join_paths(paths))],
            ),
            ApplyState::Restored { edited } => gettext_f(
                "The previous configuration file was put back byte for byte and will be used at the next boot; the edited version is kept in {edited}, and copied data stays in the storage root.",
                &[("edited", &isolate(&edited.display().to_string()))],
            ),
            ApplyState::RestoreFailed { error } => gettext_f(
                "The new system failed and the previous configuration file could not be put back ({error}); the edited file is still in place and the boot default is unchanged.",
                &[("error", error)],
            ),
            ApplyState::NotPermanent => gettext(
                "The new system is running and its configuration is written, but it is not yet the boot default; apply again to make it so.",
            ),
        }
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| isolate(&path.display().to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A step that failed, and the state it left.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} {detail}")]
pub struct ApplyFailure {
    pub step: ApplyStep,
    pub message: String,
    pub detail: String,
    /// Whether it stopped because it was cancelled.
    pub cancelled: bool,
    /// A conflict without a choice, so the caller can ask and run again.
    pub conflict: bool,
    pub state: ApplyState,
}

/// What a successful apply did.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyReport {
    pub moves: Vec<MoveOutcome>,
    pub seconds: f64,
}

/// How a step stopped, before the state is known.
struct StepError {
    message: String,
    detail: String,
    cancelled: bool,
    conflict: bool,
}

impl StepError {
    fn new(message: String, detail: String) -> Self {
        Self {
            message,
            detail,
            cancelled: false,
            conflict: false,
        }
    }

    fn cancelled(step: ApplyStep) -> Self {
        Self {
            cancelled: true,
            ..Self::new(step.failure_message(), gettext("Cancelled."))
        }
    }
}

/// Runs every step and reports each as events through `emit`.
pub fn apply(
    request: &ApplyRequest,
    tools: &ToolDirs,
    cancel: &CancelFlag,
    emit: &mut dyn FnMut(&ApplyEvent),
) -> Result<ApplyReport, ApplyFailure> {
    let mut run = Run {
        request,
        tools,
        cancel,
        emit,
        start: Instant::now(),
        moves: Vec::new(),
    };
    run.all()
}

struct Run<'a> {
    request: &'a ApplyRequest,
    tools: &'a ToolDirs,
    cancel: &'a CancelFlag,
    emit: &'a mut dyn FnMut(&ApplyEvent),
    start: Instant,
    moves: Vec<MoveOutcome>,
}

impl Run<'_> {
    fn all(&mut self) -> Result<ApplyReport, ApplyFailure> {
        let prepared = self
            .step(ApplyStep::Validate, Self::validate)
            .map_err(|error| self.stop_unchanged(ApplyStep::Validate, error))?;
        self.step(ApplyStep::MoveData, |run| run.move_data(&prepared))
            .map_err(|error| self.stop_unchanged(ApplyStep::MoveData, error))?;
        self.step(ApplyStep::WriteConfiguration, Self::write_configuration)
            .map_err(|error| self.stop_unchanged(ApplyStep::WriteConfiguration, error))?;
        if let Err(error) = self.step(ApplyStep::RebuildTest, Self::rebuild_test) {
            let state = self.restore_previous();
            return Err(self.stopped(ApplyStep::RebuildTest, error, state));
        }
        // The test runs the new system: from here on the file and the
        // storage root match what runs, so the next apply starts from here.
        if let Err(error) = write_baseline(&self.request.file, &self.request.new_text) {
            self.log(
                ApplyStep::RebuildTest,
                &gettext_f(
                    "Could not record the applied version in {file}: {error}",
                    &[
                        (
                            "file",
                            &applied_path(&self.request.file).display().to_string(),
                        ),
                        ("error", &error.to_string()),
                    ],
                ),
            );
        }
        self.step(ApplyStep::Activate, Self::activate)
            .map_err(|error| self.stopped(ApplyStep::Activate, error, ApplyState::NotPermanent))?;
        let seconds = self.start.elapsed().as_secs_f64();
        (self.emit)(&ApplyEvent::Completed { seconds });
        Ok(ApplyReport {
            moves: std::mem::take(&mut self.moves),
            seconds,
        })
    }

    fn step<T>(
        &mut self,
        step: ApplyStep,
        body: impl FnOnce(&mut Self) -> Result<T, StepError>,
    ) -> Result<T, StepError> {
        // Cancelling is honoured up to the end of the test.
        if step != ApplyStep::Activate && self.cancel.is_cancelled() {
            return Err(StepError::cancelled(step));
        }
        (self.emit)(&ApplyEvent::Started {
            step,
            number: step.number(),
            title: step.title(),
        });
        let started = Instant::now();
        let value = body(self)?;
        (self.emit)(&ApplyEvent::Finished {
            step,
            seconds: started.elapsed().as_secs_f64(),
        });
        Ok(value)
    }

    fn log(&mut self, step: ApplyStep, line: &str) {
        (self.emit)(&ApplyEvent::Log {
            step,
            line: line.to_owned(),
        });
    }

    fn validate(&mut self) -> Result<Vec<PreparedMove>, StepError> {
        let step = ApplyStep::Validate;
        let parse = |text: &str| {
            PersistenceDocument::parse(text).map_err(|error| {
                StepError::new(
                    step.failure_message(),
                    format!(
                        "{}: {}",
                        isolate(&self.request.file.display().to_string()),
                        error.message()
                    ),
                )
            })
        };
        let previous = parse(&self.request.previous)?;
        let current = parse(&self.request.new_text)?;
        let pending = Pending::between(previous.persistence(), current.persistence());
        if let Some((kept, rejection)) = pending.rejected.first() {
            return Err(StepError::new(
                step.failure_message(),
                format!("{}: {}", isolate(&kept.absolute()), rejection.message()),
            ));
        }
        if let Some((outer, inner)) = pending.nested.first() {
            return Err(StepError::new(
                step.failure_message(),
                // Translators: {inner} and {outer} are folder paths of the running system.
                gettext_f(
                    "{inner} is kept already and lies inside {outer}, and Keepsake cannot merge their stored data yet. Keep the other paths inside {outer} one by one instead.",
                    &[
                        ("inner", &isolate(&inner.absolute())),
                        ("outer", &isolate(&outer.absolute())),
                    ],
                ),
            ));
        }
        for removed in &pending.removed {
            let stored = removed.data_move(Path::new("/"), None).stored;
            self.log(
                step,
                &gettext_f(
                    "{path} is no longer kept; its data stays in {stored}.",
                    &[
                        ("path", &isolate(&removed.absolute())),
                        ("stored", &isolate(&stored.display().to_string())),
                    ],
                ),
            );
        }
        let mut prepared = Vec::new();
        for added in &pending.added {
            let data_move = added.data_move(&self.request.live_root, self.request.conflict);
            match data_move.prepare() {
                Ok(Some(ready)) => prepared.push(ready),
                Ok(None) => self.log(
                    step,
                    &gettext_f(
                        "{path} has nothing to copy: no data, or it is stored or mounted already.",
                        &[("path", &isolate(&added.absolute()))],
                    ),
                ),
                Err(error) => {
                    let conflict = matches!(error, DataMoveError::Conflict { .. });
                    return Err(StepError {
                        conflict,
                        ..StepError::new(step.failure_message(), error.message())
                    });
                }
            }
        }
        Ok(prepared)
    }

    fn move_data(&mut self, prepared: &[PreparedMove]) -> Result<(), StepError> {
        let step = ApplyStep::MoveData;
        let total: u64 = prepared.iter().map(PreparedMove::data_bytes).sum();
        let stamp = data_move::backup_stamp(SystemTime::now());
        let mut done = 0;
        for ready in prepared {
            self.log(
                step,
                &gettext_f(
                    "Copying {live} to {stored}",
                    &[
                        ("live", &isolate(&ready.live().display().to_string())),
                        ("stored", &isolate(&ready.stored().display().to_string())),
                    ],
                ),
            );
            let cancel = self.cancel.clone();
            let emit = &mut *self.emit;
            let mut shown = -1.0;
            let outcome = ready.run(&stamp, &mut |progress: MoveProgress| {
                if cancel.is_cancelled() {
                    return ControlFlow::Break(());
                }
                let fraction = fraction(done + progress.copied_bytes, total);
                // A tree of many small files would flood the stream.
                if fraction - shown >= 0.01 {
                    shown = fraction;
                    emit(&ApplyEvent::Progress { step, fraction });
                }
                ControlFlow::Continue(())
            });
            match outcome {
                Ok(outcome) => {
                    if let Some(backup) = outcome.backup() {
                        self.log(
                            step,
                            &gettext_f(
                                "The other copy is kept in {backup}",
                                &[("backup", &isolate(&backup.display().to_string()))],
                            ),
                        );
                    }
                    self.moves.push(outcome);
                }
                Err(DataMoveError::Stopped { .. }) => return Err(StepError::cancelled(step)),
                Err(error) => {
                    return Err(StepError::new(step.failure_message(), error.message()));
                }
            }
            done += ready.data_bytes();
        }
        (self.emit)(&ApplyEvent::Progress {
            step,
            fraction: 1.0,
        });
        Ok(())
    }

    fn write_configuration(&mut self) -> Result<(), StepError> {
        let step = ApplyStep::WriteConfiguration;
        let file = &self.request.file;
        // `keepsake persist add` wrote it already; writing it again would
        // replace the backup of the edit before.
        if fs::read_to_string(file).is_ok_and(|text| text == self.request.new_text) {
            let line = gettext_f(
                "{file} already holds the new configuration.",
                &[("file", &isolate(&file.display().to_string()))],
            );
            self.log(step, &line);
            return Ok(());
        }
        write_atomically(file, &self.request.new_text).map_err(|error| {
            StepError::new(
                step.failure_message(),
                format!("{}: {error}", file.display()),
            )
        })
    }

    fn rebuild_test(&mut self) -> Result<(), StepError> {
        let cancel = self.cancel.clone();
        self.rebuild(ApplyStep::RebuildTest, "test", &cancel)
    }

    fn activate(&mut self) -> Result<(), StepError> {
        // Never interrupted: see the module documentation.
        let never = CancelFlag::new();
        let verb = self.request.activation.verb();
        self.rebuild(ApplyStep::Activate, verb, &never)
    }

    fn rebuild(
        &mut self,
        step: ApplyStep,
        verb: &str,
        cancel: &CancelFlag,
    ) -> Result<(), StepError> {
        let program = self
            .tools
            .find("nixos-rebuild")
            .map_err(|error| StepError::new(step.failure_message(), error.to_string()))?;
        self.log(
            step,
            // Translators: {program} is a command such as nixos-rebuild, {verb} its action such as “test” or “switch”; both stay untranslated.
            &gettext_f(
                "Running {program} {verb}",
                &[("program", &program.display().to_string()), ("verb", verb)],
            ),
        );
        let command = ToolCommand::new("nixos-rebuild", [verb]);
        let emit = &mut *self.emit;
        let result = run_streaming(
            &program,
            &command,
            &self.tools.search_path(),
            cancel,
            &mut |line| {
                emit(&ApplyEvent::Log {
                    step,
                    line: line.to_owned(),
                })
            },
        );
        match result {
            Ok(()) => Ok(()),
            Err(_) if cancel.is_cancelled() => Err(StepError::cancelled(step)),
            Err(error) => Err(StepError::new(step.failure_message(), error.to_string())),
        }
    }

    /// Before the file is written: undoes the moves, so that the storage
    /// root is as it was too.
    fn stop_unchanged(&mut self, step: ApplyStep, error: StepError) -> ApplyFailure {
        let mut left = Vec::new();
        for outcome in self.moves.drain(..).rev() {
            if outcome.undo().is_err() {
                left.push(outcome.made().to_owned());
            }
        }
        let state = if left.is_empty() {
            ApplyState::Unchanged
        } else {
            ApplyState::CopiesLeft { paths: left }
        };
        self.stopped(step, error, state)
    }

    /// After a failed or cancelled test. The copies stay: the test may have
    /// mounted them already.
    fn restore_previous(&mut self) -> ApplyState {
        let file = &self.request.file;
        let edited = backup_path(file);
        match write_atomically(file, &self.request.previous) {
            Ok(()) => ApplyState::Restored { edited },
            Err(error) => ApplyState::RestoreFailed {
                error: error.to_string(),
            },
        }
    }

    fn stopped(&mut self, step: ApplyStep, error: StepError, state: ApplyState) -> ApplyFailure {
        if error.cancelled {
            (self.emit)(&ApplyEvent::Cancelled { step });
        } else {
            (self.emit)(&ApplyEvent::Failed {
                step,
                message: error.message.clone(),
                detail: error.detail.clone(),
            });
        }
        let copied = self.moves.len();
        if copied > 0 {
            let line = ngettext_f(
                "The data of {n} newly kept path stays in the storage root.",
                "The data of {n} newly kept paths stays in the storage root.",
                u32::try_from(copied).unwrap_or(u32::MAX),
                &[],
            );
            self.log(step, &line);
        }
        (self.emit)(&ApplyEvent::Stopped {
            state: state.sentence(),
        });
        ApplyFailure {
            step,
            message: error.message,
            detail: error.detail,
            cancelled: error.cancelled,
            conflict: error.conflict,
            state,
        }
    }
}

fn fraction(done: u64, total: u64) -> f64 {
    if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).min(1.0)
    }
}
