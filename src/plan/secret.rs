// SPDX-License-Identifier: GPL-3.0-or-later
//! Text that must never leave memory: passphrases and clear-text passwords.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use zeroize::Zeroizing;

/// A secret string, wiped from memory when dropped.
///
/// It can be read from JSON (the helper receives the passphrase on stdin) but
/// does not implement `Serialize`, so no export of a plan can contain it by
/// accident; [`crate::plan::Plan::to_helper_json`] is the one deliberate way
/// out. `Debug` prints a fixed marker.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The clear text, for the few places that must hand it on (hashing,
    /// UDisks' `encrypt.passphrase`).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text.to_owned())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes() == other.0.as_bytes()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

/// Takes a string; anything else is refused without the value, which
/// serde's own messages quote (“invalid type: integer `1234`”).
struct SecretVisitor;

impl SecretVisitor {
    fn refuse<E: de::Error>() -> Result<Secret, E> {
        Err(E::custom(
            "a secret must be a string (its value is not shown)",
        ))
    }
}

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Secret, E> {
        Ok(Secret::from(text))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Secret, E> {
        Ok(Secret::new(text))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Self::refuse()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
        Self::refuse()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
        Self::refuse()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Self::refuse()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Secret, E> {
        Self::refuse()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Secret, E> {
        Self::refuse()
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
        Self::refuse()
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
        Self::refuse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_text() {
        let secret = Secret::from("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn the_wrong_type_is_refused_without_its_value() {
        for json in [
            "4242424242",
            "-4242424242",
            "42.42",
            "true",
            "[\"Hunter2\"]",
            "{\"Hunter2\": 1}",
        ] {
            let error = serde_json::from_str::<Secret>(json)
                .unwrap_err()
                .to_string();
            assert!(
                !error.contains("4242") && !error.contains("Hunter2"),
                "{error}"
            );
        }
        assert_eq!(
            serde_json::from_str::<Secret>("\"ok\"").unwrap().expose(),
            "ok"
        );
    }
}
