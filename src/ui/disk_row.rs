// SPDX-License-Identifier: GPL-3.0-or-later
//! One disk of the disk page: its name, size, device and by-id name, its
//! partitions, and why it is refused or what erasing it would erase. A
//! refused disk stays readable and reachable by keyboard: only its check
//! button is insensitive, and its reasons are at full contrast beside an
//! icon and in its accessible description.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use crate::disks::{Disk, format_size, installed_systems};
use crate::i18n::{gettext_f, isolate};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/disk-row.ui")]
    pub struct KsDiskRow {
        #[template_child]
        pub(super) check_button: TemplateChild<gtk::CheckButton>,
        #[template_child]
        pub(super) title_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) details_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) by_id_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) lines_box: TemplateChild<gtk::Box>,
        #[template_child]
        pub(super) drive_icon: TemplateChild<gtk::Image>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsDiskRow {
        const NAME: &'static str = "KsDiskRow";
        type Type = super::KsDiskRow;
        type ParentType = adw::PreferencesRow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsDiskRow {}
    impl WidgetImpl for KsDiskRow {}
    impl ListBoxRowImpl for KsDiskRow {}
    impl PreferencesRowImpl for KsDiskRow {}
}

glib::wrapper! {
    pub struct KsDiskRow(ObjectSubclass<imp::KsDiskRow>)
        @extends gtk::Widget, gtk::ListBoxRow, adw::PreferencesRow,
        @implements gtk::Accessible, gtk::Actionable, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsDiskRow {
    pub fn new(disk: &Disk) -> Self {
        let row: Self = glib::Object::builder()
            .property("title", disk.display_name())
            .property("activatable", disk.is_usable())
            .build();
        row.show(disk);
        row
    }

    /// The button that chooses this disk; insensitive when it is refused.
    pub fn check_button(&self) -> gtk::CheckButton {
        self.imp().check_button.get()
    }

    fn show(&self, disk: &Disk) {
        let imp = self.imp();
        self.set_widget_name(&format!("disk:{}", disk.device));
        imp.title_label.set_label(&disk.display_name());
        let mut details = vec![format_size(disk.size), disk.device.clone()];
        if !disk.serial.is_empty() {
            details.push(disk.serial.clone());
        }
        imp.details_label.set_label(&details.join(" · "));
        if let Some(by_id) = &disk.by_id {
            imp.by_id_label.set_label(by_id);
            imp.by_id_label.set_tooltip_text(Some(by_id));
            imp.by_id_label.set_visible(true);
        }
        for partition in &disk.partitions {
            let mut contents = partition.contents();
            if contents.is_empty() {
                contents = gettext("Unknown contents");
            }
            // Translators: {number} is the partition number, {size} such as “512 MB”, {contents} what is on it, such as “ext4 · home” (file system and label) or “Unknown contents”.
            let line = gettext_f(
                "Partition {number}, {size}: {contents}",
                &[
                    ("number", &partition.number.to_string()),
                    ("size", &isolate(&format_size(partition.size))),
                    ("contents", &isolate(&contents)),
                ],
            );
            imp.lines_box
                .append(&line_label(&line, &["dim-label", "caption"]));
        }
        let mut notes = Vec::new();
        for (index, reason) in disk.verdict.reasons().iter().enumerate() {
            let message = reason.message();
            let note = note_line(&message, "action-unavailable-symbolic", &[]);
            note.set_widget_name(&format!("disk-reason-{index}:{}", disk.device));
            imp.lines_box.append(&note);
            notes.push(message);
        }
        for system in installed_systems(disk) {
            let message = system.erase_warning();
            let note = note_line(&message, "dialog-warning-symbolic", &["warning"]);
            note.set_widget_name(&format!("disk-warning:{}", disk.device));
            imp.lines_box.append(&note);
            notes.push(message);
        }
        let check = &imp.check_button;
        check.set_sensitive(disk.is_usable());
        check.set_widget_name(&format!("disk-choice:{}", disk.device));
        if disk.removable || disk.connection_bus == "usb" {
            imp.drive_icon
                .set_icon_name(Some("drive-removable-media-symbolic"));
        }
        self.update_property(&[gtk::accessible::Property::Label(&disk.display_name())]);
        let mut description = details.join(", ");
        for note in &notes {
            description.push_str(". ");
            description.push_str(note);
        }
        self.update_property(&[gtk::accessible::Property::Description(&description)]);
        // The check button is what the keyboard focuses: a screen reader
        // there must hear which disk it is (size, device) and why it is
        // refused.
        check.update_property(&[gtk::accessible::Property::Description(&description)]);
    }
}

fn line_label(text: &str, classes: &[&str]) -> gtk::Label {
    let label = gtk::Label::builder()
        .label(text)
        .wrap(true)
        .wrap_mode(gtk::pango::WrapMode::WordChar)
        .xalign(0.0)
        .build();
    for class in classes {
        label.add_css_class(class);
    }
    label
}

/// A reason or warning: an icon that says which, then the sentence.
fn note_line(text: &str, icon: &str, classes: &[&str]) -> gtk::Box {
    let line = gtk::Box::builder().spacing(6).build();
    let image = gtk::Image::from_icon_name(icon);
    image.set_valign(gtk::Align::Start);
    line.append(&image);
    line.append(&line_label(text, classes));
    for class in classes {
        image.add_css_class(class);
    }
    line
}
