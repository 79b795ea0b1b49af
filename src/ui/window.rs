// SPDX-License-Identifier: GPL-3.0-or-later
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gettextrs::gettext;
use gtk::{gio, glib};

use super::{
    DemoOutcome, KsApplication, KsDiskPage, KsDonePage, KsEncryptionPage, KsFailedPage,
    KsKeyboardPage, KsLayoutPage, KsPersistencePage, KsPlanModel, KsProgressPage, KsReviewPage,
    KsSoftwarePage, KsSystemPage, KsUsersPage, KsWelcomePage, KsWizardPage, KsWizardPageExt,
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
        pub(super) review_banner: TemplateChild<adw::Banner>,
        #[template_child]
        pub(super) demo_banner: TemplateChild<adw::Banner>,
        pub(super) plan_model: OnceCell<KsPlanModel>,
        /// Simulated disks and install.
        pub(super) demo: Cell<bool>,
        /// How many of the pages after the welcome page exist: they are
        /// built after the first frame, one per turn of the main loop, or
        /// all at once when one is needed sooner.
        pub(super) pages_built: Cell<usize>,
        pub(super) pages_scheduled: Cell<bool>,
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
                window.ensure_pages();
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
            self.plan_model.get_or_init(KsPlanModel::new);

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
        }
    }

    impl WidgetImpl for KsWindow {
        fn map(&self) {
            self.parent_map();
            self.obj().build_pages_after_first_frame();
        }
    }
    impl WindowImpl for KsWindow {
        /// An install runs as root: closing the window must not leave it
        /// running unseen, so ask, stop it, and close once it has stopped.
        fn close_request(&self) -> glib::Propagation {
            if !self.obj().is_installing() {
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
        imp.demo.set(app.demo());
        imp.demo_banner.set_revealed(app.demo());
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
            if self.is_installing() {
                self.imp().close_when_stopped.set(true);
                self.page::<KsProgressPage>("progress").cancel();
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

    /// Whether an install is running (the progress page exists by then).
    fn is_installing(&self) -> bool {
        self.imp()
            .navigation_view
            .find_page("progress")
            .and_downcast::<KsProgressPage>()
            .is_some_and(|progress| progress.is_running())
    }

    /// The page tagged `tag`, built first if the pages are not all there.
    fn page<T: IsA<adw::NavigationPage>>(&self, tag: &str) -> T {
        self.ensure_pages();
        self.imp()
            .navigation_view
            .find_page(tag)
            .and_downcast()
            .expect("ensure_pages builds every page of the wizard")
    }

    /// Builds every page not built yet: before the wizard leaves the
    /// welcome page, and for tests that look at all of them.
    pub fn ensure_pages(&self) {
        while self.build_next_page() {}
    }

    /// The welcome page is all the first frame needs: the other pages are
    /// built once it is drawn, one per turn of the main loop, so none of
    /// those turns keeps the window from answering for long.
    fn build_pages_after_first_frame(&self) {
        let imp = self.imp();
        if imp.pages_scheduled.replace(true) {
            return;
        }
        let Some(clock) = self.frame_clock() else {
            self.ensure_pages();
            return;
        };
        let handler: Rc<Cell<Option<glib::SignalHandlerId>>> = Rc::default();
        let id = clock.connect_after_paint(glib::clone!(
            #[weak(rename_to = window)]
            self,
            #[strong]
            handler,
            move |clock| {
                if let Some(id) = handler.take() {
                    clock.disconnect(id);
                }
                glib::idle_add_local(glib::clone!(
                    #[weak]
                    window,
                    #[upgrade_or]
                    glib::ControlFlow::Break,
                    move || {
                        if window.build_next_page() {
                            glib::ControlFlow::Continue
                        } else {
                            glib::ControlFlow::Break
                        }
                    }
                ));
            }
        ));
        handler.set(Some(id));
    }

    /// Builds the next page in the wizard's order, connects it to the plan
    /// and to the pages before it, and adds it to the navigation view;
    /// false once every page is there.
    fn build_next_page(&self) -> bool {
        let imp = self.imp();
        let model = self.plan_model();
        let page: adw::NavigationPage = match imp.pages_built.get() {
            0 => {
                let page: KsDiskPage = glib::Object::new();
                page.set_demo(imp.demo.get());
                page.set_plan_model(Some(&model));
                page.upcast()
            }
            1 => self.built_wizard_page::<KsKeyboardPage>(&model),
            2 => {
                let page = self.built_wizard_page::<KsEncryptionPage>(&model);
                self.follow_keyboard_name(&page);
                page
            }
            3 => self.built_wizard_page::<KsLayoutPage>(&model),
            4 => self.built_wizard_page::<KsPersistencePage>(&model),
            5 => self.built_wizard_page::<KsSystemPage>(&model),
            6 => self.built_wizard_page::<KsSoftwarePage>(&model),
            7 => self.built_wizard_page::<KsUsersPage>(&model),
            8 => {
                let page = self.built_wizard_page::<KsReviewPage>(&model);
                self.follow_keyboard_name(&page);
                page
            }
            9 => self.built_progress_page().upcast(),
            10 => {
                let page: KsDonePage = glib::Object::new();
                page.set_demo(imp.demo.get());
                page.upcast()
            }
            11 => glib::Object::new::<KsFailedPage>().upcast(),
            _ => return false,
        };
        imp.navigation_view.add(&page);
        imp.pages_built.set(imp.pages_built.get() + 1);
        true
    }

    fn built_wizard_page<T>(&self, model: &KsPlanModel) -> adw::NavigationPage
    where
        T: IsA<KsWizardPage> + IsA<adw::NavigationPage> + IsA<glib::Object> + glib::object::IsClass,
    {
        let page: T = glib::Object::new();
        page.set_plan_model(Some(model));
        page.upcast()
    }

    /// The keyboard page's name for the chosen layout, on `page` (the
    /// passphrase is typed with it at boot).
    fn follow_keyboard_name(&self, page: &adw::NavigationPage) {
        let keyboard = self
            .imp()
            .navigation_view
            .find_page("keyboard")
            .expect("the keyboard page is built before the pages that name it");
        keyboard
            .bind_property("keyboard-name", page, "keyboard-name")
            .sync_create()
            .build();
    }

    fn built_progress_page(&self) -> KsProgressPage {
        let progress: KsProgressPage = glib::Object::new();
        progress.set_demo(self.imp().demo.get());
        progress.set_demo_outcome(DemoOutcome::from_variable());
        progress.connect_completed(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |progress| {
                let imp = window.imp();
                if imp.close_when_stopped.get() {
                    window.close();
                } else {
                    window
                        .page::<KsDonePage>("done")
                        .show_installed(&window.plan_model().plan(), &progress.log_text());
                    imp.navigation_view.push_by_tag("done");
                }
            }
        ));
        progress.connect_stopped(glib::clone!(
            #[weak(rename_to = window)]
            self,
            move |progress, message, disk_state, kind| {
                let imp = window.imp();
                window.page::<KsFailedPage>("failed").show_failure(
                    kind,
                    message,
                    disk_state,
                    &progress.log_text(),
                );
                imp.navigation_view.push_by_tag("failed");
                if imp.close_when_stopped.get() {
                    window.close();
                }
            }
        ));
        progress
    }

    fn start_install(&self) {
        let imp = self.imp();
        imp.navigation_view.push_by_tag("progress");
        self.page::<KsProgressPage>("progress")
            .start(self.plan_model().plan());
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
