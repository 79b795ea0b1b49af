// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake scan`: what would be lost at the next boot, largest first.
//!
//! With `--json` it prints the candidates as one JSON array, largest first,
//! as issue 11 specifies it, so that a script reads the list itself:
//!
//! ```json
//! [ { "path": "/var/lib/docker", "owner": "Docker",
//!     "owner_kind": "preset", "preset": "docker", "enabled": true,
//!     "user": null, "bytes": 3200000000, "files": 51234, "ignored": false,
//!     "newest": "2026-11-25T18:02:35Z", "advice": "keep",
//!     "reason": "Images, containers and volumes; …" } ]
//! ```
//!
//! What went wrong on the way (a directory that could not be read, and how
//! many such problems were not listed) is written to standard error, one
//! translated line each, as without `--json`; a scan without problems
//! writes nothing there. The paths skipped on purpose (other file systems,
//! what the configuration keeps, the list in `data/scan/skip.toml`) are not
//! printed: they are expected, and would bury the problems.
//!
//! Candidates the person ignored (the editor's Ignore, or the file of
//! `--ignored-file`) are left out; with `--show-ignored` they are listed
//! with `"ignored": true`.
//!
//! `owner_kind` is `preset` (a catalogue entry; `preset` is its id and
//! `enabled` says whether the scanned system enables it), `user` (an entry
//! of that user's home) or `directory` (nothing known; `owner` is the
//! directory's name). `bytes` are allocated bytes, as `du` counts them.
//!
//! Paths and names that are not UTF-8 are written losslessly: valid UTF-8 is
//! copied, a backslash is doubled (`\` becomes `\\`, in JSON `"\\\\"`) and
//! every other byte, and every ASCII control character, becomes `\xNN` (in
//! JSON `"\\xNN"`). See [`escape_bytes`].

use std::collections::HashSet;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::SecondsFormat;
use clap::Args;
use gettextrs::gettext;
use serde::Serialize;

use crate::catalogue::{Advice, Catalogue};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate, ngettext_f};
use crate::kept::IgnoredPaths;
use crate::nix::persistence_edit::{PersistenceDocument, find_persistence_file};
use crate::scan::{self, Candidate, Owner, Report, ScanOptions, escape_bytes};

/// The exit status clap gives other bad arguments.
const EXIT_USAGE: u8 = 2;
/// `EX_SOFTWARE`: the built-in data is broken.
const EXIT_BROKEN_DATA: u8 = 70;

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Paths that are not UTF-8 are printed losslessly: a backslash is \
doubled (\\ becomes \\\\) and every byte that is not valid UTF-8, and every ASCII control \
character, becomes \\xNN."
)]
pub struct ScanArgs {
    /// The directory standing for `/` of the scanned system (a mounted
    /// system, or a test tree). Only its own file system is walked.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Print JSON for scripts: an array of candidates with path, owner,
    /// bytes (allocated, as du counts them), files, newest (RFC 3339),
    /// advice and reason. Directories that could not be read are reported
    /// on standard error.
    #[arg(long)]
    pub json: bool,
    /// A path the configuration keeps, as the scanned system sees it
    /// (repeatable). Bind mounts of the running system are found without it.
    #[arg(long = "keep", value_name = "PATH")]
    pub kept: Vec<PathBuf>,
    /// A storage root besides /persist, /persistent and /state (repeatable).
    #[arg(long, value_name = "DIR")]
    pub storage_root: Vec<PathBuf>,
    /// The file that sets `environment.persistence`, whose storage roots and
    /// kept paths are not reported. Found from /etc/nixos of the scanned
    /// system when not given.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The file of paths chosen to be ignored (default:
    /// `$XDG_STATE_HOME/keepsake/ignored.json`, as the editor's Ignore).
    #[arg(long, value_name = "FILE")]
    pub ignored_file: Option<PathBuf>,
    /// List ignored candidates too, marked as such.
    #[arg(long)]
    pub show_ignored: bool,
    /// Worker threads (default: one per processor).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

pub fn run(args: ScanArgs) -> ExitCode {
    if let Some(path) =
        (args.kept.iter().chain(&args.storage_root)).find(|path| !path.is_absolute())
    {
        let message = gettext_f(
            "{path}: kept paths and storage roots are absolute paths of the scanned system",
            &[("path", &isolate(&text(path)))],
        );
        return fail(&message, ExitCode::from(EXIT_USAGE));
    }
    let catalogue = match Catalogue::builtin() {
        Ok(catalogue) => catalogue,
        Err(error) => return fail(&error.to_string(), ExitCode::from(EXIT_BROKEN_DATA)),
    };
    let mounts = if scan::is_running_root(&args.root) {
        // Without the mount table, bind mounts from the same file system
        // would be reported; the device check still skips the others.
        scan::running_mounts().unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut kept = args.kept;
    let mut storage_roots = args.storage_root;
    match kept_by_configuration(&args.root, args.config.as_deref()) {
        Ok((roots, paths)) => {
            storage_roots.extend(roots);
            kept.extend(paths);
        }
        Err(problem) => eprintln!(
            "keepsake scan: {}",
            // Translators: {problem} is a full sentence.
            gettext_f(
                "{problem} What the configuration keeps may be listed too; name the file with --config.",
                &[("problem", &problem)],
            )
        ),
    }
    let options = ScanOptions {
        root: args.root.clone(),
        kept,
        mounts,
        storage_roots,
        threads: args.threads,
    };
    let mut report = match scan::scan(&options, &catalogue) {
        Ok(report) => report,
        Err(scan::ScanError::Data(error)) => return fail(&error, ExitCode::from(EXIT_BROKEN_DATA)),
        Err(error) => return fail(&error.to_string(), ExitCode::FAILURE),
    };
    let ignored = ignored_paths(args.ignored_file.as_deref());
    if !args.show_ignored {
        report
            .candidates
            .retain(|candidate| !ignored.is_ignored(&candidate.path));
    }
    let enabled: HashSet<&str> = catalogue
        .enabled(&args.root)
        .into_iter()
        .map(|preset| preset.id.as_str())
        .collect();
    let written = if args.json {
        write_json(&report, &enabled, &ignored)
    } else {
        write_text(&report, &enabled, &ignored)
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string(), ExitCode::FAILURE),
    }
}

/// The storage roots and kept paths of the configuration (`config`, or the
/// file found from `root`'s /etc/nixos); a note to show when there is none
/// to read, since the scan then also lists what the configuration keeps.
fn kept_by_configuration(
    root: &Path,
    config: Option<&Path>,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let file = match config {
        Some(file) => file.to_owned(),
        None => find_persistence_file(root).map_err(|error| error.message())?,
    };
    let text =
        std::fs::read_to_string(&file).map_err(|error| format!("{}: {error}", file.display()))?;
    let document = PersistenceDocument::parse(&text).map_err(|error| {
        format!(
            "{}: {}",
            isolate(&file.display().to_string()),
            error.message()
        )
    })?;
    Ok(document.persistence().kept_paths())
}

/// The ignored paths of `file` or of the default file; a file that cannot
/// be read is reported and taken as empty.
fn ignored_paths(file: Option<&Path>) -> IgnoredPaths {
    let Some(file) = file.map(Path::to_owned).or_else(IgnoredPaths::default_file) else {
        return IgnoredPaths::default();
    };
    IgnoredPaths::load(&file).unwrap_or_else(|error| {
        eprintln!(
            "keepsake scan: {}",
            gettext_f(
                "Cannot read the ignored paths in {file} ({error}); nothing is ignored.",
                &[
                    ("file", &isolate(&text(&file))),
                    ("error", &error.to_string())
                ],
            )
        );
        IgnoredPaths::default()
    })
}

fn fail(message: &str, code: ExitCode) -> ExitCode {
    eprintln!("keepsake scan: {message}");
    code
}

fn text(path: &Path) -> String {
    escape_bytes(path.as_os_str().as_bytes())
}

#[derive(Serialize)]
struct JsonCandidate {
    path: String,
    owner: String,
    owner_kind: &'static str,
    preset: Option<String>,
    enabled: Option<bool>,
    user: Option<String>,
    bytes: u64,
    files: u64,
    /// Listed with --show-ignored although the person ignored it.
    ignored: bool,
    newest: Option<String>,
    advice: Advice,
    reason: String,
}

fn owner_name(owner: &Owner) -> String {
    match owner {
        Owner::Preset { name, .. } => name.clone(),
        Owner::User(name) | Owner::Directory(name) => escape_bytes(name.as_bytes()),
    }
}

fn json_candidate(
    candidate: &Candidate,
    enabled: &HashSet<&str>,
    ignored: &IgnoredPaths,
) -> JsonCandidate {
    let (owner_kind, preset) = match &candidate.owner {
        Owner::Preset { id, .. } => ("preset", Some(id.clone())),
        Owner::User(_) => ("user", None),
        Owner::Directory(_) => ("directory", None),
    };
    JsonCandidate {
        path: text(&candidate.path),
        owner: owner_name(&candidate.owner),
        owner_kind,
        enabled: preset.as_deref().map(|id| enabled.contains(id)),
        preset,
        user: candidate
            .user
            .as_deref()
            .map(|user| escape_bytes(user.as_bytes())),
        bytes: candidate.bytes,
        files: candidate.files,
        ignored: ignored.is_ignored(&candidate.path),
        newest: candidate
            .newest
            .map(|newest| newest.to_rfc3339_opts(SecondsFormat::Secs, true)),
        advice: candidate.advice,
        reason: candidate.reason.clone(),
    }
}

/// The candidates on standard output; the problems on standard error,
/// where they do not break the JSON a script reads.
fn write_json(report: &Report, enabled: &HashSet<&str>, ignored: &IgnoredPaths) -> io::Result<()> {
    let candidates: Vec<JsonCandidate> = report
        .candidates
        .iter()
        .map(|candidate| json_candidate(candidate, enabled, ignored))
        .collect();
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &candidates)?;
    writeln!(stdout)?;
    stdout.flush()?;
    let mut stderr = io::stderr().lock();
    for line in problem_lines(report) {
        writeln!(stderr, "keepsake scan: {line}")?;
    }
    Ok(())
}

/// A line for each directory that could not be read, and one for the
/// problems and skipped paths beyond those the scan keeps a list of.
fn problem_lines(report: &Report) -> Vec<String> {
    let mut lines: Vec<String> = report
        .notes
        .iter()
        .map(|note| format!("{}: {}", text(&note.path), note.message()))
        .collect();
    if report.unlisted > 0 {
        // Translators: {n} is a count; the scan lists at most a thousand problems and skipped paths.
        lines.push(ngettext_f(
            "{n} more problem or skipped path not listed.",
            "{n} more problems or skipped paths not listed.",
            u32::try_from(report.unlisted).unwrap_or(u32::MAX),
            &[],
        ));
    }
    lines
}

fn advice_word(advice: Advice) -> String {
    match advice {
        Advice::Keep => gettext("keep"),
        Advice::Optional => gettext("optional"),
        Advice::Ignore => gettext("ignore"),
    }
}

fn write_text(report: &Report, enabled: &HashSet<&str>, ignored: &IgnoredPaths) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if report.candidates.is_empty() {
        writeln!(
            out,
            "{}",
            gettext("Nothing would be lost at the next reboot.")
        )?;
    }
    for candidate in &report.candidates {
        let owner = match &candidate.owner {
            Owner::Preset { id, name } if enabled.contains(id.as_str()) => {
                // Translators: {name} is the name of a preset, such as “NetworkManager”.
                gettext_f("{name}, enabled", &[("name", name)])
            }
            owner => owner_name(owner),
        };
        let owner = if ignored.is_ignored(&candidate.path) {
            gettext_f("{owner}, ignored", &[("owner", &owner)])
        } else {
            owner
        };
        writeln!(
            out,
            "{:>9}  {:<8}  {}  ({owner})",
            format_size(candidate.bytes),
            advice_word(candidate.advice),
            text(&candidate.path),
        )?;
        let files = ngettext_f(
            "{n} file",
            "{n} files",
            u32::try_from(candidate.files).unwrap_or(u32::MAX),
            &[],
        );
        let newest = candidate
            .newest
            .map(|newest| newest.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        // Translators: {files} is a count such as “3 files”, {newest} a date and time, {reason} a full sentence.
        let details = gettext_f(
            "{files}, changed {newest}. {reason}",
            &[
                ("files", &files),
                ("newest", &newest),
                ("reason", &candidate.reason),
            ],
        );
        writeln!(out, "{:>9}  {details}", "")?;
    }
    let total: u64 = report
        .candidates
        .iter()
        .map(|candidate| candidate.bytes)
        .sum();
    writeln!(
        out,
        "\n{}",
        // Translators: {size} is an amount of data such as “1.2 GB”.
        gettext_f(
            "{size} would be lost at the next reboot.",
            &[("size", &isolate(&format_size(total)))]
        )
    )?;
    for line in problem_lines(report) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
