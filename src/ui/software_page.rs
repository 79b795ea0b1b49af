// SPDX-License-Identifier: GPL-3.0-or-later
//! The Software page, after System: the desktop and the services of the
//! installed system. Each service switch says what it keeps; switching it
//! on adds those paths to the persistence list.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::{KsPlanModel, KsWizardPage, KsWizardPageExt, KsWizardPageImpl, show_message};
use crate::catalogue::Location;
use crate::i18n::{gettext_f, isolate};
use crate::plan::{Desktop, Service};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/software-page.ui")]
    pub struct KsSoftwarePage {
        #[template_child]
        pub(super) desktop_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) services_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) problem_label: TemplateChild<gtk::Label>,
        pub(super) desktop_checks: RefCell<Vec<(Desktop, gtk::CheckButton)>>,
        pub(super) service_rows: RefCell<Vec<(Service, adw::SwitchRow)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsSoftwarePage {
        const NAME: &'static str = "KsSoftwarePage";
        type Type = super::KsSoftwarePage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsSoftwarePage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build_rows();
        }
    }

    impl WidgetImpl for KsSoftwarePage {}
    impl NavigationPageImpl for KsSoftwarePage {}

    impl KsWizardPageImpl for KsSoftwarePage {
        fn plan_model_set(&self, model: Option<&KsPlanModel>) {
            let live = std::env::var("XDG_CURRENT_DESKTOP")
                .ok()
                .and_then(|value| Desktop::from_current_desktop(&value));
            if let (Some(model), Some(desktop)) = (model, live) {
                model.update(|plan| plan.set_desktop(desktop));
            }
        }

        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsSoftwarePage(ObjectSubclass<imp::KsSoftwarePage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

/// The widget name of a choice, for example `desktop:gnome`, from the
/// plan's JSON spelling.
fn widget_name(kind: &str, value: impl serde::Serialize) -> String {
    let spelled = serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("{kind}:{spelled}")
}

/// "Keeps /var/lib/docker and ~/.local/share/containers": the subtitle of a
/// service's switch.
fn keeps_subtitle(service: Service) -> String {
    let paths: Vec<String> = service
        .kept_paths()
        // Each path isolated: in a right-to-left sentence a bare path's
        // leading slash would be drawn at its end.
        .map(|path| match &path.location {
            Location::System(system) => isolate(system),
            Location::Home(home) => isolate(&format!("~/{home}")),
        })
        .collect();
    gettext_f("Keeps {paths}", &[("paths", &paths.join(", "))])
}

impl KsSoftwarePage {
    fn build_rows(&self) {
        let imp = self.imp();
        let mut first: Option<gtk::CheckButton> = None;
        for desktop in Desktop::ALL {
            let check = gtk::CheckButton::new();
            check.set_valign(gtk::Align::Center);
            check.set_group(first.as_ref());
            first.get_or_insert_with(|| check.clone());
            let row = adw::ActionRow::builder()
                .title(desktop.label())
                .subtitle(desktop.description())
                .activatable_widget(&check)
                .name(widget_name("desktop", desktop))
                .build();
            row.add_prefix(&check);
            check.connect_toggled(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |check| {
                    if check.is_active() {
                        page.choose_desktop(desktop);
                    }
                }
            ));
            imp.desktop_group.add(&row);
            imp.desktop_checks.borrow_mut().push((desktop, check));
        }
        for service in Service::ALL {
            let row = adw::SwitchRow::builder()
                .title(service.label())
                .subtitle(keeps_subtitle(service))
                .name(widget_name("service", service))
                .build();
            row.connect_active_notify(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |row| page.switch_service(service, row.is_active())
            ));
            imp.services_group.add(&row);
            imp.service_rows.borrow_mut().push((service, row));
        }
    }

    fn choose_desktop(&self, desktop: Desktop) {
        if let Some(model) = self.plan_model() {
            if model.with_plan(|plan| plan.desktop != desktop) {
                model.update(|plan| plan.set_desktop(desktop));
            }
        }
    }

    fn switch_service(&self, service: Service, enabled: bool) {
        if let Some(model) = self.plan_model() {
            if model.with_plan(|plan| plan.services.contains(&service) != enabled) {
                model.update(|plan| plan.set_service(service, enabled));
            }
        }
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let (desktop, services) = model.with_plan(|plan| (plan.desktop, plan.services.clone()));
        for (choice, check) in imp.desktop_checks.borrow().iter() {
            if *choice == desktop && !check.is_active() {
                check.set_active(true);
            }
        }
        for (service, row) in imp.service_rows.borrow().iter() {
            let enabled = services.contains(service);
            if row.is_active() != enabled {
                row.set_active(enabled);
            }
        }
        let problem = model
            .problems()
            .into_iter()
            .find(|error| {
                let field = error.field.as_str();
                field.starts_with("services") || field == "desktop"
            })
            .map(|error| error.problem.message());
        show_message(&imp.problem_label, problem.as_deref());
        !model.has_problems_under(&["services", "desktop"])
    }
}
