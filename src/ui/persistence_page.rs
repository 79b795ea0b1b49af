// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 5: the directories and files impermanence keeps, system-wide and in
//! every home folder, with presets for common software. The accounts are
//! made later, on the users page, so what is kept in a home is kept in
//! every home erased at boot (`persistence.every_home`); entries of one
//! account alone (`persistence.users`, from a plan made elsewhere) are
//! listed with their home and can be removed.

use std::cell::{Cell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{
    KsPlanModel, KsWizardPage, KsWizardPageExt, KsWizardPageImpl, name_button, remove_with_undo,
    show_message,
};
use crate::catalogue::{Advice, Catalogue, Location, Preset, is_preset_kept, keep_preset};
use crate::i18n::{gettext_f, isolate};
use crate::plan::{PersistentDirectory, Plan, required_entry_reason};

/// How many presets the page lists before "Show All": enough for the usual
/// services, few enough to keep the page short at 360 px.
const SHORT_LIST: usize = 8;

/// A catalogue preset's row and what the search matches it by.
#[derive(Debug)]
struct PresetRow {
    preset: Preset,
    row: adw::ActionRow,
    keep_button: gtk::Button,
    kept_label: gtk::Label,
    /// The plan keeps all of the preset's paths.
    kept: Cell<bool>,
    /// The translated and original names, the identifier and the paths,
    /// in lower case.
    haystack: String,
}

/// What an entry keeps, in a few words: the catalogue's reason when it
/// lists the path.
fn explanation(catalogue: Option<&Catalogue>, kind: EntryKind, path: &str) -> String {
    let location = match kind {
        EntryKind::HomeDirectory | EntryKind::HomeFile => Location::Home(path.to_owned()),
        EntryKind::Directory | EntryKind::File => Location::System(path.to_owned()),
    };
    // Names and reasons come from data/presets, extracted for translation
    // by build-aux/extract-data-strings.
    if let Some(reason) = catalogue.and_then(|catalogue| catalogue.reason(&location)) {
        return gettext(reason);
    }
    match path {
        "/var/log" => gettext("System logs, to find out what went wrong"),
        "/var/lib/systemd" => gettext("Timers, random seed and other systemd state"),
        "/etc/adjtime" => gettext("How the hardware clock drifts"),
        path if path.starts_with("/etc/ssh/ssh_host_") => {
            gettext("The SSH host key, so clients keep trusting this computer")
        }
        _ => gettext("Kept as you listed it"),
    }
}

/// The row's subtitle: why the preset matters, in the words of its most
/// important path, then every path it keeps. The other paths' reasons show
/// on their entries once kept; all of them here made rows of a dozen lines.
fn preset_subtitle(preset: &Preset) -> String {
    let main = preset
        .paths
        .iter()
        .find(|path| path.advice == Advice::Keep)
        .or_else(|| preset.wanted_paths().next());
    let reason = main.map(|path| gettext(&path.reason)).unwrap_or_default();
    let paths: Vec<String> = preset
        .wanted_paths()
        .map(|path| shown_location(&path.location))
        .collect();
    format!("{reason}\n{}", paths.join(", "))
}

fn shown_location(location: &Location) -> String {
    match location {
        Location::System(path) => path.clone(),
        Location::Home(path) => format!("~/{path}"),
    }
}

/// Which list an entry row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Directory,
    File,
    HomeDirectory,
    /// A file in the home, such as `.bash_history` from a preset.
    HomeFile,
}

/// One kept entry the page lists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: EntryKind,
    /// The account whose home alone keeps a home entry; `None` for the
    /// system's entries and those of every home.
    user: Option<String>,
    path: String,
}

impl Entry {
    /// The row's title: an entry of one home with that home, so that it
    /// does not read as kept in every home.
    fn title(&self) -> String {
        match &self.user {
            Some(user) => format!("/home/{user}/{}", self.path),
            None => self.path.clone(),
        }
    }
}

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/persistence-page.ui")]
    pub struct KsPersistencePage {
        #[template_child]
        pub(super) directory_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) add_directory_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) file_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) add_file_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) home_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) add_home_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) add_home_row: TemplateChild<adw::EntryRow>,
        #[template_child]
        pub(super) problem_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) preset_search: TemplateChild<gtk::SearchEntry>,
        #[template_child]
        pub(super) preset_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) no_preset_row: TemplateChild<adw::ActionRow>,
        #[template_child]
        pub(super) show_all_row: TemplateChild<adw::ButtonRow>,
        /// The entry rows shown, with what they show.
        pub(super) entry_rows: RefCell<Vec<(Entry, adw::ActionRow)>>,
        /// The built-in catalogue; `None` only if it failed to parse, which
        /// its tests rule out.
        pub(super) catalogue: RefCell<Option<Catalogue>>,
        pub(super) preset_rows: RefCell<Vec<PresetRow>>,
        /// "Show All" was chosen: every preset is listed, not the first few.
        pub(super) show_all: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsPersistencePage {
        const NAME: &'static str = "KsPersistencePage";
        type Type = super::KsPersistencePage;
        type ParentType = KsWizardPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsPersistencePage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build_presets();
        }
    }

    impl WidgetImpl for KsPersistencePage {}
    impl NavigationPageImpl for KsPersistencePage {}

    impl KsWizardPageImpl for KsPersistencePage {
        fn sync(&self, model: &KsPlanModel) -> bool {
            self.obj().sync(model)
        }
    }
}

glib::wrapper! {
    pub struct KsPersistencePage(ObjectSubclass<imp::KsPersistencePage>)
        @extends KsWizardPage, adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

#[gtk::template_callbacks]
impl KsPersistencePage {
    #[template_callback]
    fn on_add_directory(&self) {
        let row = &self.imp().add_directory_row;
        let path = row.text().trim().to_owned();
        if path.is_empty() {
            return;
        }
        self.update(|plan| {
            plan.persistence
                .directories
                .push(PersistentDirectory::new(&path));
        });
        row.set_text("");
    }

    #[template_callback]
    fn on_add_file(&self) {
        let row = &self.imp().add_file_row;
        let path = row.text().trim().to_owned();
        if path.is_empty() {
            return;
        }
        self.update(|plan| plan.persistence.files.push(path));
        row.set_text("");
    }

    #[template_callback]
    fn on_add_home(&self) {
        let row = &self.imp().add_home_row;
        let path = row.text().trim().trim_start_matches("~/").to_owned();
        if path.is_empty() {
            return;
        }
        self.update(|plan| {
            plan.persistence
                .every_home
                .directories
                .push(PersistentDirectory::new(&path));
        });
        row.set_text("");
    }

    fn update(&self, change: impl FnOnce(&mut Plan)) {
        if let Some(model) = self.plan_model() {
            model.update(change);
        }
    }

    /// The advanced page, over this one: Done there leads back here.
    #[template_callback]
    fn on_open_layout(&self) {
        let _ = self.activate_action("navigation.push", Some(&"layout".to_variant()));
    }

    #[template_callback]
    fn on_preset_search_changed(&self) {
        self.filter_presets();
    }

    #[template_callback]
    fn on_show_all_presets(&self) {
        self.imp().show_all.set(true);
        self.filter_presets();
    }

    fn build_presets(&self) {
        let imp = self.imp();
        let catalogue = match Catalogue::builtin() {
            Ok(catalogue) => catalogue,
            Err(error) => {
                glib::g_warning!("keepsake", "the preset catalogue is unreadable: {error}");
                imp.show_all_row.set_visible(false);
                return;
            }
        };
        let group = &imp.preset_group;
        // The presets go before these two rows.
        group.remove(&*imp.no_preset_row);
        group.remove(&*imp.show_all_row);
        let mut rows = Vec::new();
        for preset in catalogue.offered() {
            let name = gettext(&preset.name);
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&name))
                .subtitle(glib::markup_escape_text(&preset_subtitle(preset)))
                .build();
            row.set_widget_name(&format!("preset-row:{}", preset.id));
            let keep_button = gtk::Button::builder()
                .label(gettext("Keep"))
                .valign(gtk::Align::Center)
                .build();
            keep_button.set_widget_name(&format!("preset:{}", preset.id));
            // Translators: what screen readers say for a preset's Keep button; {name} is a program or service, such as “Docker”.
            let keep_label = gettext_f("Keep the files of {name}", &[("name", &name)]);
            let id = preset.id.clone();
            keep_button.connect_clicked(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |_| page.keep(&id)
            ));
            let kept_label = gtk::Label::builder()
                .label(gettext("Kept"))
                .valign(gtk::Align::Center)
                .css_classes(["dim-label"])
                .visible(false)
                .build();
            kept_label.set_widget_name(&format!("kept:{}", preset.id));
            row.add_suffix(&keep_button);
            row.add_suffix(&kept_label);
            row.set_activatable_widget(Some(&keep_button));
            // After set_activatable_widget, which labels the button with the
            // row's title (“Docker”).
            name_button(&keep_button, &keep_label);
            group.add(&row);
            let haystack = std::iter::once(name)
                .chain([preset.name.clone(), preset.id.clone()])
                .chain(
                    preset
                        .wanted_paths()
                        .map(|path| shown_location(&path.location)),
                )
                .collect::<Vec<_>>()
                .join("\n")
                .to_lowercase();
            rows.push(PresetRow {
                preset: preset.clone(),
                row,
                keep_button,
                kept_label,
                kept: Cell::new(false),
                haystack,
            });
        }
        group.add(&*imp.no_preset_row);
        group.add(&*imp.show_all_row);
        imp.preset_rows.replace(rows);
        imp.catalogue.replace(Some(catalogue));
        self.filter_presets();
    }

    fn keep(&self, id: &str) {
        let imp = self.imp();
        let Some(index) = imp
            .preset_rows
            .borrow()
            .iter()
            .position(|row| row.preset.id == id)
        else {
            return;
        };
        let preset = imp.preset_rows.borrow()[index].preset.clone();
        self.update(|plan| keep_preset(plan, &preset));
        // The button is gone now; a keyboard user goes on with the next
        // preset instead of losing the focus.
        let rows = imp.preset_rows.borrow();
        let next = rows[index..]
            .iter()
            .chain(&rows[..index])
            .find(|row| row.row.get_visible() && !row.kept.get());
        match next {
            Some(row) => row.keep_button.grab_focus(),
            None => imp.preset_search.grab_focus(),
        };
    }

    /// Shows the presets that match the search; without one, the first
    /// few still to keep, or all of them after "Show All".
    fn filter_presets(&self) {
        let imp = self.imp();
        let query = imp.preset_search.text().trim().to_lowercase();
        let searching = !query.is_empty();
        let show_all = searching || imp.show_all.get();
        let mut shown = 0;
        let mut hidden = false;
        for row in imp.preset_rows.borrow().iter() {
            let kept = row.kept.get();
            let visible = if searching {
                row.haystack.contains(&query)
            } else if show_all {
                true
            } else {
                // The short list suggests what is left to keep.
                !kept && shown < SHORT_LIST
            };
            hidden |= !visible && !searching;
            shown += usize::from(visible);
            row.row.set_visible(visible);
        }
        imp.no_preset_row.set_visible(searching && shown == 0);
        imp.show_all_row.set_visible(!show_all && hidden);
    }

    fn sync(&self, model: &KsPlanModel) -> bool {
        let imp = self.imp();
        let wanted = model.with_plan(shown_entries);
        let same_rows = {
            let rows = imp.entry_rows.borrow();
            rows.len() == wanted.len()
                && rows
                    .iter()
                    .zip(&wanted)
                    .all(|((entry, _), (wanted, _))| entry == wanted)
        };
        if !same_rows {
            self.rebuild_rows(&wanted);
        }
        for ((entry, row), (_, field)) in imp.entry_rows.borrow().iter().zip(&wanted) {
            let problem = model.problem(field);
            let subtitle = problem
                .clone()
                .or_else(|| required_reason(entry))
                .unwrap_or_else(|| {
                    explanation(imp.catalogue.borrow().as_ref(), entry.kind, &entry.path)
                });
            if row.subtitle().as_deref() != Some(subtitle.as_str()) {
                row.set_subtitle(&glib::markup_escape_text(&subtitle));
            }
            if problem.is_some() {
                row.add_css_class("error");
            } else {
                row.remove_css_class("error");
            }
        }
        model.with_plan(|plan| {
            let home_is_subvolume = plan
                .subvolumes
                .iter()
                .any(|subvolume| subvolume.mount_point == "/home");
            let every_home_is_empty = plan.persistence.every_home.is_empty();
            imp.home_group.set_description(Some(&if home_is_subvolume && every_home_is_empty {
                gettext("/home is a subvolume of its own, so everything in it is kept.")
            } else if home_is_subvolume {
                // Presets put their home folders here all the same.
                gettext(
                    "/home is a subvolume of its own, so everything in it is kept. These are kept as well in any home folder that the Users page sets to be erased at every boot.",
                )
            } else {
                gettext(
                    "Kept in the home folder of every account you create on the Users page, unless it keeps its whole home folder. The rest of each home is erased at every boot.",
                )
            }));
            imp.add_home_group.set_visible(!home_is_subvolume);
            for row in imp.preset_rows.borrow().iter() {
                let kept = is_preset_kept(plan, &row.preset);
                row.kept.set(kept);
                row.keep_button.set_visible(!kept);
                row.kept_label.set_visible(kept);
            }
        });
        self.filter_presets();
        let general = model
            .problem("persistence.path")
            .or_else(|| model.problem("persistence"));
        show_message(&imp.problem_label, general.as_deref());
        !model.has_problems_under(&["persistence"])
    }

    fn rebuild_rows(&self, wanted: &[(Entry, String)]) {
        let imp = self.imp();
        for (entry, row) in imp.entry_rows.take() {
            self.group(entry.kind).remove(&row);
        }
        let mut rows = Vec::with_capacity(wanted.len());
        for (index, (entry, _)) in wanted.iter().enumerate() {
            let path = entry.title();
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&path))
                .build();
            row.add_css_class("property");
            row.set_widget_name(&format!("entry-{index}"));
            self.group(entry.kind).add(&row);
            rows.push((entry.clone(), row.clone()));
            if required_reason(entry).is_some() {
                continue;
            }
            let remove = gtk::Button::builder()
                .icon_name("user-trash-symbolic")
                .tooltip_text(gettext("Stop Keeping"))
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            remove.set_widget_name(&format!("remove:{path}"));
            // Translators: read by screen readers for the trash button of a kept path; {path} such as “/var/log”.
            let remove_name = gettext_f("Stop Keeping {path}", &[("path", &isolate(&path))]);
            remove.update_property(&[gtk::accessible::Property::Label(&remove_name)]);
            let removed = entry.clone();
            remove.connect_clicked(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |_| page.stop_keeping(&removed)
            ));
            row.add_suffix(&remove);
        }
        imp.entry_rows.replace(rows);
    }

    fn stop_keeping(&self, entry: &Entry) {
        let Some(model) = self.plan_model() else {
            return;
        };
        // Translators: in a notification after a trash button, with an Undo button; {path} such as “/var/log”.
        let message = gettext_f(
            "{path} is no longer kept",
            &[("path", &isolate(&entry.title()))],
        );
        remove_with_undo(self, &model, &message, |plan| {
            remove_entry(plan, entry);
        });
    }

    fn group(&self, kind: EntryKind) -> adw::PreferencesGroup {
        let imp = self.imp();
        match kind {
            EntryKind::Directory => imp.directory_group.get(),
            EntryKind::File => imp.file_group.get(),
            EntryKind::HomeDirectory | EntryKind::HomeFile => imp.home_group.get(),
        }
    }
}

/// Every entry the page lists, with its validation field: the system's,
/// those of every home, then those of one home each.
fn shown_entries(plan: &Plan) -> Vec<(Entry, String)> {
    let persistence = &plan.persistence;
    let entry = |kind, user: Option<&String>, path: &String, field: String| {
        let user = user.cloned();
        let path = path.clone();
        (Entry { kind, user, path }, field)
    };
    let mut entries = Vec::new();
    for (index, directory) in persistence.directories.iter().enumerate() {
        let field = format!("persistence.directories[{index}]");
        entries.push(entry(EntryKind::Directory, None, &directory.path, field));
    }
    for (index, path) in persistence.files.iter().enumerate() {
        let field = format!("persistence.files[{index}]");
        entries.push(entry(EntryKind::File, None, path, field));
    }
    let every_home = ("persistence.every_home".to_owned(), None);
    let homes = persistence
        .users
        .iter()
        .enumerate()
        .map(|(index, home)| (format!("persistence.users[{index}]"), Some(home)));
    for (list, home) in std::iter::once(every_home).chain(homes) {
        let (directories, files) = match home {
            Some(home) => (&home.directories, &home.files),
            None => (
                &persistence.every_home.directories,
                &persistence.every_home.files,
            ),
        };
        let user = home.map(|home| &home.user);
        for (index, directory) in directories.iter().enumerate() {
            let field = format!("{list}.directories[{index}]");
            entries.push(entry(
                EntryKind::HomeDirectory,
                user,
                &directory.path,
                field,
            ));
        }
        for (index, path) in files.iter().enumerate() {
            let field = format!("{list}.files[{index}]");
            entries.push(entry(EntryKind::HomeFile, user, path, field));
        }
    }
    entries
}

/// Why a system path cannot be given up: NixOS needs it across reboots.
fn required_reason(entry: &Entry) -> Option<String> {
    matches!(entry.kind, EntryKind::Directory | EntryKind::File)
        .then(|| required_entry_reason(&entry.path))
        .flatten()
}

fn remove_entry(plan: &mut Plan, entry: &Entry) {
    let persistence = &mut plan.persistence;
    let lists: Vec<(&mut Vec<PersistentDirectory>, &mut Vec<String>)> =
        match (entry.kind, &entry.user) {
            (EntryKind::Directory | EntryKind::File, _) => {
                vec![(&mut persistence.directories, &mut persistence.files)]
            }
            (_, None) => {
                let every_home = &mut persistence.every_home;
                vec![(&mut every_home.directories, &mut every_home.files)]
            }
            (_, Some(user)) => persistence
                .users
                .iter_mut()
                .filter(|home| &home.user == user)
                .map(|home| (&mut home.directories, &mut home.files))
                .collect(),
        };
    let path = entry.path.as_str();
    for (directories, files) in lists {
        match entry.kind {
            EntryKind::Directory | EntryKind::HomeDirectory => {
                directories.retain(|directory| directory.path != path);
            }
            EntryKind::File | EntryKind::HomeFile => files.retain(|file| file != path),
        }
    }
    if entry.user.is_some() {
        persistence
            .users
            .retain(|home| !home.directories.is_empty() || !home.files.is_empty());
    }
}
