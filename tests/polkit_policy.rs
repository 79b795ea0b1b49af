// SPDX-License-Identifier: GPL-3.0-or-later
//! The polkit policy asks for an administrator's password for every
//! install: `auth_admin_keep` would let any program of the same session
//! start the helper again, as root and without asking, for five minutes.

use std::fs;
use std::path::Path;

const POLICY: &str = "data/io.github.keepsake.Keepsake.policy.in";
const INSTALL_ACTION: &str = "io.github.keepsake.Keepsake.install";
/// The helper's modes, each picked by pkexec from argv1, so that the
/// authentication dialog shows the message of what is about to happen.
const MODE_ACTIONS: [(&str, &str); 4] = [
    (INSTALL_ACTION, "install"),
    ("io.github.keepsake.Keepsake.apply", "apply"),
    ("io.github.keepsake.Keepsake.delete-orphan", "delete-orphan"),
    ("io.github.keepsake.Keepsake.set-password", "set-password"),
];
const DEFAULTS: [&str; 3] = ["allow_any", "allow_inactive", "allow_active"];

fn policy() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(POLICY))
        .expect("the policy is readable")
}

/// The text between `<tag ...>` and `</tag>`, for every such element in
/// order. The policy has no nesting of equal tags and no CDATA.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after_name = &rest[start + open.len()..];
        if !after_name.starts_with(['>', ' ', '\n', '\t']) {
            rest = after_name;
            continue;
        }
        let head_end = after_name.find('>').expect("the start tag is closed");
        let attributes = &after_name[..head_end];
        let body = &after_name[head_end + 1..];
        let end = body.find(&close).expect("the element is closed");
        found.push((attributes, &body[..end]));
        rest = &body[end + close.len()..];
    }
    found
}

/// The action ids and, for each, the values of its three defaults.
fn actions(xml: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    elements(xml, "action")
        .into_iter()
        .map(|(attributes, body)| {
            let id = attributes
                .split("id=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("every action has an id")
                .to_owned();
            let defaults = elements(body, "defaults");
            assert_eq!(defaults.len(), 1, "{id} has one <defaults>");
            let values = DEFAULTS
                .iter()
                .map(|name| {
                    let value = elements(defaults[0].1, name);
                    assert_eq!(value.len(), 1, "{id} sets {name} once");
                    (*name, value[0].1.trim().to_owned())
                })
                .collect();
            (id, values)
        })
        .collect()
}

/// What is wrong with the policy's defaults, one sentence each.
fn problems(xml: &str) -> Vec<String> {
    let actions = actions(xml);
    let mut problems = Vec::new();
    if !actions.iter().any(|(id, _)| id == INSTALL_ACTION) {
        problems.push(format!("no action {INSTALL_ACTION}"));
    }
    for (id, values) in &actions {
        for (name, value) in values {
            if value.ends_with("_keep") {
                problems.push(format!(
                    "{id}: {name} is {value}; a kept authorisation lets the session run the helper again without asking"
                ));
            } else if value != "auth_admin" {
                problems.push(format!("{id}: {name} is {value}, expected auth_admin"));
            }
        }
    }
    problems
}

#[test]
fn every_action_asks_for_the_admin_password_every_time() {
    assert_eq!(problems(&policy()), Vec::<String>::new());
}

#[test]
fn a_kept_authorisation_is_caught() {
    // Only the first action's: each action is checked on its own.
    let kept = policy().replacen(
        "<allow_active>auth_admin</allow_active>",
        "<allow_active>auth_admin_keep</allow_active>",
        1,
    );
    let problems = problems(&kept);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("allow_active is auth_admin_keep"));
}

#[test]
fn each_mode_has_its_action_matched_by_argv1() {
    let xml = policy();
    for (id, mode) in MODE_ACTIONS {
        let (_, body) = elements(&xml, "action")
            .into_iter()
            .find(|(attributes, _)| attributes.contains(&format!("id=\"{id}\"")))
            .unwrap_or_else(|| panic!("no action {id}"));
        assert!(
            body.contains(&format!(
                "<annotate key=\"org.freedesktop.policykit.exec.argv1\">{mode}</annotate>"
            )),
            "{id} is not picked by argv1 {mode}"
        );
        if id != INSTALL_ACTION {
            assert_eq!(
                keepsake::kept::EditorMode::from_arg(mode).map(keepsake::kept::EditorMode::arg),
                Some(mode)
            );
        }
    }
}
