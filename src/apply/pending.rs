// SPDX-License-Identifier: GPL-3.0-or-later
//! What changed since the last apply: the entries of the file as it was
//! then (the baseline) against the entries now.
//!
//! The baseline is `<file>.keepsake-applied`, written by the first edit
//! after an apply (the file as the running system was built from it) and
//! replaced by every successful apply. Without it the file is taken as
//! applied already.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::data_move::{ConflictChoice, DataMove};
use crate::nix::persistence_edit::{Entry, EntryKind, Persistence, Rejection, kept_entry};

/// `<file>.keepsake-applied`
pub fn applied_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".keepsake-applied");
    PathBuf::from(name)
}

/// Records the file as applied unless a baseline exists: called before
/// each edit, so the first edit after an apply keeps what was applied.
pub fn record_baseline(file: &Path) -> io::Result<()> {
    let baseline = applied_path(file);
    if baseline.exists() {
        return Ok(());
    }
    let text = fs::read_to_string(file)?;
    write_baseline(file, &text)
}

/// Replaces the baseline with `text` (temporary file, fsync, rename), with
/// the mode of `file`: it holds the same configuration.
pub fn write_baseline(file: &Path, text: &str) -> io::Result<()> {
    let baseline = applied_path(file);
    let mut temporary = baseline.clone().into_os_string();
    temporary.push(format!(".{}", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let permissions = fs::metadata(file)?.permissions();
    let result = (|| {
        let mut output = fs::File::create(&temporary)?;
        output.set_permissions(permissions)?;
        output.write_all(text.as_bytes())?;
        output.sync_all()?;
        fs::rename(&temporary, &baseline)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// The baseline's text: the last applied version, or `current` when none
/// was recorded.
pub fn read_baseline(file: &Path, current: &str) -> io::Result<String> {
    match fs::read_to_string(applied_path(file)) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(current.to_owned()),
        Err(error) => Err(error),
    }
}

/// One kept path, as impermanence sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptPath {
    pub storage: String,
    pub user: Option<String>,
    /// The user's home directory, when the file says.
    pub home: Option<String>,
    pub kind: EntryKind,
    /// As written: relative to the home directory for a user's entry.
    pub path: String,
}

impl KeptPath {
    /// The absolute path on the running system.
    pub fn absolute(&self) -> String {
        match &self.user {
            None => self.path.clone(),
            Some(user) => {
                // impermanence's default, as NixOS' `users.users.<name>.home`.
                let home = match (&self.home, user.as_str()) {
                    (Some(home), _) => home.clone(),
                    (None, "root") => "/root".to_owned(),
                    (None, name) => format!("/home/{name}"),
                };
                format!("{}/{}", home.trim_end_matches('/'), self.path)
            }
        }
    }

    /// The move of this path's data under `live_root` (`/` on a real
    /// system): impermanence stores `/a/b` as `<storage>/a/b`.
    pub fn data_move(&self, live_root: &Path, conflict: Option<ConflictChoice>) -> DataMove {
        let absolute = self.absolute();
        let relative = absolute.trim_start_matches('/');
        DataMove {
            live: live_root.join(relative),
            stored: live_root
                .join(self.storage.trim_start_matches('/'))
                .join(relative),
            conflict,
        }
    }

    fn same_entry(&self, other: &KeptPath) -> bool {
        (&self.storage, &self.user, self.kind, &self.path)
            == (&other.storage, &other.user, other.kind, &other.path)
    }
}

/// Every literal entry of the enabled storage roots, in source order.
pub fn kept_entries(persistence: &Persistence) -> Vec<KeptPath> {
    kept_paths(persistence)
        .into_iter()
        .map(|(kept, _)| kept)
        .collect()
}

/// Every literal entry of the enabled storage roots, with what
/// [`kept_entry`] says about it.
fn kept_paths(persistence: &Persistence) -> Vec<(KeptPath, Result<(), Rejection>)> {
    let mut paths = Vec::new();
    for storage in persistence
        .storages
        .iter()
        .filter(|s| s.enable != Some(false))
    {
        let mut push = |entry: &Entry, user: Option<&str>, home: Option<&String>| {
            let check = kept_entry(entry, &storage.root, user, persistence);
            let kept = KeptPath {
                storage: storage.root.clone(),
                user: user.map(str::to_owned),
                home: home.cloned(),
                kind: entry.kind,
                path: entry.path.clone(),
            };
            paths.push((kept, check));
        };
        for entry in storage.entries.iter() {
            push(entry, None, None);
        }
        for user in &storage.users {
            for entry in user.entries.iter() {
                push(entry, Some(&user.name), user.home.as_ref());
            }
        }
    }
    paths
}

/// The entries added and removed since the baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending {
    pub added: Vec<KeptPath>,
    pub removed: Vec<KeptPath>,
    /// Added entries that break a rule, with the reason.
    pub rejected: Vec<(KeptPath, Rejection)>,
    /// Added entries with another kept path inside them, with that path.
    /// Their stored data is a mix of both, which the move cannot merge
    /// yet: either choice of [`ConflictChoice`] would set the inner data
    /// aside.
    pub nested: Vec<(KeptPath, KeptPath)>,
}

impl Pending {
    pub fn between(baseline: &Persistence, current: &Persistence) -> Self {
        let before = kept_paths(baseline);
        let after = kept_paths(current);
        let mut pending = Pending::default();
        for (kept, check) in &after {
            if before.iter().any(|(old, _)| old.same_entry(kept)) {
                continue;
            }
            let inner = after.iter().map(|(other, _)| other).find(|other| {
                other.storage == kept.storage
                    && is_strictly_inside(&other.absolute(), &kept.absolute())
            });
            match (check, inner) {
                (Err(rejection), _) => pending.rejected.push((kept.clone(), rejection.clone())),
                (Ok(()), Some(inner)) => pending.nested.push((kept.clone(), inner.clone())),
                (Ok(()), None) => pending.added.push(kept.clone()),
            }
        }
        pending.removed = before
            .into_iter()
            .map(|(old, _)| old)
            .filter(|old| !after.iter().any(|(kept, _)| kept.same_entry(old)))
            .collect();
        pending
    }
}

fn is_strictly_inside(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent.trim_end_matches('/'))
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nix::persistence_edit::PersistenceDocument;

    fn read(text: &str) -> Persistence {
        PersistenceDocument::parse(text)
            .unwrap()
            .persistence()
            .clone()
    }

    #[test]
    fn added_and_removed_entries_are_found_by_storage_user_and_path() {
        let before = read(
            r#"{ environment.persistence."/persist" = { directories = [ "/var/log" "/etc/ssh" ]; users.alice.directories = [ "Music" ]; }; }"#,
        );
        let after = read(
            r#"{ environment.persistence."/persist" = { directories = [ "/var/log" "/var/lib/bluetooth" ]; users.alice = { home = "/srv/alice"; directories = [ "Music" "Documents" ]; }; }; }"#,
        );
        let pending = Pending::between(&before, &after);
        let added: Vec<String> = pending.added.iter().map(KeptPath::absolute).collect();
        assert_eq!(added, ["/var/lib/bluetooth", "/srv/alice/Documents"]);
        let removed: Vec<String> = pending.removed.iter().map(KeptPath::absolute).collect();
        assert_eq!(removed, ["/etc/ssh"]);
        assert!(pending.rejected.is_empty());
        let moved = pending.added[1].data_move(Path::new("/scratch"), None);
        assert_eq!(moved.live, Path::new("/scratch/srv/alice/Documents"));
        assert_eq!(
            moved.stored,
            Path::new("/scratch/persist/srv/alice/Documents")
        );
    }

    #[test]
    fn an_added_entry_breaking_a_rule_is_rejected() {
        let before = read(r#"{ environment.persistence."/persist".directories = [ ]; }"#);
        let after = read(
            r#"{ environment.persistence."/persist".directories = [ "/nix/store" "/var/log" "/var/log" ]; }"#,
        );
        let pending = Pending::between(&before, &after);
        let rejected: Vec<&str> = pending
            .rejected
            .iter()
            .map(|(kept, _)| kept.path.as_str())
            .collect();
        assert_eq!(rejected, ["/nix/store", "/var/log", "/var/log"]);
    }

    #[test]
    fn an_added_entry_around_a_kept_one_is_set_apart() {
        let before =
            read(r#"{ environment.persistence."/persist".directories = [ "/var/lib/nixos" ]; }"#);
        let after = read(
            r#"{ environment.persistence."/persist".directories = [ "/var/lib/nixos" "/var/lib" "/var/lib2" ]; }"#,
        );
        let pending = Pending::between(&before, &after);
        let added: Vec<String> = pending.added.iter().map(KeptPath::absolute).collect();
        assert_eq!(added, ["/var/lib2"]);
        let nested: Vec<(String, String)> = pending
            .nested
            .iter()
            .map(|(outer, inner)| (outer.absolute(), inner.absolute()))
            .collect();
        assert_eq!(
            nested,
            [("/var/lib".to_owned(), "/var/lib/nixos".to_owned())]
        );
    }
}
