// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 8: the disk that will be erased and what is on it, the steps, the
//! exact files, and the typed confirmation that makes Install sensitive.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{KsNixPreview, KsPlanModel, KsWindow};
use crate::disks::format_size;
use crate::i18n::gettext_f;
use crate::install::StepId;
use crate::install::preflight::{self, PreflightProblem};
use crate::nix::{FLAKE_FILE, RENDERED_FILES};
use crate::plan::Desktop;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/review-page.ui")]
    #[properties(wrapper_type = super::KsReviewPage)]
    pub struct KsReviewPage {
        #[template_child]
        pub(super) disk_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) problem_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) step_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) file_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) flake_row: TemplateChild<adw::SwitchRow>,
        #[template_child]
        pub(super) preview: TemplateChild<KsNixPreview>,
        #[template_child]
        pub(super) confirm_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) install_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) preflight_group: TemplateChild<adw::PreferencesGroup>,
        /// The pre-flight group's rows, one per problem.
        pub(super) preflight_rows: RefCell<Vec<adw::ActionRow>>,
        /// The running pre-flight check; aborted with the page.
        pub(super) preflight_task: RefCell<Option<glib::JoinHandle<()>>>,
        /// What the last pre-flight check found, once it has finished.
        pub(super) preflight: RefCell<Option<Vec<PreflightProblem>>>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        /// Rows that describe the disk and the problems; rebuilt on showing.
        pub(super) shown_rows: RefCell<Vec<(adw::PreferencesGroup, gtk::Widget)>>,
    }

    impl KsReviewPage {
        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            if let Some(model) = &model {
                model.connect_changed(glib::clone!(
                    #[weak(rename_to = page)]
                    self.obj(),
                    move |_| page.update_install_button()
                ));
            }
            self.preview.set_plan_model(model.as_ref());
            self.plan_model.replace(model);
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsReviewPage {
        const NAME: &'static str = "KsReviewPage";
        type Type = super::KsReviewPage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
            klass.install_action_async("review.export", None, |page, _, _| async move {
                page.export().await;
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsReviewPage {
        fn dispose(&self) {
            if let Some(task) = self.preflight_task.take() {
                task.abort();
            }
        }

        fn constructed(&self) {
            self.parent_constructed();
            self.obj().list_files(false);
            for step in StepId::ALL {
                let row = adw::ActionRow::builder()
                    .title(glib::markup_escape_text(&step.title()))
                    .build();
                row.add_prefix(
                    &gtk::Label::builder()
                        .label(step.number().to_string())
                        .width_chars(2)
                        .css_classes(["dim-label", "numeric"])
                        .build(),
                );
                self.step_group.add(&row);
            }
        }
    }

    impl WidgetImpl for KsReviewPage {}

    impl NavigationPageImpl for KsReviewPage {
        fn showing(&self) {
            self.parent_showing();
            self.obj().describe();
            self.obj().start_preflight();
        }
    }
}

glib::wrapper! {
    pub struct KsReviewPage(ObjectSubclass<imp::KsReviewPage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsReviewPage {
    /// What must be typed to confirm: the disk's device name, like `sda`.
    fn confirmation(&self) -> Option<String> {
        let details = self.plan_model()?.disk_details()?;
        Some(
            details
                .device
                .rsplit('/')
                .next()
                .unwrap_or(&details.device)
                .to_owned(),
        )
    }

    fn describe(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let flake = model.with_plan(|plan| plan.flake);
        if imp.flake_row.is_active() != flake {
            imp.flake_row.set_active(flake);
        }
        for (group, row) in imp.shown_rows.take() {
            group.remove(&row);
        }
        let mut shown: Vec<(adw::PreferencesGroup, gtk::Widget)> = Vec::new();
        let mut add = |group: &adw::PreferencesGroup, title: &str, subtitle: &str| {
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(title))
                .subtitle(glib::markup_escape_text(subtitle))
                .subtitle_selectable(true)
                .build();
            row.add_css_class("property");
            group.add(&row);
            shown.push((group.clone(), row.upcast()));
        };
        let disk_group = imp.disk_group.get();
        if let Some(disk) = model.disk_details() {
            add(&disk_group, &gettext("Model"), &disk.display_name());
            add(&disk_group, &gettext("Size"), &format_size(disk.size));
            add(&disk_group, &gettext("Serial Number"), &disk.serial);
            add(
                &disk_group,
                &gettext("Device"),
                disk.by_id.as_deref().unwrap_or(&disk.device),
            );
            if disk.partitions.is_empty() {
                add(
                    &disk_group,
                    &gettext("Now on the Disk"),
                    &gettext("No partitions"),
                );
            }
            for partition in &disk.partitions {
                let what = partition.contents();
                add(
                    &disk_group,
                    // Translators: {number} is the partition number, {size} such as “512 MB”.
                    &gettext_f(
                        "Partition {number}, {size}",
                        &[
                            ("number", &partition.number.to_string()),
                            ("size", &format_size(partition.size)),
                        ],
                    ),
                    &if what.is_empty() {
                        gettext("Unknown contents")
                    } else {
                        what
                    },
                );
            }
        } else {
            add(
                &disk_group,
                &gettext("No Disk Chosen"),
                &gettext("Go back to the Disk page and choose one."),
            );
        }
        let problem_group = imp.problem_group.get();
        let problems = model.problems();
        problem_group.set_visible(!problems.is_empty());
        for problem in &problems {
            add(
                &problem_group,
                &problem.problem.message(),
                problem.field.as_str(),
            );
        }
        imp.shown_rows.replace(shown);
        // Translators: {name} is the disk's name, such as “Samsung SSD 980”. Title case in English only; use your language's usual capitalization.
        imp.confirm_row.set_title(&gettext_f(
            "Type “{name}” to Confirm That Everything on It Is Erased",
            &[("name", &self.confirmation().unwrap_or_default())],
        ));
        self.update_install_button();
    }

    #[template_callback]
    fn on_file_selected(&self) {
        let imp = self.imp();
        if let Some(name) =
            file_names(imp.flake_row.is_active()).get(imp.file_row.selected() as usize)
        {
            imp.preview.set_file_name(*name);
        }
    }

    /// Checks the firmware, the power and (when the plan downloads) the
    /// network, and shows what to do about each problem at the top.
    fn start_preflight(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let live_desktop = std::env::var("XDG_CURRENT_DESKTOP")
            .ok()
            .and_then(|value| Desktop::from_current_desktop(&value));
        let needs_network = model.with_plan(|plan| preflight::needs_network(plan, live_desktop));
        if let Some(task) = imp.preflight_task.take() {
            task.abort();
        }
        imp.preflight.replace(None);
        let task = glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let power = preflight::power().await;
                let network_up = gio::NetworkMonitor::default().is_network_available();
                let problems = preflight::check(
                    std::path::Path::new("/sys"),
                    power,
                    needs_network,
                    network_up,
                );
                page.show_preflight(problems);
            }
        ));
        imp.preflight_task.replace(Some(task));
    }

    fn show_preflight(&self, problems: Vec<PreflightProblem>) {
        let imp = self.imp();
        for row in imp.preflight_rows.take() {
            imp.preflight_group.remove(&row);
        }
        let rows: Vec<adw::ActionRow> = problems
            .iter()
            .map(|problem| {
                let row = adw::ActionRow::builder()
                    .title(glib::markup_escape_text(&problem.message()))
                    .build();
                row.add_prefix(
                    &gtk::Image::builder()
                        .icon_name("dialog-warning-symbolic")
                        .css_classes(["warning"])
                        .build(),
                );
                imp.preflight_group.add(&row);
                row
            })
            .collect();
        imp.preflight_group.set_visible(!rows.is_empty());
        imp.preflight_rows.replace(rows);
        imp.preflight.replace(Some(problems));
        imp.preflight_task.replace(None);
    }

    /// What the last pre-flight check found; `None` while it runs.
    pub fn preflight_problems(&self) -> Option<Vec<PreflightProblem>> {
        self.imp().preflight.borrow().clone()
    }

    /// The file list of the preview, with flake.nix when it is written.
    fn list_files(&self, flake: bool) {
        let imp = self.imp();
        let names = file_names(flake);
        let listed = imp.file_row.model().map_or(0, |model| model.n_items()) as usize;
        if listed != names.len() {
            imp.file_row.set_model(Some(&gtk::StringList::new(&names)));
        }
    }

    #[template_callback]
    fn on_flake_toggled(&self) {
        let flake = self.imp().flake_row.is_active();
        self.list_files(flake);
        if let Some(model) = self.plan_model() {
            if model.with_plan(|plan| plan.flake != flake) {
                model.update(|plan| plan.flake = flake);
            }
        }
    }

    #[template_callback]
    fn on_confirm_changed(&self) {
        self.update_install_button();
    }

    fn update_install_button(&self) {
        let imp = self.imp();
        let valid = self
            .plan_model()
            .is_some_and(|model| model.problems().is_empty());
        let typed = imp.confirm_row.text();
        let confirmed = self
            .confirmation()
            .is_some_and(|wanted| !wanted.is_empty() && typed.trim() == wanted);
        imp.install_button.set_sensitive(valid && confirmed);
    }

    /// Saves the plan as JSON, passwords hashed (off the main thread) and
    /// without the passphrase.
    async fn export(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let window = self.root().and_downcast::<KsWindow>();
        let dialog = gtk::FileDialog::builder()
            .title(gettext("Export Plan"))
            .initial_name("keepsake-plan.json")
            .build();
        let Ok(file) = dialog.save_future(window.as_ref()).await else {
            return;
        };
        let mut plan = model.plan();
        let json = gio::spawn_blocking(move || {
            plan.hash_passwords().map_err(|error| error.to_string())?;
            plan.to_json().map_err(|error| error.to_string())
        })
        .await
        .unwrap_or_else(|_| Err(gettext("hashing the passwords stopped unexpectedly")));
        let result = match json {
            Ok(json) => file
                .replace_contents_future(json.into_bytes(), None, false, gio::FileCreateFlags::NONE)
                .await
                .map(|_| ())
                .map_err(|(_, error)| error.to_string()),
            Err(error) => Err(error),
        };
        let message = match result {
            Ok(()) => gettext("Plan exported. It holds no passphrase."),
            Err(error) => gettext_f(
                "Could not export the plan: {error}. Choose another place and try again.",
                &[("error", &error)],
            ),
        };
        if let Some(window) = window {
            window.show_toast(&message);
        }
    }
}

fn file_names(flake: bool) -> Vec<&'static str> {
    RENDERED_FILES
        .into_iter()
        .chain(flake.then_some(FLAKE_FILE))
        .collect()
}
