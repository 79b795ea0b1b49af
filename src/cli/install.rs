// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake install`: the install engine without the GUI, for scripted
//! installs and the VM tests.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use gettextrs::gettext;
use zeroize::Zeroizing;

use crate::i18n::{gettext_f, isolate};
use crate::install::{self, CancelFlag, Event, InstallOptions, StepId};
use crate::plan::{FieldPath, Password, Plan, Problem, Secret, ValidationError, shown};

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The plan, as `keepsake plan` or the GUI saved it.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The /dev/disk/by-id path of the plan's disk, typed out as the
    /// confirmation that it may be erased.
    #[arg(long, value_name = "BY-ID-PATH")]
    pub confirm: String,
    /// Read the LUKS passphrase from this file (`-` for standard input),
    /// never from the command line or the environment.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Also add the key in this file (`-` for standard input) in a second
    /// LUKS key slot, to unlock the disk when the passphrase is forgotten.
    #[arg(long, value_name = "FILE")]
    pub recovery_key_file: Option<PathBuf>,
    /// USER=FILE: read USER's password from FILE (`-` for standard input).
    #[arg(long, value_name = "USER=FILE")]
    pub user_password: Vec<String>,
    /// Print the progress events as JSON lines on stdout.
    #[arg(long)]
    pub json: bool,
    /// Where the new system is assembled.
    #[arg(long, value_name = "DIR", default_value = "/run/keepsake/target")]
    pub target: PathBuf,
    /// For tests: step N does its work, then fails.
    #[arg(long, value_name = "N", hide = true)]
    pub fail_after_step: Option<usize>,
}

pub fn run(args: InstallArgs) -> ExitCode {
    match prepare(&args) {
        Ok((plan, options)) => execute(&plan, &options, args.json),
        Err(error) => {
            eprintln!("keepsake install: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn prepare(args: &InstallArgs) -> anyhow::Result<(Plan, InstallOptions)> {
    let json = fs::read_to_string(&args.plan).with_context(|| {
        gettext_f(
            "cannot read {path}",
            &[("path", &isolate(&args.plan.display().to_string()))],
        )
    })?;
    let mut plan = Plan::from_json(&json)?;
    let Some(disk) = &plan.disk else {
        bail!(gettext_f("the plan names no disk", &[]));
    };
    if args.confirm != disk.by_id_path {
        bail!(gettext_f(
            "--confirm {given} does not name the plan's disk {disk}; nothing was written",
            &[
                ("given", &shown(&args.confirm)),
                ("disk", &isolate(&shown(&disk.by_id_path)))
            ],
        ));
    }
    let mut stdin_used = false;
    if let Some(path) = &args.passphrase_file {
        let passphrase = read_secret(path, &mut stdin_used)?;
        refuse_empty(
            &passphrase,
            ValidationError::new(
                FieldPath::new("encryption.passphrase"),
                Problem::PassphraseEmpty,
                &plan,
            ),
        )?;
        plan.encryption.passphrase = Some(Secret::new(passphrase.to_string()));
    }
    if let Some(path) = &args.recovery_key_file {
        let key = read_secret(path, &mut stdin_used)?;
        if key.is_empty() {
            bail!(gettext_f(
                "the recovery key in {path} is empty; nothing was written",
                &[("path", &path.display().to_string())]
            ));
        }
        plan.encryption.recovery_key = true;
        plan.encryption.recovery_key_secret = Some(Secret::new(key.to_string()));
    }
    for assignment in &args.user_password {
        let Some((name, path)) = assignment.split_once('=') else {
            bail!(gettext_f(
                "--user-password wants USER=FILE, not {given}",
                &[("given", &shown(assignment))]
            ));
        };
        let password = read_secret(Path::new(path), &mut stdin_used)?;
        let Some(index) = plan.users.iter().position(|user| user.name == name) else {
            bail!(gettext_f(
                "the plan has no user {name}",
                &[("name", &shown(name))]
            ));
        };
        let field = FieldPath::new("users").index(index).field("password");
        refuse_empty(
            &password,
            ValidationError::new(field, Problem::PasswordEmpty, &plan),
        )?;
        plan.users[index].password = Some(Password::Clear(Secret::new(password.to_string())));
    }
    if !rustix::process::geteuid().is_root() {
        bail!(gettext_f("installing needs root; nothing was written", &[]));
    }
    let fail_after_step = match args.fail_after_step {
        Some(number) => Some(StepId::from_number(number).with_context(|| {
            gettext_f(
                "there is no step {number}",
                &[("number", &number.to_string())],
            )
        })?),
        None => None,
    };
    let options = InstallOptions {
        target: args.target.clone(),
        fail_after_step,
        ..InstallOptions::default()
    };
    Ok((plan, options))
}

/// Checked as read: once hashed, an empty password looks like any other.
fn refuse_empty(secret: &str, error: ValidationError) -> anyhow::Result<()> {
    if secret.is_empty() {
        bail!("{error} {}", gettext("Nothing was written to the disk."));
    }
    Ok(())
}

/// The first line of a file or of standard input (only once).
fn read_secret(path: &Path, stdin_used: &mut bool) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    if path == Path::new("-") {
        if *stdin_used {
            bail!(gettext_f("standard input can give only one secret", &[]));
        }
        *stdin_used = true;
        io::stdin().read_line(&mut text)?;
    } else {
        fs::File::open(path)
            .and_then(|mut file| file.read_to_string(&mut text))
            .with_context(|| {
                gettext_f(
                    "cannot read {path}",
                    &[("path", &isolate(&path.display().to_string()))],
                )
            })?;
        let first_line_end = text.find('\n').unwrap_or(text.len());
        text.truncate(first_line_end);
    }
    let without_newline = text.trim_end_matches(['\n', '\r']).len();
    text.truncate(without_newline);
    Ok(text)
}

fn execute(plan: &Plan, options: &InstallOptions, json: bool) -> ExitCode {
    let cancel = CancelFlag::new();
    if let Err(error) = cancel.raise_on_termination_signals() {
        eprintln!("keepsake install: {error}");
        return ExitCode::FAILURE;
    }
    let mut stdout = io::stdout().lock();
    let mut emit = |event: Event| {
        let text = if json {
            event.to_json_line()
        } else {
            human_line(&event)
        };
        // A closed stdout must not stop the cleanup.
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
    };
    match install::install_with_udisks(plan, options, &cancel, &mut emit) {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

fn human_line(event: &Event) -> String {
    match event {
        Event::Started { number, title, .. } => {
            format!("[{number}/{}] {title}\n", StepId::ALL.len())
        }
        Event::Progress { .. } => String::new(),
        Event::Log { line, .. } => format!("    {line}\n"),
        Event::Finished { seconds, .. } => format!("    ({seconds:.1} s)\n"),
        Event::Failed {
            message, detail, ..
        } => format!("{message}\n    {detail}\n"),
        Event::Cancelled { .. } => format!("{}\n", gettext_f("Cancelled.", &[])),
        Event::Stopped { disk_state } => format!("{disk_state}\n"),
        Event::Completed { seconds } => format!(
            "{}\n",
            // Translators: {seconds} is the number of seconds the installation took; “s” is the unit symbol.
            gettext_f(
                "NixOS is installed ({seconds} s).",
                &[("seconds", &format!("{seconds:.0}"))]
            )
        ),
    }
}
