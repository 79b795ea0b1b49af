// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 7: host name and time zone, starting from what the live session
//! uses. Language and keyboard have their own page before the passphrase.

use std::cell::RefCell;
use std::path::Path;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::{KsPlanModel, KsWizardPage, KsWizardPageExt, KsWizardPageImpl, show_message};
use crate::i18n::gettext_f;
use crate::plan::is_known_time_zone;
use crate::region::time_zone;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/system-page.ui")]
    pub struct KsSystemPage {
        #[template_child]
        pub(super) hostname_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) hostname_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) time_zone_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) region_problem_label: TemplateChild<gtk::Label>,
        pub(super) time_zones: RefCell<Vec<String>>,
        /// Updates the time zone row's local time every minute.
        pub(super) clock: RefCell<Option<glib::SourceId>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsSystemPage {
        const NAME: &'static str = "KsSystemPage";
        type Type = super::KsSystemPage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsSystemPage {
        fn constructed(&self) {
            self.parent_constructed();
            // The system's tz database names the places; the plan accepts
            // the zones of its embedded copy, which may be older.
            let mut time_zones: Vec<String> =
                time_zone::read_zones(Path::new(time_zone::TZDATA)).unwrap_or_default();
            time_zones.retain(|zone| is_known_time_zone(zone));
            if time_zones.is_empty() {
                time_zones = chrono_tz::TZ_VARIANTS
                    .iter()
                    .map(|zone| zone.name().to_owned())
                    .collect();
                time_zones.sort();
            }
            self.time_zones.replace(time_zones);
            let page = self.obj();
            page.fill_lists();
            page.start_clock();
        }

        fn dispose(&self) {
            if let Some(clock) = self.clock.take() {
                clock.remove();
            }
        }
    }

    impl WidgetImpl for KsSystemPage {}
    impl NavigationPageImpl for KsSystemPage {}

    impl KsWizardPageImpl for KsSystemPage {
        fn plan_model_set(&self, model: Option<&KsPlanModel>) {
            if let Some(model) = model {
                self.obj().adopt_live_session(model);
            }
        }

        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsSystemPage(ObjectSubclass<imp::KsSystemPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsSystemPage {
    fn fill_lists(&self) {
        let imp = self.imp();
        let zones = imp.time_zones.borrow();
        let zones: Vec<&str> = zones.iter().map(String::as_str).collect();
        imp.time_zone_row
            .set_model(Some(&gtk::StringList::new(&zones)));
    }

    /// Shows the local time in the chosen zone, and updates it when the
    /// next minute starts.
    fn start_clock(&self) {
        self.show_local_time();
        let seconds_left = glib::DateTime::now_local()
            .map(|now| 60 - now.second().clamp(0, 59))
            .unwrap_or(60);
        let clock = glib::timeout_add_seconds_local_once(
            seconds_left as u32,
            glib::clone!(
                #[weak(rename_to = page)]
                self,
                move || {
                    page.imp().clock.take();
                    page.start_clock();
                }
            ),
        );
        self.imp().clock.replace(Some(clock));
    }

    fn show_local_time(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let zone = model.with_plan(|plan| plan.system.time_zone.clone());
        // The plan's zones are all in the tz database, which GLib reads too.
        let time = glib::DateTime::now(&glib::TimeZone::new(Some(&zone)))
            .and_then(|now| now.format("%R"))
            .ok();
        let subtitle = time.map(|time| gettext_f("Local time {time}", &[("time", time.as_str())]));
        self.imp()
            .time_zone_row
            .set_subtitle(subtitle.as_deref().unwrap_or_default());
    }

    /// Starts from the live session's time zone, unless the plan was
    /// changed already.
    fn adopt_live_session(&self, model: &KsPlanModel) {
        let time_zone = time_zone::live_zone().unwrap_or_else(|| time_zone::UTC.to_owned());
        let imp = self.imp();
        let adopt = model.with_plan(|plan| {
            plan.system.time_zone == "UTC"
                && time_zone != plan.system.time_zone
                && imp.time_zones.borrow().contains(&time_zone)
        });
        if adopt {
            model.update(|plan| plan.system.time_zone = time_zone);
        }
    }

    #[template_callback]
    fn on_hostname_changed(&self) {
        let hostname = self.imp().hostname_row.text().to_string();
        if let Some(model) = self.plan_model() {
            if model.with_plan(|plan| plan.system.hostname != hostname) {
                model.update(|plan| plan.system.hostname = hostname);
            }
        }
    }

    #[template_callback]
    fn on_choice_changed(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let chosen = |row: &adw::ComboRow| {
            row.selected_item()
                .and_downcast::<gtk::StringObject>()
                .map(|item| item.string().to_string())
        };
        let Some(time_zone) = chosen(&imp.time_zone_row) else {
            return;
        };
        if model.with_plan(|plan| plan.system.time_zone != time_zone) {
            model.update(|plan| plan.system.time_zone = time_zone);
        }
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let system = model.with_plan(|plan| plan.system.clone());
        if imp.hostname_row.text() != system.hostname.as_str() {
            imp.hostname_row.set_text(&system.hostname);
        }
        let select = |row: &adw::ComboRow, items: &[String], wanted: &str| {
            if let Some(position) = items.iter().position(|item| item == wanted) {
                if row.selected() != position as u32 {
                    row.set_selected(position as u32);
                }
            }
        };
        select(
            &imp.time_zone_row,
            &imp.time_zones.borrow(),
            &system.time_zone,
        );

        let hostname_problem = model.problem("system.hostname");
        if hostname_problem.is_some() {
            imp.hostname_row.add_css_class("error");
        } else {
            imp.hostname_row.remove_css_class("error");
        }
        show_message(&imp.hostname_problem_label, hostname_problem.as_deref());
        self.show_local_time();
        let region_problem = model.problem("system.time_zone");
        show_message(&imp.region_problem_label, region_problem.as_deref());
        !model.has_problems_under(&["system"])
    }
}
