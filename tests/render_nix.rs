// SPDX-License-Identifier: GPL-3.0-or-later
//! The rendered Nix: golden files, `nix-instantiate --parse`, and evaluation
//! against the real impermanence module and nixpkgs lib.

#[path = "nix/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::Path;

use keepsake::nix::{self, DiskIds, GeneratedFile};
use keepsake::plan::{Desktop, ImpermanenceSource, Plan, Service};
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
        ("every-home", support::every_home_plan()),
        ("fetched-impermanence", {
            let mut plan = Plan::example();
            plan.impermanence = ImpermanenceSource::Fetch;
            plan
        }),
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

/// The GUI's preview is read by newcomers: it says where the UUIDs go
/// without the exported files' comment about placeholders.
#[test]
fn the_preview_names_the_uuids_without_a_placeholder_comment() {
    let preview = nix::render(&Plan::example(), &DiskIds::preview()).unwrap();
    let storage = &preview[1];
    assert_eq!(storage.path, "storage.nix");
    assert!(
        !storage.contents.contains("PLACEHOLDER"),
        "{}",
        storage.contents
    );
    assert!(
        storage
            .contents
            .contains("/dev/disk/by-uuid/SET-WHEN-THE-DISK-IS-FORMATTED"),
        "{}",
        storage.contents
    );
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
    support::write_vendored(dir.path());
    std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
    support::evaluate_configuration(dir.path(), &plan.system.state_version)
}

/// What every generated configuration must say, read back from evaluation.
fn assert_configuration_is_sound(name: &str, plan: &Plan, config: &Value, ids: &DiskIds) {
    assert_eq!(
        config["failedAssertions"],
        Value::Array(Vec::new()),
        "{name}"
    );
    assert_eq!(config["warnings"], Value::Array(Vec::new()), "{name}");
    for (user, account) in config["users"].as_object().unwrap() {
        assert!(
            account["hashedPassword"].is_string() || account["hashedPasswordFile"].is_string(),
            "{name}: {user} has neither a password nor a locked state"
        );
    }
    if plan.root_password.is_none() {
        assert_eq!(config["users"]["root"]["hashedPassword"], "!", "{name}");
    }
    assert_desktop_and_services(name, plan, config);
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
    assert_eq!(config["system"]["defaultLocale"], plan.system.locale);
    let formats = &config["system"]["extraLocaleSettings"];
    if plan.system.formats.is_empty() || plan.system.formats == plan.system.locale {
        assert_eq!(
            *formats,
            serde_json::json!({}),
            "{name}: formats of the language"
        );
    } else {
        for category in [
            "LC_TIME",
            "LC_MONETARY",
            "LC_PAPER",
            "LC_MEASUREMENT",
            "LC_NUMERIC",
        ] {
            assert_eq!(formats[category], plan.system.formats, "{name}: {category}");
        }
        assert!(
            formats.get("LC_MESSAGES").is_none(),
            "{name}: messages follow the language"
        );
    }
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
    assert_eq!(store["directories"][1]["mode"], "0700");
    assert_eq!(store["directories"][1]["user"], "nobody");
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

    let mixed = support::mixed_homes_plan();
    let config = evaluate(&mixed, &real_ids());
    let store = &config["persistence"]["/persist"];
    let alice = store["directories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dirPath"] == "/home/alice")
        .expect("alice's whole home is kept");
    assert_eq!(
        (&alice["user"], &alice["mode"]),
        (&"alice".into(), &"0700".into())
    );
    assert_eq!(
        string_list(&store["users"]["bob"]["directories"]),
        ["/home/bob/Documents"]
    );
    assert_eq!(
        string_list(&store["users"]["carol"]["directories"]),
        ["/home/carol/.ssh"]
    );
    assert!(store["users"].get("alice").is_none());

    // alice's own entries come first, then those of every home she lacks;
    // carol's whole home is kept, so she has no list.
    let every = support::every_home_plan();
    let config = evaluate(&every, &real_ids());
    let store = &config["persistence"]["/persist"];
    for (user, directories, files) in [
        (
            "alice",
            &[
                "/home/alice/.ssh",
                "/home/alice/Documents",
                "/home/alice/.mozilla",
            ][..],
            &["/home/alice/.bash_history", "/home/alice/.zsh_history"][..],
        ),
        (
            "bob",
            &["/home/bob/.ssh", "/home/bob/.mozilla"][..],
            &["/home/bob/.bash_history", "/home/bob/.zsh_history"][..],
        ),
    ] {
        let home = &store["users"][user];
        assert_eq!(string_list(&home["directories"]), directories, "{user}");
        assert_eq!(string_list(&home["files"]), files, "{user}");
    }
    assert!(store["users"].get("carol").is_none());
    assert!(
        store["directories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["dirPath"] == "/home/carol")
    );
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
    support::write_vendored(dir.path());
    std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
    let config = support::evaluate_configuration(dir.path(), "25.11");
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

/// The desktop the plan names is on, and no other; exactly the plan's
/// services are on.
fn assert_desktop_and_services(name: &str, plan: &Plan, config: &Value) {
    let desktop = &config["desktop"];
    let on = |flags: &[&str]| flags.iter().all(|flag| desktop[*flag] == true);
    let expected: &[&str] = match plan.desktop {
        Desktop::Gnome => &["gdm", "gnome", "pipewire"],
        Desktop::Plasma6 => &["sddm", "plasma6", "pipewire"],
        Desktop::Xfce => &["xserver", "lightdm", "xfce", "pipewire"],
        Desktop::None => &[],
    };
    assert!(on(expected), "{name}: {desktop}");
    let enabled = desktop
        .as_object()
        .unwrap()
        .iter()
        .filter(|(flag, value)| **value == true && *flag != "xserver")
        .count();
    let expected_enabled = expected.iter().filter(|flag| **flag != "xserver").count();
    assert_eq!(enabled, expected_enabled, "{name}: {desktop}");
    for service in Service::ALL {
        let key = serde_json::to_value(service).unwrap();
        assert_eq!(
            config["services"][key.as_str().unwrap()],
            plan.services.contains(&service),
            "{name}: {service:?}"
        );
    }
}

/// Every desktop under both supported releases' option names, every
/// service, with and without encryption, one user, three users, and homes
/// kept per user.
fn software_plans() -> Vec<(String, Plan)> {
    let mut plans = Vec::new();
    for desktop in Desktop::ALL {
        for release in ["25.05", "25.11"] {
            let mut plan = Plan::example();
            plan.desktop = desktop;
            plan.system.state_version = release.to_owned();
            plans.push((format!("{desktop:?}-{release}"), plan));
        }
    }
    // The other desktops with every service they allow (Flatpak needs a
    // desktop).
    for desktop in [Desktop::Plasma6, Desktop::Xfce, Desktop::None] {
        for release in ["25.05", "25.11"] {
            let mut plan = Plan::example();
            plan.desktop = desktop;
            plan.system.state_version = release.to_owned();
            for service in Service::ALL {
                if desktop.is_graphical() || service != Service::Flatpak {
                    plan.set_service(service, true);
                }
            }
            plans.push((format!("services-{desktop:?}-{release}"), plan));
        }
    }
    for (users, mut plan) in [
        ("one-user", Plan::example()),
        ("three-users", support::rich_plan()),
        ("per-user-home", support::ephemeral_home_plan()),
        ("mixed-homes", support::mixed_homes_plan()),
    ] {
        for service in Service::ALL {
            plan.set_service(service, true);
        }
        for encrypted in [true, false] {
            plan.encryption.enabled = encrypted;
            plans.push((
                format!("all-services-{users}-encrypted-{encrypted}"),
                plan.clone(),
            ));
        }
    }
    // Each other desktop crossed with several accounts and with a home
    // erased at boot, unencrypted (the plans above with one user are
    // encrypted): the desktop must not change who can log in or what homes
    // keep.
    for desktop in [Desktop::Plasma6, Desktop::Xfce, Desktop::None] {
        for (users, mut plan) in [
            ("three-users", support::rich_plan()),
            ("per-user-home", support::ephemeral_home_plan()),
        ] {
            plan.desktop = desktop;
            plan.encryption.enabled = false;
            plan.set_service(Service::Ssh, true);
            plans.push((format!("crossed-{desktop:?}-{users}-unencrypted"), plan));
        }
    }
    plans
}

#[test]
fn every_desktop_and_service_evaluates_under_its_release() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    for (name, plan) in software_plans() {
        assert_eq!(plan.validate(), Ok(()), "{name}");
        let config = evaluate(&plan, &real_ids());
        assert_configuration_is_sound(&name, &plan, &config, &real_ids());
    }
}

/// `tests/golden/desktops/<plan>/`: configuration.nix of every plan, and
/// for the plans with services all the files, where encryption, the
/// number of users and the kind of home change storage.nix, users.nix and
/// persistence.nix. The crossed plans keep only configuration.nix: their
/// other files are the one-desktop plans' (the evaluation above checks
/// them whole).
#[test]
fn desktop_configurations_match_their_golden_files() {
    for (name, plan) in software_plans() {
        let files = nix::render(&plan, &real_ids()).unwrap();
        let compared = if plan.services == Plan::example().services || name.starts_with("crossed-")
        {
            &files[..1]
        } else {
            &files[..]
        };
        assert_golden(&format!("desktops/{name}"), compared);
    }
}

/// The harness tells the releases apart: 25.05's GNOME names warn under
/// 25.11, and 25.11's do not exist in 25.05. So a renderer that ignored
/// the plan's stateVersion would fail the test above.
#[test]
fn a_desktop_option_of_the_wrong_release_is_caught() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let mut plan = Plan::example();
    plan.system.state_version = "25.05".to_owned();
    let dir = tempfile::tempdir().unwrap();
    support::write_files(dir.path(), &nix::render(&plan, &real_ids()).unwrap());
    support::write_vendored(dir.path());
    std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
    let config = support::evaluate_configuration(dir.path(), "25.11");
    let warnings = config["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|warning| warning
            .as_str()
            .unwrap()
            .contains("services.xserver.desktopManager.gnome.enable")),
        "{warnings:?}"
    );

    plan.system.state_version = "25.11".to_owned();
    support::write_files(dir.path(), &nix::render(&plan, &real_ids()).unwrap());
    let error = support::try_evaluate_configuration(dir.path(), "25.05").unwrap_err();
    assert!(
        error.contains("services.desktopManager") || error.contains("services.displayManager"),
        "{error}"
    );
}

/// The stand-ins assert what NixOS' SDDM, Flatpak and portal modules
/// assert, so a Plasma configuration without SDDM's Wayland greeter, or
/// Xfce with Flatpak but without the portals, fails the evaluation.
#[test]
fn the_display_manager_and_portal_assertions_are_live() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let mut plasma = Plan::example();
    plasma.desktop = Desktop::Plasma6;
    let mut xfce = Plan::example();
    xfce.desktop = Desktop::Xfce;
    xfce.set_service(Service::Flatpak, true);
    for (plan, line, message) in [
        (
            plasma,
            "  services.displayManager.sddm.wayland.enable = true;\n",
            "SDDM requires",
        ),
        (xfce, "  xdg.portal.enable = true;\n", "To use Flatpak"),
    ] {
        let mut files = nix::render(&plan, &real_ids()).unwrap();
        assert!(files[0].contents.contains(line), "{line}");
        files[0].contents = files[0].contents.replace(line, "");
        let dir = tempfile::tempdir().unwrap();
        support::write_files(dir.path(), &files);
        support::write_vendored(dir.path());
        std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
        let config = support::evaluate_configuration(dir.path(), "25.11");
        let failed = config["failedAssertions"].as_array().unwrap();
        assert!(
            failed
                .iter()
                .any(|failure| failure.as_str().unwrap().contains(message)),
            "{message}: {failed:?}"
        );
    }
}

/// What the installer writes into /etc/nixos is exactly the pinned
/// revision: its Nix hash is the one `fetchTarball` would check.
#[test]
fn the_vendored_tree_is_the_pinned_revision() {
    if !support::tool_available("nix-hash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    support::write_vendored(dir.path());
    let output = std::process::Command::new("nix-hash")
        .args(["--type", "sha256", "--base32"])
        .arg(dir.path().join(nix::vendored::DIRECTORY))
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        nix::IMPERMANENCE_SHA256
    );
}

/// The copy in data/ is the pinned test tarball, uncompressed.
#[test]
fn the_vendored_tarball_is_the_pinned_tarball() {
    support::verify_pinned_sources();
    let output = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(support::nix_sources_dir().join("impermanence-7b1d382.tar.gz"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let vendored =
        std::fs::read(support::manifest_dir().join("data/impermanence/impermanence-7b1d382.tar"))
            .unwrap();
    assert!(
        output.stdout == vendored,
        "data/impermanence differs from the pinned tarball"
    );
}

/// The optional flake evaluates to the same system as the files: its host
/// is the plan's, the impermanence input replaces the copy (impermanence
/// declares its options once), and the desktop and services are the same.
#[test]
fn the_flake_output_evaluates_to_the_same_system() {
    let mut plan = support::rich_plan();
    plan.flake = true;
    assert_eq!(plan.validate(), Ok(()));
    let files = nix::render(&plan, &real_ids()).unwrap();
    let names: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    assert_eq!(names.last(), Some(&nix::FLAKE_FILE));
    assert_golden("flake", &files);
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    support::write_files(dir.path(), &files);
    support::write_vendored(dir.path());
    std::fs::write(dir.path().join("hardware-configuration.nix"), "{ }\n").unwrap();
    let config = support::evaluate_flake(dir.path(), "25.11");
    assert_configuration_is_sound("flake", &plan, &config, &real_ids());
    assert_eq!(config["flake"]["hosts"], serde_json::json!(["workstation"]));
    assert_eq!(
        config["flake"]["inputs"]["nixpkgs"],
        "github:NixOS/nixpkgs/nixos-25.11"
    );
    assert!(
        config["flake"]["inputs"]["impermanence"]
            .as_str()
            .unwrap()
            .ends_with(nix::IMPERMANENCE_REVISION)
    );

    plan.impermanence = ImpermanenceSource::Fetch;
    let errors = plan.validate().unwrap_err();
    assert_eq!(errors[0].field.as_str(), "flake");
}

fn evaluate_disko(plan: &Plan) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("disko.nix"), nix::disko::render(plan)).unwrap();
    support::evaluate_harness(
        "disko-eval.nix",
        &["--argstr", "configDir", dir.path().to_str().unwrap()],
        "disko.nix",
    )
}

/// `keepsake render --disko` describes what the installer creates: the
/// same ESP, LUKS name, subvolumes with their mount points and options,
/// swap and tmpfs root as storage.nix.
#[test]
fn the_disko_export_matches_the_layout() {
    let rich = support::rich_plan();
    let plain = support::ephemeral_home_plan();
    for (name, plan) in [("rich", &rich), ("plain", &plain)] {
        let golden = support::manifest_dir().join(format!("tests/golden/disko/{name}.nix"));
        let text = nix::disko::render(plan);
        if std::env::var("KEEPSAKE_UPDATE_GOLDEN").as_deref() == Ok("1") {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &text).unwrap();
        }
        assert_eq!(text, std::fs::read_to_string(&golden).unwrap(), "{name}");
    }
    if !support::tool_available("nix-instantiate") {
        return;
    }
    for plan in [&rich, &plain] {
        let disko = evaluate_disko(plan);
        assert_eq!(disko["problems"], serde_json::json!([]));
        assert_eq!(disko["esp"]["size"], format!("{}M", plan.esp.size_mib));
        assert_eq!(disko["esp"]["type"], "EF00");
        assert_eq!(disko["esp"]["mountpoint"], "/boot");
        assert_eq!(
            string_list(&disko["esp"]["mountOptions"]),
            ["fmask=0077", "dmask=0077"]
        );
        assert_eq!(
            disko["luksName"],
            if plan.encryption.enabled {
                Value::from(plan.encryption.mapped_name.as_str())
            } else {
                Value::Null
            }
        );
        let subvolumes = disko["subvolumes"].as_object().unwrap();
        let created = plan.created_subvolumes();
        assert_eq!(subvolumes.len(), created.len());
        for (_, subvolume) in &created {
            let exported = &subvolumes[&subvolume.name];
            assert_eq!(exported["mountpoint"], subvolume.mount_point.as_str());
            assert_eq!(string_list(&exported["mountOptions"]), subvolume.options);
        }
        if let Some(swap) = &plan.swap {
            assert_eq!(
                subvolumes["swap"]["swap"]["swapfile"],
                format!("{}G", swap.size_gib)
            );
        }
        assert_eq!(disko["root"]["fsType"], "tmpfs");
        assert!(string_list(&disko["root"]["mountOptions"]).contains(&"mode=755".to_owned()));
    }

    // The stand-ins refuse what disko refuses: a LUKS container without a
    // name, an unknown content type.
    let broken = nix::disko::render(&rich).replace("type = \"luks\";", "type = \"lvm\";");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("disko.nix"), broken).unwrap();
    let args = ["--argstr", "configDir", dir.path().to_str().unwrap()];
    assert!(support::try_evaluate_harness("disko-eval.nix", &args).is_err());
}
