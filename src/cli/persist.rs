// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake persist list|add|remove|apply|orphans|init`: read and edit what an
//! installed system keeps, in the person's own configuration file, and
//! apply the edits.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use gettextrs::gettext;

use crate::apply::{
    self, Activation, ApplyEvent, ApplyRequest, ConflictChoice, read_baseline, record_baseline,
};
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate};
use crate::install::{CancelFlag, ToolDirs};
use crate::kept::{Protected, SystemView, find_orphans};
use crate::nix::persistence_edit::{
    EditError, EntryKind, EntryLists, LocateError, NewEntry, Persistence, PersistenceDocument,
    Target, find_persistence_file, plan_new_module_for_system, write_atomically,
};

/// The file cannot be parsed (sysexits' `EX_DATAERR`).
const EXIT_UNPARSABLE: u8 = 65;
const EXIT_REFUSED: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Args)]
pub struct PersistArgs {
    #[command(subcommand)]
    pub command: PersistCommand,
}

#[derive(Debug, Subcommand)]
pub enum PersistCommand {
    /// List every kept directory and file, by storage root.
    List(ListArgs),
    /// Keep one more directory or file.
    Add(EditArgs),
    /// Stop keeping a directory or file; its stored data stays.
    Remove(EditArgs),
    /// Apply the edits made since the last apply (as root): copy the live
    /// data of new entries to storage, then `nixos-rebuild test` and
    /// `switch`; a failed test puts the file back as it was.
    Apply(ApplyArgs),
    /// List data in the storage roots that no entry keeps any more, with
    /// its size. Nothing is deleted.
    Orphans(OrphansArgs),
    /// When no file defines environment.persistence: write a
    /// persistence.nix next to configuration.nix and import it.
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The storage root the new file keeps things in.
    #[arg(long, value_name = "ROOT", default_value = "/persist")]
    pub storage: String,
    /// The directory standing for `/` of the system.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Print the changes as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct OrphansArgs {
    /// The file to read instead of the one `/etc/nixos` imports.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The directory standing for `/` of the system (a mounted system, or
    /// a test tree).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Print JSON for scripts: `{"uncertain": BOOL, "orphans": [{"path":
    /// PATH, "storage": ROOT, "bytes": N}]}`, bytes allocated as du counts
    /// them.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Make the new system the boot default now (the default).
    #[arg(long, conflicts_with = "boot")]
    pub switch: bool,
    /// Make the new system the boot default from the next boot only.
    #[arg(long)]
    pub boot: bool,
    /// The file to apply instead of the one `/etc/nixos` imports.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The live root, `/` unless testing on a scratch tree.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// When the storage root already holds data at a new entry's path:
    /// which copy stays in place (the other is kept as a dated backup).
    #[arg(long, value_name = "CHOICE")]
    pub on_conflict: Option<ConflictArg>,
    /// Print the progress events as JSON lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConflictArg {
    KeepStored,
    KeepLive,
}

impl From<ConflictArg> for ConflictChoice {
    fn from(choice: ConflictArg) -> Self {
        match choice {
            ConflictArg::KeepStored => ConflictChoice::KeepStored,
            ConflictArg::KeepLive => ConflictChoice::KeepLive,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The file to read instead of the one `/etc/nixos` imports.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Absolute, or relative to the home directory with --user.
    pub path: String,
    /// A file rather than a directory.
    #[arg(long)]
    pub file: bool,
    /// An entry of this user's home directory.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The storage root, when the file has several.
    #[arg(long, value_name = "ROOT")]
    pub storage: Option<String>,
    /// Octal mode of the directory (of a file's parent directory).
    #[arg(long, value_name = "M")]
    pub mode: Option<String>,
    /// Owner of the directory (of a file's parent directory).
    #[arg(long, value_name = "U")]
    pub owner: Option<String>,
    /// Group of the directory (of a file's parent directory).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// The file to edit instead of the one `/etc/nixos` imports.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the change as a unified diff and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl EditArgs {
    fn target(&self) -> Target {
        Target {
            kind: if self.file {
                EntryKind::File
            } else {
                EntryKind::Directory
            },
            path: self.path.clone(),
            user: self.user.clone(),
            storage: self.storage.clone(),
        }
    }
}

pub fn run(args: PersistArgs) -> ExitCode {
    let result = match args.command {
        PersistCommand::List(args) => list(&args),
        PersistCommand::Add(args) => edit(&args, Operation::Add),
        PersistCommand::Remove(args) => edit(&args, Operation::Remove),
        PersistCommand::Apply(args) => apply_edits(&args),
        PersistCommand::Orphans(args) => orphans(&args),
        PersistCommand::Init(args) => init(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("keepsake persist: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn refused(message: String) -> Self {
        Self {
            code: EXIT_REFUSED,
            message,
        }
    }

    fn in_file(file: &Path, error: EditError) -> Self {
        let code = match error {
            EditError::Parse { .. } => EXIT_UNPARSABLE,
            _ => EXIT_REFUSED,
        };
        Self {
            code,
            message: format!(
                "{}: {}",
                isolate(&file.display().to_string()),
                error.message()
            ),
        }
    }
}

impl From<LocateError> for Failure {
    fn from(error: LocateError) -> Self {
        let code = match error {
            LocateError::Parse { .. } => EXIT_UNPARSABLE,
            LocateError::NotFound { .. } => EXIT_REFUSED,
        };
        Self {
            code,
            message: error.message(),
        }
    }
}

fn open(config: Option<&Path>) -> Result<(PathBuf, PersistenceDocument), Failure> {
    open_in(config, Path::new("/"))
}

/// The file `config` names, or the one the configuration below `root`
/// imports.
fn open_in(config: Option<&Path>, root: &Path) -> Result<(PathBuf, PersistenceDocument), Failure> {
    let file = match config {
        Some(file) => file.to_owned(),
        None => find_persistence_file(root)?,
    };
    let text = std::fs::read_to_string(&file).map_err(|error| {
        Failure::refused(gettext_f(
            "Cannot read {file}: {error}",
            &[
                ("file", &isolate(&file.display().to_string())),
                ("error", &error.to_string()),
            ],
        ))
    })?;
    let document = PersistenceDocument::parse(&text).map_err(|e| Failure::in_file(&file, e))?;
    Ok((file, document))
}

fn init(args: &InitArgs) -> Result<(), Failure> {
    match find_persistence_file(&args.root) {
        Ok(file) => {
            return Err(Failure::refused(gettext_f(
                "{file} defines environment.persistence already.",
                &[("file", &isolate(&file.display().to_string()))],
            )));
        }
        Err(LocateError::NotFound { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    let plan = plan_new_module_for_system(&args.root, &args.storage)
        .map_err(|error| Failure::refused(error.message()))?;
    if args.dry_run {
        let _ = io::stdout().write_all(plan.diff().as_bytes());
        return Ok(());
    }
    plan.write()
        .map_err(|error| Failure::refused(error.message()))?;
    println!(
        "{}",
        gettext_f(
            "Wrote {file} and imported it from {importer}.",
            &[
                ("file", &isolate(&plan.file.display().to_string())),
                ("importer", &plan.importer.display().to_string()),
            ],
        )
    );
    Ok(())
}

fn orphans(args: &OrphansArgs) -> Result<(), Failure> {
    let (_, document) = open_in(args.config.as_deref(), &args.root)?;
    let view = SystemView::new(&args.root, Vec::new());
    let protected = Protected::new(document.persistence(), &view);
    let found = find_orphans(&protected, &view);
    let output = if args.json {
        let orphans: Vec<serde_json::Value> = found
            .orphans
            .iter()
            .map(|orphan| {
                serde_json::json!({
                    "path": orphan.path.to_string_lossy(),
                    "storage": orphan.storage.to_string_lossy(),
                    "bytes": orphan.bytes,
                })
            })
            .collect();
        format!(
            "{}\n",
            serde_json::json!({ "uncertain": found.uncertain, "orphans": orphans })
        )
    } else {
        let mut text = String::new();
        if found.orphans.is_empty() {
            text.push_str(&gettext("No orphans: every stored path is kept."));
            text.push('\n');
        }
        for orphan in &found.orphans {
            text.push_str(&format!(
                "{}\t{}\n",
                format_size(orphan.bytes),
                orphan.path.display()
            ));
        }
        if found.uncertain {
            text.push_str(&gettext(
                "Some entries are computed, so some of these may be kept after all.",
            ));
            text.push('\n');
        }
        text
    };
    let _ = io::stdout().write_all(output.as_bytes());
    Ok(())
}

fn list(args: &ListArgs) -> Result<(), Failure> {
    let (file, document) = open(args.config.as_deref())?;
    let persistence = document.persistence();
    let output = if args.json {
        format!("{}\n", persistence.to_json(&file))
    } else {
        describe(&file, persistence)
    };
    // A closed pipe (`| head`) is not the file's fault.
    let _ = io::stdout().write_all(output.as_bytes());
    Ok(())
}

/// The human-readable listing.
fn describe(file: &Path, persistence: &Persistence) -> String {
    let mut text = format!("{}\n", file.display());
    for storage in &persistence.storages {
        if storage.enable == Some(false) {
            text.push_str(&format!(
                "\n{}\n",
                // Translators: {root} is the path of a storage root, such as /persist, whose configuration is switched off.
                gettext_f("{root} (disabled)", &[("root", &isolate(&storage.root))])
            ));
        } else {
            text.push_str(&format!("\n{}\n", storage.root));
        }
        describe_lists(&mut text, "  ", &storage.entries);
        for user in &storage.users {
            text.push_str(&format!(
                "  {}\n",
                gettext_f("user {name}:", &[("name", &user.name)])
            ));
            describe_lists(&mut text, "    ", &user.entries);
        }
    }
    if persistence.is_computed() {
        text.push_str(&format!(
            "\n{}\n",
            gettext("Read-only (not written as literals):")
        ));
        for computed in &persistence.computed {
            text.push_str(&format!(
                "  {}\n",
                // Translators: {place} is a Nix attribute path; {reason} completes “cannot be edited because …” (an “it …” text).
                gettext_f(
                    "line {line}: {place}: {reason}",
                    &[
                        ("line", &computed.line.to_string()),
                        ("place", &isolate(&computed.place)),
                        ("reason", &computed.reason.message()),
                    ],
                )
            ));
        }
    }
    text
}

fn describe_lists(text: &mut String, indent: &str, lists: &EntryLists) {
    for entry in lists.iter() {
        let marker = match entry.kind {
            EntryKind::Directory => "d",
            EntryKind::File => "f",
        };
        text.push_str(&format!("{indent}{marker} {}\n", entry.path));
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Add,
    Remove,
}

fn edit(args: &EditArgs, operation: Operation) -> Result<(), Failure> {
    let attributes_given = args.mode.is_some() || args.owner.is_some() || args.group.is_some();
    if operation == Operation::Remove && attributes_given {
        return Err(Failure {
            code: EXIT_USAGE,
            message: gettext("--mode, --owner and --group only apply to “add”."),
        });
    }
    let (file, document) = open(args.config.as_deref())?;
    let edit = match operation {
        Operation::Add => document.add(&NewEntry {
            target: args.target(),
            owner: args.owner.clone(),
            group: args.group.clone(),
            mode: args.mode.clone(),
        }),
        Operation::Remove => document.remove(&args.target()),
    }
    .map_err(|error| Failure::in_file(&file, error))?;
    if args.dry_run {
        let name = file.display().to_string();
        let diff = similar::TextDiff::from_lines(document.text(), &edit.text)
            .unified_diff()
            .header(&name, &name)
            .to_string();
        let _ = io::stdout().write_all(diff.as_bytes());
        eprintln!("{}", edit.change.describe());
        return Ok(());
    }
    // The file as the running system was built from it, so that `apply`
    // knows every edit since.
    record_baseline(&file).map_err(|error| {
        Failure::refused(gettext_f(
            "Cannot record the applied version of {file}: {error}",
            &[
                ("file", &isolate(&file.display().to_string())),
                ("error", &error.to_string()),
            ],
        ))
    })?;
    write_atomically(&file, &edit.text).map_err(|error| {
        Failure::refused(gettext_f(
            "Cannot write {file}: {error}",
            &[
                ("file", &isolate(&file.display().to_string())),
                ("error", &error.to_string()),
            ],
        ))
    })?;
    println!("{}", edit.change.describe());
    Ok(())
}

fn apply_edits(args: &ApplyArgs) -> Result<(), Failure> {
    if !rustix::process::geteuid().is_root() {
        return Err(Failure::refused(gettext(
            "Applying needs root; nothing was changed.",
        )));
    }
    let (file, document) = open_in(args.config.as_deref(), &args.root)?;
    let previous = read_baseline(&file, document.text()).map_err(|error| {
        Failure::refused(gettext_f(
            "Cannot read the applied version of {file}: {error}",
            &[
                ("file", &isolate(&file.display().to_string())),
                ("error", &error.to_string()),
            ],
        ))
    })?;
    let request = ApplyRequest {
        file,
        previous,
        new_text: document.text().to_owned(),
        live_root: args.root.clone(),
        conflict: args.on_conflict.map(ConflictChoice::from),
        activation: if args.boot {
            Activation::Boot
        } else {
            Activation::Switch
        },
    };
    let cancel = CancelFlag::new();
    cancel
        .raise_on_termination_signals()
        .map_err(|error| Failure::refused(error.to_string()))?;
    let json = args.json;
    let result = apply::apply(&request, &ToolDirs::system(), &cancel, &mut |event| {
        print_event(event, json)
    });
    match result {
        Ok(_) => Ok(()),
        Err(failure) if failure.conflict => Err(Failure::refused(format!(
            "{}\n{}",
            failure.detail,
            gettext("Run again with --on-conflict keep-stored or --on-conflict keep-live.")
        ))),
        Err(failure) => Err(Failure::refused(failure.state.sentence())),
    }
}

fn print_event(event: &ApplyEvent, json: bool) {
    let text = if json {
        event.to_json_line()
    } else {
        match event {
            ApplyEvent::Started { number, title, .. } => {
                format!("[{number}/{}] {title}\n", apply::ApplyStep::ALL.len())
            }
            ApplyEvent::Log { line, .. } => format!("  {line}\n"),
            ApplyEvent::Failed {
                message, detail, ..
            } => format!("{message}\n  {detail}\n"),
            ApplyEvent::Cancelled { .. } => format!("{}\n", gettext("Cancelled.")),
            ApplyEvent::Completed { .. } => format!("{}\n", gettext("Applied.")),
            ApplyEvent::Progress { .. }
            | ApplyEvent::Finished { .. }
            | ApplyEvent::Stopped { .. } => String::new(),
        }
    };
    // A closed pipe must not stop an apply half-way.
    let _ = io::stdout().write_all(text.as_bytes());
}
