// SPDX-License-Identifier: GPL-3.0-or-later
//! The demo installed system and what `keepsake::kept` says about it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use keepsake::catalogue::Catalogue;
use keepsake::i18n::isolate;
use keepsake::kept::{Activity, DemoSystem, allocated_bytes, entry_statuses};
use keepsake::nix::persistence_edit::{PersistenceDocument, find_persistence_file};

const MIB: u64 = 1024 * 1024;

fn demo() -> (tempfile::TempDir, DemoSystem) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let demo = DemoSystem::create(dir.path()).expect("the demo system is created");
    (dir, demo)
}

fn document(demo: &DemoSystem) -> PersistenceDocument {
    let text = fs::read_to_string(&demo.config_file).expect("the demo configuration");
    PersistenceDocument::parse(&text).expect("the demo configuration parses")
}

#[test]
fn the_demo_is_cheap_and_its_configuration_is_found_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let demo = DemoSystem::create(dir.path()).unwrap();
    eprintln!("demo created in {:?}", started.elapsed());
    assert_eq!(find_persistence_file(&demo.root).unwrap(), demo.config_file);
    let document = document(&demo);
    let persistence = document.persistence();
    assert!(
        persistence.is_computed(),
        "the lib.optionals part is computed"
    );
    let storage = persistence.storage("/persist").expect("/persist");
    assert_eq!(storage.entries.directories.len(), 5);
    assert_eq!(storage.users[0].name, "alice");
    assert_eq!(demo.storage_root, Path::new("/persist"));
    let hash = fs::read_to_string(demo.view().host_path(&demo.password_file)).unwrap();
    assert!(keepsake::plan::is_well_formed_hash(hash.trim_end()));
}

#[test]
fn entries_are_active_when_mounted_or_linked_and_known_paths_say_why() {
    let (_dir, demo) = demo();
    let catalogue = Catalogue::builtin().unwrap();
    let statuses = entry_statuses(document(&demo).persistence(), &demo.view(), &catalogue);
    let find = |live: &str| {
        statuses
            .iter()
            .find(|status| status.live == Path::new(live))
            .unwrap_or_else(|| panic!("no status for {live}"))
    };
    assert_eq!(find("/var/log").activity, Activity::BindMounted);
    assert_eq!(find("/home/alice/.bash_history").activity, Activity::Linked);
    assert_eq!(
        find("/var/lib/systemd/coredump").activity,
        Activity::Inactive
    );
    assert!(!find("/var/lib/systemd/coredump").stored_exists);
    let ssh = find("/home/alice/.ssh");
    assert_eq!(ssh.stored, Path::new("/persist/home/alice/.ssh"));
    assert!(ssh.stored_exists);
    let known = ssh.known.as_ref().expect("~/.ssh is in the catalogue");
    assert!(!known.reason.is_empty());
    assert!(find("/etc/machine-id").known.is_some());
    assert!(find("/var/lib/systemd/coredump").known.is_some());
    assert_eq!(statuses.len(), 12, "{statuses:#?}");
}

#[test]
fn stored_sizes_are_allocated_bytes() {
    let (_dir, demo) = demo();
    let view = demo.view();
    let music = allocated_bytes(&view.host_path("/persist/home/alice/Music")).unwrap();
    // 13 MiB allocated with fallocate; a file system without it would show
    // holes, which is what the demo documents.
    assert!(
        (13 * MIB..14 * MIB).contains(&music),
        "Music holds {music} bytes"
    );
}

#[test]
fn the_demo_is_an_installed_system() {
    let (_dir, demo) = demo();
    assert_eq!(
        keepsake::kept::system_kind(&demo.view()),
        keepsake::kept::SystemKind::Installed
    );
}

#[test]
fn orphans_are_the_top_most_unkept_paths_and_only_they_can_be_deleted() {
    use keepsake::kept::{DeleteError, Protected, delete_orphan, find_orphans};
    let (_dir, demo) = demo();
    let view = demo.view();
    let document = document(&demo);
    let protected = Protected::new(document.persistence(), &view);
    let found = find_orphans(&protected, &view);
    let paths: Vec<&Path> = found.orphans.iter().map(|o| o.path.as_path()).collect();
    // passwords/alice is named by users.nix, so it is not an orphan.
    assert_eq!(paths, [Path::new("/persist/var/lib/postgresql")]);
    assert!(found.orphans[0].bytes >= 10 * MIB);
    assert!(found.uncertain, "the demo computes part of a list");

    for refused in [
        "/persist/var/log",
        "/persist/var/lib",
        "/persist/passwords/alice",
        "/persist",
        "/var/lib/docker",
        "/persist/var/lib/postgresql/../nixos",
    ] {
        let result = delete_orphan(&protected, &view, Path::new(refused));
        assert!(
            matches!(
                result,
                Err(DeleteError::Kept { .. } | DeleteError::NotInStorage { .. })
            ),
            "{refused}: {result:?}"
        );
    }
    assert!(view.host_path("/persist/var/log/journal").exists());

    let freed = delete_orphan(&protected, &view, Path::new("/persist/var/lib/postgresql"))
        .expect("the orphan is deleted");
    assert!(freed >= 10 * MIB);
    assert!(!view.host_path("/persist/var/lib/postgresql").exists());
    assert!(find_orphans(&protected, &view).orphans.is_empty());
}

#[test]
fn a_link_out_of_the_storage_root_is_not_followed() {
    use keepsake::kept::{DeleteError, Protected, delete_orphan};
    let (_dir, demo) = demo();
    let view = demo.view();
    std::os::unix::fs::symlink(
        view.host_path("/var/lib"),
        view.host_path("/persist/outside"),
    )
    .unwrap();
    let protected = Protected::new(document(&demo).persistence(), &view);
    let result = delete_orphan(&protected, &view, Path::new("/persist/outside/docker"));
    assert!(
        matches!(result, Err(DeleteError::NotInStorage { .. })),
        "{result:?}"
    );
    assert!(view.host_path("/var/lib/docker").exists());
}

#[test]
fn a_new_password_hash_replaces_the_file_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;

    use keepsake::kept::{PasswordError, password_file, set_password};
    use keepsake::plan::Secret;
    let (_dir, demo) = demo();
    let view = demo.view();
    assert_eq!(password_file(&view, "alice").unwrap(), demo.password_file);
    assert!(matches!(
        password_file(&view, "root"),
        Err(PasswordError::NoPasswordFile { .. })
    ));
    let host = view.host_path(&demo.password_file);
    let before = fs::read_to_string(&host).unwrap();
    let written = set_password(&view, "alice", &Secret::new("correct horse".to_owned())).unwrap();
    assert_eq!(written, demo.password_file);
    let after = fs::read_to_string(&host).unwrap();
    assert_ne!(before, after);
    assert!(after.starts_with("$y$") && after.ends_with('\n'), "{after}");
    assert!(keepsake::plan::is_well_formed_hash(after.trim_end()));
    assert_eq!(
        fs::metadata(&host).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let mut leftovers: Vec<_> = fs::read_dir(host.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, ["alice", "bob"], "no temporary file is left");
}

#[test]
fn accounts_are_those_of_the_configuration_with_or_without_entries() {
    use keepsake::kept::{PasswordError, accounts};
    let (_dir, demo) = demo();
    let listed: Vec<(String, Option<PathBuf>)> = accounts(&demo.view())
        .into_iter()
        .map(|account| (account.name, account.password_file.ok()))
        .collect();
    assert_eq!(
        listed,
        [
            ("root".to_owned(), None),
            (
                "alice".to_owned(),
                Some(PathBuf::from("/persist/passwords/alice"))
            ),
            (
                "bob".to_owned(),
                Some(PathBuf::from("/persist/passwords/bob"))
            ),
        ]
    );
    let users = demo.root.join("etc/nixos/users.nix");
    let text = fs::read_to_string(&users).unwrap();
    fs::write(
        &users,
        text.replace("mutableUsers = false", "mutableUsers = true"),
    )
    .unwrap();
    assert!(
        accounts(&demo.view())
            .iter()
            .all(|account| matches!(account.password_file, Err(PasswordError::MutableUsers)))
    );
}

#[test]
fn mutable_users_are_refused() {
    use keepsake::kept::{PasswordError, password_file};
    let (_dir, demo) = demo();
    let users = demo.root.join("etc/nixos/users.nix");
    let text = fs::read_to_string(&users).unwrap();
    fs::write(
        &users,
        text.replace("mutableUsers = false", "mutableUsers = true"),
    )
    .unwrap();
    assert!(matches!(
        password_file(&demo.view(), "alice"),
        Err(PasswordError::MutableUsers)
    ));
}

#[test]
fn enabled_services_whose_data_is_not_kept_are_named_with_their_size() {
    use keepsake::kept::{IgnoredPaths, lost_candidates, scan_lost};
    let (_dir, demo) = demo();
    let view = demo.view();
    let catalogue = Catalogue::builtin().unwrap();
    let progress = keepsake::scan::ScanProgress::default();
    let report = scan_lost(&view, document(&demo).persistence(), &catalogue, &progress).unwrap();
    assert_eq!(
        progress.files(),
        report.candidates.iter().map(|c| c.files).sum::<u64>(),
        "the progress counted every file of the candidates once"
    );
    assert!(progress.bytes() >= report.candidates.iter().map(|c| c.bytes).sum::<u64>());
    let cancelled = keepsake::scan::ScanProgress::default();
    cancelled.cancel();
    assert!(matches!(
        scan_lost(&view, document(&demo).persistence(), &catalogue, &cancelled),
        Err(keepsake::scan::ScanError::Cancelled)
    ));
    let mut ignored = IgnoredPaths::default();
    ignored.ignore(Path::new("/home/alice/.cache"));
    let lost = lost_candidates(&report, &catalogue, &view, &ignored);
    let headlines: Vec<String> = lost.iter().filter_map(|lost| lost.headline()).collect();
    // The sizes depend a little on the file system's directory blocks.
    assert_eq!(headlines.len(), 2, "{lost:#?}");
    assert!(
        headlines[0].starts_with(&format!(
            "Docker is enabled but {} is not kept (\u{2068}21.",
            isolate("/var/lib/docker")
        )) && headlines[0].ends_with(" MB\u{2069} would be lost)"),
        "{headlines:?}"
    );
    assert!(
        headlines[1].starts_with(&format!(
            "Firefox is enabled but {} is not kept (\u{2068}5.",
            isolate("/home/alice/.mozilla/firefox")
        )) && headlines[1].ends_with(" MB\u{2069} would be lost)"),
        "{headlines:?}"
    );
    let paths: Vec<&Path> = lost.iter().map(|l| l.candidate.path.as_path()).collect();
    for kept in [
        "/var/log",
        "/home/alice/Music",
        "/home/alice/.bash_history",
        "/persist",
        "/etc/nixos",
    ] {
        assert!(
            !paths.contains(&Path::new(kept)),
            "{kept} is kept: {paths:?}"
        );
    }
    let cache = lost
        .iter()
        .find(|l| l.candidate.path == Path::new("/home/alice/.cache"))
        .expect("the cache is a candidate");
    assert!(cache.ignored);
    assert!(lost.iter().filter(|l| l.ignored).count() == 1);
}

#[test]
fn keeping_a_lost_candidate_is_an_entry_the_document_takes() {
    use keepsake::kept::{IgnoredPaths, lost_candidates, scan_lost};
    use keepsake::nix::persistence_edit::EntryKind;
    let (_dir, demo) = demo();
    let view = demo.view();
    let catalogue = Catalogue::builtin().unwrap();
    let document = document(&demo);
    let report = scan_lost(
        &view,
        document.persistence(),
        &catalogue,
        &keepsake::scan::ScanProgress::default(),
    )
    .unwrap();
    let lost = lost_candidates(&report, &catalogue, &view, &IgnoredPaths::default());
    let entry_for = |path: &str| {
        lost.iter()
            .find(|l| l.candidate.path == Path::new(path))
            .unwrap_or_else(|| panic!("{path} is not a candidate"))
            .entry(&view, &catalogue, None)
            .expect("a UTF-8 path")
    };
    let firefox = entry_for("/home/alice/.mozilla/firefox");
    assert_eq!(firefox.target.user.as_deref(), Some("alice"));
    assert_eq!(firefox.target.path, ".mozilla/firefox");
    assert_eq!(firefox.target.kind, EntryKind::Directory);
    let docker = entry_for("/var/lib/docker");
    assert_eq!(docker.target.user, None);
    assert_eq!(docker.target.path, "/var/lib/docker");
    for entry in [firefox, docker] {
        let edit = document
            .add(&entry)
            .expect("the demo document takes the entry");
        assert!(edit.text.contains(&format!("\"{}\"", entry.target.path)));
    }
}

#[test]
fn the_apply_request_of_the_helper_reads_the_file_and_its_baseline() {
    use keepsake::kept::{ActivationInput, ApplyInput, apply_request};
    let (_dir, demo) = demo();
    let input = ApplyInput {
        config: None,
        activation: ActivationInput::Boot,
        conflict: None,
        new_text: None,
    };
    let request = apply_request(&input, &demo.root).unwrap();
    assert_eq!(request.file, demo.config_file);
    assert_eq!(
        request.previous, request.new_text,
        "no edit since the last apply"
    );
    assert_eq!(request.activation, keepsake::apply::Activation::Boot);
    // The GUI's pending edits arrive as text; the file on disk is what a
    // failed test puts back.
    let edited = request
        .new_text
        .replace("\"/var/log\"", "\"/var/log\"\n      \"/srv\"");
    let with_text = ApplyInput {
        new_text: Some(edited.clone()),
        ..input.clone()
    };
    let request = apply_request(&with_text, &demo.root).unwrap();
    assert_eq!(request.new_text, edited);
    assert_ne!(request.previous, edited);
    let broken = ApplyInput {
        new_text: Some("{ environment.persistence = [".to_owned()),
        ..input.clone()
    };
    assert!(apply_request(&broken, &demo.root).is_err());
    let missing = ApplyInput {
        config: Some(demo.root.join("nowhere.nix")),
        ..input
    };
    assert!(
        apply_request(&missing, &demo.root)
            .unwrap_err()
            .contains("nowhere.nix")
    );
}

#[test]
fn the_demo_without_persistence_gets_a_new_module_only_as_shown() {
    use keepsake::kept::{CreateModuleInput, TaskEvent, run_create_module};
    use keepsake::nix::persistence_edit::{LocateError, plan_new_module_for_system};
    let dir = tempfile::tempdir().unwrap();
    let demo = DemoSystem::create_without_persistence(dir.path()).unwrap();
    assert!(matches!(
        find_persistence_file(&demo.root),
        Err(LocateError::NotFound { .. })
    ));
    let plan = plan_new_module_for_system(&demo.root, "/persist").unwrap();
    let stale = CreateModuleInput {
        storage: "/persist".to_owned(),
        diff: "not the diff shown".to_owned(),
    };
    assert!(matches!(
        run_create_module(&stale, &demo.view()),
        TaskEvent::Refused { .. }
    ));
    assert!(!demo.config_file.exists(), "a stale diff writes nothing");
    let input = CreateModuleInput {
        storage: "/persist".to_owned(),
        diff: plan.diff(),
    };
    let done = run_create_module(&input, &demo.view());
    assert!(
        matches!(&done, TaskEvent::Done { message } if message.contains("/etc/nixos/persistence.nix")),
        "{done:?}"
    );
    assert_eq!(find_persistence_file(&demo.root).unwrap(), demo.config_file);
    assert!(matches!(
        run_create_module(&input, &demo.view()),
        TaskEvent::Refused { .. }
    ));
}
