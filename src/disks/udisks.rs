// SPDX-License-Identifier: GPL-3.0-or-later
//! The UDisks2 disk source. A list costs one `GetManagedObjects` call; a
//! watch adds one match rule and then only applies the signals UDisks sends
//! to its cached snapshot, never asking for single properties.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, BoxStream, StreamExt};
use zbus::fdo::ObjectManagerProxy;
use zbus::message::Type as MessageType;
use zbus::zvariant::{self, OwnedObjectPath, OwnedValue};
use zbus::{Connection, MatchRule, Message, MessageStream};

use super::snapshot::{Interfaces, Properties, Snapshot, Value};
use super::{DiskError, DiskSource};

const SERVICE: &str = "org.freedesktop.UDisks2";
const ROOT_PATH: &str = "/org/freedesktop/UDisks2";
const OBJECT_MANAGER: &str = "org.freedesktop.DBus.ObjectManager";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// Signals queued before the watcher reads them: generous, because a disk
/// with many partitions appearing at once sends a burst of them.
const SIGNAL_QUEUE: usize = 1024;

/// The process shares one system-bus connection.
static SYSTEM_BUS: OnceLock<Connection> = OnceLock::new();

async fn system_bus() -> Result<Connection, DiskError> {
    if let Some(connection) = SYSTEM_BUS.get() {
        return Ok(connection.clone());
    }
    let connection = Connection::system()
        .await
        .map_err(|error| DiskError::Unavailable {
            detail: error.to_string(),
        })?;
    Ok(SYSTEM_BUS.get_or_init(|| connection).clone())
}

#[derive(Debug, Clone)]
pub struct UDisksSource {
    connection: Connection,
    method_calls: Arc<AtomicU64>,
}

impl UDisksSource {
    /// Connects to the system bus (once per process). UDisks itself is only
    /// asked on the first list or watch, which also starts it if D-Bus
    /// activation is set up.
    pub async fn system() -> Result<Self, DiskError> {
        Ok(Self::on(system_bus().await?))
    }

    /// Uses an existing connection, e.g. to a test bus.
    pub fn on(connection: Connection) -> Self {
        Self {
            connection,
            method_calls: Arc::default(),
        }
    }

    /// D-Bus method calls this source has made (the connection's own
    /// `Hello` not included): the benchmark's measure of round trips.
    pub fn method_calls(&self) -> u64 {
        self.method_calls.load(Ordering::Relaxed)
    }

    async fn read_objects(&self) -> Result<Snapshot, DiskError> {
        let proxy = ObjectManagerProxy::builder(&self.connection)
            .destination(SERVICE)
            .and_then(|builder| builder.path(ROOT_PATH))
            .map_err(bus_error)?
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .map_err(bus_error)?;
        self.method_calls.fetch_add(1, Ordering::Relaxed);
        let objects = proxy
            .get_managed_objects()
            .await
            .map_err(|error| match error {
                zbus::fdo::Error::ServiceUnknown(detail)
                | zbus::fdo::Error::NameHasNoOwner(detail) => DiskError::Unavailable { detail },
                other => DiskError::Bus {
                    detail: other.to_string(),
                },
            })?;
        let mut snapshot = Snapshot::new();
        for (path, interfaces) in objects {
            snapshot.add_interfaces(
                path.as_str(),
                interfaces
                    .into_iter()
                    .map(|(name, properties)| (name.to_string(), convert_properties(properties)))
                    .collect(),
            );
        }
        Ok(snapshot)
    }

    async fn signal_stream(&self) -> Result<MessageStream, DiskError> {
        let rule = MatchRule::builder()
            .msg_type(MessageType::Signal)
            .sender(SERVICE)
            .and_then(|builder| builder.path_namespace(ROOT_PATH))
            .map_err(bus_error)?
            .build();
        self.method_calls.fetch_add(1, Ordering::Relaxed);
        MessageStream::for_match_rule(rule, &self.connection, Some(SIGNAL_QUEUE))
            .await
            .map_err(bus_error)
    }
}

fn bus_error(error: zbus::Error) -> DiskError {
    DiskError::Bus {
        detail: error.to_string(),
    }
}

impl DiskSource for UDisksSource {
    fn snapshot(&self) -> BoxFuture<'_, Result<Snapshot, DiskError>> {
        self.read_objects().boxed()
    }

    fn snapshots(
        &self,
    ) -> BoxFuture<'_, Result<BoxStream<'static, Result<Snapshot, DiskError>>, DiskError>> {
        async move {
            // Subscribe first: a change between the read and the
            // subscription would otherwise be lost. Signals sent before the
            // read are applied again on top of it, which changes nothing.
            let signals = self.signal_stream().await?;
            let snapshot = self.read_objects().await?;
            let watcher = Watcher {
                source: self.clone(),
                signals,
                snapshot: snapshot.clone(),
            };
            let rest = stream::unfold(Some(watcher), |watcher| async move {
                let mut watcher = watcher?;
                match watcher.next_snapshot().await {
                    Ok(snapshot) => Some((Ok(snapshot), Some(watcher))),
                    Err(error) => Some((Err(error), None)),
                }
            });
            Ok(stream::once(async { Ok(snapshot) }).chain(rest).boxed())
        }
        .boxed()
    }
}

struct Watcher {
    source: UDisksSource,
    signals: MessageStream,
    snapshot: Snapshot,
}

impl Watcher {
    /// Waits for a signal, applies it and every signal already queued
    /// behind it (a plugged disk sends dozens), and returns the result.
    async fn next_snapshot(&mut self) -> Result<Snapshot, DiskError> {
        let mut must_reread = false;
        let mut next = self.signals.next().await;
        loop {
            match next {
                None => {
                    return Err(DiskError::Bus {
                        detail: "the system bus connection closed".to_owned(),
                    });
                }
                Some(Err(error)) => return Err(bus_error(error)),
                Some(Ok(message)) => must_reread |= !self.apply(&message),
            }
            match self.signals.next().now_or_never() {
                Some(queued) => next = queued,
                None => break,
            }
        }
        if must_reread {
            self.snapshot = self.source.read_objects().await?;
        }
        Ok(self.snapshot.clone())
    }

    /// Applies one signal; false when the snapshot must be read again
    /// because the signal does not carry the new values.
    fn apply(&mut self, message: &Message) -> bool {
        let header = message.header();
        let (Some(interface), Some(member), Some(path)) =
            (header.interface(), header.member(), header.path())
        else {
            return true;
        };
        let body = message.body();
        match (interface.as_str(), member.as_str()) {
            (OBJECT_MANAGER, "InterfacesAdded") => {
                type Added = (
                    OwnedObjectPath,
                    HashMap<String, HashMap<String, OwnedValue>>,
                );
                let Ok((object, interfaces)) = body.deserialize::<Added>() else {
                    return false;
                };
                let interfaces: Interfaces = interfaces
                    .into_iter()
                    .map(|(name, properties)| (name, convert_properties(properties)))
                    .collect();
                self.snapshot.add_interfaces(object.as_str(), interfaces);
                true
            }
            (OBJECT_MANAGER, "InterfacesRemoved") => {
                let Ok((object, interfaces)) = body.deserialize::<(OwnedObjectPath, Vec<String>)>()
                else {
                    return false;
                };
                self.snapshot
                    .remove_interfaces(object.as_str(), &interfaces);
                true
            }
            (PROPERTIES, "PropertiesChanged") => {
                type Changed = (String, HashMap<String, OwnedValue>, Vec<String>);
                let Ok((interface, changed, invalidated)) = body.deserialize::<Changed>() else {
                    return false;
                };
                self.snapshot.change_properties(
                    path.as_str(),
                    &interface,
                    convert_properties(changed),
                );
                invalidated.is_empty()
            }
            // Job and other signals do not change what a disk is.
            _ => true,
        }
    }
}

fn convert_properties(properties: HashMap<String, OwnedValue>) -> Properties {
    properties
        .into_iter()
        .map(|(name, value)| (name, convert(&value)))
        .collect()
}

fn convert(value: &zvariant::Value) -> Value {
    use zvariant::Value as V;
    match value {
        V::Bool(value) => Value::Bool(*value),
        V::U8(value) => Value::Unsigned((*value).into()),
        V::U16(value) => Value::Unsigned((*value).into()),
        V::U32(value) => Value::Unsigned((*value).into()),
        V::U64(value) => Value::Unsigned(*value),
        V::I16(value) => Value::Signed((*value).into()),
        V::I32(value) => Value::Signed((*value).into()),
        V::I64(value) => Value::Signed(*value),
        V::Str(text) => Value::Text(text.to_string()),
        V::ObjectPath(path) => Value::Text(path.to_string()),
        V::Value(inner) => convert(inner),
        V::Array(array) if array.element_signature() == &zvariant::Signature::U8 => Value::Bytes(
            array
                .inner()
                .iter()
                .filter_map(|byte| match byte {
                    V::U8(byte) => Some(*byte),
                    _ => None,
                })
                .collect(),
        ),
        V::Array(array) => Value::List(array.inner().iter().map(convert).collect()),
        _ => Value::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_arrays_and_lists_convert() {
        let bytes = zvariant::Value::from(b"/dev/sda\0".to_vec());
        assert_eq!(convert(&bytes), Value::bytes("/dev/sda"));
        let paths = zvariant::Value::from(vec![b"/a\0".to_vec(), b"/b\0".to_vec()]);
        assert_eq!(convert(&paths), Value::byte_strings(&["/a", "/b"]));
        let number = zvariant::Value::from(-1i32);
        assert_eq!(convert(&number), Value::Signed(-1));
    }
}
