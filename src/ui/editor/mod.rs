// SPDX-License-Identifier: GPL-3.0-or-later
//! The persistence editor: what an installed system keeps, what it would
//! lose at the next reboot, and applying changes to both.
//!
//! ```text
//! KsEditorWindow (AdwApplicationWindow, owns the one KsEditorModel)
//! ├── AdwBanner "N changes waiting to be applied" → KsReviewDialog → KsApplyDialog
//! └── AdwViewStack
//!     ├── KsKeptPage → KsAddEntryDialog
//!     ├── KsLostPage
//!     ├── KsOrphansPage
//!     └── KsAccountsPage
//! ```

mod accounts_page;
mod add_entry_dialog;
mod apply_dialog;
mod apply_runner;
mod create_module;
mod kept_page;
mod lost_page;
mod model;
mod orphans_page;
mod privileged;
mod review_dialog;
mod window;

use std::path::{Path, PathBuf};

use gtk::prelude::*;

pub use self::accounts_page::KsAccountsPage;
pub use self::add_entry_dialog::KsAddEntryDialog;
pub use self::apply_dialog::KsApplyDialog;
pub use self::kept_page::KsKeptPage;
pub use self::lost_page::KsLostPage;
pub use self::model::{EditorState, KsEditorModel};
pub use self::orphans_page::KsOrphansPage;
pub use self::review_dialog::KsReviewDialog;
pub use self::window::KsEditorWindow;
use crate::i18n::{gettext_f, isolate};
use crate::kept::SystemView;
use crate::nix::persistence_edit::{LocateError, find_persistence_file};

/// Registers the editor's types before a template names them.
pub(super) fn register_types() {
    KsKeptPage::ensure_type();
    KsLostPage::ensure_type();
    KsOrphansPage::ensure_type();
    KsAccountsPage::ensure_type();
    KsAddEntryDialog::ensure_type();
    KsReviewDialog::ensure_type();
    KsApplyDialog::ensure_type();
    KsEditorWindow::ensure_type();
}

/// Why the editor has no model to edit.
#[derive(Debug)]
pub enum OpenError {
    /// No file defines `environment.persistence`: the editor offers to
    /// create one on `system`, then opens it with `ignore_file`.
    NoPersistence {
        system: SystemView,
        ignore_file: Option<PathBuf>,
    },
    /// A sentence to show.
    Problem(String),
}

/// Reads the configuration file `config`, or the one the configuration of
/// `system` imports, into a model that remembers Ignore in `ignore_file`.
pub fn open(
    config: Option<&Path>,
    system: SystemView,
    ignore_file: Option<PathBuf>,
) -> Result<KsEditorModel, OpenError> {
    let file = match config {
        Some(file) => file.to_owned(),
        None => match find_persistence_file(&system.root) {
            Ok(file) => file,
            Err(LocateError::NotFound { .. }) => {
                return Err(OpenError::NoPersistence {
                    system,
                    ignore_file,
                });
            }
            Err(error) => return Err(OpenError::Problem(error.message())),
        },
    };
    let text = std::fs::read_to_string(&file).map_err(|error| {
        OpenError::Problem(gettext_f(
            "Cannot read {file}: {error}",
            &[
                ("file", &isolate(&file.display().to_string())),
                ("error", &error.to_string()),
            ],
        ))
    })?;
    let state = EditorState::new(file.clone(), text).map_err(|error| {
        OpenError::Problem(format!(
            "{}: {}",
            isolate(&file.display().to_string()),
            error.message()
        ))
    })?;
    Ok(KsEditorModel::new(state, system, ignore_file))
}
