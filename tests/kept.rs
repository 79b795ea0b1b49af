// SPDX-License-Identifier: GPL-3.0-or-later
//! The demo installed system and what `keepsake::kept` says about it.

use std::fs;
use std::path::Path;
use std::time::Instant;

use keepsake::catalogue::Catalogue;
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
