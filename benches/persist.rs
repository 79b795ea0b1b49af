// SPDX-License-Identifier: GPL-3.0-or-later
//! Median time of `keepsake persist list` on a configuration with 500
//! entries: parsing, reading the tree and building the JSON, without the
//! process start. Run with
//! `cargo bench --no-default-features --bench persist`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use keepsake::nix::persistence_edit::{EntryKind, NewEntry, PersistenceDocument, Target};

const ROUNDS: usize = 200;

/// 300 system directories (every tenth with an owner and a mode), 100
/// files and 100 entries of one user, with comments as people write them.
fn large_configuration() -> String {
    let mut text = String::from(
        "{ config, lib, pkgs, ... }:\n{\n  environment.persistence.\"/persist\" = {\n    hideMounts = true;\n    directories = [\n",
    );
    for index in 0..300 {
        if index % 10 == 0 {
            text.push_str(&format!(
                "      # service {index}\n      {{ directory = \"/var/lib/service-{index:03}\"; user = \"svc\"; group = \"svc\"; mode = \"0700\"; }}\n"
            ));
        } else {
            text.push_str(&format!("      \"/var/lib/service-{index:03}\"\n"));
        }
    }
    text.push_str("    ];\n    files = [\n");
    for index in 0..100 {
        text.push_str(&format!("      \"/etc/config-{index:03}.conf\"\n"));
    }
    text.push_str("    ];\n    users.alice = {\n      directories = [\n");
    for index in 0..100 {
        text.push_str(&format!("        \".local/share/app-{index:03}\"\n"));
    }
    text.push_str("      ];\n    };\n  };\n}\n");
    text
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let text = large_configuration();
    let document = PersistenceDocument::parse(&text).unwrap();
    let storage = &document.persistence().storages[0];
    let entries = storage.entries.iter().count() + storage.users[0].entries.iter().count();
    assert_eq!(entries, 500);

    let list: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            let document = PersistenceDocument::parse(black_box(&text)).unwrap();
            black_box(
                document
                    .persistence()
                    .to_json(Path::new("persistence.nix"))
                    .to_string(),
            );
            start.elapsed()
        })
        .collect();

    let entry = NewEntry {
        target: Target {
            kind: EntryKind::Directory,
            path: "/var/lib/added".to_owned(),
            user: None,
            storage: None,
        },
        owner: None,
        group: None,
        mode: None,
    };
    let add: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            black_box(document.add(black_box(&entry)).unwrap());
            start.elapsed()
        })
        .collect();

    println!(
        "persist list, {entries} entries ({} bytes): median {:.2} ms over {ROUNDS} rounds",
        text.len(),
        median(list).as_secs_f64() * 1000.0
    );
    println!(
        "persist add to the same file (parsed once): median {:.3} ms",
        median(add).as_secs_f64() * 1000.0
    );
}
