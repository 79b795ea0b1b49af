// SPDX-License-Identifier: GPL-3.0-or-later
//! The parallel walk. Worker threads take directories from a shared stack,
//! list them with `getdents64` and `statx` each entry relative to the
//! directory's descriptor, and add sizes to the candidate the entry belongs
//! to. A worker walks on into subdirectories itself, opening them relative
//! to their parent (no path look-up from the top), and hands them to the
//! shared stack (all the directories it has not entered yet at that level)
//! once another worker is idle or when it is [`MAX_DEPTH`] levels down
//! (which bounds its stack and open descriptors).
//! Nothing per file is kept, except `(device, inode)` of files with more
//! than one hard link.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rustix::fs::{
    AtFlags, CWD, Dir, FileType, Mode, OFlags, StatxFlags, openat, readlinkat, statx,
};
use rustix::io::Errno;

use super::rules::{ROOT, Rule, Rules, SkipReason};
use super::{Area, Note, Problem, ScanProgress, Skipped};

/// More candidates than this are folded into their parents, so a directory
/// with a million entries in `/etc` cannot make the result grow with it.
const MAX_CANDIDATES: usize = 10_000;
/// Notes and skipped paths kept for the report; the rest are counted.
const MAX_LISTED: usize = 1_000;
/// Directories one worker enters below the one it took from the stack.
const MAX_DEPTH: usize = 64;
/// Shards of the hard-link set, so threads rarely wait for each other.
const LINK_SHARDS: usize = 64;

const STATX_MASK: StatxFlags = StatxFlags::TYPE
    .union(StatxFlags::NLINK)
    .union(StatxFlags::INO)
    .union(StatxFlags::BLOCKS)
    .union(StatxFlags::MTIME);

/// What a candidate is, before it is put into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupKind {
    Preset { preset: u32, path: u32 },
    Area(Area),
}

/// A candidate being filled.
#[derive(Debug)]
pub(super) struct Group {
    /// As seen by the scanned system, such as `/var/lib/foo`.
    pub path: Vec<u8>,
    pub kind: GroupKind,
    /// The user whose home it is in.
    pub user: Option<Arc<[u8]>>,
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Stats {
    /// Allocated bytes (`st_blocks` × 512), as `du` counts them.
    pub bytes: u64,
    pub files: u64,
    /// Newest modification time, as (seconds, nanoseconds) since the epoch.
    pub newest: Option<(i64, u32)>,
}

impl Stats {
    fn add(&mut self, bytes: u64, files: u64, mtime: (i64, u32)) {
        self.bytes = self.bytes.saturating_add(bytes);
        self.files += files;
        self.newest = self.newest.max(Some(mtime));
    }

    fn merge(&mut self, other: Stats) {
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.files += other.files;
        self.newest = self.newest.max(other.newest);
    }
}

pub(super) struct Walked {
    pub groups: Vec<(Arc<Group>, Stats)>,
    pub notes: Vec<Note>,
    pub skipped: Vec<Skipped>,
    /// Notes and skipped paths left out of the lists above.
    pub unlisted: usize,
}

struct Task {
    dir: PathBuf,
    /// Where the directory is in the rules; `None` once no rule lies deeper.
    node: Option<u32>,
    group: Arc<Group>,
    user: Option<Arc<[u8]>>,
}

struct Queue {
    tasks: Vec<Task>,
    busy: usize,
    idle: usize,
}

/// Sizes per candidate of one worker, keyed by the candidate's address
/// (the map holds a reference, so the address stays unique).
type Local = HashMap<usize, (Arc<Group>, Stats)>;

struct Walker<'a> {
    root: &'a Path,
    progress: &'a ScanProgress,
    root_dev: (u32, u32),
    rules: &'a Rules,
    queue: Mutex<Queue>,
    ready: Condvar,
    /// Workers waiting for a directory (a copy of `Queue::idle` read
    /// without the lock).
    idle: AtomicUsize,
    links: Vec<Mutex<HashSet<(u64, u64)>>>,
    notes: Mutex<Vec<Note>>,
    skipped: Mutex<Vec<Skipped>>,
    unlisted: AtomicUsize,
    candidates: AtomicUsize,
    folded: AtomicBool,
}

/// Walks the file system of `root`; an error means `root` itself could not
/// be examined.
pub(super) fn walk(
    root: &Path,
    rules: &Rules,
    threads: usize,
    progress: &ScanProgress,
) -> io::Result<Walked> {
    let stat = statx(CWD, root, AtFlags::empty(), StatxFlags::TYPE)?;
    if FileType::from_raw_mode(u32::from(stat.stx_mode)) != FileType::Directory {
        return Err(io::Error::from(Errno::NOTDIR));
    }
    let top = Arc::new(Group {
        path: b"/".to_vec(),
        kind: GroupKind::Area(Area::Top),
        user: None,
    });
    let walker = Walker {
        root,
        progress,
        root_dev: (stat.stx_dev_major, stat.stx_dev_minor),
        rules,
        queue: Mutex::new(Queue {
            tasks: vec![Task {
                dir: root.to_path_buf(),
                node: Some(ROOT),
                group: top,
                user: None,
            }],
            busy: 0,
            idle: 0,
        }),
        idle: AtomicUsize::new(0),
        ready: Condvar::new(),
        links: (0..LINK_SHARDS).map(|_| Mutex::default()).collect(),
        notes: Mutex::default(),
        skipped: Mutex::default(),
        unlisted: AtomicUsize::new(0),
        candidates: AtomicUsize::new(0),
        folded: AtomicBool::new(false),
    };
    let locals: Vec<Local> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads.max(1))
            .map(|_| scope.spawn(|| walker.work()))
            .collect();
        let mut locals = vec![walker.work()];
        // A worker that panicked has lost its sizes; the others still count.
        locals.extend(workers.into_iter().filter_map(|worker| worker.join().ok()));
        locals
    });
    let mut merged: Local = HashMap::new();
    for (key, (group, stats)) in locals.into_iter().flatten() {
        merged
            .entry(key)
            .or_insert_with(|| (group, Stats::default()))
            .1
            .merge(stats);
    }
    let mut notes = walker
        .notes
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if walker.folded.load(Ordering::Relaxed) {
        notes.push(Note {
            path: PathBuf::from("/"),
            problem: Problem::TooManyCandidates(MAX_CANDIDATES),
        });
    }
    Ok(Walked {
        groups: merged.into_values().collect(),
        notes,
        skipped: walker
            .skipped
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
        unlisted: walker.unlisted.into_inner(),
    })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Walker<'_> {
    fn work(&self) -> Local {
        let mut local = Local::new();
        let mut finished = false;
        while let Some(task) = self.next(finished) {
            self.visit(task, None, 0, &mut local);
            finished = true;
        }
        local
    }

    /// Takes the next directory from the stack (after finishing one, if
    /// `finished`); `None` when no worker has anything left.
    fn next(&self, finished: bool) -> Option<Task> {
        let mut queue = lock(&self.queue);
        if finished {
            queue.busy -= 1;
        }
        loop {
            if let Some(task) = queue.tasks.pop() {
                queue.busy += 1;
                return Some(task);
            }
            if queue.busy == 0 {
                self.ready.notify_all();
                return None;
            }
            queue.idle += 1;
            self.idle.store(queue.idle, Ordering::Relaxed);
            queue = self
                .ready
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
            queue.idle -= 1;
            self.idle.store(queue.idle, Ordering::Relaxed);
        }
    }

    fn share(&self, tasks: impl Iterator<Item = Task>) {
        lock(&self.queue).tasks.extend(tasks);
        self.ready.notify_all();
    }

    /// Adds up `task.dir` and what lies below; `parent` is the open parent
    /// directory when the walk came down from it, `depth` how many levels
    /// this worker has come down.
    fn visit(&self, task: Task, parent: Option<BorrowedFd<'_>>, depth: usize, local: &mut Local) {
        if self.progress.is_cancelled() {
            return;
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let opened = match (parent, task.dir.file_name()) {
            (Some(parent), Some(name)) => openat(parent, name, flags, Mode::empty()),
            _ => openat(CWD, &task.dir, flags, Mode::empty()),
        };
        let fd = match opened {
            Ok(fd) => fd,
            // Removed since its parent was listed.
            Err(Errno::NOENT) => return,
            Err(errno) => return self.note(&task.dir, None, errno),
        };
        let Ok(mut dir) = Dir::new(fd) else { return };
        let mut own = Stats::default();
        let mut subdirs = Vec::new();
        let (mut seen_files, mut seen_bytes) = (0u64, 0u64);
        while let Some(entry) = dir.read() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(errno) => {
                    self.note(&task.dir, None, errno);
                    break;
                }
            };
            let name = entry.file_name();
            let bytes = name.to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let node = task.node.and_then(|node| self.rules.child(node, bytes));
            let rule = node.map_or(Rule::Pass, |node| self.rules.rule(node));
            if let Rule::Skip(reason) = rule {
                self.skip(&task.dir, bytes, self.rules.skip_reason(reason));
                continue;
            }
            let Ok(fd) = dir.fd() else { break };
            let stat = match statx(
                fd,
                name,
                AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT,
                STATX_MASK,
            ) {
                Ok(stat) => stat,
                Err(Errno::NOENT) => continue,
                Err(errno) => {
                    self.note(&task.dir, Some(bytes), errno);
                    continue;
                }
            };
            let kind = FileType::from_raw_mode(u32::from(stat.stx_mode));
            if (stat.stx_dev_major, stat.stx_dev_minor) != self.root_dev {
                self.skip(&task.dir, bytes, &SkipReason::OtherFileSystem);
                continue;
            }
            if kind == FileType::Symlink
                && readlinkat(fd, name, Vec::new())
                    .is_ok_and(|target| self.rules.link_is_managed(target.to_bytes()))
            {
                continue;
            }
            let mtime = (stat.stx_mtime.tv_sec, stat.stx_mtime.tv_nsec);
            let allocated = stat.stx_blocks.saturating_mul(512);
            let is_dir = kind == FileType::Directory;
            if !is_dir && stat.stx_nlink > 1 && !self.first_link(&stat) {
                continue;
            }
            let user = || match node {
                Some(node) if self.rules.is_home(node) => Some(Arc::from(bytes)),
                _ => task.user.clone(),
            };
            let group = self.new_group(&task, bytes, rule, user);
            let stats = match &group {
                None => &mut own,
                Some(group) => {
                    &mut local
                        .entry(Arc::as_ptr(group) as usize)
                        .or_insert_with(|| (group.clone(), Stats::default()))
                        .1
                }
            };
            stats.add(allocated, u64::from(!is_dir), mtime);
            seen_files += u64::from(!is_dir);
            seen_bytes = seen_bytes.saturating_add(allocated);
            if is_dir {
                subdirs.push(Task {
                    dir: task.dir.join(OsStr::from_bytes(bytes)),
                    node,
                    user: group.as_ref().map_or_else(user, |group| group.user.clone()),
                    group: group.unwrap_or_else(|| task.group.clone()),
                });
            }
        }
        local
            .entry(Arc::as_ptr(&task.group) as usize)
            .or_insert_with(|| (task.group.clone(), Stats::default()))
            .1
            .merge(own);
        self.progress.add(seen_files, seen_bytes);
        let Ok(fd) = dir.fd() else { return };
        let mut subdirs = subdirs.into_iter();
        while let Some(subdir) = subdirs.next() {
            if depth < MAX_DEPTH && self.idle.load(Ordering::Relaxed) == 0 {
                self.visit(subdir, Some(fd), depth + 1, local);
            } else {
                // All the rest at once: the idle worker gets the biggest
                // share this worker knows of, not one small directory.
                self.share(std::iter::once(subdir).chain(subdirs));
                break;
            }
        }
    }

    /// The candidate an entry starts, or `None` when it belongs to its
    /// directory's.
    fn new_group(
        &self,
        task: &Task,
        name: &[u8],
        rule: Rule,
        user: impl Fn() -> Option<Arc<[u8]>>,
    ) -> Option<Arc<Group>> {
        let kind = match rule {
            Rule::Preset { preset, path } => GroupKind::Preset { preset, path },
            Rule::Whole(area) => GroupKind::Area(area),
            Rule::Pass | Rule::Group(_) | Rule::Skip(_) => {
                match task.node.map(|node| self.rules.rule(node)) {
                    Some(Rule::Group(area)) => GroupKind::Area(area),
                    _ => return None,
                }
            }
        };
        if self.candidates.fetch_add(1, Ordering::Relaxed) >= MAX_CANDIDATES {
            self.folded.store(true, Ordering::Relaxed);
            return None;
        }
        Some(Arc::new(Group {
            path: self.system_path(&task.dir, Some(name)),
            kind,
            user: user(),
        }))
    }

    /// Whether this is the first of a file's hard links the walk meets.
    fn first_link(&self, stat: &rustix::fs::Statx) -> bool {
        let dev = (u64::from(stat.stx_dev_major) << 32) | u64::from(stat.stx_dev_minor);
        let shard = (stat.stx_ino % LINK_SHARDS as u64) as usize;
        lock(&self.links[shard]).insert((dev, stat.stx_ino))
    }

    /// `dir/name` as seen by the scanned system.
    fn system_path(&self, dir: &Path, name: Option<&[u8]>) -> Vec<u8> {
        let relative = dir.strip_prefix(self.root).unwrap_or(dir);
        let mut path = b"/".to_vec();
        path.extend_from_slice(relative.as_os_str().as_bytes());
        if let Some(name) = name {
            if path.len() > 1 {
                path.push(b'/');
            }
            path.extend_from_slice(name);
        }
        path
    }

    fn note(&self, dir: &Path, name: Option<&[u8]>, errno: Errno) {
        let path = PathBuf::from(OsStr::from_bytes(&self.system_path(dir, name)));
        let mut notes = lock(&self.notes);
        if notes.len() < MAX_LISTED {
            notes.push(Note {
                path,
                problem: Problem::Unreadable(errno.raw_os_error()),
            });
        } else {
            self.unlisted.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn skip(&self, dir: &Path, name: &[u8], reason: &SkipReason) {
        let path = PathBuf::from(OsStr::from_bytes(&self.system_path(dir, Some(name))));
        let mut skipped = lock(&self.skipped);
        if skipped.len() < MAX_LISTED {
            skipped.push(Skipped {
                path,
                reason: reason.clone(),
            });
        } else {
            self.unlisted.fetch_add(1, Ordering::Relaxed);
        }
    }
}
