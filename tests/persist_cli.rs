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

/// Two storage roots, as in a file that keeps large data on another
/// subvolume; `/var/lib/nixos` is written in both, as a hand-written file
/// can, so that only `--storage` says which one is meant.
const TWO_ROOTS: &str = r#"{ config, ... }:
{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/var/log" # the journal
      "/var/lib/nixos"
    ];
    files = [ "/etc/machine-id" ];
  };
  environment.persistence."/nix/persist" = {
    directories = [ "/var/lib/nixos" ];
  };
}
"#;

fn scratch_two_roots() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("persistence.nix");
    std::fs::write(&path, TWO_ROOTS).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

fn listed(config: &str) -> serde_json::Value {
    let output = keepsake(&["persist", "list", "--config", config, "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn add_writes_owner_group_and_mode_into_the_chosen_storage_root() {
    let (_dir, config) = scratch_two_roots();
    // With two roots and no --storage there is no right guess.
    let ambiguous = keepsake(&["persist", "add", "/var/lib/app", "--config", &config]);
    assert_eq!(ambiguous.status.code(), Some(1));
    assert!(
        text(&ambiguous.stderr).contains("--storage"),
        "{}",
        text(&ambiguous.stderr)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), TWO_ROOTS);

    let directory = keepsake(&[
        "persist",
        "add",
        "/var/lib/app",
        "--storage",
        "/nix/persist",
        "--owner",
        "app",
        "--group",
        "app",
        "--mode",
        "0700",
        "--config",
        &config,
    ]);
    assert_eq!(
        directory.status.code(),
        Some(0),
        "{}",
        text(&directory.stderr)
    );
    // The owner, group and mode of a file go to its parent directory.
    let file = keepsake(&[
        "persist",
        "add",
        "/etc/ssh/ssh_host_ed25519_key",
        "--file",
        "--storage",
        "/persist",
        "--owner",
        "root",
        "--group",
        "wheel",
        "--mode",
        "0755",
        "--config",
        &config,
    ]);
    assert_eq!(file.status.code(), Some(0), "{}", text(&file.stderr));
    // A file into a root that has no `files` list yet: a new binding, with
    // only the attribute given.
    let new_list = keepsake(&[
        "persist",
        "add",
        "/etc/adjtime",
        "--file",
        "--storage",
        "/nix/persist",
        "--mode",
        "0755",
        "--config",
        &config,
    ]);
    assert_eq!(
        new_list.status.code(),
        Some(0),
        "{}",
        text(&new_list.stderr)
    );

    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        r#"{ config, ... }:
{
  environment.persistence."/persist" = {
    hideMounts = true;
    directories = [
      "/var/log" # the journal
      "/var/lib/nixos"
    ];
    files = [ "/etc/machine-id" { file = "/etc/ssh/ssh_host_ed25519_key"; parentDirectory = { user = "root"; group = "wheel"; mode = "0755"; }; } ];
  };
  environment.persistence."/nix/persist" = {
    directories = [ "/var/lib/nixos" { directory = "/var/lib/app"; user = "app"; group = "app"; mode = "0700"; } ];
    files = [ { file = "/etc/adjtime"; parentDirectory = { mode = "0755"; }; } ];
  };
}
"#
    );
    let json = listed(&config);
    assert_eq!(
        json["storages"]["/nix/persist"],
        serde_json::json!({
            "hideMounts": null,
            "directories": [
                { "directory": "/var/lib/nixos", "user": null, "group": null, "mode": null },
                { "directory": "/var/lib/app", "user": "app", "group": "app", "mode": "0700" },
            ],
            "files": [
                { "file": "/etc/adjtime", "parentDirectory": { "mode": "0755" } },
            ],
            "users": {},
        })
    );
    assert_eq!(
        json["storages"]["/persist"]["files"],
        serde_json::json!([
            { "file": "/etc/machine-id" },
            {
                "file": "/etc/ssh/ssh_host_ed25519_key",
                "parentDirectory": { "user": "root", "group": "wheel", "mode": "0755" },
            },
        ])
    );
}

#[test]
fn remove_with_storage_takes_the_entry_from_that_root_only() {
    let (_dir, config) = scratch_two_roots();
    // Both roots keep it: without --storage, no guess and no change.
    let unnamed = keepsake(&["persist", "remove", "/var/lib/nixos", "--config", &config]);
    assert_eq!(unnamed.status.code(), Some(1), "{}", text(&unnamed.stderr));
    assert!(
        text(&unnamed.stderr).contains("--storage"),
        "{}",
        text(&unnamed.stderr)
    );
    assert_eq!(std::fs::read_to_string(&config).unwrap(), TWO_ROOTS);
    let removed = keepsake(&[
        "persist",
        "remove",
        "/var/lib/nixos",
        "--storage",
        "/nix/persist",
        "--config",
        &config,
    ]);
    assert_eq!(removed.status.code(), Some(0), "{}", text(&removed.stderr));
    let after = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        after,
        TWO_ROOTS.replace(
            "directories = [ \"/var/lib/nixos\" ];",
            "directories = [ ];"
        )
    );
    let json = listed(&config);
    assert_eq!(
        json["storages"]["/nix/persist"]["directories"],
        serde_json::json!([])
    );
    assert_eq!(
        json["storages"]["/persist"]["directories"][1]["directory"],
        "/var/lib/nixos"
    );

    // Not in the root named: refused, even though another root has it.
    let elsewhere = keepsake(&[
        "persist",
        "remove",
        "/var/log",
        "--storage",
        "/nix/persist",
        "--config",
        &config,
    ]);
    assert_eq!(elsewhere.status.code(), Some(1));
    // A root the file does not have.
    let unknown = keepsake(&[
        "persist",
        "remove",
        "/var/log",
        "--storage",
        "/persistent",
        "--config",
        &config,
    ]);
    assert_eq!(unknown.status.code(), Some(1));
    // A file entry is only removed as a file.
    let as_directory = keepsake(&[
        "persist",
        "remove",
        "/etc/machine-id",
        "--storage",
        "/persist",
        "--config",
        &config,
    ]);
    assert_eq!(as_directory.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), after);

    let file = keepsake(&[
        "persist",
        "remove",
        "/etc/machine-id",
        "--file",
        "--storage",
        "/persist",
        "--config",
        &config,
    ]);
    assert_eq!(file.status.code(), Some(0), "{}", text(&file.stderr));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        after.replace("files = [ \"/etc/machine-id\" ];", "files = [ ];")
    );
    assert_eq!(
        listed(&config)["storages"]["/persist"]["files"],
        serde_json::json!([])
    );
}
