// SPDX-License-Identifier: GPL-3.0-or-later
//! What `keepsake-helper` reads on stdin: one JSON plan (with the
//! passphrase), then optionally the line `cancel`. The helper runs as root
//! under pkexec, so the GUI cannot signal it; the pipe it already holds is
//! its way to ask for a stop.

use std::fmt;
use std::io::{self, BufRead, Read};

use zeroize::Zeroizing;

use crate::i18n::gettext_f;

use super::cancel::CancelFlag;

/// The word that cancels an installation, on a line of its own.
pub const CANCEL_COMMAND: &str = "cancel";

/// The most the helper reads as a plan. A real plan is a few KiB; this
/// bounds what a runaway or hostile writer can make a root process hold.
pub const MAX_PLAN_BYTES: usize = 4 * 1024 * 1024;

/// Why no plan could be read from the input.
#[derive(Debug, thiserror::Error)]
pub enum PlanInputError {
    /// More than [`MAX_PLAN_BYTES`] arrived before the JSON value ended.
    TooLarge {
        limit: usize,
    },
    NotUtf8,
    Read(#[from] io::Error),
}

impl fmt::Display for PlanInputError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            Self::TooLarge { limit } => gettext_f(
                "the plan is larger than {limit} MiB; nothing was written",
                &[("limit", &(limit / (1024 * 1024)).to_string())],
            ),
            Self::NotUtf8 => gettext_f("the plan is not UTF-8; nothing was written", &[]),
            Self::Read(error) => gettext_f(
                "cannot read the plan: {error}; nothing was written",
                &[("error", &error.to_string())],
            ),
        };
        formatter.write_str(&message)
    }
}

/// Reads exactly one JSON value (the plan) and nothing after it, into memory
/// that is wiped when dropped, refusing more than `limit` bytes.
///
/// It reads byte by byte so that nothing after the plan is consumed; give it
/// an unbuffered reader, so that no copy of the plan (and its passphrase)
/// stays behind in a buffer that is not wiped.
pub fn read_plan_json(
    input: &mut impl Read,
    limit: usize,
) -> Result<Zeroizing<String>, PlanInputError> {
    // Allocated once: a growing Vec would leave unwiped copies behind.
    let mut json = Zeroizing::new(Vec::with_capacity(limit));
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut byte = [0u8; 1];
    loop {
        if input.read(&mut byte)? == 0 {
            break;
        }
        if json.len() == limit {
            return Err(PlanInputError::TooLarge { limit });
        }
        let b = byte[0];
        json.push(b);
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    match String::from_utf8(std::mem::take(&mut *json)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(error) => {
            // Wipes what was read: it may hold the passphrase.
            drop(Zeroizing::new(error.into_bytes()));
            Err(PlanInputError::NotUtf8)
        }
    }
}

/// What the end of the input after the plan means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEnd {
    /// Nothing: scripts close stdin right after the plan.
    Ignored,
    /// Cancel: the GUI holds the pipe open while it runs, so its end means
    /// the GUI is gone and nobody would see the install go on.
    Cancels,
}

/// Raises `cancel` when a line `cancel` arrives, and at the end of the
/// input if `end` says so.
pub fn watch_for_cancel(input: impl BufRead, cancel: &CancelFlag, end: InputEnd) {
    for line in input.lines().map_while(Result::ok) {
        if line.trim() == CANCEL_COMMAND {
            cancel.cancel();
        }
    }
    if end == InputEnd::Cancels {
        cancel.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_json_value_and_leaves_the_rest() {
        let mut input: &[u8] = b"{\"a\": \"} \\\" {\", \"b\": [1, {}]}\ncancel\n";
        let json = read_plan_json(&mut input, MAX_PLAN_BYTES).unwrap();
        assert_eq!(&*json, "{\"a\": \"} \\\" {\", \"b\": [1, {}]}");
        assert_eq!(input, b"\ncancel\n");
    }

    #[test]
    fn a_plan_over_the_limit_is_refused() {
        let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(100));
        let error = read_plan_json(&mut big.as_bytes(), 64).unwrap_err();
        assert!(matches!(error, PlanInputError::TooLarge { limit: 64 }));
        let exact = read_plan_json(&mut big.as_bytes(), big.len()).unwrap();
        assert_eq!(*exact, big);
        assert_eq!(
            PlanInputError::TooLarge {
                limit: MAX_PLAN_BYTES
            }
            .to_string(),
            "the plan is larger than 4 MiB; nothing was written"
        );
    }

    #[test]
    fn input_that_is_not_utf8_is_refused() {
        let error = read_plan_json(&mut &b"{\"a\": \"\xff\"}"[..], 64).unwrap_err();
        assert!(matches!(error, PlanInputError::NotUtf8));
    }

    #[test]
    fn a_cancel_line_raises_the_flag_and_end_of_input_does_not() {
        let cancel = CancelFlag::new();
        watch_for_cancel(&b"\n"[..], &cancel, InputEnd::Ignored);
        assert!(!cancel.is_cancelled());
        watch_for_cancel(&b"\n cancel \n"[..], &cancel, InputEnd::Ignored);
        assert!(cancel.is_cancelled());
    }

    #[test]
    fn the_end_of_the_guis_input_cancels() {
        let cancel = CancelFlag::new();
        watch_for_cancel(&b"\n"[..], &cancel, InputEnd::Cancels);
        assert!(cancel.is_cancelled());
    }
}
