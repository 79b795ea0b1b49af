// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake-helper`'s editor modes on the demo system: JSON on stdin, one
//! event line on stdout, exit codes.

#[path = "support/root.rs"]
mod root;
use root::running_as_root;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use keepsake::install::HelperEvent;
use keepsake::kept::{DemoSystem, EditorEvent, SetPasswordInput, TaskEvent};
use keepsake::plan::Secret;

fn helper(mode: &str, root: &Path, input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keepsake-helper"))
        .args([mode, "--root", root.to_str().unwrap()])
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepsake-helper starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn task(output: &Output) -> TaskEvent {
    let stdout = String::from_utf8_lossy(&output.stdout);
    match EditorEvent::from_line(stdout.trim_end()) {
        Some(EditorEvent::Task(task)) => task,
        other => panic!(
            "not one task event: {stdout:?} ({other:?}), stderr {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

#[test]
fn delete_orphan_deletes_an_orphan_and_refuses_kept_data() {
    let dir = tempfile::tempdir().unwrap();
    let demo = DemoSystem::create(dir.path()).unwrap();
    let kept = helper(
        "delete-orphan",
        &demo.root,
        r#"{"config": null, "path": "/persist/var/log"}"#,
    );
    assert_eq!(kept.status.code(), Some(1));
    assert!(matches!(task(&kept), TaskEvent::Refused { .. }));
    assert!(demo.root.join("persist/var/log/journal").exists());

    let orphan = helper(
        "delete-orphan",
        &demo.root,
        r#"{"config": null, "path": "/persist/var/lib/postgresql"}"#,
    );
    assert_eq!(orphan.status.code(), Some(0));
    let TaskEvent::Done { message } = task(&orphan) else {
        panic!("the orphan was not deleted");
    };
    assert!(message.contains("/persist/var/lib/postgresql"), "{message}");
    assert!(!demo.root.join("persist/var/lib/postgresql").exists());
}

#[test]
fn set_password_writes_the_hash_and_never_echoes_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let demo = DemoSystem::create(dir.path()).unwrap();
    let file = demo.root.join("persist/passwords/alice");
    let before = fs::read_to_string(&file).unwrap();
    let input = SetPasswordInput {
        user: "alice".to_owned(),
        password: Secret::new("tr0ub4dor&3".to_owned()),
    };
    let output = helper("set-password", &demo.root, &input.to_json());
    assert_eq!(output.status.code(), Some(0));
    let TaskEvent::Done { message } = task(&output) else {
        panic!("the password was not changed");
    };
    assert!(message.contains("nixos-rebuild switch"), "{message}");
    assert_ne!(fs::read_to_string(&file).unwrap(), before);

    let broken = helper(
        "set-password",
        &demo.root,
        r#"{"user": "alice", "pass": "tr0ub4dor&3"}"#,
    );
    assert_eq!(broken.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(!stderr.contains("tr0ub4dor"), "{stderr}");
    assert!(broken.stdout.is_empty());

    let unknown = helper(
        "set-password",
        &demo.root,
        r#"{"user": "mallory", "password": "x"}"#,
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(matches!(task(&unknown), TaskEvent::Refused { .. }));
}

#[test]
fn apply_without_a_configuration_is_refused_with_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let output = helper(
        "apply",
        dir.path(),
        r#"{"config": null, "activation": "switch", "conflict": null}"#,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(matches!(task(&output), TaskEvent::Refused { .. }));
}

#[test]
fn the_gui_runner_reads_editor_events_and_the_exit() {
    use std::ffi::OsString;
    use std::time::{Duration, Instant};

    use keepsake::install::{HelperExit, HelperMessage, HelperProcess};
    use zeroize::Zeroizing;

    let dir = tempfile::tempdir().unwrap();
    let demo = DemoSystem::create(dir.path()).unwrap();
    let command: Vec<OsString> = [
        env!("CARGO_BIN_EXE_keepsake-helper"),
        "delete-orphan",
        "--root",
        demo.root.to_str().unwrap(),
    ]
    .iter()
    .map(OsString::from)
    .collect();
    let (sender, receiver) = async_channel::unbounded::<HelperMessage<EditorEvent>>();
    let input = r#"{"config": null, "path": "/persist/var/lib/postgresql"}"#;
    HelperProcess::start(&command, Zeroizing::new(input.to_owned()), sender)
        .expect("the helper starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut messages = Vec::new();
    while !matches!(messages.last(), Some(HelperMessage::Exited(_))) {
        match receiver.try_recv() {
            Ok(message) => messages.push(message),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => panic!("the helper did not exit within a minute: {messages:?}"),
        }
    }
    assert!(
        matches!(
            messages.as_slice(),
            [
                HelperMessage::Event(EditorEvent::Task(TaskEvent::Done { .. })),
                HelperMessage::Exited(HelperExit::Succeeded)
            ]
        ),
        "{messages:?}"
    );
}

/// What the GUI sends: the edited text, which the helper applies to the
/// file it finds itself (as root: stand-ins are honoured only for root, as
/// the build root runs tests).
#[test]
fn apply_takes_the_edited_text_from_the_gui() {
    use std::os::unix::fs::PermissionsExt;

    use keepsake::install::TOOLS_DIR_VARIABLE;
    use keepsake::kept::{ActivationInput, ApplyInput};

    if !running_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let demo = DemoSystem::create(&dir.path().join("system")).unwrap();
    let tools = dir.path().join("tools");
    fs::create_dir_all(&tools).unwrap();
    let rebuild = tools.join("nixos-rebuild");
    fs::write(&rebuild, "#!/bin/sh\necho \"rebuilt ($1)\"\n").unwrap();
    fs::set_permissions(&rebuild, fs::Permissions::from_mode(0o755)).unwrap();
    let before = fs::read_to_string(&demo.config_file).unwrap();
    let edited = before.replace(
        "      \"/var/log\"\n",
        "      \"/var/log\"\n      \"/var/lib/docker\"\n",
    );
    assert_ne!(edited, before, "the demo's file lists /var/log");
    let input = ApplyInput {
        config: Some(demo.config_file.clone()),
        activation: ActivationInput::Switch,
        conflict: None,
        new_text: Some(edited.clone()),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_keepsake-helper"))
        .args(["apply", "--root", demo.root.to_str().unwrap()])
        .env(TOOLS_DIR_VARIABLE, &tools)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepsake-helper starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("\"event\":\"completed\""), "{stdout}");
    assert_eq!(fs::read_to_string(&demo.config_file).unwrap(), edited);
    assert!(
        demo.root
            .join("persist/var/lib/docker/image/overlay2/repositories.json")
            .exists(),
        "the live data of the new entry was copied to storage"
    );
}

#[test]
fn create_module_writes_the_shown_plan_and_nothing_else() {
    use keepsake::kept::CreateModuleInput;
    use keepsake::nix::persistence_edit::plan_new_module_for_system;
    let dir = tempfile::tempdir().unwrap();
    let demo = DemoSystem::create_without_persistence(dir.path()).unwrap();
    let configuration = demo.root.join("etc/nixos/configuration.nix");
    let before = fs::read_to_string(&configuration).unwrap();
    let stale = CreateModuleInput {
        storage: "/persist".to_owned(),
        diff: String::new(),
    };
    let refused = helper(
        "create-module",
        &demo.root,
        &serde_json::to_string(&stale).unwrap(),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(matches!(task(&refused), TaskEvent::Refused { .. }));
    assert_eq!(fs::read_to_string(&configuration).unwrap(), before);
    assert!(!demo.config_file.exists());

    let plan = plan_new_module_for_system(&demo.root, "/persist").unwrap();
    let input = CreateModuleInput {
        storage: "/persist".to_owned(),
        diff: plan.diff(),
    };
    let created = helper(
        "create-module",
        &demo.root,
        &serde_json::to_string(&input).unwrap(),
    );
    assert_eq!(created.status.code(), Some(0));
    assert!(matches!(task(&created), TaskEvent::Done { .. }));
    assert_eq!(fs::read_to_string(&demo.config_file).unwrap(), plan.text);
    assert_eq!(
        fs::read_to_string(&configuration).unwrap(),
        plan.importer_after
    );
}
