// SPDX-License-Identifier: GPL-3.0-or-later
//! End-to-end tests of `keepsake install` in a qemu VM (TCG) booted from the
//! build root, with real UDisks, LUKS2, btrfs and vfat on virtual disks, and
//! stand-ins for the NixOS tools. The guest scripts in `tests/vm/` do the
//! checks on the disk; this file prepares the plans, boots the VM through
//! `tests/vm/run-vm` and asserts on what the guest recorded.
//!
//! They need the build root (`build-aux/dev cargo test`): elsewhere they are
//! skipped with a message, except in CI inside the build root, where a
//! missing qemu is a failure.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use keepsake::install::{Event, StepId};
use keepsake::plan::{Plan, Swap, TargetDisk};

const GIB: u64 = 1024 * 1024 * 1024;
/// Only one VM at a time: the machines have two cores.
static ONE_VM_AT_A_TIME: Mutex<()> = Mutex::new(());

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a VM can boot here; `false` after a loud message when not.
fn vm_available() -> bool {
    let in_build_root = std::env::var("KEEPSAKE_IN_BUILDROOT").as_deref() == Ok("1");
    let in_ci = std::env::var("CI").as_deref() == Ok("true");
    let qemu = Command::new("sh")
        .args(["-c", "command -v qemu-system-x86_64 && ls /boot/vmlinuz-*"])
        .output()
        .is_ok_and(|output| output.status.success());
    if qemu {
        return true;
    }
    assert!(
        !(in_build_root && in_ci),
        "qemu-system-x86_64 or the kernel is missing from the build root: the VM tests cannot run"
    );
    eprintln!(
        "\n*** SKIPPED: the install VM tests need qemu-system-x86_64 and a kernel in /boot; \
         run them inside the build root: build-aux/dev cargo test --test install_vm ***\n"
    );
    false
}

fn plan_for(serial: &str, size_bytes: u64) -> String {
    plan_with(serial, size_bytes, |_| {})
}

fn plan_with(serial: &str, size_bytes: u64, adjust: impl FnOnce(&mut Plan)) -> String {
    let mut plan = Plan::example();
    adjust(&mut plan);
    plan.disk = Some(TargetDisk {
        udisks_object_path: String::new(),
        by_id_path: format!("/dev/disk/by-id/virtio-{serial}"),
        model: String::new(),
        serial: serial.to_owned(),
        size_bytes,
        rotational: false,
    });
    plan.to_json().expect("the example plan serialises")
}

/// Boots the VM with `guest_script` and returns the results directory.
fn run_vm(name: &str, guest_script: &str, disks: &[&str]) -> PathBuf {
    let results = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("vm-{name}"));
    if results.exists() {
        fs::remove_dir_all(&results).expect("old results can be removed");
    }
    fs::create_dir_all(&results).unwrap();
    let inputs = results.join("inputs");
    fs::create_dir_all(&inputs).unwrap();
    // The guest sees the build root, but not necessarily the checkout: it
    // may live under /tmp or /var/tmp, which the guest covers with tmpfs.
    // The binary and the stand-ins travel in the results share instead.
    let vm_dir = checkout().join("tests/vm");
    fs::create_dir_all(results.join("bin")).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_keepsake"), results.join("bin/keepsake"))
        .expect("the keepsake binary can be copied into the share");
    // Not "stand-ins": the stand-ins record what they see there.
    let tools = results.join("tools");
    fs::create_dir_all(&tools).unwrap();
    for stand_in in fs::read_dir(vm_dir.join("stand-ins")).unwrap() {
        let stand_in = stand_in.unwrap().path();
        fs::copy(&stand_in, tools.join(stand_in.file_name().unwrap()))
            .expect("the stand-ins can be copied into the share");
    }
    fs::write(
        inputs.join("env.sh"),
        format!(
            "KS_KEEPSAKE=\"$KS_SHARE/bin/keepsake\"\nKS_STAND_INS=\"$KS_SHARE/tools\"\n\
             KS_IMPERMANENCE_SHA256={}\n",
            keepsake::nix::IMPERMANENCE_SHA256
        ),
    )
    .unwrap();
    fs::write(
        inputs.join("plan-target.json"),
        plan_for("target", 20 * GIB),
    )
    .unwrap();
    fs::write(inputs.join("plan-small.json"), plan_for("small", 2 * GIB)).unwrap();
    fs::write(inputs.join("plan-busy.json"), plan_for("busy", 20 * GIB)).unwrap();
    let plain = plan_with("target", 20 * GIB, |plan| {
        plan.encryption.enabled = false;
        plan.swap = Some(Swap { size_gib: 1 });
    });
    fs::write(inputs.join("plan-plain.json"), plain).unwrap();

    let mut command = Command::new(vm_dir.join("run-vm"));
    command
        .arg("--results")
        .arg(&results)
        .args(["--timeout", "2400"]);
    for disk in disks {
        command.args(["--disk", disk]);
    }
    for input in fs::read_dir(&inputs).unwrap() {
        command.arg("--input").arg(input.unwrap().path());
    }
    command.arg("--input").arg(vm_dir.join("guest-lib.sh"));
    command.arg(vm_dir.join(guest_script));
    let status = command.status().expect("tests/vm/run-vm starts");
    let checks = fs::read_to_string(results.join("checks")).unwrap_or_default();
    let log = fs::read_to_string(results.join("check-output.log")).unwrap_or_default();
    println!("{name} checks:\n{checks}");
    assert!(
        status.success(),
        "the VM run failed ({status}); see {}\n{log}",
        results.display()
    );
    let failed: Vec<&str> = checks
        .lines()
        .filter(|line| line.starts_with("FAIL"))
        .collect();
    assert!(failed.is_empty(), "failed checks: {failed:?}\n{log}");
    results
}

fn assert_bystander_unchanged(results: &Path) {
    let before = fs::read_to_string(results.join("bystander.sha256-before")).unwrap();
    let after = fs::read_to_string(results.join("bystander.sha256-after")).unwrap();
    assert_eq!(before, after, "the bystander disk changed");
}

fn read(results: &Path, name: &str) -> String {
    fs::read_to_string(results.join(name)).unwrap_or_default()
}

#[test]
fn full_install_in_a_vm() {
    if !vm_available() {
        return;
    }
    let _vm = ONE_VM_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let results = run_vm(
        "install",
        "guest-install.sh",
        &["target:20G", "bystander:1G:pattern"],
    );
    let checks = read(&results, "checks");
    assert!(
        checks.contains("ok clean-at-the-end"),
        "the guest script stopped early"
    );
    assert_bystander_unchanged(&results);

    let events: Vec<Event> = read(&results, "events.jsonl")
        .lines()
        .map(|line| Event::from_json_line(line).expect("every line is an event"))
        .collect();
    let step_seconds: Vec<(StepId, f64)> = events
        .iter()
        .filter_map(|event| match event {
            Event::Finished { step, seconds } => Some((*step, *seconds)),
            _ => None,
        })
        .collect();
    assert_eq!(step_seconds.len(), StepId::ALL.len());
    let seconds_of = |wanted: StepId| {
        step_seconds
            .iter()
            .find(|(step, _)| *step == wanted)
            .map_or(0.0, |(_, seconds)| *seconds)
    };
    let total: f64 = read(&results, "install-seconds")
        .trim()
        .parse()
        .unwrap_or(0.0);
    println!("benchmark (TCG VM, wall seconds per step):");
    for (step, seconds) in &step_seconds {
        println!(
            "  {:>2} {:<24} {seconds:7.2}",
            step.number(),
            format!("{step:?}")
        );
    }
    let overhead = total - seconds_of(StepId::InstallNixos) - seconds_of(StepId::RootPartition);
    println!("  whole `keepsake install` process: {total:.2} s");
    println!(
        "  Keepsake's overhead (total minus nixos-install and the LUKS2 + btrfs format): {overhead:.2} s"
    );
    println!(
        "  VM boot to power-off: {} s",
        read(&results, "vm-seconds").trim()
    );
}

#[test]
fn failures_cancellation_and_refusals_in_a_vm() {
    if !vm_available() {
        return;
    }
    let _vm = ONE_VM_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let results = run_vm(
        "faults",
        "guest-faults.sh",
        &["target:20G", "bystander:1G:pattern", "small:2G", "busy:20G"],
    );
    let checks = read(&results, "checks");
    assert!(
        checks.contains("ok not-root-unchanged"),
        "the guest script stopped early"
    );
    for step in StepId::ALL {
        let n = step.number();
        assert!(
            checks.contains(&format!("ok fault-{n}-state-matches-disk")),
            "step {n}"
        );
    }
    println!("reported states:\n{}", read(&results, "fault-states"));
    assert_bystander_unchanged(&results);
}
