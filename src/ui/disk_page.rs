// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 2: the disks UDisks knows (or the demo's), refused ones with their
//! reasons, updated live as disks come and go.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use futures_util::StreamExt;
use gettextrs::gettext;
use gtk::glib;

use super::{
    KsDiskRow, KsPlanModel, KsWizardPage, KsWizardPageExt, KsWizardPageImpl, show_message,
};
use crate::disks::{self, Disk, DiskQuery, DiskSource, FakeDisks, UDisksSource};
use crate::i18n::gettext_f;
use crate::plan::TargetDisk;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/disk-page.ui")]
    #[properties(wrapper_type = super::KsDiskPage)]
    pub struct KsDiskPage {
        #[template_child]
        pub(super) disk_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) status_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) problem_label: TemplateChild<gtk::Label>,
        /// Simulated disks instead of UDisks.
        #[property(get, set = Self::set_demo)]
        pub(super) demo: Cell<bool>,
        pub(super) disks: RefCell<Vec<Disk>>,
        pub(super) rows: RefCell<Vec<(KsDiskRow, gtk::CheckButton)>>,
        pub(super) list_connected: Cell<bool>,
        pub(super) watching: Cell<bool>,
        /// The disk watch: it ends with the page.
        pub(super) watch_task: RefCell<Option<glib::JoinHandle<()>>>,
    }

    impl KsDiskPage {
        fn set_demo(&self, demo: bool) {
            self.demo.set(demo);
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsDiskPage {
        const NAME: &'static str = "KsDiskPage";
        type Type = super::KsDiskPage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsDiskPage {
        fn dispose(&self) {
            if let Some(task) = self.watch_task.take() {
                task.abort();
            }
        }
    }
    impl WidgetImpl for KsDiskPage {}

    impl KsWizardPageImpl for KsDiskPage {
        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }

    impl NavigationPageImpl for KsDiskPage {
        fn showing(&self) {
            self.parent_showing();
            if !self.watching.replace(true) {
                self.obj().watch();
            }
        }
    }
}

glib::wrapper! {
    pub struct KsDiskPage(ObjectSubclass<imp::KsDiskPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsDiskPage {
    /// Follows the disk list for as long as the page exists; UDisks is read
    /// on the main context without blocking it. The task holds the page
    /// only while it handles an update, so a closed page is freed.
    fn watch(&self) {
        let demo = self.demo();
        let page = self.downgrade();
        let task = glib::spawn_future_local(async move {
            let source: Box<dyn DiskSource> = if demo {
                Box::new(FakeDisks::demo())
            } else {
                match UDisksSource::system().await {
                    Ok(source) => Box::new(source),
                    Err(error) => {
                        if let Some(page) = page.upgrade() {
                            page.show_error(&error.to_string());
                        }
                        return;
                    }
                }
            };
            let Some(minimum_size) = page.upgrade().map(|page| {
                page.plan_model()
                    .map(|model| model.with_plan(|plan| plan.minimum_disk_bytes()))
            }) else {
                return;
            };
            let query = DiskQuery {
                allow_loop: false,
                minimum_size,
            };
            let mut updates = match disks::watch_disks(source.as_ref(), query).await {
                Ok(updates) => updates,
                Err(error) => {
                    if let Some(page) = page.upgrade() {
                        page.show_error(&error.to_string());
                    }
                    return;
                }
            };
            while let Some(update) = updates.next().await {
                let Some(page) = page.upgrade() else {
                    return;
                };
                match update {
                    Ok(disks) => page.show_disks(disks),
                    Err(error) => page.show_error(&error.to_string()),
                }
            }
        });
        self.imp().watch_task.replace(Some(task));
    }

    fn show_error(&self, message: &str) {
        let imp = self.imp();
        // Translators: {problem} is a full sentence.
        imp.status_label.set_label(&gettext_f(
            "Keepsake cannot list the disks. {problem} Restart Keepsake once it is fixed.",
            &[("problem", message)],
        ));
        imp.status_label.set_visible(true);
    }

    fn show_disks(&self, disks: Vec<Disk>) {
        let imp = self.imp();
        for (row, _) in imp.rows.take() {
            imp.disk_group.remove(&row);
        }
        imp.status_label.set_visible(disks.is_empty());
        imp.status_label.set_label(&gettext(
            "No disks were found. Connect one and it appears here.",
        ));
        let chosen = self
            .plan_model()
            .and_then(|model| model.with_plan(|plan| plan.disk.clone()));
        let mut group_leader: Option<gtk::CheckButton> = None;
        let mut first_usable: Option<gtk::CheckButton> = None;
        let mut refused = Vec::new();
        let mut rows = Vec::new();
        for disk in &disks {
            let row = KsDiskRow::new(disk);
            let check = row.check_button();
            check.set_group(group_leader.as_ref());
            group_leader.get_or_insert_with(|| check.clone());
            let is_chosen = chosen
                .as_ref()
                .is_some_and(|chosen| chosen.udisks_object_path == disk.object_path);
            check.set_active(is_chosen && disk.is_usable());
            if disk.is_usable() {
                first_usable.get_or_insert_with(|| check.clone());
            } else {
                let reasons: Vec<String> = disk
                    .verdict
                    .reasons()
                    .iter()
                    .map(|reason| reason.message())
                    .collect();
                refused.push(format!("{}: {}", disk.display_name(), reasons.join(" ")));
            }
            let disk_for_choice = disk.clone();
            check.connect_toggled(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |check| {
                    if check.is_active() {
                        page.choose(&disk_for_choice);
                    }
                }
            ));
            imp.disk_group.add(&row);
            self.follow_activation(row.upcast_ref());
            rows.push((row, check));
        }
        imp.rows.replace(rows);
        if self.is_mapped() {
            // The dimmed rows say why only on screen.
            if !refused.is_empty() {
                self.announce(
                    &refused.join("\n"),
                    gtk::AccessibleAnnouncementPriority::Medium,
                );
            }
            // The page arrives before its disks, with the focus on the
            // empty list: once they are listed, put it on the first one
            // that can be chosen, unless it is on a control already.
            let focus = self.root().and_then(|root| root.focus());
            let focus_elsewhere = focus
                .is_none_or(|focus| focus.is::<gtk::ScrolledWindow>() || !focus.is_ancestor(self));
            if let Some(check) = first_usable.filter(|_| focus_elsewhere) {
                check.grab_focus();
            }
        }
        let chosen_still_usable = chosen.as_ref().is_some_and(|chosen| {
            disks
                .iter()
                .any(|disk| disk.object_path == chosen.udisks_object_path && disk.is_usable())
        });
        if chosen.is_some() && !chosen_still_usable {
            if let Some(model) = self.plan_model() {
                model.set_disk_details(None);
                model.update(|plan| plan.disk = None);
            }
        }
        imp.disks.replace(disks);
        self.refresh_page();
    }

    /// Activating a usable row (click, Enter, Space) chooses its disk, as
    /// its check button would. The group's list is connected once.
    fn follow_activation(&self, row: &adw::PreferencesRow) {
        let imp = self.imp();
        if imp.list_connected.get() {
            return;
        }
        let Some(list) = row.parent().and_downcast::<gtk::ListBox>() else {
            return;
        };
        imp.list_connected.set(true);
        list.connect_row_activated(glib::clone!(
            #[weak(rename_to = page)]
            self,
            move |_, activated| {
                let rows = page.imp().rows.borrow();
                if let Some((_, check)) = rows
                    .iter()
                    .find(|(row, _)| row.upcast_ref::<gtk::ListBoxRow>() == activated)
                {
                    if check.is_sensitive() {
                        check.set_active(true);
                    }
                }
            }
        ));
    }

    fn choose(&self, disk: &Disk) {
        let Some(model) = self.plan_model() else {
            return;
        };
        model.set_disk_details(Some(disk.clone()));
        let target = TargetDisk {
            udisks_object_path: disk.object_path.clone(),
            by_id_path: disk.by_id.clone().unwrap_or_else(|| disk.device.clone()),
            model: disk.display_name(),
            serial: disk.serial.clone(),
            size_bytes: disk.size,
            rotational: disk.rotational,
        };
        model.update(|plan| {
            // The recipe's options follow the disk: no `ssd` on spinning ones.
            let defaults = crate::plan::default_mount_options(!target.rotational);
            let wanted = crate::plan::default_mount_options(target.rotational);
            for subvolume in &mut plan.subvolumes {
                if subvolume.options == defaults {
                    subvolume.options = wanted.clone();
                }
            }
            plan.disk = Some(target);
        });
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let problem = model
            .problem("disk.size_bytes")
            .or_else(|| model.problem("esp.size_mib"));
        show_message(&imp.problem_label, problem.as_deref());
        let chosen = model.with_plan(|plan| plan.disk.is_some());
        chosen && !model.has_problems_under(&["disk", "esp"])
    }
}
