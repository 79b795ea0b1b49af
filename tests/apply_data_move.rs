// SPDX-License-Identifier: GPL-3.0-or-later
//! The safe data move on scratch trees: every kind of metadata survives,
//! space and conflicts are refused before anything changes, and a failure
//! half-way leaves the live data as it was and no partial copy.
//!
//! Needs root (owners, `security.*` attributes, a tmpfs mount); the build
//! root runs tests as root. Metadata is compared as `stat`, `getfattr -d`
//! and `getfacl` print it (the build root has them: `attr` and `acl` in
//! build-aux/packages.txt), and the attributes also byte for byte through
//! the system calls, which see values the tools would print alike.

#[path = "support/root.rs"]
mod root;
use root::running_as_root;
use std::ffi::{CString, OsStr};
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use keepsake::apply::{ConflictChoice, DataMove, DataMoveError, MoveOutcome};
use rustix::fs::{
    AtFlags, CWD, Dir, FileType, Gid, Mode, OFlags, Timespec, Timestamps, Uid, XattrFlags,
};

const STAMP: &str = "2026-11-25T18-00-00";

fn set_owner(path: &Path, uid: u32, gid: u32) {
    rustix::fs::chownat(
        CWD,
        path,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

fn set_times(path: &Path, atime: (i64, i64), mtime: (i64, i64)) {
    let times = Timestamps {
        last_access: Timespec {
            tv_sec: atime.0,
            tv_nsec: atime.1,
        },
        last_modification: Timespec {
            tv_sec: mtime.0,
            tv_nsec: mtime.1,
        },
    };
    rustix::fs::utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    rustix::fs::lsetxattr(path, name, value, XattrFlags::empty())
        .unwrap_or_else(|error| panic!("{name} on {}: {error}", path.display()));
}

/// A POSIX ACL in the kernel's xattr form: version 2, then (tag, perm, id)
/// entries sorted by tag and id.
fn acl(named_user: u32, named_perm: u16) -> Vec<u8> {
    const UNDEFINED: u32 = u32::MAX;
    let entries: [(u16, u16, u32); 5] = [
        (0x01, 6, UNDEFINED),           // user::rw-
        (0x02, named_perm, named_user), // user:<id>:…
        (0x04, 4, UNDEFINED),           // group::r--
        (0x10, 6, UNDEFINED),           // mask::rw-
        (0x20, 0, UNDEFINED),           // other::---
    ];
    let mut value = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in entries {
        value.extend(tag.to_le_bytes());
        value.extend(perm.to_le_bytes());
        value.extend(id.to_le_bytes());
    }
    value
}

/// A live tree with one of everything the move must preserve.
fn rich_tree(live: &Path) {
    fs::create_dir_all(live.join("sub/deeper")).unwrap();
    fs::create_dir(live.join("empty")).unwrap();
    fs::write(live.join("plain.txt"), "hello\n").unwrap();
    fs::write(live.join("sub/secret"), "s3cret").unwrap();
    fs::set_permissions(live.join("sub/secret"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(live.join("sub/deeper/setuid"), "#!/bin/sh\n").unwrap();
    set_owner(&live.join("sub/deeper/setuid"), 1234, 5678);
    fs::set_permissions(
        live.join("sub/deeper/setuid"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    fs::set_permissions(live.join("sub"), fs::Permissions::from_mode(0o2750)).unwrap();
    set_owner(&live.join("sub"), 1001, 100);
    set_owner(&live.join("plain.txt"), 1001, 1001);
    // Hard links, one of them in another directory.
    fs::write(live.join("linked"), "same inode").unwrap();
    fs::hard_link(live.join("linked"), live.join("linked-too")).unwrap();
    fs::hard_link(live.join("linked"), live.join("sub/linked-three")).unwrap();
    // Symlinks are copied as links, dangling or pointing outside.
    symlink("plain.txt", live.join("to-plain")).unwrap();
    symlink("/nonexistent/target", live.join("dangling")).unwrap();
    symlink("/etc/passwd", live.join("outside")).unwrap();
    set_owner(&live.join("to-plain"), 1001, 1001);
    rustix::fs::mknodat(
        CWD,
        live.join("fifo"),
        FileType::Fifo,
        Mode::from_raw_mode(0o640),
        0,
    )
    .unwrap();
    set_xattr(&live.join("plain.txt"), "user.comment", b"kept");
    set_xattr(&live.join("plain.txt"), "security.keepsake-test", b"label");
    set_xattr(&live.join("sub"), "user.empty", b"");
    set_xattr(
        &live.join("sub/secret"),
        "system.posix_acl_access",
        &acl(1000, 4),
    );
    set_xattr(&live.join("sub"), "system.posix_acl_default", &acl(1000, 6));
    // Times last: everything above changes them. Each path gets its own
    // nanoseconds, so a copy that mixed them up would show.
    for (nanos, path) in (1..).zip(walk(live)) {
        set_times(
            &path,
            (1_600_000_000, 123_456_789 + nanos),
            (1_500_000_000, 987_654_321 - nanos),
        );
    }
}

/// Opened without touching the access time, so that looking at a tree
/// does not change what is compared.
fn open_quietly(path: &Path, flags: OFlags) -> OwnedFd {
    rustix::fs::open(
        path,
        flags | OFlags::RDONLY | OFlags::NOATIME | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .unwrap()
}

/// Every path below `top` (itself first), sorted, as `./…` relative to
/// `top`, so that the tools print the same names for the live tree and its
/// copy.
fn relative_walk(top: &Path) -> Vec<String> {
    walk(top)
        .iter()
        .map(|path| {
            let rest = path.strip_prefix(top).unwrap();
            Path::new(".").join(rest).to_string_lossy().into_owned()
        })
        .collect()
}

/// Whether `program` can be run. In the build root it must: a missing tool
/// there is a broken set-up that would hide what it checks, so it fails;
/// elsewhere the comparison through it is skipped loudly and the system
/// call comparison still runs.
fn tool_available(program: &str, package: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok();
    assert!(
        found || std::env::var("KEEPSAKE_IN_BUILDROOT").as_deref() != Ok("1"),
        "{program} is missing from the build root: add {package} to build-aux/packages.txt"
    );
    if !found {
        eprintln!("SKIPPED: the comparison through {program} ({package} is not installed)");
    }
    found
}

/// What `program args… paths…` prints when run in `top`, one line per
/// attribute or ACL entry, each prefixed with the program and the `# file:`
/// it belongs to, so that a difference names both.
fn tool_lines(program: &str, package: &str, args: &[&str], top: &Path) -> Vec<String> {
    if !tool_available(program, package) {
        return Vec::new();
    }
    let output = Command::new(program)
        .current_dir(top)
        .args(args)
        .args(relative_walk(top))
        .output()
        .unwrap();
    assert!(output.status.success(), "{program}: {output:?}");
    let mut lines = Vec::new();
    let mut file = String::new();
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        if let Some(name) = line.strip_prefix("# file: ") {
            file = name.to_owned();
        } else if !line.is_empty() {
            lines.push(format!("{program} {file}: {line}"));
        }
    }
    lines
}

/// `getfattr -d` of every path: every attribute (`-m -`, so `security.*`
/// and the ACLs' `system.*` too) with its value, of the link itself (`-h`).
fn getfattr_lines(top: &Path) -> Vec<String> {
    tool_lines("getfattr", "attr", &["-d", "-m", "-", "-h"], top)
}

/// `getfacl` of every path: owner, group, the set-group-ID and sticky
/// flags, the access ACL and, for directories, the default ACL, with
/// numeric ids (`-n`); symlinks are skipped (`-P`), as they have none.
fn getfacl_lines(top: &Path) -> Vec<String> {
    tool_lines("getfacl", "acl", &["-P", "-n"], top)
}

/// Every path below `top` (itself first), sorted.
fn walk(top: &Path) -> Vec<PathBuf> {
    let mut paths = vec![top.to_owned()];
    let mut index = 0;
    while index < paths.len() {
        let path = paths[index].clone();
        if fs::symlink_metadata(&path).unwrap().is_dir() {
            let mut dir = Dir::new(open_quietly(&path, OFlags::DIRECTORY)).unwrap();
            let mut children = Vec::new();
            while let Some(entry) = dir.read() {
                let name = OsStr::from_bytes(entry.unwrap().file_name().to_bytes()).to_owned();
                if name != "." && name != ".." {
                    children.push(path.join(name));
                }
            }
            children.sort();
            paths.extend(children);
        }
        index += 1;
    }
    paths
}

/// `stat` of every path, relative to `top`: type, mode, owner, group,
/// access and modification times with nanoseconds, link count, and the
/// size of everything but directories (whose size is the file system's).
fn stat_lines(top: &Path) -> Vec<String> {
    let relative = relative_walk(top);
    let output = Command::new("stat")
        .current_dir(top)
        .arg("--printf=%n|%F|%a|%u|%g|%x|%y|%h|%s\\n")
        .args(&relative)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let mut fields: Vec<&str> = line.split('|').collect();
            match fields[1] {
                // Its size is the file system's business.
                "directory" => {
                    fields.pop();
                }
                // Reading a link sets its access time, so neither this
                // test nor a copy can leave it alone.
                "symbolic link" => fields[5] = "-",
                _ => {}
            }
            let target = fs::read_link(top.join(fields[0]))
                .map(|target| format!(" -> {}", target.display()))
                .unwrap_or_default();
            fields.join("|") + &target
        })
        .collect()
}

/// Every extended attribute of every path, relative to `top`, with its
/// exact bytes.
fn xattr_lines(top: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for path in walk(top) {
        let size = rustix::fs::llistxattr_query(&path).unwrap();
        let mut list = vec![0; size];
        let length = rustix::fs::llistxattr(&path, &mut list[..]).unwrap();
        list.truncate(length);
        let mut names: Vec<&[u8]> = list.split(|&b| b == 0).filter(|n| !n.is_empty()).collect();
        names.sort();
        for name in names {
            let name = CString::new(name).unwrap();
            let size = rustix::fs::lgetxattr_query(&path, name.as_c_str()).unwrap();
            let mut value = vec![0; size];
            if size > 0 {
                let length = rustix::fs::lgetxattr(&path, name.as_c_str(), &mut value[..]).unwrap();
                value.truncate(length);
            }
            lines.push(format!(
                "{} {} {:?}",
                path.strip_prefix(top).unwrap().display(),
                name.to_string_lossy(),
                value
            ));
        }
    }
    lines
}

/// The length and a hash of every regular file's bytes.
fn content_lines(top: &Path) -> Vec<String> {
    walk(top)
        .into_iter()
        .filter(|path| fs::symlink_metadata(path).unwrap().is_file())
        .map(|path| {
            let mut data = Vec::new();
            fs::File::from(open_quietly(&path, OFlags::empty()))
                .read_to_end(&mut data)
                .unwrap();
            let mut hasher = DefaultHasher::new();
            data.hash(&mut hasher);
            format!(
                "{} {} {:x}",
                path.strip_prefix(top).unwrap().display(),
                data.len(),
                hasher.finish()
            )
        })
        .collect()
}

/// Everything about a tree a move must keep, and must not change in the
/// live one: `stat`, `getfattr`, `getfacl`, extended attributes, contents.
fn snapshot(top: &Path) -> Vec<String> {
    let mut lines = stat_lines(top);
    lines.extend(getfattr_lines(top));
    lines.extend(getfacl_lines(top));
    lines.extend(xattr_lines(top));
    lines.extend(content_lines(top));
    lines
}

/// Compares snapshots line by line, so that a failure names what differs.
#[track_caller]
fn assert_same(actual: &[String], expected: &[String], what: &str) {
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let actual: Vec<&str> = actual.iter().map(String::as_str).collect();
    let differing: Vec<String> = similar::TextDiff::from_slices(&expected, &actual)
        .iter_all_changes()
        .filter(|change| change.tag() != similar::ChangeTag::Equal)
        .map(|change| format!("{}{}", change.tag(), change.value()))
        .collect();
    assert!(differing.is_empty(), "{what}:\n{}", differing.join("\n"));
}

fn scratch() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("var/lib/app");
    let storage = dir.path().join("persist");
    fs::create_dir_all(&live).unwrap();
    fs::create_dir_all(&storage).unwrap();
    let stored = storage.join("var/lib/app");
    (dir, live, stored)
}

fn run(data_move: &DataMove) -> Result<MoveOutcome, DataMoveError> {
    let prepared = data_move.prepare()?.expect("live data to move");
    prepared.run(STAMP, &mut |_| ControlFlow::Continue(()))
}

fn moving(live: &Path, stored: &Path, conflict: Option<ConflictChoice>) -> DataMove {
    DataMove {
        live: live.to_owned(),
        stored: stored.to_owned(),
        conflict,
    }
}

#[test]
fn owners_modes_times_xattrs_acls_symlinks_and_special_files_are_kept() {
    if !running_as_root() {
        return;
    }
    let (dir, live, stored) = scratch();
    rich_tree(&live);
    fs::set_permissions(
        dir.path().join("var/lib"),
        fs::Permissions::from_mode(0o711),
    )
    .unwrap();
    let before = snapshot(&live);
    assert!(
        before
            .iter()
            .any(|line| line.contains("system.posix_acl_access"))
    );
    assert!(
        before
            .iter()
            .any(|line| line.contains("security.keepsake-test"))
    );
    // The tools saw what the tree holds, so comparing their output compares
    // something: the attributes, the named user's access entry, the default
    // ACL and the set-group-ID flag.
    if tool_available("getfattr", "attr") && tool_available("getfacl", "acl") {
        for expected in [
            "getfattr plain.txt: security.keepsake-test=\"label\"",
            "getfattr plain.txt: user.comment=\"kept\"",
            "getfattr sub: user.empty=\"\"",
            "getfacl sub/secret: user:1000:r--",
            "getfacl sub: default:user:1000:rw-",
            "getfacl sub: # flags: -s-",
            "getfacl sub/deeper/setuid: # owner: 1234",
        ] {
            assert!(
                before.iter().any(|line| line == expected),
                "{expected:?} not in:\n{}",
                before.join("\n")
            );
        }
    }

    let outcome = run(&moving(&live, &stored, None)).unwrap();

    assert_same(&snapshot(&stored), &before, "the copy differs");
    assert_same(&snapshot(&live), &before, "the live tree changed");
    // The missing parents were made like the live ones.
    let parent = fs::metadata(dir.path().join("persist/var/lib")).unwrap();
    assert_eq!(parent.mode() & 0o7777, 0o711);
    match outcome {
        MoveOutcome::Copied { created, .. } => assert_eq!(
            created,
            [
                dir.path().join("persist/var"),
                dir.path().join("persist/var/lib")
            ]
        ),
        other => panic!("{other:?}"),
    }
    let leftovers: Vec<_> = fs::read_dir(dir.path().join("persist/var/lib"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["app"]);
}

#[test]
fn hard_links_inside_the_tree_stay_one_inode() {
    if !running_as_root() {
        return;
    }
    let (_dir, live, stored) = scratch();
    rich_tree(&live);
    run(&moving(&live, &stored, None)).unwrap();
    let first = fs::symlink_metadata(stored.join("linked")).unwrap();
    assert_eq!(first.nlink(), 3);
    for other in ["linked-too", "sub/linked-three"] {
        let meta = fs::symlink_metadata(stored.join(other)).unwrap();
        assert_eq!(
            (meta.dev(), meta.ino()),
            (first.dev(), first.ino()),
            "{other}"
        );
    }
    assert_ne!(
        first.ino(),
        fs::symlink_metadata(live.join("linked")).unwrap().ino()
    );
}

#[test]
fn sparse_files_keep_their_holes() {
    if !running_as_root() {
        return;
    }
    let (_dir, live, stored) = scratch();
    let path = live.join("disk.img");
    let mut file = fs::File::create(&path).unwrap();
    // Data, a 64 MiB hole, data, and a trailing hole.
    file.write_all(&[0xAB; 8192]).unwrap();
    file.seek(SeekFrom::Start(64 << 20)).unwrap();
    file.write_all(&[0xCD; 4096]).unwrap();
    file.set_len(128 << 20).unwrap();
    drop(file);
    let before = fs::metadata(&path).unwrap();
    assert!(
        before.blocks() * 512 < 1 << 20,
        "the scratch file system is not sparse"
    );

    run(&moving(&live, &stored, None)).unwrap();

    let copy = fs::metadata(stored.join("disk.img")).unwrap();
    assert_eq!(copy.len(), 128 << 20);
    assert!(
        copy.blocks() <= before.blocks() + 8,
        "{} blocks instead of {}",
        copy.blocks(),
        before.blocks()
    );
    assert_eq!(
        fs::read(stored.join("disk.img")).unwrap(),
        fs::read(&path).unwrap()
    );

    // Onto another file system (tmpfs to btrfs in real life), where the
    // kernel cannot copy by itself: the holes stay holes all the same.
    let other = live.parent().unwrap().join("other-fs");
    let _tmpfs = Mounted::tmpfs(&other, "32m");
    let across = other.join("app");
    run(&moving(&live, &across, None)).unwrap();
    let copy = fs::metadata(across.join("disk.img")).unwrap();
    assert_eq!(copy.len(), 128 << 20);
    assert!(copy.blocks() * 512 <= 64 << 10, "{} blocks", copy.blocks());
    assert_eq!(
        fs::read(across.join("disk.img")).unwrap(),
        fs::read(&path).unwrap()
    );
}

/// A mount made by a test, undone however the test ends.
struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(at: &Path, size: &str) -> Self {
        fs::create_dir_all(at).unwrap();
        rustix::mount::mount(
            "tmpfs",
            at,
            "tmpfs",
            rustix::mount::MountFlags::empty(),
            Some(CString::new(format!("size={size}")).unwrap().as_c_str()),
        )
        .expect("mounting a tmpfs (tests run as root in the build root)");
        Self(at.to_owned())
    }

    fn bind(source: &Path, target: &Path) -> Self {
        rustix::mount::mount_bind(source, target).unwrap();
        Self(target.to_owned())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.0, rustix::mount::UnmountFlags::DETACH);
    }
}

#[test]
fn too_little_space_is_refused_before_anything_changes() {
    if !running_as_root() {
        return;
    }
    let (dir, live, _) = scratch();
    let small = dir.path().join("small");
    let _tmpfs = Mounted::tmpfs(&small, "24m");
    fs::write(live.join("big"), vec![7u8; 12 << 20]).unwrap();
    fs::write(live.join("small"), "x").unwrap();
    let before = snapshot(&live);
    let stored = small.join("var/lib/app");

    // 12 MB of data and the margin do not fit in 24 MB.
    let error = moving(&live, &stored, None).prepare().unwrap_err();
    match &error {
        DataMoveError::NoSpace {
            needed, available, ..
        } => assert!(needed > available, "{needed} <= {available}"),
        other => panic!("{other:?}"),
    }
    assert!(
        error.message().contains("Nothing was copied"),
        "{}",
        error.message()
    );
    assert_eq!(fs::read_dir(&small).unwrap().count(), 0);
    assert_same(&snapshot(&live), &before, "live");

    // Without the big file it fits, on the same small file system.
    fs::remove_file(live.join("big")).unwrap();
    run(&moving(&live, &stored, None)).unwrap();
    assert_eq!(fs::read(stored.join("small")).unwrap(), b"x");
}

#[test]
fn stored_data_is_never_overwritten_without_a_choice() {
    if !running_as_root() {
        return;
    }
    let (dir, live, stored) = scratch();
    fs::write(live.join("live-file"), "live").unwrap();
    fs::create_dir_all(&stored).unwrap();
    fs::write(stored.join("stored-file"), "stored").unwrap();
    let error = moving(&live, &stored, None).prepare().unwrap_err();
    assert!(matches!(error, DataMoveError::Conflict { .. }), "{error:?}");
    assert!(error.message().contains("Choose which copy to keep"));
    assert_eq!(fs::read(stored.join("stored-file")).unwrap(), b"stored");
    assert_eq!(
        fs::read_dir(dir.path().join("persist/var/lib"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn keeping_the_live_copy_moves_the_stored_one_to_a_dated_backup() {
    if !running_as_root() {
        return;
    }
    let (_dir, live, stored) = scratch();
    fs::write(live.join("live-file"), "live").unwrap();
    fs::create_dir_all(&stored).unwrap();
    fs::write(stored.join("stored-file"), "stored").unwrap();
    let live_before = snapshot(&live);

    let outcome = run(&moving(&live, &stored, Some(ConflictChoice::KeepLive))).unwrap();

    let backup = stored.with_file_name(format!("app.keepsake-backup-{STAMP}"));
    assert_eq!(outcome.backup(), Some(backup.as_path()));
    assert_eq!(fs::read(backup.join("stored-file")).unwrap(), b"stored");
    assert_same(&snapshot(&stored), &live_before, "stored");
    assert_same(&snapshot(&live), &live_before, "live");

    // Undone, the stored copy is back in place.
    outcome.undo().unwrap();
    assert_eq!(fs::read(stored.join("stored-file")).unwrap(), b"stored");
    assert!(!backup.exists());
}

#[test]
fn keeping_the_stored_copy_keeps_the_live_one_as_a_dated_backup() {
    if !running_as_root() {
        return;
    }
    let (_dir, live, stored) = scratch();
    fs::write(live.join("live-file"), "live").unwrap();
    fs::create_dir_all(&stored).unwrap();
    fs::write(stored.join("stored-file"), "stored").unwrap();
    let stored_before = snapshot(&stored);
    let live_before = snapshot(&live);
    // A backup of the same second already exists: the next name is used.
    let taken = stored.with_file_name(format!("app.keepsake-backup-{STAMP}"));
    fs::create_dir(&taken).unwrap();

    let outcome = run(&moving(&live, &stored, Some(ConflictChoice::KeepStored))).unwrap();

    let backup = stored.with_file_name(format!("app.keepsake-backup-{STAMP}-2"));
    assert_eq!(outcome.backup(), Some(backup.as_path()));
    assert_same(&snapshot(&stored), &stored_before, "stored");
    assert_same(&snapshot(&backup), &live_before, "backup");
    assert_eq!(fs::read_dir(&taken).unwrap().count(), 0);
}

#[test]
fn a_failure_half_way_leaves_the_live_data_and_no_partial_copy() {
    if !running_as_root() {
        return;
    }
    let (dir, live, stored) = scratch();
    rich_tree(&live);
    for index in 0..20 {
        fs::write(
            live.join(format!("file-{index}")),
            vec![index as u8; 10_000],
        )
        .unwrap();
    }
    let before = snapshot(&live);
    let prepared = moving(&live, &stored, None).prepare().unwrap().unwrap();
    let mut files_copied = 0;
    let error = prepared
        .run(STAMP, &mut |_| {
            files_copied += 1;
            // An injected failure, as a cancel or an I/O error would stop it.
            if files_copied == 10 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_err();
    assert!(matches!(error, DataMoveError::Stopped { .. }), "{error:?}");
    assert_same(&snapshot(&live), &before, "live");
    // No partial copy, and the parents made for it are gone too.
    assert_eq!(fs::read_dir(dir.path().join("persist")).unwrap().count(), 0);
}

#[test]
fn a_full_storage_half_way_leaves_the_live_data_and_no_partial_copy() {
    if !running_as_root() {
        return;
    }
    let (dir, live, _) = scratch();
    let small = dir.path().join("small");
    let _tmpfs = Mounted::tmpfs(&small, "24m");
    for index in 0..20 {
        fs::write(
            live.join(format!("file-{index}")),
            vec![index as u8; 100_000],
        )
        .unwrap();
    }
    let single = dir.path().join("etc/app.key");
    fs::create_dir_all(single.parent().unwrap()).unwrap();
    fs::write(&single, vec![9u8; 1_500_000]).unwrap();
    let before = (snapshot(&live), fs::read(&single).unwrap());
    let filler = small.join("filler");
    for (what, from, to) in [
        ("directory", &live, small.join("var/lib/app")),
        ("file", &single, small.join("etc/app.key")),
    ] {
        let prepared = moving(from, &to, None).prepare().unwrap().unwrap();
        // Something else fills the storage once the copy has begun: it
        // runs out of space half-way, with a real ENOSPC.
        let mut filled = false;
        let error = prepared
            .run(STAMP, &mut |_| {
                if !filled {
                    filled = true;
                    let free = rustix::fs::statvfs(&small).unwrap();
                    let left = free.f_bavail * free.f_frsize;
                    fs::write(&filler, vec![1u8; (left - 20_000) as usize]).unwrap();
                }
                ControlFlow::Continue(())
            })
            .unwrap_err();
        assert!(
            filled,
            "{what}: the copy reported no progress before it ended"
        );
        assert!(
            matches!(error, DataMoveError::Io { .. }),
            "{what}: {error:?}"
        );
        assert!(
            error.message().contains("The live data was not changed"),
            "{what}: {}",
            error.message()
        );
        let left: Vec<_> = fs::read_dir(&small)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            ["filler"],
            "{what}: only the filler is left on the storage"
        );
        fs::remove_file(&filler).unwrap();
        // A process another test forks (stat, getfattr) holds a copy of
        // every descriptor until it execs, so the filler's space may come
        // back a moment after its last name is gone.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let free = rustix::fs::statvfs(&small).unwrap();
            if free.f_bavail * free.f_frsize > 20 << 20 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: gave up after 30 s waiting for the filler's space to be free again"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    assert_same(&snapshot(&live), &before.0, "live directory");
    assert_eq!(fs::read(&single).unwrap(), before.1, "live file");
}

#[test]
fn an_io_error_is_typed_and_removes_nothing_it_did_not_make() {
    if !running_as_root() {
        return;
    }
    let (_dir, live, stored) = scratch();
    fs::write(live.join("a"), "a").unwrap();
    let prepared = moving(&live, &stored, None).prepare().unwrap().unwrap();
    // Something else holds the temporary name (a crashed run of the same
    // process id): the move fails and leaves it alone.
    let parent = stored.parent().unwrap();
    fs::create_dir_all(parent).unwrap();
    let squatter = parent.join(format!(".app.keepsake-partial-{}", std::process::id()));
    fs::create_dir(&squatter).unwrap();
    fs::write(squatter.join("keep-me"), "").unwrap();
    let error = prepared
        .run(STAMP, &mut |_| ControlFlow::Continue(()))
        .unwrap_err();
    assert!(matches!(error, DataMoveError::Io { .. }), "{error:?}");
    assert!(error.message().contains("The live data was not changed"));
    assert!(squatter.join("keep-me").exists());
    assert_eq!(fs::read(live.join("a")).unwrap(), b"a");
    assert!(!stored.exists());
}

#[test]
fn data_already_stored_or_mounted_is_not_moved() {
    if !running_as_root() {
        return;
    }
    let (dir, live, stored) = scratch();
    fs::write(live.join("a"), "a").unwrap();
    // Inside a kept directory the live path is the stored one, bind-mounted.
    fs::create_dir_all(&stored).unwrap();
    let _bound = Mounted::bind(&live, &stored);
    assert!(moving(&live, &stored, None).prepare().unwrap().is_none());
    // A file system mounted at the live path holds its own data.
    let mounted = dir.path().join("var/lib/mounted");
    let _tmpfs = Mounted::tmpfs(&mounted, "1m");
    fs::write(mounted.join("b"), "b").unwrap();
    let target = dir.path().join("persist/var/lib/mounted");
    assert!(moving(&mounted, &target, None).prepare().unwrap().is_none());
}

#[test]
fn nothing_at_the_live_path_means_nothing_to_move() {
    let dir = tempfile::tempdir().unwrap();
    let data_move = moving(
        &dir.path().join("missing"),
        &dir.path().join("persist/missing"),
        None,
    );
    assert!(data_move.prepare().unwrap().is_none());
}
