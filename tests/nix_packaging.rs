// SPDX-License-Identifier: GPL-3.0-or-later
//! The Nix packaging (flake.nix, nix/): every `.nix` file parses, and the
//! package, the NixOS module, the live ISO and the flake's outputs evaluate
//! against typed stubs (tests/nix/stubs.nix) and the pinned nixpkgs lib.
//! No Nix binary cache is reachable here, so nothing is built: these tests
//! check the expressions, not the build.

#[path = "nix/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

const APP_ID: &str = "io.github.keepsake.Keepsake";

/// tests/nix/packaging-eval.nix's result, evaluated once per test binary.
fn evaluated() -> Option<&'static Value> {
    static RESULT: OnceLock<Value> = OnceLock::new();
    if !support::tool_available("nix-instantiate") {
        return None;
    }
    Some(RESULT.get_or_init(|| {
        let driver = support::manifest_dir().join("tests/nix/packaging-eval.nix");
        let lib = support::nixpkgs_lib_source();
        let repo = support::manifest_dir();
        let output = support::nix_instantiate(
            &[
                "--eval",
                "--strict",
                "--json",
                "--readonly-mode",
                driver.to_str().unwrap(),
                "--argstr",
                "libDir",
                lib.to_str().unwrap(),
                "--argstr",
                "repo",
                repo.to_str().unwrap(),
            ],
            None,
        );
        assert!(
            output.status.success(),
            "evaluating the Nix packaging failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }))
}

fn repo_path(relative: &str) -> String {
    support::manifest_dir()
        .join(relative)
        .to_str()
        .unwrap()
        .to_owned()
}

/// Every `.nix` file of the repository but the pinned and corpus data under
/// tests/data and build output.
fn nix_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let relative = path.strip_prefix(support::manifest_dir()).unwrap();
        let skipped = ["tests/data", "target", ".git", "_build", "builddir"];
        if skipped.iter().any(|skip| relative == Path::new(skip)) {
            continue;
        }
        if path.is_dir() {
            nix_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "nix") {
            found.push(path);
        }
    }
}

#[test]
fn every_nix_file_outside_test_data_parses() {
    if !support::tool_available("nix-instantiate") {
        return;
    }
    let mut files = Vec::new();
    nix_files(&support::manifest_dir(), &mut files);
    for expected in [
        "flake.nix",
        "nix/package.nix",
        "nix/core-tests.nix",
        "nix/module.nix",
        "nix/live-iso.nix",
        "tests/nix/stubs.nix",
    ] {
        assert!(
            files.contains(&support::manifest_dir().join(expected)),
            "{expected} was not found"
        );
    }
    for file in &files {
        let output = support::nix_instantiate(&["--parse", file.to_str().unwrap()], None);
        assert!(
            output.status.success(),
            "{} does not parse:\n{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn module_config_is_exactly_what_each_switch_asks_for() {
    let Some(result) = evaluated() else { return };
    let config = |polkit: bool, packages: &[&str]| json!({ "systemPackages": packages, "polkit": polkit, "etc": {}, "dconfProfiles": {} });
    let module = &result["module"];
    // Off unless asked; the editor alone needs the command, not polkit.
    assert_eq!(module["default"], config(false, &[]));
    assert_eq!(module["disabled"], config(false, &[]));
    assert_eq!(module["enabled"], config(true, &["keepsake"]));
    assert_eq!(module["editorOnly"], config(false, &["keepsake"]));
    assert_eq!(module["both"], config(true, &["keepsake"]));
    assert_eq!(module["otherPackage"], config(true, &["keepsake-patched"]));
}

#[test]
fn package_builds_with_nixpkgs_meson_and_rust_tooling() {
    let Some(result) = evaluated() else { return };
    let package = &result["package"];
    assert_eq!(package["pname"], "keepsake");
    assert_eq!(package["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(package["mainProgram"], "keepsake");
    assert_eq!(
        package["nativeBuildInputs"],
        json!([
            "meson",
            "ninja",
            "pkg-config",
            "cargoSetupHook",
            "cargo",
            "rustc",
            "wrapGAppsHook4",
            "desktop-file-utils",
            "appstream",
            "gettext",
            "glib",
            "gtk4"
        ])
    );
    assert_eq!(
        package["buildInputs"],
        json!(["glib", "gtk4", "libadwaita", "gtksourceview5"])
    );
    assert_eq!(package["mesonFlags"], json!(["-Dprofile=default"]));
    assert_eq!(package["cargoLockFile"], repo_path("Cargo.lock"));
    // The helper stays unwrapped: the polkit action names its real path.
    assert_eq!(package["dontWrapGApps"], true);
    assert_eq!(package["postFixup"], "wrapGApp \"$out/bin/keepsake\"\n");
}

#[test]
fn package_installs_and_checks_what_meson_installs() {
    let Some(result) = evaluated() else { return };
    let package = &result["package"];
    let mut expected = vec![
        "bin/keepsake".to_owned(),
        "bin/keepsake-helper".to_owned(),
        format!("share/applications/{APP_ID}.desktop"),
        format!("share/metainfo/{APP_ID}.metainfo.xml"),
        format!("share/icons/hicolor/scalable/apps/{APP_ID}.svg"),
        format!("share/icons/hicolor/symbolic/apps/{APP_ID}-symbolic.svg"),
    ];
    let linguas = std::fs::read_to_string(support::manifest_dir().join("po/LINGUAS")).unwrap();
    for language in linguas.split_whitespace() {
        expected.push(format!("share/locale/{language}/LC_MESSAGES/keepsake.mo"));
    }
    expected.push(format!("share/polkit-1/actions/{APP_ID}.policy"));
    assert_eq!(package["installedFiles"], json!(expected));

    // The icons are those data/meson.build installs from data/.
    let data_meson =
        std::fs::read_to_string(support::manifest_dir().join("data/meson.build")).unwrap();
    for icon in expected
        .iter()
        .filter(|file| file.starts_with("share/icons/"))
    {
        let source = icon.strip_prefix("share/").unwrap();
        assert!(
            support::manifest_dir().join("data").join(source).is_file(),
            "data/{source} does not exist"
        );
        let directory = &source[..source.rfind('/').unwrap()];
        assert!(
            data_meson.contains(&format!("'{directory}/'")),
            "data/meson.build does not install into {directory}"
        );
    }

    // The install check runs and tests every file and the helper's path.
    assert_eq!(package["doInstallCheck"], true);
    let check = package["installCheckPhase"].as_str().unwrap();
    assert!(check.contains(&format!("for file in {};", expected.join(" "))));
    assert!(
        check
            .lines()
            .any(|line| line.trim_start().starts_with("test -e \"$out/$file\" || {")),
        "the install check does not test each file:\n{check}"
    );
    assert!(check.contains(
        "<annotate key=\\\"org.freedesktop.policykit.exec.path\\\">$out/bin/keepsake-helper</annotate>"
    ));
}

#[test]
fn core_tests_check_runs_existing_headless_tests() {
    let Some(result) = evaluated() else { return };
    let check = &result["coreTests"];
    assert_eq!(check["pname"], "keepsake-core-tests");
    assert_eq!(check["sameVendoredCrates"], true);
    assert_eq!(
        check["nativeBuildInputs"],
        json!(["cargoSetupHook", "cargo", "rustc"])
    );
    assert!(
        check["buildPhase"]
            .as_str()
            .unwrap()
            .contains("cargo test $cargoTestFlags")
    );
    let flags: Vec<&str> = check["cargoTestFlags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|flag| flag.as_str().unwrap())
        .collect();
    assert_eq!(
        flags[..4],
        ["--offline", "--no-default-features", "--lib", "--bins"]
    );
    let tests = &flags[4..];
    assert!(!tests.is_empty());
    for pair in tests.chunks(2) {
        assert_eq!(pair[0], "--test");
        let file = support::manifest_dir().join(format!("tests/{}.rs", pair[1]));
        assert!(file.is_file(), "{} does not exist", file.display());
    }
}

#[test]
fn live_iso_is_the_gnome_cd_with_keepsake_autostarted_and_pinned() {
    let Some(result) = evaluated() else { return };
    let iso = &result["liveIso"];
    assert_eq!(
        iso["imports"],
        json!([
            repo_path(
                "tests/nix/stub-modules/installer/cd-dvd/installation-cd-graphical-gnome.nix"
            ),
            repo_path("nix/module.nix"),
        ])
    );
    assert_eq!(iso["edition"], "gnome");
    let desktop = format!("{APP_ID}.desktop");
    assert_eq!(
        iso["config"],
        json!({
            "systemPackages": ["keepsake"],
            "polkit": true,
            "etc": {
                format!("xdg/autostart/{desktop}"): {
                    "source": format!("/stub/keepsake/share/applications/{desktop}"),
                    "text": null,
                },
            },
            "dconfProfiles": {
                "user": [{
                    "settings": {
                        "org/gnome/shell": {
                            "favorite-apps": [
                                desktop,
                                "firefox.desktop",
                                "nixos-manual.desktop",
                                "org.gnome.Console.desktop",
                                "org.gnome.Nautilus.desktop",
                                "gparted.desktop",
                            ],
                        },
                    },
                    "locks": [],
                    "lockAll": false,
                    "keyfiles": [],
                }],
            },
        })
    );
    // The autostart entry is the desktop file the package installs.
    let installed = result["package"]["installedFiles"].as_array().unwrap();
    assert!(installed.contains(&json!(format!("share/applications/{desktop}"))));
}

#[test]
fn flake_has_the_documented_inputs_and_outputs() {
    let Some(result) = evaluated() else { return };
    let flake = &result["flake"];
    assert_eq!(
        flake["inputs"],
        json!({ "nixpkgs": { "url": "github:NixOS/nixpkgs/nixos-25.11" } })
    );
    assert_eq!(
        flake["outputs"],
        json!({
            "packages": ["x86_64-linux"],
            "checks": ["x86_64-linux"],
            "devShells": ["x86_64-linux"],
            "formatter": ["x86_64-linux"],
            "nixosModules": ["default"],
            "nixosConfigurations": ["live-iso"],
        })
    );
    assert_eq!(
        flake["packages"],
        json!({ "default": "keepsake", "keepsake": "keepsake" })
    );
    assert_eq!(
        flake["checks"],
        json!({ "keepsake": "keepsake", "core-tests": "keepsake-core-tests" })
    );
    assert_eq!(flake["devShell"]["inputsFrom"], json!(["keepsake"]));
    assert_eq!(flake["formatter"], "nixfmt");
    assert_eq!(flake["nixosModule"], repo_path("nix/module.nix"));
    assert_eq!(flake["liveIsoModules"][0], repo_path("nix/live-iso.nix"));
    assert_eq!(
        flake["liveIsoModules"][1]["nixpkgs"],
        json!({ "hostPlatform": "x86_64-linux" })
    );
    assert_eq!(flake["liveIsoPackage"], "keepsake");
}
