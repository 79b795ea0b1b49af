// SPDX-License-Identifier: GPL-3.0-or-later
//! `persistence.nix`: the impermanence module, pinned, and what it keeps.
//! Keepsake's persistence editor reads this file back.

use super::header;
use super::vendored;
use super::writer::{Attrs, File, Value};
use crate::plan::{ImpermanenceSource, PersistentDirectory, Plan};

/// The impermanence revision the generated configuration imports.
pub const IMPERMANENCE_REVISION: &str = "7b1d382faf603b6d264f58627330f9faa5cba149";
/// `nix-hash --type sha256 --base32` of that revision's unpacked source.
pub const IMPERMANENCE_SHA256: &str = "1iip4kjrk09mnha9jhafvcg61g1d0g6pqnljzdp08zz6zk38jzyk";
pub const IMPERMANENCE_URL: &str = "https://github.com/nix-community/impermanence/archive/7b1d382faf603b6d264f58627330f9faa5cba149.tar.gz";

pub fn render(plan: &Plan) -> String {
    let persistence = &plan.persistence;
    let (bindings, module) = match plan.impermanence {
        ImpermanenceSource::Vendored => (
            Vec::new(),
            Value::Raw(format!("./{}/nixos.nix", vendored::DIRECTORY)),
        ),
        ImpermanenceSource::Fetch => {
            let mut fetch = Attrs::new();
            fetch
                .set(["url"], IMPERMANENCE_URL)
                .set(["sha256"], IMPERMANENCE_SHA256);
            let impermanence = Value::Raw(format!(
                "builtins.fetchTarball {}",
                print_inline_attrs(&fetch)
            ));
            (
                vec![("impermanence".to_owned(), impermanence)],
                Value::Raw("\"${impermanence}/nixos.nix\"".to_owned()),
            )
        }
    };

    let mut store = Attrs::new();
    store
        .set(["hideMounts"], persistence.hide_mounts)
        .set(
            ["directories"],
            Value::List(
                persistence
                    .directories
                    .iter()
                    .chain(&plan.persisted_homes())
                    .map(directory)
                    .collect(),
            ),
        )
        .set(["files"], Value::strings(&persistence.files));
    // Each erased home with what `every_home` adds to its own entries;
    // homes kept whole need neither.
    for home in &plan.kept_in_homes() {
        let mut entries = Attrs::new();
        entries
            .set(
                ["directories"],
                Value::List(home.directories.iter().map(directory).collect()),
            )
            .set(["files"], Value::strings(&home.files));
        store.set(["users", &home.user], entries);
    }

    let mut body = Attrs::new();
    body.set(["imports"], Value::List(vec![module]))
        .blank_line()
        .set(["environment", "persistence", &persistence.path], store);

    File {
        arguments: Vec::new(),
        header: header(
            &match plan.impermanence {
                ImpermanenceSource::Vendored => format!(
                    "What survives a reboot: everything else on / is wiped.\n\
                     The impermanence module is the copy in ./{}, revision\n\
                     {IMPERMANENCE_REVISION}.",
                    vendored::DIRECTORY
                ),
                ImpermanenceSource::Fetch => {
                    "What survives a reboot: everything else on / is wiped.".to_owned()
                }
            },
            "Add a directory or file to environment.persistence to keep it;\n\
             its data must be copied to the storage root before the next\n\
             boot, or that boot starts it empty.",
        ),
        bindings,
        body,
    }
    .print()
}

fn directory(entry: &PersistentDirectory) -> Value {
    if entry.user.is_none() && entry.group.is_none() && entry.mode.is_none() {
        return Value::String(entry.path.clone());
    }
    let mut attrs = Attrs::new();
    attrs.set(["directory"], entry.path.as_str());
    for (name, value) in [
        ("user", &entry.user),
        ("group", &entry.group),
        ("mode", &entry.mode),
    ] {
        if let Some(value) = value {
            attrs.set([name], value.as_str());
        }
    }
    Value::Attrs(attrs)
}

/// `{ url = "…"; sha256 = "…"; }` printed nested at the `let` level.
fn print_inline_attrs(attrs: &Attrs) -> String {
    let file = File {
        arguments: Vec::new(),
        header: String::new(),
        bindings: Vec::new(),
        body: attrs.clone(),
    };
    let printed = file.print();
    let body = printed.trim_start_matches('\n').trim_end();
    // Indent the continuation lines one level: the value sits in a `let`.
    body.lines()
        .enumerate()
        .map(|(index, line)| {
            if index == 0 {
                line.to_owned()
            } else {
                format!("  {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nix::writer::string_literal;
    use crate::plan::{User, UserPersistence};

    /// The example with homes erased at boot: `.ssh` and `.bash_history`
    /// kept in every home, and alice's own `Documents` and `.ssh`.
    fn erased_homes() -> Plan {
        let mut plan = Plan::example();
        plan.subvolumes.retain(|s| s.mount_point != "/home");
        let every_home = &mut plan.persistence.every_home;
        every_home
            .directories
            .push(PersistentDirectory::new(".ssh"));
        every_home.files.push(".bash_history".to_owned());
        plan.persistence.users.push(UserPersistence {
            user: "alice".to_owned(),
            directories: vec![
                PersistentDirectory::new("Documents"),
                PersistentDirectory::new(".ssh"),
            ],
            files: Vec::new(),
        });
        plan
    }

    fn home(user: &str, directories: &[&str], files: &[&str]) -> String {
        let list = |paths: &[&str]| {
            if paths.is_empty() {
                return "[ ]".to_owned();
            }
            let items: String = paths
                .iter()
                .map(|path| format!("        \"{path}\"\n"))
                .collect();
            format!("[\n{items}      ]")
        };
        format!(
            "    users.{user} = {{\n      directories = {};\n      files = {};\n    }};\n",
            list(directories),
            list(files)
        )
    }

    #[test]
    fn one_account_keeps_its_own_entries_and_every_homes_once() {
        let plan = erased_homes();
        assert_eq!(plan.validate(), Ok(()));
        let text = render(&plan);
        assert!(
            text.contains(&home("alice", &["Documents", ".ssh"], &[".bash_history"])),
            "{text}"
        );
        assert_eq!(text.matches("users.").count(), 1, "{text}");
    }

    #[test]
    fn every_erased_home_of_three_accounts_keeps_every_homes_entries() {
        let mut plan = erased_homes();
        for name in ["bob", "carol"] {
            plan.users.push(User {
                name: name.to_owned(),
                ..plan.users[0].clone()
            });
        }
        assert_eq!(plan.validate(), Ok(()));
        let text = render(&plan);
        let expected = [
            home("alice", &["Documents", ".ssh"], &[".bash_history"]),
            home("bob", &[".ssh"], &[".bash_history"]),
            home("carol", &[".ssh"], &[".bash_history"]),
        ]
        .concat();
        assert!(text.contains(&expected), "{text}");
    }

    #[test]
    fn a_home_kept_whole_gets_none_of_every_homes_entries() {
        let mut plan = erased_homes();
        plan.users.push(User {
            name: "bob".to_owned(),
            ..plan.users[0].clone()
        });
        plan.set_keep_whole_home(1, true);
        assert_eq!(plan.validate(), Ok(()));
        let text = render(&plan);
        assert!(text.contains("directory = \"/home/bob\";"), "{text}");
        assert!(!text.contains("users.bob"), "{text}");
        assert!(text.contains("users.alice"), "{text}");

        // On the /home subvolume every home is kept whole.
        let mut on_subvolume = Plan::example();
        on_subvolume.persistence.every_home = plan.persistence.every_home.clone();
        assert_eq!(on_subvolume.validate(), Ok(()));
        let text = render(&on_subvolume);
        assert!(!text.contains("users."), "{text}");
    }

    #[test]
    fn impermanence_is_vendored_or_pinned_by_revision_and_hash() {
        let mut plan = Plan::example();
        let text = render(&plan);
        assert!(
            text.contains("imports = [\n    ./impermanence/nixos.nix\n  ];"),
            "{text}"
        );
        assert!(text.contains(IMPERMANENCE_REVISION));
        assert!(!text.contains("fetchTarball"));
        plan.impermanence = ImpermanenceSource::Fetch;
        let text = render(&plan);
        assert!(text.contains(&string_literal(IMPERMANENCE_URL)));
        assert!(text.contains(IMPERMANENCE_SHA256));
        assert!(IMPERMANENCE_URL.contains(IMPERMANENCE_REVISION));
    }
}
