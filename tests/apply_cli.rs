// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake persist apply` on a scratch root with a `nixos-rebuild`
//! stand-in that succeeds, fails, or hangs until cancelled: the data of new
//! entries is copied first, a failed or cancelled test puts the file back
//! byte for byte, and removing an entry never deletes its data.
//!
//! Needs root (apply refuses otherwise, and stand-ins are honoured only
//! for root); the build root runs tests as root.

#[path = "support/root.rs"]
mod root;
use root::running_as_root;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use keepsake::apply::{Activation, ApplyEvent, ApplyRequest, ApplyState, ApplyStep, apply};
use keepsake::i18n::isolate;
use keepsake::install::{CancelFlag, ToolDirs};

const CONFIG: &str = r#"{ config, ... }:
{
  # Kept across reboots.
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/var/log"
    ];
  };
}
"#;

/// What the `nixos-rebuild` stand-in does when asked to `test`.
#[derive(Clone, Copy)]
enum Rebuild {
    Succeeds,
    FailsTest,
    HangsInTest,
    FailsSwitch,
}

struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: PathBuf,
    tools: PathBuf,
    /// The verbs the stand-in was called with, one a line.
    calls: PathBuf,
    started: PathBuf,
}

impl Scratch {
    fn new(rebuild: Rebuild) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let config = root.join("etc/nixos/persistence.nix");
        fs::create_dir_all(config.parent().unwrap()).unwrap();
        fs::write(&config, CONFIG).unwrap();
        fs::set_permissions(&config, fs::Permissions::from_mode(0o644)).unwrap();
        fs::create_dir_all(root.join("persist/var/log")).unwrap();
        fs::write(root.join("persist/var/log/journal"), "old logs").unwrap();
        fs::create_dir_all(root.join("var/lib/app/state")).unwrap();
        fs::write(root.join("var/lib/app/data.db"), "precious").unwrap();
        fs::write(root.join("var/lib/app/state/counter"), "42").unwrap();
        let tools = dir.path().join("tools");
        fs::create_dir(&tools).unwrap();
        let calls = dir.path().join("calls");
        let started = dir.path().join("started");
        let test_branch = match rebuild {
            Rebuild::Succeeds => "echo 'building the system configuration...'",
            Rebuild::FailsTest => "echo \"error: attribute 'nope' missing\" >&2; exit 1",
            Rebuild::HangsInTest => &format!("touch '{}'; exec sleep 600", started.display()),
            Rebuild::FailsSwitch => "true",
        };
        let switch_branch = match rebuild {
            Rebuild::FailsSwitch => "echo 'error: installing the boot loader failed' >&2; exit 1",
            _ => "true",
        };
        let script = format!(
            "#!/bin/sh\necho \"$1\" >> '{calls}'\nif [ \"$1\" = test ]; then {test_branch}; fi\nif [ \"$1\" = switch ]; then {switch_branch}; fi\necho \"activating ($1)\"\n",
            calls = calls.display(),
        );
        let stand_in = tools.join("nixos-rebuild");
        fs::write(&stand_in, script).unwrap();
        fs::set_permissions(&stand_in, fs::Permissions::from_mode(0o755)).unwrap();
        Self {
            _dir: dir,
            root,
            config,
            tools,
            calls,
            started,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keepsake"));
        command
            .arg("persist")
            .args(args)
            .env("LC_ALL", "C")
            .env("KEEPSAKE_TOOLS_DIR", &self.tools);
        command
    }

    fn keepsake(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn config_arg(&self) -> &str {
        self.config.to_str().unwrap()
    }

    fn edit(&self, verb: &str, path: &str) {
        let output = self.keepsake(&[verb, path, "--config", self.config_arg()]);
        assert!(output.status.success(), "{output:?}");
    }

    fn apply(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "apply",
            "--json",
            "--config",
            self.config_arg(),
            "--root",
            self.root.to_str().unwrap(),
        ];
        args.extend(extra);
        self.keepsake(&args)
    }

    fn calls(&self) -> String {
        fs::read_to_string(&self.calls).unwrap_or_default()
    }
}

fn events(output: &Output) -> Vec<ApplyEvent> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| ApplyEvent::from_json_line(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn started_steps(events: &[ApplyEvent]) -> Vec<ApplyStep> {
    events
        .iter()
        .filter_map(|event| match event {
            ApplyEvent::Started { step, .. } => Some(*step),
            _ => None,
        })
        .collect()
}

#[test]
fn new_data_is_copied_then_the_system_is_tested_and_switched() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::Succeeds);
    scratch.edit("add", "/var/lib/app");
    let edited = fs::read(&scratch.config).unwrap();

    let output = scratch.apply(&[]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stored = scratch.root.join("persist/var/lib/app");
    assert_eq!(fs::read(stored.join("data.db")).unwrap(), b"precious");
    assert_eq!(fs::read(stored.join("state/counter")).unwrap(), b"42");
    assert_eq!(
        fs::read(scratch.root.join("var/lib/app/data.db")).unwrap(),
        b"precious"
    );
    assert_eq!(scratch.calls(), "test\nswitch\n");
    assert_eq!(fs::read(&scratch.config).unwrap(), edited);
    // The next apply starts from here.
    let applied = keepsake::apply::applied_path(&scratch.config);
    assert_eq!(fs::read(applied).unwrap(), edited);
    let events = events(&output);
    assert_eq!(started_steps(&events), ApplyStep::ALL);
    assert!(events.contains(&ApplyEvent::Log {
        step: ApplyStep::RebuildTest,
        line: "building the system configuration...".to_owned(),
    }));
    assert!(matches!(events.last(), Some(ApplyEvent::Completed { .. })));

    // Nothing is pending any more: no copy, no conflict with itself.
    let again = scratch.apply(&["--boot"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(scratch.calls(), "test\nswitch\ntest\nboot\n");
}

#[test]
fn a_failed_test_puts_the_previous_file_back_byte_for_byte() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::FailsTest);
    let before = fs::read(&scratch.config).unwrap();
    scratch.edit("add", "/var/lib/app");
    let edited = fs::read(&scratch.config).unwrap();

    let output = scratch.apply(&[]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(&scratch.config).unwrap(), before);
    assert_eq!(
        fs::metadata(&scratch.config).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // The edits are not lost: the version that failed is kept.
    let backup = keepsake::nix::persistence_edit::backup_path(&scratch.config);
    assert_eq!(fs::read(backup).unwrap(), edited);
    assert_eq!(scratch.calls(), "test\n");
    assert!(
        stderr(&output).contains("put back byte for byte"),
        "{}",
        stderr(&output)
    );
    let events = events(&output);
    assert!(events.contains(&ApplyEvent::Log {
        step: ApplyStep::RebuildTest,
        line: "error: attribute 'nope' missing".to_owned(),
    }));
    assert!(events.iter().any(|event| matches!(
        event,
        ApplyEvent::Failed { step: ApplyStep::RebuildTest, detail, .. } if detail.contains("nixos-rebuild failed")
    )));
    assert!(matches!(events.last(), Some(ApplyEvent::Stopped { .. })));
    // The live data was only read.
    assert_eq!(
        fs::read(scratch.root.join("var/lib/app/data.db")).unwrap(),
        b"precious"
    );
}

fn wait_for(path: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("keepsake ended before the rebuild started: {status}");
        }
        assert!(Instant::now() < deadline, "the rebuild never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hanging_test_is_cancelled_and_the_file_put_back() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::HangsInTest);
    let before = fs::read(&scratch.config).unwrap();
    scratch.edit("add", "/var/lib/app");
    let mut child = scratch
        .command(&[
            "apply",
            "--json",
            "--config",
            scratch.config_arg(),
            "--root",
            scratch.root.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(&scratch.started, &mut child);

    let started = Instant::now();
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = child.wait_with_output().unwrap();

    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(fs::read(&scratch.config).unwrap(), before);
    assert_eq!(scratch.calls(), "test\n");
    let events = events(&output);
    assert!(events.contains(&ApplyEvent::Cancelled {
        step: ApplyStep::RebuildTest
    }));
    assert!(matches!(events.last(), Some(ApplyEvent::Stopped { .. })));
}

#[test]
fn stored_data_at_a_new_path_needs_a_choice_and_is_never_overwritten() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::Succeeds);
    let stored = scratch.root.join("persist/var/lib/app");
    fs::create_dir_all(&stored).unwrap();
    fs::write(stored.join("data.db"), "from an earlier life").unwrap();
    scratch.edit("add", "/var/lib/app");
    let edited = fs::read(&scratch.config).unwrap();

    let refused = scratch.apply(&[]);

    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("--on-conflict keep-stored"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(scratch.calls(), "");
    assert_eq!(fs::read(&scratch.config).unwrap(), edited);
    assert_eq!(
        fs::read(stored.join("data.db")).unwrap(),
        b"from an earlier life"
    );
    assert_eq!(fs::read_dir(stored.parent().unwrap()).unwrap().count(), 1);

    let output = scratch.apply(&["--on-conflict", "keep-live"]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(fs::read(stored.join("data.db")).unwrap(), b"precious");
    let backups: Vec<PathBuf> = fs::read_dir(stored.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path != &stored)
        .collect();
    assert_eq!(backups.len(), 1);
    let name = backups[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with("app.keepsake-backup-20"), "{name}");
    assert_eq!(
        fs::read(backups[0].join("data.db")).unwrap(),
        b"from an earlier life"
    );
}

#[test]
fn removing_an_entry_never_deletes_its_data() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::Succeeds);
    scratch.edit("remove", "/var/log");

    let output = scratch.apply(&[]);

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        fs::read(scratch.root.join("persist/var/log/journal")).unwrap(),
        b"old logs"
    );
    assert!(events(&output).iter().any(|event| matches!(
        event,
        ApplyEvent::Log { step: ApplyStep::Validate, line } if line.contains(&format!("{} is no longer kept", isolate("/var/log")))
    )));
}

#[test]
fn an_entry_breaking_a_rule_stops_before_anything_changes() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::Succeeds);
    keepsake::apply::record_baseline(&scratch.config).unwrap();
    let edited = CONFIG.replace("\"/var/log\"", "\"/var/log\"\n      \"/proc/sys\"");
    fs::write(&scratch.config, &edited).unwrap();

    let output = scratch.apply(&[]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(scratch.calls(), "");
    assert_eq!(fs::read_to_string(&scratch.config).unwrap(), edited);
    assert!(events(&output).iter().any(|event| matches!(
        event,
        ApplyEvent::Failed { step: ApplyStep::Validate, detail, .. } if detail.contains("/proc")
    )));
    assert!(
        stderr(&output).contains("Nothing was changed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_usage_and_unparsable_files_have_their_exit_codes() {
    let scratch = Scratch::new(Rebuild::Succeeds);
    let both = scratch.apply(&["--switch", "--boot"]);
    assert_eq!(both.status.code(), Some(2));
    let wrong_choice = scratch.apply(&["--on-conflict", "overwrite"]);
    assert_eq!(wrong_choice.status.code(), Some(2));
    if !running_as_root() {
        return;
    }
    fs::write(&scratch.config, "{ environment.persistence = { ").unwrap();
    let unparsable = scratch.apply(&[]);
    assert_eq!(
        unparsable.status.code(),
        Some(65),
        "{}",
        stderr(&unparsable)
    );
    assert_eq!(scratch.calls(), "");
}

#[test]
fn the_human_output_names_the_steps() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::Succeeds);
    let mut child = scratch
        .command(&[
            "apply",
            "--config",
            scratch.config_arg(),
            "--root",
            scratch.root.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        text.starts_with("[1/5] Check the new configuration\n"),
        "{text}"
    );
    assert!(
        text.contains("[4/5] Build and try the new system\n"),
        "{text}"
    );
    assert!(text.ends_with("Applied.\n"), "{text}");
}

#[test]
fn cancelling_during_the_data_move_undoes_it_and_changes_nothing() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::Succeeds);
    let previous = fs::read_to_string(&scratch.config).unwrap();
    scratch.edit("add", "/var/lib/app");
    scratch.edit("add", "/var/lib/other");
    fs::create_dir_all(scratch.root.join("var/lib/other")).unwrap();
    fs::write(scratch.root.join("var/lib/other/file"), "other").unwrap();
    let edited = fs::read_to_string(&scratch.config).unwrap();
    let request = ApplyRequest {
        file: scratch.config.clone(),
        previous,
        new_text: edited.clone(),
        live_root: scratch.root.clone(),
        conflict: None,
        activation: Activation::Switch,
    };
    let cancel = CancelFlag::new();
    let mut seen = Vec::new();
    let failure = apply(&request, &ToolDirs::system(), &cancel, &mut |event| {
        // The first move is done when the second starts: cancel then.
        if let ApplyEvent::Log { line, .. } = event {
            if line.starts_with("Copying") && line.contains("other") {
                cancel.cancel();
            }
        }
        seen.push(event.clone());
    })
    .unwrap_err();

    assert!(failure.cancelled);
    assert_eq!(failure.step, ApplyStep::MoveData);
    assert_eq!(failure.state, ApplyState::Unchanged);
    assert!(seen.contains(&ApplyEvent::Cancelled {
        step: ApplyStep::MoveData
    }));
    // The first copy was undone, the second never kept.
    let names: Vec<_> = fs::read_dir(scratch.root.join("persist/var"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["log"]);
    assert_eq!(fs::read_to_string(&scratch.config).unwrap(), edited);
    assert_eq!(scratch.calls(), "");
}

#[test]
fn a_failed_switch_after_a_good_test_keeps_the_new_file_and_says_so() {
    if !running_as_root() {
        return;
    }
    let scratch = Scratch::new(Rebuild::FailsSwitch);
    scratch.edit("add", "/var/lib/app");
    let edited = fs::read(&scratch.config).unwrap();

    let output = scratch.apply(&[]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(scratch.calls(), "test\nswitch\n");
    // The tested system runs with this file: it stays, and is the new
    // starting point, so applying again only needs the switch.
    assert_eq!(fs::read(&scratch.config).unwrap(), edited);
    let applied = keepsake::apply::applied_path(&scratch.config);
    assert_eq!(fs::read(applied).unwrap(), edited);
    assert!(
        stderr(&output).contains("not yet the boot default"),
        "{}",
        stderr(&output)
    );
    assert!(events(&output).iter().any(|event| matches!(
        event,
        ApplyEvent::Failed {
            step: ApplyStep::Activate,
            ..
        }
    )));
}
