// SPDX-License-Identifier: GPL-3.0-or-later
//! "Lost at Next Reboot": what the erased root holds that nothing keeps,
//! largest first, each with what it is, Keep (a pending change) and Ignore.
//! The scan runs off the main thread.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{KsEditorModel, KsEditorWindow};
use crate::catalogue::Advice;
use crate::disks::format_size;
use crate::i18n::{gettext_f, isolate, ngettext_f};
use crate::kept::{IgnoredPaths, Lost, lost_candidates, scan_lost};
use crate::nix::persistence_edit::PersistenceDocument;
use crate::scan::{ScanProgress, escape_bytes};
use crate::ui::name_button;

/// How often the numbers of a running scan are shown anew.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/lost-page.ui")]
    pub struct KsLostPage {
        #[template_child]
        pub(super) stack: TemplateChild<gtk::Stack>,
        #[template_child]
        pub(super) candidates_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) message_page: TemplateChild<adw::StatusPage>,
        #[template_child]
        pub(super) progress_label: TemplateChild<gtk::Label>,
        /// The running scan's counters, polled for the numbers shown, and
        /// cancelled when the page goes away.
        pub(super) progress: RefCell<Option<Arc<ScanProgress>>>,
        pub(super) model: RefCell<Option<KsEditorModel>>,
        pub(super) candidates: RefCell<Vec<Lost>>,
        pub(super) rows: RefCell<Vec<adw::ActionRow>>,
        pub(super) scanning: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsLostPage {
        const NAME: &'static str = "KsLostPage";
        type Type = super::KsLostPage;
        type ParentType = adw::Bin;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("lost.rescan", None, |page, _, _| page.scan());
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsLostPage {
        fn dispose(&self) {
            if let Some(progress) = self.progress.take() {
                progress.cancel();
            }
            crate::ui::dispose_bin_template(self);
        }
    }
    impl WidgetImpl for KsLostPage {}
    impl BinImpl for KsLostPage {}
}

glib::wrapper! {
    pub struct KsLostPage(ObjectSubclass<imp::KsLostPage>)
        @extends gtk::Widget, adw::Bin,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsLostPage {
    pub fn set_model(&self, model: &KsEditorModel) {
        self.imp().model.replace(Some(model.clone()));
        model.connect_changed(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_| page.show_candidates()
        ));
        self.scan();
    }

    /// "Looked at 12345 files (3.2 GB)" under the spinner: the digits
    /// without grouping, which reads right in every locale.
    fn show_progress(&self, progress: &ScanProgress) {
        let files = progress.files();
        self.imp().progress_label.set_label(&ngettext_f(
            "Looked at {files} file ({size})",
            "Looked at {files} files ({size})",
            u32::try_from(files).unwrap_or(u32::MAX),
            &[
                ("files", &files.to_string()),
                ("size", &isolate(&format_size(progress.bytes()))),
            ],
        ));
    }

    /// Whether a scan runs now.
    pub fn is_scanning(&self) -> bool {
        self.imp().scanning.get()
    }

    fn scan(&self) {
        let imp = self.imp();
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        if imp.scanning.replace(true) {
            return;
        }
        imp.stack.set_visible_child_name("scanning");
        let progress = Arc::new(ScanProgress::default());
        imp.progress.replace(Some(progress.clone()));
        self.show_progress(&progress);
        glib::timeout_add_local(
            PROGRESS_INTERVAL,
            glib::clone!(
                #[weak(rename_to = page)]
                self,
                #[strong]
                progress,
                #[upgrade_or]
                glib::ControlFlow::Break,
                move || {
                    if !page.is_scanning() || progress.is_cancelled() {
                        return glib::ControlFlow::Break;
                    }
                    page.show_progress(&progress);
                    glib::ControlFlow::Continue
                }
            ),
        );
        let view = model.view();
        let catalogue = model.catalogue();
        // What the file keeps as read, not with pending changes: those are
        // still lost at the next reboot until they are applied.
        let applied = model.with_state(|state| {
            PersistenceDocument::parse(state.original())
                .map(|document| document.persistence().clone())
                .unwrap_or_default()
        });
        glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let result = gio::spawn_blocking(move || {
                    let catalogue = catalogue
                        .ok_or_else(|| gettext("The built-in catalogue of services is broken."))?;
                    let report = scan_lost(&view, &applied, &catalogue, &progress)
                        .map_err(|error| error.to_string())?;
                    Ok::<_, String>(lost_candidates(
                        &report,
                        &catalogue,
                        &view,
                        &IgnoredPaths::default(),
                    ))
                })
                .await
                .unwrap_or_else(|_| Err(gettext("The scan stopped unexpectedly.")));
                page.imp().scanning.set(false);
                // The last numbers stay under the spinner for the next scan
                // to start from, and tell tests what was looked at.
                if let Some(progress) = page.imp().progress.take() {
                    page.show_progress(&progress);
                }
                match result {
                    Ok(candidates) => {
                        page.imp().candidates.replace(candidates);
                        page.show_candidates();
                    }
                    Err(problem) => page.show_message(
                        "dialog-error-symbolic",
                        &gettext("Could Not Look for What Would Be Lost"),
                        &problem,
                    ),
                }
            }
        ));
    }

    fn show_message(&self, icon: &str, title: &str, description: &str) {
        let imp = self.imp();
        imp.message_page.set_icon_name(Some(icon));
        imp.message_page.set_title(title);
        imp.message_page.set_description(Some(description));
        imp.stack.set_visible_child_name("message");
    }

    /// The candidates nothing keeps and nobody ignored, largest first.
    fn show_candidates(&self) {
        let imp = self.imp();
        if imp.scanning.get() {
            return;
        }
        let Some(model) = imp.model.borrow().clone() else {
            return;
        };
        for row in imp.rows.take() {
            imp.candidates_group.remove(&row);
        }
        let kept: HashSet<PathBuf> =
            model.with_state(|state| state.persistence().kept_paths().1.into_iter().collect());
        let ignored = model.ignored();
        let rows: Vec<adw::ActionRow> = imp
            .candidates
            .borrow()
            .iter()
            .filter(|lost| {
                !kept.contains(&lost.candidate.path) && !ignored.is_ignored(&lost.candidate.path)
            })
            .map(|lost| self.candidate_row(lost))
            .collect();
        for row in &rows {
            imp.candidates_group.add(row);
        }
        if rows.is_empty() {
            self.show_message(
                "object-select-symbolic",
                &gettext("Nothing Would Be Lost"),
                &gettext(
                    "Everything on the erased root is kept, ignored or recreated at every boot.",
                ),
            );
        } else {
            imp.stack.set_visible_child_name("results");
        }
        imp.rows.replace(rows);
    }

    fn candidate_row(&self, lost: &Lost) -> adw::ActionRow {
        let candidate = &lost.candidate;
        let path = escape_bytes(candidate.path.as_os_str().as_bytes());
        let advice = match candidate.advice {
            Advice::Keep => gettext("Usually worth keeping"),
            Advice::Optional => gettext("Keep if you want it"),
            Advice::Ignore => gettext("Usually not worth keeping"),
        };
        let mut subtitle = format!(
            "{} · {} · {}",
            format_size(candidate.bytes),
            advice,
            candidate.reason
        );
        // “Docker is enabled but /var/lib/docker is not kept (…)” first.
        if let Some(headline) = lost.headline() {
            subtitle = format!("{headline}\n{subtitle}");
        }
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(&path))
            .subtitle(glib::markup_escape_text(&subtitle))
            .name(format!("lost:{path}"))
            .build();
        let icon = gtk::Image::from_icon_name(match candidate.advice {
            Advice::Keep => "dialog-warning-symbolic",
            Advice::Optional => "dialog-information-symbolic",
            Advice::Ignore => "user-trash-symbolic",
        });
        icon.update_property(&[gtk::accessible::Property::Label(&advice)]);
        row.add_prefix(&icon);
        // Stacked, so that the path and the reason keep the width on a
        // phone.
        let buttons = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .valign(gtk::Align::Center)
            .build();
        let keep_label = gettext_f("Keep {path}", &[("path", &isolate(&path))]);
        let keep = gtk::Button::builder()
            .label(gettext("Keep"))
            .tooltip_text(&keep_label)
            .name(format!("keep:{path}"))
            .build();
        name_button(&keep, &keep_label);
        let ignore_label = gettext_f("Ignore {path}", &[("path", &isolate(&path))]);
        let ignore = gtk::Button::builder()
            .label(gettext("Ignore"))
            .tooltip_text(&ignore_label)
            .name(format!("ignore:{path}"))
            .build();
        name_button(&ignore, &ignore_label);
        ignore.add_css_class("flat");
        let target = candidate.path.clone();
        let kept = lost.clone();
        keep.connect_clicked(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_| page.keep(&kept)
        ));
        ignore.connect_clicked(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_| page.ignore(&target)
        ));
        buttons.append(&keep);
        buttons.append(&ignore);
        row.add_suffix(&buttons);
        row
    }

    fn keep(&self, lost: &Lost) {
        let Some(model) = self.imp().model.borrow().clone() else {
            return;
        };
        let shown = escape_bytes(lost.candidate.path.as_os_str().as_bytes());
        let entry = model
            .catalogue()
            .and_then(|catalogue| lost.entry(&model.view(), &catalogue, None));
        let (title, details) = match entry {
            None => (
                gettext("Cannot be kept"),
                gettext_f(
                    "{path} cannot be kept: its name is not valid text, which Nix cannot hold",
                    &[("path", &isolate(&shown))],
                ),
            ),
            Some(entry) => match model.edit(|state| state.add(entry)) {
                Ok(_) => (
                    gettext("Kept once applied"),
                    gettext_f(
                        "{path} will be kept once the changes are applied",
                        &[("path", &isolate(&shown))],
                    ),
                ),
                Err(error) => (gettext("Cannot be kept"), error.message()),
            },
        };
        if let Some(window) = self.root().and_downcast::<KsEditorWindow>() {
            window.add_toast_with_details(&title, &details);
        }
    }

    fn ignore(&self, path: &Path) {
        let Some(model) = self.imp().model.borrow().clone() else {
            return;
        };
        if let Err(problem) = model.ignore(path) {
            if let Some(window) = self.root().and_downcast::<KsEditorWindow>() {
                window.add_toast_with_details(&gettext("Ignore not remembered"), &problem);
            }
        }
        self.show_candidates();
    }
}
