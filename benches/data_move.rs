// SPDX-License-Identifier: GPL-3.0-or-later
//! Throughput of the safe data move against `cp -a` of the same tree, in
//! the same run, on disk under `target/` (not a tmpfs).
//!
//! `build-aux/dev cargo bench --no-default-features --bench data_move`
//!
//! The move ends with syncfs(2), because the bind mount is about to hide
//! the live copy; `cp -a` does not sync, so it is also timed followed by
//! `sync -f`, which is the like-for-like figure. Each is run several
//! times, alternating, and the median is printed. Goal: at least 0.9 times
//! the speed of `cp -a`.

use std::fs;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use keepsake::apply::DataMove;

const DIRECTORIES: usize = 30;
const SMALL_FILES_PER_DIRECTORY: usize = 100;
const LARGE_FILES: usize = 120;
const LARGE_FILE_BYTES: usize = 2 << 20;
const RUNS: usize = 5;

/// Bytes that do not compress or deduplicate, from a fixed seed.
struct Noise(u64);

impl Noise {
    fn fill(&mut self, buffer: &mut [u8]) {
        for chunk in buffer.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let bytes = self.0.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Thousands of small files in nested directories, a few hundred MB of
/// large ones, some symlinks and hard links.
fn generate(top: &Path) -> (usize, u64) {
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut files = 0;
    let mut bytes = 0u64;
    for d in 0..DIRECTORIES {
        let dir = top.join(format!("dir-{d:02}/sub-{}", d % 4));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..SMALL_FILES_PER_DIRECTORY {
            let mut data = vec![0; 512 + (f * 157) % 16_384];
            noise.fill(&mut data);
            fs::write(dir.join(format!("small-{f:03}")), &data).unwrap();
            files += 1;
            bytes += data.len() as u64;
        }
        std::os::unix::fs::symlink("small-000", dir.join("link")).unwrap();
        fs::hard_link(dir.join("small-001"), dir.join("hard-link")).unwrap();
    }
    let mut data = vec![0; LARGE_FILE_BYTES];
    for l in 0..LARGE_FILES {
        noise.fill(&mut data);
        let path = top.join(format!("dir-{:02}/large-{l:03}.bin", l % DIRECTORIES));
        fs::File::create(path).unwrap().write_all(&data).unwrap();
        files += 1;
        bytes += data.len() as u64;
    }
    (files, bytes)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time(run: impl FnOnce()) -> Duration {
    let start = Instant::now();
    run();
    start.elapsed()
}

fn cp_a(source: &Path, destination: &Path, sync: bool) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(source)
        .arg(destination)
        .status()
        .unwrap();
    assert!(status.success());
    if sync {
        let status = Command::new("sync")
            .arg("-f")
            .arg(destination)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn keepsake_move(source: &Path, destination: &Path) {
    let data_move = DataMove {
        live: source.to_owned(),
        stored: destination.to_owned(),
        conflict: None,
    };
    let prepared = data_move.prepare().unwrap().unwrap();
    prepared
        .run("bench", &mut |_| ControlFlow::Continue(()))
        .unwrap();
}

fn main() {
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data-move");
    let _ = fs::remove_dir_all(&work);
    let source = work.join("live/var/lib/app");
    fs::create_dir_all(&source).unwrap();
    let (files, bytes) = generate(&source);
    let destination = work.join("persist/var/lib/app");
    fs::create_dir_all(destination.parent().unwrap()).unwrap();
    // Everything starts with the tree in the page cache and written back.
    Command::new("sync").status().unwrap();
    let mut cp_times = Vec::new();
    let mut cp_sync_times = Vec::new();
    let mut move_times = Vec::new();
    for _ in 0..RUNS {
        cp_times.push(time(|| cp_a(&source, &destination, false)));
        fs::remove_dir_all(&destination).unwrap();
        Command::new("sync").status().unwrap();
        cp_sync_times.push(time(|| cp_a(&source, &destination, true)));
        fs::remove_dir_all(&destination).unwrap();
        Command::new("sync").status().unwrap();
        move_times.push(time(|| keepsake_move(&source, &destination)));
        fs::remove_dir_all(&destination).unwrap();
        Command::new("sync").status().unwrap();
    }
    let megabytes = bytes as f64 / 1e6;
    let rate = |duration: Duration| megabytes / duration.as_secs_f64();
    let cp = median(cp_times);
    let cp_sync = median(cp_sync_times);
    let moved = median(move_times);
    println!(
        "data_move: {files} files, {megabytes:.0} MB, median of {RUNS} runs, on {}",
        work.display()
    );
    println!(
        "  cp -a            {:>8.3} s  {:>7.1} MB/s",
        cp.as_secs_f64(),
        rate(cp)
    );
    println!(
        "  cp -a && sync -f {:>8.3} s  {:>7.1} MB/s",
        cp_sync.as_secs_f64(),
        rate(cp_sync)
    );
    println!(
        "  keepsake move    {:>8.3} s  {:>7.1} MB/s  ({:.2}x cp -a, {:.2}x cp -a && sync -f)",
        moved.as_secs_f64(),
        rate(moved),
        cp.as_secs_f64() / moved.as_secs_f64(),
        cp_sync.as_secs_f64() / moved.as_secs_f64()
    );
    let _ = fs::remove_dir_all(&work);
}
