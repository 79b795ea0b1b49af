// SPDX-License-Identifier: GPL-3.0-or-later
//! A list of steps (the install's, the editor's apply): one row per step
//! whose state is an icon and the same in words, as the row's subtitle and
//! accessible description, so nothing is told by the icon or its colour
//! alone; and the progress across the steps.

use adw::prelude::*;
use gettextrs::gettext;
use gtk::accessible::Property;
use gtk::glib;

/// How a step row looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepState {
    Waiting,
    Running,
    Done,
    Failed,
}

impl StepState {
    const ALL: [StepState; 4] = [Self::Waiting, Self::Running, Self::Done, Self::Failed];

    /// The state in words, for the row's subtitle and screen readers.
    pub(crate) fn describe(self) -> String {
        match self {
            // Translators: the state of an installation step that has not started.
            StepState::Waiting => gettext("Waiting"),
            StepState::Running => gettext("In progress"),
            StepState::Done => gettext("Done"),
            // Translators: the state of an installation step that failed or was cancelled.
            StepState::Failed => gettext("Failed"),
        }
    }

    fn child_name(self) -> &'static str {
        match self {
            StepState::Waiting => "waiting",
            StepState::Running => "running",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }
}

/// A step's row with its state in front, waiting.
fn step_row(title: &str) -> (adw::ActionRow, gtk::Stack) {
    let row = adw::ActionRow::builder()
        .title(glib::markup_escape_text(title))
        .build();
    let stack = gtk::Stack::builder().valign(gtk::Align::Center).build();
    for state in StepState::ALL {
        let child: gtk::Widget = match state {
            StepState::Waiting => gtk::Image::from_icon_name("content-loading-symbolic").upcast(),
            StepState::Running => adw::Spinner::new().upcast(),
            StepState::Done => gtk::Image::from_icon_name("object-select-symbolic").upcast(),
            StepState::Failed => {
                let image = gtk::Image::from_icon_name("dialog-error-symbolic");
                image.add_css_class("error");
                image.upcast()
            }
        };
        // Each state is said by name, not only drawn as an icon.
        child.update_property(&[Property::Label(&state.describe())]);
        stack.add_named(&child, Some(state.child_name()));
    }
    row.add_prefix(&stack);
    set_state(&row, &stack, StepState::Waiting);
    (row, stack)
}

/// Shows `state` by icon and, for what has begun, in words; a screen
/// reader reads it as the row's description.
fn set_state(row: &adw::ActionRow, stack: &gtk::Stack, state: StepState) {
    stack.set_visible_child_name(state.child_name());
    let words = state.describe();
    row.set_subtitle(
        if state == StepState::Waiting {
            String::new()
        } else {
            glib::markup_escape_text(&words).into()
        }
        .as_str(),
    );
    row.update_property(&[Property::Description(&words)]);
}

/// The rows of a list of steps, one per step, in the order of the steps.
#[derive(Debug)]
pub(crate) struct StepList<Step> {
    rows: Vec<(Step, adw::ActionRow, gtk::Stack)>,
}

impl<Step: Copy + PartialEq> StepList<Step> {
    /// A waiting row in `group` for each of `steps`, titled by `title`.
    pub(crate) fn new(
        group: &adw::PreferencesGroup,
        steps: impl IntoIterator<Item = Step>,
        title: impl Fn(Step) -> String,
    ) -> Self {
        let rows = steps
            .into_iter()
            .map(|step| {
                let (row, stack) = step_row(&title(step));
                group.add(&row);
                (step, row, stack)
            })
            .collect();
        Self { rows }
    }

    pub(crate) fn set(&self, step: Step, state: StepState) {
        if let Some((_, row, stack)) = self.rows.iter().find(|(id, _, _)| *id == step) {
            set_state(row, stack, state);
        }
    }

    /// Every step waiting again, for a new run.
    pub(crate) fn reset(&self) {
        for (_, row, stack) in &self.rows {
            set_state(row, stack, StepState::Waiting);
        }
    }

    /// Each step's state as its row says it in words: empty while it waits.
    pub(crate) fn states_in_words(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|(_, row, _)| row.subtitle().unwrap_or_default().into())
            .collect()
    }
}

/// The progress across `total` steps while step `number` (counted from 1)
/// is `fraction` done: the steps before it count in full.
pub(crate) fn overall_fraction(number: usize, total: usize, fraction: f64) -> f64 {
    let done = number.saturating_sub(1) as f64 + fraction.clamp(0.0, 1.0);
    done / total.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::overall_fraction;

    #[test]
    fn progress_counts_the_steps_before_in_full() {
        assert_eq!(overall_fraction(1, 4, 0.0), 0.0);
        assert_eq!(overall_fraction(2, 4, 0.5), 0.375);
        assert_eq!(overall_fraction(4, 4, 1.0), 1.0);
        assert_eq!(overall_fraction(3, 4, 7.0), 0.75);
    }
}
