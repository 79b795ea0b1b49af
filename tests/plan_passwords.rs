// SPDX-License-Identifier: GPL-3.0-or-later
//! Password hashes verify with the system's libxcrypt, and clear text never
//! reaches a rendered file, an export or a password file.

#[path = "nix/support.rs"]
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use keepsake::nix::{self, DiskIds};
use keepsake::plan::{Password, Plan, Secret};

const CLEAR_TEXT: &str = "Tr0ub4dor&3 ü ${x}";

fn plan_with_clear_passwords() -> Plan {
    let mut plan = Plan::example();
    plan.users[0].password = Some(Password::Clear(Secret::from(CLEAR_TEXT)));
    plan.root_password = Some(Password::Clear(Secret::from(CLEAR_TEXT)));
    plan
}

/// crypt(3) from libxcrypt through perl, with the password on stdin.
fn system_crypt(password: &str, hash: &str) -> String {
    let mut child = Command::new("perl")
        .args([
            "-e",
            "my $p = <STDIN>; chomp $p; print crypt($p, $ARGV[0]);",
            hash,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn hashes_verify_with_libxcrypt() {
    if !support::tool_available("perl") {
        return;
    }
    let mut plan = plan_with_clear_passwords();
    plan.hash_passwords().unwrap();
    let hash = plan.users[0]
        .password
        .as_ref()
        .unwrap()
        .hash()
        .unwrap()
        .to_owned();
    assert!(hash.starts_with("$y$"), "{hash}");
    assert_eq!(system_crypt(CLEAR_TEXT, &hash), hash);
    assert_ne!(system_crypt("wrong", &hash), hash);
    let root_hash = plan.root_password.as_ref().unwrap().hash().unwrap();
    assert_ne!(root_hash, hash, "every hash has its own salt");
}

#[test]
fn mkpasswd_hashes_are_accepted_as_they_are() {
    if !support::tool_available("mkpasswd") {
        return;
    }
    let mut child = Command::new("mkpasswd")
        .args(["--method=yescrypt", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{CLEAR_TEXT}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let hash = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let mut plan = Plan::example();
    plan.users[0].password = Some(Password::Hashed(hash.clone()));
    assert_eq!(plan.validate(), Ok(()));
    let files = nix::password_files(&plan).unwrap();
    assert_eq!(files[0].contents.as_str(), format!("{hash}\n"));
}

#[test]
fn clear_text_appears_nowhere() {
    let mut plan = plan_with_clear_passwords();
    plan.encryption.passphrase = Some(Secret::from(CLEAR_TEXT));
    assert!(
        plan.to_json().is_err(),
        "clear passwords cannot be exported"
    );
    plan.hash_passwords().unwrap();
    for self_contained in [false, true] {
        plan.self_contained = self_contained;
        let files = nix::render(&plan, &DiskIds::placeholders()).unwrap();
        for file in &files {
            assert!(!file.contents.contains(CLEAR_TEXT), "{}", file.path);
            assert!(!file.contents.contains("Tr0ub4dor"), "{}", file.path);
        }
        for file in nix::password_files(&plan).unwrap() {
            assert!(!file.contents.contains("Tr0ub4dor"));
        }
        let export = plan.to_json().unwrap();
        assert!(!export.contains("Tr0ub4dor"));
        assert!(!format!("{plan:?}").contains("Tr0ub4dor"));
    }
}

#[test]
fn password_files_are_root_only_and_match_users_nix() {
    let mut plan = plan_with_clear_passwords();
    plan.hash_passwords().unwrap();
    let files = nix::password_files(&plan).unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/persist/passwords/root", "/persist/passwords/alice"]
    );
    assert!(files.iter().all(|f| f.mode == 0o600));
    let users = nix::render(&plan, &DiskIds::placeholders())
        .unwrap()
        .remove(3);
    for path in paths {
        assert!(
            users
                .contents
                .contains(&format!("hashedPasswordFile = \"{path}\";"))
        );
    }
    plan.self_contained = true;
    assert!(nix::password_files(&plan).unwrap().is_empty());
}

#[test]
fn unhashed_passwords_are_refused_by_the_renderer() {
    let mut plan = plan_with_clear_passwords();
    plan.self_contained = true;
    assert!(nix::render(&plan, &DiskIds::placeholders()).is_err());
    assert!(
        nix::password_files(&Plan {
            self_contained: false,
            ..plan
        })
        .is_err()
    );
}
