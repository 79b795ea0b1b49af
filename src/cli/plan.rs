// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake plan`, `keepsake check` and `keepsake render`: write an example
//! plan, validate one, and turn one into the Nix files the installer writes.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use gettextrs::gettext;
use zeroize::Zeroizing;

use crate::i18n::{gettext_f, isolate};
use crate::nix::{self, DiskIds};
use crate::plan::{ImpermanenceSource, Password, Plan, Secret, shown};

/// Exit status for input that could not be read at all (sysexits'
/// `EX_DATAERR`), apart from a readable plan with problems (1).
const EXIT_UNREADABLE: u8 = 65;

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Print the recipe's layout: LUKS2, btrfs subvolumes nix, home, persist
    /// and nixos-config, a tmpfs root.
    #[arg(long, required = true)]
    pub example: bool,
}

/// Where a plan and its passwords come from.
#[derive(Debug, Clone, Args)]
pub struct PlanInput {
    /// The plan as JSON (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Passwords as `user:password` lines (`root` for root; `-` for stdin).
    /// They are hashed right away; never pass passwords as arguments.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: PlanInput,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["out", "print"])))]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: PlanInput,
    /// Write the files into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into a directory that is not empty, replacing files of the
    /// same names.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Print the files to stdout instead.
    #[arg(long)]
    pub print: bool,
    /// Also export the disk layout as a disko configuration (disko.nix).
    #[arg(long)]
    pub disko: bool,
    /// The ESP's volume ID, once the disk is formatted.
    #[arg(long, value_name = "UUID", requires = "root_uuid")]
    pub esp_uuid: Option<String>,
    /// The LUKS container's UUID (the btrfs UUID without encryption).
    #[arg(long, value_name = "UUID", requires = "esp_uuid")]
    pub root_uuid: Option<String>,
}

pub fn run_plan(args: PlanArgs) -> ExitCode {
    debug_assert!(args.example);
    match Plan::example().to_json() {
        Ok(json) => write_stdout(&json),
        Err(error) => fail(&error.to_string(), ExitCode::FAILURE),
    }
}

pub fn run_check(args: CheckArgs) -> ExitCode {
    let plan = match read_plan(&args.input) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    match plan.validate() {
        Ok(()) => {
            println!("{}", gettext("The plan is valid."));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            print_problems(&errors, &mut io::stdout());
            ExitCode::FAILURE
        }
    }
}

pub fn run_render(args: RenderArgs) -> ExitCode {
    let mut plan = match read_plan(&args.input) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    // Validated before hashing: a hash no longer shows that the password
    // was empty.
    if let Err(errors) = plan.validate() {
        print_problems(&errors, &mut io::stderr());
        return ExitCode::FAILURE;
    }
    if let Err(error) = plan.hash_passwords() {
        return fail(&error.to_string(), ExitCode::FAILURE);
    }
    let ids = match (args.esp_uuid, args.root_uuid) {
        (Some(esp_uuid), Some(root_uuid)) => DiskIds {
            esp_uuid,
            root_uuid,
        },
        _ => {
            eprintln!(
                "{}",
                gettext(
                    "No disk is formatted yet: the files contain placeholder UUIDs (KEEPSAKE-PLACEHOLDER-…)."
                )
            );
            DiskIds::placeholders()
        }
    };
    let mut files = match nix::render(&plan, &ids) {
        Ok(files) => files,
        Err(error) => return fail(&error.to_string(), ExitCode::FAILURE),
    };
    if args.disko {
        files.push(nix::GeneratedFile {
            path: nix::disko::FILE.to_owned(),
            contents: nix::disko::render(&plan),
        });
    }
    match args.out {
        None => {
            let mut text = String::new();
            for file in &files {
                text.push_str(&format!("==> {} <==\n{}\n", file.path, file.contents));
            }
            write_stdout(&text)
        }
        Some(out) => {
            match write_files(&out, &files, args.force).and_then(|()| write_vendored(&out, &plan)) {
                Ok(()) => {
                    if !nix::password_files(&plan).unwrap_or_default().is_empty() {
                        eprintln!(
                            "{}",
                            gettext_f(
                                "Password hashes are not in these files; the installer writes them to {path}.",
                                &[(
                                    "path",
                                    &isolate(&format!("{}/passwords/", plan.persistence.path))
                                )],
                            )
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(message) => fail(&message, ExitCode::FAILURE),
            }
        }
    }
}

fn write_files(out: &Path, files: &[nix::GeneratedFile], force: bool) -> Result<(), String> {
    let describe = |error: io::Error| format!("{}: {error}", out.display());
    match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() && !force {
                return Err(gettext_f(
                    "{dir} is not empty. Use --force to replace the generated files in it.",
                    &[("dir", &isolate(&out.display().to_string()))],
                ));
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(out).map_err(describe)?;
        }
        Err(error) => return Err(describe(error)),
    }
    for file in files {
        let path = out.join(&file.path);
        fs::write(&path, &file.contents).map_err(|error| format!("{}: {error}", path.display()))?;
    }
    Ok(())
}

/// The impermanence copy the files import by path, as the installer
/// writes it.
fn write_vendored(out: &Path, plan: &Plan) -> Result<(), String> {
    if plan.impermanence != ImpermanenceSource::Vendored {
        return Ok(());
    }
    let entries = nix::vendored::entries().map_err(|error| error.to_string())?;
    for entry in entries {
        let path = out.join(&entry.path);
        let describe = |error: io::Error| format!("{}: {error}", path.display());
        match entry.contents {
            None => fs::create_dir_all(&path).map_err(describe)?,
            Some(contents) => fs::write(&path, contents).map_err(describe)?,
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(entry.mode)).map_err(describe)?;
    }
    Ok(())
}

/// Reads the plan and merges in the passwords, still in clear text. On
/// failure the message is already printed.
fn read_plan(input: &PlanInput) -> Result<Plan, ExitCode> {
    let is_stdin = |path: &Path| path == Path::new("-");
    if is_stdin(&input.plan) && input.password_file.as_deref().is_some_and(is_stdin) {
        return Err(fail(
            &gettext("The plan and the passwords cannot both come from stdin."),
            ExitCode::from(2),
        ));
    }
    let json = read_input(&input.plan).map_err(|error| {
        fail(
            &format!("{}: {error}", input.plan.display()),
            ExitCode::from(EXIT_UNREADABLE),
        )
    })?;
    let mut plan = Plan::from_json(&json).map_err(|error| {
        fail(
            &format!("{}: {error}", input.plan.display()),
            ExitCode::from(EXIT_UNREADABLE),
        )
    })?;
    for field in plan.clear_text_secrets() {
        eprintln!(
            "keepsake: {}",
            gettext_f(
                "warning: {field} is clear text in {file}, where anyone who can read the file can read it. Remove it and give it with --password-file (passwords) or when installing (the passphrase).",
                &[
                    ("field", field.as_str()),
                    ("file", &isolate(&input.plan.display().to_string()))
                ],
            )
        );
    }
    if let Some(path) = &input.password_file {
        let text = read_input(path).map_err(|error| {
            fail(
                &format!("{}: {error}", path.display()),
                ExitCode::from(EXIT_UNREADABLE),
            )
        })?;
        apply_passwords(&mut plan, &text).map_err(|message| {
            fail(
                &format!("{}: {message}", path.display()),
                ExitCode::from(EXIT_UNREADABLE),
            )
        })?;
    }
    Ok(plan)
}

fn read_input(path: &Path) -> io::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    if path == Path::new("-") {
        io::stdin().read_to_string(&mut text)?;
    } else {
        fs::File::open(path)?.read_to_string(&mut text)?;
    }
    Ok(text)
}

/// Applies `user:password` lines (the format of chpasswd(8)).
fn apply_passwords(plan: &mut Plan, text: &str) -> Result<(), String> {
    for (index, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let line_number = (index + 1).to_string();
        let Some((name, password)) = line.split_once(':') else {
            return Err(gettext_f(
                "line {line}: expected “user:password”.",
                &[("line", &line_number)],
            ));
        };
        let password = Password::Clear(Secret::new(password.to_owned()));
        if name == "root" {
            plan.root_password = Some(password);
        } else if let Some(user) = plan.users.iter_mut().find(|user| user.name == name) {
            user.password = Some(password);
        } else {
            return Err(gettext_f(
                "line {line}: the plan has no user “{user}”.",
                &[("line", &line_number), ("user", &shown(name))],
            ));
        }
    }
    Ok(())
}

/// Each problem in words, with the field's path in the plan file after it
/// for whoever edits the JSON.
fn print_problems(errors: &[crate::plan::ValidationError], out: &mut dyn Write) {
    for error in errors {
        let _ = writeln!(out, "{error} ({})", error.field);
    }
}

fn write_stdout(text: &str) -> ExitCode {
    match io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string(), ExitCode::FAILURE),
    }
}

fn fail(message: &str, code: ExitCode) -> ExitCode {
    eprintln!("keepsake: {message}");
    code
}
