// SPDX-License-Identifier: GPL-3.0-or-later
//! The plan's rules for persistence entries, applied to an entry added to an
//! existing file.

use crate::i18n::{gettext_f, isolate};
use crate::plan::{
    Problem, is_clean_absolute_path, is_clean_relative_path, is_inside, is_valid_account_name,
};

use super::model::{Entry, EntryLists, Persistence};
use super::{EditError, NewEntry, Target};

/// File systems the kernel provides at boot: keeping them is meaningless
/// and bind-mounting over them breaks the system.
const KERNEL_FILE_SYSTEMS: [&str; 4] = ["/proc", "/sys", "/dev", "/run"];

/// Why an entry cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A rule the installer's plan has too.
    Plan(Problem),
    ControlCharacter {
        path: String,
    },
    KernelFileSystem {
        path: String,
        under: String,
    },
    StorageRootNotAbsolute {
        path: String,
    },
}

impl Rejection {
    pub fn message(&self) -> String {
        match self {
            Rejection::Plan(problem) => problem.message(),
            Rejection::ControlCharacter { path } => gettext_f(
                "“{path}” contains a control character. Remove it.",
                &[("path", &isolate(&path.escape_debug().to_string()))],
            ),
            Rejection::KernelFileSystem { path, under } => gettext_f(
                "“{path}” is inside {under}, which the kernel provides anew at every boot. Keep something else.",
                &[("path", &isolate(path)), ("under", &isolate(under))],
            ),
            Rejection::StorageRootNotAbsolute { path } => gettext_f(
                "The storage root “{path}” is not a clean absolute path.",
                &[("path", &isolate(path))],
            ),
        }
    }
}

pub(super) fn new_entry(
    entry: &NewEntry,
    storage: &str,
    persistence: &Persistence,
) -> Result<(), EditError> {
    check(entry, storage, persistence).map_err(EditError::Rejected)
}

fn check(entry: &NewEntry, storage: &str, persistence: &Persistence) -> Result<(), Rejection> {
    let path = &entry.target.path;
    if path.chars().any(char::is_control) {
        return Err(Rejection::ControlCharacter { path: path.clone() });
    }
    if !is_clean_absolute_path(storage) || storage == "/" {
        return Err(Rejection::StorageRootNotAbsolute {
            path: storage.to_owned(),
        });
    }
    if entry.target.user.is_some() {
        if !is_clean_relative_path(path) {
            return Err(Rejection::Plan(Problem::HomeEntryNotRelative {
                path: path.clone(),
            }));
        }
    } else {
        system_path(path, storage, persistence)?;
    }
    for name in [&entry.owner, &entry.group, &entry.target.user]
        .into_iter()
        .flatten()
    {
        if !is_valid_account_name(name) {
            return Err(Rejection::Plan(Problem::OwnerNameInvalid {
                name: name.clone(),
            }));
        }
    }
    if let Some(mode) = &entry.mode {
        let octal =
            (3..=4).contains(&mode.len()) && mode.bytes().all(|b| (b'0'..=b'7').contains(&b));
        if !octal {
            return Err(Rejection::Plan(Problem::DirectoryModeInvalid {
                mode: mode.clone(),
            }));
        }
    }
    Ok(())
}

fn system_path(path: &str, storage: &str, persistence: &Persistence) -> Result<(), Rejection> {
    if !is_clean_absolute_path(path) || path == "/" {
        return Err(Rejection::Plan(Problem::EntryNotAbsolute {
            path: path.to_owned(),
        }));
    }
    if is_inside(path, "/nix") {
        return Err(Rejection::Plan(Problem::EntryInsideNix {
            path: path.to_owned(),
        }));
    }
    let roots = persistence.storages.iter().map(|s| s.root.as_str());
    if let Some(root) = std::iter::once(storage)
        .chain(roots)
        .find(|root| is_inside(path, root))
    {
        return Err(Rejection::Plan(Problem::EntryInsidePersistence {
            path: path.to_owned(),
            persistence: root.to_owned(),
        }));
    }
    if let Some(under) = KERNEL_FILE_SYSTEMS.iter().find(|fs| is_inside(path, fs)) {
        return Err(Rejection::KernelFileSystem {
            path: path.to_owned(),
            under: (*under).to_owned(),
        });
    }
    Ok(())
}

/// The same rules for an entry already in a file (as `keepsake persist
/// apply` finds it), and that no other storage root or list keeps its path.
pub fn kept_entry(
    entry: &Entry,
    storage: &str,
    user: Option<&str>,
    persistence: &Persistence,
) -> Result<(), Rejection> {
    let new_entry = NewEntry {
        target: Target {
            kind: entry.kind,
            path: entry.path.clone(),
            user: user.map(str::to_owned),
            storage: Some(storage.to_owned()),
        },
        owner: None,
        group: None,
        mode: None,
    };
    check(&new_entry, storage, persistence)?;
    let same_path = persistence
        .storages
        .iter()
        .filter_map(|s| s.lists(user))
        .flat_map(EntryLists::iter)
        .filter(|other| other.path == entry.path)
        .count();
    if same_path > 1 {
        let path = entry.path.clone();
        return Err(Rejection::Plan(match user {
            None => Problem::EntryDuplicate { path },
            Some(_) => Problem::HomeEntryDuplicate { path },
        }));
    }
    Ok(())
}
