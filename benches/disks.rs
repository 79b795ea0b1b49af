// SPDX-License-Identifier: GPL-3.0-or-later
//! Time from a cold start to a complete disk list with 8 loop disks, and
//! the D-Bus method calls it takes. Needs root and the build root's
//! udisksd: `build-aux/dev cargo bench --no-default-features --bench disks`.

// Shared with the tests, which use the parts the benchmark does not.
#[allow(dead_code)]
#[path = "../tests/support/udisks_env.rs"]
mod udisks_env;

use std::time::{Duration, Instant};

use keepsake::disks::{self, UDisksSource};
use udisks_env::{Daemons, LoopDisk, find, loop_query, missing_capability, wait_for_disks};

const LOOP_DISKS: usize = 8;
const WARM_RUNS: u32 = 20;
const MIB: u64 = 1 << 20;

fn main() {
    if let Some(missing) = missing_capability() {
        eprintln!("*** SKIPPED the disks benchmark: {missing} ***");
        return;
    }
    let daemons = Daemons::start();
    let loops: Vec<LoopDisk> = (0..LOOP_DISKS)
        .map(|index| {
            LoopDisk::create(
                daemons.work_dir.path(),
                &format!("bench-{index}.img"),
                64 * MIB,
                false,
            )
        })
        .collect();
    let all_listed =
        |list: &[disks::Disk]| loops.iter().all(|disk| find(list, &disk.device).is_some());

    async_io::block_on(async {
        // Let udisksd catch up with the new devices before timing.
        let settled = UDisksSource::system().await.expect("system bus");
        wait_for_disks(&settled, "all loop disks", all_listed).await;

        // Cold: a new connection (its Hello included) and the first list.
        let start = Instant::now();
        let connection = zbus::Connection::system().await.expect("system bus");
        let source = UDisksSource::on(connection);
        let list = disks::list_disks(&source, &loop_query())
            .await
            .expect("list");
        let cold = start.elapsed();
        assert!(all_listed(&list), "incomplete list: {list:#?}");
        let cold_calls = source.method_calls();

        let mut warm = Duration::ZERO;
        for _ in 0..WARM_RUNS {
            let start = Instant::now();
            let list = disks::list_disks(&source, &loop_query())
                .await
                .expect("list");
            warm += start.elapsed();
            assert!(all_listed(&list));
        }
        let warm_calls = (source.method_calls() - cold_calls) / u64::from(WARM_RUNS);

        println!(
            "disks listed: {} ({LOOP_DISKS} loop disks of this benchmark)",
            list.len()
        );
        println!(
            "cold start to complete list: {:.1} ms, {} D-Bus round trips (connection Hello + {cold_calls} method call)",
            cold.as_secs_f64() * 1000.0,
            cold_calls + 1
        );
        println!(
            "warm list: {:.1} ms on average, {warm_calls} D-Bus round trip each",
            warm.as_secs_f64() * 1000.0 / f64::from(WARM_RUNS)
        );
    });
}
