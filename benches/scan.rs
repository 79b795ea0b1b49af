// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake scan` against `find -xdev -printf '%s\n'` and `du -s` over the
//! same generated trees of 10^4, 10^5 and 10^6 files: wall times (median of
//! three runs, after one unmeasured run that warms the page cache), the
//! processor time (user + system) of the scanner and of find, which other
//! load on the machine inflates less than wall time, and the scanner's peak
//! RSS. Run with
//! `cargo bench --no-default-features --bench scan`; choose sizes with
//! `KEEPSAKE_BENCH_SIZES=4,5`. Trees are made once under
//! `target/tmp/scan-bench` (on disk, not tmpfs) and reused.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::time::TimeVal;

/// Makes this program run one command and report its wall time and peak
/// RSS: with one child only, `RUSAGE_CHILDREN` is that command's.
const MEASURE_FLAG: &str = "--measure-one";
const FILES_PER_DIR: usize = 100;
/// Every this many files has content, the others are empty.
const WITH_CONTENT: usize = 16;
const RUNS: usize = 3;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == MEASURE_FLAG) {
        return measure_here(&args[at + 1..]);
    }
    let sizes: Vec<u32> = env::var("KEEPSAKE_BENCH_SIZES")
        .ok()
        .map(|sizes| {
            sizes
                .split(',')
                .filter_map(|size| size.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![4, 5, 6]);
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-bench");
    let keepsake = env!("CARGO_BIN_EXE_keepsake");
    println!(
        "{:>9}  {:>10}  {:>10}  {:>10}  {:>12}  {:>11}  {:>11}  {:>14}",
        "files", "scanner", "find", "du", "find/scanner", "scanner CPU", "find CPU", "scanner RSS"
    );
    for exponent in sizes {
        let files = 10usize.pow(exponent);
        let tree = base.join(format!("tree-{files}"));
        if let Err(error) = ensure_tree(&tree, files) {
            eprintln!("cannot make {}: {error}", tree.display());
            return ExitCode::FAILURE;
        }
        let tree = tree.to_string_lossy().into_owned();
        let scanner = median(&[keepsake, "scan", "--root", &tree, "--json"]);
        let find = median(&["find", &tree, "-xdev", "-printf", "%s\\n"]);
        let du = median(&["du", "-s", &tree]);
        let (Some(scanner), Some(find), Some(du)) = (scanner, find, du) else {
            return ExitCode::FAILURE;
        };
        println!(
            "{files:>9}  {:>10}  {:>10}  {:>10}  {:>11.2}×  {:>11}  {:>11}  {:>10.1} MiB",
            millis(scanner.wall),
            millis(find.wall),
            millis(du.wall),
            find.wall.as_secs_f64() / scanner.wall.as_secs_f64(),
            millis(scanner.cpu),
            millis(find.cpu),
            scanner.rss_kib as f64 / 1024.0,
        );
    }
    ExitCode::SUCCESS
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Run {
    wall: Duration,
    /// User and system time.
    cpu: Duration,
    rss_kib: u64,
}

/// The median run by wall time, with the largest peak RSS of all runs.
fn median(command: &[&str]) -> Option<Run> {
    measure(command)?;
    let mut runs: Vec<Run> = (0..RUNS).map(|_| measure(command)).collect::<Option<_>>()?;
    let rss_kib = runs.iter().map(|run| run.rss_kib).max()?;
    runs.sort();
    Some(Run {
        rss_kib,
        ..runs[RUNS / 2]
    })
}

fn measure(command: &[&str]) -> Option<Run> {
    let output = Command::new(env::current_exe().ok()?)
        .arg(MEASURE_FLAG)
        .args(command)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<u64> = text
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    match (output.status.success(), fields.as_slice()) {
        (true, &[wall, cpu, rss_kib]) => Some(Run {
            wall: Duration::from_nanos(wall),
            cpu: Duration::from_nanos(cpu),
            rss_kib,
        }),
        _ => {
            eprintln!(
                "{command:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            None
        }
    }
}

/// Runs `command` with its output thrown away; prints its wall and
/// processor time in nanoseconds and its peak RSS in KiB.
fn measure_here(command: &[String]) -> ExitCode {
    let Some((program, args)) = command.split_first() else {
        return ExitCode::FAILURE;
    };
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status();
    let elapsed = start.elapsed();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN);
    match (status, usage) {
        (Ok(status), Ok(usage)) if status.success() => {
            let cpu = duration(usage.user_time()) + duration(usage.system_time());
            println!(
                "{} {} {}",
                elapsed.as_nanos(),
                cpu.as_nanos(),
                usage.max_rss()
            );
            ExitCode::SUCCESS
        }
        (status, usage) => {
            eprintln!("{program}: {status:?} {usage:?}");
            ExitCode::FAILURE
        }
    }
}

fn duration(time: TimeVal) -> Duration {
    let seconds = u64::try_from(time.tv_sec()).unwrap_or(0);
    let micros = u64::try_from(time.tv_usec()).unwrap_or(0);
    Duration::from_secs(seconds) + Duration::from_micros(micros)
}

/// `files` files in 10 services under `var/lib`, [`FILES_PER_DIR`] per
/// directory, two levels of directories below each service.
fn ensure_tree(tree: &Path, files: usize) -> std::io::Result<()> {
    let done = tree.with_extension("complete");
    if done.exists() {
        return Ok(());
    }
    if tree.exists() {
        fs::remove_dir_all(tree)?;
    }
    eprintln!("making {files} files in {} …", tree.display());
    let dirs = files.div_ceil(FILES_PER_DIR);
    let dir_path = |index: usize| -> PathBuf {
        tree.join(format!(
            "var/lib/service-{}/group-{}/dir-{index}",
            index % 10,
            (index / 10) % 100
        ))
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                scope.spawn(move || -> std::io::Result<()> {
                    for index in (worker..dirs).step_by(2) {
                        let dir = dir_path(index);
                        fs::create_dir_all(&dir)?;
                        let first = index * FILES_PER_DIR;
                        for file in first..(first + FILES_PER_DIR).min(files) {
                            let content: &[u8] = if file % WITH_CONTENT == 0 {
                                &[b'x'; 100]
                            } else {
                                b""
                            };
                            fs::write(dir.join(format!("file-{file}")), content)?;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("worker panicked")))
        })
    })?;
    fs::write(done, "")
}
