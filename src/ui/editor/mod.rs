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
use crate::i18n::gettext_f;
use crate::kept::SystemView;
use crate::nix::persistence_edit::find_persistence_file;

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

/// Reads the configuration file `config`, or the one the configuration of
/// `system` imports, into a model that remembers Ignore in `ignore_file`;
/// the error is a sentence to show.
pub fn open(
    config: Option<&Path>,
    system: SystemView,
    ignore_file: Option<PathBuf>,
) -> Result<KsEditorModel, String> {
    let file = match config {
        Some(file) => file.to_owned(),
        None => find_persistence_file(&system.root).map_err(|error| error.message())?,
    };
    let text = std::fs::read_to_string(&file).map_err(|error| {
        gettext_f(
            "Cannot read {file}: {error}",
            &[
                ("file", &file.display().to_string()),
                ("error", &error.to_string()),
            ],
        )
    })?;
    let state = EditorState::new(file.clone(), text)
        .map_err(|error| format!("{}: {}", file.display(), error.message()))?;
    Ok(KsEditorModel::new(state, system, ignore_file))
}
