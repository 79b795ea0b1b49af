// SPDX-License-Identifier: GPL-3.0-or-later
//! Account passwords: clear text on input, yescrypt hashes everywhere else.

use serde::{Deserialize, Serialize};
use yescrypt::{PasswordHasher, Yescrypt};

use super::secret::Secret;

/// A user's password as the plan carries it.
///
/// `Clear` exists only between reading input and [`Password::hashed`]; it
/// cannot be serialised (serde reports an error instead of writing it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Password {
    /// A crypt(3) hash as found in `/etc/shadow`, normally yescrypt (`$y$`).
    Hashed(String),
    /// Clear text typed by a person; hashed before anything is written.
    #[serde(skip_serializing)]
    Clear(Secret),
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
    fn malformed_hashes_are_recognised() {
        assert!(is_well_formed_hash("$6$salt$abc"));
        assert!(!is_well_formed_hash("hunter2"));
        assert!(!is_well_formed_hash("$y$a:b$c"));
        assert!(!is_well_formed_hash("$y$abc\n$x"));
        assert!(!is_well_formed_hash("$$abc$def"));
    }
}
