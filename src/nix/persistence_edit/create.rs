// SPDX-License-Identifier: GPL-3.0-or-later
//! When no file defines `environment.persistence`: a new `persistence.nix`
//! next to `configuration.nix`, and `./persistence.nix` added to its
//! `imports` with the same byte-minimal edit as an entry (a new `imports`
//! binding when there is none). Both are shown as one unified diff before
//! anything is written.
//!
//! The new file only sets `environment.persistence`; the impermanence
//! module that defines that option must already be imported (Keepsake's
//! installs do), or the rebuild of the apply fails and puts everything back.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rnix::ast;
use rowan::ast::AstNode;

use super::splice;
use super::syntax::{self, Unwrapped, attrpath_names, quote};
use super::{EditError, PersistenceDocument, write_atomically};
use crate::i18n::{gettext_f, isolate};

/// The name of the new file, next to the configuration that imports it.
pub const NEW_MODULE_NAME: &str = "persistence.nix";

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{}", self.message())]
    Exists { file: PathBuf },
    /// The importing file is not a module Keepsake can add an import to.
    #[error("{}", self.message())]
    NotAModule { file: PathBuf },
    #[error("{}", self.message())]
    Parse { file: PathBuf, error: EditError },
    #[error("{}", self.message())]
    Io { file: PathBuf, error: String },
}

impl CreateError {
    pub fn message(&self) -> String {
        let file_text = |file: &PathBuf| file.display().to_string();
        match self {
            CreateError::Exists { file } => gettext_f(
                "{file} exists already; add environment.persistence to it, or name the file that defines it.",
                &[("file", &isolate(&file_text(file)))],
            ),
            CreateError::NotAModule { file } => gettext_f(
                "{file} is not an attribute set or a function returning one written out, so Keepsake cannot add an import to it.",
                &[("file", &isolate(&file_text(file)))],
            ),
            CreateError::Parse { file, error } => {
                format!(
                    "{}: {}",
                    isolate(&file.display().to_string()),
                    error.message()
                )
            }
            CreateError::Io { file, error } => gettext_f(
                "Cannot read or write {file}: {error}",
                &[("file", &isolate(&file_text(file))), ("error", error)],
            ),
        }
    }
}

/// A new persistence module and the import of it, not written yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewModule {
    /// `<dir of importer>/persistence.nix`
    pub file: PathBuf,
    pub text: String,
    /// The file that imports it, such as `/etc/nixos/configuration.nix`.
    pub importer: PathBuf,
    pub importer_before: String,
    pub importer_after: String,
}

impl NewModule {
    /// Both changes as one unified diff: the new file from `/dev/null`,
    /// then the import.
    pub fn diff(&self) -> String {
        let new = self.file.display().to_string();
        let importer = self.importer.display().to_string();
        let created = similar::TextDiff::from_lines("", &self.text)
            .unified_diff()
            .header("/dev/null", &new)
            .to_string();
        let imported = similar::TextDiff::from_lines(&self.importer_before, &self.importer_after)
            .unified_diff()
            .header(&importer, &importer)
            .to_string();
        created + &imported
    }

    /// Creates the new file (never over an existing one), then rewrites the
    /// importer atomically, keeping its previous version as
    /// `<file>.keepsake-backup`.
    pub fn write(&self) -> Result<(), CreateError> {
        let io_error = |file: &Path| {
            let file = file.to_owned();
            move |error: io::Error| CreateError::Io {
                file,
                error: error.to_string(),
            }
        };
        let mut output = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.file)
            .map_err(|error| match error.kind() {
                io::ErrorKind::AlreadyExists => CreateError::Exists {
                    file: self.file.clone(),
                },
                _ => io_error(&self.file)(error),
            })?;
        output
            .write_all(self.text.as_bytes())
            .and_then(|()| output.sync_all())
            .map_err(io_error(&self.file))?;
        write_atomically(&self.importer, &self.importer_after).map_err(io_error(&self.importer))
    }
}

/// The text of a new module that keeps nothing yet in `storage`.
pub fn new_module_text(storage: &str) -> String {
    format!(
        "# What survives a reboot: everything else is erased with the root.\n\
         # Written by Keepsake; edit it as you like.\n\
         {{ ... }}:\n\
         \n\
         {{\n\
         \x20 environment.persistence.{} = {{\n\
         \x20   hideMounts = true;\n\
         \x20   directories = [ ];\n\
         \x20   files = [ ];\n\
         \x20 }};\n\
         }}\n",
        quote(storage)
    )
}

/// Plans `persistence.nix` next to `importer` (whose text is
/// `importer_text`) keeping things in `storage`, and its import.
pub fn plan_new_module(
    importer: &Path,
    importer_text: &str,
    storage: &str,
) -> Result<NewModule, CreateError> {
    let file = importer
        .parent()
        .unwrap_or(Path::new("/"))
        .join(NEW_MODULE_NAME);
    if file.exists() {
        return Err(CreateError::Exists { file });
    }
    PersistenceDocument::parse(importer_text).map_err(|error| CreateError::Parse {
        file: importer.to_owned(),
        error,
    })?;
    let not_a_module = || CreateError::NotAModule {
        file: importer.to_owned(),
    };
    let tree = ast::Root::parse(importer_text).tree();
    let set = module_set(tree.expr().ok_or_else(not_a_module)?).ok_or_else(not_a_module)?;
    let item = format!("./{NEW_MODULE_NAME}");
    let imports = set
        .syntax()
        .children()
        .filter_map(ast::AttrpathValue::cast)
        .find(|binding| {
            let names = binding.attrpath().and_then(|path| attrpath_names(&path));
            matches!(names.as_deref(), Some([name]) if name == "imports")
        });
    let splice = match imports.and_then(|binding| binding.value()) {
        Some(ast::Expr::List(list)) => splice::append_to_list(importer_text, &list, &item),
        // `imports = something computed;` cannot take another item safely.
        Some(_) => None,
        None => splice::append_to_set(importer_text, &set, &format!("imports = [ {item} ];")),
    }
    .ok_or_else(not_a_module)?;
    Ok(NewModule {
        text: new_module_text(storage),
        file,
        importer: importer.to_owned(),
        importer_before: importer_text.to_owned(),
        importer_after: splice.apply(importer_text),
    })
}

/// [`plan_new_module`] for `/etc/nixos/configuration.nix` of the system
/// whose `/` is `root`.
pub fn plan_new_module_for_system(root: &Path, storage: &str) -> Result<NewModule, CreateError> {
    let importer = root.join("etc/nixos/configuration.nix");
    let text = std::fs::read_to_string(&importer).map_err(|error| CreateError::Io {
        file: importer.clone(),
        error: error.to_string(),
    })?;
    plan_new_module(&importer, &text, storage)
}

/// The attribute set a module file evaluates to: the file itself, or the
/// body of the function it is, through `let … in` and parentheses.
fn module_set(expr: ast::Expr) -> Option<ast::AttrSet> {
    let body = match expr {
        ast::Expr::Lambda(lambda) => lambda.body()?,
        other => other,
    };
    match syntax::unwrap(body) {
        Unwrapped::Value {
            expr: ast::Expr::AttrSet(set),
            conditional: false,
        } => Some(set),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIGURATION: &str = "# My machine.\n{ config, pkgs, ... }:\n\n{\n  imports = [\n    ./hardware-configuration.nix\n  ];\n\n  networking.hostName = \"m\"; # named after the cat\n}\n";

    #[test]
    fn the_import_is_one_added_line_and_the_new_file_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let importer = dir.path().join("configuration.nix");
        let plan = plan_new_module(&importer, CONFIGURATION, "/persist").unwrap();
        assert_eq!(
            plan.importer_after,
            CONFIGURATION.replace(
                "    ./hardware-configuration.nix\n",
                "    ./hardware-configuration.nix\n    ./persistence.nix\n"
            )
        );
        let document = PersistenceDocument::parse(&plan.text).unwrap();
        let storage = document.persistence().storage("/persist").unwrap();
        assert_eq!(storage.hide_mounts, Some(true));
        assert!(storage.entries.directories.is_empty());
        let added = document
            .add(&super::super::NewEntry {
                target: super::super::Target {
                    kind: super::super::EntryKind::Directory,
                    path: "/var/log".to_owned(),
                    user: None,
                    storage: None,
                },
                owner: None,
                group: None,
                mode: None,
            })
            .expect("the new file takes entries");
        assert!(added.text.contains("\"/var/log\""), "{}", added.text);
        let diff = plan.diff();
        assert!(diff.contains("--- /dev/null"), "{diff}");
        assert!(diff.contains("+    ./persistence.nix\n"), "{diff}");

        std::fs::write(&importer, CONFIGURATION).unwrap();
        plan.write().unwrap();
        assert_eq!(std::fs::read_to_string(&plan.file).unwrap(), plan.text);
        assert_eq!(
            std::fs::read_to_string(&importer).unwrap(),
            plan.importer_after
        );
        assert!(matches!(plan.write(), Err(CreateError::Exists { .. })));
        assert!(matches!(
            plan_new_module(&importer, CONFIGURATION, "/persist"),
            Err(CreateError::Exists { .. })
        ));
    }

    #[test]
    fn a_module_without_imports_gets_a_binding_and_odd_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let importer = dir.path().join("configuration.nix");
        let plan = plan_new_module(
            &importer,
            "{\n  boot.isContainer = true;\n}\n",
            "/nix/persist",
        )
        .unwrap();
        assert_eq!(
            plan.importer_after,
            "{\n  boot.isContainer = true;\n  imports = [ ./persistence.nix ];\n}\n"
        );
        assert!(
            plan.text
                .contains("environment.persistence.\"/nix/persist\"")
        );
        for odd in ["import ./other.nix", "{ imports = map f xs; }", "{ x = ; }"] {
            assert!(
                plan_new_module(&importer, odd, "/persist").is_err(),
                "{odd}"
            );
        }
    }
}
