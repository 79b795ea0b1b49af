// SPDX-License-Identifier: GPL-3.0-or-later
//! Copying a tree the way `cp -a --one-file-system` does, with system calls
//! only: owner, group, mode, nanosecond timestamps, every extended
//! attribute (POSIX ACLs are the `system.posix_acl_*` ones), symlinks as
//! links, hard links as links and sparse files with their holes.

use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{
    AtFlags, CWD, FileType, Gid, Mode, OFlags, SeekFrom, Stat, Timespec, Timestamps, Uid,
};

/// Bytes read and written at a time when the kernel cannot copy by itself.
const BUFFER_BYTES: usize = 1024 * 1024;
/// Files from this size on are written back as soon as they are copied.
const EARLY_WRITEBACK_BYTES: u64 = 1024 * 1024;
/// The most `copy_file_range` is asked for at once, so that progress and
/// cancellation are looked at between chunks of a large file.
const CHUNK_BYTES: u64 = 64 * 1024 * 1024;

/// A failed system call and the path it was about.
#[derive(Debug)]
pub(super) struct CopyError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Why a copy stopped before its end.
#[derive(Debug)]
pub(super) enum Interrupt<E> {
    Io(CopyError),
    /// The observer said stop (cancellation, an injected failure).
    Stopped(E),
}

impl<E> From<CopyError> for Interrupt<E> {
    fn from(error: CopyError) -> Self {
        Interrupt::Io(error)
    }
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> CopyError + '_ {
    move |source| CopyError {
        path: path.to_owned(),
        source,
    }
}

fn at_errno(path: &Path) -> impl FnOnce(rustix::io::Errno) -> CopyError + '_ {
    move |errno| CopyError {
        path: path.to_owned(),
        source: errno.into(),
    }
}

/// What a tree holds, measured before copying it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TreeSize {
    /// Blocks allocated to regular files, each inode counted once: holes
    /// of sparse files take no space in the copy either.
    pub allocated_bytes: u64,
    /// Every directory, file, link and special file.
    pub entries: u64,
}

pub(super) fn lstat(path: &Path) -> Result<Stat, CopyError> {
    rustix::fs::lstat(path).map_err(at_errno(path))
}

/// Measures the tree at `top` without leaving its file system.
pub(super) fn measure(top: &Path) -> Result<TreeSize, CopyError> {
    let stat = lstat(top)?;
    let mut size = TreeSize::default();
    let mut seen = HashSet::new();
    measure_node(top, &stat, stat.st_dev, &mut seen, &mut size)?;
    Ok(size)
}

fn measure_node(
    path: &Path,
    stat: &Stat,
    device: u64,
    seen: &mut HashSet<(u64, u64)>,
    size: &mut TreeSize,
) -> Result<(), CopyError> {
    size.entries += 1;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::Directory => {
            for child in children(path)? {
                let child_stat = lstat(&child)?;
                if child_stat.st_dev == device {
                    measure_node(&child, &child_stat, device, seen, size)?;
                }
            }
        }
        // A hard link's blocks are counted at its first name only.
        FileType::RegularFile if stat.st_nlink <= 1 || seen.insert((stat.st_dev, stat.st_ino)) => {
            size.allocated_bytes += u64::try_from(stat.st_blocks).unwrap_or(0) * 512;
        }
        _ => {}
    }
    Ok(())
}

/// Opens for reading without updating the access time, so that the live
/// data keeps its atime as well; that needs to own the file or root.
fn open_quietly(path: &Path, flags: OFlags) -> Result<OwnedFd, CopyError> {
    let flags = flags | OFlags::RDONLY | OFlags::CLOEXEC;
    match rustix::fs::open(path, flags | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => rustix::fs::open(path, flags, Mode::empty()),
        other => other,
    }
    .map_err(at_errno(path))
}

fn children(directory: &Path) -> Result<Vec<PathBuf>, CopyError> {
    let fd = open_quietly(directory, OFlags::DIRECTORY)?;
    let mut entries = rustix::fs::Dir::new(fd).map_err(at_errno(directory))?;
    let mut names = Vec::new();
    while let Some(entry) = entries.read() {
        let entry = entry.map_err(at_errno(directory))?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name != "." && name != ".." {
            names.push(directory.join(name));
        }
    }
    // Inode order would read faster, but a stable order makes runs repeatable.
    names.sort();
    Ok(names)
}

/// Copies trees; one per data move, so hard links are matched only inside
/// the tree being moved.
pub(super) struct TreeCopier<'a, E> {
    device: u64,
    /// The copy of each inode with several links, by (device, inode).
    linked: HashMap<(u64, u64), PathBuf>,
    copied_bytes: u64,
    buffer: Vec<u8>,
    observer: &'a mut dyn FnMut(u64) -> Result<(), E>,
}

impl<'a, E> TreeCopier<'a, E> {
    /// `observer` hears the bytes copied so far after each file and each
    /// large chunk, and stops the copy by returning an error.
    pub(super) fn new(observer: &'a mut dyn FnMut(u64) -> Result<(), E>) -> Self {
        Self {
            device: 0,
            linked: HashMap::new(),
            copied_bytes: 0,
            buffer: Vec::new(),
            observer,
        }
    }

    /// Copies `source` to `destination`, which must not exist.
    pub(super) fn copy(&mut self, source: &Path, destination: &Path) -> Result<(), Interrupt<E>> {
        let stat = lstat(source)?;
        self.device = stat.st_dev;
        self.copy_node(source, destination, &stat)
    }

    fn copy_node(
        &mut self,
        source: &Path,
        destination: &Path,
        stat: &Stat,
    ) -> Result<(), Interrupt<E>> {
        let file_type = FileType::from_raw_mode(stat.st_mode);
        if file_type != FileType::Directory && stat.st_nlink > 1 {
            let key = (stat.st_dev, stat.st_ino);
            if let Some(first) = self.linked.get(&key) {
                rustix::fs::linkat(CWD, first, CWD, destination, AtFlags::empty())
                    .map_err(at_errno(destination))?;
                return Ok(());
            }
            self.linked.insert(key, destination.to_owned());
        }
        match file_type {
            FileType::Directory => {
                rustix::fs::mkdirat(CWD, destination, Mode::RWXU).map_err(at_errno(destination))?;
                for child in children(source)? {
                    let child_stat = lstat(&child)?;
                    // Another file system mounted inside (an entry kept
                    // already, a kernel file system) has its data elsewhere.
                    if child_stat.st_dev != self.device {
                        continue;
                    }
                    let name = child.file_name().map(Path::new).unwrap_or(Path::new(""));
                    self.copy_node(&child, &destination.join(name), &child_stat)?;
                }
                copy_metadata(Node::Path(source), Node::Path(destination), stat, file_type)?;
            }
            FileType::RegularFile => {
                self.copy_file(source, destination, stat)?;
            }
            FileType::Symlink => {
                let target =
                    rustix::fs::readlinkat(CWD, source, Vec::new()).map_err(at_errno(source))?;
                rustix::fs::symlinkat(target.as_c_str(), CWD, destination)
                    .map_err(at_errno(destination))?;
                copy_metadata(Node::Path(source), Node::Path(destination), stat, file_type)?;
            }
            FileType::Fifo
            | FileType::CharacterDevice
            | FileType::BlockDevice
            | FileType::Socket
            | FileType::Unknown => {
                rustix::fs::mknodat(
                    CWD,
                    destination,
                    file_type,
                    Mode::RUSR | Mode::WUSR,
                    stat.st_rdev,
                )
                .map_err(at_errno(destination))?;
                copy_metadata(Node::Path(source), Node::Path(destination), stat, file_type)?;
            }
        }
        (self.observer)(self.copied_bytes).map_err(Interrupt::Stopped)
    }

    fn copy_file(
        &mut self,
        source: &Path,
        destination: &Path,
        stat: &Stat,
    ) -> Result<(), Interrupt<E>> {
        let input = open_quietly(source, OFlags::empty())?;
        let output = rustix::fs::open(
            destination,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
            Mode::RUSR | Mode::WUSR,
        )
        .map_err(at_errno(destination))?;
        let length = u64::try_from(stat.st_size).unwrap_or(0);
        let mut position = 0;
        while position < length {
            let Some((start, end)) = next_data(&input, position, length).map_err(at(source))?
            else {
                break;
            };
            let mut offset = start;
            while offset < end {
                let chunk = (end - offset).min(CHUNK_BYTES);
                let copied = self
                    .copy_range(&input, &output, offset, chunk)
                    .map_err(at(destination))?;
                if copied == 0 {
                    // The file shrank while being copied: what is there is copied.
                    break;
                }
                offset += copied;
                self.copied_bytes += copied;
                if offset < end {
                    (self.observer)(self.copied_bytes).map_err(Interrupt::Stopped)?;
                }
            }
            position = end;
        }
        // Sets the size past a trailing hole, which has no data to copy.
        rustix::fs::ftruncate(&output, length).map_err(at_errno(destination))?;
        if length >= EARLY_WRITEBACK_BYTES {
            // Starts writing the copy back now, so that the syncfs at the
            // end of the move waits for less. Only a hint: nothing is
            // lost when it is ignored.
            let _ = rustix::fs::fadvise(&output, 0, None, rustix::fs::Advice::DontNeed);
        }
        copy_metadata(
            Node::Open(&input, source),
            Node::Open(&output, destination),
            stat,
            FileType::RegularFile,
        )?;
        Ok(())
    }

    /// Copies `length` bytes at `offset`: in the kernel when it can (same
    /// file system), through a buffer otherwise (tmpfs to btrfs).
    fn copy_range(
        &mut self,
        input: &OwnedFd,
        output: &OwnedFd,
        offset: u64,
        length: u64,
    ) -> io::Result<u64> {
        let mut from = offset;
        let mut to = offset;
        let wanted = usize::try_from(length).unwrap_or(usize::MAX);
        match rustix::fs::copy_file_range(input, Some(&mut from), output, Some(&mut to), wanted) {
            Ok(copied) => return Ok(copied as u64),
            Err(rustix::io::Errno::XDEV)
            | Err(rustix::io::Errno::NOSYS)
            | Err(rustix::io::Errno::INVAL)
            | Err(rustix::io::Errno::OPNOTSUPP) => {}
            Err(error) => return Err(error.into()),
        }
        if self.buffer.is_empty() {
            self.buffer = vec![0; BUFFER_BYTES];
        }
        let wanted = wanted.min(self.buffer.len());
        let read = rustix::io::pread(input, &mut self.buffer[..wanted], offset)?;
        let mut written = 0;
        while written < read {
            written +=
                rustix::io::pwrite(output, &self.buffer[written..read], offset + written as u64)?;
        }
        Ok(read as u64)
    }
}

/// The next stretch of data at or after `position`, up to its hole, or
/// `None` when only a hole is left. A file system without `SEEK_DATA` is
/// read as all data.
fn next_data(input: &OwnedFd, position: u64, length: u64) -> io::Result<Option<(u64, u64)>> {
    let start = match rustix::fs::seek(input, SeekFrom::Data(position)) {
        Ok(start) => start,
        Err(rustix::io::Errno::NXIO) => return Ok(None),
        Err(rustix::io::Errno::INVAL) => return Ok(Some((position, length))),
        Err(error) => return Err(error.into()),
    };
    let end = match rustix::fs::seek(input, SeekFrom::Hole(start)) {
        Ok(end) => end.min(length),
        Err(rustix::io::Errno::NXIO) => length,
        Err(error) => return Err(error.into()),
    };
    Ok((start < end).then_some((start, end)))
}

/// A node whose metadata is read or set: through the open file for regular
/// files, which spares the path lookups that add up over thousands of
/// files, through its path (never following a symlink) for the rest.
#[derive(Clone, Copy)]
enum Node<'a> {
    Open(&'a OwnedFd, &'a Path),
    Path(&'a Path),
}

impl<'a> Node<'a> {
    fn path(self) -> &'a Path {
        match self {
            Node::Open(_, path) | Node::Path(path) => path,
        }
    }

    fn error(self, errno: rustix::io::Errno) -> CopyError {
        at_errno(self.path())(errno)
    }

    fn list_xattrs(self, list: &mut [u8]) -> rustix::io::Result<usize> {
        match self {
            Node::Open(fd, _) if list.is_empty() => rustix::fs::flistxattr_query(fd),
            Node::Open(fd, _) => rustix::fs::flistxattr(fd, list),
            Node::Path(path) if list.is_empty() => rustix::fs::llistxattr_query(path),
            Node::Path(path) => rustix::fs::llistxattr(path, list),
        }
    }

    fn get_xattr(self, name: &CStr, value: &mut [u8]) -> rustix::io::Result<usize> {
        match self {
            Node::Open(fd, _) if value.is_empty() => rustix::fs::fgetxattr_query(fd, name),
            Node::Open(fd, _) => rustix::fs::fgetxattr(fd, name, value),
            Node::Path(path) if value.is_empty() => rustix::fs::lgetxattr_query(path, name),
            Node::Path(path) => rustix::fs::lgetxattr(path, name, value),
        }
    }

    fn set_xattr(self, name: &CStr, value: &[u8]) -> rustix::io::Result<()> {
        let flags = rustix::fs::XattrFlags::empty();
        match self {
            Node::Open(fd, _) => rustix::fs::fsetxattr(fd, name, value, flags),
            Node::Path(path) => rustix::fs::lsetxattr(path, name, value, flags),
        }
    }

    fn set_owner(self, stat: &Stat) -> rustix::io::Result<()> {
        let owner = Some(Uid::from_raw(stat.st_uid));
        let group = Some(Gid::from_raw(stat.st_gid));
        match self {
            Node::Open(fd, _) => rustix::fs::fchown(fd, owner, group),
            Node::Path(path) => {
                rustix::fs::chownat(CWD, path, owner, group, AtFlags::SYMLINK_NOFOLLOW)
            }
        }
    }

    fn set_mode(self, stat: &Stat) -> rustix::io::Result<()> {
        let mode = Mode::from_raw_mode(stat.st_mode);
        match self {
            Node::Open(fd, _) => rustix::fs::fchmod(fd, mode),
            Node::Path(path) => rustix::fs::chmodat(CWD, path, mode, AtFlags::empty()),
        }
    }

    fn set_times(self, stat: &Stat) -> rustix::io::Result<()> {
        let times = Timestamps {
            last_access: Timespec {
                tv_sec: stat.st_atime,
                tv_nsec: i64::try_from(stat.st_atime_nsec).unwrap_or(0),
            },
            last_modification: Timespec {
                tv_sec: stat.st_mtime,
                tv_nsec: i64::try_from(stat.st_mtime_nsec).unwrap_or(0),
            },
        };
        match self {
            Node::Open(fd, _) => rustix::fs::futimens(fd, &times),
            Node::Path(path) => rustix::fs::utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW),
        }
    }
}

/// Owner first (chown clears set-user-ID bits and capabilities), then
/// extended attributes, then the mode, then the times, which every other
/// change would update.
fn copy_metadata(
    source: Node<'_>,
    copy: Node<'_>,
    stat: &Stat,
    file_type: FileType,
) -> Result<(), CopyError> {
    copy.set_owner(stat).map_err(|errno| copy.error(errno))?;
    copy_xattrs(source, copy)?;
    // A symlink's mode means nothing on Linux and cannot be changed.
    if file_type != FileType::Symlink {
        copy.set_mode(stat).map_err(|errno| copy.error(errno))?;
    }
    copy.set_times(stat).map_err(|errno| copy.error(errno))
}

/// Every extended attribute the caller can read: `user.*`, `security.*`,
/// `trusted.*` for root and the POSIX ACLs.
fn copy_xattrs(source: Node<'_>, copy: Node<'_>) -> Result<(), CopyError> {
    for name in xattr_names(source)? {
        let value = xattr_value(source, &name)?;
        copy.set_xattr(&name, &value).map_err(|errno| CopyError {
            path: copy.path().join(format!("[{}]", name.to_string_lossy())),
            source: errno.into(),
        })?;
    }
    Ok(())
}

fn xattr_names(node: Node<'_>) -> Result<Vec<CString>, CopyError> {
    let list = loop {
        let size = match node.list_xattrs(&mut []) {
            Ok(size) => size,
            Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
            Err(errno) => return Err(node.error(errno)),
        };
        if size == 0 {
            return Ok(Vec::new());
        }
        let mut list = vec![0; size];
        match node.list_xattrs(&mut list) {
            Ok(length) => {
                list.truncate(length);
                break list;
            }
            // Grew in between: ask again.
            Err(rustix::io::Errno::RANGE) => continue,
            Err(errno) => return Err(node.error(errno)),
        }
    };
    Ok(list
        .split(|&byte| byte == 0)
        .filter(|name| !name.is_empty())
        .filter_map(|name| CString::new(name).ok())
        .collect())
}

fn xattr_value(node: Node<'_>, name: &CStr) -> Result<Vec<u8>, CopyError> {
    loop {
        let size = node
            .get_xattr(name, &mut [])
            .map_err(|errno| node.error(errno))?;
        let mut value = vec![0; size];
        if size == 0 {
            return Ok(value);
        }
        match node.get_xattr(name, &mut value) {
            Ok(length) => {
                value.truncate(length);
                return Ok(value);
            }
            Err(rustix::io::Errno::RANGE) => continue,
            Err(errno) => return Err(node.error(errno)),
        }
    }
}
