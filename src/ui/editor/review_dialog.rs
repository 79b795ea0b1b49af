// SPDX-License-Identifier: GPL-3.0-or-later
//! "Review…": the pending changes as a unified diff of the person's file,
//! the choice between switching now and at the next boot, and Apply.

use std::sync::OnceLock;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;
use gtk::glib::subclass::Signal;
use sourceview5::prelude::*;

use super::KsEditorModel;
use crate::apply::Activation;
use crate::i18n::{isolate, ngettext_f};
use crate::ui::follow_dark_scheme;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/review-dialog.ui")]
    pub struct KsReviewDialog {
        #[template_child]
        pub(super) summary_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) diff_view: TemplateChild<sourceview5::View>,
        #[template_child]
        pub(super) boot_check: TemplateChild<gtk::CheckButton>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsReviewDialog {
        const NAME: &'static str = "KsReviewDialog";
        type Type = super::KsReviewDialog;
        type ParentType = adw::Dialog;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("review.apply", None, |dialog, _, _| {
                let boot = dialog.imp().boot_check.is_active();
                dialog.close();
                dialog.emit_by_name::<()>("apply", &[&boot]);
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsReviewDialog {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| {
                vec![
                    Signal::builder("apply")
                        .param_types([bool::static_type()])
                        .build(),
                ]
            })
        }

        fn constructed(&self) {
            self.parent_constructed();
            let buffer = self
                .diff_view
                .buffer()
                .downcast::<sourceview5::Buffer>()
                .expect("a GtkSourceView has a GtkSourceBuffer");
            buffer.set_language(
                sourceview5::LanguageManager::default()
                    .language("diff")
                    .as_ref(),
            );
            // A diff reads left to right in every locale.
            self.diff_view.set_direction(gtk::TextDirection::Ltr);
            follow_dark_scheme(&buffer);
        }

        fn dispose(&self) {
            self.dispose_template();
        }
    }
    impl WidgetImpl for KsReviewDialog {}
    impl AdwDialogImpl for KsReviewDialog {}
}

glib::wrapper! {
    pub struct KsReviewDialog(ObjectSubclass<imp::KsReviewDialog>)
        @extends gtk::Widget, adw::Dialog,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsReviewDialog {
    pub fn new(model: &KsEditorModel) -> Self {
        let dialog: Self = glib::Object::new();
        let imp = dialog.imp();
        let (count, file, diff) = model.with_state(|state| {
            (
                state.edits().len(),
                state.file().display().to_string(),
                state.diff(),
            )
        });
        imp.summary_label.set_label(&ngettext_f(
            "{n} change to {file}. Nothing is written until you apply.",
            "{n} changes to {file}. Nothing is written until you apply.",
            u32::try_from(count).unwrap_or(u32::MAX),
            &[("file", &isolate(&file))],
        ));
        imp.diff_view.buffer().set_text(&diff);
        dialog
    }

    /// The diff shown.
    pub fn diff_text(&self) -> String {
        let buffer = self.imp().diff_view.buffer();
        buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .into()
    }

    pub fn connect_apply<F: Fn(&Self, Activation) + 'static>(
        &self,
        callback: F,
    ) -> glib::SignalHandlerId {
        self.connect_local("apply", false, move |values| {
            let dialog = values[0]
                .get::<Self>()
                .expect("emitted by a KsReviewDialog");
            let boot = values[1].get::<bool>().unwrap_or(false);
            callback(
                &dialog,
                if boot {
                    Activation::Boot
                } else {
                    Activation::Switch
                },
            );
            None
        })
    }
}
