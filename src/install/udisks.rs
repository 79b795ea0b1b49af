// SPDX-License-Identifier: GPL-3.0-or-later
//! The UDisks2 calls of the install steps, on the system bus.
//!
//! UDisks 2.10 re-reads the partition table after every write, so objects
//! vanish for a moment; every read after a write waits for udev to settle
//! and retries while the object (or its interface) is not back yet. Any
//! other error, AccessDenied above all, is reported at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use zbus::blocking::Connection;
use zbus::fdo;
use zbus::proxy::CacheProperties;
use zbus::zvariant::{OwnedObjectPath, Value};

use super::backend::BackendError;

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.Manager",
    default_service = "org.freedesktop.UDisks2",
    default_path = "/org/freedesktop/UDisks2/Manager",
    gen_async = false
)]
trait Manager {
    fn enable_module(&self, name: &str, enable: bool) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.Block",
    default_service = "org.freedesktop.UDisks2",
    gen_async = false
)]
trait Block {
    fn format(&self, fs_type: &str, options: HashMap<&str, Value<'_>>) -> zbus::Result<()>;
    #[zbus(property)]
    fn device(&self) -> zbus::Result<Vec<u8>>;
    #[zbus(property)]
    fn size(&self) -> zbus::Result<u64>;
    #[zbus(property, name = "IdUUID")]
    fn id_uuid(&self) -> zbus::Result<String>;
    #[zbus(property)]
    fn crypto_backing_device(&self) -> zbus::Result<OwnedObjectPath>;
}

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.PartitionTable",
    default_service = "org.freedesktop.UDisks2",
    gen_async = false
)]
trait PartitionTable {
    #[allow(clippy::too_many_arguments)]
    fn create_partition_and_format(
        &self,
        offset: u64,
        size: u64,
        partition_type: &str,
        name: &str,
        options: HashMap<&str, Value<'_>>,
        format_type: &str,
        format_options: HashMap<&str, Value<'_>>,
    ) -> zbus::Result<OwnedObjectPath>;
}

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.Partition",
    default_service = "org.freedesktop.UDisks2",
    gen_async = false
)]
trait Partition {
    #[zbus(property)]
    fn offset(&self) -> zbus::Result<u64>;
    #[zbus(property)]
    fn size(&self) -> zbus::Result<u64>;
}

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.Filesystem",
    default_service = "org.freedesktop.UDisks2",
    gen_async = false
)]
trait Filesystem {
    fn mount(&self, options: HashMap<&str, Value<'_>>) -> zbus::Result<String>;
    fn unmount(&self, options: HashMap<&str, Value<'_>>) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.Filesystem.BTRFS",
    default_service = "org.freedesktop.UDisks2",
    gen_async = false
)]
trait FilesystemBtrfs {
    fn create_subvolume(&self, name: &str, options: HashMap<&str, Value<'_>>) -> zbus::Result<()>;
}

#[zbus::proxy(
    interface = "org.freedesktop.UDisks2.Encrypted",
    default_service = "org.freedesktop.UDisks2",
    gen_async = false
)]
trait Encrypted {
    fn lock(&self, options: HashMap<&str, Value<'_>>) -> zbus::Result<()>;
    #[zbus(property)]
    fn cleartext_device(&self) -> zbus::Result<OwnedObjectPath>;
}

/// How long an object may stay away after a write before we give up on it.
const REAPPEAR_PATIENCE: Duration = Duration::from_secs(60);

/// A block device as the install steps need it afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockObject {
    pub object_path: OwnedObjectPath,
    pub device: PathBuf,
}

pub struct UDisks {
    connection: Connection,
    /// `None` when there is none: then the reads after a write retry longer.
    udevadm: Option<PathBuf>,
}

impl UDisks {
    pub fn connect(udevadm: Option<PathBuf>) -> Result<Self, BackendError> {
        let connection =
            Connection::system().map_err(|e| dbus_error("connect to the system bus", e))?;
        Ok(Self {
            connection,
            udevadm,
        })
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub fn block_object(&self, object_path: OwnedObjectPath) -> Result<BlockObject, BackendError> {
        let device = retry_after_write("Block.Device", || {
            let block = self.block(&object_path)?;
            Ok(device_path(&block.device()?))
        })?;
        Ok(BlockObject {
            object_path,
            device,
        })
    }

    pub fn block_uuid(&self, object_path: &OwnedObjectPath) -> Result<String, BackendError> {
        retry_after_write("Block.IdUUID", || {
            let uuid = self.block(object_path)?.id_uuid()?;
            if uuid.is_empty() {
                // udev has not probed the new file system yet.
                Err(ReadFailure::NotYet("no UUID yet"))
            } else {
                Ok(uuid)
            }
        })
    }

    pub fn format_gpt(&self, disk: &BlockObject) -> Result<(), BackendError> {
        self.block(&disk.object_path)
            .and_then(|block| block.format("gpt", HashMap::new()))
            .map_err(|e| dbus_error("Block.Format(gpt)", e))?;
        self.settle();
        Ok(())
    }

    /// Creates a partition at `offset` (0 is not "the next free space" in
    /// UDisks 2.10: pass the end of the previous partition) and formats it.
    pub fn create_partition_and_format(
        &self,
        disk: &BlockObject,
        request: PartitionRequest<'_>,
    ) -> Result<BlockObject, BackendError> {
        let table = PartitionTableProxy::builder(&self.connection)
            .path(disk.object_path.clone())
            .and_then(|builder| builder.cache_properties(CacheProperties::No).build())
            .map_err(|e| dbus_error("PartitionTable", e))?;
        let mut format_options = HashMap::from([("label", Value::from(request.label))]);
        if let Some(passphrase) = request.passphrase {
            format_options.insert("encrypt.passphrase", Value::from(passphrase));
            format_options.insert("encrypt.type", Value::from("luks2"));
        }
        let partition = table
            .create_partition_and_format(
                request.offset,
                request.size,
                request.type_guid,
                request.name,
                HashMap::new(),
                request.format_type,
                format_options,
            )
            .map_err(|e| dbus_error("PartitionTable.CreatePartitionAndFormat", e))?;
        self.settle();
        self.block_object(partition)
    }

    /// Where the partition ends, which is where the next one may start.
    pub fn partition_end(&self, partition: &OwnedObjectPath) -> Result<u64, BackendError> {
        retry_after_write("Partition.Offset", || {
            let proxy = PartitionProxy::builder(&self.connection)
                .path(partition.clone())?
                .cache_properties(CacheProperties::No)
                .build()?;
            Ok(proxy.offset()? + proxy.size()?)
        })
    }

    /// The unlocked device of an encrypted partition.
    pub fn cleartext_of(&self, encrypted: &OwnedObjectPath) -> Result<BlockObject, BackendError> {
        let cleartext = retry_after_write("Encrypted.CleartextDevice", || {
            let proxy = EncryptedProxy::builder(&self.connection)
                .path(encrypted.clone())?
                .cache_properties(CacheProperties::No)
                .build()?;
            let cleartext = proxy.cleartext_device()?;
            if cleartext.as_str() == "/" {
                Err(ReadFailure::NotYet("not unlocked yet"))
            } else {
                Ok(cleartext)
            }
        })?;
        self.block_object(cleartext)
    }

    pub fn enable_btrfs_module(&self) -> Result<(), BackendError> {
        let manager = ManagerProxy::new(&self.connection).map_err(|e| dbus_error("Manager", e))?;
        manager
            .enable_module("btrfs", true)
            .map_err(|e| dbus_error("Manager.EnableModule(btrfs)", e))
    }

    /// Mounts a file system where UDisks chooses (`/media/root/<label>` for
    /// root) and returns that place.
    pub fn mount(&self, filesystem: &OwnedObjectPath) -> Result<PathBuf, BackendError> {
        let mount_point = self
            .filesystem(filesystem)
            .and_then(|proxy| proxy.mount(HashMap::new()))
            .map_err(|e| dbus_error("Filesystem.Mount", e))?;
        Ok(PathBuf::from(mount_point))
    }

    pub fn unmount(&self, filesystem: &OwnedObjectPath) -> Result<(), BackendError> {
        self.filesystem(filesystem)
            .and_then(|proxy| proxy.unmount(HashMap::new()))
            .map_err(|e| dbus_error("Filesystem.Unmount", e))
    }

    pub fn create_subvolume(
        &self,
        filesystem: &OwnedObjectPath,
        name: &str,
    ) -> Result<(), BackendError> {
        FilesystemBtrfsProxy::builder(&self.connection)
            .path(filesystem.clone())
            .and_then(|builder| builder.build())
            .and_then(|proxy| proxy.create_subvolume(name, HashMap::new()))
            .map_err(|e| dbus_error("Filesystem.BTRFS.CreateSubvolume", e))
    }

    pub fn lock(&self, encrypted: &OwnedObjectPath) -> Result<(), BackendError> {
        EncryptedProxy::builder(&self.connection)
            .path(encrypted.clone())
            .and_then(|builder| builder.build())
            .and_then(|proxy| proxy.lock(HashMap::new()))
            .map_err(|e| dbus_error("Encrypted.Lock", e))?;
        self.settle();
        Ok(())
    }

    /// Waits until udev has handled the events of the last write, so
    /// UDisks' objects reflect it. Without `udevadm`, or when it fails, the
    /// reads that follow only retry longer.
    fn settle(&self) {
        if let Some(udevadm) = &self.udevadm {
            let _ = Command::new(udevadm)
                .args(["settle", "--timeout=30"])
                .status();
        }
    }

    fn block(&self, object_path: &OwnedObjectPath) -> zbus::Result<BlockProxy<'static>> {
        BlockProxy::builder(&self.connection)
            .path(object_path.clone())?
            .cache_properties(CacheProperties::No)
            .build()
    }

    fn filesystem(&self, object_path: &OwnedObjectPath) -> zbus::Result<FilesystemProxy<'static>> {
        FilesystemProxy::builder(&self.connection)
            .path(object_path.clone())?
            .build()
    }
}

/// Reads until the value is there, while the object is only away for a
/// moment, at most [`REAPPEAR_PATIENCE`].
fn retry_after_write<T>(
    what: &str,
    mut read: impl FnMut() -> Result<T, ReadFailure>,
) -> Result<T, BackendError> {
    let started = Instant::now();
    loop {
        match read() {
            Ok(value) => return Ok(value),
            Err(failure) if failure.worth_retrying() && started.elapsed() < REAPPEAR_PATIENCE => {
                thread::sleep(Duration::from_millis(200));
            }
            Err(ReadFailure::NotYet(state)) => {
                return Err(BackendError::new(format!("UDisks {what}: {state}")));
            }
            Err(ReadFailure::Bus(error)) => return Err(dbus_error(what, error)),
        }
    }
}

/// Why a read after a write gave no value.
#[derive(Debug)]
enum ReadFailure {
    /// The object is there but udev has not filled in the value yet.
    NotYet(&'static str),
    Bus(zbus::Error),
}

impl From<zbus::Error> for ReadFailure {
    fn from(error: zbus::Error) -> Self {
        Self::Bus(error)
    }
}

impl ReadFailure {
    fn worth_retrying(&self) -> bool {
        match self {
            Self::NotYet(_) => true,
            Self::Bus(error) => object_not_there_yet(error),
        }
    }
}

/// Whether UDisks answered that the object or its interface does not exist
/// (GDBus' `UnknownObject` / `UnknownInterface`): what a partition looks
/// like while udev re-reads the table. Everything else (AccessDenied, a
/// failed job, a broken connection) will not change by asking again.
fn object_not_there_yet(error: &zbus::Error) -> bool {
    match error {
        zbus::Error::MethodError(name, _, _) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.UnknownObject"
                | "org.freedesktop.DBus.Error.UnknownInterface"
        ),
        zbus::Error::FDO(error) => matches!(
            **error,
            fdo::Error::UnknownObject(_) | fdo::Error::UnknownInterface(_)
        ),
        _ => false,
    }
}

/// What `CreatePartitionAndFormat` needs.
pub struct PartitionRequest<'a> {
    pub offset: u64,
    /// 0 means the rest of the disk.
    pub size: u64,
    pub type_guid: &'a str,
    pub name: &'a str,
    pub format_type: &'a str,
    pub label: &'a str,
    pub passphrase: Option<&'a str>,
}

/// `Block.Device` is a NUL-terminated byte array.
fn device_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    PathBuf::from(std::ffi::OsStr::from_bytes(&bytes[..end]))
}

fn dbus_error(call: &str, error: zbus::Error) -> BackendError {
    BackendError::new(format!("UDisks {call}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method_error(name: &str) -> zbus::Error {
        let call = zbus::Message::method_call("/org/freedesktop/UDisks2/block_devices/vda1", "Get")
            .and_then(|builder| builder.build(&()))
            .unwrap();
        zbus::Error::MethodError(
            zbus::names::OwnedErrorName::try_from(name).unwrap(),
            Some("message".to_owned()),
            call,
        )
    }

    #[test]
    fn only_a_missing_object_or_interface_is_retried() {
        for name in [
            "org.freedesktop.DBus.Error.UnknownObject",
            "org.freedesktop.DBus.Error.UnknownInterface",
        ] {
            assert!(object_not_there_yet(&method_error(name)), "{name}");
        }
        assert!(object_not_there_yet(&zbus::Error::from(
            fdo::Error::UnknownObject("Object does not exist at path".to_owned())
        )));
        assert!(object_not_there_yet(&zbus::Error::from(
            fdo::Error::UnknownInterface("No such interface".to_owned())
        )));
        for name in [
            "org.freedesktop.DBus.Error.AccessDenied",
            "org.freedesktop.UDisks2.Error.NotAuthorizedCanObtain",
            "org.freedesktop.UDisks2.Error.Failed",
            "org.freedesktop.DBus.Error.UnknownMethod",
            "org.freedesktop.DBus.Error.ServiceUnknown",
        ] {
            assert!(!object_not_there_yet(&method_error(name)), "{name}");
        }
        assert!(!object_not_there_yet(&zbus::Error::from(
            fdo::Error::AccessDenied("not root".to_owned())
        )));
        assert!(!object_not_there_yet(&zbus::Error::InputOutput(
            std::io::Error::other("connection reset").into()
        )));
    }

    #[test]
    fn access_denied_is_reported_at_once() {
        let started = Instant::now();
        let mut calls = 0;
        let result: Result<(), _> = retry_after_write("Block.IdUUID", || {
            calls += 1;
            Err(method_error("org.freedesktop.DBus.Error.AccessDenied").into())
        });
        let error = result.unwrap_err();
        assert_eq!(calls, 1);
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(error.detail.starts_with("UDisks Block.IdUUID: "), "{error}");
    }

    #[test]
    fn a_vanished_object_is_asked_again_until_it_is_back() {
        let mut calls = 0;
        let uuid = retry_after_write("Block.IdUUID", || {
            calls += 1;
            match calls {
                1 => Err(method_error("org.freedesktop.DBus.Error.UnknownObject").into()),
                2 => Err(ReadFailure::NotYet("no UUID yet")),
                _ => Ok("1234-ABCD"),
            }
        });
        assert_eq!(uuid, Ok("1234-ABCD"));
        assert_eq!(calls, 3);
    }

    #[test]
    fn device_path_stops_at_the_nul() {
        assert_eq!(device_path(b"/dev/vda1\0"), PathBuf::from("/dev/vda1"));
        assert_eq!(device_path(b"/dev/vda"), PathBuf::from("/dev/vda"));
    }
}
