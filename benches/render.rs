// SPDX-License-Identifier: GPL-3.0-or-later
//! Median time to render a large plan: 500 persistence entries and 30
//! subvolumes. Run with `cargo bench --no-default-features --bench render`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use keepsake::nix::{self, DiskIds};
use keepsake::plan::{PersistentDirectory, Plan, Subvolume, default_mount_options};

const ROUNDS: usize = 200;

fn large_plan() -> Plan {
    let mut plan = Plan::example();
    for index in plan.subvolumes.len()..30 {
        plan.subvolumes.push(Subvolume {
            name: format!("data-{index:02}"),
            mount_point: format!("/srv/data-{index:02}"),
            options: default_mount_options(false),
        });
    }
    plan.persistence.directories = (0..400)
        .map(|index| PersistentDirectory::new(&format!("/var/lib/service-{index:03}")))
        .collect();
    plan.persistence.files = (0..100)
        .map(|index| format!("/etc/config-{index:03}.conf"))
        .collect();
    plan
}

fn main() {
    let plan = large_plan();
    assert_eq!(plan.subvolumes.len(), 30);
    assert_eq!(
        plan.persistence.directories.len() + plan.persistence.files.len(),
        500
    );
    assert_eq!(plan.validate(), Ok(()));
    let ids = DiskIds::placeholders();
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            black_box(nix::render(black_box(&plan), &ids).unwrap());
            start.elapsed()
        })
        .collect();
    times.sort();
    let validate_start = Instant::now();
    black_box(plan.validate()).unwrap();
    println!(
        "render, 500 persistence entries and 30 subvolumes: median {:?} over {ROUNDS} rounds \
         (min {:?}, max {:?}); validate once: {:?}",
        times[ROUNDS / 2],
        times[0],
        times[ROUNDS - 1],
        validate_start.elapsed()
    );
}
