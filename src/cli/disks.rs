// SPDX-License-Identifier: GPL-3.0-or-later
//! `keepsake disks`: the disks Keepsake would offer, and why it refuses the
//! others.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Args;
use futures_util::StreamExt;
use gettextrs::gettext;
use serde::Serialize;

use crate::disks::{
    self, Disk, DiskError, DiskQuery, DiskSource, FakeDisks, UDisksSource, format_size,
};
use crate::i18n::{gettext_f, isolate};

/// `EX_UNAVAILABLE` from sysexits.h: scripts can tell "no UDisks" apart
/// from other failures.
pub const EXIT_UDISKS_UNAVAILABLE: u8 = 69;

#[derive(Debug, Clone, Args)]
pub struct DisksArgs {
    /// Print JSON for scripts (with --watch: one line per change).
    #[arg(long)]
    pub json: bool,
    /// List loop devices too (tests and demos install to them).
    #[arg(long)]
    pub allow_loop: bool,
    /// Keep running and print every change.
    #[arg(long)]
    pub watch: bool,
    /// Refuse disks smaller than this many bytes.
    #[arg(long, value_name = "BYTES")]
    pub minimum_size: Option<u64>,
    /// Show the demo disks instead of asking UDisks.
    #[arg(long)]
    pub demo: bool,
}

pub fn run(args: DisksArgs) -> ExitCode {
    match async_io::block_on(list_or_watch(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("keepsake disks: {error}");
            match error {
                DiskError::Unavailable { .. } => ExitCode::from(EXIT_UDISKS_UNAVAILABLE),
                DiskError::Bus { .. } | DiskError::NotFound { .. } => ExitCode::FAILURE,
            }
        }
    }
}

async fn list_or_watch(args: &DisksArgs) -> Result<(), DiskError> {
    let source: Box<dyn DiskSource> = if args.demo {
        Box::new(FakeDisks::demo())
    } else {
        Box::new(UDisksSource::system().await?)
    };
    let query = DiskQuery {
        allow_loop: args.allow_loop,
        minimum_size: args.minimum_size,
    };
    let mut out = io::stdout().lock();
    if !args.watch {
        let disks = disks::list_disks(source.as_ref(), &query).await?;
        return print_list(&mut out, &disks, args.json).map_err(output_error);
    }
    let mut lists = disks::watch_disks(source.as_ref(), query).await?;
    let mut previous: Option<Vec<Disk>> = None;
    while let Some(disks) = lists.next().await {
        let disks = disks?;
        let written = match &previous {
            None => print_list(&mut out, &disks, args.json),
            Some(_) if args.json => print_list(&mut out, &disks, true),
            Some(previous) => print_changes(&mut out, previous, &disks),
        };
        written.and_then(|()| out.flush()).map_err(output_error)?;
        previous = Some(disks);
    }
    Ok(())
}

fn output_error(error: io::Error) -> DiskError {
    DiskError::Bus {
        detail: error.to_string(),
    }
}

#[derive(Serialize)]
struct JsonDisk<'a> {
    #[serde(flatten)]
    disk: &'a Disk,
    /// The reasons as translated sentences, in the order of `reasons`.
    messages: Vec<String>,
}

fn print_list(out: &mut impl Write, disks: &[Disk], json: bool) -> io::Result<()> {
    if json {
        let disks: Vec<JsonDisk> = disks
            .iter()
            .map(|disk| JsonDisk {
                disk,
                messages: disk.verdict.reasons().iter().map(|r| r.message()).collect(),
            })
            .collect();
        serde_json::to_writer(&mut *out, &disks)?;
        return writeln!(out);
    }
    if disks.is_empty() {
        return writeln!(out, "{}", gettext("No disk found"));
    }
    write!(out, "{}", render_table(disks))
}

fn verdict_text(disk: &Disk) -> String {
    if disk.is_usable() {
        gettext("usable")
    } else {
        gettext("refused")
    }
}

/// Columns padded by character count; reasons and partitions go on the
/// lines below their disk, where long paths do not break the table.
fn render_table(disks: &[Disk]) -> String {
    let header = [
        gettext("DEVICE"),
        gettext("SIZE"),
        gettext("MODEL"),
        gettext("BY-ID"),
        gettext("VERDICT"),
    ];
    let rows: Vec<[String; 5]> = disks
        .iter()
        .map(|disk| {
            [
                disk.device.clone(),
                format_size(disk.size),
                disk.display_name(),
                disk.by_id.clone().unwrap_or_else(|| "-".to_owned()),
                verdict_text(disk),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|title| title.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 5]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut table = line(&header);
    for (disk, row) in disks.iter().zip(&rows) {
        table.push_str(&line(row));
        for partition in &disk.partitions {
            let mut details = vec![partition.device.clone(), format_size(partition.size)];
            details.extend(
                [&partition.filesystem, &partition.label]
                    .into_iter()
                    .filter(|text| !text.is_empty())
                    .cloned(),
            );
            table.push_str(&format!("    {}\n", details.join("  ")));
        }
        for reason in disk.verdict.reasons() {
            table.push_str(&format!("    ! {}\n", reason.message()));
        }
    }
    table
}

/// One line per disk that appeared, went away or changed its verdict.
fn print_changes(out: &mut impl Write, previous: &[Disk], current: &[Disk]) -> io::Result<()> {
    let before: BTreeMap<&str, &Disk> = previous
        .iter()
        .map(|disk| (disk.object_path.as_str(), disk))
        .collect();
    let after: BTreeMap<&str, &Disk> = current
        .iter()
        .map(|disk| (disk.object_path.as_str(), disk))
        .collect();
    for disk in previous {
        if !after.contains_key(disk.object_path.as_str()) {
            let message = gettext_f("removed: {device}", &[("device", &isolate(&disk.device))]);
            writeln!(out, "- {message}")?;
        }
    }
    for disk in current {
        let summary = format!(
            "{} ({}, {}): {}",
            disk.device,
            disk.display_name(),
            format_size(disk.size),
            verdict_text(disk)
        );
        let mark = match before.get(disk.object_path.as_str()) {
            None => "+",
            Some(old) if *old != disk => "~",
            Some(_) => continue,
        };
        writeln!(out, "{mark} {summary}")?;
        for reason in disk.verdict.reasons() {
            writeln!(out, "    ! {}", reason.message())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disks::fake::demo_disks;

    #[test]
    fn table_lists_disks_partitions_and_reasons() {
        let table = render_table(&demo_disks());
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("DEVICE"), "{table}");
        assert!(lines[1].starts_with("/dev/nvme0n1  1.0 TB"), "{table}");
        assert!(lines[1].ends_with("usable"), "{table}");
        assert!(table.contains("    /dev/sda3  "), "{table}");
        assert!(table.contains("ntfs  Windows"), "{table}");
        assert!(
            table.contains("    ! \u{2068}/dev/sdb1\u{2069} is mounted at \u{2068}/iso\u{2069}"),
            "{table}"
        );
    }

    #[test]
    fn json_has_structured_reasons_and_messages() {
        let mut out = Vec::new();
        print_list(&mut out, &demo_disks(), true).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let stick = &value[2];
        assert_eq!(stick["device"], "/dev/sdb");
        assert_eq!(stick["verdict"]["verdict"], "refused");
        assert_eq!(stick["verdict"]["reasons"][1]["kind"], "mounted");
        assert_eq!(stick["verdict"]["reasons"][1]["mount_point"], "/iso");
        assert_eq!(
            stick["messages"][1],
            "\u{2068}/dev/sdb1\u{2069} is mounted at \u{2068}/iso\u{2069}"
        );
        assert_eq!(value[0]["verdict"]["verdict"], "usable");
    }

    #[test]
    fn changes_show_added_removed_and_changed_disks() {
        let before = demo_disks();
        let mut after = before.clone();
        after.remove(0);
        after[0].verdict = disks::Verdict::Refused(vec![disks::RefusalReason::ReadOnly]);
        let mut out = Vec::new();
        print_changes(&mut out, &before, &after).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "- removed: \u{2068}/dev/nvme0n1\u{2069}\n\
             ~ /dev/sda (ATA ST1000LM035-1RK172, 1.0 TB): refused\n    ! The disk is read-only\n"
        );
    }
}
