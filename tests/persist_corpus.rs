// SPDX-License-Identifier: GPL-3.0-or-later
//! The persistence editor against a corpus of hand-written
//! `environment.persistence` blocks in the styles people use: the listing,
//! byte-identical saves, one-entry edits that touch only that entry, and
//! evaluation of every edit with the real impermanence module.
//!
//! `KEEPSAKE_UPDATE_CORPUS=1` rewrites the expected listings after a
//! deliberate change; review them before committing.

#[path = "nix/support.rs"]
mod support;

use std::path::Path;
use std::sync::OnceLock;

use keepsake::nix::persistence_edit::{
    EditError, EntryKind, NewEntry, PersistenceDocument, Target, write_atomically,
};
use serde_json::Value;

/// Files the evaluation cannot take as they are, and why.
const NOT_EVALUATED: &[(&str, &str)] = &[(
    "25-no-persistence.nix",
    "imports a hardware file that is not there",
)];

fn corpus() -> Vec<(String, String)> {
    let dir = support::manifest_dir().join("tests/data/persist-corpus");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "nix"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus has {} files", files.len());
    files
}

fn parse(name: &str, text: &str) -> PersistenceDocument {
    PersistenceDocument::parse(text).unwrap_or_else(|error| panic!("{name}: {error}"))
}

#[test]
fn listing_matches_the_expected_json() {
    let dir = support::manifest_dir().join("tests/data/persist-corpus");
    for (name, text) in corpus() {
        let listed = parse(&name, &text).persistence().to_json(Path::new(&name));
        let expected_path = dir.join(name.replace(".nix", ".json"));
        if std::env::var("KEEPSAKE_UPDATE_CORPUS").as_deref() == Ok("1") {
            let pretty = serde_json::to_string_pretty(&listed).unwrap();
            std::fs::write(&expected_path, format!("{pretty}\n")).unwrap();
        }
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        assert_eq!(listed, expected, "{name}");
    }
}

#[test]
fn an_unchanged_save_is_byte_identical() {
    let scratch = tempfile::tempdir().unwrap();
    for (name, text) in corpus() {
        let document = parse(&name, &text);
        assert_eq!(document.text(), text, "{name}");
        let path = scratch.path().join(&name);
        std::fs::write(&path, &text).unwrap();
        write_atomically(&path, document.text()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), text.as_bytes(), "{name}");
    }
}

/// The parts `before` and `after` do not share: (removed, inserted). Where
/// a change starts is ambiguous when it repeats its surroundings, so only
/// whether one side is empty is certain.
fn single_change<'a>(before: &'a str, after: &'a str) -> (&'a str, &'a str) {
    let prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let suffix = before[prefix..]
        .bytes()
        .rev()
        .zip(after[prefix..].bytes().rev())
        .take_while(|(a, b)| a == b)
        .count();
    (
        &before[prefix..before.len() - suffix],
        &after[prefix..after.len() - suffix],
    )
}

/// Lines of `before` that `after` changes or removes, and lines `after`
/// adds.
fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let diff = similar::TextDiff::from_lines(before, after);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().to_owned()),
            similar::ChangeTag::Insert => added.push(change.value().to_owned()),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

struct Case {
    name: String,
    before: String,
    /// Each addition on its own, applied to `before`.
    added: Vec<(NewEntry, String)>,
    removed: Option<(Target, String)>,
}

/// The storage root the corpus's additions create.
const NEW_ROOT: &str = "/keepsake-new";

/// For each corpus file, each on its own: a system entry added where the
/// file allows it, a home entry for its first user, an entry in a storage
/// root it does not have yet, and its first literal entry removed.
fn edits() -> &'static [Case] {
    static EDITS: OnceLock<Vec<Case>> = OnceLock::new();
    EDITS.get_or_init(|| corpus().into_iter().map(|(n, t)| edit_case(n, t)).collect())
}

fn edit_case(name: String, before: String) -> Case {
    let document = parse(&name, &before);
    let persistence = document.persistence();
    let Some(storage) = persistence.storages.first() else {
        let entry = new_entry(EntryKind::Directory, "/var/lib/added", None, None);
        assert_eq!(document.add(&entry), Err(EditError::NoStorage), "{name}");
        return Case {
            name,
            before,
            added: Vec::new(),
            removed: None,
        };
    };
    let root = storage.root.clone();
    let try_adding = |entry: NewEntry| match document.add(&entry) {
        Ok(edit) => Some((entry, edit.text)),
        Err(EditError::TargetComputed { .. }) => None,
        Err(error) => panic!("{name}: adding {:?}: {error}", entry.target),
    };
    let system = [
        (EntryKind::Directory, "/var/lib/keepsake-added"),
        (EntryKind::File, "/etc/keepsake-added.conf"),
    ]
    .into_iter()
    .find_map(|(kind, path)| try_adding(new_entry(kind, path, Some(&root), None)));
    let home = storage.users.first().and_then(|user| {
        try_adding(new_entry(
            EntryKind::Directory,
            ".keepsake-added",
            Some(&root),
            Some(&user.name),
        ))
    });
    let new_root = try_adding(new_entry(
        EntryKind::Directory,
        "/var/lib/keepsake-new-root",
        Some(NEW_ROOT),
        None,
    ));
    let added = [system, home, new_root].into_iter().flatten().collect();
    let removed = storage
        .entries
        .iter()
        .next()
        .map(|entry| (entry.kind, entry.path.clone(), None))
        .or_else(|| {
            storage.users.iter().find_map(|user| {
                let entry = user.entries.iter().next()?;
                Some((entry.kind, entry.path.clone(), Some(user.name.clone())))
            })
        })
        .map(|(kind, path, user)| {
            let target = Target {
                kind,
                path,
                user,
                storage: Some(root.clone()),
            };
            let edit = document
                .remove(&target)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            (target, edit.text)
        });
    Case {
        name,
        before,
        added,
        removed,
    }
}

fn new_entry(kind: EntryKind, path: &str, storage: Option<&str>, user: Option<&str>) -> NewEntry {
    NewEntry {
        target: Target {
            kind,
            path: path.to_owned(),
            user: user.map(str::to_owned),
            storage: storage.map(str::to_owned),
        },
        owner: None,
        group: None,
        mode: None,
    }
}

/// The listing of `text` as JSON, with `change` applied to the list the
/// entry belongs to.
fn listing(name: &str, text: &str) -> Value {
    parse(name, text).persistence().to_json(Path::new(name))
}

fn entry_list<'a>(listing: &'a mut Value, target: &Target) -> &'a mut Vec<Value> {
    let storages = listing["storages"].as_object_mut().unwrap();
    let storage = storages
        .entry(target.storage.clone().unwrap())
        .or_insert_with(|| {
            serde_json::json!({ "hideMounts": null, "directories": [], "files": [], "users": {} })
        });
    let lists = match &target.user {
        Some(user) => &mut storage["users"][user.as_str()],
        None => storage,
    };
    let key = match target.kind {
        EntryKind::Directory => "directories",
        EntryKind::File => "files",
    };
    lists[key].as_array_mut().unwrap()
}

#[test]
fn adding_an_entry_touches_only_its_lines() {
    let mut counts = [0; 3];
    for case in edits() {
        for (entry, after) in &case.added {
            let kind = match (&entry.target.user, entry.target.storage.as_deref()) {
                (Some(_), _) => 1,
                (None, Some(NEW_ROOT)) => 2,
                (None, _) => 0,
            };
            counts[kind] += 1;
            assert_addition(&case.name, &case.before, entry, after);
        }
    }
    let [system, home, new_root] = counts;
    assert!(system >= 24, "only {system} files took a system entry");
    assert!(home >= 5, "only {home} files took a home entry");
    assert!(
        new_root >= 25,
        "only {new_root} files took a new storage root"
    );
}

/// One addition: a pure insertion on lines of its own (or one line changed
/// in a one-line list), listed where it belongs.
fn assert_addition(case_name: &str, before: &str, entry: &NewEntry, after: &str) {
    let path = &entry.target.path;
    let (removed, inserted) = single_change(before, after);
    assert!(removed.is_empty(), "{case_name}: removed {removed:?}");
    assert!(inserted.contains(path.as_str()), "{case_name}");
    let (old_lines, new_lines) = changed_lines(before, after);
    assert!(
        new_lines.iter().all(|line| line.contains(path.as_str())),
        "{case_name}: {new_lines:?}"
    );
    assert!(old_lines.len() <= 1, "{case_name}: {old_lines:?}");

    let mut expected = listing(case_name, before);
    let target = &entry.target;
    let key = match target.kind {
        EntryKind::Directory => "directory",
        EntryKind::File => "file",
    };
    let mut new_entry = serde_json::json!({ key: path });
    if target.kind == EntryKind::Directory {
        for attribute in ["user", "group", "mode"] {
            new_entry[attribute] = Value::Null;
        }
    }
    entry_list(&mut expected, target).push(new_entry);
    let actual = listing(case_name, after);
    assert_eq!(
        sorted_lists(actual),
        sorted_lists(expected),
        "{case_name}:\n{after}"
    );
}

#[test]
fn removing_an_entry_touches_only_its_lines() {
    for case in edits() {
        let Some((target, after)) = &case.removed else {
            continue;
        };
        let (_, inserted) = single_change(&case.before, after);
        assert!(inserted.is_empty(), "{}: inserted {inserted:?}", case.name);
        let written = target.path.replace('"', "\\\"");
        let (old_lines, new_lines) = changed_lines(&case.before, after);
        assert!(
            old_lines.iter().all(|line| line.contains(&written)),
            "{}: {old_lines:?}",
            case.name
        );
        assert_eq!(old_lines.len(), 1, "{}: {old_lines:?}", case.name);
        assert!(new_lines.len() <= 1, "{}: {new_lines:?}", case.name);

        let mut expected = listing(&case.name, &case.before);
        let list = entry_list(&mut expected, target);
        let position = list
            .iter()
            .position(|e| {
                e.get("directory").or_else(|| e.get("file")) == Some(&Value::from(&*target.path))
            })
            .unwrap();
        list.remove(position);
        assert_eq!(
            listing(&case.name, after),
            expected,
            "{}:\n{after}",
            case.name
        );
    }
}

/// Lists compared as sets: an entry added to `[ … ] ++ extra` sits in the
/// middle of what the listing shows.
fn sorted_lists(mut value: Value) -> Value {
    match &mut value {
        Value::Array(items) => {
            items.sort_by_key(|item| item.to_string());
        }
        Value::Object(object) => {
            for (_, inner) in object.iter_mut() {
                *inner = sorted_lists(inner.take());
            }
        }
        _ => {}
    }
    value
}

/// What impermanence makes of a module: per storage root, the paths as
/// written.
fn evaluate(name: &str, text: &str) -> Value {
    let scratch = tempfile::tempdir().unwrap();
    let module = scratch.path().join(name);
    std::fs::write(&module, text).unwrap();
    let value = support::evaluate_harness(
        "persist-eval.nix",
        &["--arg", "module", module.to_str().unwrap()],
        &format!("{name}\n{text}"),
    );
    sorted_lists(value)
}

fn evaluated_list<'a>(value: &'a mut Value, target: &Target) -> &'a mut Vec<Value> {
    let storage = value
        .as_object_mut()
        .unwrap()
        .entry(target.storage.clone().unwrap())
        .or_insert_with(|| serde_json::json!({ "directories": [], "files": [], "users": {} }));
    let lists = match &target.user {
        Some(user) => &mut storage["users"][user.as_str()],
        None => storage,
    };
    lists[target.kind.list_name()].as_array_mut().unwrap()
}

#[test]
fn edits_evaluate_to_the_old_set_plus_or_minus_the_entry() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let mut evaluated = 0;
    for case in edits() {
        if NOT_EVALUATED.iter().any(|(name, _)| *name == case.name) {
            continue;
        }
        let before = evaluate(&case.name, &case.before);
        for (entry, after) in &case.added {
            let mut expected = before.clone();
            evaluated_list(&mut expected, &entry.target).push(Value::from(&*entry.target.path));
            assert_eq!(
                evaluate(&case.name, after),
                sorted_lists(expected),
                "{}: add",
                case.name
            );
        }
        if let Some((target, after)) = &case.removed {
            let mut expected = before.clone();
            let list = evaluated_list(&mut expected, target);
            let position = list
                .iter()
                .position(|p| p == &Value::from(&*target.path))
                .unwrap();
            list.remove(position);
            assert_eq!(
                evaluate(&case.name, after),
                expected,
                "{}: remove",
                case.name
            );
        }
        evaluated += 1;
    }
    assert!(evaluated >= 25, "only {evaluated} files were evaluated");
}
