// SPDX-License-Identifier: GPL-3.0-or-later
//! The state of one row in a list of steps (the install's, the editor's
//! apply): an icon, and the same in words as the row's subtitle and
//! accessible description, so nothing is told by the icon or its colour
//! alone.

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
pub(crate) fn step_row(title: &str) -> (adw::ActionRow, gtk::Stack) {
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
pub(crate) fn set_state(row: &adw::ActionRow, stack: &gtk::Stack, state: StepState) {
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
