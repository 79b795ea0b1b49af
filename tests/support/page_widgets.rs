// SPDX-License-Identifier: GPL-3.0-or-later
//! What every page of the wizard must get right, looked at in its widget
//! tree: the UI tests share these checks.

use adw::prelude::*;

/// The widgets below `root` a person sees when `root` is shown: visible,
/// and not on a hidden page of a stack. (`root` itself may be a page that
/// is not on screen now.)
pub fn collect_shown<T: IsA<gtk::Widget>>(root: &gtk::Widget, found: &mut Vec<T>) {
    if let Some(widget) = root.downcast_ref::<T>() {
        found.push(widget.clone());
    }
    let mut child = root.first_child();
    while let Some(widget) = child {
        // Its own flag: whether the window is on screen does not matter.
        if widget.get_visible() && widget.is_child_visible() {
            collect_shown(&widget, found);
        }
        child = widget.next_sibling();
    }
}

/// Two different labels shown below `root` with the same mnemonic (Alt and
/// the underlined letter then only moves between them), as “key: label /
/// label”. A label repeated with its control (each account's “_Full
/// Name”) is one control more, not a clash.
pub fn mnemonic_clashes(root: &gtk::Widget) -> Vec<String> {
    let mut labels = Vec::new();
    collect_shown::<gtk::Label>(root, &mut labels);
    let mut by_key: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for label in labels.iter().filter(|label| label.uses_underline()) {
        let key = label.mnemonic_keyval();
        if key == gtk::gdk::Key::VoidSymbol {
            continue;
        }
        let key = key.to_lower().name().map(String::from).unwrap_or_default();
        by_key.entry(key).or_default().insert(label.label().into());
    }
    by_key
        .into_iter()
        .filter(|(_, labels)| labels.len() > 1)
        .map(|(key, labels)| {
            let labels: Vec<String> = labels.into_iter().collect();
            format!("{key}: {}", labels.join(" / "))
        })
        .collect()
}

/// Icon-only buttons shown below `root` that have nothing a screen reader
/// could call them by: no accessible label, no labelling widget and no
/// tooltip. (Whether the names tell two rows apart is for the
/// screen-reader walk, which reads them.)
#[allow(
    dead_code,
    reason = "only the wizard test drives pages with buttons to check"
)]
pub fn unnamed_icon_buttons(root: &gtk::Widget) -> Vec<String> {
    let mut buttons = Vec::new();
    collect_shown::<gtk::Button>(root, &mut buttons);
    buttons
        .iter()
        // A spin button's own buttons: the spin button is the control.
        .filter(|button| button.ancestor(gtk::SpinButton::static_type()).is_none())
        .filter(|button| {
            let icon_only = button.icon_name().is_some()
                || button.child().is_some_and(|child| child.is::<gtk::Image>());
            icon_only
                && button.tooltip_text().is_none()
                && !gtk::test_accessible_has_property(*button, gtk::AccessibleProperty::Label)
                && !gtk::test_accessible_has_relation(*button, gtk::AccessibleRelation::LabelledBy)
        })
        .map(|button| {
            let parent = button
                .parent()
                .map(|parent| parent.type_().name())
                .unwrap_or_default();
            format!(
                "{} ({}) in {parent}",
                button.widget_name(),
                button.icon_name().unwrap_or_default()
            )
        })
        .collect()
}
