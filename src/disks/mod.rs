// SPDX-License-Identifier: GPL-3.0-or-later
//! Disk discovery over UDisks2 and the rules that refuse disks in use.
//!
//! * [`snapshot`] — a plain copy of UDisks' managed objects.
//! * [`rules`] — the pure function from a snapshot to [`Disk`]s with their
//!   [`Verdict`]s.
//! * [`udisks`] — the real source: one `GetManagedObjects` call, then
//!   signals applied to the cached copy.
//! * [`fake`] — the demo and test source.
//!
//! Callers use [`list_disks`] once, [`watch_disks`] for a live list, and
//! [`recheck_disk`] right before writing. Everything here is async without
//! a runtime of its own: await it on the GLib main context or block on it.

pub mod fake;
pub mod model;
pub mod rules;
pub mod snapshot;
pub mod udisks;

use std::fmt;

use futures_util::future::{self, BoxFuture};
use futures_util::stream::{BoxStream, StreamExt};

pub use self::fake::FakeDisks;
pub use self::model::{Disk, InstalledSystem, Partition, RefusalReason, Verdict, format_size};
pub use self::rules::{DiskQuery, disks_from_snapshot, installed_systems};
use self::snapshot::Snapshot;
pub use self::udisks::UDisksSource;
use crate::i18n::{gettext_f, isolate};

/// Where disks come from: UDisks or the fake.
pub trait DiskSource: Send + Sync {
    /// The objects as they are now, read afresh.
    fn snapshot(&self) -> BoxFuture<'_, Result<Snapshot, DiskError>>;

    /// The objects as they are now, then again after every change.
    fn snapshots(
        &self,
    ) -> BoxFuture<'_, Result<BoxStream<'static, Result<Snapshot, DiskError>>, DiskError>>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskError {
    /// No UDisks daemon answers on the system bus (or there is no bus).
    Unavailable { detail: String },
    /// UDisks answered with an error or the connection broke.
    Bus { detail: String },
    /// [`recheck_disk`] found no disk under that name any more.
    NotFound { disk: String },
}

impl fmt::Display for DiskError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            Self::Unavailable { .. } => gettext_f(
                "UDisks2 is not available on the system bus: is udisks2 installed and running?",
                &[],
            ),
            Self::Bus { detail } => gettext_f(
                "Could not read the disks from UDisks2: {detail}",
                &[("detail", detail)],
            ),
            Self::NotFound { disk } => gettext_f(
                "The disk {disk} is no longer there",
                &[("disk", &isolate(disk))],
            ),
        };
        formatter.write_str(&message)
    }
}

impl std::error::Error for DiskError {}

/// The disks as they are now.
pub async fn list_disks(
    source: &dyn DiskSource,
    query: &DiskQuery,
) -> Result<Vec<Disk>, DiskError> {
    Ok(disks_from_snapshot(&source.snapshot().await?, query))
}

/// The disks as they are now, then a new list each time it changes
/// (a disk plugged in or removed, a mount, a swap, a lock or unlock).
/// The stream ends after yielding an error.
pub async fn watch_disks(
    source: &dyn DiskSource,
    query: DiskQuery,
) -> Result<BoxStream<'static, Result<Vec<Disk>, DiskError>>, DiskError> {
    let snapshots = source.snapshots().await?;
    let mut previous: Option<Vec<Disk>> = None;
    Ok(snapshots
        .filter_map(move |snapshot| {
            let item = match snapshot {
                Ok(snapshot) => {
                    let disks = disks_from_snapshot(&snapshot, &query);
                    (previous.as_ref() != Some(&disks)).then(|| {
                        previous = Some(disks.clone());
                        Ok(disks)
                    })
                }
                Err(error) => Some(Err(error)),
            };
            future::ready(item)
        })
        .scan(false, |failed, item| {
            if *failed {
                return future::ready(None);
            }
            *failed = item.is_err();
            future::ready(Some(item))
        })
        .boxed())
}

/// Reads UDisks again and returns the disk known as `disk` (object path,
/// any `/dev/disk/by-*` link or device node) with a fresh verdict. The
/// installer calls this right before the first write and refuses to go on
/// unless the result [`Disk::is_usable`] and still has the serial and size
/// the user confirmed.
pub async fn recheck_disk(
    source: &dyn DiskSource,
    disk: &str,
    query: &DiskQuery,
) -> Result<Disk, DiskError> {
    // Any other `/dev/disk/by-*` link the caller kept resolves to the node.
    let resolved = std::fs::canonicalize(disk)
        .ok()
        .and_then(|path| path.to_str().map(str::to_owned));
    list_disks(source, query)
        .await?
        .into_iter()
        .find(|candidate| {
            candidate.object_path == disk
                || candidate.device == disk
                || candidate.by_id.as_deref() == Some(disk)
                || resolved.as_deref() == Some(candidate.device.as_str())
        })
        .ok_or_else(|| DiskError::NotFound {
            disk: disk.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recheck_finds_a_disk_by_any_of_its_names() {
        let fake = FakeDisks::demo();
        let query = DiskQuery::default();
        async_io::block_on(async {
            for name in [
                "/dev/sda",
                "/dev/disk/by-id/ata-ST1000LM035-1RK172_WL1A2B3C",
                "/org/freedesktop/UDisks2/block_devices/sda",
            ] {
                let disk = recheck_disk(&fake, name, &query).await.unwrap();
                assert_eq!(disk.serial, "WL1A2B3C");
            }
            assert_eq!(
                recheck_disk(&fake, "/dev/sdz", &query).await,
                Err(DiskError::NotFound {
                    disk: "/dev/sdz".to_owned()
                })
            );
        });
    }

    #[test]
    fn recheck_sees_a_mount_made_after_listing() {
        let fake = FakeDisks::demo();
        let query = DiskQuery::default();
        fake.update(|snapshot| {
            snapshot.set(
                "/org/freedesktop/UDisks2/block_devices/sda3",
                snapshot::FILESYSTEM,
                "MountPoints",
                snapshot::Value::byte_strings(&["/media/Windows"]),
            );
        });
        let disk = async_io::block_on(recheck_disk(&fake, "/dev/sda", &query)).unwrap();
        assert!(!disk.is_usable());
    }

    #[test]
    fn unavailable_message_is_the_documented_one() {
        let error = DiskError::Unavailable {
            detail: String::new(),
        };
        assert_eq!(
            error.to_string(),
            "UDisks2 is not available on the system bus: is udisks2 installed and running?"
        );
    }
}
