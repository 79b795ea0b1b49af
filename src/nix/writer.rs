// SPDX-License-Identifier: GPL-3.0-or-later
//! A small Nix writer: values are built as a tree and printed with 2-space
//! indentation in the order they were added, so the same plan always gives
//! the same bytes.

use std::fmt::Write;

/// A Nix expression the renderers produce.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Bool(bool),
    Int(i64),
    /// A path literal such as `./storage.nix`, or an expression the renderer
    /// wrote itself. Never built from user input.
    Raw(String),
    List(Vec<Value>),
    Attrs(Attrs),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<Attrs> for Value {
    fn from(attrs: Attrs) -> Self {
        Value::Attrs(attrs)
    }
}

impl Value {
    pub fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(
            items
                .into_iter()
                .map(|item| Value::String(item.as_ref().to_owned()))
                .collect(),
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    /// `a.b."c d" = value;`
    Binding(Vec<String>, Value),
    /// `# text`, one line per line of text.
    Comment(String),
    /// An empty line between groups of bindings.
    Blank,
}

/// An attribute set whose bindings keep the order they were added in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs {
    entries: Vec<Entry>,
}

impl Attrs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds a dotted attribute path, for example
    /// `["fileSystems", "/nix", "device"]`.
    pub fn set<P, S>(&mut self, path: P, value: impl Into<Value>) -> &mut Self
    where
        P: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let path = path.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.entries.push(Entry::Binding(path, value.into()));
        self
    }

    pub fn comment(&mut self, text: &str) -> &mut Self {
        self.entries.push(Entry::Comment(text.to_owned()));
        self
    }

    pub fn blank_line(&mut self) -> &mut Self {
        if !self.entries.is_empty() {
            self.entries.push(Entry::Blank);
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A whole `.nix` file: header comment, the module arguments it takes if
/// any, optional `let` bindings, and the attribute set it evaluates to.
pub struct File {
    pub header: String,
    /// For example `["pkgs"]` for a module that starts `{ pkgs, ... }:`.
    pub arguments: Vec<&'static str>,
    pub bindings: Vec<(String, Value)>,
    pub body: Attrs,
}

impl File {
    pub fn print(&self) -> String {
        let mut out = String::new();
        for line in self.header.lines() {
            push_comment_line(&mut out, line);
        }
        out.push('\n');
        if !self.arguments.is_empty() {
            out.push_str("{ ");
            for argument in &self.arguments {
                out.push_str(argument);
                out.push_str(", ");
            }
            out.push_str("... }:\n\n");
        }
        if !self.bindings.is_empty() {
            out.push_str("let\n");
            for (name, value) in &self.bindings {
                out.push_str("  ");
                out.push_str(&attribute_name(name));
                out.push_str(" = ");
                write_value(&mut out, value, 1);
                out.push_str(";\n");
            }
            out.push_str("in\n");
        }
        write_value(&mut out, &Value::Attrs(self.body.clone()), 0);
        out.push('\n');
        out
    }
}

fn push_comment_line(out: &mut String, line: &str) {
    if line.is_empty() {
        out.push_str("#\n");
    } else {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Writes `value` whose first line is already indented to `level`.
fn write_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::String(text) => out.push_str(&string_literal(text)),
        Value::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        Value::Int(value) => {
            let _ = write!(out, "{value}");
        }
        Value::Raw(expression) => out.push_str(expression),
        Value::List(items) if items.is_empty() => out.push_str("[ ]"),
        Value::List(items) => {
            out.push_str("[\n");
            for item in items {
                indent(out, level + 1);
                write_value(out, item, level + 1);
                out.push('\n');
            }
            indent(out, level);
            out.push(']');
        }
        Value::Attrs(attrs) if attrs.is_empty() => out.push_str("{ }"),
        Value::Attrs(attrs) => {
            out.push_str("{\n");
            for entry in &attrs.entries {
                match entry {
                    Entry::Binding(path, value) => {
                        indent(out, level + 1);
                        out.push_str(&attribute_path(path));
                        out.push_str(" = ");
                        write_value(out, value, level + 1);
                        out.push_str(";\n");
                    }
                    Entry::Comment(text) => {
                        for line in text.lines() {
                            indent(out, level + 1);
                            push_comment_line(out, line);
                        }
                    }
                    Entry::Blank => out.push('\n'),
                }
            }
            indent(out, level);
            out.push('}');
        }
    }
}

fn attribute_path(path: &[String]) -> String {
    path.iter()
        .map(|name| attribute_name(name))
        .collect::<Vec<_>>()
        .join(".")
}

const KEYWORDS: &[&str] = &[
    "assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with",
];

/// The name as written in a binding: bare when Nix's lexer reads it as an
/// identifier, a string literal otherwise.
pub fn attribute_name(name: &str) -> String {
    let mut chars = name.chars();
    let is_identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'));
    if is_identifier && !KEYWORDS.contains(&name) {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

/// A double-quoted Nix string that evaluates to exactly `text`.
///
/// Nix strings cannot hold NUL; the plan's validation rejects it in every
/// field that reaches a renderer.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // `${` starts an interpolation; a lone `$` is literal.
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_nix_interprets() {
        assert_eq!(string_literal("plain"), "\"plain\"");
        assert_eq!(string_literal("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(string_literal("${x} $y $"), "\"\\${x} $y $\"");
        assert_eq!(string_literal("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
        assert_eq!(string_literal("ünï €"), "\"ünï €\"");
    }

    #[test]
    fn attribute_names_are_quoted_only_when_needed() {
        assert_eq!(attribute_name("fileSystems"), "fileSystems");
        assert_eq!(attribute_name("systemd-boot"), "systemd-boot");
        assert_eq!(attribute_name("/persist"), "\"/persist\"");
        assert_eq!(attribute_name("nixos-config"), "nixos-config");
        assert_eq!(attribute_name("1abc"), "\"1abc\"");
        assert_eq!(attribute_name("in"), "\"in\"");
        assert_eq!(attribute_name(""), "\"\"");
    }

    #[test]
    fn nested_values_are_indented_by_two_spaces() {
        let mut inner = Attrs::new();
        inner
            .set(["device"], "none")
            .set(["options"], Value::strings(["a", "b"]));
        let mut body = Attrs::new();
        body.comment("why")
            .set(["fileSystems", "/"], inner)
            .blank_line()
            .set(["empty"], Value::List(Vec::new()));
        let file = File {
            header: "Header".to_owned(),
            arguments: Vec::new(),
            bindings: Vec::new(),
            body,
        };
        assert_eq!(
            file.print(),
            "# Header\n\n{\n  # why\n  fileSystems.\"/\" = {\n    device = \"none\";\n    \
             options = [\n      \"a\"\n      \"b\"\n    ];\n  };\n\n  empty = [ ];\n}\n"
        );
    }

    #[test]
    fn a_module_that_needs_arguments_names_them() {
        let mut body = Attrs::new();
        body.set(["a"], true);
        let file = File {
            header: "Header".to_owned(),
            arguments: vec!["pkgs"],
            bindings: Vec::new(),
            body,
        };
        assert_eq!(
            file.print(),
            "# Header\n\n{ pkgs, ... }:\n\n{\n  a = true;\n}\n"
        );
    }
}
