// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake plan`, `check` and `render` as a script uses them.

use std::process::{Command, Output};

fn keepsake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn example_plan_checks_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let output = keepsake(&["plan", "--example"]);
    assert!(output.status.success());
    std::fs::write(&plan, &output.stdout).unwrap();
    let plan = plan.to_str().unwrap();

    let check = keepsake(&["check", "--plan", plan]);
    assert!(check.status.success(), "{}", text(&check.stdout));

    let out = dir.path().join("etc-nixos");
    let out = out.to_str().unwrap();
    let render = keepsake(&["render", "--plan", plan, "--out", out]);
    assert!(render.status.success(), "{}", text(&render.stderr));
    assert!(text(&render.stderr).contains("placeholder"));
    for name in keepsake::nix::RENDERED_FILES {
        assert!(dir.path().join("etc-nixos").join(name).is_file(), "{name}");
    }

    let again = keepsake(&["render", "--plan", plan, "--out", out]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("--force"));
    let forced = keepsake(&["render", "--plan", plan, "--out", out, "--force"]);
    assert!(forced.status.success());

    let printed = keepsake(&["render", "--plan", plan, "--print"]);
    assert!(printed.status.success());
    assert!(text(&printed.stdout).contains("==> storage.nix <=="));
}

#[test]
fn check_lists_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = keepsake::plan::Plan::example();
    plan.system.hostname = "bad_name".to_owned();
    plan.users[0].name = "Alice".to_owned();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, plan.to_json().unwrap()).unwrap();
    let output = keepsake(&["check", "--plan", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("system.hostname: "), "{stdout}");
    assert!(stdout.contains("users[0].name: "), "{stdout}");
}

#[test]
fn bad_json_gives_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, "{\n  \"schema_version\": 1,\n  nope\n}\n").unwrap();
    let output = keepsake(&["check", "--plan", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(65));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("line 3, column 3"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn passwords_come_from_a_file_and_are_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = keepsake::plan::Plan::example();
    plan.users[0].password = None;
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, plan.to_json().unwrap()).unwrap();
    let plan_path = plan_path.to_str().unwrap();

    let missing = keepsake(&["check", "--plan", plan_path]);
    assert_eq!(missing.status.code(), Some(1));

    let passwords = dir.path().join("passwords");
    std::fs::write(&passwords, "alice:s3cret pass\nroot:other\n").unwrap();
    let passwords = passwords.to_str().unwrap();
    let check = keepsake(&["check", "--plan", plan_path, "--password-file", passwords]);
    assert!(check.status.success(), "{}", text(&check.stdout));
    let render = keepsake(&[
        "render",
        "--plan",
        plan_path,
        "--password-file",
        passwords,
        "--print",
    ]);
    assert!(render.status.success());
    let stdout = text(&render.stdout);
    assert!(stdout.contains("/persist/passwords/root"));
    assert!(!stdout.contains("s3cret"));

    std::fs::write(dir.path().join("bad"), "mallory:x\n").unwrap();
    let unknown = keepsake(&[
        "check",
        "--plan",
        plan_path,
        "--password-file",
        dir.path().join("bad").to_str().unwrap(),
    ]);
    assert_eq!(unknown.status.code(), Some(65));
    assert!(text(&unknown.stderr).contains("mallory"));
}
