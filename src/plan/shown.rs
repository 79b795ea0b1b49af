// SPDX-License-Identifier: GPL-3.0-or-later
//! Values from a plan as messages print them back: a hostile plan must not
//! be able to move the cursor, forge lines or fill the screen.

/// How many characters of a value a message shows.
pub const SHOWN_CHARS: usize = 80;

/// `value` with control and invisible formatting characters written as
/// `\u{1b}`, cut after [`SHOWN_CHARS`] characters with an ellipsis.
pub fn shown(value: &str) -> String {
    shown_within(value, SHOWN_CHARS)
}

/// [`shown`] with another limit, for whole messages that quote a value
/// (serde's, which also list what was expected).
pub fn shown_within(value: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (count, c) in value.chars().enumerate() {
        if count == max_chars {
            out.push('…');
            break;
        }
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters a terminal or label would act on instead of showing: C0 and
/// C1 controls, bidirectional overrides (which reorder what follows),
/// zero-width characters and Unicode line separators.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(shown("a\u{1b}[2Jb\nc\t"), "a\\u{1b}[2Jb\\u{a}c\\u{9}");
        assert_eq!(shown("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(shown("Ünïcödé “ok”"), "Ünïcödé “ok”");
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        let long = "x".repeat(500);
        let cut = shown(&long);
        assert_eq!(cut.chars().count(), SHOWN_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(shown(&"y".repeat(SHOWN_CHARS)), "y".repeat(SHOWN_CHARS));
    }
}
