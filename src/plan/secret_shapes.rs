// SPDX-License-Identifier: GPL-3.0-or-later
//! Checks the shape of the plan's secret fields before serde reads the
//! plan: serde's messages quote an unexpected value ("unknown variant
//! `Hunter2`"), so a password of the wrong shape must be caught first, and
//! named by its field only.
//!
//! The check is typed and keeps no value: every string is looked at where
//! the JSON reader holds it and then dropped, so no untyped copy of the
//! passphrase stays in memory that is never wiped.

use std::fmt;

use serde::Deserialize;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Whether one field has the shape its reader expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Good,
    Bad,
}

/// The secret fields of a plan, and nothing else.
#[derive(Deserialize)]
struct SecretFields {
    #[serde(default)]
    encryption: Option<Tolerant<EncryptionFields>>,
    #[serde(default)]
    root_password: Option<PasswordShape>,
    #[serde(default)]
    users: Option<TolerantList<UserFields>>,
}

#[derive(Deserialize)]
struct EncryptionFields {
    #[serde(default)]
    passphrase: Option<TextShape>,
}

#[derive(Deserialize)]
struct UserFields {
    #[serde(default)]
    password: Option<PasswordShape>,
}

/// Text (or null, which `Option` takes before this).
struct TextShape(Shape);

/// `{"hashed": "…"}` or `{"clear": "…"}`.
struct PasswordShape(Shape);

/// An object read as `T`, or `None` for any other value: the parts around
/// a secret may have any shape without hiding it from the check.
struct Tolerant<T>(Option<T>);

/// A list whose items are read as [`Tolerant`]; any other value is empty.
struct TolerantList<T>(Vec<Tolerant<T>>);

/// The first secret field of the wrong shape, by its field path:
/// `encryption.passphrase`, `root_password` or `users[N].password`. Parts
/// around the secrets with another shape pass: the full read names what is
/// wrong with them, and they hold no secret.
pub(super) fn first_malformed_secret(json: &str) -> Option<String> {
    let Tolerant(fields) = serde_json::from_str::<Tolerant<SecretFields>>(json).ok()?;
    let fields = fields?;
    if fields
        .encryption
        .and_then(|Tolerant(encryption)| encryption?.passphrase)
        .is_some_and(|TextShape(shape)| shape == Shape::Bad)
    {
        return Some("encryption.passphrase".to_owned());
    }
    if fields
        .root_password
        .is_some_and(|PasswordShape(shape)| shape == Shape::Bad)
    {
        return Some("root_password".to_owned());
    }
    fields
        .users
        .map(|TolerantList(users)| users)
        .unwrap_or_default()
        .iter()
        .position(|Tolerant(user)| {
            user.as_ref()
                .and_then(|user| user.password.as_ref())
                .is_some_and(|PasswordShape(shape)| *shape == Shape::Bad)
        })
        .map(|index| format!("users[{index}].password"))
}

/// What to make of each kind of JSON value; [`AnyValue`] calls it and
/// drains what it does not read, so no shape is an error.
trait ValueReader<'de>: Sized {
    type Output;

    /// A scalar: `is_text` for a string (which is not kept).
    fn scalar(is_text: bool) -> Self::Output;

    fn map<A: MapAccess<'de>>(map: A) -> Result<Self::Output, A::Error> {
        drain_map(map)?;
        Ok(Self::scalar(false))
    }

    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self::Output, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::scalar(false))
    }
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

struct AnyValue<R>(PhantomData<R>);

impl<'de, R: ValueReader<'de>> Visitor<'de> for AnyValue<R> {
    type Value = R::Output;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any value")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<R::Output, E> {
        Ok(R::scalar(true))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<R::Output, E> {
        Ok(R::scalar(false))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<R::Output, E> {
        Ok(R::scalar(false))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<R::Output, E> {
        Ok(R::scalar(false))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<R::Output, E> {
        Ok(R::scalar(false))
    }

    fn visit_unit<E: de::Error>(self) -> Result<R::Output, E> {
        Ok(R::scalar(false))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<R::Output, A::Error> {
        R::map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<R::Output, A::Error> {
        R::seq(seq)
    }
}

fn read_any<'de, R: ValueReader<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<R::Output, D::Error> {
    deserializer.deserialize_any(AnyValue::<R>(PhantomData))
}

impl<'de> ValueReader<'de> for TextShape {
    type Output = Self;

    fn scalar(is_text: bool) -> Self {
        TextShape(if is_text { Shape::Good } else { Shape::Bad })
    }
}

impl<'de> Deserialize<'de> for TextShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_any::<Self, D>(deserializer)
    }
}

/// A map key, compared where the reader holds it.
struct PasswordVariant(bool);

impl<'de> Deserialize<'de> for PasswordVariant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = PasswordVariant;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<PasswordVariant, E> {
                Ok(PasswordVariant(matches!(key, "hashed" | "clear")))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> ValueReader<'de> for PasswordShape {
    type Output = Self;

    fn scalar(_: bool) -> Self {
        PasswordShape(Shape::Bad)
    }

    fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut entries = 0;
        let mut good = true;
        while let Some(PasswordVariant(known)) = map.next_key()? {
            let TextShape(text) = map.next_value()?;
            entries += 1;
            good &= known && text == Shape::Good;
        }
        Ok(PasswordShape(if good && entries == 1 {
            Shape::Good
        } else {
            Shape::Bad
        }))
    }
}

impl<'de> Deserialize<'de> for PasswordShape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_any::<Self, D>(deserializer)
    }
}

impl<'de, T: Deserialize<'de>> ValueReader<'de> for Tolerant<T> {
    type Output = Self;

    fn scalar(_: bool) -> Self {
        Tolerant(None)
    }

    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(|inner| Tolerant(Some(inner)))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tolerant<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_any::<Self, D>(deserializer)
    }
}

impl<'de, T: Deserialize<'de>> ValueReader<'de> for TolerantList<T> {
    type Output = Self;

    fn scalar(_: bool) -> Self {
        TolerantList(Vec::new())
    }

    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(TolerantList(items))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for TolerantList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_any::<Self, D>(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_shaped_secrets_pass() {
        let json = r#"{"encryption": {"passphrase": "open sesame", "enabled": true},
            "root_password": null,
            "users": [{"password": {"hashed": "$y$x"}}, {"password": {"clear": "pw"}}, {}]}"#;
        assert_eq!(first_malformed_secret(json), None);
    }

    #[test]
    fn each_malformed_secret_is_named_by_its_field() {
        for (json, field) in [
            (
                r#"{"encryption": {"passphrase": 42}}"#,
                "encryption.passphrase",
            ),
            (
                r#"{"encryption": {"passphrase": ["a"]}}"#,
                "encryption.passphrase",
            ),
            (r#"{"root_password": "Hunter2Secret"}"#, "root_password"),
            (
                r#"{"root_password": {"Hunter2Secret": "x"}}"#,
                "root_password",
            ),
            (
                r#"{"root_password": {"clear": "a", "hashed": "b"}}"#,
                "root_password",
            ),
            (r#"{"root_password": {}}"#, "root_password"),
            (
                r#"{"users": [{}, {"password": {"clear": 7}}]}"#,
                "users[1].password",
            ),
            (
                r#"{"users": [{"password": "Hunter2Secret"}]}"#,
                "users[0].password",
            ),
        ] {
            assert_eq!(
                first_malformed_secret(json).as_deref(),
                Some(field),
                "{json}"
            );
        }
    }

    #[test]
    fn a_plan_of_another_shape_is_left_to_the_full_read() {
        assert_eq!(first_malformed_secret("[1, 2]"), None);
        assert_eq!(first_malformed_secret(r#"{"users": "nobody"}"#), None);
    }

    #[test]
    fn other_parts_of_the_wrong_shape_do_not_hide_a_secret() {
        let json = r#"{"encryption": 5, "users": [3, "x", {"password": "Hunter2Secret"}]}"#;
        assert_eq!(
            first_malformed_secret(json).as_deref(),
            Some("users[2].password")
        );
        let json = r#"{"users": 5, "encryption": {"passphrase": true, "x": [1]}}"#;
        assert_eq!(
            first_malformed_secret(json).as_deref(),
            Some("encryption.passphrase")
        );
    }
}
