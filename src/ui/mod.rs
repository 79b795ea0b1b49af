// SPDX-License-Identifier: GPL-3.0-or-later
//! The graphical interface: the only module that touches GTK.
//!
//! Widget tree:
//!
//! ```text
//! KsApplication
//! └── KsWindow (AdwApplicationWindow, owns the one KsPlanModel)
//!     └── AdwNavigationView
//!         ├── KsWelcomePage
//!         ├── KsDiskPage
//!         ├── KsKeyboardPage
//!         ├── KsEncryptionPage     ┐
//!         │   └── KsStrengthMeter  │ each with a KsNixPreview of the
//!         ├── KsPersistencePage    │ generated file it changes, shown
//!         ├── KsLayoutPage         │ by the window's win.show-preview
//!         │   └── KsSubvolumeRow…  │ (opened from the persistence page)
//!         ├── KsSystemPage         │
//!         ├── KsSoftwarePage       │
//!         ├── KsUsersPage          ┘
//!         │   └── KsAccountGroup… (each with a KsStrengthMeter)
//!         ├── KsReviewPage (KsNixPreview of every file)
//!         ├── KsProgressPage
//!         ├── KsDonePage
//!         └── KsFailedPage
//! KsEditorWindow (on an installed system, or `--edit`): see [`editor`]
//! ```
//!
//! The form pages from the disk page to the users page derive from the
//! abstract [`KsWizardPage`], which follows the plan and keeps Next
//! sensitive while the page is complete.

mod account_group;
mod application;
mod disk_page;
mod disk_row;
mod done_page;
pub mod editor;
mod encryption_page;
mod failed_page;
mod keyboard_page;
mod layout_page;
mod nix_preview;
mod persistence_page;
mod plan_model;
mod progress_page;
mod review_page;
mod screenshot;
mod software_page;
mod step_state;
mod strength_meter;
mod subvolume_row;
mod system_page;
mod users_page;
mod welcome_page;
mod window;
mod wizard_page;

use std::process::ExitCode;
use std::time::Instant;

use adw::prelude::*;
use gtk::{gio, glib};

pub use self::account_group::KsAccountGroup;
pub use self::application::KsApplication;
pub use self::disk_page::KsDiskPage;
pub use self::disk_row::KsDiskRow;
pub use self::done_page::KsDonePage;
pub use self::encryption_page::KsEncryptionPage;
pub use self::failed_page::KsFailedPage;
pub use self::keyboard_page::KsKeyboardPage;
pub use self::layout_page::KsLayoutPage;
pub use self::nix_preview::KsNixPreview;
pub use self::persistence_page::KsPersistencePage;
pub use self::plan_model::KsPlanModel;
pub use self::progress_page::{DemoOutcome, KsProgressPage, StopKind};
pub use self::review_page::KsReviewPage;
pub use self::screenshot::{save_after_first_frame, save_png};
pub use self::software_page::KsSoftwarePage;
pub use self::strength_meter::KsStrengthMeter;
pub use self::subvolume_row::KsSubvolumeRow;
pub use self::system_page::KsSystemPage;
pub use self::users_page::KsUsersPage;
pub use self::welcome_page::KsWelcomePage;
pub use self::window::KsWindow;
pub use self::wizard_page::{KsWizardPage, KsWizardPageExt, KsWizardPageImpl};
use crate::GuiOptions;

/// Runs the application until its last window closes.
pub fn run(options: GuiOptions) -> ExitCode {
    let launched = Instant::now();
    prepare();
    let app = KsApplication::new(&options, launched);
    // Our own command line was parsed by clap already: GApplication must not
    // see (and reject) our flags.
    let status = app.run_with_args::<&str>(&[]);
    ExitCode::from(status.get())
}

/// Registers the GResource and every custom type; call once before building
/// an application (tests and benchmarks do it themselves).
pub fn prepare() {
    gio::resources_register_include!("keepsake.gresource")
        .expect("the GResource is compiled into the binary by build.rs");
    glib::set_application_name("Keepsake");
    register_types();
}

/// Disposes the template of an `AdwBin` subclass whose template sets the
/// bin's child. The bin unparents its child itself: it gives the child up
/// first, or the template's teardown unparents it behind the bin's back and
/// the bin then unparents a freed widget (a GTK critical at every close).
fn dispose_bin_template<T>(imp: &T)
where
    T: adw::subclass::prelude::CompositeTemplateDisposeExt + adw::subclass::prelude::ObjectSubclass,
    T::Type: IsA<adw::Bin>,
{
    use adw::subclass::prelude::ObjectSubclassExt;
    imp.obj()
        .upcast_ref::<adw::Bin>()
        .set_child(None::<&gtk::Widget>);
    imp.dispose_template();
}

/// Every custom type must exist before a template that names it is built.
fn register_types() {
    sourceview5::View::ensure_type();
    KsPlanModel::ensure_type();
    KsWizardPage::ensure_type();
    KsNixPreview::ensure_type();
    KsStrengthMeter::ensure_type();
    KsSubvolumeRow::ensure_type();
    KsWelcomePage::ensure_type();
    KsDiskRow::ensure_type();
    KsDiskPage::ensure_type();
    KsKeyboardPage::ensure_type();
    KsEncryptionPage::ensure_type();
    KsLayoutPage::ensure_type();
    KsPersistencePage::ensure_type();
    KsSystemPage::ensure_type();
    KsSoftwarePage::ensure_type();
    KsAccountGroup::ensure_type();
    KsUsersPage::ensure_type();
    KsReviewPage::ensure_type();
    KsProgressPage::ensure_type();
    KsDonePage::ensure_type();
    KsFailedPage::ensure_type();
    KsWindow::ensure_type();
    editor::register_types();
}

/// Asks whether to stop the running install, with "Keep Installing" as the
/// safe default; true when the person chose `stop_label`.
async fn confirm_stop_install(
    parent: &impl IsA<gtk::Widget>,
    heading: &str,
    body: &str,
    stop_label: &str,
) -> bool {
    let dialog = adw::AlertDialog::new(Some(heading), Some(body));
    dialog.add_response("continue", &gettextrs::gettext("_Keep Installing"));
    dialog.add_response("stop", stop_label);
    dialog.set_response_appearance("stop", adw::ResponseAppearance::Destructive);
    dialog.set_default_response(Some("continue"));
    dialog.set_close_response("continue");
    dialog.choose_future(Some(parent)).await == "stop"
}

/// Copies the install log and says so in a toast.
fn copy_log(widget: &impl IsA<gtk::Widget>, log: &str, toasts: &adw::ToastOverlay) {
    widget.clipboard().set_text(log);
    toasts.add_toast(adw::Toast::new(&gettextrs::gettext("Log copied")));
}

/// Asks where to save the install log, writes it there, and says how that
/// went in a toast.
async fn save_log(widget: &impl IsA<gtk::Widget>, log: String, toasts: &adw::ToastOverlay) {
    let dialog = gtk::FileDialog::builder()
        .title(gettextrs::gettext("Save Log"))
        .initial_name("keepsake-install.log")
        .modal(true)
        .build();
    let window = widget.root().and_downcast::<gtk::Window>();
    // Dismissing the dialog is an answer, not an error.
    let Ok(file) = dialog.save_future(window.as_ref()).await else {
        return;
    };
    let written = file
        .replace_contents_future(
            log.into_bytes(),
            None,
            false,
            gio::FileCreateFlags::REPLACE_DESTINATION,
        )
        .await;
    let message = match written {
        Ok(_) => gettextrs::gettext("Log saved"),
        Err((_, error)) => crate::i18n::gettext_f(
            "The log could not be saved: {problem}",
            &[("problem", error.message())],
        ),
    };
    toasts.add_toast(adw::Toast::new(&message));
}

/// Shows `message` in an inline error label, or hides the label.
fn show_message(label: &gtk::Label, message: Option<&str>) {
    // Said once when it appears or changes on the page on screen: someone
    // typing in a field with a screen reader would not find a label that
    // appeared elsewhere.
    let on_screen = label.parent().is_some_and(|parent| parent.is_mapped());
    if let Some(message) = message.filter(|_| on_screen) {
        if !label.is_visible() || label.label() != message {
            label.announce(message, gtk::AccessibleAnnouncementPriority::Medium);
        }
    }
    label.set_label(message.unwrap_or_default());
    label.set_visible(message.is_some());
}

/// Removes something from the plan with `remove`, and offers in a toast
/// to put it back for as long as nothing else has changed the plan since:
/// an undo must never throw away a later edit.
fn remove_with_undo(
    widget: &impl IsA<gtk::Widget>,
    model: &KsPlanModel,
    message: &str,
    remove: impl FnOnce(&mut crate::plan::Plan),
) {
    let before = model.plan();
    // Before the change: it may take the widget out of the window.
    let window = widget.root().and_downcast::<KsWindow>();
    model.update(remove);
    if let Some(window) = window {
        offer_undo(&window, model, message, move |model| {
            model.update(move |plan| *plan = before);
        });
    }
}

/// Shows `message` in a toast with an Undo button that runs `undo` once,
/// only while the plan is as the removal left it: any later change of the
/// plan withdraws the offer.
fn offer_undo(
    window: &KsWindow,
    model: &KsPlanModel,
    message: &str,
    undo: impl FnOnce(&KsPlanModel) + 'static,
) {
    let toast = adw::Toast::builder()
        .title(message)
        .button_label(gettextrs::gettext("_Undo"))
        .use_markup(false)
        .build();
    // A dismissed toast stays on screen while it fades out: its button
    // must not undo anything then.
    let undoable = std::rc::Rc::new(std::cell::Cell::new(true));
    let later_change = model.connect_changed(glib::clone!(
        #[weak]
        toast,
        #[strong]
        undoable,
        move |_| {
            undoable.set(false);
            toast.dismiss();
        }
    ));
    let later_change = std::cell::Cell::new(Some(later_change));
    toast.connect_dismissed(glib::clone!(
        #[weak]
        model,
        #[strong]
        undoable,
        move |_| {
            undoable.set(false);
            if let Some(handler) = later_change.take() {
                model.disconnect(handler);
            }
        }
    ));
    let undo = std::cell::Cell::new(Some(undo));
    toast.connect_button_clicked(glib::clone!(
        #[weak]
        model,
        move |toast| {
            if !undoable.replace(false) {
                return;
            }
            toast.dismiss();
            if let Some(undo) = undo.take() {
                undo(&model);
            }
        }
    ));
    window.add_toast(toast);
}

/// Names `button` by what it does (“Keep /var/lib/docker”) where its
/// visible label alone (“Keep”) would not tell rows apart. A button is
/// labelled by its label child, and an activatable row labels its widget
/// with its title; both would win over the name, so they are cleared.
fn name_button(button: &gtk::Button, name: &str) {
    button.update_property(&[gtk::accessible::Property::Label(name)]);
    button.reset_relation(gtk::AccessibleRelation::LabelledBy);
}

/// AdwPasswordEntryRow calls its reveal button “Show Password” in every
/// row, so a screen reader cannot tell which field it reveals: name it
/// after its row, again whenever the row turns it into “Hide”.
fn name_reveal_button(row: &adw::PasswordEntryRow) {
    let field = row.title().replace('_', "");
    let mut pending: Vec<gtk::Widget> = row.first_child().into_iter().collect();
    while let Some(widget) = pending.pop() {
        if let Some(button) = widget.downcast_ref::<gtk::Button>().filter(|button| {
            button
                .icon_name()
                .is_some_and(|icon| icon.starts_with("view-"))
        }) {
            let rename = move |button: &gtk::Button| {
                let hides = button
                    .icon_name()
                    .is_some_and(|icon| icon.contains("conceal"));
                let name = if hides {
                    // Translators: the accessible name of the eye button in a password field while its text is shown; {field} is the field's title, such as “Repeat passphrase”.
                    crate::i18n::gettext_f("Hide {field}", &[("field", &field)])
                } else {
                    // Translators: the accessible name of the eye button in a password field while its text is hidden; {field} is the field's title, such as “Repeat passphrase”.
                    crate::i18n::gettext_f("Show {field}", &[("field", &field)])
                };
                button.update_property(&[gtk::accessible::Property::Label(&name)]);
            };
            rename(button);
            button.connect_icon_name_notify(rename.clone());
            button.connect_tooltip_text_notify(rename);
            return;
        }
        pending.extend(widget.first_child());
        pending.extend(widget.next_sibling());
    }
}

/// Gives `buffer` the Adwaita source style matching the light or dark
/// appearance, now and whenever it changes.
fn follow_dark_scheme(buffer: &sourceview5::Buffer) {
    use sourceview5::prelude::*;

    let style_manager = adw::StyleManager::default();
    let follow_dark = glib::clone!(
        #[weak]
        buffer,
        move |style_manager: &adw::StyleManager| {
            let scheme = if style_manager.is_dark() {
                "Adwaita-dark"
            } else {
                "Adwaita"
            };
            buffer.set_style_scheme(
                sourceview5::StyleSchemeManager::default()
                    .scheme(scheme)
                    .as_ref(),
            );
        }
    );
    follow_dark(&style_manager);
    style_manager.connect_dark_notify(follow_dark);
}
