// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 3: the language and formats of the installed system, and the
//! keyboard layout, before the passphrase is typed with it; named as glibc
//! and xkeyboard-config name them and preselected from the live session.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{KsPlanModel, KsWizardPage, KsWizardPageExt, KsWizardPageImpl, show_message};
use crate::i18n::gettext_f;
use crate::plan::Plan;
use crate::region::keyboard::{self, Keyboard};
use crate::region::locale::{self, Locale};

/// Rows shown at most for a search, so a short query stays quick.
const MAX_SHOWN: usize = 100;

/// A registry entry with its name in the user's language.
#[derive(Debug)]
struct Named {
    keyboard: Keyboard,
    name: String,
}

impl Named {
    fn row_name(&self) -> String {
        row_name(&self.keyboard.layout, &self.keyboard.variant)
    }
}

/// The widget name of a layout's row: `keyboard:ch` or `keyboard:ch+legacy`.
fn row_name(layout: &str, variant: &str) -> String {
    if variant.is_empty() {
        format!("keyboard:{layout}")
    } else {
        format!("keyboard:{layout}+{variant}")
    }
}

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/keyboard-page.ui")]
    #[properties(wrapper_type = super::KsKeyboardPage)]
    pub struct KsKeyboardPage {
        #[template_child]
        pub(super) language_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) formats_row: TemplateChild<adw::ComboRow>,
        #[template_child]
        pub(super) language_problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) search_entry: TemplateChild<gtk::SearchEntry>,
        #[template_child]
        pub(super) layout_list: TemplateChild<gtk::ListBox>,
        #[template_child]
        pub(super) status_label: TemplateChild<gtk::Label>,
        /// The chosen layout's name in the user's language, for the
        /// encryption page's "you will type this with".
        #[property(get)]
        pub(super) keyboard_name: RefCell<String>,
        pub(super) keyboards: RefCell<Rc<Vec<Named>>>,
        pub(super) loader: RefCell<Option<glib::JoinHandle<()>>>,
        /// The check marks of the shown rows, by row name.
        pub(super) marks: RefCell<Vec<(String, gtk::Image)>>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsKeyboardPage {
        const NAME: &'static str = "KsKeyboardPage";
        type Type = super::KsKeyboardPage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsKeyboardPage {
        fn constructed(&self) {
            self.parent_constructed();
            let page = self.obj();
            page.fill_locales();
            page.load();
        }

        fn dispose(&self) {
            if let Some(loader) = self.loader.take() {
                loader.abort();
            }
        }
    }

    impl WidgetImpl for KsKeyboardPage {}
    impl NavigationPageImpl for KsKeyboardPage {}

    impl KsWizardPageImpl for KsKeyboardPage {
        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsKeyboardPage(ObjectSubclass<imp::KsKeyboardPage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsKeyboardPage {
    /// Both locale rows list every supported locale by its own name, with
    /// its English name below it in the open list; a search matches either
    /// name and the code.
    fn fill_locales(&self) {
        let imp = self.imp();
        let codes: Vec<&str> = locale::all().iter().map(|locale| locale.code).collect();
        let model = gtk::StringList::new(&codes);
        let search = gtk::ClosureExpression::with_callback(
            [] as [gtk::Expression; 0],
            |values: &[glib::Value]| {
                values
                    .first()
                    .and_then(|value| value.get::<gtk::StringObject>().ok())
                    .and_then(|item| locale::find(&item.string()))
                    .map(|locale| format!("{} {} {}", locale.native, locale.english, locale.code))
                    .unwrap_or_default()
            },
        );
        for row in [&*imp.language_row, &*imp.formats_row] {
            row.set_factory(Some(&chosen_locale_factory()));
            row.set_list_factory(Some(&locale_list_factory()));
            row.set_expression(Some(&search));
            row.set_model(Some(&model));
        }
    }

    /// Reads the registry, the live session's input source and its locales
    /// off the main thread (gsettings and localectl run).
    fn load(&self) {
        let loader = glib::spawn_future_local(glib::clone!(
            #[weak(rename_to = page)]
            self,
            async move {
                let loaded = gio::spawn_blocking(|| {
                    let keyboards =
                        keyboard::read_registry(Path::new(keyboard::REGISTRY)).map(|keyboards| {
                            keyboards
                                .into_iter()
                                .map(|keyboard| Named {
                                    name: keyboard.human_name(),
                                    keyboard,
                                })
                                .collect::<Vec<_>>()
                        });
                    (
                        keyboards,
                        keyboard::live_input_source(),
                        locale::Session::read(),
                    )
                })
                .await;
                page.imp().loader.take();
                if let Ok((_, _, session)) = &loaded {
                    page.adopt_locales(session);
                }
                match loaded {
                    Ok((Ok(keyboards), live, _)) => page.adopt(keyboards, live),
                    Ok((Err(error), _, _)) => page.show_status(Some(&gettext_f(
                        "The list of keyboard layouts could not be read ({error}). The installed system keeps the layout of the plan.",
                        &[("error", &error.to_string())],
                    ))),
                    Err(_) => page.show_status(Some(&gettext(
                        "Reading the list of keyboard layouts stopped unexpectedly. The installed system keeps the layout of the plan.",
                    ))),
                }
            }
        ));
        self.imp().loader.replace(Some(loader));
    }

    /// Starts from the live session's language and formats unless the plan
    /// names others than the defaults already.
    fn adopt_locales(&self, session: &locale::Session) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let defaults = Plan::example().system;
        let (language, formats) = model.with_plan(|plan| {
            let language = (plan.system.locale == defaults.locale)
                .then(|| session.language())
                .flatten()
                .map_or(plan.system.locale.clone(), |live| live.code.to_owned());
            let formats = (plan.system.formats == defaults.formats)
                .then(|| session.formats())
                .flatten()
                .map_or(plan.system.formats.clone(), |live| {
                    formats_for(&language, live.code)
                });
            (language, formats)
        });
        if model.with_plan(|plan| plan.system.locale != language || plan.system.formats != formats)
        {
            model.update(|plan| {
                plan.system.locale = language;
                plan.system.formats = formats;
            });
        }
    }

    #[template_callback]
    fn on_language_changed(&self) {
        let Some(code) = chosen_code(&self.imp().language_row) else {
            return;
        };
        let Some(model) = self.plan_model() else {
            return;
        };
        if model.with_plan(|plan| !same_locale(&plan.system.locale, &code)) {
            model.update(|plan| {
                // Formats that followed the language keep following it;
                // formats the new language has become its own again.
                if same_locale(&plan.system.formats, &code) {
                    plan.system.formats.clear();
                }
                plan.system.locale = code;
            });
        }
    }

    #[template_callback]
    fn on_formats_changed(&self) {
        let Some(code) = chosen_code(&self.imp().formats_row) else {
            return;
        };
        let Some(model) = self.plan_model() else {
            return;
        };
        let formats = model.with_plan(|plan| formats_for(&plan.system.locale, &code));
        if model.with_plan(|plan| plan.system.formats != formats) {
            model.update(|plan| plan.system.formats = formats);
        }
    }

    /// Takes the registry and starts from the live session's layout unless
    /// the plan names another than the default already.
    fn adopt(&self, keyboards: Vec<Named>, live: Option<(String, String)>) {
        let live = live.filter(|(layout, variant)| {
            keyboards
                .iter()
                .any(|named| named.keyboard.is(layout, variant))
        });
        self.imp().keyboards.replace(Rc::new(keyboards));
        if let (Some(model), Some((layout, variant))) = (self.plan_model(), live) {
            let untouched = model.with_plan(|plan| {
                plan.system.xkb_layout == "us" && plan.system.xkb_variant.is_empty()
            });
            if untouched {
                model.update(|plan| {
                    plan.system.xkb_layout = layout;
                    plan.system.xkb_variant = variant;
                });
            }
        }
        self.fill_list();
        self.refresh_page();
    }

    fn show_status(&self, message: Option<&str>) {
        let label = &self.imp().status_label;
        label.set_label(message.unwrap_or_default());
        label.set_visible(message.is_some());
    }

    fn chosen(&self) -> (String, String) {
        self.plan_model()
            .map(|model| {
                model.with_plan(|plan| {
                    (
                        plan.system.xkb_layout.clone(),
                        plan.system.xkb_variant.clone(),
                    )
                })
            })
            .unwrap_or_default()
    }

    #[template_callback]
    fn on_search_changed(&self) {
        self.fill_list();
        self.refresh_page();
    }

    /// Without a search, the chosen layout and its variants; with one, the
    /// layouts whose name or xkb name contain it.
    fn fill_list(&self) {
        let imp = self.imp();
        let keyboards = imp.keyboards.borrow().clone();
        let query = imp.search_entry.text().trim().to_lowercase();
        let (layout, _) = self.chosen();
        let matches = |named: &&Named| {
            if query.is_empty() {
                named.keyboard.layout == layout
            } else {
                named.name.to_lowercase().contains(&query)
                    || named.keyboard.description.to_lowercase().contains(&query)
                    || named.keyboard.layout == query
            }
        };
        let found: Vec<&Named> = keyboards.iter().filter(matches).collect();
        imp.layout_list.remove_all();
        let mut marks = imp.marks.borrow_mut();
        marks.clear();
        for named in found.iter().take(MAX_SHOWN) {
            let (row, mark) = new_row(named);
            imp.layout_list.append(&row);
            marks.push((named.row_name(), mark));
        }
        drop(marks);
        imp.layout_list.set_visible(!found.is_empty());
        let status = if found.is_empty() && !keyboards.is_empty() {
            Some(gettext_f(
                "No layout matches “{query}”. Try the language or the country, for example “German”.",
                &[("query", &query)],
            ))
        } else if found.len() > MAX_SHOWN {
            Some(gettext_f(
                "Showing the first {shown}. Type more to find yours.",
                &[("shown", &MAX_SHOWN.to_string())],
            ))
        } else if query.is_empty() && !keyboards.is_empty() {
            Some(gettext("Search to choose another layout."))
        } else {
            None
        };
        self.show_status(status.as_deref());
    }

    #[template_callback]
    fn on_row_activated(&self, row: &gtk::ListBoxRow) {
        let keyboards = self.imp().keyboards.borrow().clone();
        let name = row.widget_name();
        let Some(named) = keyboards.iter().find(|named| named.row_name() == name) else {
            return;
        };
        let Some(model) = self.plan_model() else {
            return;
        };
        let (layout, variant) = self.chosen();
        if !named.keyboard.is(&layout, &variant) {
            model.update(|plan| {
                plan.system.xkb_layout = named.keyboard.layout.clone();
                plan.system.xkb_variant = named.keyboard.variant.clone();
            });
        }
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let (layout, variant) = self.chosen();
        let chosen_row = row_name(&layout, &variant);
        let name = imp
            .keyboards
            .borrow()
            .iter()
            .find(|named| named.keyboard.is(&layout, &variant))
            .map(|named| named.name.clone())
            .unwrap_or_else(|| chosen_row.trim_start_matches("keyboard:").to_owned());
        if *imp.keyboard_name.borrow() != name {
            imp.keyboard_name.replace(name);
            self.notify_keyboard_name();
        }
        for (row, mark) in imp.marks.borrow().iter() {
            mark.set_visible(*row == chosen_row);
        }
        let (language, formats) = model.with_plan(|plan| {
            let formats = if plan.system.formats.is_empty() {
                plan.system.locale.clone()
            } else {
                plan.system.formats.clone()
            };
            (plan.system.locale.clone(), formats)
        });
        select_locale(&imp.language_row, &language);
        select_locale(&imp.formats_row, &formats);
        let language_problem = ["system.locale", "system.formats"]
            .into_iter()
            .find_map(|field| model.problem(field));
        show_message(&imp.language_problem_label, language_problem.as_deref());
        let problem = ["system.xkb_layout", "system.xkb_variant"]
            .into_iter()
            .find_map(|field| model.problem(field));
        problem.is_none() && language_problem.is_none()
    }
}

/// The plan's `formats` for formats `chosen` with `language`: empty when
/// they are the language's own, so they follow a later change of language.
fn formats_for(language: &str, chosen: &str) -> String {
    if same_locale(language, chosen) {
        String::new()
    } else {
        chosen.to_owned()
    }
}

/// Whether two names stand for the same locale (`de_DE.utf8`, `de_DE.UTF-8`).
fn same_locale(one: &str, other: &str) -> bool {
    one == other
        || locale::find(one)
            .zip(locale::find(other))
            .is_some_and(|(one, other)| one.code == other.code)
}

/// The code of a locale row's chosen item.
fn chosen_code(row: &adw::ComboRow) -> Option<String> {
    row.selected_item()
        .and_downcast::<gtk::StringObject>()
        .map(|item| item.string().to_string())
}

/// Chooses `name`'s locale in `row`; nothing when it is not in the list
/// (a loaded plan's; its problem is shown).
fn select_locale(row: &adw::ComboRow, name: &str) {
    let position = locale::find(name)
        .and_then(|wanted| locale::all().iter().position(|locale| locale == wanted))
        .map_or(gtk::INVALID_LIST_POSITION, |position| position as u32);
    if row.selected() != position {
        row.set_selected(position);
    }
}

fn locale_of(item: &glib::Object) -> Option<&'static Locale> {
    item.downcast_ref::<gtk::StringObject>()
        .and_then(|item| locale::find(&item.string()))
}

/// The chosen locale in the row: its own name.
fn chosen_locale_factory() -> gtk::SignalListItemFactory {
    let factory = gtk::SignalListItemFactory::new();
    factory.connect_setup(|_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let label = gtk::Label::builder()
            .xalign(0.0)
            .ellipsize(gtk::pango::EllipsizeMode::End)
            .valign(gtk::Align::Center)
            .build();
        item.set_child(Some(&label));
    });
    factory.connect_bind(|_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let (Some(label), Some(locale)) = (
            item.child().and_downcast::<gtk::Label>(),
            item.item().as_ref().and_then(locale_of),
        ) else {
            return;
        };
        label.set_label(locale.native);
    });
    factory
}

/// A locale in the open list: its own name, its English name below, and a
/// check mark on the chosen one.
fn locale_list_factory() -> gtk::SignalListItemFactory {
    let factory = gtk::SignalListItemFactory::new();
    factory.connect_setup(|_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let native = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .build();
        let english = gtk::Label::builder()
            .xalign(0.0)
            .wrap(true)
            .wrap_mode(gtk::pango::WrapMode::WordChar)
            .css_classes(["caption", "dim-label"])
            .build();
        let names = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .hexpand(true)
            .build();
        names.append(&native);
        names.append(&english);
        let mark = gtk::Image::from_icon_name("object-select-symbolic");
        mark.update_property(&[gtk::accessible::Property::Label(&gettext("Chosen"))]);
        item.bind_property("selected", &mark, "visible")
            .sync_create()
            .build();
        let row = gtk::Box::builder().spacing(12).build();
        row.append(&names);
        row.append(&mark);
        item.set_child(Some(&row));
    });
    factory.connect_bind(|_, item| {
        let Some(item) = item.downcast_ref::<gtk::ListItem>() else {
            return;
        };
        let Some(locale) = item.item().as_ref().and_then(locale_of) else {
            return;
        };
        let Some(names) = item.child().and_then(|row| row.first_child()) else {
            return;
        };
        let (Some(native), Some(english)) = (
            names.first_child().and_downcast::<gtk::Label>(),
            names.last_child().and_downcast::<gtk::Label>(),
        ) else {
            return;
        };
        native.set_label(locale.native);
        english.set_label(locale.english);
        english.set_visible(locale.english != locale.native);
    });
    factory
}

/// A layout's row and its check mark, shown when it is the chosen one.
fn new_row(named: &Named) -> (adw::ActionRow, gtk::Image) {
    let row = adw::ActionRow::builder()
        .title(named.name.as_str())
        .use_markup(false)
        .activatable(true)
        .name(named.row_name())
        .build();
    let mark = gtk::Image::builder()
        .icon_name("object-select-symbolic")
        .visible(false)
        .build();
    mark.update_property(&[gtk::accessible::Property::Label(&gettext("Chosen"))]);
    row.add_suffix(&mark);
    (row, mark)
}
