// SPDX-License-Identifier: GPL-3.0-or-later
//! One btrfs subvolume of the layout page: name, mount point, options, and
//! what is wrong with them.

use std::cell::{Cell, OnceCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::{KsPlanModel, remove_with_undo, show_message};
use crate::i18n::{gettext_f, isolate};
use crate::plan::{FieldPath, mount_options_in_words};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/subvolume-row.ui")]
    pub struct KsSubvolumeRow {
        #[template_child]
        pub(super) name_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) mount_point_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) options_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) remove_button: TemplateChild<gtk::Button>,
        pub(super) plan_model: OnceCell<KsPlanModel>,
        /// The position in `Plan::subvolumes`.
        pub(super) index: Cell<usize>,
        /// Set while the row copies the plan into its entries, so that does
        /// not count as an edit.
        pub(super) syncing: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsSubvolumeRow {
        const NAME: &'static str = "KsSubvolumeRow";
        type Type = super::KsSubvolumeRow;
        type ParentType = adw::ExpanderRow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsSubvolumeRow {}
    impl WidgetImpl for KsSubvolumeRow {}
    impl ListBoxRowImpl for KsSubvolumeRow {}
    impl PreferencesRowImpl for KsSubvolumeRow {}
    impl ExpanderRowImpl for KsSubvolumeRow {}
}

glib::wrapper! {
    pub struct KsSubvolumeRow(ObjectSubclass<imp::KsSubvolumeRow>)
        @extends gtk::Widget, gtk::ListBoxRow, adw::PreferencesRow, adw::ExpanderRow,
        @implements gtk::Accessible, gtk::Actionable, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsSubvolumeRow {
    pub fn new(model: &KsPlanModel, index: usize) -> Self {
        let row: Self = glib::Object::new();
        let imp = row.imp();
        imp.plan_model
            .set(model.clone())
            .expect("a new row has no model yet");
        imp.index.set(index);
        row.set_widget_name(&format!("subvolume-{index}"));
        row.sync();
        row
    }

    /// Copies the plan's subvolume into the entries (where they differ) and
    /// shows its problems.
    pub fn sync(&self) {
        let imp = self.imp();
        let Some(model) = imp.plan_model.get() else {
            return;
        };
        let index = imp.index.get();
        let Some(subvolume) = model.with_plan(|plan| plan.subvolumes.get(index).cloned()) else {
            return;
        };
        imp.syncing.set(true);
        let options = subvolume.options.join(",");
        for (row, text) in [
            (&imp.name_row, &subvolume.name),
            (&imp.mount_point_row, &subvolume.mount_point),
        ] {
            if row.text() != text.as_str() {
                row.set_text(text);
            }
        }
        // "a, b," is still being typed: only replace other option lists.
        if parse_options(&imp.options_row.text()) != subvolume.options {
            imp.options_row.set_text(&options);
        }
        imp.syncing.set(false);
        self.set_title(&glib::markup_escape_text(&subvolume.mount_point));
        // The expander row is a focusable list item of its own, around its
        // header row: screen readers need its name too.
        self.update_property(&[gtk::accessible::Property::Label(&subvolume.mount_point)]);
        // Translators: read by screen readers for the trash button of a subvolume; {name} is its name, such as “home”.
        let remove_name = gettext_f("Remove Subvolume {name}", &[("name", &subvolume.name)]);
        imp.remove_button
            .update_property(&[gtk::accessible::Property::Label(&remove_name)]);
        let required =
            model.with_plan(|plan| plan.required_subvolume_reason(&subvolume.mount_point));
        imp.remove_button.set_visible(required.is_none());
        // Plain words here; the options themselves are in the expander.
        let subtitle = required.unwrap_or_else(|| mount_options_in_words(&subvolume.options));
        self.set_subtitle(&glib::markup_escape_text(&subtitle));

        let field = FieldPath::subvolume(index);
        let name_problem = model.problem(field.field("name").as_str());
        let mount_point_problem = model.problem(field.field("mount_point").as_str());
        let options_problem = (0..subvolume.options.len())
            .find_map(|option| model.problem(field.field("options").index(option).as_str()));
        for (row, problem) in [
            (&imp.name_row, &name_problem),
            (&imp.mount_point_row, &mount_point_problem),
            (&imp.options_row, &options_problem),
        ] {
            if problem.is_some() {
                row.add_css_class("error");
            } else {
                row.remove_css_class("error");
            }
        }
        let message = name_problem.or(mount_point_problem).or(options_problem);
        if message.is_some() {
            self.set_expanded(true);
        }
        show_message(&imp.problem_label, message.as_deref());
    }

    /// Puts the keyboard focus into the name entry.
    pub fn focus_name(&self) {
        self.set_expanded(true);
        self.imp().name_row.grab_focus();
    }

    #[template_callback]
    fn on_edited(&self) {
        let imp = self.imp();
        if imp.syncing.get() {
            return;
        }
        let Some(model) = imp.plan_model.get() else {
            return;
        };
        let name = imp.name_row.text().to_string();
        let mount_point = imp.mount_point_row.text().to_string();
        let options = parse_options(&imp.options_row.text());
        let index = imp.index.get();
        model.update(|plan| {
            if let Some(subvolume) = plan.subvolumes.get_mut(index) {
                subvolume.name = name;
                subvolume.mount_point = mount_point;
                subvolume.options = options;
            }
        });
    }

    #[template_callback]
    fn on_remove_clicked(&self) {
        let imp = self.imp();
        let Some(model) = imp.plan_model.get() else {
            return;
        };
        let index = imp.index.get();
        let mount_point = imp.mount_point_row.text();
        // Translators: in a notification after a trash button, with an Undo button; {mount_point} such as “/var/lib/docker”.
        let message = gettext_f(
            "The subvolume at {mount_point} was removed",
            &[("mount_point", &isolate(&mount_point))],
        );
        remove_with_undo(self, model, &message, |plan| {
            if index < plan.subvolumes.len() {
                plan.subvolumes.remove(index);
            }
        });
    }
}

fn parse_options(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|option| !option.is_empty())
        .map(str::to_owned)
        .collect()
}
