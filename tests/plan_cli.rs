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
    // In words first; the path after it points into the JSON.
    assert!(
        stdout.contains("System: host name — ") && stdout.contains("(system.hostname)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Users: user name of “Alice” — ") && stdout.contains("(users[0].name)"),
        "{stdout}"
    );
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

fn write_json(dir: &tempfile::TempDir, value: &serde_json::Value) -> String {
    let path = dir.path().join("plan.json");
    std::fs::write(&path, value.to_string()).unwrap();
    path.to_str().unwrap().to_owned()
}

fn example_json() -> serde_json::Value {
    serde_json::from_str(&keepsake::plan::Plan::example().to_json().unwrap()).unwrap()
}

#[test]
fn check_refuses_an_empty_password_from_the_password_file() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_json(&dir, &example_json());
    let passwords = dir.path().join("passwords");
    std::fs::write(&passwords, "alice:\n").unwrap();
    let output = keepsake(&[
        "check",
        "--plan",
        &plan,
        "--password-file",
        passwords.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stdout));
    assert!(
        text(&output.stdout).contains("Users: password of “alice” — "),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn secrets_of_the_wrong_shape_are_never_echoed() {
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("users[0].password", serde_json::json!("Hunter2Secret")),
        (
            "users[0].password",
            serde_json::json!({"Hunter2Secret": "x"}),
        ),
        (
            "users[0].password",
            serde_json::json!({"hashed": "Hunter2Secret", "clear": "Hunter2Secret"}),
        ),
        (
            "users[0].password",
            serde_json::json!({"clear": 4242424242u64}),
        ),
        ("root_password", serde_json::json!(["Hunter2Secret"])),
        ("encryption.passphrase", serde_json::json!(4242424242u64)),
        (
            "encryption.passphrase",
            serde_json::json!({"Hunter2Secret": 1}),
        ),
    ];
    for (field, secret) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = example_json();
        match field {
            "users[0].password" => plan["users"][0]["password"] = secret,
            "root_password" => plan["root_password"] = secret,
            _ => plan["encryption"]["passphrase"] = secret,
        }
        let output = keepsake(&["check", "--plan", &write_json(&dir, &plan)]);
        assert_eq!(output.status.code(), Some(65), "{field}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(field), "{stderr}");
        for leaked in ["Hunter2", "4242424242"] {
            assert!(!stderr.contains(leaked), "{field}: {stderr}");
            assert!(!text(&output.stdout).contains(leaked), "{field}");
        }
    }
}

#[test]
fn check_warns_about_clear_text_secrets_in_the_plan_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = example_json();
    plan["users"][0]["password"] = serde_json::json!({"clear": "Hunter2Secret"});
    plan["encryption"]["passphrase"] = serde_json::json!("Hunter2Passphrase");
    let output = keepsake(&["check", "--plan", &write_json(&dir, &plan)]);
    assert!(output.status.success(), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("warning: users[0].password"), "{stderr}");
    assert!(
        stderr.contains("warning: encryption.passphrase"),
        "{stderr}"
    );
    assert!(!stderr.contains("Hunter2"), "{stderr}");

    let hashed = write_json(&dir, &example_json());
    let quiet = keepsake(&["check", "--plan", &hashed]);
    assert!(!text(&quiet.stderr).contains("warning"));
}

#[test]
fn values_printed_back_are_escaped_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = example_json();
    let hostile = format!("\u{1b}]0;owned\u{7}\n{}", "h".repeat(300));
    plan["system"]["hostname"] = serde_json::json!(hostile);
    plan["persistence"]["files"][0] = serde_json::json!(hostile);
    plan[format!("\u{1b}[2J{}", "k".repeat(5000))] = serde_json::json!(1);
    let path = write_json(&dir, &plan);
    let output = keepsake(&["check", "--plan", &path]);
    assert_eq!(output.status.code(), Some(65));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("\\u{1b}[2J"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.len() < 1000, "{stderr}");

    plan.as_object_mut()
        .unwrap()
        .retain(|key, _| !key.contains("[2J"));
    let path = write_json(&dir, &plan);
    let output = keepsake(&["check", "--plan", &path]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("(system.hostname)"), "{stdout}");
    assert!(stdout.contains("(persistence.files[0])"), "{stdout}");
    assert!(
        stdout.contains("\\u{1b}]0;owned\\u{7}\\u{a}hhh"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}'));
    assert!(stdout.contains("h…"), "{stdout}");
    assert!(!stdout.contains(&"h".repeat(100)), "{stdout}");
}

#[test]
fn version_1_and_version_2_plans_are_both_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let example = keepsake(&["plan", "--example"]);
    let mut v2: serde_json::Value = serde_json::from_slice(&example.stdout).unwrap();
    assert_eq!(v2["schema_version"], 2);
    assert_eq!(v2["desktop"], "gnome");

    let mut v1 = v2.clone();
    v1["schema_version"] = 1.into();
    let object = v1.as_object_mut().unwrap();
    object.remove("desktop");
    object.remove("services");
    for (version, plan) in [(1, &v1), (2, &v2)] {
        let path = write_json(&dir, plan);
        let check = keepsake(&["check", "--plan", &path]);
        assert!(
            check.status.success(),
            "version {version}: {}",
            text(&check.stdout)
        );
        let render = keepsake(&["render", "--plan", &path, "--print"]);
        assert!(
            render.status.success(),
            "version {version}: {}",
            text(&render.stderr)
        );
        let printed = text(&render.stdout);
        assert_eq!(
            printed.contains("services.desktopManager.gnome.enable = true;"),
            version == 2,
            "version {version}"
        );
    }

    // A service switched on in the file without its state kept.
    v2["persistence"]["directories"] = serde_json::json!([]);
    let path = write_json(&dir, &v2);
    let check = keepsake(&["check", "--plan", &path]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stdout).contains("Software: Bluetooth — "),
        "{}",
        text(&check.stdout)
    );
    assert!(text(&check.stdout).contains("/var/lib/bluetooth"));

    v2["schema_version"] = 3.into();
    let path = write_json(&dir, &v2);
    let check = keepsake(&["check", "--plan", &path]);
    assert_ne!(check.status.code(), Some(0));
    assert!(
        text(&check.stderr).contains("versions 1 to 2"),
        "{}",
        text(&check.stderr)
    );
}

#[test]
fn render_exports_disko_and_writes_the_vendored_impermanence() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_json(&dir, &example_json());
    let out = dir.path().join("out");
    let render = keepsake(&[
        "render",
        "--plan",
        &plan,
        "--out",
        out.to_str().unwrap(),
        "--disko",
    ]);
    assert!(render.status.success(), "{}", text(&render.stderr));
    let disko = std::fs::read_to_string(out.join("disko.nix")).unwrap();
    assert!(disko.contains("disko.devices.disk.main = {"), "{disko}");
    assert!(out.join("impermanence/nixos.nix").is_file());
    let printed = keepsake(&["render", "--plan", &plan, "--print"]);
    assert!(!text(&printed.stdout).contains("disko"));
}
