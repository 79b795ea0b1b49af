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
    for home in &persistence.users {
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
