// SPDX-License-Identifier: GPL-3.0-or-later
//! The steps of an installation and the progress events about them. The
//! helper writes one event per line as JSON; the GUI reads them back with
//! [`Event::from_json_line`].

use gettextrs::gettext;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    CheckPlan,
    CheckTools,
    BuildBeforeErase,
    PartitionTable,
    Esp,
    RootPartition,
    Subvolumes,
    TargetTree,
    HardwareConfiguration,
    WriteConfiguration,
    InstallNixos,
    UnmountAndLock,
}

impl StepId {
    /// Every step, in the order they run.
    pub const ALL: [StepId; 12] = [
        StepId::CheckPlan,
        StepId::CheckTools,
        StepId::BuildBeforeErase,
        StepId::PartitionTable,
        StepId::Esp,
        StepId::RootPartition,
        StepId::Subvolumes,
        StepId::TargetTree,
        StepId::HardwareConfiguration,
        StepId::WriteConfiguration,
        StepId::InstallNixos,
        StepId::UnmountAndLock,
    ];

    /// 1 for the first step.
    pub fn number(self) -> usize {
        Self::ALL
            .iter()
            .position(|&step| step == self)
            .map_or(0, |index| index + 1)
    }

    pub fn from_number(number: usize) -> Option<StepId> {
        number
            .checked_sub(1)
            .and_then(|index| Self::ALL.get(index))
            .copied()
    }

    /// What the step does, for the step list.
    pub fn title(self) -> String {
        match self {
            StepId::CheckPlan => gettext("Check the plan and the disk again"),
            StepId::CheckTools => gettext("Find the NixOS installation tools"),
            StepId::BuildBeforeErase => gettext("Build the new system before erasing anything"),
            StepId::PartitionTable => gettext("Create a new partition table"),
            StepId::Esp => gettext("Create the EFI system partition"),
            StepId::RootPartition => gettext("Create the encrypted btrfs partition"),
            StepId::Subvolumes => gettext("Create the btrfs subvolumes"),
            StepId::TargetTree => gettext("Mount the new system's file systems"),
            StepId::HardwareConfiguration => gettext("Detect the hardware"),
            StepId::WriteConfiguration => gettext("Write the NixOS configuration"),
            StepId::InstallNixos => gettext("Install NixOS"),
            StepId::UnmountAndLock => gettext("Unmount and lock the disk"),
        }
    }

    /// The translated sentence of a failure of this step.
    pub fn failure_message(self) -> String {
        match self {
            StepId::CheckPlan => gettext("The plan or the disk cannot be used."),
            StepId::CheckTools => gettext("The NixOS installation tools are missing."),
            StepId::BuildBeforeErase => {
                gettext("The new system could not be built, so nothing was erased.")
            }
            StepId::PartitionTable => gettext("Creating the partition table failed."),
            StepId::Esp => gettext("Creating the EFI system partition failed."),
            StepId::RootPartition => gettext("Creating the encrypted btrfs partition failed."),
            StepId::Subvolumes => gettext("Creating the btrfs subvolumes failed."),
            StepId::TargetTree => gettext("Mounting the new system's file systems failed."),
            StepId::HardwareConfiguration => gettext("Detecting the hardware failed."),
            StepId::WriteConfiguration => gettext("Writing the NixOS configuration failed."),
            StepId::InstallNixos => gettext("Installing NixOS failed."),
            StepId::UnmountAndLock => gettext("Unmounting or locking the disk failed."),
        }
    }
}

/// One line of the event stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Started {
        step: StepId,
        number: usize,
        title: String,
    },
    /// `fraction` is between 0 and 1; steps that cannot tell send none.
    Progress {
        step: StepId,
        fraction: f64,
    },
    /// A line of output of a tool, or a note of the engine.
    Log {
        step: StepId,
        line: String,
    },
    Finished {
        step: StepId,
        seconds: f64,
    },
    Failed {
        step: StepId,
        /// Translated, for people.
        message: String,
        /// The words of the tool or service that failed, untranslated.
        detail: String,
    },
    Cancelled {
        step: StepId,
    },
    /// After a failure or cancellation, once cleanup is done: what is on
    /// the disk now, in one translated sentence.
    Stopped {
        disk_state: String,
    },
    Completed {
        seconds: f64,
    },
}

impl Event {
    pub fn to_json_line(&self) -> String {
        // Serialising these plain types cannot fail.
        serde_json::to_string(self).unwrap_or_default() + "\n"
    }

    pub fn from_json_line(line: &str) -> Result<Event, serde_json::Error> {
        serde_json::from_str(line.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json_lines() {
        let event = Event::Failed {
            step: StepId::RootPartition,
            message: "m".to_owned(),
            detail: "d".to_owned(),
        };
        let line = event.to_json_line();
        assert_eq!(
            line,
            "{\"event\":\"failed\",\"step\":\"root_partition\",\"message\":\"m\",\"detail\":\"d\"}\n"
        );
        assert_eq!(Event::from_json_line(&line).unwrap(), event);
    }

    #[test]
    fn step_numbers_start_at_one_and_round_trip() {
        assert_eq!(StepId::CheckPlan.number(), 1);
        for step in StepId::ALL {
            assert_eq!(StepId::from_number(step.number()), Some(step));
        }
        assert_eq!(StepId::from_number(0), None);
        assert_eq!(StepId::from_number(StepId::ALL.len() + 1), None);
    }
}
