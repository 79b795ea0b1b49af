// SPDX-License-Identifier: GPL-3.0-or-later
//! What `keepsake-helper` reads on stdin: one JSON plan (with the
//! passphrase), then optionally the line `cancel`. The helper runs as root
//! under pkexec, so the GUI cannot signal it; the pipe it already holds is
//! its way to ask for a stop.

use std::io::{self, BufRead, Read};

use zeroize::Zeroizing;

use super::cancel::CancelFlag;

/// The word that cancels an installation, on a line of its own.
pub const CANCEL_COMMAND: &str = "cancel";

/// Reads exactly one JSON value (the plan) and nothing after it, into memory
/// that is wiped when dropped.
pub fn read_plan_json(input: &mut impl Read) -> io::Result<Zeroizing<String>> {
    let mut json = Zeroizing::new(Vec::new());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut byte = [0u8; 1];
    loop {
        if input.read(&mut byte)? == 0 {
            break;
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
    let text = String::from_utf8(std::mem::take(&mut *json))
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the plan is not UTF-8"))?;
    Ok(Zeroizing::new(text))
}

/// Raises `cancel` when a line `cancel` arrives. End of input means
/// nothing: scripts close stdin right after the plan.
pub fn watch_for_cancel(input: impl BufRead, cancel: &CancelFlag) {
    for line in input.lines().map_while(Result::ok) {
        if line.trim() == CANCEL_COMMAND {
            cancel.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_json_value_and_leaves_the_rest() {
        let mut input: &[u8] = b"{\"a\": \"} \\\" {\", \"b\": [1, {}]}\ncancel\n";
        let json = read_plan_json(&mut input).unwrap();
        assert_eq!(&*json, "{\"a\": \"} \\\" {\", \"b\": [1, {}]}");
        assert_eq!(input, b"\ncancel\n");
    }

    #[test]
    fn a_cancel_line_raises_the_flag_and_end_of_input_does_not() {
        let cancel = CancelFlag::new();
        watch_for_cancel(&b"\n"[..], &cancel);
        assert!(!cancel.is_cancelled());
        watch_for_cancel(&b"\n cancel \n"[..], &cancel);
        assert!(cancel.is_cancelled());
    }
}
