// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 8: a summary of every choice, each group with a way back to its
//! page; what to fix first; the steps and the exact files behind
//! expanders; and, always on screen below, the typed confirmation that
//! makes Install sensitive.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{
    KsNixPreview, KsPlanModel, KsWindow, KsWizardPage, KsWizardPageExt, KsWizardPageImpl,
    name_button,
};
use crate::disks::{format_size, installed_systems};
use crate::i18n::{gettext_f, ngettext_f};
use crate::install::StepId;
use crate::install::preflight::{self, PreflightProblem};
use crate::nix::{FLAKE_FILE, RENDERED_FILES};
use crate::plan::{Desktop, PlanPage};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/review-page.ui")]
    #[properties(wrapper_type = super::KsReviewPage)]
    pub struct KsReviewPage {
        #[template_child]
        pub(super) disk_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) encryption_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) system_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) software_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) users_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) kept_row: TemplateChild<adw::ExpanderRow>,
        #[template_child]
        pub(super) change_disk: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) change_encryption: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) change_system: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) change_software: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) change_users: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) change_kept: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) problem_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) step_row: TemplateChild<adw::ExpanderRow>,
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
        /// The keyboard layout's name, such as “German (Switzerland)”.
        #[property(get, set)]
        pub(super) keyboard_name: RefCell<String>,
        /// The summary's rows, each with the group or expander that holds
        /// it; rebuilt whenever the page shows or the plan changes on it.
        pub(super) shown_rows: RefCell<Vec<(gtk::Widget, gtk::Widget)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsReviewPage {
        const NAME: &'static str = "KsReviewPage";
        type Type = super::KsReviewPage;
        type ParentType = KsWizardPage;

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
            for (button, page) in [
                (&self.change_disk, PlanPage::Disk),
                (&self.change_encryption, PlanPage::Encryption),
                (&self.change_system, PlanPage::System),
                (&self.change_software, PlanPage::Software),
                (&self.change_users, PlanPage::Users),
                (&self.change_kept, PlanPage::Persistence),
            ] {
                // Six buttons read “Change”: each is named by where it goes.
                // Translators: the accessible name of a “Change” button on the review page; {page} is a page title such as “Disk”.
                name_button(
                    button,
                    &gettext_f("Change {page}", &[("page", &page.title())]),
                );
            }
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
                self.step_row.add_row(&row);
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

    impl KsWizardPageImpl for KsReviewPage {
        /// Install, not Next, goes on from here, and only once the plan is
        /// valid and the disk's name is typed: the page keeps that button
        /// itself.
        fn sync(&self, _model: &KsPlanModel) -> bool {
            // Only the page on screen: the others redescribe themselves
            // when shown.
            if self.obj().is_mapped() {
                self.obj().describe();
            } else {
                self.obj().update_install_button();
            }
            true
        }
    }
}

glib::wrapper! {
    pub struct KsReviewPage(ObjectSubclass<imp::KsReviewPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
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
        let plan = model.plan();
        if imp.flake_row.is_active() != plan.flake {
            imp.flake_row.set_active(plan.flake);
        }
        for (parent, row) in imp.shown_rows.take() {
            if let Some(group) = parent.downcast_ref::<adw::PreferencesGroup>() {
                group.remove(&row);
            } else if let Some(expander) = parent.downcast_ref::<adw::ExpanderRow>() {
                expander.remove(&row);
            }
        }
        let mut rows = Rows::default();

        let disk_group = imp.disk_group.get();
        if let Some(disk) = model.disk_details() {
            disk_group.set_description(Some(&gettext("Everything on this disk is erased.")));
            rows.property(&disk_group, &gettext("Model"), &disk.display_name());
            rows.property(&disk_group, &gettext("Size"), &format_size(disk.size));
            rows.property(&disk_group, &gettext("Serial Number"), &disk.serial);
            rows.property(
                &disk_group,
                &gettext("Device"),
                disk.by_id.as_deref().unwrap_or(&disk.device),
            );
            for system in installed_systems(&disk) {
                let row = rows.plain(&disk_group, &system.erase_warning(), None);
                row.add_prefix(
                    &gtk::Image::builder()
                        .icon_name("dialog-warning-symbolic")
                        .css_classes(["warning"])
                        .build(),
                );
            }
            let partitions_title = gettext("Now on the Disk");
            let partitions = adw::ExpanderRow::builder()
                .name("partitions")
                .title(glib::markup_escape_text(&partitions_title))
                .subtitle(glib::markup_escape_text(&if disk.partitions.is_empty() {
                    gettext("No partitions")
                } else {
                    ngettext_f(
                        "{n} partition",
                        "{n} partitions",
                        u32::try_from(disk.partitions.len()).unwrap_or(u32::MAX),
                        &[],
                    )
                }))
                .enable_expansion(!disk.partitions.is_empty())
                .build();
            // The expander is a focusable list item of its own, around its
            // header row: screen readers need its name too.
            partitions.update_property(&[gtk::accessible::Property::Label(&partitions_title)]);
            for partition in &disk.partitions {
                let what = partition.contents();
                let row = adw::ActionRow::builder()
                    // Translators: {number} is the partition number, {size} such as “512 MB”.
                    .title(glib::markup_escape_text(&gettext_f(
                        "Partition {number}, {size}",
                        &[
                            ("number", &partition.number.to_string()),
                            ("size", &format_size(partition.size)),
                        ],
                    )))
                    .subtitle(glib::markup_escape_text(&if what.is_empty() {
                        gettext("Unknown contents")
                    } else {
                        what
                    }))
                    .build();
                partitions.add_row(&row);
            }
            rows.add(disk_group.upcast_ref(), partitions.upcast_ref());
        } else {
            disk_group.set_description(None);
            rows.plain(
                &disk_group,
                &gettext("No Disk Chosen"),
                Some(&gettext("Go back to the Disk page and choose one.")),
            );
        }

        let encryption_group = imp.encryption_group.get();
        if plan.encryption.enabled {
            rows.plain(
                &encryption_group,
                &gettext("The disk is encrypted"),
                Some(&gettext("Its passphrase is asked for at every start.")),
            );
        } else {
            rows.plain(
                &encryption_group,
                &gettext("The disk is not encrypted"),
                Some(&gettext("Anyone who has the disk can read what is on it.")),
            );
        }
        let keyboard = self.keyboard_name();
        rows.property(
            &encryption_group,
            &gettext("Keyboard Layout"),
            if keyboard.is_empty() {
                &plan.system.xkb_layout
            } else {
                &keyboard
            },
        );

        let system_group = imp.system_group.get();
        let system = &plan.system;
        rows.property(&system_group, &gettext("Host Name"), &system.hostname);
        rows.property(
            &system_group,
            &plain(&gettext("_Time Zone")),
            &system.time_zone,
        );
        rows.property(
            &system_group,
            &plain(&gettext("_Language and Formats")),
            &system.locale,
        );

        let software_group = imp.software_group.get();
        rows.property(&software_group, &gettext("Desktop"), &plan.desktop.label());
        let services: Vec<String> = plan
            .services
            .iter()
            .map(|service| service.label())
            .collect();
        rows.property(
            &software_group,
            &gettext("Services"),
            &if services.is_empty() {
                gettext("None switched on")
            } else {
                // Translators: what separates the names in a list of services.
                services.join(&gettext(", "))
            },
        );

        let users_group = imp.users_group.get();
        let administrator = plain(&gettext("_Administrator"));
        for user in &plan.users {
            let full_name = user.full_name.trim();
            let row = rows.plain(
                &users_group,
                if full_name.is_empty() {
                    &user.name
                } else {
                    full_name
                },
                (!full_name.is_empty()).then_some(user.name.as_str()),
            );
            if user.is_administrator() {
                row.add_suffix(
                    &gtk::Label::builder()
                        .label(administrator.as_str())
                        .css_classes(["dim-label", "caption"])
                        .build(),
                );
            }
        }
        rows.plain(
            &users_group,
            &gettext("Root Account"),
            Some(&if plan.root_password.is_some() {
                gettext("Can log in with its own password")
            } else {
                gettext("Locked: administrators use sudo")
            }),
        );

        let kept = plan.kept_paths();
        let kept_title = ngettext_f(
            "{n} directory or file",
            "{n} directories and files",
            u32::try_from(kept.len()).unwrap_or(u32::MAX),
            &[],
        );
        imp.kept_row
            .set_title(&glib::markup_escape_text(&kept_title));
        imp.kept_row
            .update_property(&[gtk::accessible::Property::Label(&kept_title)]);
        let kept_row = imp.kept_row.get();
        for path in &kept {
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&path.path))
                .subtitle(glib::markup_escape_text(&path.kind.label()))
                .build();
            rows.add(kept_row.upcast_ref(), row.upcast_ref());
        }

        let problem_group = imp.problem_group.get();
        let problems = model.problems();
        problem_group.set_visible(!problems.is_empty());
        for problem in &problems {
            // The page in words first, then what to do there.
            let row = rows.plain(
                &problem_group,
                &problem.place.to_string(),
                Some(&problem.problem.message()),
            );
            row.set_subtitle_selectable(false);
            let tag = page_tag(problem.place.page);
            if tag != "review" {
                row.set_activatable(true);
                // The target first: an action without it does not match.
                row.set_action_target_value(Some(&tag.to_variant()));
                row.set_action_name(Some("win.change"));
                row.add_suffix(&gtk::Image::from_icon_name("go-next-symbolic"));
            }
        }
        imp.shown_rows.replace(rows.0);
        // Translators: {name} is the disk's device name, such as “sda”, which must be typed to confirm.
        imp.confirm_row.set_title(&gettext_f(
            "Type “{name}” to confirm",
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

/// The rows `describe` added, to take them out again before it redraws.
#[derive(Default)]
struct Rows(Vec<(gtk::Widget, gtk::Widget)>);

impl Rows {
    /// Adds `row` to a group or an expander row.
    fn add(&mut self, parent: &gtk::Widget, row: &gtk::Widget) {
        if let Some(group) = parent.downcast_ref::<adw::PreferencesGroup>() {
            group.add(row);
        } else if let Some(expander) = parent.downcast_ref::<adw::ExpanderRow>() {
            expander.add_row(row);
        }
        self.0.push((parent.clone(), row.clone()));
    }

    fn plain(
        &mut self,
        group: &adw::PreferencesGroup,
        title: &str,
        subtitle: Option<&str>,
    ) -> adw::ActionRow {
        let row = adw::ActionRow::builder()
            .title(glib::markup_escape_text(title))
            .subtitle(glib::markup_escape_text(subtitle.unwrap_or_default()))
            .subtitle_selectable(true)
            .build();
        self.add(group.upcast_ref(), row.upcast_ref());
        row
    }

    /// A value under its name: the name small, the value as the text.
    fn property(&mut self, group: &adw::PreferencesGroup, name: &str, value: &str) {
        let row = self.plain(group, name, Some(value));
        row.add_css_class("property");
    }
}

/// A label with its mnemonic underline taken out, to reuse a field's title.
fn plain(label: &str) -> String {
    label.replace('_', "")
}

/// The navigation tag of the page where `page`'s choices are made.
fn page_tag(page: PlanPage) -> &'static str {
    match page {
        PlanPage::Disk => "disk",
        PlanPage::Keyboard => "keyboard",
        PlanPage::Encryption => "encryption",
        PlanPage::Layout => "layout",
        PlanPage::Persistence => "persistence",
        PlanPage::System => "system",
        PlanPage::Software => "software",
        PlanPage::Users => "users",
        PlanPage::Review => "review",
    }
}

fn file_names(flake: bool) -> Vec<&'static str> {
    RENDERED_FILES
        .into_iter()
        .chain(flake.then_some(FLAKE_FILE))
        .collect()
}
