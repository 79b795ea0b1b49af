// SPDX-License-Identifier: GPL-3.0-or-later
//! The rendered Nix: golden files, `nix-instantiate --parse`, and evaluation
//! against the real impermanence module and nixpkgs lib.

#[path = "nix/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::Path;

use keepsake::nix::{self, DiskIds, GeneratedFile};
use keepsake::plan::Plan;
use serde_json::Value;

fn real_ids() -> DiskIds {
    DiskIds {
        esp_uuid: "1A2B-3C4D".to_owned(),
        root_uuid: "0f3e1c2a-5b6d-4e7f-8a9b-0c1d2e3f4a5b".to_owned(),
    }
}

fn plans() -> Vec<(&'static str, Plan)> {
    vec![
        ("example", Plan::example()),
        ("rich", support::rich_plan()),
        ("ephemeral-home", support::ephemeral_home_plan()),
    ]
}

/// Compares with `tests/golden/<name>/`; `KEEPSAKE_UPDATE_GOLDEN=1` rewrites
/// them after a deliberate change.
fn assert_golden(name: &str, files: &[GeneratedFile]) {
    let dir = support::manifest_dir().join("tests/golden").join(name);
    if std::env::var("KEEPSAKE_UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(&dir).unwrap();
        support::write_files(&dir, files);
    }
    for file in files {
        let path = dir.join(&file.path);
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(file.contents, expected, "{} differs", path.display());
    }
}

#[test]
fn example_plan_matches_its_golden_files() {
    let files = nix::render(&Plan::example(), &DiskIds::placeholders()).unwrap();
    assert_golden("example", &files);
}

#[test]
fn rich_plan_matches_its_golden_files() {
    let plan = support::rich_plan();
    assert_eq!(plan.validate(), Ok(()));
    let files = nix::render(&plan, &real_ids()).unwrap();
    assert_golden("rich", &files);
}

#[test]
fn rendering_is_deterministic() {
    let plan = support::rich_plan();
    assert_eq!(
        nix::render(&plan, &real_ids()).unwrap(),
        nix::render(&plan.clone(), &real_ids()).unwrap()
    );
}

#[test]
fn placeholders_are_marked_and_real_ids_are_not() {
    let with_placeholders = nix::render(&Plan::example(), &DiskIds::placeholders()).unwrap();
    let storage = &with_placeholders[1];
    assert_eq!(storage.path, "storage.nix");
    assert!(storage.contents.contains("PLACEHOLDER UUIDs"));
    let real = nix::render(&Plan::example(), &real_ids()).unwrap();
    assert!(
        real.iter()
            .all(|file| !file.contents.contains("PLACEHOLDER"))
    );
    assert!(real[1].contents.contains(&real_ids().root_uuid));
}

#[test]
fn every_rendered_file_parses() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    for (name, plan) in plans() {
        let dir = tempfile::tempdir().unwrap();
        let files = nix::render(&plan, &DiskIds::placeholders()).unwrap();
        support::write_files(dir.path(), &files);
        for file in &files {
            let path = dir.path().join(&file.path);
            let output = support::nix_instantiate(&["--parse", path.to_str().unwrap()], None);
            assert!(
                output.status.success(),
                "{name}/{}: {}",
                file.path,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

fn string_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_owned())
        .collect()
}

fn evaluate(plan: &Plan, ids: &DiskIds) -> Value {
    let dir = tempfile::tempdir().unwrap();
    support::write_files(dir.path(), &nix::render(plan, ids).unwrap());
    std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
    support::evaluate_configuration(dir.path())
}

/// What every generated configuration must say, read back from evaluation.
fn assert_configuration_is_sound(name: &str, plan: &Plan, config: &Value, ids: &DiskIds) {
    assert_eq!(
        config["failedAssertions"],
        Value::Array(Vec::new()),
        "{name}"
    );
    let file_systems = config["fileSystems"].as_object().unwrap();

    let root = &file_systems["/"];
    assert_eq!(root["fsType"], "tmpfs", "{name}");
    assert!(
        string_list(&root["options"]).contains(&"mode=755".to_owned()),
        "{name}"
    );

    let created: BTreeSet<String> = plan
        .created_subvolumes()
        .into_iter()
        .map(|(_, subvolume)| subvolume.name)
        .collect();
    let mut mounted = BTreeSet::new();
    for (mount_point, fs) in file_systems {
        for option in string_list(&fs["options"]) {
            if let Some(subvolume) = option.strip_prefix("subvol=") {
                assert!(
                    created.contains(subvolume),
                    "{name}: {mount_point} mounts subvol={subvolume}, which is not created"
                );
                mounted.insert(subvolume.to_owned());
            }
        }
    }
    assert_eq!(mounted, created, "{name}: every subvolume is mounted");

    for needed in ["/nix", plan.persistence.path.as_str()] {
        assert_eq!(
            file_systems[needed]["neededForBoot"], true,
            "{name}: {needed}"
        );
    }
    let esp = &file_systems["/boot"];
    assert_eq!(esp["device"], format!("/dev/disk/by-uuid/{}", ids.esp_uuid));
    assert_eq!(
        string_list(&esp["options"]),
        ["fmask=0077", "dmask=0077"],
        "{name}"
    );

    let by_uuid = format!("/dev/disk/by-uuid/{}", ids.root_uuid);
    if plan.encryption.enabled {
        assert_eq!(
            config["luksDevices"][&plan.encryption.mapped_name], by_uuid,
            "{name}: LUKS device by UUID"
        );
    } else {
        assert_eq!(config["luksDevices"], serde_json::json!({}));
        assert_eq!(file_systems["/nix"]["device"], by_uuid, "{name}");
    }
    assert_eq!(config["mutableUsers"], false, "{name}");
    assert_eq!(config["system"]["hostName"], plan.system.hostname);
    assert_eq!(config["system"]["timeZone"], plan.system.time_zone);
    assert_eq!(config["system"]["xkbLayout"], plan.system.xkb_layout);
    assert_eq!(config["system"]["xkbVariant"], plan.system.xkb_variant);
    assert_eq!(
        config["system"]["useXkbConfig"], true,
        "{name}: console follows xkb"
    );
    assert_eq!(config["system"]["stateVersion"], plan.system.state_version);
    assert_eq!(
        string_list(&config["imports"])
            .iter()
            .map(|path| Path::new(path)
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned())
            .collect::<Vec<_>>(),
        [
            "hardware-configuration.nix",
            "storage.nix",
            "persistence.nix",
            "users.nix"
        ]
    );
}

#[test]
fn every_rendered_configuration_evaluates_with_impermanence() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    for (name, plan) in plans() {
        assert_eq!(plan.validate(), Ok(()), "{name}");
        for ids in [DiskIds::placeholders(), real_ids()] {
            let config = evaluate(&plan, &ids);
            assert_configuration_is_sound(name, &plan, &config, &ids);
        }
    }
}

#[test]
fn evaluated_values_are_exactly_the_plans() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let plan = support::rich_plan();
    let config = evaluate(&plan, &real_ids());
    let store = &config["persistence"]["/persist"];
    let directories: Vec<&str> = store["directories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dirPath"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = plan
        .persistence
        .directories
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(directories, expected);
    assert_eq!(store["directories"][0]["mode"], "0700");
    assert_eq!(store["directories"][0]["user"], "nobody");
    assert_eq!(string_list(&store["files"]), plan.persistence.files);
    assert_eq!(store["hideMounts"], true);
    assert_eq!(
        config["users"]["bob"]["description"],
        plan.users[1].full_name
    );
    assert_eq!(
        config["users"]["carol"]["description"],
        plan.users[2].full_name
    );
    assert_eq!(
        config["users"]["alice"]["hashedPasswordFile"],
        "/persist/passwords/alice"
    );
    assert_eq!(
        config["users"]["root"]["hashedPasswordFile"],
        "/persist/passwords/root"
    );
    assert_eq!(
        config["swapDevices"],
        serde_json::json!([{ "device": "/swap/swapfile", "size": 8192 }])
    );

    let ephemeral = support::ephemeral_home_plan();
    let config = evaluate(&ephemeral, &real_ids());
    let alice = &config["persistence"]["/persist"]["users"]["alice"];
    assert_eq!(
        string_list(&alice["directories"]),
        ["/home/alice/.ssh", "/home/alice/Documents"]
    );
    assert_eq!(string_list(&alice["files"]), ["/home/alice/.bash_history"]);
    let hash = ephemeral.users[0]
        .password
        .as_ref()
        .unwrap()
        .hash()
        .unwrap();
    assert_eq!(config["users"]["alice"]["hashedPassword"], hash);
}

/// The evaluation really runs impermanence's assertions: a persistent
/// storage path that is not needed for boot is reported.
#[test]
fn impermanence_assertions_are_live() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = nix::render(&Plan::example(), &real_ids()).unwrap();
    let storage = &mut files[1];
    let persist = storage.contents.find("fileSystems.\"/persist\"").unwrap();
    let needed = persist
        + storage.contents[persist..]
            .find("    neededForBoot = true;\n")
            .unwrap();
    storage
        .contents
        .replace_range(needed..needed + "    neededForBoot = true;\n".len(), "");
    support::write_files(dir.path(), &files);
    std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
    let config = support::evaluate_configuration(dir.path());
    let failed = config["failedAssertions"].as_array().unwrap();
    assert!(
        failed
            .iter()
            .any(|message| message.as_str().unwrap().contains("neededForBoot")),
        "{failed:?}"
    );
}

#[test]
fn pinned_impermanence_hash_is_the_hash_of_the_source() {
    if !support::tool_available("nix-hash") {
        return;
    }
    let output = std::process::Command::new("nix-hash")
        .args(["--type", "sha256", "--base32"])
        .arg(support::impermanence_source())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        nix::IMPERMANENCE_SHA256
    );
    assert!(nix::IMPERMANENCE_URL.contains(nix::IMPERMANENCE_REVISION));
    assert_eq!(
        nix::IMPERMANENCE_REVISION,
        "7b1d382faf603b6d264f58627330f9faa5cba149"
    );
}

#[test]
fn pinned_sources_match_their_hashes() {
    support::verify_pinned_sources();
}
