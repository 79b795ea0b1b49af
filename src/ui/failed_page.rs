// SPDX-License-Identifier: GPL-3.0-or-later
//! Page 10 after a failure: what went wrong, what the disk holds now, the
//! log, and the way back to the review.

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::glib;

use super::{StopKind, copy_log, save_log};

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/failed-page.ui")]
    pub struct KsFailedPage {
        #[template_child]
        pub(super) status_page: TemplateChild<adw::StatusPage>,
        #[template_child]
        pub(super) disk_state_label: TemplateChild<gtk::Label>,
        #[template_child]
        pub(super) log_view: TemplateChild<gtk::TextView>,
        #[template_child]
        pub(super) log_scroller: TemplateChild<gtk::ScrolledWindow>,
        #[template_child]
        pub(super) copy_log_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) save_log_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) try_again_button: TemplateChild<gtk::Button>,
        #[template_child]
        pub(super) toasts: TemplateChild<adw::ToastOverlay>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsFailedPage {
        const NAME: &'static str = "KsFailedPage";
        type Type = super::KsFailedPage;
        type ParentType = adw::NavigationPage;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.install_action("failed.copy-log", None, |page, _, _| {
                copy_log(page, &page.log_text(), &page.imp().toasts);
            });
            klass.install_action_async("failed.save-log", None, |page, _, _| async move {
                save_log(&page, page.log_text(), &page.imp().toasts).await;
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsFailedPage {}
    impl WidgetImpl for KsFailedPage {}
    impl NavigationPageImpl for KsFailedPage {
        /// The way on, rather than the selectable disk-state sentence,
        /// which would otherwise take the focus and show selected. After
        /// the navigation view has placed its own focus.
        fn shown(&self) {
            self.parent_shown();
            // The focus goes to Try Again, whose name does not say what
            // went wrong.
            if let Some(message) = self.status_page.description() {
                self.obj()
                    .announce(&message, gtk::AccessibleAnnouncementPriority::High);
            }
            let button = self.try_again_button.get();
            let label = self.disk_state_label.get();
            glib::idle_add_local_once(move || {
                button.grab_focus();
                label.select_region(0, 0);
            });
        }
    }
}

glib::wrapper! {
    pub struct KsFailedPage(ObjectSubclass<imp::KsFailedPage>)
        @extends gtk::Widget, adw::NavigationPage,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsFailedPage {
    /// Shows why the install stopped and the one sentence about the disk.
    pub fn show_failure(&self, kind: StopKind, message: &str, disk_state: &str, log: &str) {
        let imp = self.imp();
        let (title, icon) = match kind {
            StopKind::Failed => (gettext("Installation Failed"), "dialog-error-symbolic"),
            StopKind::Cancelled => (gettext("Installation Stopped"), "process-stop-symbolic"),
            StopKind::NotAuthorised => (
                gettext("Installation Not Started"),
                "dialog-password-symbolic",
            ),
        };
        self.set_title(&title);
        imp.status_page.set_title(&title);
        imp.status_page.set_icon_name(Some(icon));
        imp.status_page.set_description(Some(message));
        imp.disk_state_label.set_label(disk_state);
        imp.log_view.buffer().set_text(log);
        // A refused password ends before anything is logged.
        let logged = !log.trim().is_empty();
        for widget in [
            imp.log_scroller.upcast_ref::<gtk::Widget>(),
            imp.copy_log_button.upcast_ref(),
            imp.save_log_button.upcast_ref(),
        ] {
            widget.set_visible(logged);
        }
    }

    /// The log as it was when the install stopped.
    pub fn log_text(&self) -> String {
        let buffer = self.imp().log_view.buffer();
        buffer
            .text(&buffer.start_iter(), &buffer.end_iter(), false)
            .into()
    }

    pub fn disk_state(&self) -> String {
        self.imp().disk_state_label.label().into()
    }
}
