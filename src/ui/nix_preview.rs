// SPDX-License-Identifier: GPL-3.0-or-later
//! One generated Nix file, highlighted, redrawn whenever the plan changes.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;
use sourceview5::prelude::*;

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
        pub(super) view: TemplateChild<sourceview5::View>,
        /// The generated file to show, for example `storage.nix`.
        #[property(get, set = Self::set_file_name)]
        pub(super) file_name: RefCell<String>,
        #[property(get, set = Self::set_plan_model, nullable)]
        pub(super) plan_model: RefCell<Option<KsPlanModel>>,
        pub(super) changed_handler: RefCell<Option<glib::SignalHandlerId>>,
    }

    impl KsNixPreview {
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
        fn constructed(&self) {
            self.parent_constructed();
            let buffer = self
                .view
                .buffer()
                .downcast::<sourceview5::Buffer>()
                .expect("a GtkSourceView has a GtkSourceBuffer");
            buffer.set_language(nix_language().as_ref());
            // Code reads left to right in every locale.
            self.view.set_direction(gtk::TextDirection::Ltr);
            super::super::follow_dark_scheme(&buffer);
        }

        fn dispose(&self) {
            self.dispose_template();
        }
    }

    impl WidgetImpl for KsNixPreview {}
    impl BinImpl for KsNixPreview {}
}

glib::wrapper! {
    pub struct KsNixPreview(ObjectSubclass<imp::KsNixPreview>)
        @extends gtk::Widget, adw::Bin,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsNixPreview {
    /// The text shown now.
    pub fn text(&self) -> String {
        let buffer = self.imp().view.buffer();
        buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .into()
    }

    fn reload(&self) {
        let Some(model) = self.plan_model() else {
            return;
        };
        let text = model.rendered_file(&self.file_name());
        let buffer = self.imp().view.buffer();
        // Setting equal text would still restart highlighting and lose the
        // scroll position.
        if self.text() != text {
            buffer.set_text(&text);
        }
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
