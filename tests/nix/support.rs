// SPDX-License-Identifier: GPL-3.0-or-later
//! Shared by the plan and render tests: sample plans, and running
//! `nix-instantiate` against the pinned sources in `tests/data/nix-sources`.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use keepsake::nix::GeneratedFile;
use keepsake::plan::{Password, PersistentDirectory, Plan, Service, Subvolume, Swap, User};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pinned tarballs, kept in the repository so that a clone passes its
/// tests with nothing beside it.
pub fn nix_sources_dir() -> PathBuf {
    manifest_dir().join("tests/data/nix-sources")
}

/// Whether `tool` is on PATH. Inside the build root a missing tool fails the
/// test; elsewhere the test is skipped, loudly.
pub fn tool_available(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var("KEEPSAKE_IN_BUILDROOT").as_deref() != Ok("1"),
            "{tool} is missing inside the build root"
        );
        eprintln!("\n*** SKIPPED: {tool} is not installed; run this test in the build root ***\n");
    }
    found
}

const PINNED_TARBALLS: [&str; 2] = ["impermanence-7b1d382.tar.gz", "nixpkgs-lib-de42d44.tar.gz"];

/// Fails unless every pinned tarball is listed in `SHA256SUMS` and matches it.
pub fn verify_pinned_sources() {
    let sums = std::fs::read_to_string(nix_sources_dir().join("SHA256SUMS"))
        .expect("tests/data/nix-sources/SHA256SUMS is readable");
    for tarball in PINNED_TARBALLS {
        assert!(
            sums.lines()
                .any(|line| line.ends_with(&format!("  {tarball}"))),
            "{tarball} has no line in tests/data/nix-sources/SHA256SUMS"
        );
    }
    let output = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(nix_sources_dir())
        .output()
        .expect("sha256sum runs");
    assert!(
        output.status.success(),
        "a pinned Nix source does not match its hash:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A scratch directory with the pinned sources unpacked, shared by the
/// tests of one binary.
fn sources() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static SOURCES: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    SOURCES.get_or_init(|| {
        verify_pinned_sources();
        let dir = tempfile::tempdir().unwrap();
        for tarball in PINNED_TARBALLS {
            let status = Command::new("tar")
                .arg("xzf")
                .arg(nix_sources_dir().join(tarball))
                .arg("-C")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "unpacking {tarball}");
        }
        let impermanence = dir.path().join("impermanence");
        let lib = dir.path().join("nixpkgs-lib");
        (dir, impermanence, lib)
    })
}

pub fn impermanence_source() -> &'static Path {
    &sources().1
}

pub fn nixpkgs_lib_source() -> &'static Path {
    &sources().2
}

/// `nix-instantiate` with its state in a scratch directory of its own (so it
/// needs no daemon, no writable /nix, and parallel tests do not share its
/// database).
pub fn nix_instantiate(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let scratch = tempfile::tempdir().unwrap();
    let state = scratch.path().join("nix-state");
    let mut child = Command::new("nix-instantiate")
        .args(args)
        .env("NIX_STATE_DIR", &state)
        .env("NIX_LOG_DIR", state.join("log"))
        .env("NIX_CONFIG", "build-users-group =")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nix-instantiate runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Evaluates a Nix expression read from stdin to JSON.
pub fn eval_json(expression: &str) -> serde_json::Value {
    let output = nix_instantiate(
        &["--eval", "--strict", "--json", "--readonly-mode", "-"],
        Some(expression),
    );
    assert!(
        output.status.success(),
        "nix-instantiate failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

pub fn write_files(dir: &Path, files: &[GeneratedFile]) {
    for file in files {
        std::fs::write(dir.join(&file.path), &file.contents).unwrap();
    }
}

/// Writes the impermanence tree Keepsake carries into `dir`, as the
/// installer does into `/etc/nixos`.
pub fn write_vendored(dir: &Path) {
    for entry in keepsake::nix::vendored::entries().unwrap() {
        let path = dir.join(&entry.path);
        match entry.contents {
            None => std::fs::create_dir_all(&path).unwrap(),
            Some(contents) => std::fs::write(&path, contents).unwrap(),
        }
        std::fs::set_permissions(
            &path,
            std::os::unix::fs::PermissionsExt::from_mode(entry.mode),
        )
        .unwrap();
    }
}

/// Evaluates the harness `tests/nix/<harness>` strictly to JSON against the
/// pinned nixpkgs lib and impermanence, with `args` after them; `what`
/// names the input in a failure.
pub fn evaluate_harness(harness: &str, args: &[&str], what: &str) -> serde_json::Value {
    try_evaluate_harness(harness, args)
        .unwrap_or_else(|stderr| panic!("evaluating {what} failed:\n{stderr}"))
}

/// As [`evaluate_harness`], with nix-instantiate's error output on failure.
pub fn try_evaluate_harness(harness: &str, args: &[&str]) -> Result<serde_json::Value, String> {
    let (_, impermanence, lib) = sources();
    let harness = manifest_dir().join("tests/nix").join(harness);
    let mut all = vec![
        "--eval",
        "--strict",
        "--json",
        "--readonly-mode",
        harness.to_str().unwrap(),
        "--argstr",
        "libDir",
        lib.to_str().unwrap(),
        "--argstr",
        "impermanenceDir",
        impermanence.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let output = nix_instantiate(&all, None);
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&output.stdout).unwrap())
}

fn configuration_args<'a>(config_dir: &'a Path, release: &'a str) -> Vec<&'a str> {
    vec![
        "--argstr",
        "configDir",
        config_dir.to_str().unwrap(),
        "--argstr",
        "release",
        release,
        "--argstr",
        "expectedUrl",
        keepsake::nix::IMPERMANENCE_URL,
        "--argstr",
        "expectedSha256",
        keepsake::nix::IMPERMANENCE_SHA256,
    ]
}

/// Evaluates rendered files with `tests/nix/eval.nix`, with the option
/// names of NixOS `release`, and returns its JSON.
pub fn evaluate_configuration(config_dir: &Path, release: &str) -> serde_json::Value {
    evaluate_harness(
        "eval.nix",
        &configuration_args(config_dir, release),
        &config_dir.display().to_string(),
    )
}

/// Evaluates the modules of the rendered flake.nix's host with
/// `tests/nix/eval.nix`.
pub fn evaluate_flake(config_dir: &Path, release: &str) -> serde_json::Value {
    let mut args = configuration_args(config_dir, release);
    args.extend(["--arg", "flake", "true"]);
    evaluate_harness("eval.nix", &args, &config_dir.display().to_string())
}

/// As [`evaluate_configuration`], with the error output on failure.
pub fn try_evaluate_configuration(
    config_dir: &Path,
    release: &str,
) -> Result<serde_json::Value, String> {
    try_evaluate_harness("eval.nix", &configuration_args(config_dir, release))
}

const HASH: &str = "$y$j9T$HpIFY0O8.QXQbrMticl7Q.$TBZj/CrhA03cdAfMNBQfr84waJ0NgN5cO53IlYjild6";

/// Extra subvolumes, swap, three users, a root password and 40 persistence
/// entries.
pub fn rich_plan() -> Plan {
    let mut plan = Plan::example();
    for (name, mount_point) in [
        ("docker", "/var/lib/docker"),
        ("networkmanager", "/etc/NetworkManager"),
        ("srv", "/srv"),
    ] {
        plan.subvolumes.push(Subvolume {
            name: name.to_owned(),
            mount_point: mount_point.to_owned(),
            options: keepsake::plan::default_mount_options(true),
        });
    }
    plan.swap = Some(Swap { size_gib: 8 });
    plan.persistence
        .directories
        .retain(|entry| !entry.path.starts_with("/etc/NetworkManager"));
    let mut entries = 0;
    plan.persistence.directories.clear();
    // Without it impermanence warns that uids change at every boot.
    plan.persistence
        .directories
        .push(PersistentDirectory::new("/var/lib/nixos"));
    entries += 1;
    for index in 0..29 {
        let mut directory = PersistentDirectory::new(&format!("/var/lib/service-{index:02}"));
        if index % 3 == 0 {
            directory.user = Some("nobody".to_owned());
            directory.group = Some("nogroup".to_owned());
            directory.mode = Some("0700".to_owned());
        }
        plan.persistence.directories.push(directory);
        entries += 1;
    }
    plan.persistence.files.clear();
    for path in [
        "/etc/machine-id",
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ssh/ssh_host_ed25519_key.pub",
        "/etc/ssh/ssh_host_rsa_key",
        "/etc/ssh/ssh_host_rsa_key.pub",
        "/etc/adjtime",
        "/etc/weird \"quoted\" ${name}.conf",
        "/etc/ünïcödé/файл",
        "/var/lib/logrotate.status",
        "/etc/zfs/zpool.cache",
    ] {
        plan.persistence.files.push(path.to_owned());
        entries += 1;
    }
    assert_eq!(entries, 40);
    plan.root_password = Some(Password::Hashed(HASH.to_owned()));
    plan.users.push(User {
        name: "bob".to_owned(),
        full_name: "Bob \"the builder\" O'Neil".to_owned(),
        groups: vec!["docker".to_owned()],
        password: Some(Password::Hashed(HASH.to_owned())),
        keep_whole_home: false,
    });
    plan.users.push(User {
        name: "carol".to_owned(),
        full_name: "Carol ${Ünïcode} \\ backslash".to_owned(),
        groups: Vec::new(),
        password: Some(Password::Hashed(HASH.to_owned())),
        keep_whole_home: false,
    });
    plan.system.hostname = "workstation".to_owned();
    plan.system.time_zone = "Europe/Berlin".to_owned();
    plan.system.locale = "de_DE.UTF-8".to_owned();
    plan.system.formats = "de_CH.UTF-8".to_owned();
    plan.system.console_keymap = "de".to_owned();
    plan.system.xkb_layout = "ch".to_owned();
    plan.system.xkb_variant = "legacy".to_owned();
    // The entries above replaced the example's: switch its services on
    // again, which keeps their state, and two more.
    for service in [
        Service::Bluetooth,
        Service::Printing,
        Service::Ssh,
        Service::Docker,
    ] {
        plan.set_service(service, true);
    }
    plan
}

/// No encryption, no /home subvolume (homes are wiped), per-user entries,
/// inline hashes.
pub fn ephemeral_home_plan() -> Plan {
    let mut plan = Plan::example();
    plan.encryption.enabled = false;
    plan.subvolumes.retain(|subvolume| subvolume.name != "home");
    plan.self_contained = true;
    plan.persistence
        .users
        .push(keepsake::plan::UserPersistence {
            user: "alice".to_owned(),
            directories: vec![
                PersistentDirectory::new(".ssh"),
                PersistentDirectory::new("Documents"),
            ],
            files: vec![".bash_history".to_owned()],
        });
    plan
}

/// Three users and no home subvolume: alice keeps her whole home, bob and
/// carol chosen entries.
pub fn mixed_homes_plan() -> Plan {
    let mut plan = ephemeral_home_plan();
    plan.persistence.users.clear();
    for name in ["bob", "carol"] {
        plan.users.push(User {
            name: name.to_owned(),
            full_name: name.to_uppercase(),
            groups: Vec::new(),
            password: Some(Password::Hashed(HASH.to_owned())),
            keep_whole_home: false,
        });
    }
    plan.set_keep_whole_home(0, true);
    for (name, entry) in [("bob", "Documents"), ("carol", ".ssh")] {
        plan.persistence
            .users
            .push(keepsake::plan::UserPersistence {
                user: name.to_owned(),
                directories: vec![PersistentDirectory::new(entry)],
                files: Vec::new(),
            });
    }
    plan
}

/// Three users and no home subvolume, with folders kept in every home:
/// alice has her own entries besides (`.ssh` among them), bob only those
/// of every home, carol keeps her whole home and needs none.
pub fn every_home_plan() -> Plan {
    let mut plan = ephemeral_home_plan();
    for name in ["bob", "carol"] {
        plan.users.push(User {
            name: name.to_owned(),
            full_name: name.to_uppercase(),
            groups: Vec::new(),
            password: Some(Password::Hashed(HASH.to_owned())),
            keep_whole_home: name == "carol",
        });
    }
    let every_home = &mut plan.persistence.every_home;
    every_home.directories = vec![
        PersistentDirectory {
            mode: Some("0700".to_owned()),
            ..PersistentDirectory::new(".ssh")
        },
        PersistentDirectory::new(".mozilla"),
    ];
    every_home.files = vec![".bash_history".to_owned(), ".zsh_history".to_owned()];
    plan
}
