// SPDX-License-Identifier: GPL-3.0-or-later
//! Property tests: any string survives the trip through the Nix writer, and
//! no input makes the plan reader panic.

#[path = "nix/support.rs"]
mod support;

use keepsake::nix::writer::{Attrs, File, Value};
use keepsake::nix::{self, DiskIds};
use keepsake::plan::Plan;
use proptest::prelude::*;

/// Strings Nix can hold (anything but NUL), biased towards the characters
/// its lexer treats specially.
fn nix_string() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        "\"", "\\", "${", "$", "{", "}", "\n", "\r", "\t", "''", "'", "$${", "\\${", "ü", "😀",
        "\u{7f}", "\u{1}", "a",
    ]);
    let piece = prop_oneof![
        tricky.prop_map(str::to_owned),
        any::<char>()
            .prop_filter("Nix strings cannot hold NUL", |c| *c != '\0')
            .prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// Renders the strings as values and as attribute names in one file and
/// evaluates it once.
fn round_trip(strings: &[String]) -> serde_json::Value {
    let mut values = Attrs::new();
    let mut names = Attrs::new();
    for (index, text) in strings.iter().enumerate() {
        values.set([format!("s{index}")], text.as_str());
        names.set([text.as_str()], Value::Int(index as i64));
    }
    let mut body = Attrs::new();
    body.set(["values"], values).set(["names"], names);
    let file = File {
        header: "round trip".to_owned(),
        arguments: Vec::new(),
        bindings: Vec::new(),
        body,
    };
    support::eval_json(&file.print())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_string_evaluates_back_to_itself(strings in prop::collection::vec(nix_string(), 1..40)) {
        if !support::tool_available("nix-instantiate") {
            return Ok(());
        }
        let mut unique = strings.clone();
        unique.sort();
        unique.dedup();
        let evaluated = round_trip(&unique);
        for (index, text) in unique.iter().enumerate() {
            prop_assert_eq!(evaluated["values"][format!("s{index}")].as_str(), Some(text.as_str()));
            prop_assert_eq!(evaluated["names"][text.as_str()].as_i64(), Some(index as i64));
        }
    }

    #[test]
    fn strings_in_plan_fields_evaluate_back_exactly(full_name in nix_string(), file in nix_string()) {
        if !support::tool_available("nix-instantiate") {
            return Ok(());
        }
        let mut plan = Plan::example();
        plan.users[0].full_name = full_name.clone();
        let path = format!("/etc/{}", file.replace('/', "_"));
        plan.persistence.files.push(path.clone());
        let files = nix::render(&plan, &DiskIds::placeholders()).unwrap();
        let users = &files.iter().find(|f| f.path == "users.nix").unwrap().contents;
        let evaluated = support::eval_json(users);
        prop_assert_eq!(
            evaluated["users"]["users"]["alice"]["description"].as_str(),
            Some(full_name.as_str()).filter(|name| !name.is_empty())
        );
        let persistence = &files.iter().find(|f| f.path == "persistence.nix").unwrap().contents;
        // Read the entries back without fetching impermanence.
        let dir = tempfile::tempdir().unwrap();
        let persistence_path = dir.path().join("persistence.nix");
        std::fs::write(&persistence_path, persistence).unwrap();
        let expression = format!(
            "(builtins.scopedImport {{ builtins = builtins // {{ fetchTarball = _: \"/stub\"; }}; }} \
             {}).environment.persistence.\"/persist\".files",
            keepsake::nix::writer::string_literal(persistence_path.to_str().unwrap())
        );
        let files_back = support::eval_json(&expression);
        prop_assert_eq!(files_back.as_array().unwrap().last().unwrap().as_str(), Some(path.as_str()));
    }

    #[test]
    fn the_plan_reader_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Plan::from_json(&text);
    }

    #[test]
    fn the_plan_reader_never_panics_on_damaged_plans(
        position in any::<prop::sample::Index>(),
        replacement in any::<char>(),
        cut in any::<bool>(),
    ) {
        let json = Plan::example().to_json().unwrap();
        let mut chars: Vec<char> = json.chars().collect();
        let at = position.index(chars.len());
        if cut {
            chars.truncate(at);
        } else {
            chars[at] = replacement;
        }
        let damaged: String = chars.into_iter().collect();
        if let Ok(plan) = Plan::from_json(&damaged) {
            let _ = plan.validate();
            let _ = nix::render(&plan, &DiskIds::placeholders());
        }
    }

    #[test]
    fn arbitrary_values_in_fields_never_panic(value in arbitrary_json()) {
        let mut json: serde_json::Value = serde_json::from_str(&Plan::example().to_json().unwrap()).unwrap();
        json["system"] = value.clone();
        let _ = Plan::from_json(&json.to_string());
        json["subvolumes"] = serde_json::Value::Array(vec![value]);
        let _ = Plan::from_json(&json.to_string());
    }
}

fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        ".*".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}
