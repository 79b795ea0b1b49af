// SPDX-License-Identifier: GPL-3.0-or-later
//! The abstract base of the wizard's form pages: it owns the `plan-model`
//! property and the one handler that follows the model's changes, hands the
//! model to the page's Nix preview, and keeps the page's Next button
//! sensitive exactly while the page is complete.
//!
//! A page implements [`KsWizardPageImpl`]: `sync` shows the plan in its
//! widgets and says whether Next may go on. The handler is
//! disconnected when the model is replaced and when the page is disposed,
//! so a page that is gone leaves nothing behind on the window's model.

use std::cell::RefCell;

use adw::prelude::*;
use adw::subclass::prelude::*;
use gtk::glib;

use super::{KsNixPreview, KsPlanModel};

mod imp {
    use super::*;

    /// The class structure: the virtual methods a page overrides.
    #[repr(C)]
    pub struct KsWizardPageClass {
        parent_class: adw::ffi::AdwNavigationPageClass,
        pub(super) plan_model_set: fn(&super::KsWizardPage, Option<&KsPlanModel>),
        pub(super) sync: fn(&super::KsWizardPage, &KsPlanModel) -> bool,
    }

    // Sound: the structure is `repr(C)` and starts with the parent's class
    // structure, as GObject requires of a class structure.
    #[allow(unsafe_code)]
    unsafe impl ClassStruct for KsWizardPageClass {
        type Type = KsWizardPage;
    }

    #[derive(Debug, Default, glib::Properties)]
    #[properties(wrapper_type = super::KsWizardPage)]
    pub struct KsWizardPage {
        #[property(get, set = Self::set_plan_model, nullable)]
        plan_model: RefCell<Option<KsPlanModel>>,
        /// The button that goes on; each page's template sets it.
        #[property(get, set = Self::set_next_button, nullable)]
        next_button: RefCell<Option<gtk::Button>>,
        /// The page's preview of the file it changes, if it has one; each
        /// page's template sets it.
        #[property(get, set = Self::set_preview, nullable)]
        preview: RefCell<Option<KsNixPreview>>,
        changed_handler: RefCell<Option<(KsPlanModel, glib::SignalHandlerId)>>,
    }

    impl KsWizardPage {
        fn set_plan_model(&self, model: Option<KsPlanModel>) {
            self.disconnect_model();
            self.plan_model.replace(model.clone());
            if let Some(preview) = &*self.preview.borrow() {
                preview.set_plan_model(model.as_ref());
            }
            let page = self.obj();
            (page.class().as_ref().plan_model_set)(&page, model.as_ref());
            if let Some(model) = model {
                let handler = model.connect_changed(glib::clone!(
                    #[weak]
                    page,
                    move |model| page.refresh(model)
                ));
                self.changed_handler.replace(Some((model.clone(), handler)));
                page.refresh(&model);
            }
        }

        fn set_next_button(&self, button: Option<gtk::Button>) {
            self.next_button.replace(button);
            if let Some(model) = self.obj().plan_model() {
                self.obj().refresh(&model);
            }
        }

        fn set_preview(&self, preview: Option<KsNixPreview>) {
            if let Some(preview) = &preview {
                preview.set_plan_model(self.plan_model.borrow().as_ref());
            }
            self.preview.replace(preview);
        }

        fn disconnect_model(&self) {
            if let Some((model, handler)) = self.changed_handler.take() {
                model.disconnect(handler);
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsWizardPage {
        const NAME: &'static str = "KsWizardPage";
        const ABSTRACT: bool = true;
        type Type = super::KsWizardPage;
        type ParentType = adw::NavigationPage;
        type Class = KsWizardPageClass;

        fn class_init(klass: &mut Self::Class) {
            klass.plan_model_set = |_, _| {};
            klass.sync = |_, _| true;
        }
    }

    #[glib::derived_properties]
    impl ObjectImpl for KsWizardPage {
        fn dispose(&self) {
            self.disconnect_model();
        }
    }

    impl WidgetImpl for KsWizardPage {}
    impl NavigationPageImpl for KsWizardPage {}
}

glib::wrapper! {
    // Nearest ancestor first: the class chain of the pages that derive
    // from this one follows that order.
    pub struct KsWizardPage(ObjectSubclass<imp::KsWizardPage>)
        @extends adw::NavigationPage, gtk::Widget,
        @implements gtk::Accessible, gtk::Buildable, gtk::ConstraintTarget;
}

impl KsWizardPage {
    fn refresh(&self, model: &KsPlanModel) {
        let complete = (self.class().as_ref().sync)(self, model);
        if let Some(next) = self.next_button() {
            next.set_sensitive(complete);
        }
    }
}

/// What a wizard page overrides.
pub trait KsWizardPageImpl: NavigationPageImpl + ObjectSubclass<Type: IsA<KsWizardPage>> {
    /// Called when the page gets its model, before the first `sync`: the
    /// place to adopt what the live session uses.
    fn plan_model_set(&self, _model: Option<&KsPlanModel>) {}

    /// Shows the plan in the page's widgets, at every change, and returns
    /// whether the plan is complete as far as this page goes (Next follows
    /// it). One method, because the page's messages and its completeness
    /// come from the same look at the plan.
    fn sync(&self, model: &KsPlanModel) -> bool;
}

/// The implementation behind a wizard page's object.
fn imp_of<T: KsWizardPageImpl>(page: &KsWizardPage) -> &T {
    let page = page
        .downcast_ref::<T::Type>()
        .expect("a class's virtual method is called on an instance of it");
    T::from_obj(page)
}

// Sound: the virtual methods are set on the class of `T` only, so they are
// called with instances of `T`.
#[allow(unsafe_code)]
unsafe impl<T: KsWizardPageImpl> IsSubclassable<T> for KsWizardPage {
    fn class_init(class: &mut glib::Class<Self>) {
        Self::parent_class_init::<T>(class.upcast_ref_mut());
        let klass = class.as_mut();
        klass.plan_model_set = |page, model| imp_of::<T>(page).plan_model_set(model);
        klass.sync = |page, model| imp_of::<T>(page).sync(model);
    }
}

/// The base's methods on every wizard page.
pub trait KsWizardPageExt: IsA<KsWizardPage> {
    /// The window's plan, once the page has it.
    fn plan_model(&self) -> Option<KsPlanModel> {
        self.upcast_ref::<KsWizardPage>().plan_model()
    }

    fn set_plan_model(&self, model: Option<&KsPlanModel>) {
        self.upcast_ref::<KsWizardPage>().set_plan_model(model);
    }

    /// Shows the plan again and updates Next, for a change the model does
    /// not see (a field that is not in the plan yet).
    fn refresh_page(&self) {
        let page = self.upcast_ref::<KsWizardPage>();
        if let Some(model) = page.plan_model() {
            page.refresh(&model);
        }
    }
}

impl<T: IsA<KsWizardPage>> KsWizardPageExt for T {}
