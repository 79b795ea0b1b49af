// SPDX-License-Identifier: GPL-3.0-or-later
//! The GUI's side of `keepsake-helper`: starts it (through pkexec), writes
//! the plan to its stdin, reads its events and output, and says how it
//! ended. Plain threads and a channel, so the GTK main loop never blocks
//! and this is tested without a display.
//!
//! Output is read as bytes and decoded lossily: a tool that prints a name
//! that is not UTF-8 must not stop the reader, because a reader that stops
//! leaves `nixos-install` writing into a closed pipe.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use zeroize::Zeroizing;

use super::{CANCEL_COMMAND, Event};
use crate::i18n::gettext_f;

/// pkexec's exit codes when the helper never ran: the person dismissed the
/// authentication dialog (126), or was not authorised (127).
const PKEXEC_DISMISSED: i32 = 126;
const PKEXEC_NOT_AUTHORISED: i32 = 127;

/// An event line of the helper's JSON-lines protocol: the installer's
/// [`Event`], or the editor's [`EditorEvent`](crate::kept::EditorEvent).
pub trait HelperEvent: Sized + Send + 'static {
    /// `None` when the line is not an event.
    fn from_line(line: &str) -> Option<Self>;
}

impl HelperEvent for Event {
    fn from_line(line: &str) -> Option<Self> {
        Event::from_json_line(line).ok()
    }
}

/// What the helper reports, in order; [`HelperMessage::Exited`] is last.
#[derive(Debug, Clone, PartialEq)]
pub enum HelperMessage<E = Event> {
    Event(E),
    /// A line that is not an event (pkexec's or the helper's own words).
    Output(String),
    Exited(HelperExit),
}

/// How the helper process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelperExit {
    Succeeded,
    /// pkexec did not start the helper, so nothing was written.
    NotAuthorised,
    /// The exit code, or `None` when a signal ended it.
    Failed(Option<i32>),
}

impl HelperExit {
    fn from_status(status: ExitStatus) -> Self {
        match status.code() {
            Some(0) => HelperExit::Succeeded,
            Some(PKEXEC_DISMISSED | PKEXEC_NOT_AUTHORISED) => HelperExit::NotAuthorised,
            code => HelperExit::Failed(code),
        }
    }
}

/// A running helper. Dropping it does not stop the helper: it runs as root
/// and only stops at a safe point, on [`HelperProcess::request_cancel`].
#[derive(Debug, Clone)]
pub struct HelperProcess {
    stdin: Arc<Mutex<Option<ChildStdin>>>,
}

impl HelperProcess {
    /// Starts `command` (program and arguments), writes `input` to its
    /// stdin and sends what it reports to `messages`. Returns once the
    /// process runs; an error means it could not be started.
    pub fn start<E: HelperEvent>(
        command: &[OsString],
        input: Zeroizing<String>,
        messages: async_channel::Sender<HelperMessage<E>>,
    ) -> io::Result<Self> {
        let (program, args) = command
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no program to run"))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();

        // The pipe stays open after the plan: the helper runs as root, so
        // a `cancel` line on it is the only way to stop it.
        let writer_stdin = stdin.clone();
        let writer_messages = messages.clone();
        thread::spawn(move || {
            let mut guard = writer_stdin.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(pipe) = guard.as_mut() {
                if let Err(error) = pipe.write_all(input.as_bytes()).and_then(|()| pipe.flush()) {
                    let _ = writer_messages.send_blocking(HelperMessage::Output(gettext_f(
                        "Could not give its input to the helper: {problem}",
                        &[("problem", &error.to_string())],
                    )));
                }
            }
            drop(input);
        });

        let error_messages = messages.clone();
        let error_reader = thread::spawn(move || {
            if let Some(stderr) = stderr {
                for_each_line(stderr, |line| {
                    let _ = error_messages.send_blocking(HelperMessage::Output(line));
                });
            }
        });

        let exit_stdin = stdin.clone();
        thread::spawn(move || {
            if let Some(stdout) = stdout {
                for_each_line(stdout, |line| {
                    let message = match E::from_line(&line) {
                        Some(event) => HelperMessage::Event(event),
                        None => HelperMessage::Output(line),
                    };
                    let _ = messages.send_blocking(message);
                });
            }
            let _ = error_reader.join();
            let exit = match child.wait() {
                Ok(status) => HelperExit::from_status(status),
                Err(_) => HelperExit::Failed(None),
            };
            exit_stdin
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let _ = messages.send_blocking(HelperMessage::Exited(exit));
        });
        Ok(Self { stdin })
    }

    /// Asks the helper to stop at its next safe point. It still reports
    /// what it cleaned up, and then [`HelperMessage::Exited`].
    pub fn request_cancel(&self) -> io::Result<()> {
        let mut guard = self.stdin.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(pipe) => pipe
                .write_all(format!("{CANCEL_COMMAND}\n").as_bytes())
                .and_then(|()| pipe.flush()),
            None => Ok(()),
        }
    }
}

/// Calls `handle` with every line of `input`, decoded lossily, without its
/// line ending; stops at the end or at a read error.
fn for_each_line(input: impl Read, mut handle: impl FnMut(String)) {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                while line
                    .last()
                    .is_some_and(|&byte| byte == b'\n' || byte == b'\r')
                {
                    line.pop();
                }
                handle(String::from_utf8_lossy(&line).into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::install::StepId;

    const DEADLINE: Duration = Duration::from_secs(30);

    fn shell(script: &str) -> Vec<OsString> {
        ["sh", "-c", script].iter().map(OsString::from).collect()
    }

    /// Every message until `Exited`, or a failure naming what never came.
    fn run(script: &str, input: &str) -> (HelperProcess, Vec<HelperMessage>) {
        let (sender, receiver) = async_channel::unbounded();
        let process =
            HelperProcess::start(&shell(script), Zeroizing::new(input.to_owned()), sender)
                .expect("sh starts");
        let messages = collect_until_exit(&receiver);
        (process, messages)
    }

    fn collect_until_exit(receiver: &async_channel::Receiver<HelperMessage>) -> Vec<HelperMessage> {
        let deadline = Instant::now() + DEADLINE;
        let mut messages = Vec::new();
        loop {
            match receiver.try_recv() {
                Ok(message) => {
                    let last = matches!(message, HelperMessage::Exited(_));
                    messages.push(message);
                    if last {
                        return messages;
                    }
                }
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Err(_) => panic!("no Exited message within {DEADLINE:?}; got {messages:?}"),
            }
        }
    }

    #[test]
    fn pkexec_refusal_means_not_authorised() {
        for code in [126, 127] {
            let (_, messages) = run(
                &format!(
                    "echo 'Error executing command as another user: Not authorized' >&2; exit {code}"
                ),
                "",
            );
            assert_eq!(
                messages.last(),
                Some(&HelperMessage::Exited(HelperExit::NotAuthorised))
            );
            assert!(messages.contains(&HelperMessage::Output(
                "Error executing command as another user: Not authorized".to_owned()
            )));
        }
    }

    #[test]
    fn exit_codes_and_signals_are_reported() {
        let (_, messages) = run("exit 0", "");
        assert_eq!(messages, vec![HelperMessage::Exited(HelperExit::Succeeded)]);
        let (_, messages) = run("exit 1", "");
        assert_eq!(
            messages,
            vec![HelperMessage::Exited(HelperExit::Failed(Some(1)))]
        );
        let (_, messages) = run("kill -9 $$", "");
        assert_eq!(
            messages,
            vec![HelperMessage::Exited(HelperExit::Failed(None))]
        );
    }

    #[test]
    fn events_are_parsed_and_other_lines_kept_even_when_not_utf8() {
        let event = Event::Finished {
            step: StepId::CheckPlan,
            seconds: 0.5,
        };
        let script = format!(
            "printf '%s' '{}'; printf 'caf\\351 \\377\\n'; printf 'after\\n'",
            event.to_json_line()
        );
        let (_, messages) = run(&script, "");
        assert_eq!(
            messages,
            vec![
                HelperMessage::Event(event),
                HelperMessage::Output("caf\u{fffd} \u{fffd}".to_owned()),
                HelperMessage::Output("after".to_owned()),
                HelperMessage::Exited(HelperExit::Succeeded),
            ]
        );
    }

    #[test]
    fn the_whole_plan_reaches_stdin_and_cancel_follows_it() {
        let plan = format!("{{\"big\": \"{}\"}}\n", "x".repeat(1 << 20));
        let (sender, receiver) = async_channel::unbounded();
        // Reads the plan line, then waits for the cancel line.
        let script = "IFS= read -r plan; echo \"plan ${#plan}\"; IFS= read -r request; echo \"got $request\"";
        let process =
            HelperProcess::start(&shell(script), Zeroizing::new(plan.clone()), sender).unwrap();
        let deadline = Instant::now() + DEADLINE;
        let first = loop {
            if let Ok(message) = receiver.try_recv() {
                break message;
            }
            assert!(Instant::now() < deadline, "the helper never read the plan");
            thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(
            first,
            HelperMessage::Output(format!("plan {}", plan.len() - 1))
        );
        process.request_cancel().unwrap();
        let rest = collect_until_exit(&receiver);
        assert_eq!(
            rest,
            vec![
                HelperMessage::Output(format!("got {CANCEL_COMMAND}")),
                HelperMessage::Exited(HelperExit::Succeeded),
            ]
        );
        process
            .request_cancel()
            .expect("cancel after the exit is harmless");
    }

    #[test]
    fn a_helper_that_ignores_its_input_does_not_stop_the_reader() {
        let (_, messages) = run("echo done", &"y".repeat(4 << 20));
        assert!(messages.contains(&HelperMessage::Output("done".to_owned())));
        assert_eq!(
            messages.last(),
            Some(&HelperMessage::Exited(HelperExit::Succeeded))
        );
    }

    #[test]
    fn a_missing_program_is_an_error_not_a_message() {
        let (sender, _receiver) = async_channel::unbounded::<HelperMessage>();
        let missing = [OsString::from("/nonexistent/keepsake-pkexec")];
        assert!(HelperProcess::start(&missing, Zeroizing::new(String::new()), sender).is_err());
    }
}
