// SPDX-License-Identifier: GPL-3.0-or-later
//! "Create persistence.nix…" when no file defines `environment.persistence`:
//! the new file and its import shown as a diff, written as root only when
//! confirmed.

use adw::prelude::*;
use gettextrs::gettext;
use sourceview5::prelude::*;

use super::privileged::{self, Privileged};
use crate::i18n::{gettext_f, isolate};
use crate::kept::{CreateModuleInput, SystemView};
use crate::nix::persistence_edit::{NEW_MODULE_NAME, plan_new_module_for_system};
use crate::ui::follow_dark_scheme;

/// Where a new module keeps things: the storage root of Keepsake's installs.
const STORAGE_ROOT: &str = "/persist";

/// Shows the new module as a diff over `parent` and creates it when the
/// person confirms. `Ok(true)` once written, `Ok(false)` when cancelled;
/// the error is a sentence to show.
pub(super) async fn create(
    parent: &impl IsA<gtk::Widget>,
    system: &SystemView,
    demo: bool,
) -> Result<bool, String> {
    let plan =
        plan_new_module_for_system(&system.root, STORAGE_ROOT).map_err(|error| error.message())?;
    let diff = plan.diff();
    let dialog = adw::AlertDialog::new(
        Some(&gettext_f(
            "Create {file}?",
            &[("file", &isolate(NEW_MODULE_NAME))],
        )),
        Some(&gettext_f(
            "Keepsake adds this file, keeping nothing yet in {storage}, and imports it from {importer}. Add what should survive a reboot afterwards.",
            &[
                ("storage", &isolate(STORAGE_ROOT)),
                (
                    "importer",
                    &system.seen_path(&plan.importer).display().to_string(),
                ),
            ],
        )),
    );
    // Paths as the system sees them, also in the demo's scratch root.
    let shown = match system.root.to_str() {
        Some("/") | None => diff.clone(),
        Some(root) => diff.replace(&format!("{}/", root.trim_end_matches('/')), "/"),
    };
    dialog.set_extra_child(Some(&diff_view(&shown)));
    dialog.add_response("cancel", &gettext("_Cancel"));
    dialog.add_response("create", &gettext("C_reate"));
    dialog.set_response_appearance("create", adw::ResponseAppearance::Suggested);
    dialog.set_default_response(Some("create"));
    dialog.set_close_response("cancel");
    if dialog.choose_future(Some(parent)).await != "create" {
        return Ok(false);
    }
    privileged::run(
        demo,
        Privileged::CreateModule {
            view: system.clone(),
            input: CreateModuleInput {
                storage: STORAGE_ROOT.to_owned(),
                diff,
            },
        },
    )
    .await
    .map(|()| true)
}

/// The diff, read-only and scrollable, left to right in every locale.
fn diff_view(diff: &str) -> gtk::Widget {
    let buffer = sourceview5::Buffer::new(None);
    buffer.set_language(
        sourceview5::LanguageManager::default()
            .language("diff")
            .as_ref(),
    );
    follow_dark_scheme(&buffer);
    buffer.set_text(diff);
    let view = sourceview5::View::builder()
        .buffer(&buffer)
        .editable(false)
        .monospace(true)
        .wrap_mode(gtk::WrapMode::WordChar)
        .top_margin(6)
        .bottom_margin(6)
        .left_margin(6)
        .right_margin(6)
        .name("create-module-diff")
        .build();
    view.set_direction(gtk::TextDirection::Ltr);
    view.update_property(&[gtk::accessible::Property::Label(&gettext(
        "Changes to the configuration",
    ))]);
    gtk::ScrolledWindow::builder()
        .child(&view)
        .min_content_height(240)
        .hscrollbar_policy(gtk::PolicyType::Never)
        .css_classes(["card"])
        .build()
        .upcast()
}
