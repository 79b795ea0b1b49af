// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 5: the directories and files impermanence keeps, system-wide and in
//! the administrator's home, with presets for common software.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{KsNixPreview, KsPlanModel, show_message};
use crate::i18n::gettext_f;
use crate::plan::{PersistentDirectory, Plan, UserPersistence};

/// A group of entries that one piece of software needs.
#[derive(Debug)]
struct Preset {
    id: &'static str,
    title: String,
    directories: &'static [&'static str],
    files: &'static [&'static str],
}

fn presets() -> [Preset; 6] {
    [
        Preset {
            id: "ssh-host-keys",
            title: gettext("SSH host keys (RSA)"),
            directories: &[],
            files: &["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"],
        },
        Preset {
            id: "printing",
            title: gettext("Printers"),
            directories: &["/var/lib/cups"],
            files: &[],
        },
        Preset {
            id: "fingerprints",
            title: gettext("Fingerprint readers"),
            directories: &["/var/lib/fprint"],
            files: &[],
        },
        Preset {
            id: "systemd",
            title: gettext("Timers, backlight and other systemd state"),
            directories: &["/var/lib/systemd/timers", "/var/lib/systemd/backlight"],
            files: &[],
        },
        Preset {
            id: "clock",
            title: gettext("Hardware clock drift"),
            directories: &[],
            files: &["/etc/adjtime"],
        },
        Preset {
            id: "tailscale",
            title: gettext("Tailscale"),
            directories: &["/var/lib/tailscale"],
            files: &[],
        },
    ]
}

/// What an entry keeps, in a few words.
fn explanation(path: &str) -> String {
    match path {
        "/var/log" => gettext("System logs, to find out what went wrong"),
        "/var/lib/nixos" => gettext("User and group IDs, so files keep their owners"),
        "/var/lib/bluetooth" => gettext("Paired Bluetooth devices"),
        "/var/lib/systemd" => gettext("Timers, random seed and other systemd state"),
        "/var/lib/systemd/coredump" => gettext("Crash reports"),
        "/var/lib/systemd/timers" => gettext("When timers last ran"),
        "/var/lib/systemd/backlight" => gettext("Screen brightness"),
        "/etc/NetworkManager/system-connections" => {
            gettext("Wi-Fi passwords and network connections")
        }
        "/etc/machine-id" => gettext("This computer's identity for logs and services"),
        "/etc/adjtime" => gettext("How the hardware clock drifts"),
        "/var/lib/cups" => gettext("Printers and print queues"),
        "/var/lib/fprint" => gettext("Enrolled fingerprints"),
        "/var/lib/tailscale" => gettext("Tailscale's login and keys"),
        path if path.starts_with("/etc/ssh/ssh_host_") => {
            gettext("The SSH host key, so clients keep trusting this computer")
        }
        _ => gettext("Kept as you listed it"),
    }
}

/// Which list an entry row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Directory,
    File,
    HomeDirectory,
}

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/persistence-page.ui")]
    #[properties(wrapper_type = super::KsPersistencePage)]
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
        pub(super) preset_group: TemplateChild<adw::PreferencesGroup>,
        #[template_child]
        pub(super) preview: TemplateChild<KsNixPreview>,
        #[template_child]
        pub(super) next_button: TemplateChild<gtk::Button>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        /// The entry rows shown, with their kind and path.
        pub(super) entry_rows: RefCell<Vec<(EntryKind, String, adw::ActionRow)>>,
        pub(super) preset_rows: RefCell<Vec<(Preset, adw::ActionRow)>>,
    }

    impl KsPersistencePage {
        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            self.preview.set_plan_model(model.as_ref());
            self.plan_model.replace(model.clone());
            if let Some(model) = &model {
                model.keep_in_sync(&*self.obj(), super::KsPersistencePage::sync);
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsPersistencePage {
        const NAME: &'static str = "KsPersistencePage";
        type Type = super::KsPersistencePage;
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
    impl ObjectImpl for KsPersistencePage {
        fn constructed(&self) {
            self.parent_constructed();
            self.obj().build_presets();
        }
    }

    impl WidgetImpl for KsPersistencePage {}
    impl NavigationPageImpl for KsPersistencePage {}
}

glib::wrapper! {
    pub struct KsPersistencePage(ObjectSubclass<imp::KsPersistencePage>)
        @extends gtk::Widget, adw::NavigationPage,
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
            let Some(user) = plan.users.first().map(|user| user.name.clone()) else {
                return;
            };
            let position = plan
                .persistence
                .users
                .iter()
                .position(|home| home.user == user);
            let home = match position {
                Some(index) => &mut plan.persistence.users[index],
                None => {
                    plan.persistence.users.push(UserPersistence {
                        user,
                        directories: Vec::new(),
                        files: Vec::new(),
                    });
                    plan.persistence.users.last_mut().expect("just pushed")
                }
            };
            home.directories.push(PersistentDirectory::new(&path));
        });
        row.set_text("");
    }

    fn update(&self, change: impl FnOnce(&mut Plan)) {
        if let Some(model) = self.plan_model() {
            model.update(change);
        }
    }

    fn build_presets(&self) {
        let imp = self.imp();
        let mut rows = Vec::new();
        for preset in presets() {
            let entries: Vec<&str> = preset
                .directories
                .iter()
                .chain(preset.files)
                .copied()
                .collect();
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(&preset.title))
                .subtitle(glib::markup_escape_text(&entries.join(", ")))
                .build();
            let add = gtk::Button::builder()
                .icon_name("list-add-symbolic")
                .tooltip_text(gettext("Keep These"))
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            add.set_widget_name(&format!("preset:{}", preset.id));
            let (id, directories, files) = (preset.id, preset.directories, preset.files);
            add.connect_clicked(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |_| page.update(|plan| apply_preset(plan, id, directories, files))
            ));
            row.add_suffix(&add);
            row.set_activatable_widget(Some(&add));
            imp.preset_group.add(&row);
            rows.push((preset, row));
        }
        imp.preset_rows.replace(rows);
    }

    fn sync(&self) {
        let imp = self.imp();
        let Some(model) = self.plan_model() else {
            return;
        };
        let wanted = model.with_plan(shown_entries);
        let same_rows = {
            let rows = imp.entry_rows.borrow();
            rows.len() == wanted.len()
                && rows.iter().zip(&wanted).all(
                    |((kind, path, _), (wanted_kind, wanted_path, _))| {
                        kind == wanted_kind && path == wanted_path
                    },
                )
        };
        if !same_rows {
            self.rebuild_rows(&wanted);
        }
        for ((_, path, row), (_, _, field)) in imp.entry_rows.borrow().iter().zip(&wanted) {
            let problem = model.problem(field);
            let subtitle = problem.clone().unwrap_or_else(|| explanation(path));
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
            imp.home_group.set_description(Some(&if home_is_subvolume {
                gettext("/home is a subvolume of its own, so everything in it is kept.")
            } else {
                gettext(
                    "Folders in your home that are kept; the rest of it is erased at every boot.",
                )
            }));
            imp.add_home_group.set_visible(!home_is_subvolume);
            for (preset, row) in imp.preset_rows.borrow().iter() {
                let present = preset
                    .directories
                    .iter()
                    .all(|path| plan.persistence.directories.iter().any(|d| d.path == *path))
                    && preset
                        .files
                        .iter()
                        .all(|path| plan.persistence.files.iter().any(|f| f == path));
                row.set_visible(!present);
            }
        });
        let general = model
            .problem("persistence.path")
            .or_else(|| model.problem("persistence"));
        show_message(&imp.problem_label, general.as_deref());
        imp.next_button
            .set_sensitive(!model.has_problems_under(&["persistence"]));
    }

    fn rebuild_rows(&self, wanted: &[(EntryKind, String, String)]) {
        let imp = self.imp();
        for (kind, _, row) in imp.entry_rows.take() {
            self.group(kind).remove(&row);
        }
        let mut rows = Vec::with_capacity(wanted.len());
        for (index, (kind, path, _)) in wanted.iter().enumerate() {
            let row = adw::ActionRow::builder()
                .title(glib::markup_escape_text(path))
                .build();
            row.add_css_class("property");
            let remove = gtk::Button::builder()
                .icon_name("user-trash-symbolic")
                .tooltip_text(gettext("Stop Keeping"))
                .valign(gtk::Align::Center)
                .css_classes(["flat"])
                .build();
            remove.set_widget_name(&format!("remove:{path}"));
            // Translators: read by screen readers for the trash button of a kept path; {path} such as “/var/log”.
            let remove_name = gettext_f("Stop Keeping {path}", &[("path", path)]);
            remove.update_property(&[gtk::accessible::Property::Label(&remove_name)]);
            let (kind, path_to_remove) = (*kind, path.clone());
            remove.connect_clicked(glib::clone!(
                #[weak(rename_to = page)]
                self,
                move |_| page.update(|plan| remove_entry(plan, kind, &path_to_remove))
            ));
            row.add_suffix(&remove);
            row.set_widget_name(&format!("entry-{index}"));
            self.group(kind).add(&row);
            rows.push((kind, path.clone(), row));
        }
        imp.entry_rows.replace(rows);
    }

    fn group(&self, kind: EntryKind) -> adw::PreferencesGroup {
        let imp = self.imp();
        match kind {
            EntryKind::Directory => imp.directory_group.get(),
            EntryKind::File => imp.file_group.get(),
            EntryKind::HomeDirectory => imp.home_group.get(),
        }
    }
}

/// Every entry the page lists: its kind, path and validation field.
fn shown_entries(plan: &Plan) -> Vec<(EntryKind, String, String)> {
    let persistence = &plan.persistence;
    let directories = persistence
        .directories
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            (
                EntryKind::Directory,
                entry.path.clone(),
                format!("persistence.directories[{index}]"),
            )
        });
    let files = persistence.files.iter().enumerate().map(|(index, path)| {
        (
            EntryKind::File,
            path.clone(),
            format!("persistence.files[{index}]"),
        )
    });
    let owner = plan.users.first().map(|user| user.name.as_str());
    let home = persistence
        .users
        .iter()
        .enumerate()
        .filter(|(_, home)| Some(home.user.as_str()) == owner)
        .flat_map(|(user_index, home)| {
            home.directories
                .iter()
                .enumerate()
                .map(move |(index, entry)| {
                    (
                        EntryKind::HomeDirectory,
                        entry.path.clone(),
                        format!("persistence.users[{user_index}].directories[{index}]"),
                    )
                })
        });
    directories.chain(files).chain(home).collect()
}

fn remove_entry(plan: &mut Plan, kind: EntryKind, path: &str) {
    let persistence = &mut plan.persistence;
    match kind {
        EntryKind::Directory => persistence.directories.retain(|entry| entry.path != path),
        EntryKind::File => persistence.files.retain(|file| file != path),
        EntryKind::HomeDirectory => {
            let owner = plan.users.first().map(|user| user.name.clone());
            for home in &mut persistence.users {
                if Some(&home.user) == owner.as_ref() {
                    home.directories.retain(|entry| entry.path != path);
                }
            }
            persistence
                .users
                .retain(|home| !home.directories.is_empty() || !home.files.is_empty());
        }
    }
}

fn apply_preset(plan: &mut Plan, id: &str, directories: &[&str], files: &[&str]) {
    let persistence = &mut plan.persistence;
    for path in directories {
        if !persistence
            .directories
            .iter()
            .any(|entry| entry.path == *path)
        {
            persistence.directories.push(PersistentDirectory::new(path));
        }
    }
    for path in files {
        if !persistence.files.iter().any(|file| file == path) {
            persistence.files.push((*path).to_owned());
        }
    }
    if !persistence.presets.iter().any(|preset| preset == id) {
        persistence.presets.push(id.to_owned());
    }
}
