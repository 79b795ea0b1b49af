// SPDX-License-Identifier: GPL-3.0-or-later
//! Keyboard layouts and variants from xkeyboard-config's registry, with the
//! names people know them by, and the live session's current input source.

use std::path::Path;
use std::process::Command;

use thiserror::Error;

/// Where xkeyboard-config installs the registry of the evdev rules.
pub const REGISTRY: &str = "/usr/share/X11/xkb/rules/evdev.xml";

/// The gettext domain xkeyboard-config translates its descriptions in.
const GETTEXT_DOMAIN: &str = "xkeyboard-config";

/// One layout, or one variant of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyboard {
    /// xkb layout, for example `ch`.
    pub layout: String,
    /// xkb variant, empty for the layout's default.
    pub variant: String,
    /// The registry's English description, for example `German (Switzerland)`.
    pub description: String,
}

impl Keyboard {
    /// The description in the user's language when xkeyboard-config's
    /// translations are installed, else in English.
    pub fn human_name(&self) -> String {
        gettextrs::dgettext(GETTEXT_DOMAIN, self.description.as_str())
    }

    pub fn is(&self, layout: &str, variant: &str) -> bool {
        self.layout == layout && self.variant == variant
    }
}

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("cannot read the keyboard registry {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the keyboard registry is not valid XML: {0}")]
    Xml(#[from] roxmltree::Error),
}

/// Reads the registry at `path` (normally [`REGISTRY`]).
pub fn read_registry(path: &Path) -> Result<Vec<Keyboard>, RegistryError> {
    let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_registry(&text)
}

/// Every layout followed by its variants, in the registry's order.
pub fn parse_registry(xml: &str) -> Result<Vec<Keyboard>, RegistryError> {
    let options = roxmltree::ParsingOptions {
        // The registry names its DTD.
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(xml, options)?;
    let mut keyboards = Vec::new();
    let layouts = document
        .descendants()
        .filter(|node| node.has_tag_name("layout"));
    for layout in layouts {
        let Some((name, description)) = config_item(layout) else {
            continue;
        };
        keyboards.push(Keyboard {
            layout: name.clone(),
            variant: String::new(),
            description,
        });
        let variants = layout
            .children()
            .filter(|node| node.has_tag_name("variantList"))
            .flat_map(|list| list.children())
            .filter(|node| node.has_tag_name("variant"));
        for variant in variants {
            if let Some((variant, description)) = config_item(variant) {
                keyboards.push(Keyboard {
                    layout: name.clone(),
                    variant,
                    description,
                });
            }
        }
    }
    Ok(keyboards)
}

/// The `name` and `description` of an element's `configItem`.
fn config_item(node: roxmltree::Node) -> Option<(String, String)> {
    let item = node
        .children()
        .find(|child| child.has_tag_name("configItem"))?;
    let text = |tag: &str| {
        item.children()
            .find(|child| child.has_tag_name(tag))
            .and_then(|child| child.text())
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    Some((text("name")?, text("description")?))
}

/// The live session's current input source as (layout, variant): GNOME's
/// most recently used source, then its configured sources, then the
/// system-wide setting of localectl, /etc/vconsole.conf or Debian's
/// /etc/default/keyboard. `None` when nothing names an xkb layout.
pub fn live_input_source() -> Option<(String, String)> {
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let gsettings = |key: &str| {
        output(
            "gsettings",
            &["get", "org.gnome.desktop.input-sources", key],
        )
        .and_then(|text| parse_gnome_sources(&text))
    };
    let file = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| parse_shell_assignments(&text))
    };
    gsettings("mru-sources")
        .or_else(|| gsettings("sources"))
        .or_else(|| output("localectl", &["status"]).and_then(|text| parse_localectl(&text)))
        .or_else(|| file("/etc/vconsole.conf"))
        .or_else(|| file("/etc/default/keyboard"))
}

/// The first xkb source of a GSettings `a(ss)` value such as
/// `[('xkb', 'ch'), ('xkb', 'us+dvorak')]`.
pub fn parse_gnome_sources(text: &str) -> Option<(String, String)> {
    let mut rest = text;
    while let Some(start) = rest.find('(') {
        let end = start + rest[start..].find(')')?;
        let fields: Vec<&str> = rest[start + 1..end]
            .split(',')
            .map(|field| field.trim().trim_matches('\''))
            .collect();
        if let ["xkb", source] = fields.as_slice() {
            let (layout, variant) = source.split_once('+').unwrap_or((source, ""));
            if !layout.is_empty() {
                return Some((layout.to_owned(), variant.to_owned()));
            }
        }
        rest = &rest[end + 1..];
    }
    None
}

/// `X11 Layout` and `X11 Variant` of `localectl status`; only the first of
/// several comma-separated layouts.
pub fn parse_localectl(text: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        text.lines()
            .filter_map(|line| line.trim().strip_prefix(name))
            .find_map(|rest| rest.trim_start().strip_prefix(':'))
            .map(|value| value.trim().split(',').next().unwrap_or("").to_owned())
    };
    let layout = field("X11 Layout").filter(|layout| !layout.is_empty() && layout != "n/a")?;
    let variant = field("X11 Variant").unwrap_or_default();
    Some((layout, variant))
}

/// `XKBLAYOUT` and `XKBVARIANT` of a shell-style file such as
/// /etc/vconsole.conf or /etc/default/keyboard.
pub fn parse_shell_assignments(text: &str) -> Option<(String, String)> {
    let field = |name: &str| {
        text.lines()
            .filter_map(|line| line.trim().strip_prefix(name))
            .find_map(|rest| rest.strip_prefix('='))
            .map(|value| {
                let value = value.trim().trim_matches('"').trim_matches('\'');
                value.split(',').next().unwrap_or("").to_owned()
            })
    };
    let layout = field("XKBLAYOUT").filter(|layout| !layout.is_empty())?;
    Some((layout, field("XKBVARIANT").unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<Keyboard> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/evdev.xml");
        read_registry(&path).expect("the fixture registry parses")
    }

    #[test]
    fn registry_lists_layouts_then_their_variants() {
        let keyboards = fixture();
        let swiss = keyboards
            .iter()
            .position(|keyboard| keyboard.is("ch", ""))
            .expect("ch is listed");
        assert_eq!(keyboards[swiss].description, "German (Switzerland)");
        assert!(keyboards[swiss + 1].is("ch", "legacy"));
        assert_eq!(
            keyboards[swiss + 1].description,
            "German (Switzerland, legacy)"
        );
        let dvorak = keyboards
            .iter()
            .find(|keyboard| keyboard.is("us", "dvorak"))
            .expect("us dvorak is listed");
        assert_eq!(dvorak.description, "English (Dvorak)");
        assert!(keyboards.iter().all(|keyboard| !keyboard.layout.is_empty()));
    }

    #[test]
    fn registry_without_file_names_the_path() {
        let error = read_registry(Path::new("/nonexistent/evdev.xml")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/evdev.xml"));
    }

    #[test]
    fn malformed_registry_is_an_error() {
        assert!(matches!(
            parse_registry("<xkbConfigRegistry><layoutList>"),
            Err(RegistryError::Xml(_))
        ));
    }

    #[test]
    fn gnome_sources_give_the_first_xkb_source() {
        let pair = |layout: &str, variant: &str| Some((layout.to_owned(), variant.to_owned()));
        assert_eq!(
            parse_gnome_sources("[('ibus', 'anthy'), ('xkb', 'us+dvorak'), ('xkb', 'ch')]"),
            pair("us", "dvorak")
        );
        assert_eq!(parse_gnome_sources("[('xkb', 'ch')]\n"), pair("ch", ""));
        assert_eq!(parse_gnome_sources("@a(ss) []\n"), None);
    }

    #[test]
    fn localectl_gives_the_first_layout() {
        let status = "   System Locale: LANG=de_CH.UTF-8\n       VC Keymap: ch\n      X11 Layout: ch,us\n     X11 Variant: legacy,\n";
        assert_eq!(
            parse_localectl(status),
            Some(("ch".to_owned(), "legacy".to_owned()))
        );
        assert_eq!(parse_localectl("      X11 Layout: n/a\n"), None);
    }

    #[test]
    fn shell_files_give_layout_and_variant() {
        let keyboard = "XKBMODEL=\"pc105\"\nXKBLAYOUT=\"de\"\nXKBVARIANT=\"nodeadkeys\"\n";
        assert_eq!(
            parse_shell_assignments(keyboard),
            Some(("de".to_owned(), "nodeadkeys".to_owned()))
        );
        assert_eq!(
            parse_shell_assignments("KEYMAP=us\nXKBLAYOUT=us\n"),
            Some(("us".to_owned(), String::new()))
        );
        assert_eq!(parse_shell_assignments("KEYMAP=de-latin1\n"), None);
    }
}
