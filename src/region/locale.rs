// SPDX-License-Identifier: GPL-3.0-or-later
//! The locales NixOS can set up, named as people know them, and which ones
//! the live session uses for its language and for its formats.
//!
//! The names come from glibc's locale sources through
//! `build-aux/generate-locales`; they are compiled in because the live ISO
//! (NixOS) does not install those sources.

use std::process::Command;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/locales.tsv");

/// One locale of glibc's list of supported UTF-8 locales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    /// As glibc's list spells it, and `i18n.defaultLocale` takes it:
    /// `de_CH.UTF-8`, `sr_RS@latin`.
    pub code: &'static str,
    /// In English: `German (Switzerland)`.
    pub english: &'static str,
    /// In its own language: `Deutsch (Schweiz)`.
    pub native: &'static str,
}

/// Every supported locale, sorted by its own name.
pub fn all() -> &'static [Locale] {
    static LOCALES: OnceLock<Vec<Locale>> = OnceLock::new();
    LOCALES.get_or_init(|| {
        TABLE
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                Some(Locale {
                    code: fields.next()?,
                    english: fields.next()?,
                    native: fields.next()?,
                })
            })
            .collect()
    })
}

/// The supported locale `name` stands for, however the codeset is spelled:
/// `de_DE.utf8` and `de_DE.UTF-8` are `de_DE.UTF-8`, `hi_IN.UTF-8` is
/// `hi_IN` (glibc lists some UTF-8 locales without the codeset).
pub fn find(name: &str) -> Option<&'static Locale> {
    let key = without_utf8_codeset(name)?;
    all()
        .iter()
        .find(|locale| without_utf8_codeset(locale.code).as_deref() == Some(key.as_str()))
}

/// Whether NixOS can set up `name`: C, POSIX, or a supported locale.
pub fn is_supported(name: &str) -> bool {
    matches!(name, "C" | "POSIX" | "C.UTF-8") || find(name).is_some()
}

/// `de_DE@euro` for `de_DE.UTF-8@euro`; `None` for a codeset other than
/// UTF-8, since only UTF-8 locales are offered.
fn without_utf8_codeset(name: &str) -> Option<String> {
    let (base, modifier) = match name.split_once('@') {
        Some((base, modifier)) => (base, Some(modifier)),
        None => (name, None),
    };
    let base = match base.split_once('.') {
        Some((base, codeset)) => {
            let codeset = codeset.to_ascii_lowercase().replace('-', "");
            if codeset != "utf8" {
                return None;
            }
            base
        }
        None => base,
    };
    Some(match modifier {
        Some(modifier) => format!("{base}@{modifier}"),
        None => base.to_owned(),
    })
}

/// The categories `i18n.extraLocaleSettings` sets to the formats' locale:
/// everything but the language of messages and the character handling.
pub const FORMAT_CATEGORIES: [&str; 9] = [
    "LC_ADDRESS",
    "LC_IDENTIFICATION",
    "LC_MEASUREMENT",
    "LC_MONETARY",
    "LC_NAME",
    "LC_NUMERIC",
    "LC_PAPER",
    "LC_TELEPHONE",
    "LC_TIME",
];

/// What the live session says about its locales.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Session {
    /// The environment's `LC_ALL`, `LC_MESSAGES`, `LC_TIME` and `LANG`.
    pub lc_all: Option<String>,
    pub lc_messages: Option<String>,
    pub lc_time: Option<String>,
    pub lang: Option<String>,
    /// GNOME's formats setting (`org.gnome.system.locale region`).
    pub gnome_region: Option<String>,
    /// `LANG` and `LC_TIME` of the system (localectl, /etc/locale.conf).
    pub system_lang: Option<String>,
    pub system_time: Option<String>,
}

impl Session {
    /// Reads the environment, GSettings and localed; runs programs, so not
    /// on the main thread.
    pub fn read() -> Self {
        let env = |name: &str| std::env::var(name).ok();
        let gnome_region = Command::new("gsettings")
            .args(["get", "org.gnome.system.locale", "region"])
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| {
                String::from_utf8_lossy(&output.stdout)
                    .trim()
                    .trim_matches('\'')
                    .to_owned()
            });
        let system = Command::new("localectl")
            .arg("status")
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .or_else(|| std::fs::read_to_string("/etc/locale.conf").ok())
            .unwrap_or_default();
        Self {
            lc_all: env("LC_ALL"),
            lc_messages: env("LC_MESSAGES"),
            lc_time: env("LC_TIME"),
            lang: env("LANG"),
            gnome_region,
            system_lang: system_setting(&system, "LANG"),
            system_time: system_setting(&system, "LC_TIME"),
        }
    }

    /// The locale of the session's language, as POSIX picks it (LC_ALL,
    /// then LC_MESSAGES, then LANG), else the system's; only a supported
    /// locale other than C.
    pub fn language(&self) -> Option<&'static Locale> {
        [
            &self.lc_all,
            &self.lc_messages,
            &self.lang,
            &self.system_lang,
        ]
        .into_iter()
        .find_map(|name| name.as_deref().and_then(find))
    }

    /// The locale of the session's formats: LC_ALL, LC_TIME, GNOME's
    /// formats, the system's LC_TIME; else those of the language.
    pub fn formats(&self) -> Option<&'static Locale> {
        [
            &self.lc_all,
            &self.lc_time,
            &self.gnome_region,
            &self.system_time,
        ]
        .into_iter()
        .find_map(|name| name.as_deref().and_then(find))
        .or_else(|| self.language())
    }
}

/// `NAME=value` of `localectl status` ("System Locale: LANG=de_CH.UTF-8",
/// continued on the next lines) or of /etc/locale.conf.
fn system_setting(text: &str, name: &str) -> Option<String> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            line.split_once("System Locale:")
                .map_or(line, |(_, rest)| rest.trim())
        })
        .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
        .map(|value| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_locales_in_english_and_in_their_language() {
        let swiss = find("de_CH.UTF-8").expect("de_CH is supported");
        assert_eq!(swiss.english, "German (Switzerland)");
        assert_eq!(swiss.native, "Deutsch (Schweiz)");
        assert_eq!(find("he_IL.UTF-8").unwrap().native, "עברית (ישראל)");
        assert_eq!(
            find("sr_RS@latin").unwrap().english,
            "Serbian (Serbia, Latin)"
        );
        assert!(all().len() > 300, "{} locales", all().len());
        let mut codes: Vec<&str> = all().iter().map(|locale| locale.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all().len(), "every locale is listed once");
        assert!(all().iter().all(|locale| !locale.english.is_empty()
            && !locale.native.is_empty()
            && !locale.code.is_empty()));
    }

    #[test]
    fn codesets_are_found_however_spelled() {
        assert_eq!(find("de_DE.utf8").unwrap().code, "de_DE.UTF-8");
        assert_eq!(find("de_DE").unwrap().code, "de_DE.UTF-8");
        assert_eq!(find("hi_IN.UTF-8").unwrap().code, "hi_IN");
        assert_eq!(find("sr_RS.UTF-8@latin").unwrap().code, "sr_RS@latin");
        assert_eq!(find("de_DE.ISO-8859-1"), None);
        assert_eq!(find("xx_XX.UTF-8"), None);
        assert_eq!(find("C.UTF-8"), None);
        assert!(is_supported("C.UTF-8"));
        assert!(is_supported("fr_CA.UTF-8"));
        assert!(!is_supported("en_DE.UTF-8"));
    }

    #[test]
    fn the_language_follows_posix_precedence() {
        let session = Session {
            lc_all: None,
            lc_messages: Some("fr_FR.UTF-8".to_owned()),
            lang: Some("de_CH.utf8".to_owned()),
            ..Session::default()
        };
        assert_eq!(session.language().unwrap().code, "fr_FR.UTF-8");
        let session = Session {
            lang: Some("de_CH.utf8".to_owned()),
            ..Session::default()
        };
        assert_eq!(session.language().unwrap().code, "de_CH.UTF-8");
        let session = Session {
            lc_all: Some("C.UTF-8".to_owned()),
            lang: Some("C".to_owned()),
            system_lang: Some("it_IT.UTF-8".to_owned()),
            ..Session::default()
        };
        assert_eq!(session.language().unwrap().code, "it_IT.UTF-8");
        assert_eq!(Session::default().language(), None);
    }

    #[test]
    fn the_formats_follow_lc_time_then_gnome_then_the_language() {
        let session = Session {
            lang: Some("en_US.UTF-8".to_owned()),
            lc_time: Some("de_CH.UTF-8".to_owned()),
            gnome_region: Some("fr_FR.UTF-8".to_owned()),
            ..Session::default()
        };
        assert_eq!(session.formats().unwrap().code, "de_CH.UTF-8");
        let session = Session {
            lang: Some("en_US.UTF-8".to_owned()),
            gnome_region: Some(String::new()),
            system_time: Some("en_GB.UTF-8".to_owned()),
            ..Session::default()
        };
        assert_eq!(session.formats().unwrap().code, "en_GB.UTF-8");
        let session = Session {
            lang: Some("pl_PL.UTF-8".to_owned()),
            ..Session::default()
        };
        assert_eq!(session.formats().unwrap().code, "pl_PL.UTF-8");
    }

    #[test]
    fn system_settings_come_from_localectl_or_locale_conf() {
        let status = "   System Locale: LANG=de_CH.UTF-8\n                  LC_TIME=en_GB.UTF-8\n       VC Keymap: ch\n";
        assert_eq!(
            system_setting(status, "LANG").as_deref(),
            Some("de_CH.UTF-8")
        );
        assert_eq!(
            system_setting(status, "LC_TIME").as_deref(),
            Some("en_GB.UTF-8")
        );
        assert_eq!(
            system_setting("LANG=\"pt_BR.UTF-8\"\n", "LANG").as_deref(),
            Some("pt_BR.UTF-8")
        );
        assert_eq!(system_setting("LANG=\n", "LANG"), None);
        assert_eq!(system_setting(status, "LC_PAPER"), None);
    }
}
