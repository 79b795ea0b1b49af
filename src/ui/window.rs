// SPDX-License-Identifier: GPL-3.0-or-later
use std::cell::{Cell, OnceCell, RefCell};

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{
    DemoOutcome, KsApplication, KsDiskPage, KsDonePage, KsEncryptionPage, KsFailedPage,
    KsKeyboardPage, KsLayoutPage, KsPersistencePage, KsPlanModel, KsProgressPage, KsReviewPage,
    KsSoftwarePage, KsSystemPage, KsUsersPage, KsWelcomePage, KsWizardPageExt,
    confirm_stop_install,
};
use crate::config;

mod imp {
    use super::*;

    #[derive(Debug, Default, gtk::CompositeTemplate)]
    #[template(resource = "/io/github/keepsake/Keepsake/ui/window.ui")]
    pub struct KsWindow {
        #[template_child]
        pub(super) toast_overlay: TemplateChild<adw::ToastOverlay>,
        #[template_child]
        pub(super) navigation_view: TemplateChild<adw::NavigationView>,
        #[template_child]
        pub(super) welcome_page: TemplateChild<KsWelcomePage>,
        #[template_child]
        pub(super) disk_page: TemplateChild<KsDiskPage>,
        #[template_child]
        pub(super) keyboard_page: TemplateChild<KsKeyboardPage>,
        #[template_child]
        pub(super) encryption_page: TemplateChild<KsEncryptionPage>,
        #[template_child]
        pub(super) layout_page: TemplateChild<KsLayoutPage>,
        #[template_child]
        pub(super) persistence_page: TemplateChild<KsPersistencePage>,
        #[template_child]
        pub(super) system_page: TemplateChild<KsSystemPage>,
        #[template_child]
        pub(super) software_page: TemplateChild<KsSoftwarePage>,
        #[template_child]
        pub(super) users_page: TemplateChild<KsUsersPage>,
        #[template_child]
        pub(super) review_page: TemplateChild<KsReviewPage>,
        #[template_child]
        pub(super) progress_page: TemplateChild<KsProgressPage>,
        #[template_child]
        pub(super) done_page: TemplateChild<KsDonePage>,
        #[template_child]
        pub(super) failed_page: TemplateChild<KsFailedPage>,
        #[template_child]
        pub(super) review_banner: TemplateChild<adw::Banner>,
        #[template_child]
        pub(super) demo_banner: TemplateChild<adw::Banner>,
        pub(super) plan_model: OnceCell<KsPlanModel>,
        /// The pages up to the review, by tag, while the person changes a
        /// choice from the review: the way back to it.
        pub(super) review_stack: RefCell<Option<Vec<glib::GString>>>,
        /// The person closed the window during an install and chose to
        /// stop it: close once the helper has cleaned up.
        pub(super) close_when_stopped: Cell<bool>,
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsWindow {
        const NAME: &'static str = "KsWindow";
        type Type = super::KsWindow;
        type ParentType = adw::ApplicationWindow;

        fn class_init(klass: &mut Self::Class) {
            klass.bind_template();
            klass.bind_template_instance_callbacks();
            klass.install_action(
                "win.change",
                Some(glib::VariantTy::STRING),
                |window, _, tag| {
                    if let Some(tag) = tag.and_then(|tag| tag.str()) {
                        window.change(tag);
                    }
                },
            );
            klass.install_action("win.back-to-review", None, |window, _, _| {
                window.back_to_review();
            });
            klass.install_action("win.start-install", None, |window, _, _| {
                window.imp().navigation_view.push_by_tag("disk");
            });
            klass.install_action("win.install", None, |window, _, _| {
                window.start_install();
            });
            klass.install_action("win.try-again", None, |window, _, _| {
                window.imp().navigation_view.pop_to_tag("review");
            });
        }

        fn instance_init(obj: &glib::subclass::InitializingObject<Self>) {
            obj.init_template();
        }
    }

    impl ObjectImpl for KsWindow {
        fn constructed(&self) {
            self.parent_constructed();
            if config::PROFILE == "development" {
                self.obj().add_css_class("devel");
            }
            let model = self.plan_model.get_or_init(KsPlanModel::new);
            self.disk_page.set_plan_model(Some(model));
            self.keyboard_page.set_plan_model(Some(model));
            self.encryption_page.set_plan_model(Some(model));
            for page in [
                self.encryption_page.upcast_ref::<glib::Object>(),
                self.review_page.upcast_ref(),
            ] {
                self.keyboard_page
                    .bind_property("keyboard-name", page, "keyboard-name")
                    .sync_create()
                    .build();
            }
            self.layout_page.set_plan_model(Some(model));
            self.persistence_page.set_plan_model(Some(model));
            self.system_page.set_plan_model(Some(model));
            self.software_page.set_plan_model(Some(model));
            self.users_page.set_plan_model(Some(model));
            self.review_page.set_plan_model(Some(model));

            let obj = self.obj();
            // One state for every page's preview toggle: shown on one page,
            // shown on the next. Hidden at first, it is for the curious.
            let show_preview =
                gio::SimpleAction::new_stateful("show-preview", None, &false.to_variant());
            obj.add_action(&show_preview);
            self.navigation_view
                .connect_visible_page_notify(glib::clone!(
                    #[weak]
                    obj,
                    move |view| obj.follow_next_button(view.visible_page().as_ref())
                ));
            // GTK drops the default widget when a dialog takes it for its
            // responses, and when something around it is hidden for a
            // moment (a breakpoint changing the layout): take it again.
            let retake = |obj: &super::KsWindow| {
                if obj.visible_dialog().is_none() && GtkWindowExt::default_widget(obj).is_none() {
                    obj.follow_next_button(obj.imp().navigation_view.visible_page().as_ref());
                }
            };
            obj.connect_visible_dialog_notify(retake);
            obj.connect_default_widget_notify(retake);
            self.progress_page.connect_completed(glib::clone!(
                #[weak]
                obj,
                move |_| {
                    let imp = obj.imp();
                    if imp.close_when_stopped.get() {
                        obj.close();
                    } else {
                        imp.done_page.show_installed(
                            &obj.plan_model().plan(),
                            &imp.progress_page.log_text(),
                        );
                        imp.navigation_view.push_by_tag("done");
                    }
                }
            ));
            self.progress_page.connect_stopped(glib::clone!(
                #[weak]
                obj,
                move |progress, message, disk_state, kind| {
                    let imp = obj.imp();
                    imp.failed_page
                        .show_failure(kind, message, disk_state, &progress.log_text());
                    imp.navigation_view.push_by_tag("failed");
                    if imp.close_when_stopped.get() {
                        obj.close();
                    }
                }
            ));
        }
    }

    impl WidgetImpl for KsWindow {}
    impl WindowImpl for KsWindow {
        /// An install runs as root: closing the window must not leave it
        /// running unseen, so ask, stop it, and close once it has stopped.
        fn close_request(&self) -> glib::Propagation {
            if !self.progress_page.is_running() {
                return self.parent_close_request();
            }
            let obj = self.obj();
            glib::spawn_future_local(glib::clone!(
                #[weak]
                obj,
                async move { obj.confirm_close_during_install().await }
            ));
            glib::Propagation::Stop
        }
    }
    impl ApplicationWindowImpl for KsWindow {}
    impl AdwApplicationWindowImpl for KsWindow {}
}

glib::wrapper! {
    pub struct KsWindow(ObjectSubclass<imp::KsWindow>)
        @extends gtk::Widget, gtk::Window, gtk::ApplicationWindow, adw::ApplicationWindow,
        @implements gio::ActionGroup, gio::ActionMap, gtk::Accessible, gtk::Buildable,
            gtk::ConstraintTarget, gtk::Native, gtk::Root, gtk::ShortcutManager;
}

#[gtk::template_callbacks]
impl KsWindow {
    /// The banner back to the review shows on the pages between, while a
    /// choice is changed from it.
    #[template_callback]
    fn on_visible_page_changed(&self) {
        let imp = self.imp();
        let tag = imp
            .navigation_view
            .visible_page()
            .and_then(|page| page.tag())
            .unwrap_or_default();
        if tag == "review" {
            imp.review_stack.replace(None);
        }
        let on_the_way = imp
            .review_stack
            .borrow()
            .as_ref()
            .is_some_and(|stack| stack.contains(&tag));
        imp.review_banner.set_revealed(on_the_way);
    }
}

impl KsWindow {
    pub fn new(app: &KsApplication) -> Self {
        let window: Self = glib::Object::builder().property("application", app).build();
        let imp = window.imp();
        imp.demo_banner.set_revealed(app.demo());
        imp.disk_page.set_demo(app.demo());
        imp.progress_page.set_demo(app.demo());
        imp.progress_page
            .set_demo_outcome(DemoOutcome::from_variable());
        imp.done_page.set_demo(app.demo());
        window
    }

    /// Shows a short message at the bottom of the window.
    pub fn show_toast(&self, message: &str) {
        self.imp().toast_overlay.add_toast(adw::Toast::new(message));
    }

    pub fn add_toast(&self, toast: adw::Toast) {
        self.imp().toast_overlay.add_toast(toast);
    }

    pub fn navigation_view(&self) -> adw::NavigationView {
        self.imp().navigation_view.get()
    }

    /// The plan every page edits.
    pub fn plan_model(&self) -> KsPlanModel {
        self.imp()
            .plan_model
            .get()
            .expect("created in constructed")
            .clone()
    }

    async fn confirm_close_during_install(&self) {
        let stop = confirm_stop_install(
            self,
            &gettext("Stop the Installation and Close?"),
            &gettext(
                "Keepsake is installing NixOS. To close, it stops at the next safe point, unmounts and locks what it set up, then closes. If the disk was already erased, it will not start until you install again.",
            ),
            &gettext("_Stop and Close"),
        )
        .await;
        if stop {
            let imp = self.imp();
            if imp.progress_page.is_running() {
                imp.close_when_stopped.set(true);
                imp.progress_page.cancel();
            } else {
                self.close();
            }
        }
    }

    /// Makes the page's Next the window's default widget, so Enter in a
    /// field that activates the default goes on, while Next is sensitive
    /// (GTK passes over an insensitive default). Every page that goes on
    /// with Next names that button `next`; the review's install button is
    /// not one, Enter must not erase a disk.
    fn follow_next_button(&self, page: Option<&adw::NavigationPage>) {
        let next = page.and_then(|page| named_descendant(page.upcast_ref(), "next"));
        self.set_default_widget(next.as_ref());
    }

    /// Goes from the review back to the page tagged `tag`, keeping the way
    /// back; a page that is not on the way there opens above the review.
    fn change(&self, tag: &str) {
        let imp = self.imp();
        let view = &imp.navigation_view;
        let stack: Vec<glib::GString> = view
            .navigation_stack()
            .iter::<adw::NavigationPage>()
            .filter_map(|page| page.ok().and_then(|page| page.tag()))
            .collect();
        let Some(review) = stack.iter().position(|page| page == "review") else {
            return;
        };
        if stack[..review].iter().any(|page| page == tag) {
            imp.review_stack.replace(Some(stack[..=review].to_vec()));
            view.pop_to_tag(tag);
        } else {
            view.push_by_tag(tag);
        }
    }

    /// Back to the review with the pages before it as they were, so its
    /// Back button still leads through them.
    fn back_to_review(&self) {
        let imp = self.imp();
        let Some(stack) = imp.review_stack.take() else {
            return;
        };
        let tags: Vec<&str> = stack.iter().map(glib::GString::as_str).collect();
        imp.navigation_view.replace_with_tags(&tags);
    }

    fn start_install(&self) {
        let imp = self.imp();
        imp.navigation_view.push_by_tag("progress");
        imp.progress_page.start(self.plan_model().plan());
    }
}

fn named_descendant(widget: &gtk::Widget, name: &str) -> Option<gtk::Widget> {
    if widget.widget_name() == name {
        return Some(widget.clone());
    }
    let mut child = widget.first_child();
    while let Some(current) = child {
        if let Some(found) = named_descendant(&current, name) {
            return Some(found);
        }
        child = current.next_sibling();
    }
    None
}
