// SPDX-License-Identifier: GPL-3.0-or-later
//! Property tests over whole plans, hostile ones included: `check`
//! (`Plan::from_json` + `validate`) never panics, and every plan it accepts
//! renders to Nix that `nix-instantiate --parse` reads and mounts each
//! subvolume with exactly its planned options.
//!
//! 256 cases per property in normal runs (and in CI). For the long run,
//! 10 000 cases per property, set `KEEPSAKE_LONG_PROPTEST=1`:
//!
//! ```sh
//! build-aux/dev env KEEPSAKE_LONG_PROPTEST=1 cargo test --no-default-features --test plan_properties
//! ```

#[path = "nix/support.rs"]
mod support;

use std::cell::{Cell, RefCell};

use keepsake::install::split_mount_options;
use keepsake::nix::{self, DiskIds, GeneratedFile};
use keepsake::plan::{
    Encryption, Esp, EveryHome, Password, Persistence, PersistentDirectory, Plan, RootTmpfs,
    Subvolume, Swap, System, TargetDisk, TmpfsSize, User, UserPersistence,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

const HASH: &str = "$y$j9T$HpIFY0O8.QXQbrMticl7Q.$TBZj/CrhA03cdAfMNBQfr84waJ0NgN5cO53IlYjild6";

/// How many files one `nix-instantiate --parse` reads.
const FILES_PER_PARSE: usize = 400;

fn cases() -> u32 {
    if std::env::var("KEEPSAKE_LONG_PROPTEST").as_deref() == Ok("1") {
        10_000
    } else {
        256
    }
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// Text that breaks some rule somewhere: separators, control characters,
/// quoting, Nix interpolation, reserved places, sizes at the limits.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            ".",
            "..",
            "/",
            "a,b",
            "home,subvolid=5",
            "data,old",
            "a b",
            "a\nb",
            "a\tb",
            "\u{1b}[2J",
            "\u{202e}txt",
            "a\0b",
            "\"quoted\"",
            "${builtins.abort \"x\"}",
            "''",
            "\\",
            "subvol=x",
            "subvolid=5",
            "/nix/store",
            "/nix/store/abc",
            "/proc",
            "/sys/kernel",
            "/dev",
            "/run/user",
            "/boot",
            "/boot/efi",
            "/etc/nixos",
            "/etc",
            "/",
            "relative/path",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/trailing/",
            "/dev/sda",
            "/dev/disk/by-id/",
            "/dev/disk/by-id/..",
            "/dev/disk/by-id/a/b",
            "root",
            "nixbld1",
            "in",
            "Ünïcödé",
        ])
        .prop_map(str::to_owned),
        (0usize..5000).prop_map(|n| "x".repeat(n)),
        (0usize..600).prop_map(|n| format!("/{}", "p/".repeat(n))
            .trim_end_matches('/')
            .to_owned()),
        (250usize..260).prop_map(|n| format!("/srv/{}", "n".repeat(n))),
        ".{0,12}",
    ]
}

/// A word that a comma, blank, quote or control character would split in
/// a mount option list, like `data,old`.
fn separated_text() -> impl Strategy<Value = String> {
    "[a-z]{1,4}[,\t\n \"\u{1b}\u{0}][a-z=0-9]{1,6}"
}

fn extreme_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            1,
            255,
            256,
            1024,
            Esp::MAXIMUM_SIZE_MIB,
            Esp::MAXIMUM_SIZE_MIB + 1,
            TmpfsSize::MAXIMUM_MIB,
            TmpfsSize::MAXIMUM_MIB + 1,
            1 << 44,
            1 << 63,
            u64::MAX / (1024 * 1024),
            u64::MAX / (1024 * 1024) + 1,
            u64::MAX,
        ]),
        any::<u64>(),
    ]
}

fn extreme_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        prop::sample::select(vec![
            0,
            1,
            Swap::MAXIMUM_SIZE_GIB,
            Swap::MAXIMUM_SIZE_GIB + 1,
            u32::MAX
        ]),
        any::<u32>(),
    ]
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,8}"
}

fn mount_option() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "noatime",
        "compress-force=zstd",
        "compress=zstd:3",
        "ssd",
        "discard=async",
        "space_cache=v2",
        "nodev",
        "nosuid",
        "noexec",
        "ro",
        "rw",
        "defaults",
        "lazytime",
    ])
    .prop_map(str::to_owned)
}

fn target_disk() -> impl Strategy<Value = TargetDisk> {
    (
        prop_oneof![
            9 => "/dev/disk/by-id/(ata|nvme|virtio)-[A-Za-z0-9_]{1,20}",
            1 => hostile_text(),
        ],
        prop_oneof![9 => (20u64..4096).prop_map(|gib| gib << 30), 1 => extreme_u64()],
        ".{0,20}",
        ".{0,20}",
        any::<bool>(),
    )
        .prop_map(
            |(by_id_path, size_bytes, model, serial, rotational)| TargetDisk {
                udisks_object_path: "/org/freedesktop/UDisks2/drives/disk".to_owned(),
                by_id_path,
                model,
                serial,
                size_bytes,
                rotational,
            },
        )
}

fn extra_subvolume() -> impl Strategy<Value = Subvolume> {
    (
        name(),
        "/(srv|data)/[a-z]{1,6}",
        prop::collection::vec(mount_option(), 0..4),
    )
        .prop_map(|(name, mount_point, options)| Subvolume {
            name: format!("x-{name}"),
            mount_point,
            options,
        })
}

fn directory() -> impl Strategy<Value = PersistentDirectory> {
    (
        "/(var/lib|etc|var/cache)/[a-z][a-z.]{0,7}",
        prop::option::of(prop::sample::select(vec!["root", "nobody", "alice"])),
        prop::option::of(prop::sample::select(vec!["root", "users", "nogroup"])),
        prop::option::of(prop::sample::select(vec!["0700", "755", "0750"])),
    )
        .prop_map(|(path, user, group, mode)| PersistentDirectory {
            path,
            user: user.map(str::to_owned),
            group: group.map(str::to_owned),
            mode: mode.map(str::to_owned),
        })
}

fn home_persistence() -> impl Strategy<Value = UserPersistence> {
    (
        prop::sample::select(vec!["alice", "bob"]),
        prop::collection::vec("\\.?[a-z]{1,8}(/[a-z]{1,6})?", 0..3),
        prop::collection::vec("\\.[a-z]{1,8}", 0..2),
    )
        .prop_map(|(user, directories, files)| UserPersistence {
            user: user.to_owned(),
            directories: directories
                .iter()
                .map(|path| PersistentDirectory::new(path))
                .collect(),
            files,
        })
}

/// What every home keeps, often nothing.
fn every_home() -> impl Strategy<Value = EveryHome> {
    (
        prop::collection::vec("\\.?[a-z]{1,8}(/[a-z]{1,6})?", 0..3),
        prop::collection::vec("\\.[a-z]{1,8}", 0..2),
    )
        .prop_map(|(directories, files)| EveryHome {
            directories: directories
                .iter()
                .map(|path| PersistentDirectory::new(path))
                .collect(),
            files,
        })
}

fn user(name: &'static str) -> impl Strategy<Value = User> {
    (
        "[A-Za-z \"'${}\\\\]{0,12}",
        prop::collection::vec(prop::sample::select(vec!["wheel", "video", "audio"]), 0..3),
        prop::bool::weighted(0.9),
    )
        .prop_map(move |(full_name, groups, has_password)| User {
            name: name.to_owned(),
            full_name,
            groups: groups.into_iter().map(str::to_owned).collect(),
            password: has_password.then(|| Password::Hashed(HASH.to_owned())),
            keep_whole_home: false,
        })
}

/// alice, who administers, and perhaps bob and carol.
fn users() -> impl Strategy<Value = Vec<User>> {
    (
        user("alice"),
        prop::option::of(user("bob")),
        prop::option::of(user("carol")),
    )
        .prop_map(|(mut alice, bob, carol)| {
            alice.groups.push("wheel".to_owned());
            alice.groups.dedup();
            std::iter::once(alice).chain(bob).chain(carol).collect()
        })
}

/// A plan that mostly follows the rules, with a few fields chosen at
/// random and no secret in clear text (the helper's JSON carries the
/// passphrase).
fn plausible_plan() -> impl Strategy<Value = Plan> {
    let layout = (
        prop::option::of(target_disk()),
        prop_oneof![9 => 256u64..4096, 1 => extreme_u64()],
        (
            any::<bool>(),
            "[a-z][a-z0-9_-]{0,10}",
            prop::option::of(".{1,16}"),
            prop::option::of(".{1,16}"),
        ),
        prop::collection::vec(extra_subvolume(), 0..3),
        prop::option::of(prop_oneof![9 => 1u32..64, 1 => extreme_u32()]),
        prop_oneof![
            6 => (1u8..=100).prop_map(TmpfsSize::PercentOfRam),
            2 => (1u64..65536).prop_map(TmpfsSize::Mebibytes),
            1 => any::<u8>().prop_map(TmpfsSize::PercentOfRam),
            1 => extreme_u64().prop_map(TmpfsSize::Mebibytes),
        ],
        any::<bool>(),
    );
    let rest = (
        prop::collection::vec(directory(), 0..5),
        prop::collection::vec("/(etc|var/lib)/[a-z]{1,8}(\\.[a-z]{1,3})?", 0..4),
        (
            prop::collection::vec(home_persistence(), 0..4),
            every_home(),
        ),
        prop::sample::select(vec!["nixos", "laptop", "my-box"]),
        prop::sample::select(vec!["UTC", "Europe/Berlin", "America/New_York"]),
        users(),
        any::<bool>(),
        any::<bool>(),
    );
    (layout, rest).prop_map(
        |(
            (
                disk,
                esp_mib,
                (encrypted, mapped_name, passphrase, recovery_key),
                extra,
                swap,
                tmpfs,
                home_kept,
            ),
            (
                directories,
                files,
                (users_persistence, every_home),
                hostname,
                time_zone,
                users,
                root,
                contained,
            ),
        )| {
            let subvolume = |name: &str, mount_point: &str| Subvolume {
                name: name.to_owned(),
                mount_point: mount_point.to_owned(),
                options: vec!["compress-force=zstd".to_owned(), "noatime".to_owned()],
            };
            let mut subvolumes = vec![
                subvolume("nix", "/nix"),
                subvolume("persist", "/persist"),
                subvolume("nixos-config", "/etc/nixos"),
            ];
            let mut users_persistence = users_persistence;
            if home_kept {
                subvolumes.push(subvolume("home", "/home"));
                users_persistence.clear();
            }
            subvolumes.extend(extra);
            Plan {
                schema_version: keepsake::plan::SCHEMA_VERSION,
                disk,
                esp: Esp { size_mib: esp_mib },
                encryption: Encryption {
                    enabled: encrypted,
                    mapped_name,
                    passphrase: passphrase.map(|text| text.as_str().into()),
                    recovery_key: recovery_key.is_some(),
                    recovery_key_secret: recovery_key.map(|text| text.as_str().into()),
                },
                subvolumes,
                swap: swap.map(|size_gib| Swap { size_gib }),
                root_tmpfs: RootTmpfs { size: tmpfs },
                persistence: Persistence {
                    path: "/persist".to_owned(),
                    hide_mounts: true,
                    directories,
                    files,
                    users: users_persistence,
                    every_home,
                    presets: Vec::new(),
                },
                system: System {
                    hostname: hostname.to_owned(),
                    time_zone: time_zone.to_owned(),
                    locale: "en_US.UTF-8".to_owned(),
                    formats: String::new(),
                    console_keymap: "us".to_owned(),
                    xkb_layout: "us".to_owned(),
                    xkb_variant: String::new(),
                    state_version: "25.11".to_owned(),
                },
                desktop: keepsake::plan::Desktop::None,
                services: Vec::new(),
                root_password: root.then(|| Password::Hashed(HASH.to_owned())),
                users,
                self_contained: contained,
                impermanence: keepsake::plan::ImpermanenceSource::Vendored,
                flake: false,
            }
        },
    )
}

/// One hostile change to an otherwise plausible plan.
#[derive(Debug, Clone)]
enum Change {
    SubvolumeName(usize, String),
    MountPoint(usize, String),
    MountOption(usize, String),
    RemoveSubvolume(usize),
    PersistedDirectory(String),
    PersistedFile(String),
    HomeEntry(String),
    EveryHomeEntry(String),
    PersistencePath(String),
    DiskPath(String),
    Hostname(String),
    UserName(String),
    FullName(String),
    MappedName(String),
}

fn change() -> impl Strategy<Value = Change> {
    let index = 0usize..6;
    prop_oneof![
        (index.clone(), prop_oneof![hostile_text(), separated_text()])
            .prop_map(|(i, t)| Change::SubvolumeName(i, t)),
        (index.clone(), hostile_text()).prop_map(|(i, t)| Change::MountPoint(i, t)),
        (index.clone(), prop_oneof![hostile_text(), separated_text()])
            .prop_map(|(i, t)| Change::MountOption(i, t)),
        index.prop_map(Change::RemoveSubvolume),
        hostile_text().prop_map(Change::PersistedDirectory),
        hostile_text().prop_map(Change::PersistedFile),
        hostile_text().prop_map(Change::HomeEntry),
        hostile_text().prop_map(Change::EveryHomeEntry),
        hostile_text().prop_map(Change::PersistencePath),
        hostile_text().prop_map(Change::DiskPath),
        hostile_text().prop_map(Change::Hostname),
        hostile_text().prop_map(Change::UserName),
        hostile_text().prop_map(Change::FullName),
        hostile_text().prop_map(Change::MappedName),
    ]
}

fn apply(plan: &mut Plan, change: Change) {
    let count = plan.subvolumes.len();
    match change {
        Change::SubvolumeName(i, text) => plan.subvolumes[i % count].name = text,
        Change::MountPoint(i, text) => plan.subvolumes[i % count].mount_point = text,
        Change::MountOption(i, text) => plan.subvolumes[i % count].options.push(text),
        Change::RemoveSubvolume(i) => {
            plan.subvolumes.remove(i % count);
        }
        Change::PersistedDirectory(text) => plan
            .persistence
            .directories
            .push(PersistentDirectory::new(&text)),
        Change::PersistedFile(text) => plan.persistence.files.push(text),
        Change::HomeEntry(text) => plan.persistence.users.push(UserPersistence {
            user: "alice".to_owned(),
            directories: vec![PersistentDirectory::new(&text)],
            files: Vec::new(),
        }),
        Change::EveryHomeEntry(text) => plan.persistence.every_home.files.push(text),
        Change::PersistencePath(text) => plan.persistence.path = text,
        Change::DiskPath(text) => {
            if let Some(disk) = &mut plan.disk {
                disk.by_id_path = text;
            }
        }
        Change::Hostname(text) => plan.system.hostname = text,
        Change::UserName(text) => {
            if let Some(user) = plan.users.first_mut() {
                user.name = text;
            }
        }
        Change::FullName(text) => {
            if let Some(user) = plan.users.first_mut() {
                user.full_name = text;
            }
        }
        Change::MappedName(text) => plan.encryption.mapped_name = text,
    }
}

/// Whole plans: plausible ones, and plausible ones with up to three hostile
/// changes.
fn whole_plan() -> impl Strategy<Value = Plan> {
    (
        plausible_plan(),
        prop_oneof![
            1 => Just(Vec::new()),
            1 => prop::collection::vec(change(), 1..4),
        ],
    )
        .prop_map(|(mut plan, changes)| {
            for change in changes {
                apply(&mut plan, change);
            }
            plan
        })
}

/// What `keepsake check` does with a plan file.
fn check(json: &str) -> Option<Plan> {
    let plan = Plan::from_json(json).ok()?;
    plan.validate().ok().map(|()| plan)
}

/// Every subvolume is mounted with `subvol=<its name>` and exactly its
/// planned options, each one item of mount(2)'s data or one flag.
fn assert_mountable_as_planned(plan: &Plan) {
    for (field, subvolume) in plan.created_subvolumes() {
        let planned = subvolume.mount_options();
        let (_, data) = split_mount_options(&planned);
        let expected: Vec<&str> = planned
            .iter()
            .filter(|option| !split_mount_options(&[(*option).clone()]).1.is_empty())
            .map(String::as_str)
            .collect();
        let items: Vec<&str> = data.split(',').collect();
        assert_eq!(items, expected, "{field}: {planned:?}");
        let subvol: Vec<&&str> = items
            .iter()
            .filter(|item| item.starts_with("subvol=") || item.starts_with("subvolid="))
            .collect();
        assert_eq!(
            subvol,
            [&format!("subvol={}", subvolume.name).as_str()],
            "{field}"
        );
        assert!(data.len() < 4096, "{field}: mount(2) takes one page");
        assert!(
            !data.contains(|c: char| c.is_whitespace() || c.is_control()),
            "{field}: fstab would split {data:?}"
        );
    }
}

fn render_accepted(plan: &Plan) -> Vec<GeneratedFile> {
    let real = DiskIds {
        esp_uuid: "1A2B-3C4D".to_owned(),
        root_uuid: "0f3e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b".to_owned(),
    };
    let files = nix::render(plan, &real).expect("an accepted plan renders");
    nix::password_files(plan).expect("an accepted plan has its password files");
    assert_eq!(
        nix::render(plan, &DiskIds::placeholders())
            .expect("an accepted plan renders with placeholders")
            .len(),
        files.len()
    );
    files
}

/// Parses every file with `nix-instantiate --parse`, many per run.
fn assert_nix_parses(rendered: &[(String, Vec<GeneratedFile>)]) {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (index, (_, files)) in rendered.iter().enumerate() {
        for file in files {
            let path = dir.path().join(format!("{index}-{}", file.path));
            std::fs::write(&path, &file.contents).unwrap();
            paths.push((index, path));
        }
    }
    for chunk in paths.chunks(FILES_PER_PARSE) {
        let mut args = vec!["--parse".to_owned()];
        args.extend(chunk.iter().map(|(_, path)| path.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = support::nix_instantiate(&args, None);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let culprit = chunk
                .iter()
                .find(|(_, path)| stderr.contains(&path.display().to_string()))
                .map_or("(unknown)", |(index, _)| rendered[*index].0.as_str());
            panic!("rendered Nix does not parse:\n{stderr}\nplan:\n{culprit}");
        }
    }
}

#[test]
fn check_never_panics_and_what_it_accepts_renders_parses_and_mounts() {
    let accepted = RefCell::new(Vec::new());
    let refused = Cell::new(0usize);
    runner()
        .run(&whole_plan(), |plan| {
            let json = plan.to_helper_json().expect("no clear-text password");
            match check(&json) {
                Some(read) => {
                    assert_mountable_as_planned(&read);
                    let files = render_accepted(&read);
                    accepted.borrow_mut().push((json.to_string(), files));
                }
                None => refused.set(refused.get() + 1),
            }
            Ok(())
        })
        .unwrap();
    let accepted = accepted.into_inner();
    eprintln!("{} of {} plans accepted", accepted.len(), cases());
    // A generator that only made refused plans would prove nothing.
    assert!(
        accepted.len() * 10 >= cases() as usize,
        "only {} of {} plans were accepted",
        accepted.len(),
        cases()
    );
    let refused = refused.get();
    assert!(refused * 10 >= cases() as usize, "only {refused} refused");
    assert_nix_parses(&accepted);
}

/// Leaves of the example plan's JSON, as JSON pointers.
fn leaf_pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                leaf_pointers(child, format!("{prefix}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                leaf_pointers(child, format!("{prefix}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(prefix);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        extreme_u64().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        hostile_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "hashed", "clear", "name", "path", "size_mib", "options", "x"
                ]),
                inner,
                0..3
            )
            .prop_map(|map| Value::Object(
                map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

#[test]
fn check_never_panics_on_json_with_any_field_replaced() {
    let example: Value = serde_json::from_str(&keepsake::plan::Plan::example().to_json().unwrap())
        .expect("the example is JSON");
    let mut pointers = Vec::new();
    leaf_pointers(&example, String::new(), &mut pointers);
    let edits = prop::collection::vec((prop::sample::select(pointers), any_json()), 1..4);
    runner()
        .run(&edits, |edits| {
            let mut json = example.clone();
            for (pointer, value) in edits {
                if let Some(slot) = json.pointer_mut(&pointer) {
                    *slot = value;
                }
            }
            if let Some(plan) = check(&json.to_string()) {
                assert_mountable_as_planned(&plan);
                // Clear text is hashed before rendering, and hashing is
                // too slow for thousands of cases.
                let hashed_only = plan
                    .users
                    .iter()
                    .filter_map(|user| user.password.as_ref())
                    .chain(&plan.root_password)
                    .all(|password| password.hash().is_some());
                if hashed_only {
                    render_accepted(&plan);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn check_never_panics_on_any_text() {
    runner()
        .run(&".{0,200}", |text| {
            let _ = check(&text);
            Ok(())
        })
        .unwrap();
}
