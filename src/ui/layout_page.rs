// SPDX-License-Identifier: GPL-3.0-or-later
//! Advanced, opened from the persistence page: the btrfs subvolumes, the
//! size of the tmpfs root and swap. Required subvolumes say why they stay.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{
    KsPlanModel, KsSubvolumeRow, KsWizardPage, KsWizardPageExt, KsWizardPageImpl, show_message,
};
use crate::plan::{Plan, Subvolume, Swap, TmpfsSize, default_mount_options};

/// Subvolumes people often add: (name, mount point, what it holds).
fn suggestions() -> [(&'static str, &'static str, String); 6] {
    [
        (
            "docker",
            "/var/lib/docker",
            gettext("Docker images and containers"),
        ),
        (
            "containers",
            "/var/lib/containers",
            gettext("Podman images and containers"),
        ),
        (
            "libvirt",
            "/var/lib/libvirt",
            gettext("Virtual machines and their disks"),
        ),
        (
            "flatpak",
            "/var/lib/flatpak",
            gettext("Apps installed with Flatpak for everyone"),
        ),
        (
            "NetworkManager",
            "/etc/NetworkManager",
            gettext("Every network setting, not only saved connections"),
        ),
        (
            "log",
            "/var/log",
            gettext("System logs, kept apart from the rest"),
        ),
    ]
}

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/layout-page.ui")]
    pub struct KsLayoutPage {
        #[template_child]
        pub(super) subvolume_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) subvolumes_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) suggestion_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) tmpfs_row: TemplateChild<adw::SpinRow>,
        #[template_child]
        pub(super) swap_row: TemplateChild<adw::SwitchRow>,
        #[template_child]
        pub(super) swap_size_row: TemplateChild<adw::SpinRow>,
        #[template_child]
        pub(super) memory_problem_label: TemplateChild<gtk::Label>,
        pub(super) subvolume_rows: RefCell<Vec<KsSubvolumeRow>>,
        /// One row per suggestion, hidden while its mount point is used.
        pub(super) suggestion_rows: RefCell<Vec<(String, adw::ActionRow)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsLayoutPage {
        const NAME: &'static str = "KsLayoutPage";
        type Type = super::KsLayoutPage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
            klass.install_action("layout.add-subvolume", None, |page, _, _| {
                page.add_subvolume("", "");
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsLayoutPage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build_suggestions();
        }
    }

    impl WidgetImpl for KsLayoutPage {}
    impl NavigationPageImpl for KsLayoutPage {}

    impl KsWizardPageImpl for KsLayoutPage {
        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsLayoutPage(ObjectSubclass<imp::KsLayoutPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsLayoutPage {
    /// Adds a subvolume and hands it the keyboard focus. A suggestion also
    /// drops the persistence entries the new subvolume keeps anyway.
    fn add_subvolume(&self, name: &str, mount_point: &str) {
        let Some(model) = self.plan_model() else {
            return;
        };
        model.update(|plan| {
            let rotational = plan.disk.as_ref().is_some_and(|disk| disk.rotational);
            plan.subvolumes.push(Subvolume {
                name: name.to_owned(),
                mount_point: mount_point.to_owned(),
                options: default_mount_options(rotational),
            });
            if !mount_point.is_empty() {
                let covered = |path: &str| {
                    path == mount_point
                        || path
                            .strip_prefix(mount_point)
                            .is_some_and(|rest| rest.starts_with('/'))
                };
                plan.persistence
                    .directories
                    .retain(|entry| !covered(&entry.path));
                plan.persistence.files.retain(|path| !covered(path));
            }
        });
        if let Some(row) = self.imp().subvolume_rows.borrow().last() {
            row.focus_name();
        }
    }

    fn build_suggestions(&self) {
        let imp = self.imp();
        let mut rows = Vec::new();
        for (name, mount_point, description) in suggestions() {
            let row = adw::ActionRow::builder()
                .title(mount_point)
                .subtitle(description)
                .build();
            let add = gtk::Button::builder()
                .icon_name("list-add-symbolic")
                .tooltip_text(gettext("Add Subvolume"))
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            add.set_widget_name(&format!("suggest:{mount_point}"));
            add.connect_clicked(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |_| page.add_subvolume(name, mount_point)
            ));
            row.add_suffix(&add);
            row.set_activatable_widget(Some(&add));
            imp.suggestion_group.add(&row);
            rows.push((mount_point.to_owned(), row));
        }
        imp.suggestion_rows.replace(rows);
    }

    #[template_callback]
    fn on_memory_changed(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let size = TmpfsSize::PercentOfRam(imp.tmpfs_row.value() as u8);
        let swap = imp.swap_row.is_active().then(|| Swap {
            size_gib: imp.swap_size_row.value() as u32,
        });
        if model.with_plan(|plan| plan.root_tmpfs.size != size || plan.swap != swap) {
            model.update(|plan| {
                plan.root_tmpfs.size = size;
                plan.swap = swap;
            });
        }
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let count = model.with_plan(|plan| plan.subvolumes.len());
        if imp.subvolume_rows.borrow().len() != count {
            self.rebuild_rows(model, count);
        } else {
            for row in imp.subvolume_rows.borrow().iter() {
                row.sync();
            }
        }
        model.with_plan(|plan| self.sync_memory(plan));
        model.with_plan(|plan| {
            for (mount_point, row) in imp.suggestion_rows.borrow().iter() {
                row.set_visible(
                    !plan
                        .subvolumes
                        .iter()
                        .any(|s| &s.mount_point == mount_point),
                );
            }
        });
        let list_problem = model
            .problem("subvolumes")
            .or_else(|| model.problem("persistence.path"));
        show_message(&imp.subvolumes_problem_label, list_problem.as_deref());
        let memory_problem = model
            .problem("swap.size_gib")
            .or_else(|| model.problem("root_tmpfs.size"))
            .or_else(|| model.problem("swap.mount_point"))
            .or_else(|| model.problem("swap.name"));
        show_message(&imp.memory_problem_label, memory_problem.as_deref());
        !model.has_problems_under(&[
            "subvolumes",
            "swap",
            "root_tmpfs",
            "persistence.path",
            "esp",
        ])
    }

    fn rebuild_rows(&self, model: &KsPlanModel, count: usize) {
        let imp = self.imp();
        for row in imp.subvolume_rows.take() {
            imp.subvolume_group.remove(&row);
        }
        let rows: Vec<KsSubvolumeRow> = (0..count)
            .map(|index| KsSubvolumeRow::new(model, index))
            .collect();
        for row in &rows {
            imp.subvolume_group.add(row);
        }
        imp.subvolume_rows.replace(rows);
    }

    fn sync_memory(&self, plan: &Plan) {
        let imp = self.imp();
        if let TmpfsSize::PercentOfRam(percent) = plan.root_tmpfs.size {
            if imp.tmpfs_row.value() as u8 != percent {
                imp.tmpfs_row.set_value(f64::from(percent));
            }
        }
        if imp.swap_row.is_active() != plan.swap.is_some() {
            imp.swap_row.set_active(plan.swap.is_some());
        }
        if let Some(swap) = &plan.swap {
            if imp.swap_size_row.value() as u32 != swap.size_gib {
                imp.swap_size_row.set_value(f64::from(swap.size_gib));
            }
        }
        imp.swap_size_row.set_sensitive(plan.swap.is_some());
    }
}
