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

/// The decimal separator of the locale numbers are written in
/// (`LC_NUMERIC`): “,” in German, “.” in English and Swiss German.
pub fn decimal_separator() -> String {
    // Sound: nl_langinfo returns a pointer to a NUL-terminated string owned
    // by the C library, valid until the next setlocale, and we copy it at
    // once; Keepsake calls setlocale only in `init`, before any thread.
    #[allow(unsafe_code)]
    let separator = unsafe {
        let radix = libc::nl_langinfo(libc::RADIXCHAR);
        (!radix.is_null()).then(|| {
            std::ffi::CStr::from_ptr(radix)
                .to_string_lossy()
                .into_owned()
        })
    };
    separator
        .filter(|separator| !separator.is_empty())
        .unwrap_or_else(|| ".".to_owned())
}

/// `value` as one unit inside a translated sentence: a path such as
/// `/var/lib/docker` or a device such as `/dev/nvme0n1`, between Unicode's
/// first-strong isolate (U+2068) and its pop (U+2069). In a right-to-left
/// sentence its slashes and digits keep their order and do not pull the
/// words around them out of theirs. Every path or device put into a
/// translated sentence goes through it.
pub fn isolate(value: &str) -> String {
    format!("\u{2068}{value}\u{2069}")
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
    fn isolated_values_stay_whole_in_a_sentence() {
        let device = isolate("/dev/nvme0n1");
        assert_eq!(device, "\u{2068}/dev/nvme0n1\u{2069}");
        let sentence = fill(
            "{device} מעוגן ב־{mount_point}".to_owned(),
            &[
                ("device", &device),
                ("mount_point", &isolate("/var/lib/docker")),
            ],
        );
        assert_eq!(
            sentence,
            "\u{2068}/dev/nvme0n1\u{2069} מעוגן ב־\u{2068}/var/lib/docker\u{2069}"
        );
        assert_eq!(isolate(""), "\u{2068}\u{2069}");
    }

    #[test]
    fn plural_fills_count() {
        // Not literals in the call, so xgettext leaves them out of the catalogue.
        let (one, many) = ("{n} disk", "{n} disks");
        assert_eq!(ngettext_f(one, many, 3, &[]), "3 disks");
        assert_eq!(ngettext_f(one, many, 1, &[]), "1 disk");
    }
}
