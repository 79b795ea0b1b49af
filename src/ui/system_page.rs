// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 6: host name, time zone, locale and keyboard, starting from what the
//! live session uses.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::{gio, glib};

use super::{KsNixPreview, KsPlanModel, show_message};

const LOCALES: &[&str] = &[
    "en_US.UTF-8",
    "en_GB.UTF-8",
    "en_AU.UTF-8",
    "en_CA.UTF-8",
    "en_IN.UTF-8",
    "de_DE.UTF-8",
    "de_AT.UTF-8",
    "de_CH.UTF-8",
    "fr_FR.UTF-8",
    "fr_CA.UTF-8",
    "es_ES.UTF-8",
    "es_MX.UTF-8",
    "it_IT.UTF-8",
    "pt_BR.UTF-8",
    "pt_PT.UTF-8",
    "nl_NL.UTF-8",
    "pl_PL.UTF-8",
    "cs_CZ.UTF-8",
    "sv_SE.UTF-8",
    "da_DK.UTF-8",
    "nb_NO.UTF-8",
    "fi_FI.UTF-8",
    "ru_RU.UTF-8",
    "uk_UA.UTF-8",
    "tr_TR.UTF-8",
    "el_GR.UTF-8",
    "he_IL.UTF-8",
    "ar_EG.UTF-8",
    "hi_IN.UTF-8",
    "ja_JP.UTF-8",
    "ko_KR.UTF-8",
    "zh_CN.UTF-8",
    "zh_TW.UTF-8",
];

/// X11 layout and the console keymap that matches it.
const KEYBOARDS: &[(&str, &str)] = &[
    ("us", "us"),
    ("gb", "uk"),
    ("de", "de"),
    ("fr", "fr"),
    ("es", "es"),
    ("it", "it"),
    ("pt", "pt-latin1"),
    ("br", "br-abnt2"),
    ("nl", "nl"),
    ("se", "sv-latin1"),
    ("no", "no"),
    ("dk", "dk"),
    ("fi", "fi"),
    ("pl", "pl"),
    ("cz", "cz"),
    ("hu", "hu"),
    ("ru", "ru"),
    ("ua", "ua"),
    ("tr", "trq"),
    ("gr", "gr"),
    ("il", "il"),
    ("jp", "jp106"),
];

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/system-page.ui")]
    #[properties(wrapper_type = super::KsSystemPage)]
    pub struct KsSystemPage {
        #[template_child]
        pub(super) hostname_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) hostname_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) time_zone_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) locale_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) keyboard_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) region_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) preview: TemplateChild<KsNixPreview>,
        #[template_child]
        pub(super) next_button: TemplateChild<gtk::Button>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        pub(super) time_zones: RefCell<Vec<String>>,
        pub(super) locales: RefCell<Vec<String>>,
    }

    impl KsSystemPage {
        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            self.preview.set_plan_model(model.as_ref());
            self.plan_model.replace(model.clone());
            if let Some(model) = &model {
                model.keep_in_sync(&*self.obj(), super::KsSystemPage::sync);
            }
            let page = self.obj();
            page.adopt_live_session();
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsSystemPage {
        const NAME: &'static str = "KsSystemPage";
        type Type = super::KsSystemPage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsSystemPage {
        fn constructed(&self) {
            self.parent_constructed();
            let mut time_zones: Vec<String> = chrono_tz::TZ_VARIANTS
                .iter()
                .map(|zone| zone.name().to_owned())
                .collect();
            time_zones.sort();
            self.time_zones.replace(time_zones);
            self.locales
                .replace(LOCALES.iter().map(|&locale| locale.to_owned()).collect());
            let page = self.obj();
            page.fill_lists();
        }
    }

    impl WidgetImpl for KsSystemPage {}
    impl NavigationPageImpl for KsSystemPage {}
}

glib::wrapper! {
    pub struct KsSystemPage(ObjectSubclass<imp::KsSystemPage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsSystemPage {
    fn fill_lists(&self) {
        let imp = self.imp();
        let strings = |items: &[String]| {
            let items: Vec<&str> = items.iter().map(String::as_str).collect();
            gtk::StringList::new(&items)
        };
        imp.time_zone_row
            .set_model(Some(&strings(&imp.time_zones.borrow())));
        imp.locale_row
            .set_model(Some(&strings(&imp.locales.borrow())));
        let layouts: Vec<&str> = KEYBOARDS.iter().map(|(xkb, _)| *xkb).collect();
        imp.keyboard_row
            .set_model(Some(&gtk::StringList::new(&layouts)));
    }

    /// Starts from the live session's time zone, language and keyboard,
    /// unless the plan was changed already.
    fn adopt_live_session(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let time_zone = glib::TimeZone::local().identifier().to_string();
        let locale = std::env::var("LANG")
            .ok()
            .filter(|lang| lang.contains('_'))
            .map(|lang| lang.replace(".utf8", ".UTF-8"));
        let imp = self.imp();
        model.update(|plan| {
            if plan.system.time_zone == "UTC" && imp.time_zones.borrow().contains(&time_zone) {
                plan.system.time_zone = time_zone;
            }
            if let Some(locale) = locale {
                if !imp.locales.borrow().contains(&locale) {
                    imp.locales.borrow_mut().push(locale.clone());
                }
                plan.system.locale = locale;
            }
        });
        self.fill_lists();
        self.sync();
        glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let file = gio::File::for_path("/etc/vconsole.conf");
                let Ok((contents, _)) = file.load_contents_future().await else {
                    return;
                };
                let text = String::from_utf8_lossy(&contents);
                let keymap = text
                    .lines()
                    .find_map(|line| line.strip_prefix("KEYMAP="))
                    .map(|keymap| keymap.trim_matches('"').to_owned());
                let keyboard = KEYBOARDS
                    .iter()
                    .find(|(_, console)| Some(*console) == keymap.as_deref());
                if let (Some(model), Some((xkb, console))) = (page.plan_model(), keyboard) {
                    model.update(|plan| {
                        plan.system.xkb_layout = (*xkb).to_owned();
                        plan.system.console_keymap = (*console).to_owned();
                    });
                }
            }
        ));
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
        let time_zone = chosen(&imp.time_zone_row);
        let locale = chosen(&imp.locale_row);
        let keyboard = chosen(&imp.keyboard_row)
            .and_then(|xkb| KEYBOARDS.iter().find(|(layout, _)| *layout == xkb));
        let changed = model.with_plan(|plan| {
            time_zone
                .as_ref()
                .is_some_and(|zone| *zone != plan.system.time_zone)
                || locale
                    .as_ref()
                    .is_some_and(|locale| *locale != plan.system.locale)
                || keyboard.is_some_and(|(xkb, _)| *xkb != plan.system.xkb_layout)
        });
        if changed {
            model.update(|plan| {
                if let Some(zone) = time_zone {
                    plan.system.time_zone = zone;
                }
                if let Some(locale) = locale {
                    plan.system.locale = locale;
                }
                if let Some((xkb, console)) = keyboard {
                    plan.system.xkb_layout = (*xkb).to_owned();
                    plan.system.console_keymap = (*console).to_owned();
                }
            });
        }
    }

    fn sync(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
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
        select(&imp.locale_row, &imp.locales.borrow(), &system.locale);
        let layouts: Vec<String> = KEYBOARDS.iter().map(|(xkb, _)| (*xkb).to_owned()).collect();
        select(&imp.keyboard_row, &layouts, &system.xkb_layout);

        let hostname_problem = model.problem("system.hostname");
        if hostname_problem.is_some() {
            imp.hostname_row.add_css_class("error");
        } else {
            imp.hostname_row.remove_css_class("error");
        }
        show_message(&imp.hostname_problem_label, hostname_problem.as_deref());
        let region_problem = [
            "system.time_zone",
            "system.locale",
            "system.xkb_layout",
            "system.console_keymap",
        ]
        .into_iter()
        .find_map(|field| model.problem(field));
        show_message(&imp.region_problem_label, region_problem.as_deref());
        imp.next_button
            .set_sensitive(!model.has_problems_under(&["system"]));
    }
}
