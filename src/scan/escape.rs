// SPDX-License-Identifier: GPL-3.0-or-later
//! File names as text, without losing the ones that are not UTF-8.

use std::fmt::Write;

/// Writes `bytes` as a string that can be turned back into the same bytes:
/// valid UTF-8 is copied, a backslash is doubled (`\` becomes `\\`), and
/// every byte that is not part of valid UTF-8 becomes `\xNN` (two lower-case
/// hexadecimal digits). A name without backslashes and invalid bytes is
/// therefore unchanged.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for character in chunk.valid().chars() {
            if character == '\\' {
                text.push_str("\\\\");
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
    fn invalid_bytes_become_hex_escapes() {
        assert_eq!(escape_bytes(b"/tmp/\xff\xfeok\xc3"), r"/tmp/\xff\xfeok\xc3");
    }
}
