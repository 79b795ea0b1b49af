// SPDX-License-Identifier: GPL-3.0-or-later
//! The one plan the whole wizard edits. Pages change it through
//! [`KsPlanModel::update`] and redraw themselves on `changed`; nothing else
//! holds a copy of the choices.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use adw::subclass::prelude::*;
use gtk::glib;
use gtk::glib::subclass::Signal;
use gtk::prelude::*;

use crate::disks::Disk;
use crate::nix::{self, DiskIds, GeneratedFile};
use crate::plan::{Password, Plan, User, ValidationError};

/// Shown in the preview instead of a hash that does not exist yet: clear
/// passwords are only hashed when the plan is installed or exported.
const PREVIEW_HASH: &str = "$y$preview$hashed-when-installing";

mod imp {
    use super::*;

    #[derive(Debug)]
    pub struct KsPlanModel {
        pub(super) plan: RefCell<Plan>,
        /// The first problem of every field path, rebuilt at each change.
        pub(super) problems: RefCell<HashMap<String, String>>,
        pub(super) all_problems: RefCell<Vec<ValidationError>>,
        /// Rendered lazily: pages that are not visible do not need it.
        pub(super) rendered: RefCell<Option<Vec<GeneratedFile>>>,
        /// What UDisks said about the chosen disk, for the review page.
        pub(super) disk_details: RefCell<Option<Disk>>,
    }

    impl Default for KsPlanModel {
        fn default() -> Self {
            Self {
                plan: RefCell::new(Plan::example()),
                problems: RefCell::default(),
                all_problems: RefCell::default(),
                rendered: RefCell::default(),
                disk_details: RefCell::default(),
            }
        }
    }

    #[glib::object_subclass]
    impl ObjectSubclass for KsPlanModel {
        const NAME: &'static str = "KsPlanModel";
        type Type = super::KsPlanModel;
    }

    impl ObjectImpl for KsPlanModel {
        fn signals() -> &'static [Signal] {
            static SIGNALS: OnceLock<Vec<Signal>> = OnceLock::new();
            SIGNALS.get_or_init(|| vec![Signal::builder("changed").build()])
        }
    }
}

glib::wrapper! {
    pub struct KsPlanModel(ObjectSubclass<imp::KsPlanModel>);
}

impl Default for KsPlanModel {
    fn default() -> Self {
        Self::new()
    }
}

impl KsPlanModel {
    /// The recipe's defaults with one administrator still to be named.
    pub fn new() -> Self {
        let model: Self = glib::Object::new();
        let mut plan = Plan::example();
        plan.users = vec![User {
            name: String::new(),
            full_name: String::new(),
            groups: vec!["wheel".to_owned(), "networkmanager".to_owned()],
            password: None,
            keep_whole_home: false,
        }];
        plan.persistence.files.extend(
            [
                "/etc/ssh/ssh_host_ed25519_key",
                "/etc/ssh/ssh_host_ed25519_key.pub",
            ]
            .map(str::to_owned),
        );
        model.imp().plan.replace(plan);
        model.refresh();
        model
    }

    /// A copy of the plan as it is now.
    pub fn plan(&self) -> Plan {
        self.imp().plan.borrow().clone()
    }

    pub fn with_plan<R>(&self, read: impl FnOnce(&Plan) -> R) -> R {
        read(&self.imp().plan.borrow())
    }

    /// Changes the plan, validates it again and tells every page.
    pub fn update(&self, change: impl FnOnce(&mut Plan)) {
        change(&mut self.imp().plan.borrow_mut());
        self.refresh();
        self.emit_by_name::<()>("changed", &[]);
    }

    pub fn connect_changed<F: Fn(&Self) + 'static>(&self, callback: F) -> glib::SignalHandlerId {
        self.connect_local("changed", false, move |values| {
            let model = values[0]
                .get::<Self>()
                .expect("the emitter is a KsPlanModel");
            callback(&model);
            None
        })
    }

    fn refresh(&self) {
        let errors = self
            .imp()
            .plan
            .borrow()
            .validate()
            .err()
            .unwrap_or_default();
        let mut problems = HashMap::new();
        for error in &errors {
            problems
                .entry(error.field.as_str().to_owned())
                .or_insert_with(|| error.problem.message());
        }
        self.imp().problems.replace(problems);
        self.imp().all_problems.replace(errors);
        self.imp().rendered.replace(None);
    }

    /// The message for exactly this field, if it has a problem.
    pub fn problem(&self, field: &str) -> Option<String> {
        self.imp().problems.borrow().get(field).cloned()
    }

    /// Whether any field that starts with one of `prefixes` has a problem.
    pub fn has_problems_under(&self, prefixes: &[&str]) -> bool {
        self.imp().all_problems.borrow().iter().any(|error| {
            let field = error.field.as_str();
            prefixes.iter().any(|prefix| {
                field
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            })
        })
    }

    /// Every problem of the plan, in field order.
    pub fn problems(&self) -> Vec<ValidationError> {
        self.imp().all_problems.borrow().clone()
    }

    /// The generated file `name` as `keepsake render` writes it, with the
    /// preview's stand-ins for the UUIDs.
    pub fn rendered_file(&self, name: &str) -> String {
        let imp = self.imp();
        if imp.rendered.borrow().is_none() {
            let files = nix::render(&preview_plan(&imp.plan.borrow()), &DiskIds::preview())
                .unwrap_or_default();
            imp.rendered.replace(Some(files));
        }
        imp.rendered
            .borrow()
            .iter()
            .flatten()
            .find(|file| file.path == name)
            .map(|file| file.contents.clone())
            .unwrap_or_default()
    }

    pub fn disk_details(&self) -> Option<Disk> {
        self.imp().disk_details.borrow().clone()
    }

    pub fn set_disk_details(&self, disk: Option<Disk>) {
        self.imp().disk_details.replace(disk);
    }
}

/// The plan with every clear-text password replaced by a stand-in hash, so it
/// renders without hashing on each key press.
fn preview_plan(plan: &Plan) -> Plan {
    let mut plan = plan.clone();
    let passwords = plan.root_password.iter_mut().chain(
        plan.users
            .iter_mut()
            .filter_map(|user| user.password.as_mut()),
    );
    for password in passwords {
        if matches!(password, Password::Clear(_)) {
            *password = Password::Hashed(PREVIEW_HASH.to_owned());
        }
    }
    plan
}
