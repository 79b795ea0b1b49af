// SPDX-License-Identifier: GPL-3.0-or-later
//! How hard a passphrase or password is to guess: a level bar of four
//! blocks, one in the warning colour for a weak one, and a sentence with
//! what would make it harder. The encryption page and every account on the
//! users page show one; the estimate is [`crate::plan::strength`]'s.

use std::cell::RefCell;

use adw::subclass::prelude::*;
use gtk::glib;
use gtk::prelude::*;

use crate::plan::strength::{Level, Strength};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/strength-meter.ui")]
    #[properties(wrapper_type = super::KsStrengthMeter)]
    pub struct KsStrengthMeter {
        #[template_child]
        pub(super) bar: TemplateChild<gtk::LevelBar>,
        #[template_child]
        pub(super) label: TemplateChild<gtk::Label>,
        /// What the bar measures, for screen readers, such as “Passphrase
        /// strength”.
        #[property(get, set = Self::set_bar_name)]
        pub(super) bar_name: RefCell<String>,
    }

    impl KsStrengthMeter {
        fn set_bar_name(&self, name: String) {
            self.bar
                .update_property(&[gtk::accessible::Property::Label(&name)]);
            self.bar_name.replace(name);
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsStrengthMeter {
        const NAME: &'static str = "KsStrengthMeter";
        type Type = super::KsStrengthMeter;
        type ParentType = gtk::Box;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsStrengthMeter {}
    impl WidgetImpl for KsStrengthMeter {}
    impl BoxImpl for KsStrengthMeter {}
}

glib::wrapper! {
    pub struct KsStrengthMeter(ObjectSubclass<imp::KsStrengthMeter>)
        @extends gtk::Widget, gtk::Box,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget, gtk::Orientable;
}

impl KsStrengthMeter {
    /// Shows `strength`: the bar's blocks and, below it, its description.
    pub fn show_strength(&self, strength: &Strength) {
        let imp = self.imp();
        imp.bar.set_value(strength.level.bar_value());
        imp.label.set_label(&strength.description);
        imp.bar
            .update_property(&[gtk::accessible::Property::Description(
                &strength.description,
            )]);
        if strength.level <= Level::Weak && strength.level != Level::Empty {
            imp.label.add_css_class("warning");
        } else {
            imp.label.remove_css_class("warning");
        }
    }
}
