// SPDX-License-Identifier: GPL-3.0-or-later
//! Account passwords: clear text on input, yescrypt hashes everywhere else.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use yescrypt::{PasswordHasher, Yescrypt};

use super::secret::Secret;

/// A user's password as the plan carries it.
///
/// `Clear` exists only between reading input and [`Password::hashed`]; it
/// cannot be serialised (serde reports an error instead of writing it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Password {
    /// A crypt(3) hash as found in `/etc/shadow`, normally yescrypt (`$y$`).
    Hashed(String),
    /// Clear text typed by a person; hashed before anything is written.
    #[serde(skip_serializing)]
    Clear(Secret),
}

/// `{"hashed": "…"}` or `{"clear": "…"}`. Written out instead of derived:
/// serde's messages quote what they did not expect (“unknown variant
/// `Hunter2`”), and here that is the password.
impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PasswordVisitor)
    }
}

struct PasswordVisitor;

impl PasswordVisitor {
    fn refuse<E: de::Error>() -> Result<Password, E> {
        Err(E::custom(
            "a password must be {\"hashed\": \"…\"} or {\"clear\": \"…\"} (its value is not shown)",
        ))
    }
}

impl<'de> Visitor<'de> for PasswordVisitor {
    type Value = Password;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{\"hashed\": …} or {\"clear\": …}")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Password, A::Error> {
        let Some(variant) = map.next_key::<Secret>()? else {
            return Self::refuse();
        };
        let text: Secret = map.next_value()?;
        if map.next_key::<Secret>()?.is_some() {
            return Self::refuse();
        }
        match variant.expose() {
            "hashed" => Ok(Password::Hashed(text.expose().to_owned())),
            "clear" => Ok(Password::Clear(text)),
            _ => Self::refuse(),
        }
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Password, E> {
        Self::refuse()
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Password, A::Error> {
        Self::refuse()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashError(String);

impl Password {
    /// Hashes clear text with yescrypt and a random salt (the format
    /// `mkpasswd` produces by default); a hash is returned unchanged.
    pub fn hashed(&self) -> Result<Password, HashError> {
        match self {
            Password::Hashed(hash) => Ok(Password::Hashed(hash.clone())),
            Password::Clear(secret) => hash_yescrypt(secret).map(Password::Hashed),
        }
    }

    /// The hash, or `None` while the password is still clear text.
    pub fn hash(&self) -> Option<&str> {
        match self {
            Password::Hashed(hash) => Some(hash),
            Password::Clear(_) => None,
        }
    }
}

fn hash_yescrypt(secret: &Secret) -> Result<String, HashError> {
    Yescrypt::default()
        .hash_password(secret.expose().as_bytes())
        .map(|hash| hash.as_str().to_owned())
        .map_err(|error| HashError(error.to_string()))
}

/// Whether `hash` looks like a crypt(3) hash that `/etc/shadow` accepts:
/// `$id$…`, printable ASCII, no field separator or line break.
pub fn is_well_formed_hash(hash: &str) -> bool {
    let mut fields = hash.split('$');
    let starts_with_id = fields.next() == Some("")
        && fields
            .next()
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    starts_with_id && fields.count() >= 2 && hash.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

#[cfg(test)]
mod tests {
    use yescrypt::{PasswordHash, PasswordVerifier};

    use super::*;

    #[test]
    fn clear_text_becomes_a_verifiable_yescrypt_hash() {
        let hashed = Password::Clear(Secret::from("correct horse"))
            .hashed()
            .unwrap();
        let hash = hashed.hash().unwrap();
        assert!(hash.starts_with("$y$"), "{hash}");
        assert!(is_well_formed_hash(hash));
        let parsed = PasswordHash::new(hash).unwrap();
        assert!(
            Yescrypt::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Yescrypt::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }

    #[test]
    fn clear_text_cannot_be_serialised() {
        let clear = Password::Clear(Secret::from("hunter2"));
        let result = serde_json::to_string(&clear);
        assert!(result.is_err());
    }

    #[test]
    fn the_wrong_shape_is_refused_without_the_password() {
        for json in [
            "\"Hunter2\"",
            "{\"Hunter2\": \"x\"}",
            "{\"clear\": 4242424242}",
            "{\"hashed\": [\"Hunter2\"]}",
            "{\"clear\": \"Hunter2\", \"hashed\": \"Hunter2\"}",
            "{}",
        ] {
            let error = serde_json::from_str::<Password>(json)
                .unwrap_err()
                .to_string();
            assert!(
                !error.contains("Hunter2") && !error.contains("4242"),
                "{error}"
            );
        }
        let clear: Password = serde_json::from_str("{\"clear\": \"pw\"}").unwrap();
        assert_eq!(clear, Password::Clear(Secret::from("pw")));
        let hashed: Password = serde_json::from_str("{\"hashed\": \"$6$s$h\"}").unwrap();
        assert_eq!(hashed.hash(), Some("$6$s$h"));
    }

    #[test]
    fn malformed_hashes_are_recognised() {
        assert!(is_well_formed_hash("$6$salt$abc"));
        assert!(!is_well_formed_hash("hunter2"));
        assert!(!is_well_formed_hash("$y$a:b$c"));
        assert!(!is_well_formed_hash("$y$abc\n$x"));
        assert!(!is_well_formed_hash("$$abc$def"));
    }
}
