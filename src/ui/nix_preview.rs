// SPDX-License-Identifier: GPL-3.0-or-later
//! One generated Nix file, highlighted, redrawn whenever the plan changes.
//! The highlighted view is made when the preview is first mapped.

use std::cell::{Cell, OnceCell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;
use sourceview5::prelude::*;

use gettextrs::gettext;

use super::KsPlanModel;

/// Where `data/nix.lang` is in the GResource.
const LANGUAGE_SPECS: &str = "resource:///io/github/keepsake/Keepsake/language-specs";

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate, glib::Properties)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/nix-preview.ui")]
    #[properties(wrapper_type = super::KsNixPreview)]
    pub struct KsNixPreview {
        #[template_child]
        pub(super) scrolled_window: TemplateChild<gtk::ScrolledWindow>,
        pub(super) view: OnceCell<sourceview5::View>,
        /// The file as rendered now, shown or not.
        pub(super) text: RefCell<String>,
        /// The generated file to show, for example `storage.nix`.
        #[property(get, set = Self::set_file_name)]
        pub(super) file_name: RefCell<String>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        pub(super) changed_handler: RefCell<Option<glib::SignalHandlerId>>,
        /// Shows the whole file at its full height instead of scrolling in
        /// it: for a preview inside a page that scrolls itself, where a
        /// scroller in a scroller traps the wheel and the touchpad.
        #[property(get, set = Self::set_whole_file)]
        pub(super) whole_file: Cell<bool>,
    }

    impl KsNixPreview {
        fn set_whole_file(&self, whole: bool) {
            self.whole_file.set(whole);
            self.scrolled_window.set_vscrollbar_policy(if whole {
                gtk::PolicyType::Never
            } else {
                gtk::PolicyType::Automatic
            });
        }

        fn set_file_name(&self, name: String) {
            self.file_name.replace(name);
            self.obj().reload();
        }

        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            if let (Some(old), Some(handler)) =
                (self.plan_model.take(), self.changed_handler.take())
            {
                old.disconnect(handler);
            }
            if let Some(model) = &model {
                let handler = model.connect_changed(glib::clone!(
                    #[weak(rename_to = preview)]
                    self.obj(),
                    move |_| preview.reload()
                ));
                self.changed_handler.replace(Some(handler));
            }
            self.plan_model.replace(model);
            self.obj().reload();
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsNixPreview {
        const NAME: &'static str = "KsNixPreview";
        type Type = super::KsNixPreview;
        type ParentType = adw::Bin;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsNixPreview {
        fn dispose(&self) {
            // A preview that is gone must not leave its handler on the
            // window's model.
            if let (Some(model), Some(handler)) =
                (self.plan_model.take(), self.changed_handler.take())
            {
                model.disconnect(handler);
            }
            crate::ui::dispose_bin_template(self);
        }
    }

    impl WidgetImpl for KsNixPreview {
        fn map(&self) {
            self.parent_map();
            if self.view.get().is_none() {
                let view = self.make_view();
                view.buffer().set_text(&self.text.borrow());
                self.view.set(view).expect("made once");
            }
        }
    }

    impl KsNixPreview {
        fn make_view(&self) -> sourceview5::View {
            let buffer = sourceview5::Buffer::new(None);
            buffer.set_language(nix_language().as_ref());
            super::super::follow_dark_scheme(&buffer);
            let view = sourceview5::View::builder()
                .buffer(&buffer)
                .editable(false)
                .cursor_visible(false)
                .monospace(true)
                .wrap_mode(gtk::WrapMode::WordChar)
                .top_margin(12)
                .bottom_margin(12)
                .left_margin(12)
                .right_margin(12)
                .accessible_role(gtk::AccessibleRole::TextBox)
                .build();
            // Code reads left to right in every locale; the scrolled window
            // too, or in a right-to-left locale it keeps the view's start
            // out of sight.
            view.set_direction(gtk::TextDirection::Ltr);
            self.scrolled_window.set_direction(gtk::TextDirection::Ltr);
            view.add_css_class("nix-preview");
            view.update_property(&[gtk::accessible::Property::Label(&gettext(
                "Generated Nix configuration",
            ))]);
            self.scrolled_window.set_child(Some(&view));
            view
        }
    }

    impl BinImpl for KsNixPreview {}
}

glib::wrapper! {
    pub struct KsNixPreview(ObjectSubclass<imp::KsNixPreview>)
        @extends gtk::Widget, adw::Bin,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsNixPreview {
    /// The file as rendered now, whether it is shown or not.
    pub fn text(&self) -> String {
        self.imp().text.borrow().clone()
    }

    fn reload(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let text = model.rendered_file(&self.file_name());
        let imp = self.imp();
        // Setting equal text would still restart highlighting and lose the
        // scroll position.
        if *imp.text.borrow() == text {
            return;
        }
        if let Some(view) = imp.view.get() {
            view.buffer().set_text(&text);
        }
        imp.text.replace(text);
    }
}

/// The Nix language shipped in the GResource; GtkSourceView has none.
fn nix_language() -> Option<sourceview5::Language> {
    let manager = sourceview5::LanguageManager::default();
    let mut paths: Vec<glib::GString> = manager.search_path().into_iter().collect();
    if !paths.iter().any(|path| path == LANGUAGE_SPECS) {
        paths.push(LANGUAGE_SPECS.into());
        let paths: Vec<&str> = paths.iter().map(|path| path.as_str()).collect();
        manager.set_search_path(&paths);
    }
    manager.language("nix")
}
