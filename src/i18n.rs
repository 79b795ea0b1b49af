// SPDX-License-Identifier: GPL-3.0-or-later
//! Translation helpers on top of gettext.
//!
//! Messages with values use named placeholders (`{disk}`) so translators can
//! reorder them. xgettext extracts `gettext`, `ngettext` and `gettext_f`.

use gettextrs::{gettext, ngettext};

use crate::config;

/// Binds the text domain. Safe to call more than once.
pub fn init() {
    gettextrs::setlocale(gettextrs::LocaleCategory::LcAll, "");
    // A missing locale directory only means untranslated strings.
    let _ = gettextrs::bindtextdomain(config::GETTEXT_PACKAGE, config::LOCALEDIR);
    let _ = gettextrs::bind_textdomain_codeset(config::GETTEXT_PACKAGE, "UTF-8");
    let _ = gettextrs::textdomain(config::GETTEXT_PACKAGE);
}

/// Translates `msgid` and fills its `{name}` placeholders.
pub fn gettext_f(msgid: &str, args: &[(&str, &str)]) -> String {
    fill(gettext(msgid), args)
}

/// Plural form of [`gettext_f`]; `{n}` is also available as a placeholder.
pub fn ngettext_f(singular: &str, plural: &str, n: u32, args: &[(&str, &str)]) -> String {
    let text = fill(ngettext(singular, plural, n), args);
    text.replace("{n}", &n.to_string())
}

fn fill(mut text: String, args: &[(&str, &str)]) -> String {
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(
            fill("{b} then {a}".to_owned(), &[("a", "1"), ("b", "2")]),
            "2 then 1"
        );
    }

    #[test]
    fn plural_fills_count() {
        // Not literals in the call, so xgettext leaves them out of the catalogue.
        let (one, many) = ("{n} disk", "{n} disks");
        assert_eq!(ngettext_f(one, many, 3, &[]), "3 disks");
        assert_eq!(ngettext_f(one, many, 1, &[]), "1 disk");
    }
}
