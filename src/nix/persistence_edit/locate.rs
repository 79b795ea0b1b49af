// SPDX-License-Identifier: GPL-3.0-or-later
//! Finding the file that defines `environment.persistence`: from
//! `/etc/nixos/configuration.nix` through `imports`, or from the modules of
//! `nixosConfigurations` in `/etc/nixos/flake.nix`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rnix::ast;
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::syntax::{self, Unwrapped, attrpath_names};
use super::{EditError, PersistenceDocument};
use crate::i18n::gettext_f;

#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// No file reachable from the entry points defines it.
    #[error("{}", self.message())]
    NotFound { searched: Vec<PathBuf> },
    #[error("{}", self.message())]
    Parse { file: PathBuf, error: EditError },
}

impl LocateError {
    pub fn message(&self) -> String {
        match self {
            LocateError::NotFound { searched } => gettext_f(
                "No file defines environment.persistence. Searched: {files}. Name the file with --config.",
                &[(
                    "files",
                    &searched
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                )],
            ),
            LocateError::Parse { file, error } => {
                format!("{}: {}", file.display(), error.message())
            }
        }
    }
}

/// The first file, depth first in import order, that defines
/// `environment.persistence`, on the system whose `/` is `root`.
pub fn find_persistence_file(root: &Path) -> Result<PathBuf, LocateError> {
    let nixos = root.join("etc/nixos");
    let mut search = Search {
        root: root.to_owned(),
        visited: BTreeSet::new(),
        searched: Vec::new(),
    };
    for entry in [nixos.join("configuration.nix"), nixos.join("flake.nix")] {
        if let Some(found) = search.visit(&entry)? {
            return Ok(found);
        }
    }
    Err(LocateError::NotFound {
        searched: search.searched,
    })
}

struct Search {
    root: PathBuf,
    visited: BTreeSet<PathBuf>,
    searched: Vec<PathBuf>,
}

impl Search {
    fn visit(&mut self, file: &Path) -> Result<Option<PathBuf>, LocateError> {
        let file = if file.is_dir() {
            file.join("default.nix")
        } else {
            file.to_owned()
        };
        if !self.visited.insert(file.clone()) {
            return Ok(None);
        }
        // Imports from the Nix store or a missing file are not the person's.
        let Ok(text) = std::fs::read_to_string(&file) else {
            return Ok(None);
        };
        self.searched.push(file.clone());
        let document = PersistenceDocument::parse(&text).map_err(|error| LocateError::Parse {
            file: file.clone(),
            error,
        })?;
        let persistence = document.persistence();
        if !persistence.storages.is_empty() || persistence.is_computed() {
            return Ok(Some(file));
        }
        let directory = file.parent().unwrap_or(Path::new("/")).to_owned();
        let tree = ast::Root::parse(&text).tree();
        for imported in module_paths(tree.syntax()) {
            let next = match imported {
                ImportedPath::Relative(relative) => directory.join(relative),
                ImportedPath::Absolute(absolute) => {
                    self.root.join(absolute.trim_start_matches('/'))
                }
            };
            if let Some(found) = self.visit(&next)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

enum ImportedPath {
    Relative(String),
    Absolute(String),
}

/// The plain paths listed in `imports` (a module) or `modules` (a flake's
/// `nixosSystem` call), in source order.
fn module_paths(tree: &SyntaxNode) -> Vec<ImportedPath> {
    tree.descendants()
        .filter_map(ast::AttrpathValue::cast)
        .filter(|binding| {
            let names = binding.attrpath().and_then(|p| attrpath_names(&p));
            matches!(names.as_deref(), Some([name]) if name == "imports" || name == "modules")
        })
        .filter_map(|binding| match syntax::unwrap(binding.value()?) {
            Unwrapped::Value {
                expr: ast::Expr::List(list),
                ..
            } => Some(list),
            _ => None,
        })
        .flat_map(|list| list.items().collect::<Vec<_>>())
        .filter_map(|item| plain_path(&item))
        .collect()
}

fn plain_path(item: &ast::Expr) -> Option<ImportedPath> {
    let node = item.syntax();
    // `./${name}.nix` has an interpolation node inside.
    if node.children().next().is_some() {
        return None;
    }
    let text = node.text().to_string();
    match node.kind() {
        SyntaxKind::NODE_PATH_REL => Some(ImportedPath::Relative(text)),
        SyntaxKind::NODE_PATH_ABS => Some(ImportedPath::Absolute(text)),
        SyntaxKind::NODE_STRING => match syntax::literal_str(&ast::Str::cast(node.clone())?) {
            Ok(path) if path.starts_with('/') => Some(ImportedPath::Absolute(path)),
            _ => None,
        },
        _ => None,
    }
}
