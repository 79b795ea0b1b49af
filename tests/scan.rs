// SPDX-License-Identifier: GPL-3.0-or-later
//! The scanner over generated trees with known content, through the library
//! and through `keepsake scan`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use keepsake::catalogue::{Advice, Catalogue};
use keepsake::scan::{self, Candidate, Owner, Problem, Report, ScanOptions, SkipReason};

#[path = "support/root.rs"]
mod root;
use root::running_as_root;

/// Writes `size` bytes of data at `root/path`, creating its parents.
fn file(root: &Path, path: &str, size: usize) {
    let path = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, vec![b'x'; size]).unwrap();
}

fn scan_tree(root: &Path, configure: impl FnOnce(&mut ScanOptions)) -> Report {
    let mut options = ScanOptions {
        root: root.to_path_buf(),
        ..ScanOptions::default()
    };
    configure(&mut options);
    scan::scan(&options, &Catalogue::builtin().unwrap()).unwrap()
}

fn by_path(report: &Report) -> BTreeMap<String, &Candidate> {
    report
        .candidates
        .iter()
        .map(|candidate| (candidate.path.to_string_lossy().into_owned(), candidate))
        .collect()
}

fn preset(id: &str) -> impl Fn(&Owner) -> bool + '_ {
    move |owner| matches!(owner, Owner::Preset { id: found, .. } if found == id)
}

fn user(name: &str) -> impl Fn(&Owner) -> bool + '_ {
    move |owner| matches!(owner, Owner::User(found) if found == name)
}

fn directory(name: &str) -> impl Fn(&Owner) -> bool + '_ {
    move |owner| matches!(owner, Owner::Directory(found) if found == name)
}

fn keepsake(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keepsake"))
        .args(args)
        .env("LC_ALL", "C")
        // Nothing ignored unless a test says so.
        .env("XDG_STATE_HOME", "/nonexistent/keepsake-test-state")
        .output()
        .unwrap()
}

fn scan_json(root: &Path) -> serde_json::Value {
    let output = keepsake(&[
        "scan".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
        "--json".as_ref(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Reverses the escape rule of `keepsake scan --json`.
fn unescape(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        bytes.extend_from_slice(&rest.as_bytes()[..at]);
        let escape = &rest[at + 1..];
        if let Some(after) = escape.strip_prefix('\\') {
            bytes.push(b'\\');
            rest = after;
        } else {
            let hex = escape.strip_prefix('x').unwrap();
            bytes.push(u8::from_str_radix(&hex[..2], 16).unwrap());
            rest = &hex[2..];
        }
    }
    bytes.extend_from_slice(rest.as_bytes());
    bytes
}

#[test]
fn every_candidate_is_grouped_as_expected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    file(root, "/var/lib/docker/overlay2/abc/diff/bin/app", 10_000);
    file(root, "/var/lib/docker/image/repositories.json", 100);
    file(root, "/var/lib/systemd/timers/stamp-fstrim.timer", 0);
    file(root, "/var/lib/systemd/linger/alice", 0);
    file(root, "/var/lib/systemd/other-state", 10);
    file(root, "/var/lib/mystery/db", 5_000);
    file(root, "/var/cache/fontconfig/cache-1", 3_000);
    file(root, "/var/log/app.log", 200);
    file(root, "/var/log/journal/abc/system.journal", 8_000);
    file(
        root,
        "/etc/NetworkManager/system-connections/home.nmconnection",
        300,
    );
    file(root, "/etc/machine-id", 33);
    file(root, "/etc/hand.conf", 20);
    file(
        root,
        "/home/alice/.mozilla/firefox/abc.default/places.sqlite",
        20_000,
    );
    file(root, "/home/alice/.config/Code/User/settings.json", 50);
    file(root, "/home/alice/.config/mystery/rc", 10);
    file(root, "/home/alice/.bash_history", 100);
    file(root, "/home/alice/.foo/state", 10);
    file(root, "/home/alice/notes.txt", 10);
    file(root, "/home/alice/Documents/letter.odt", 4_000);
    file(root, "/home/alice/.cache/thumbnails/a.png", 1_000);
    file(
        root,
        "/home/alice/.local/share/Steam/steamapps/game.bin",
        30_000,
    );
    file(root, "/root/.ssh/id_ed25519", 400);
    file(root, "/root/.vimrc", 10);
    file(root, "/srv/www/index.html", 100);
    file(root, "/opt/tool/bin/tool", 100);
    file(root, "/data/big.bin", 50_000);
    fs::create_dir_all(root.join("var/lib/empty")).unwrap();

    let report = scan_tree(root, |_| {});
    let found = by_path(&report);
    type Check<'a> = (&'a str, Box<dyn Fn(&Owner) -> bool + 'a>, Advice, u64);
    let expected: Vec<Check> = vec![
        (
            "/var/lib/docker",
            Box::new(preset("docker")),
            Advice::Keep,
            2,
        ),
        (
            "/var/lib/systemd/timers",
            Box::new(preset("systemd")),
            Advice::Keep,
            1,
        ),
        (
            "/var/lib/systemd/linger",
            Box::new(preset("systemd")),
            Advice::Optional,
            1,
        ),
        (
            "/var/lib/systemd",
            Box::new(directory("systemd")),
            Advice::Optional,
            1,
        ),
        (
            "/var/lib/mystery",
            Box::new(directory("mystery")),
            Advice::Optional,
            1,
        ),
        (
            "/var/cache/fontconfig",
            Box::new(directory("fontconfig")),
            Advice::Ignore,
            1,
        ),
        (
            "/var/log/app.log",
            Box::new(directory("app.log")),
            Advice::Optional,
            1,
        ),
        (
            "/var/log/journal",
            Box::new(preset("systemd")),
            Advice::Keep,
            1,
        ),
        (
            "/etc/NetworkManager/system-connections",
            Box::new(preset("networkmanager")),
            Advice::Keep,
            1,
        ),
        (
            "/etc/machine-id",
            Box::new(preset("systemd")),
            Advice::Keep,
            1,
        ),
        (
            "/etc/hand.conf",
            Box::new(directory("hand.conf")),
            Advice::Optional,
            1,
        ),
        (
            "/home/alice/.mozilla/firefox",
            Box::new(preset("firefox")),
            Advice::Keep,
            1,
        ),
        (
            "/home/alice/.config/Code",
            Box::new(preset("vscode")),
            Advice::Keep,
            1,
        ),
        (
            "/home/alice/.config/mystery",
            Box::new(user("alice")),
            Advice::Optional,
            1,
        ),
        (
            "/home/alice/.bash_history",
            Box::new(preset("bash")),
            Advice::Optional,
            1,
        ),
        (
            "/home/alice/.foo",
            Box::new(user("alice")),
            Advice::Optional,
            1,
        ),
        (
            "/home/alice/notes.txt",
            Box::new(user("alice")),
            Advice::Keep,
            1,
        ),
        (
            "/home/alice/Documents",
            Box::new(preset("user-folders")),
            Advice::Keep,
            1,
        ),
        (
            "/home/alice/.cache",
            Box::new(user("alice")),
            Advice::Ignore,
            1,
        ),
        (
            "/home/alice/.local/share/Steam",
            Box::new(preset("steam")),
            Advice::Keep,
            1,
        ),
        (
            "/root/.ssh",
            Box::new(preset("ssh-client")),
            Advice::Keep,
            1,
        ),
        ("/root/.vimrc", Box::new(user("root")), Advice::Optional, 1),
        ("/srv/www", Box::new(directory("www")), Advice::Keep, 1),
        (
            "/opt/tool",
            Box::new(directory("tool")),
            Advice::Optional,
            1,
        ),
        ("/data", Box::new(directory("data")), Advice::Optional, 1),
    ];
    let expected_paths: Vec<&str> = expected.iter().map(|(path, ..)| *path).collect();
    let mut sorted = expected_paths.clone();
    sorted.sort_unstable();
    assert_eq!(found.keys().map(String::as_str).collect::<Vec<_>>(), sorted);
    for (path, owner, advice, files) in &expected {
        let candidate = found[*path];
        assert!(owner(&candidate.owner), "{path}: {:?}", candidate.owner);
        assert_eq!(candidate.advice, *advice, "{path}");
        assert_eq!(candidate.files, *files, "{path}");
        assert!(!candidate.reason.is_empty(), "{path}");
        assert!(candidate.newest.is_some(), "{path}");
    }
    assert_eq!(
        found["/home/alice/.mozilla/firefox"].user.as_deref(),
        Some(OsStr::new("alice"))
    );
    assert_eq!(
        found["/root/.ssh"].user.as_deref(),
        Some(OsStr::new("root"))
    );
    assert!(found["/data"].bytes >= 50_000);
    let sizes: Vec<u64> = report
        .candidates
        .iter()
        .map(|candidate| candidate.bytes)
        .collect();
    assert!(
        sizes.windows(2).all(|pair| pair[0] >= pair[1]),
        "largest first: {sizes:?}"
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn nothing_under_skipped_paths_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for path in [
        "/nix/store/abc-hello/bin/hello",
        "/proc/1/status",
        "/sys/kernel/x",
        "/dev/null-ish",
        "/run/user/1000/bus",
        "/tmp/scratch",
        "/persist/etc/machine-id",
        "/mystore/var/lib/kept-by-link/db",
        "/etc/passwd",
        "/etc/shadow",
        "/etc/sudoers",
        "/etc/NIXOS",
        "/var/lib/kept/db",
        "/home/alice/.ssh/id_ed25519",
    ] {
        file(root, path, 100);
    }
    file(root, "/etc/.clean", 0);
    fs::write(root.join("etc/.clean"), "sudoers\n").unwrap();
    fs::create_dir_all(root.join("etc/static")).unwrap();
    symlink("/etc/static/hosts", root.join("etc/hosts")).unwrap();
    symlink("/etc/zoneinfo/Europe/Paris", root.join("etc/localtime")).unwrap();
    fs::create_dir_all(root.join("bin")).unwrap();
    symlink("/nix/store/abc-bash/bin/sh", root.join("bin/sh")).unwrap();
    symlink("/run", root.join("var/run")).unwrap();
    symlink(
        "/mystore/var/lib/kept-by-link",
        root.join("var/lib/kept-by-link"),
    )
    .unwrap();
    file(root, "/var/lib/lost/db", 100);

    let report = scan_tree(root, |options| {
        options.kept = vec![
            PathBuf::from("/var/lib/kept"),
            PathBuf::from("/home/alice/.ssh"),
        ];
        options.storage_roots = vec![PathBuf::from("/mystore")];
    });
    let paths: Vec<String> = by_path(&report).into_keys().collect();
    assert_eq!(paths, ["/var/lib/lost"], "{report:#?}");
    let skipped: BTreeMap<String, &SkipReason> = report
        .skipped
        .iter()
        .map(|skipped| (skipped.path.to_string_lossy().into_owned(), &skipped.reason))
        .collect();
    assert!(matches!(skipped["/nix"], SkipReason::Listed(_)));
    assert!(matches!(skipped["/etc/sudoers"], SkipReason::Listed(_)));
    assert_eq!(skipped["/var/lib/kept"], &SkipReason::Kept);
    assert_eq!(skipped["/home/alice/.ssh"], &SkipReason::Kept);
    assert_eq!(skipped["/mystore"], &SkipReason::Storage);
}

/// Unmounts (lazily) when dropped, whether the test passed or not.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

#[test]
fn another_file_system_is_skipped() {
    // Mounting needs root: a skip elsewhere, a failure in the build root
    // (which runs tests as root), so a lost root cannot hide this test.
    if !running_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mount_point = root.join("var/lib/elsewhere");
    fs::create_dir_all(&mount_point).unwrap();
    file(root, "/var/lib/here/db", 100);
    rustix::mount::mount(
        "none",
        &mount_point,
        "tmpfs",
        rustix::mount::MountFlags::empty(),
        None,
    )
    .unwrap_or_else(|error| panic!("mounting a tmpfs on {}: {error}", mount_point.display()));
    let _mounted = Mounted(mount_point.clone());
    file(root, "/var/lib/elsewhere/deep/db", 100);

    let report = scan_tree(root, |_| {});
    let paths: Vec<String> = by_path(&report).into_keys().collect();
    assert_eq!(paths, ["/var/lib/here"]);
    assert!(report.skipped.iter().any(|skipped| {
        skipped.path == Path::new("/var/lib/elsewhere")
            && skipped.reason == SkipReason::OtherFileSystem
    }));
}

#[test]
fn hard_links_are_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    file(root, "/var/lib/a/original", 64 * 1024);
    fs::hard_link(
        root.join("var/lib/a/original"),
        root.join("var/lib/a/second"),
    )
    .unwrap();
    fs::hard_link(
        root.join("var/lib/a/original"),
        root.join("var/lib/a/third"),
    )
    .unwrap();
    fs::create_dir_all(root.join("var/lib/b")).unwrap();
    fs::hard_link(
        root.join("var/lib/a/original"),
        root.join("var/lib/b/fourth"),
    )
    .unwrap();
    file(root, "/var/lib/b/own", 10);

    let report = scan_tree(root, |_| {});
    let files: u64 = report
        .candidates
        .iter()
        .map(|candidate| candidate.files)
        .sum();
    assert_eq!(files, 2, "{report:#?}");
    let bytes: u64 = report
        .candidates
        .iter()
        .map(|candidate| candidate.bytes)
        .sum();
    assert!((64 * 1024..2 * 64 * 1024).contains(&bytes), "{bytes}");
}

#[test]
fn symbolic_link_loops_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let loops = root.join("var/lib/loops");
    fs::create_dir_all(loops.join("sub")).unwrap();
    symlink("self", loops.join("self")).unwrap();
    symlink("b", loops.join("a")).unwrap();
    symlink("a", loops.join("b")).unwrap();
    symlink("..", loops.join("sub/up")).unwrap();
    symlink("/", loops.join("sub/root")).unwrap();
    symlink("/var/lib/loops", loops.join("sub/again")).unwrap();

    let report = scan_tree(root, |_| {});
    let found = by_path(&report);
    assert_eq!(found.len(), 1, "{report:#?}");
    assert_eq!(found["/var/lib/loops"].files, 6);
    assert!(report.notes.is_empty());
}

#[test]
fn unreadable_directories_survive_with_a_note() {
    // Root reads every directory whatever its mode, so the scan runs as
    // nobody when the tests run as root.
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().join("root");
    file(&root, "/var/lib/open/db", 100);
    file(&root, "/var/lib/closed/inside/secret", 100);
    file(&root, "/var/lib/closed/visible", 100);
    fs::set_permissions(
        root.join("var/lib/closed/inside"),
        fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let binary = dir.path().join("keepsake");
    fs::copy(env!("CARGO_BIN_EXE_keepsake"), &binary).unwrap();

    let mut command = Command::new(&binary);
    command
        .args(["scan", "--json", "--root"])
        .arg(&root)
        .env("LC_ALL", "C");
    if rustix::process::geteuid().is_root() {
        command.uid(65534).gid(65534);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The note goes to standard error, so that the JSON stays the list.
    let stderr = String::from_utf8(output.stderr).unwrap();
    // (Beside it, the notes that this scratch system has no configuration
    // and, as nobody, no readable ignore list.)
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("/var/lib/"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].starts_with("keepsake scan: /var/lib/closed/inside: ")
            && notes[0].contains("denied"),
        "{stderr}"
    );
    let paths: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|candidate| candidate["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2);
    assert!(paths.contains(&"/var/lib/open") && paths.contains(&"/var/lib/closed"));
}

#[test]
fn a_note_says_why_a_directory_was_not_read() {
    let note = scan::Note {
        path: PathBuf::from("/srv/x"),
        problem: Problem::Unreadable(13),
    };
    assert!(
        note.message().contains("Permission denied"),
        "{}",
        note.message()
    );
}

#[test]
fn names_that_are_not_utf8_are_reported_losslessly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let name: &[u8] = b"caf\xe9 \\ \xff\x1b[2J";
    let service = root.join("var/lib").join(OsStr::from_bytes(name));
    fs::create_dir_all(&service).unwrap();
    fs::write(service.join("db"), "x").unwrap();
    let user = root.join("home").join(OsStr::from_bytes(b"\xc3("));
    fs::create_dir_all(user.join(".foo")).unwrap();
    fs::write(user.join(".foo/x"), "x").unwrap();

    let report = scan_tree(root, |_| {});
    let mut expected = b"/var/lib/".to_vec();
    expected.extend_from_slice(name);
    assert!(
        report
            .candidates
            .iter()
            .any(|candidate| candidate.path.as_os_str().as_bytes() == expected)
    );

    let json = scan_json(root);
    let candidates = json.as_array().unwrap();
    let service = candidates
        .iter()
        .find(|candidate| candidate["path"].as_str().unwrap().starts_with("/var/lib/"))
        .unwrap();
    // The escape sequence is written as text, so it cannot clear a terminal.
    assert_eq!(service["path"], r"/var/lib/caf\xe9 \\ \xff\x1b[2J");
    assert_eq!(unescape(service["path"].as_str().unwrap()), expected);
    let home = candidates
        .iter()
        .find(|candidate| candidate["owner_kind"] == "user")
        .unwrap();
    assert_eq!(home["user"], r"\xc3(");
    assert_eq!(
        unescape(home["path"].as_str().unwrap()),
        b"/home/\xc3(/.foo"
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let root = &dir.path().join("root");
    // A configuration to read, so that its absence is not a note.
    let config = dir.path().join("persistence.nix");
    fs::write(
        &config,
        "{ environment.persistence.\"/persist\".directories = [ ]; }\n",
    )
    .unwrap();
    file(root, "/var/lib/docker/volumes/v/data", 20_000);
    file(root, "/var/cache/x/y", 10);
    file(root, "/nix/store/x", 10);
    file(
        root,
        "/home/alice/.mozilla/firefox/profile/places.sqlite",
        5_000,
    );
    let before = fs::symlink_metadata(root.join("var/lib/docker/volumes/v/data"))
        .unwrap()
        .modified()
        .unwrap();

    let output = keepsake(&[
        "scan".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
        "--config".as_ref(),
        config.as_os_str(),
        "--json".as_ref(),
    ]);
    assert!(output.status.success(), "{output:?}");
    // Nothing went wrong, so nothing is said on standard error.
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The top level is the list of candidates itself, largest first.
    let candidates = json
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {json:#}"));
    let paths: Vec<&str> = candidates
        .iter()
        .map(|candidate| candidate["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/var/lib/docker",
            "/home/alice/.mozilla/firefox",
            "/var/cache/x"
        ],
        "nothing under /nix"
    );
    for candidate in candidates {
        let keys: Vec<&str> = candidate
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "advice",
                "bytes",
                "enabled",
                "files",
                "ignored",
                "newest",
                "owner",
                "owner_kind",
                "path",
                "preset",
                "reason",
                "user"
            ]
        );
        assert!(
            candidate["owner"]
                .as_str()
                .is_some_and(|owner| !owner.is_empty())
        );
        assert!(["keep", "optional", "ignore"].contains(&candidate["advice"].as_str().unwrap()));
        assert!(
            candidate["reason"]
                .as_str()
                .is_some_and(|reason| reason.ends_with('.'))
        );
        assert_eq!(candidate["files"], 1, "{candidate}");
        assert_eq!(candidate["ignored"], false);
        let newest = candidate["newest"].as_str().unwrap();
        let newest = chrono::DateTime::parse_from_rfc3339(newest)
            .unwrap_or_else(|error| panic!("{newest}: {error}"));
        assert_eq!(newest.offset().local_minus_utc(), 0);
        assert!(candidate["newest"].as_str().unwrap().ends_with('Z'));
    }
    let bytes: Vec<u64> = candidates
        .iter()
        .map(|candidate| candidate["bytes"].as_u64().unwrap())
        .collect();
    assert!(
        bytes[0] >= 20_000 && bytes[1] >= 5_000 && bytes[2] >= 10,
        "{bytes:?}"
    );
    assert!(bytes.is_sorted_by(|a, b| a >= b), "{bytes:?}");

    let docker = &candidates[0];
    assert_eq!(docker["owner"], "Docker");
    assert_eq!(docker["owner_kind"], "preset");
    assert_eq!(docker["preset"], "docker");
    assert_eq!(docker["enabled"], false);
    assert_eq!(docker["advice"], "keep");
    assert!(docker["user"].is_null());
    // Whole seconds, of the newest file's change.
    let newest = chrono::DateTime::parse_from_rfc3339(docker["newest"].as_str().unwrap()).unwrap();
    let written = chrono::DateTime::<chrono::Utc>::from(before);
    assert_eq!(newest.timestamp(), written.timestamp());

    let firefox = &candidates[1];
    assert_eq!(firefox["owner_kind"], "preset");
    assert_eq!(firefox["user"], "alice");

    let cache = &candidates[2];
    assert_eq!(cache["advice"], "ignore");
    assert_eq!(cache["owner_kind"], "directory");
    assert_eq!(cache["owner"], "x");
    assert!(cache["preset"].is_null());
    assert!(cache["enabled"].is_null());
}

#[test]
fn text_output_lists_largest_first_in_human_units() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    file(root, "/var/lib/docker/volumes/v/data", 2_000_000);
    file(root, "/var/lib/small/x", 10);
    let output = keepsake(&["scan".as_ref(), "--root".as_ref(), root.as_os_str()]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let docker = text.find("/var/lib/docker").unwrap();
    let small = text.find("/var/lib/small").unwrap();
    assert!(docker < small, "{text}");
    assert!(text.contains("2.0 MB"), "{text}");
    assert!(text.contains("(Docker)"), "{text}");
}

#[test]
fn a_missing_root_is_an_error() {
    let output = keepsake(&["scan".as_ref(), "--root".as_ref(), "/no/such/dir".as_ref()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/dir"));
}

#[test]
fn kept_paths_must_be_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().as_os_str();
    let output = keepsake(&[
        "scan".as_ref(),
        "--root".as_ref(),
        root,
        "--keep".as_ref(),
        "var/lib/x".as_ref(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("var/lib/x"));
}

#[test]
fn what_the_configuration_keeps_is_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    file(root, "/var/lib/docker/image", 4096);
    file(root, "/var/lib/unkept/state", 4096);
    file(root, "/home/alice/.ssh/id_ed25519", 4096);
    file(root, "/home/alice/.unkept", 4096);
    file(root, "/data/keep/x", 4096);
    fs::write(
        {
            fs::create_dir_all(root.join("etc/nixos")).unwrap();
            root.join("etc/nixos/configuration.nix")
        },
        "{ ... }: { imports = [ ./persistence.nix ]; }\n",
    )
    .unwrap();
    fs::write(
        root.join("etc/nixos/persistence.nix"),
        r#"{
  environment.persistence."/data/keep" = {
    directories = [ "/var/lib/docker" ];
    users.alice.directories = [ ".ssh" ];
  };
}
"#,
    )
    .unwrap();
    let output = keepsake(&[
        "scan".as_ref(),
        "--json".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|candidate| candidate["path"].as_str().unwrap())
        .collect();
    for kept in ["/var/lib/docker", "/home/alice/.ssh", "/data/keep"] {
        assert!(
            !paths.contains(&kept),
            "{kept} is kept but reported: {paths:?}"
        );
    }
    for lost in ["/var/lib/unkept", "/home/alice/.unkept"] {
        assert!(
            paths.contains(&lost),
            "{lost} is not kept but missing: {paths:?}"
        );
    }
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn ignored_candidates_are_left_out_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    file(&root, "/var/lib/docker/volumes/v/data", 20_000);
    file(&root, "/srv/www/index.html", 100);
    let state = dir.path().join("ignored.json");
    let mut ignored = keepsake::kept::IgnoredPaths::default();
    ignored.ignore(Path::new("/srv/www"));
    ignored.save(&state).unwrap();
    let paths = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "scan".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            "--json".as_ref(),
            "--ignored-file".as_ref(),
            state.as_os_str(),
        ];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        let output = keepsake(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|c| (c["path"].as_str().unwrap().to_owned(), c["ignored"] == true))
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&[]), [("/var/lib/docker".to_owned(), false)]);
    assert_eq!(
        paths(&["--show-ignored"]),
        [
            ("/var/lib/docker".to_owned(), false),
            ("/srv/www".to_owned(), true)
        ]
    );
}
