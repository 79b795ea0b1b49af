// SPDX-License-Identifier: GPL-3.0-or-later
//! Changing a password on a system with `users.mutableUsers = false`,
//! where `passwd` cannot: a new yescrypt hash goes into the user's
//! `hashedPasswordFile`.
//!
//! NixOS reads that file when the system is activated (the `users`
//! activation script, `update-users-groups.pl`, reads each user's password
//! file and writes the hash into `/etc/shadow` when users are not
//! mutable), so the new password is used from the next `nixos-rebuild
//! switch` (or `test`, or an apply in Keepsake) or the next boot, whichever
//! comes first; until then the old one works.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use gettextrs::gettext;

use super::SystemView;
use crate::atomic_file::{self, Owner};
use crate::i18n::{gettext_f, isolate};
use crate::nix::persistence_edit::{
    configuration_files, configured_users, hashed_password_file, literal_setting,
};
use crate::plan::{HashError, Password, Secret};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// No file of the configuration sets the user's `hashedPasswordFile`
    /// as a literal path.
    #[error("{}", self.message())]
    NoPasswordFile { user: String },
    /// `users.mutableUsers` is not written as `false`: NixOS would not use
    /// the file for an existing account, `passwd` is the way.
    #[error("{}", self.message())]
    MutableUsers,
    #[error("{}", self.message())]
    Hash(#[from] HashError),
    #[error("{}", self.message())]
    Io { file: PathBuf, error: io::Error },
}

impl PasswordError {
    pub fn message(&self) -> String {
        match self {
            PasswordError::NoPasswordFile { user } => gettext_f(
                "The configuration does not give {user} a hashedPasswordFile written as a plain path, so Keepsake cannot change the password. Set it in the configuration, or change the hash where the configuration takes it from.",
                &[("user", user)],
            ),
            PasswordError::MutableUsers => gettext(
                "This system does not set users.mutableUsers = false, so passwords are changed with “passwd”.",
            ),
            PasswordError::Hash(error) => error.to_string(),
            PasswordError::Io { file, error } => gettext_f(
                "Could not write {file}: {error}. The password was not changed.",
                &[
                    ("file", &isolate(&file.display().to_string())),
                    ("error", &error.to_string()),
                ],
            ),
        }
    }
}

/// An account the configuration declares, and whether Keepsake can change
/// its password.
#[derive(Debug)]
pub struct Account {
    pub name: String,
    /// Its `hashedPasswordFile`, or why Keepsake cannot write one.
    pub password_file: Result<PathBuf, PasswordError>,
}

/// Every account the configuration files of `view` declare
/// (`users.users.<name>`), in the order the files name them, with
/// [`password_file`] of each.
pub fn accounts(view: &SystemView) -> Vec<Account> {
    let mut names: Vec<String> = Vec::new();
    for file in configuration_files(&view.root) {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        for name in configured_users(&text) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| Account {
            password_file: password_file(view, &name),
            name,
        })
        .collect()
}

/// `user`'s password file as the system sees it, such as
/// `/persist/passwords/alice`, when the configuration of `view` writes it
/// as a literal and sets `users.mutableUsers = false`.
pub fn password_file(view: &SystemView, user: &str) -> Result<PathBuf, PasswordError> {
    let texts: Vec<String> = configuration_files(&view.root)
        .iter()
        .filter_map(|file| fs::read_to_string(file).ok())
        .collect();
    let immutable = texts.iter().any(|text| {
        literal_setting(text, &["users", "mutableUsers"]) == Some(serde_json::Value::Bool(false))
    });
    if !immutable {
        return Err(PasswordError::MutableUsers);
    }
    texts
        .iter()
        .find_map(|text| hashed_password_file(text, user))
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .ok_or_else(|| PasswordError::NoPasswordFile {
            user: user.to_owned(),
        })
}

/// Hashes `password` with yescrypt and writes it to `user`'s password file
/// (see [`write_hash_file`]). Returns the file, as the system sees it.
pub fn set_password(
    view: &SystemView,
    user: &str,
    password: &Secret,
) -> Result<PathBuf, PasswordError> {
    let file = password_file(view, user)?;
    let hashed = Password::Clear(password.clone()).hashed()?;
    let hash = hashed.hash().unwrap_or_default();
    let host = view.host_path(&file);
    write_hash_file(&host, hash).map_err(|error| PasswordError::Io {
        file: file.clone(),
        error,
    })?;
    Ok(file)
}

/// Replaces `file` with `hash` and a newline: a temporary file in the same
/// directory with mode 0600 (owned by root when running as root), fsync,
/// rename over `file`, fsync of the directory. A missing directory is made
/// with mode 0700.
pub fn write_hash_file(file: &Path, hash: &str) -> io::Result<()> {
    let directory = file
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no directory"))?;
    if !directory.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(directory)?;
    }
    atomic_file::replace(
        file,
        format!("{hash}\n").as_bytes(),
        0o600,
        Owner::RootWhenRoot,
    )
}

/// When a new password takes effect, for people.
pub fn password_takes_effect() -> String {
    gettext(
        "The new password is used from the next time the system is activated: the next “nixos-rebuild switch”, the next apply in Keepsake, or the next boot. Until then the old password still works.",
    )
}
