// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake persist` as a script uses it: exit codes, dry runs that write
//! nothing, and atomic writes that keep a backup.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const CONFIG: &str = r#"{ config, ... }:
{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/var/log" # the journal
      "/var/lib/nixos"
    ];
    files = [ "/etc/machine-id" ];
  };
}
"#;

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

fn scratch_config() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("persistence.nix");
    std::fs::write(&path, CONFIG).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn list_prints_the_documented_json() {
    let (_dir, config) = scratch_config();
    let output = keepsake(&["persist", "list", "--config", &config, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected = serde_json::json!({
        "file": config,
        "computed": false,
        "storages": {
            "/persist": {
                "hideMounts": true,
                "directories": [
                    { "directory": "/var/log", "user": null, "group": null, "mode": null },
                    { "directory": "/var/lib/nixos", "user": null, "group": null, "mode": null },
                ],
                "files": [ { "file": "/etc/machine-id" } ],
                "users": {},
            }
        }
    });
    assert_eq!(listed, expected);

    let human = keepsake(&["persist", "list", "--config", &config]);
    assert_eq!(human.status.code(), Some(0));
    assert!(text(&human.stdout).contains("d /var/lib/nixos"));
}

#[test]
fn a_dry_run_prints_the_diff_and_writes_nothing() {
    let (dir, config) = scratch_config();
    let before = std::fs::metadata(&config).unwrap().modified().unwrap();
    let output = keepsake(&[
        "persist",
        "add",
        "/var/lib/bluetooth",
        "--config",
        &config,
        "--dry-run",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let diff = text(&output.stdout);
    assert!(diff.contains("@@"), "{diff}");
    assert!(diff.contains("+      \"/var/lib/bluetooth\"\n"), "{diff}");
    assert_eq!(diff.lines().filter(|l| l.starts_with('+')).count(), 2);
    assert_eq!(diff.lines().filter(|l| l.starts_with('-')).count(), 1);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), CONFIG);
    assert_eq!(
        std::fs::metadata(&config).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(names_in(dir.path()), ["persistence.nix"]);
}

#[test]
fn add_and_remove_write_atomically_and_keep_a_backup() {
    let (dir, config) = scratch_config();
    let added = keepsake(&[
        "persist", "add", ".ssh", "--user", "alice", "--mode", "0700", "--config", &config,
    ]);
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let after_add = std::fs::read_to_string(&config).unwrap();
    assert!(
        after_add
            .contains("users.alice.directories = [ { directory = \".ssh\"; mode = \"0700\"; } ];")
    );
    let backup = format!("{config}.keepsake-backup");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), CONFIG);
    assert_eq!(
        std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // The first edit since the last apply also records what was applied,
    // for `keepsake persist apply`.
    assert_eq!(
        names_in(dir.path()),
        [
            "persistence.nix",
            "persistence.nix.keepsake-applied",
            "persistence.nix.keepsake-backup"
        ]
    );
    let applied = format!("{config}.keepsake-applied");
    assert_eq!(std::fs::read_to_string(&applied).unwrap(), CONFIG);

    let removed = keepsake(&["persist", "remove", "/var/log", "--config", &config]);
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed.stderr));
    let after_remove = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        after_remove,
        after_add.replace("      \"/var/log\" # the journal\n", "")
    );
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), after_add);
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let (dir, config) = scratch_config();
    let refused = [
        vec!["persist", "add", "/var/log"],
        vec!["persist", "add", "/nix/store"],
        vec!["persist", "add", "relative"],
        vec!["persist", "remove", "/var/lib/unknown"],
    ];
    for args in refused {
        let mut args = args.clone();
        args.extend(["--config", &config]);
        let output = keepsake(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
    let usage = keepsake(&[
        "persist", "remove", "/var/log", "--mode", "0700", "--config", &config,
    ]);
    assert_eq!(usage.status.code(), Some(2));
    assert_eq!(keepsake(&["persist", "add"]).status.code(), Some(2));
    assert_eq!(keepsake(&["persist", "frobnicate"]).status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), CONFIG);

    let broken = dir.path().join("broken.nix");
    std::fs::write(
        &broken,
        "{\n  environment.persistence = {\n    \"/p\".directories = [ ;\n}\n",
    )
    .unwrap();
    let broken = broken.to_str().unwrap();
    for args in [
        vec!["persist", "list", "--config", broken],
        vec!["persist", "add", "/var/lib/x", "--config", broken],
    ] {
        let output = keepsake(&args);
        assert_eq!(output.status.code(), Some(65), "{args:?}");
        assert!(
            text(&output.stderr).contains("line 3, column"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn orphans_of_the_demo_system_are_listed_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let demo = keepsake::kept::DemoSystem::create(dir.path()).unwrap();
    let root = demo.root.to_str().unwrap();
    let output = keepsake(&["persist", "orphans", "--root", root, "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["uncertain"], true);
    let orphans = json["orphans"].as_array().unwrap();
    assert_eq!(orphans.len(), 1, "{json}");
    assert_eq!(orphans[0]["path"], "/persist/var/lib/postgresql");
    assert_eq!(orphans[0]["storage"], "/persist");
    assert!(orphans[0]["bytes"].as_u64().unwrap() >= 10 << 20);
    let human = keepsake(&["persist", "orphans", "--root", root]);
    assert!(text(&human.stdout).contains("/persist/var/lib/postgresql"));
}

#[test]
fn init_writes_a_persistence_module_and_imports_it() {
    let dir = tempfile::tempdir().unwrap();
    let nixos = dir.path().join("etc/nixos");
    std::fs::create_dir_all(&nixos).unwrap();
    let configuration = "{ ... }:\n{\n  imports = [ ./hardware-configuration.nix ];\n}\n";
    std::fs::write(nixos.join("configuration.nix"), configuration).unwrap();
    let root = dir.path().to_str().unwrap();

    let dry = keepsake(&["persist", "init", "--root", root, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("+++ "), "{}", text(&dry.stdout));
    assert!(!nixos.join("persistence.nix").exists());

    let done = keepsake(&[
        "persist",
        "init",
        "--root",
        root,
        "--storage",
        "/nix/persist",
    ]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    assert_eq!(
        std::fs::read_to_string(nixos.join("configuration.nix")).unwrap(),
        "{ ... }:\n{\n  imports = [ ./hardware-configuration.nix ./persistence.nix ];\n}\n"
    );
    let listed = keepsake(&[
        "persist",
        "list",
        "--config",
        nixos.join("persistence.nix").to_str().unwrap(),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(json["storages"]["/nix/persist"].is_object(), "{json}");

    let again = keepsake(&["persist", "init", "--root", root]);
    assert_eq!(again.status.code(), Some(1));
}
