// SPDX-License-Identifier: GPL-3.0-or-later
//! The executor against the fake backend: step order, events, fault
//! injection and cancellation with cleanup, without root or disks.

use keepsake::disks::fake::{DriveSpec, PartitionSpec, add_drive};
use keepsake::disks::snapshot::{self, Snapshot};
use keepsake::disks::{self, DiskQuery, FakeDisks};
use keepsake::i18n::isolate;
use keepsake::install::{self, CancelFlag, Event, FakeBackend, InstallOptions, StepId};
use keepsake::plan::{Password, Plan, RecoveryKey, Secret, TargetDisk};

fn plan() -> Plan {
    let mut plan = Plan::example();
    plan.disk = Some(TargetDisk {
        udisks_object_path: "/org/freedesktop/UDisks2/drives/fake".to_owned(),
        by_id_path: "/dev/disk/by-id/virtio-target".to_owned(),
        model: "Fake".to_owned(),
        serial: "target".to_owned(),
        size_bytes: 64 * 1024 * 1024 * 1024,
        rotational: false,
    });
    plan.encryption.passphrase = Some(Secret::from("correct horse battery staple"));
    plan
}

fn run(
    backend: &mut FakeBackend,
    options: &InstallOptions,
    cancel: &CancelFlag,
) -> (
    Vec<Event>,
    Result<install::InstallReport, install::InstallError>,
) {
    let mut events = Vec::new();
    let result = install::install(&plan(), backend, options, cancel, &mut |event| {
        events.push(event)
    });
    (events, result)
}

/// Whatever the journal mounted is unmounted and an unlocked root locked.
fn assert_cleaned_up(journal: &[String]) {
    let mut mounted: Vec<&str> = Vec::new();
    let mut unlocked = false;
    for entry in journal {
        if let Some(target) = entry.strip_prefix("mount ") {
            mounted.push(target);
        } else if let Some(target) = entry.strip_prefix("unmount ") {
            assert_eq!(
                mounted.pop(),
                Some(target),
                "unmounted out of order: {journal:?}"
            );
        } else if entry.starts_with("root ") && entry.ends_with("encrypted=true") {
            unlocked = true;
        } else if entry == "lock" {
            unlocked = false;
        }
    }
    assert!(mounted.is_empty(), "still mounted: {mounted:?}");
    assert!(!unlocked, "left unlocked: {journal:?}");
}

#[test]
fn a_full_run_reports_every_step_in_order() {
    let mut backend = FakeBackend::new().with_time_scale(0.0);
    let (events, result) = run(&mut backend, &InstallOptions::default(), &CancelFlag::new());
    let report = result.expect("the fake install succeeds");
    let started: Vec<StepId> = events
        .iter()
        .filter_map(|event| match event {
            Event::Started { step, .. } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(started, StepId::ALL);
    assert_eq!(report.step_seconds.len(), StepId::ALL.len());
    assert!(matches!(events.last(), Some(Event::Completed { .. })));
    assert_cleaned_up(&backend.journal);
    let subvolumes: Vec<&str> = backend
        .journal
        .iter()
        .filter_map(|entry| entry.strip_prefix("subvolume "))
        .collect();
    assert_eq!(subvolumes, ["nix", "home", "persist", "nixos-config"]);
    assert!(
        backend
            .journal
            .iter()
            .any(|e| e == "write /run/keepsake/target/persist/passwords/alice 600")
    );
    // The impermanence copy Keepsake carries goes next to the files that
    // import it, for the build before erase and on the target.
    for written in [
        "mkdir /run/keepsake/target/etc/nixos/impermanence 755",
        "write /run/keepsake/target/etc/nixos/impermanence/nixos.nix 644",
        "write /run/keepsake/target/etc/nixos/impermanence/mount-file.bash 755",
    ] {
        assert!(backend.journal.iter().any(|e| e == written), "{written}");
    }
    assert!(
        backend.journal.iter().any(|e| e.starts_with("write ")
            && e.ends_with("/impermanence/nixos.nix 644")
            && !e.contains("/run/keepsake/target/")),
        "the build before erase gets the copy too"
    );
    // Nothing is written before the build before erase finished.
    let build = backend
        .journal
        .iter()
        .position(|e| e == "run nix-build")
        .unwrap();
    let gpt = backend
        .journal
        .iter()
        .position(|e| e.starts_with("gpt "))
        .unwrap();
    assert!(build < gpt);
}

fn install_events(plan: &Plan, backend: &mut FakeBackend) -> Vec<Event> {
    let mut events = Vec::new();
    let _ = install::install(
        plan,
        backend,
        &InstallOptions::default(),
        &CancelFlag::new(),
        &mut |event| events.push(event),
    );
    events
}

#[test]
fn a_recovery_key_is_added_in_a_second_key_slot_right_after_the_luks_format() {
    let mut with_key = plan();
    let key = RecoveryKey::generate().unwrap();
    with_key.encryption.recovery_key = true;
    with_key.encryption.recovery_key_secret = Some(key.secret().clone());
    let mut backend = FakeBackend::new().with_time_scale(0.0);
    let events = install_events(&with_key, &mut backend);
    assert!(matches!(events.last(), Some(Event::Completed { .. })));
    let root = backend
        .journal
        .iter()
        .position(|e| e == "root nixos encrypted=true")
        .expect("the encrypted root was created");
    assert_eq!(backend.journal[root + 1], "add key /dev/fake2");
    assert_eq!(
        backend
            .journal
            .iter()
            .filter(|e| e.starts_with("add key"))
            .count(),
        1
    );
    assert!(
        events.iter().any(|event| matches!(
            event,
            Event::Log { step: StepId::CheckTools, line } if line.starts_with("cryptsetup: ")
        )),
        "the tool check looks for cryptsetup"
    );
    let lines: Vec<String> = events.iter().map(Event::to_json_line).collect();
    assert!(lines.iter().any(|line| line.contains("recovery key added")));
    assert!(
        !lines.iter().any(|line| line.contains(key.expose())),
        "the key is never in an event"
    );

    // Without the switch, or without encryption, no key slot is added.
    for adjust in [
        (|plan: &mut Plan| plan.encryption.recovery_key = false) as fn(&mut Plan),
        |plan: &mut Plan| plan.encryption.enabled = false,
    ] {
        let mut plain = with_key.clone();
        adjust(&mut plain);
        let mut backend = FakeBackend::new().with_time_scale(0.0);
        let events = install_events(&plain, &mut backend);
        assert!(matches!(events.last(), Some(Event::Completed { .. })));
        assert!(!backend.journal.iter().any(|e| e.starts_with("add key")));
    }
}

#[test]
fn a_plan_that_asks_for_a_recovery_key_without_one_touches_nothing() {
    let mut without_key = plan();
    without_key.encryption.recovery_key = true;
    let mut backend = FakeBackend::new().with_time_scale(0.0);
    let events = install_events(&without_key, &mut backend);
    assert!(
        events.iter().any(|event| matches!(
            event,
            Event::Failed { step: StepId::CheckPlan, detail, .. } if detail.contains("recovery key")
        )),
        "{events:?}"
    );
    assert!(!backend.journal.iter().any(|e| e.starts_with("gpt ")));
}

#[test]
fn a_failure_after_any_step_leaves_nothing_mounted_or_unlocked() {
    for step in StepId::ALL {
        let mut backend = FakeBackend::new().with_time_scale(0.0);
        let options = InstallOptions {
            fail_after_step: Some(step),
            ..InstallOptions::default()
        };
        let (events, result) = run(&mut backend, &options, &CancelFlag::new());
        let error = result.expect_err("the injected failure stops the install");
        assert_eq!(error.step, step);
        assert!(!error.cancelled);
        assert_cleaned_up(&backend.journal);
        let wrote = backend.journal.iter().any(|e| e.starts_with("gpt "));
        let expected_ending = if wrote {
            "; nothing is mounted or unlocked."
        } else {
            "Nothing was written to the disk; it is as it was."
        };
        assert!(
            error.disk_state.ends_with(expected_ending),
            "{step:?}: {}",
            error.disk_state
        );
        assert!(matches!(events.last(), Some(Event::Stopped { .. })));
    }
}

#[test]
fn a_backend_error_is_reported_with_its_detail() {
    let mut backend = FakeBackend::new()
        .with_time_scale(0.0)
        .failing_at("subvolume persist");
    let (events, result) = run(&mut backend, &InstallOptions::default(), &CancelFlag::new());
    let error = result.unwrap_err();
    assert_eq!(error.step, StepId::Subvolumes);
    assert!(error.detail.contains("subvolume persist"));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Failed {
            step: StepId::Subvolumes,
            ..
        }
    )));
    // The top level was unmounted, then the root locked.
    let tail: Vec<&str> = backend
        .journal
        .iter()
        .rev()
        .take(2)
        .map(String::as_str)
        .collect();
    assert_eq!(tail, ["lock", "unmount top level"]);
    assert_eq!(
        error.disk_state,
        "The disk has a new partition table, an EFI system partition and an encrypted partition with empty btrfs subvolumes; nothing is mounted or unlocked."
    );
}

#[test]
fn cancelling_stops_at_the_next_safe_point_and_cleans_up() {
    let cancel = CancelFlag::new();
    let mut backend = FakeBackend::new().with_time_scale(0.0);
    let mut events = Vec::new();
    let result = install::install(
        &plan(),
        &mut backend,
        &InstallOptions::default(),
        &cancel,
        &mut |event| {
            if matches!(
                event,
                Event::Started {
                    step: StepId::InstallNixos,
                    ..
                }
            ) {
                cancel.cancel();
            }
            events.push(event);
        },
    );
    let error = result.unwrap_err();
    assert!(error.cancelled);
    assert_eq!(error.step, StepId::InstallNixos);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::Cancelled {
            step: StepId::InstallNixos
        }
    )));
    assert_cleaned_up(&backend.journal);
}

#[test]
fn the_passphrase_never_appears_in_events() {
    let mut backend = FakeBackend::new().with_time_scale(0.0).failing_at("root");
    let (events, _) = run(&mut backend, &InstallOptions::default(), &CancelFlag::new());
    for event in events {
        assert!(!event.to_json_line().contains("correct horse"), "{event:?}");
    }
}

const PLANNED_SIZE: u64 = 4_398_046_511_104;

/// One 4.4 TB disk, `sda`, with one ext4 partition; the plan names it.
fn planned_disk() -> (FakeDisks, String, Plan) {
    let mut snapshot = Snapshot::new();
    let mut spec = DriveSpec::new("sda", "ATA", "Big Disk", "PLANNED1", PLANNED_SIZE);
    spec.partitions = vec![PartitionSpec::new(1, 1 << 30, "ext4", "data")];
    let object_path = add_drive(&mut snapshot, &spec);
    let fake = FakeDisks::with_snapshot(snapshot);
    let disk = async_io::block_on(disks::list_disks(&fake, &DiskQuery::default()))
        .unwrap()
        .remove(0);
    let mut plan = plan();
    plan.disk = Some(TargetDisk {
        udisks_object_path: object_path.clone(),
        by_id_path: disk.by_id.expect("the fake disk has a by-id link"),
        model: disk.model,
        serial: disk.serial,
        size_bytes: disk.size,
        rotational: false,
    });
    (fake, object_path, plan)
}

/// Runs the install and calls `meanwhile` while the build before erase
/// runs, after the first disk check.
fn run_changing_disks(
    backend: &mut FakeBackend,
    plan: &Plan,
    meanwhile: impl Fn(),
) -> (Vec<Event>, install::InstallError) {
    let mut events = Vec::new();
    let result = install::install(
        plan,
        backend,
        &InstallOptions::default(),
        &CancelFlag::new(),
        &mut |event| {
            if matches!(
                event,
                Event::Started {
                    step: StepId::BuildBeforeErase,
                    ..
                }
            ) {
                meanwhile();
            }
            events.push(event);
        },
    );
    (events, result.expect_err("the changed disk is refused"))
}

/// Nothing that writes to the disk ran.
fn assert_disk_untouched(journal: &[String]) {
    let destructive = ["gpt ", "esp ", "root ", "subvolume ", "mount ", "lock"];
    assert!(
        !journal
            .iter()
            .any(|entry| destructive.iter().any(|op| entry.starts_with(op))),
        "{journal:?}"
    );
}

#[test]
fn a_disk_swapped_after_the_first_check_is_refused_before_any_write() {
    let (fake, object_path, plan) = planned_disk();
    let mut backend = FakeBackend::new()
        .with_time_scale(0.0)
        .with_disks(fake.clone());
    let (events, error) = run_changing_disks(&mut backend, &plan, || {
        // Another disk takes the first one's place, and its kernel name.
        fake.unplug(&object_path);
        fake.update(|snapshot| {
            add_drive(
                snapshot,
                &DriveSpec::new("sda", "ATA", "Small Disk", "SWAPPED2", 500_107_862_016),
            );
        });
    });
    assert_eq!(error.step, StepId::PartitionTable);
    let by_id = &plan.disk.as_ref().unwrap().by_id_path;
    assert_eq!(
        error.detail,
        format!(
            "{} is no longer the disk in the plan: now serial SWAPPED2, {}; \
             the plan expected serial PLANNED1, {}",
            isolate(by_id),
            isolate("500.1 GB"),
            isolate("4.4 TB")
        )
    );
    assert_eq!(
        error.disk_state,
        "Nothing was written to the disk; it is as it was."
    );
    assert!(matches!(events.last(), Some(Event::Stopped { .. })));
    assert_disk_untouched(&backend.journal);
    // The second check asked for the object the first one found, not for
    // the by-id path again.
    let checks: Vec<&str> = backend
        .journal
        .iter()
        .filter_map(|entry| entry.strip_prefix("check "))
        .collect();
    assert_eq!(checks, [by_id.as_str(), object_path.as_str()]);
}

#[test]
fn a_disk_mounted_during_the_build_is_refused_before_any_write() {
    let (fake, object_path, plan) = planned_disk();
    let mut backend = FakeBackend::new()
        .with_time_scale(0.0)
        .with_disks(fake.clone());
    let (_, error) = run_changing_disks(&mut backend, &plan, || {
        fake.update(|snapshot| {
            snapshot.set(
                &format!("{object_path}1"),
                snapshot::FILESYSTEM,
                "MountPoints",
                snapshot::Value::byte_strings(&["/media/data"]),
            );
        });
    });
    assert_eq!(error.step, StepId::PartitionTable);
    assert_eq!(
        error.detail,
        format!(
            "{} is mounted at {}",
            isolate("/dev/sda1"),
            isolate("/media/data")
        )
    );
    assert_disk_untouched(&backend.journal);
}

#[test]
fn a_disk_unplugged_during_the_build_is_named_by_its_by_id_path() {
    let (fake, object_path, plan) = planned_disk();
    let mut backend = FakeBackend::new()
        .with_time_scale(0.0)
        .with_disks(fake.clone());
    let (_, error) = run_changing_disks(&mut backend, &plan, || fake.unplug(&object_path));
    assert_eq!(error.step, StepId::PartitionTable);
    assert_eq!(
        error.detail,
        format!(
            "The disk {} is no longer there",
            isolate(&plan.disk.as_ref().unwrap().by_id_path)
        )
    );
    assert_disk_untouched(&backend.journal);
}

#[test]
fn an_unchanged_disk_is_written_through_the_checked_object() {
    let (fake, _, plan) = planned_disk();
    let mut backend = FakeBackend::new().with_time_scale(0.0).with_disks(fake);
    let result = install::install(
        &plan,
        &mut backend,
        &InstallOptions::default(),
        &CancelFlag::new(),
        &mut |_| {},
    );
    result.expect("the unchanged disk is installed to");
    assert!(backend.journal.iter().any(|entry| entry == "gpt /dev/sda"));
}

#[test]
fn an_empty_password_is_refused_before_anything_is_written() {
    let mut plan = plan();
    plan.users[0].password = Some(Password::Clear(Secret::from("")));
    let mut backend = FakeBackend::new().with_time_scale(0.0);
    let error = install::install(
        &plan,
        &mut backend,
        &InstallOptions::default(),
        &CancelFlag::new(),
        &mut |_| {},
    )
    .expect_err("an empty password must not be installed");
    assert_eq!(error.step, StepId::CheckPlan);
    // The failure page shows this: the field in words, not its path.
    assert!(
        error.detail.contains("Users: password of “alice”") && !error.detail.contains("users[0]"),
        "{}",
        error.detail
    );
    assert!(backend.journal.is_empty(), "{:?}", backend.journal);
}
