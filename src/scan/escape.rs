// SPDX-License-Identifier: GPL-3.0-or-later
//! File names as text, without losing the ones that are not UTF-8.

use std::fmt::Write;

/// Writes `bytes` as a string that can be turned back into the same bytes:
/// valid UTF-8 is copied, a backslash is doubled (`\` becomes `\\`), and
/// every byte that is not part of valid UTF-8, and every ASCII control
/// character (0x00–0x1f, 0x7f), becomes `\xNN` (two lower-case hexadecimal
/// digits). A name without backslashes, control characters and invalid
/// bytes is therefore unchanged, and no file name can send escape
/// sequences to a terminal.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for character in chunk.valid().chars() {
            if character == '\\' {
                text.push_str("\\\\");
            } else if character.is_ascii_control() {
                let _ = write!(text, "\\x{:02x}", u32::from(character));
            } else {
                text.push(character);
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02x}");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_are_unchanged_but_backslashes_are_doubled() {
        assert_eq!(escape_bytes("/var/lib/café".as_bytes()), "/var/lib/café");
        assert_eq!(escape_bytes(br"a\xff"), r"a\\xff");
    }

    #[test]
    fn control_characters_become_hex_escapes() {
        assert_eq!(
            escape_bytes(b"/tmp/\x1b[31mred\ttab\nline\x7f"),
            r"/tmp/\x1b[31mred\x09tab\x0aline\x7f"
        );
    }

    #[test]
    fn invalid_bytes_become_hex_escapes() {
        assert_eq!(escape_bytes(b"/tmp/\xff\xfeok\xc3"), r"/tmp/\xff\xfeok\xc3");
    }
}
