// SPDX-License-Identifier: GPL-3.0-or-later
//! Byte-level edits next to syntax nodes that keep every other byte, and
//! follow the indentation already there.

use std::ops::Range;

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxNode, SyntaxToken, TextRange};
use rowan::ast::AstNode;

/// Replace `range` of the text by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Splice {
    pub range: Range<usize>,
    pub text: String,
}

impl Splice {
    fn insert(at: usize, text: String) -> Self {
        Self {
            range: at..at,
            text,
        }
    }

    pub(super) fn apply(&self, source: &str) -> String {
        let mut result = String::with_capacity(source.len() + self.text.len());
        result.push_str(&source[..self.range.start]);
        result.push_str(&self.text);
        result.push_str(&source[self.range.end..]);
        result
    }
}

fn span(range: TextRange) -> Range<usize> {
    range.start().into()..range.end().into()
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |at| at + 1)
}

fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at)
}

fn same_line(text: &str, a: usize, b: usize) -> bool {
    line_start(text, a) == line_start(text, b)
}

fn indentation(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..line_end(text, start)];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn first_on_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset].trim().is_empty()
}

/// Only blanks and comments follow on the same line.
fn rest_of_line_is_free(text: &str, offset: usize) -> bool {
    let mut rest = text[offset..line_end(text, offset)].trim_start();
    while let Some(comment) = rest.strip_prefix("/*") {
        match comment.find("*/") {
            Some(end) => rest = comment[end + 2..].trim_start(),
            None => return false,
        }
    }
    rest.is_empty() || rest.starts_with('#')
}

/// One more level than `indent`, in the file's own kind of blank.
fn deeper(indent: &str) -> String {
    if indent.contains('\t') {
        format!("{indent}\t")
    } else {
        format!("{indent}  ")
    }
}

/// Adds `item` as the last element of `elements`, enclosed by `open` and
/// `close` (a list's brackets or a set's braces).
fn append(
    text: &str,
    open: &SyntaxToken,
    close: &SyntaxToken,
    elements: &[SyntaxNode],
    item: &str,
) -> Splice {
    let open_end: usize = open.text_range().end().into();
    let close_start: usize = close.text_range().start().into();
    if let Some(last) = elements.last() {
        let last = span(last.text_range());
        if same_line(text, open_end, last.start) {
            return Splice::insert(last.end, format!(" {item}"));
        }
        let indent = indentation(text, last.start);
        let at = if rest_of_line_is_free(text, last.end) {
            line_end(text, last.end)
        } else {
            last.end
        };
        return Splice::insert(at, format!("\n{indent}{item}"));
    }
    if !same_line(text, open_end, close_start) && first_on_line(text, close_start) {
        let indent = deeper(indentation(text, close_start));
        return Splice::insert(line_start(text, close_start), format!("{indent}{item}\n"));
    }
    if !same_line(text, open_end, close_start) {
        let indent = deeper(indentation(text, open_end));
        return Splice::insert(open_end, format!("\n{indent}{item}"));
    }
    Splice {
        range: open_end..close_start,
        text: format!(" {item} "),
    }
}

/// Appends `item` to a literal list.
pub(super) fn append_to_list(text: &str, list: &ast::List, item: &str) -> Option<Splice> {
    let items: Vec<SyntaxNode> = list.items().map(|i| i.syntax().clone()).collect();
    Some(append(
        text,
        &list.l_brack_token()?,
        &list.r_brack_token()?,
        &items,
        item,
    ))
}

/// Appends the binding `binding` (with its `;`) to a literal set.
pub(super) fn append_to_set(text: &str, set: &ast::AttrSet, binding: &str) -> Option<Splice> {
    let entries: Vec<SyntaxNode> = set.entries().map(|e| e.syntax().clone()).collect();
    Some(append(
        text,
        &set.l_curly_token()?,
        &set.r_curly_token()?,
        &entries,
        binding,
    ))
}

/// Takes out the item at `range`: its whole line when it stands alone on it
/// (with a comment after it), otherwise the item and the blanks before it.
pub(super) fn remove(text: &str, range: Range<usize>) -> Splice {
    let start = line_start(text, range.start);
    let removed = if first_on_line(text, range.start) && rest_of_line_is_free(text, range.end) {
        let end = line_end(text, range.end);
        let after_newline = (end + 1).min(text.len());
        // The file's last line has no newline to take: take the one before.
        if after_newline == end && start > 0 {
            start - 1..end
        } else {
            start..after_newline
        }
    } else {
        let before = &text[start..range.start];
        let blanks = before.len() - before.trim_end_matches([' ', '\t']).len();
        if blanks > 0 {
            range.start - blanks..range.end
        } else {
            let after = &text[range.end..];
            let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
            range.start..range.end + blanks
        }
    };
    Splice {
        range: removed,
        text: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removing(text: &str, item: &str) -> String {
        let start = text.find(item).unwrap();
        remove(text, start..start + item.len()).apply(text)
    }

    #[test]
    fn an_item_alone_on_its_line_takes_the_line_and_its_comment() {
        let text = "[\n  \"/a\" # why\n  \"/b\" /* note */\n]\n";
        assert_eq!(removing(text, "\"/a\""), "[\n  \"/b\" /* note */\n]\n");
        assert_eq!(removing(text, "\"/b\""), "[\n  \"/a\" # why\n]\n");
    }

    #[test]
    fn an_item_among_others_takes_its_blanks() {
        assert_eq!(removing("[ \"/a\" \"/b\" ]", "\"/a\""), "[ \"/b\" ]");
        assert_eq!(removing("[\"/a\" \"/b\"]", "\"/a\""), "[\"/b\"]");
        assert_eq!(removing("[ \"/a\" \"/b\" ]", "\"/b\""), "[ \"/a\" ]");
    }

    #[test]
    fn the_last_line_without_a_newline_takes_the_one_before() {
        assert_eq!(removing("[\n\"/a\"\n\"/b\"", "\"/b\""), "[\n\"/a\"");
    }
}
