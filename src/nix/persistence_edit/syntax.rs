// SPDX-License-Identifier: GPL-3.0-or-later
//! Small questions asked of rnix's syntax tree: literal values, the module
//! system's wrappers, and byte positions as lines and columns.

use rnix::ast::{self, AstToken, HasEntry, InterpolPart, LiteralKind};
use rowan::ast::AstNode;
use serde_json::{Map, Value};

use super::model::ComputedReason;

/// Byte offsets to 1-based lines and columns.
pub(super) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(super) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Self { starts }
    }

    pub(super) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    /// Columns count characters, as editors show them.
    pub(super) fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let column = text[start..offset].chars().count() + 1;
        (line, column)
    }
}

/// The name of an attribute when it is written literally: `a`, `"/persist"`
/// or `${"a"}`.
pub(super) fn attr_name(attr: &ast::Attr) -> Option<String> {
    match attr {
        ast::Attr::Ident(ident) => ident.ident_token().map(|t| t.text().to_owned()),
        ast::Attr::Str(string) => literal_str(string).ok(),
        ast::Attr::Dynamic(dynamic) => match dynamic.expr()? {
            ast::Expr::Str(string) => literal_str(&string).ok(),
            _ => None,
        },
    }
}

/// The names of an attribute path such as `environment.persistence."/p"`.
pub(super) fn attrpath_names(path: &ast::Attrpath) -> Option<Vec<String>> {
    path.attrs().map(|attr| attr_name(&attr)).collect()
}

pub(super) fn literal_str(string: &ast::Str) -> Result<String, ComputedReason> {
    string
        .normalized_parts()
        .into_iter()
        .map(|part| match part {
            InterpolPart::Literal(text) => Ok(text),
            InterpolPart::Interpolation(_) => Err(ComputedReason::Interpolation),
        })
        .collect()
}

/// A value written entirely as literals, as JSON.
pub(super) fn literal_json(expr: &ast::Expr) -> Result<Value, ComputedReason> {
    match expr {
        ast::Expr::Str(string) => literal_str(string).map(Value::String),
        ast::Expr::Ident(ident) => match ident.ident_token().as_ref().map(|t| t.text()) {
            Some("true") => Ok(Value::Bool(true)),
            Some("false") => Ok(Value::Bool(false)),
            Some("null") => Ok(Value::Null),
            _ => Err(reason(expr)),
        },
        ast::Expr::Literal(literal) => match literal.kind() {
            LiteralKind::Integer(integer) => {
                integer.value().map(Value::from).map_err(|_| reason(expr))
            }
            LiteralKind::Float(float) => float.value().map(Value::from).map_err(|_| reason(expr)),
            LiteralKind::Uri(uri) => Ok(Value::String(uri.syntax().text().to_owned())),
        },
        ast::Expr::List(list) => list.items().map(|item| literal_json(&item)).collect(),
        ast::Expr::AttrSet(set) if set.rec_token().is_none() => {
            let mut object = Map::new();
            for entry in set.entries() {
                let ast::Entry::AttrpathValue(binding) = entry else {
                    return Err(ComputedReason::Inherit);
                };
                let names = binding
                    .attrpath()
                    .and_then(|path| attrpath_names(&path))
                    .ok_or(ComputedReason::DynamicName)?;
                let value = literal_json(&binding.value().ok_or_else(|| reason(expr))?)?;
                insert_nested(&mut object, &names, value);
            }
            Ok(Value::Object(object))
        }
        ast::Expr::Paren(paren) => paren
            .expr()
            .map_or_else(|| Err(reason(expr)), |inner| literal_json(&inner)),
        _ => Err(reason(expr)),
    }
}

/// `a.b = 1;` inside a literal set is `{ a = { b = 1; }; }`.
pub(super) fn insert_nested(object: &mut Map<String, Value>, names: &[String], value: Value) {
    let Some((last, parents)) = names.split_last() else {
        return;
    };
    let mut current = object;
    for name in parents {
        let slot = current
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        current = next;
    }
    current.insert(last.clone(), value);
}

/// Why `expr` is not a literal.
pub(super) fn reason(expr: &ast::Expr) -> ComputedReason {
    match expr {
        ast::Expr::Ident(_) | ast::Expr::Select(_) => {
            ComputedReason::Variable(expr.syntax().text().to_string())
        }
        ast::Expr::Apply(apply) => {
            let (head, _) = apply_chain(apply);
            ComputedReason::FunctionCall(head.syntax().text().to_string())
        }
        ast::Expr::Str(_) => ComputedReason::Interpolation,
        ast::Expr::IfElse(_) => ComputedReason::Conditional,
        ast::Expr::Paren(paren) => paren
            .expr()
            .map_or_else(|| expression(expr), |inner| reason(&inner)),
        _ => expression(expr),
    }
}

fn expression(expr: &ast::Expr) -> ComputedReason {
    let kind = format!("{:?}", expr.syntax().kind());
    let readable = kind
        .strip_prefix("NODE_")
        .unwrap_or(&kind)
        .to_lowercase()
        .replace('_', " ");
    ComputedReason::Expression(readable)
}

/// `f a b` as `f` and `[a, b]`.
pub(super) fn apply_chain(apply: &ast::Apply) -> (ast::Expr, Vec<ast::Expr>) {
    let mut arguments = Vec::new();
    let mut current = apply.clone();
    loop {
        if let Some(argument) = current.argument() {
            arguments.push(argument);
        }
        match current.lambda() {
            Some(ast::Expr::Apply(inner)) => current = inner,
            Some(head) => {
                arguments.reverse();
                return (head, arguments);
            }
            None => {
                arguments.reverse();
                return (ast::Expr::Apply(current), arguments);
            }
        }
    }
}

/// The last name of a function such as `lib.mkIf` or `mkIf`.
fn function_base_name(head: &ast::Expr) -> Option<String> {
    match head {
        ast::Expr::Ident(ident) => ident.ident_token().map(|t| t.text().to_owned()),
        ast::Expr::Select(select) if select.default_expr().is_none() => select
            .attrpath()
            .and_then(|path| path.attrs().last())
            .and_then(|attr| attr_name(&attr)),
        _ => None,
    }
}

/// An expression seen through the module system's wrappers.
pub(super) enum Unwrapped {
    /// The value itself; `conditional` when a `mkIf` guarded it.
    Value { expr: ast::Expr, conditional: bool },
    /// `mkMerge [ a b ]`: each part is a value of its own.
    Merge {
        parts: Vec<ast::Expr>,
        conditional: bool,
    },
}

/// Looks through parentheses, `with`, `let … in`, `mkIf`, `mkDefault`,
/// `mkForce`, `mkBefore`, `mkAfter`, `mkOverride` and `mkOrder`, which do not
/// change which entries a value lists.
pub(super) fn unwrap(expr: ast::Expr) -> Unwrapped {
    let mut current = expr;
    let mut conditional = false;
    loop {
        let next = match &current {
            ast::Expr::Paren(paren) => paren.expr(),
            ast::Expr::With(with) => with.body(),
            ast::Expr::LetIn(let_in) => let_in.body(),
            ast::Expr::Apply(apply) => {
                let (head, arguments) = apply_chain(apply);
                match (function_base_name(&head).as_deref(), arguments.as_slice()) {
                    (Some("mkIf"), [_, body]) => {
                        conditional = true;
                        Some(body.clone())
                    }
                    (Some("mkDefault" | "mkForce" | "mkBefore" | "mkAfter"), [body])
                    | (Some("mkOverride" | "mkOrder"), [_, body]) => Some(body.clone()),
                    (Some("mkMerge"), [ast::Expr::List(list)]) => {
                        return Unwrapped::Merge {
                            parts: list.items().collect(),
                            conditional,
                        };
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match next {
            Some(inner) => current = inner,
            None => {
                return Unwrapped::Value {
                    expr: current,
                    conditional,
                };
            }
        }
    }
}

/// Text of a Nix string literal holding `value`.
pub(super) fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => quoted.push_str("\\$"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// An attribute name as Nix wants it written: bare when it can be.
pub(super) fn attr_text(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !matches!(
            name,
            "if" | "then"
                | "else"
                | "assert"
                | "with"
                | "let"
                | "in"
                | "rec"
                | "inherit"
                | "or"
                | "true"
                | "false"
                | "null"
        );
    if bare { name.to_owned() } else { quote(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "a\nbé c\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 0), (1, 1));
        assert_eq!(index.line_column(text, text.find('c').unwrap()), (2, 4));
    }

    #[test]
    fn quoting_escapes_what_nix_would_interpret() {
        assert_eq!(quote(r#"a"b\c${d}$e"#), r#""a\"b\\c\${d}$e""#);
        assert_eq!(attr_text("/persist"), "\"/persist\"");
        assert_eq!(attr_text("alice"), "alice");
        assert_eq!(attr_text("in"), "\"in\"");
    }
}
