// SPDX-License-Identifier: GPL-3.0-or-later
//! The steps of applying an edited configuration and the progress events
//! about them: the installer's JSON-lines protocol (see
//! [`crate::install::Event`]) with the apply's own step names.

use gettextrs::gettext;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyStep {
    Validate,
    MoveData,
    WriteConfiguration,
    RebuildTest,
    Activate,
}

impl ApplyStep {
    /// Every step, in the order they run.
    pub const ALL: [ApplyStep; 5] = [
        ApplyStep::Validate,
        ApplyStep::MoveData,
        ApplyStep::WriteConfiguration,
        ApplyStep::RebuildTest,
        ApplyStep::Activate,
    ];

    /// 1 for the first step.
    pub fn number(self) -> usize {
        Self::ALL
            .iter()
            .position(|&step| step == self)
            .map_or(0, |index| index + 1)
    }

    pub fn title(self) -> String {
        match self {
            ApplyStep::Validate => gettext("Check the new configuration"),
            ApplyStep::MoveData => gettext("Copy the data of newly kept paths to storage"),
            ApplyStep::WriteConfiguration => gettext("Write the configuration file"),
            ApplyStep::RebuildTest => gettext("Build and try the new system"),
            ApplyStep::Activate => gettext("Make the new system permanent"),
        }
    }

    pub fn failure_message(self) -> String {
        match self {
            ApplyStep::Validate => gettext("The new configuration cannot be applied."),
            ApplyStep::MoveData => gettext("Copying data to the storage root failed."),
            ApplyStep::WriteConfiguration => gettext("Writing the configuration file failed."),
            ApplyStep::RebuildTest => gettext("Building or trying the new system failed."),
            ApplyStep::Activate => gettext("Making the new system permanent failed."),
        }
    }
}

/// One line of the event stream; the same shapes as the installer's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ApplyEvent {
    Started {
        step: ApplyStep,
        number: usize,
        title: String,
    },
    /// `fraction` is between 0 and 1.
    Progress {
        step: ApplyStep,
        fraction: f64,
    },
    /// A line of output of `nixos-rebuild`, or a note of the engine.
    Log {
        step: ApplyStep,
        line: String,
    },
    Finished {
        step: ApplyStep,
        seconds: f64,
    },
    Failed {
        step: ApplyStep,
        /// Translated, for people.
        message: String,
        /// The words of the tool or system call that failed, untranslated
        /// when they come from a tool.
        detail: String,
    },
    Cancelled {
        step: ApplyStep,
    },
    /// After a failure or cancellation, once cleanup is done: the state of
    /// the configuration, the storage root and the system, in one
    /// translated sentence.
    Stopped {
        state: String,
    },
    Completed {
        seconds: f64,
    },
}

impl ApplyEvent {
    pub fn to_json_line(&self) -> String {
        // Serialising these plain types cannot fail.
        serde_json::to_string(self).unwrap_or_default() + "\n"
    }

    pub fn from_json_line(line: &str) -> Result<ApplyEvent, serde_json::Error> {
        serde_json::from_str(line.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_json_lines_like_the_installer_s() {
        let event = ApplyEvent::Failed {
            step: ApplyStep::RebuildTest,
            message: "m".to_owned(),
            detail: "d".to_owned(),
        };
        let line = event.to_json_line();
        assert_eq!(
            line,
            "{\"event\":\"failed\",\"step\":\"rebuild_test\",\"message\":\"m\",\"detail\":\"d\"}\n"
        );
        assert_eq!(ApplyEvent::from_json_line(&line).unwrap(), event);
        assert_eq!(ApplyStep::Validate.number(), 1);
        assert_eq!(ApplyStep::Activate.number(), ApplyStep::ALL.len());
    }
}
