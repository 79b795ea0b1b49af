// SPDX-License-Identifier: GPL-3.0-or-later
//! The front ends of the install engine refuse bad input before touching
//! anything (the VM tests cover the runs that do write).

use std::io::Write;
use std::process::{Command, Stdio};

use keepsake::plan::{Plan, TargetDisk};

const BY_ID: &str = "/dev/disk/by-id/virtio-nonexistent";

/// The example plan on a disk that does not exist, so no run can write
/// anything.
fn plan_file() -> tempfile::NamedTempFile {
    let mut plan = Plan::example();
    plan.disk = Some(TargetDisk {
        udisks_object_path: String::new(),
        by_id_path: BY_ID.to_owned(),
        model: String::new(),
        serial: "nonexistent".to_owned(),
        size_bytes: 64 << 30,
        rotational: false,
    });
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(plan.to_json().unwrap().as_bytes()).unwrap();
    file
}

#[test]
fn install_refuses_a_confirmation_that_names_another_disk() {
    let plan = plan_file();
    let output = Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(["install", "--plan"])
        .arg(plan.path())
        .args(["--confirm", "/dev/disk/by-id/virtio-other"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("does not name the plan's disk"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn install_has_no_passphrase_argument() {
    let output = Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(["install", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--passphrase-file"), "{help}");
    assert!(!help.contains("--passphrase "), "{help}");
}

#[test]
fn helper_rejects_input_that_is_not_a_plan() {
    for mode in [&[][..], &["install"][..]] {
        helper_rejects_input_that_is_not_a_plan_in(mode);
    }
}

/// Without arguments and with the `install` mode the GUI names for pkexec.
fn helper_rejects_input_that_is_not_a_plan_in(mode: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keepsake-helper"))
        .args(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"schema_version\": 1, \"nonsense\": true}")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{mode:?}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("nonsense"),
        "{mode:?}: the plan was read and refused"
    );
    assert!(output.stdout.is_empty(), "no event before the plan is read");
}

#[test]
fn helper_refuses_a_plan_of_more_than_a_few_mib() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keepsake-helper"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // One JSON value that never ends: the helper must stop reading at its
    // limit instead of waiting for the end. Its exit breaks the pipe, so
    // the write may fail.
    let writer = std::thread::spawn(move || {
        let mut oversized = b"{\"schema_version\": 1, \"padding\": \"".to_vec();
        oversized.resize(oversized.len() + (8 << 20), b'x');
        let _ = stdin.write_all(&oversized);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the plan is larger than 4 MiB; nothing was written"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no event before the plan is read");
}

fn install(plan: &tempfile::NamedTempFile, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(["install", "--plan"])
        .arg(plan.path())
        .args(["--confirm", BY_ID])
        .args(extra)
        .env("LC_ALL", "C")
        .output()
        .unwrap()
}

#[test]
fn install_refuses_an_empty_password_before_hashing_it() {
    let plan = plan_file();
    let output = install(&plan, &["--user-password", "alice=/dev/null"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Users: password of “alice” — "), "{stderr}");
    assert!(!stderr.contains("users[0]"), "{stderr}");
    assert!(stderr.contains("Nothing was written"), "{stderr}");
    assert!(output.stdout.is_empty(), "no step started");
}

#[test]
fn install_refuses_an_empty_recovery_key() {
    let plan = plan_file();
    let output = install(&plan, &["--recovery-key-file", "/dev/null"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the recovery key in /dev/null is empty; nothing was written"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no step started");
}
