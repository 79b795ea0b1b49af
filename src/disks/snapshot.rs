// SPDX-License-Identifier: GPL-3.0-or-later
//! A plain copy of UDisks' managed objects: object path → interface →
//! properties.
//!
//! The rules in [`super::rules`] only ever look at a snapshot, so they can be
//! tested with hand-made objects that no test machine can produce.

use std::collections::BTreeMap;

use serde::Serialize;

pub const BLOCK: &str = "org.freedesktop.UDisks2.Block";
pub const DRIVE: &str = "org.freedesktop.UDisks2.Drive";
pub const PARTITION: &str = "org.freedesktop.UDisks2.Partition";
pub const PARTITION_TABLE: &str = "org.freedesktop.UDisks2.PartitionTable";
pub const FILESYSTEM: &str = "org.freedesktop.UDisks2.Filesystem";
pub const SWAPSPACE: &str = "org.freedesktop.UDisks2.Swapspace";
pub const ENCRYPTED: &str = "org.freedesktop.UDisks2.Encrypted";
pub const LOOP: &str = "org.freedesktop.UDisks2.Loop";
/// Only present when UDisks' lvm2 module is enabled.
pub const PHYSICAL_VOLUME: &str = "org.freedesktop.UDisks2.PhysicalVolume";

/// One D-Bus property value, reduced to what the rules need.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    /// Strings and object paths.
    Text(String),
    /// `ay`: UDisks sends file paths as NUL-terminated byte arrays.
    Bytes(Vec<u8>),
    List(Vec<Value>),
    /// Dictionaries, structures and other values no rule reads.
    Other,
}

impl Value {
    pub fn bytes(text: &str) -> Self {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        Self::Bytes(bytes)
    }

    pub fn byte_strings(texts: &[&str]) -> Self {
        Self::List(texts.iter().map(|text| Self::bytes(text)).collect())
    }

    pub fn text(text: &str) -> Self {
        Self::Text(text.to_owned())
    }

    pub fn texts(texts: &[&str]) -> Self {
        Self::List(texts.iter().map(|text| Self::text(text)).collect())
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(value) => Some(*value),
            _ => None,
        }
    }

    fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Unsigned(value) => Some(*value),
            Self::Signed(value) => u64::try_from(*value).ok(),
            _ => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Signed(value) => Some(*value),
            Self::Unsigned(value) => i64::try_from(*value).ok(),
            _ => None,
        }
    }

    fn as_text(&self) -> Option<String> {
        match self {
            Self::Text(text) => Some(text.clone()),
            Self::Bytes(bytes) => {
                let end = bytes
                    .iter()
                    .position(|&byte| byte == 0)
                    .unwrap_or(bytes.len());
                Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
            }
            _ => None,
        }
    }

    fn as_texts(&self) -> Vec<String> {
        match self {
            Self::List(values) => values.iter().filter_map(Value::as_text).collect(),
            _ => Vec::new(),
        }
    }
}

pub type Properties = BTreeMap<String, Value>;
pub type Interfaces = BTreeMap<String, Properties>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    objects: BTreeMap<String, Interfaces>,
}

impl Snapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies `InterfacesAdded`; also used to build snapshots by hand.
    pub fn add_interfaces(&mut self, path: &str, interfaces: Interfaces) {
        let object = self.objects.entry(path.to_owned()).or_default();
        for (interface, properties) in interfaces {
            object.insert(interface, properties);
        }
    }

    /// Applies `InterfacesRemoved`; the object goes when its last interface
    /// does, as in UDisks.
    pub fn remove_interfaces(&mut self, path: &str, interfaces: &[String]) {
        if let Some(object) = self.objects.get_mut(path) {
            for interface in interfaces {
                object.remove(interface);
            }
            if object.is_empty() {
                self.objects.remove(path);
            }
        }
    }

    /// Removes an object with all its interfaces.
    pub fn remove_object(&mut self, path: &str) {
        self.objects.remove(path);
    }

    /// Applies `PropertiesChanged`. Changes to interfaces the snapshot does
    /// not know are dropped: their `InterfacesAdded` brings every property.
    pub fn change_properties(&mut self, path: &str, interface: &str, changed: Properties) {
        if let Some(properties) = self
            .objects
            .get_mut(path)
            .and_then(|object| object.get_mut(interface))
        {
            properties.extend(changed);
        }
    }

    /// Sets one property, adding the object and interface if needed.
    pub fn set(&mut self, path: &str, interface: &str, name: &str, value: Value) {
        self.objects
            .entry(path.to_owned())
            .or_default()
            .entry(interface.to_owned())
            .or_default()
            .insert(name.to_owned(), value);
    }

    pub fn object(&self, path: &str) -> Option<Object<'_>> {
        self.objects
            .get_key_value(path)
            .map(|(path, interfaces)| Object { path, interfaces })
    }

    pub fn objects(&self) -> impl Iterator<Item = Object<'_>> {
        self.objects
            .iter()
            .map(|(path, interfaces)| Object { path, interfaces })
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// Typed reads of one object's properties; a missing property reads as
/// UDisks' own "nothing" value (false, 0, "", "/").
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    pub path: &'a str,
    interfaces: &'a Interfaces,
}

impl<'a> Object<'a> {
    pub fn has(&self, interface: &str) -> bool {
        self.interfaces.contains_key(interface)
    }

    fn value(&self, interface: &str, name: &str) -> Option<&'a Value> {
        self.interfaces.get(interface)?.get(name)
    }

    pub fn bool(&self, interface: &str, name: &str) -> bool {
        self.value(interface, name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn u64(&self, interface: &str, name: &str) -> u64 {
        self.value(interface, name)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    pub fn i64(&self, interface: &str, name: &str) -> i64 {
        self.value(interface, name)
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// A string, object path or NUL-terminated byte array.
    pub fn text(&self, interface: &str, name: &str) -> String {
        self.value(interface, name)
            .and_then(Value::as_text)
            .unwrap_or_default()
    }

    /// An object path property, `None` for UDisks' "no object" (`/`).
    pub fn object_path(&self, interface: &str, name: &str) -> Option<String> {
        Some(self.text(interface, name)).filter(|path| !path.is_empty() && path != "/")
    }

    /// A list of strings, object paths or byte arrays.
    pub fn texts(&self, interface: &str, name: &str) -> Vec<String> {
        self.value(interface, name)
            .map(Value::as_texts)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_arrays_read_as_text_without_their_nul() {
        let mut snapshot = Snapshot::new();
        snapshot.set("/b", BLOCK, "Device", Value::bytes("/dev/sda"));
        snapshot.set(
            "/b",
            BLOCK,
            "Symlinks",
            Value::byte_strings(&["/dev/disk/by-id/x"]),
        );
        let object = snapshot.object("/b").unwrap();
        assert_eq!(object.text(BLOCK, "Device"), "/dev/sda");
        assert_eq!(object.texts(BLOCK, "Symlinks"), ["/dev/disk/by-id/x"]);
    }

    #[test]
    fn root_object_path_means_none() {
        let mut snapshot = Snapshot::new();
        snapshot.set("/b", BLOCK, "Drive", Value::text("/"));
        assert_eq!(
            snapshot.object("/b").unwrap().object_path(BLOCK, "Drive"),
            None
        );
    }

    #[test]
    fn removing_the_last_interface_removes_the_object() {
        let mut snapshot = Snapshot::new();
        snapshot.set("/b", BLOCK, "Size", Value::Unsigned(1));
        snapshot.set("/b", FILESYSTEM, "MountPoints", Value::List(vec![]));
        snapshot.remove_interfaces("/b", &[FILESYSTEM.to_owned()]);
        assert!(snapshot.object("/b").unwrap().has(BLOCK));
        snapshot.remove_interfaces("/b", &[BLOCK.to_owned()]);
        assert!(snapshot.is_empty());
    }

    #[test]
    fn property_changes_update_known_interfaces_only() {
        let mut snapshot = Snapshot::new();
        snapshot.set("/b", BLOCK, "Size", Value::Unsigned(1));
        snapshot.change_properties(
            "/b",
            BLOCK,
            Properties::from([("Size".to_owned(), Value::Unsigned(2))]),
        );
        snapshot.change_properties(
            "/b",
            SWAPSPACE,
            Properties::from([("Active".to_owned(), Value::Bool(true))]),
        );
        let object = snapshot.object("/b").unwrap();
        assert_eq!(object.u64(BLOCK, "Size"), 2);
        assert!(!object.has(SWAPSPACE));
    }
}
