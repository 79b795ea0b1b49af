// SPDX-License-Identifier: GPL-3.0-or-later
//! The persistence editor's decisions one by one: where it adds, what it
//! refuses and why, and how it finds the file on a system.

use keepsake::nix::persistence_edit::{
    Change, ComputedReason, EditError, EntryKind, NewEntry, PersistenceDocument, Rejection, Target,
    find_persistence_file,
};

fn document(text: &str) -> PersistenceDocument {
    PersistenceDocument::parse(text).unwrap()
}

fn target(kind: EntryKind, path: &str) -> Target {
    Target {
        kind,
        path: path.to_owned(),
        user: None,
        storage: None,
    }
}

fn directory(path: &str) -> NewEntry {
    NewEntry {
        target: target(EntryKind::Directory, path),
        owner: None,
        group: None,
        mode: None,
    }
}

fn parses_cleanly(text: &str) {
    let parse = rnix::Root::parse(text);
    assert!(parse.errors().is_empty(), "{:?}\n{text}", parse.errors());
}

#[test]
fn a_parse_error_names_line_and_column() {
    // The unexpected `;` is the 53rd character of line 2.
    let text = "{\n  environment.persistence.\"/p\".directories = [ \"/a\" ;\n}\n";
    match PersistenceDocument::parse(text) {
        Err(EditError::Parse { line, column, .. }) => assert_eq!((line, column), (2, 53)),
        other => panic!("{:?}", other.map(|d| d.persistence().clone())),
    }
}

#[test]
fn entries_follow_the_indentation_around_them() {
    let text = "{\n\tenvironment.persistence.\"/p\".directories = [\n\t\t\"/a\"\n\t];\n}\n";
    let edit = document(text).add(&directory("/b")).unwrap();
    assert_eq!(
        edit.text,
        "{\n\tenvironment.persistence.\"/p\".directories = [\n\t\t\"/a\"\n\t\t\"/b\"\n\t];\n}\n"
    );
    assert_eq!(
        edit.change,
        Change::AddedToList {
            place: "\"/p\".directories".to_owned(),
            line: 4
        }
    );

    let empty = "{\n  environment.persistence.\"/p\" = {\n    directories = [\n      # none yet\n    ];\n  };\n}\n";
    let edit = document(empty).add(&directory("/b")).unwrap();
    assert_eq!(
        edit.text,
        "{\n  environment.persistence.\"/p\" = {\n    directories = [\n      # none yet\n      \"/b\"\n    ];\n  };\n}\n"
    );

    let inline = "{ environment.persistence.\"/p\".directories = [ ]; }";
    let edit = document(inline).add(&directory("/b")).unwrap();
    assert_eq!(
        edit.text,
        "{ environment.persistence.\"/p\".directories = [ \"/b\" ]; }"
    );
}

#[test]
fn owner_and_mode_make_an_attribute_set_entry() {
    let text = "{ environment.persistence.\"/p\".directories = [ \"/a\" ]; environment.persistence.\"/p\".files = [ ]; }";
    let mut entry = directory("/var/lib/private");
    entry.owner = Some("root".to_owned());
    entry.mode = Some("0700".to_owned());
    let edit = document(text).add(&entry).unwrap();
    assert!(
        edit.text.contains(
            "[ \"/a\" { directory = \"/var/lib/private\"; user = \"root\"; mode = \"0700\"; } ]"
        ),
        "{}",
        edit.text
    );
    entry.target = target(EntryKind::File, "/etc/secret");
    entry.group = Some("wheel".to_owned());
    let edit = document(text).add(&entry).unwrap();
    assert!(
        edit.text.contains("files = [ { file = \"/etc/secret\"; parentDirectory = { user = \"root\"; group = \"wheel\"; mode = \"0700\"; }; } ]"),
        "{}",
        edit.text
    );
    let listed = document(&edit.text).persistence().storages[0].entries.files[0].to_json();
    assert_eq!(listed["parentDirectory"]["group"], "wheel");
}

#[test]
fn a_missing_list_becomes_a_binding_in_the_deepest_literal_set() {
    let text = "{ config, ... }:\n{\n  environment.persistence.\"/persist\" = {\n    directories = [ \"/var/log\" ];\n  };\n}\n";
    let mut entry = directory(".ssh");
    entry.target.user = Some("alice".to_owned());
    let edit = document(text).add(&entry).unwrap();
    assert_eq!(
        edit.text,
        "{ config, ... }:\n{\n  environment.persistence.\"/persist\" = {\n    directories = [ \"/var/log\" ];\n    users.alice.directories = [ \".ssh\" ];\n  };\n}\n"
    );
    assert!(matches!(edit.change, Change::AddedBinding { line: 5, .. }));

    // A module that declares options keeps its settings under `config`.
    let module = "{ lib, ... }:\n{\n  options.x = lib.mkOption { };\n  config.environment.persistence.\"/persist\".directories = [ \"/a\" ];\n}\n";
    let mut entry = directory("/b");
    entry.target.storage = Some("/state".to_owned());
    let edit = document(module).add(&entry).unwrap();
    assert!(
        edit.text
            .contains("\n  config.environment.persistence.\"/state\".directories = [ \"/b\" ];\n}"),
        "{}",
        edit.text
    );
    parses_cleanly(&edit.text);
}

#[test]
fn a_new_binding_never_defines_an_attribute_twice() {
    let module = "{ config, lib, ... }:\n{\n  options.custom.enable = lib.mkEnableOption \"x\";\n  config = lib.mkIf config.custom.enable {\n    environment.persistence.\"/persist\".directories = [ \"/a\" ];\n  };\n}\n";
    let mut entry = directory("/b");
    entry.target.storage = Some("/state".to_owned());
    let edit = document(module).add(&entry).unwrap();
    assert!(
        edit.text.contains(
            "[ \"/a\" ];\n    environment.persistence.\"/state\".directories = [ \"/b\" ];\n  };"
        ),
        "{}",
        edit.text
    );
    parses_cleanly(&edit.text);
}

#[test]
fn new_entries_join_the_literal_part_next_to_a_computed_one() {
    let text = "let extra = [ \"/x\" ]; in {\n  environment.persistence.\"/p\".directories = [\n    \"/a\"\n  ] ++ extra;\n}\n";
    let edit = document(text).add(&directory("/b")).unwrap();
    assert_eq!(
        edit.text,
        "let extra = [ \"/x\" ]; in {\n  environment.persistence.\"/p\".directories = [\n    \"/a\"\n    \"/b\"\n  ] ++ extra;\n}\n"
    );
}

#[test]
fn a_computed_list_is_never_edited() {
    let mapped =
        "{ environment.persistence.\"/p\".directories = map (n: \"/var/lib/${n}\") [ \"a\" ]; }";
    let doc = document(mapped);
    assert!(doc.persistence().is_computed());
    assert_eq!(
        doc.add(&directory("/b")),
        Err(EditError::TargetComputed {
            place: "\"/p\".directories".to_owned(),
            reason: ComputedReason::FunctionCall("map".to_owned()),
        })
    );

    let inherited = "let directories = [ \"/a\" ]; in { environment.persistence.\"/p\" = { inherit directories; }; }";
    assert!(matches!(
        document(inherited).add(&directory("/b")),
        Err(EditError::TargetComputed {
            reason: ComputedReason::Inherit,
            ..
        })
    ));

    let whole = "{ cfg, ... }: { environment.persistence = cfg.persistence; }";
    let mut entry = directory("/b");
    entry.target.storage = Some("/p".to_owned());
    assert!(matches!(
        document(whole).add(&entry),
        Err(EditError::TargetComputed {
            reason: ComputedReason::Variable(_),
            ..
        })
    ));
}

#[test]
fn duplicates_and_missing_entries_are_refused() {
    let text = "{ environment.persistence = { \"/p\".directories = [ \"/a\" ]; \"/q\".files = [ \"/etc/f\" ]; }; }";
    let doc = document(text);
    let mut entry = directory("/a");
    entry.target.storage = Some("/q".to_owned());
    assert_eq!(
        doc.add(&entry),
        Err(EditError::AlreadyPresent {
            path: "/a".to_owned(),
            storage: "/p".to_owned()
        })
    );
    assert!(matches!(
        doc.add(&directory("/b")),
        Err(EditError::AmbiguousStorage { .. })
    ));
    assert_eq!(
        doc.remove(&target(EntryKind::Directory, "/b")),
        Err(EditError::NotFound {
            path: "/b".to_owned()
        })
    );
    // Removing names the kind; adding refuses the path as either kind.
    assert!(doc.remove(&target(EntryKind::File, "/a")).is_err());
    let mut as_file = directory("/a");
    as_file.target.kind = EntryKind::File;
    as_file.target.storage = Some("/q".to_owned());
    assert!(matches!(
        doc.add(&as_file),
        Err(EditError::AlreadyPresent { .. })
    ));
    let removed = doc.remove(&target(EntryKind::File, "/etc/f")).unwrap();
    assert_eq!(
        removed.text,
        "{ environment.persistence = { \"/p\".directories = [ \"/a\" ]; \"/q\".files = [ ]; }; }"
    );
    assert_eq!(
        document("{ }").add(&directory("/b")),
        Err(EditError::NoStorage)
    );
}

#[test]
fn added_paths_follow_the_plan_rules() {
    let text = "{ environment.persistence.\"/persist\".directories = [ ]; }";
    let doc = document(text);
    for path in [
        "relative",
        "/var/../etc",
        "/var//lib",
        "/",
        "/nix/store/x",
        "/persist/x",
        "/proc/sys",
        "/run/secrets",
        "/var/lib/tab\there",
    ] {
        assert!(
            matches!(doc.add(&directory(path)), Err(EditError::Rejected(_))),
            "{path}"
        );
    }
    let mut bad_mode = directory("/var/lib/x");
    bad_mode.mode = Some("999".to_owned());
    assert!(matches!(
        doc.add(&bad_mode),
        Err(EditError::Rejected(Rejection::Plan(_)))
    ));
    let mut bad_owner = directory("/var/lib/x");
    bad_owner.owner = Some("Root User".to_owned());
    assert!(doc.add(&bad_owner).is_err());
    let mut home_absolute = directory("/home/alice/.ssh");
    home_absolute.target.user = Some("alice".to_owned());
    assert!(doc.add(&home_absolute).is_err());
    let mut quoted = directory("/srv/a \"b\" ${c}");
    quoted.target.storage = Some("/persist".to_owned());
    let edit = doc.add(&quoted).unwrap();
    assert_eq!(
        document(&edit.text).persistence().storages[0]
            .entries
            .directories[0]
            .path,
        "/srv/a \"b\" ${c}"
    );
}

#[test]
fn the_file_is_found_through_imports() {
    let root = tempfile::tempdir().unwrap();
    let nixos = root.path().join("etc/nixos");
    std::fs::create_dir_all(nixos.join("modules/system")).unwrap();
    let write = |name: &str, text: &str| std::fs::write(nixos.join(name), text).unwrap();
    write(
        "configuration.nix",
        "{ ... }: { imports = [ ./hardware-configuration.nix ./modules \"${./x}/y.nix\" ]; }",
    );
    write(
        "hardware-configuration.nix",
        "{ boot.loader.grub.enable = false; }",
    );
    write(
        "modules/default.nix",
        "{ imports = [ ./system/impermanence.nix ]; }",
    );
    write(
        "modules/system/impermanence.nix",
        "{ environment.persistence.\"/persist\".directories = [ \"/var/log\" ]; }",
    );
    assert_eq!(
        find_persistence_file(root.path()).unwrap(),
        nixos.join("modules/system/impermanence.nix")
    );

    write("configuration.nix", "{ imports = [ ./missing.nix ]; }");
    assert!(find_persistence_file(root.path()).is_err());
}

#[test]
fn the_file_is_found_through_a_flake() {
    let root = tempfile::tempdir().unwrap();
    let nixos = root.path().join("etc/nixos");
    std::fs::create_dir_all(nixos.join("hosts/laptop")).unwrap();
    std::fs::write(
        nixos.join("flake.nix"),
        "{\n  outputs = { nixpkgs, impermanence, ... }: {\n    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {\n      modules = [\n        impermanence.nixosModules.impermanence\n        ./hosts/laptop\n      ];\n    };\n  };\n}\n",
    )
    .unwrap();
    std::fs::write(
        nixos.join("hosts/laptop/default.nix"),
        "{ imports = [ ./persist.nix ]; }",
    )
    .unwrap();
    std::fs::write(
        nixos.join("hosts/laptop/persist.nix"),
        "{ lib, ... }: { config = lib.mkIf true { environment.persistence.\"/persist\".files = [ \"/etc/machine-id\" ]; }; }",
    )
    .unwrap();
    assert_eq!(
        find_persistence_file(root.path()).unwrap(),
        nixos.join("hosts/laptop/persist.nix")
    );
}
