// SPDX-License-Identifier: GPL-3.0-or-later
//! Walks a module's syntax tree to every `environment.persistence` value,
//! whichever way its attribute path is split, and remembers where new
//! entries can be written.

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use serde_json::{Map, Value};

use super::model::{Computed, ComputedReason, Entry, EntryKind, Persistence};
use super::syntax::{self, LineIndex, Unwrapped, attr_text, attrpath_names, literal_json};

const PERSISTENCE: [&str; 2] = ["environment", "persistence"];

/// A literal list of entries that new ones can join.
pub(super) struct ListSite {
    pub root: String,
    pub user: Option<String>,
    pub kind: EntryKind,
    pub list: ast::List,
    /// How many `mkIf`s guard it; unguarded lists are preferred.
    pub conditions: usize,
    pub place: String,
}

/// A literal attribute set whose bindings start at `base`; a missing list
/// is added to the deepest one.
pub(super) struct Host {
    pub base: Vec<String>,
    /// Written before a new binding, `config.` in a module that declares
    /// options next to its configuration.
    pub key_prefix: &'static str,
    pub set: ast::AttrSet,
    pub conditions: usize,
}

#[derive(Default)]
pub(super) struct Layout {
    pub persistence: Persistence,
    pub sites: Vec<ListSite>,
    pub hosts: Vec<Host>,
    /// Attribute paths (from the module's top) whose value is computed.
    pub computed_paths: Vec<Vec<String>>,
}

pub(super) fn read(root: &ast::Root, lines: &LineIndex) -> Layout {
    let mut reader = Reader {
        lines,
        layout: Layout::default(),
    };
    let mut body = root.expr();
    while let Some(ast::Expr::Lambda(lambda)) = body {
        body = lambda.body();
    }
    if let Some(body) = body {
        reader.module(body, 0);
    }
    reader.layout
}

/// `"/persist".users.alice.files`: the part of a path below
/// `environment.persistence`, as the person wrote it.
pub(super) fn place(path: &[String]) -> String {
    match path.get(PERSISTENCE.len()..) {
        Some(below) if !below.is_empty() => below
            .iter()
            .map(|name| attr_text(name))
            .collect::<Vec<_>>()
            .join("."),
        _ => PERSISTENCE.join("."),
    }
}

struct Reader<'a> {
    lines: &'a LineIndex,
    layout: Layout,
}

impl Reader<'_> {
    fn line_of(&self, node: &rnix::SyntaxNode) -> usize {
        self.lines.line(node.text_range().start().into())
    }

    fn computed(&mut self, path: &[String], node: &rnix::SyntaxNode, reason: ComputedReason) {
        let line = self.line_of(node);
        self.layout.persistence.computed.push(Computed {
            place: place(path),
            line,
            reason,
        });
        self.layout.computed_paths.push(path.to_vec());
    }

    /// A module: `{ … }`, possibly with `config = …` and `options = …`.
    fn module(&mut self, expr: ast::Expr, conditions: usize) {
        match syntax::unwrap(expr) {
            Unwrapped::Value {
                expr: ast::Expr::AttrSet(set),
                conditional,
            } => {
                let conditions = conditions + usize::from(conditional);
                let splits_config = set.attrpath_values().any(|binding| {
                    let first = binding
                        .attrpath()
                        .and_then(|path| path.attrs().next())
                        .and_then(|attr| syntax::attr_name(&attr));
                    matches!(first.as_deref(), Some("config" | "options"))
                });
                self.layout.hosts.push(Host {
                    base: Vec::new(),
                    key_prefix: if splits_config { "config." } else { "" },
                    set: set.clone(),
                    conditions,
                });
                for binding in set.attrpath_values() {
                    let (Some(names), Some(value)) = (
                        binding.attrpath().and_then(|path| attrpath_names(&path)),
                        binding.value(),
                    ) else {
                        continue;
                    };
                    match names.split_first() {
                        Some((first, [])) if first == "config" => self.module(value, conditions),
                        Some((first, rest)) if first == "config" => {
                            self.visit(rest.to_vec(), value, conditions);
                        }
                        _ => self.visit(names, value, conditions),
                    }
                }
            }
            Unwrapped::Merge { parts, conditional } => {
                for part in parts {
                    self.module(part, conditions + usize::from(conditional));
                }
            }
            Unwrapped::Value { .. } => {}
        }
    }

    /// A binding at `path` (from the module's top).
    fn visit(&mut self, path: Vec<String>, value: ast::Expr, conditions: usize) {
        if path.len() < PERSISTENCE.len() {
            if PERSISTENCE.iter().zip(&path).all(|(a, b)| a == b) {
                self.attribute_set(path, value, conditions);
            }
            return;
        }
        if path[..PERSISTENCE.len()] != PERSISTENCE {
            return;
        }
        let below: Vec<&str> = path[PERSISTENCE.len()..]
            .iter()
            .map(String::as_str)
            .collect();
        if let Some(root) = below.first() {
            self.layout.persistence.storage_mut(root);
        }
        match below.as_slice() {
            [] | [_] | [_, "users"] => self.attribute_set(path, value, conditions),
            [root, "users", user] => {
                self.layout.persistence.storage_mut(root).user_mut(user);
                self.attribute_set(path, value, conditions);
            }
            [root, list @ ("directories" | "files")] => {
                let (root, kind) = (root.to_string(), list_kind(list));
                self.list(&path, &root, None, kind, value, conditions);
            }
            [root, "users", user, list @ ("directories" | "files")] => {
                let (root, user, kind) = (root.to_string(), user.to_string(), list_kind(list));
                self.layout.persistence.storage_mut(&root).user_mut(&user);
                self.list(&path, &root, Some(&user), kind, value, conditions);
            }
            [root, option @ ("hideMounts" | "enable")] => {
                let (root, option) = (root.to_string(), *option);
                if let Some(flag) = self.literal(&path, &value).and_then(|v| v.as_bool()) {
                    let storage = self.layout.persistence.storage_mut(&root);
                    if option == "enable" {
                        storage.enable = Some(flag);
                    } else {
                        storage.hide_mounts = Some(flag);
                    }
                }
            }
            [root, "users", user, "home"] => {
                let (root, user) = (root.to_string(), user.to_string());
                if let Some(Value::String(home)) = self.literal(&path, &value) {
                    self.layout
                        .persistence
                        .storage_mut(&root)
                        .user_mut(&user)
                        .home = Some(home);
                }
            }
            _ => {}
        }
    }

    /// A literal option value, seen through `mkDefault` and the like.
    fn literal(&mut self, path: &[String], value: &ast::Expr) -> Option<Value> {
        let value = match syntax::unwrap(value.clone()) {
            Unwrapped::Value { expr, .. } => expr,
            Unwrapped::Merge { .. } => value.clone(),
        };
        match literal_json(&value) {
            Ok(literal) => Some(literal),
            Err(reason) => {
                self.computed(path, value.syntax(), reason);
                None
            }
        }
    }

    /// A value that should be an attribute set of further bindings.
    fn attribute_set(&mut self, path: Vec<String>, value: ast::Expr, conditions: usize) {
        let in_persistence = path.len() >= PERSISTENCE.len();
        match syntax::unwrap(value) {
            Unwrapped::Value {
                expr: ast::Expr::AttrSet(set),
                conditional,
            } => {
                let conditions = conditions + usize::from(conditional);
                self.layout.hosts.push(Host {
                    base: path.clone(),
                    key_prefix: "",
                    set: set.clone(),
                    conditions,
                });
                for entry in set.entries() {
                    match entry {
                        ast::Entry::AttrpathValue(binding) => {
                            let names = binding.attrpath().and_then(|p| attrpath_names(&p));
                            match (names, binding.value()) {
                                (Some(names), Some(value)) => {
                                    let mut inner = path.clone();
                                    inner.extend(names);
                                    self.visit(inner, value, conditions);
                                }
                                _ if in_persistence => self.computed(
                                    &path,
                                    binding.syntax(),
                                    ComputedReason::DynamicName,
                                ),
                                _ => {}
                            }
                        }
                        ast::Entry::Inherit(inherit) if in_persistence => {
                            self.computed(&path, inherit.syntax(), ComputedReason::Inherit);
                        }
                        ast::Entry::Inherit(_) => {}
                    }
                }
            }
            Unwrapped::Merge { parts, conditional } => {
                for part in parts {
                    self.attribute_set(path.clone(), part, conditions + usize::from(conditional));
                }
            }
            Unwrapped::Value { expr, .. } if in_persistence => {
                self.computed(&path, expr.syntax(), syntax::reason(&expr));
            }
            Unwrapped::Value { .. } => {}
        }
    }

    /// The value of a `directories` or `files` option.
    fn list(
        &mut self,
        path: &[String],
        root: &str,
        user: Option<&str>,
        kind: EntryKind,
        value: ast::Expr,
        conditions: usize,
    ) {
        match syntax::unwrap(value) {
            Unwrapped::Value {
                expr: ast::Expr::List(list),
                conditional,
            } => {
                for item in list.items() {
                    self.entry(path, root, user, kind, item);
                }
                self.layout.sites.push(ListSite {
                    root: root.to_owned(),
                    user: user.map(str::to_owned),
                    kind,
                    list,
                    conditions: conditions + usize::from(conditional),
                    place: place(path),
                });
            }
            Unwrapped::Value {
                expr: ast::Expr::BinOp(concat),
                conditional,
            } if concat.operator() == Some(ast::BinOpKind::Concat) => {
                let conditions = conditions + usize::from(conditional);
                for side in [concat.lhs(), concat.rhs()].into_iter().flatten() {
                    self.list(path, root, user, kind, side, conditions);
                }
            }
            Unwrapped::Merge { parts, conditional } => {
                for part in parts {
                    let conditions = conditions + usize::from(conditional);
                    self.list(path, root, user, kind, part, conditions);
                }
            }
            Unwrapped::Value { expr, .. } => {
                self.computed(path, expr.syntax(), syntax::reason(&expr));
            }
        }
    }

    /// One item of a list: `"/var/lib/x"` or `{ directory = …; … }`.
    fn entry(
        &mut self,
        path: &[String],
        root: &str,
        user: Option<&str>,
        kind: EntryKind,
        item: ast::Expr,
    ) {
        let mut item = item;
        while let ast::Expr::Paren(paren) = &item {
            match paren.expr() {
                Some(inner) => item = inner,
                None => break,
            }
        }
        let parsed = match &item {
            ast::Expr::Str(string) => {
                syntax::literal_str(string).map(|entry_path| (entry_path, Vec::new()))
            }
            ast::Expr::AttrSet(set) => self.attribute_entry(path, kind, set),
            _ => Err(syntax::reason(&item)),
        };
        let (entry_path, attributes) = match parsed {
            Ok(parsed) => parsed,
            Err(reason) => {
                self.computed(path, item.syntax(), reason);
                return;
            }
        };
        let range = item.syntax().text_range();
        let entry = Entry {
            kind,
            path: entry_path,
            attributes,
            range: range.start().into()..range.end().into(),
            line: self.line_of(item.syntax()),
        };
        let storage = self.layout.persistence.storage_mut(root);
        let lists = match user {
            Some(user) => &mut storage.user_mut(user).entries,
            None => &mut storage.entries,
        };
        lists.of_kind_mut(kind).push(entry);
    }

    /// `{ directory = "/x"; mode = "0700"; }`: the path and the other keys.
    /// A computed key is left out and reported; a computed path makes the
    /// whole entry computed.
    fn attribute_entry(
        &mut self,
        path: &[String],
        kind: EntryKind,
        set: &ast::AttrSet,
    ) -> Result<(String, Vec<(String, Value)>), ComputedReason> {
        let mut entry_path = None;
        let mut attributes: Vec<(String, Value)> = Vec::new();
        for entry in set.entries() {
            let ast::Entry::AttrpathValue(binding) = entry else {
                self.computed(path, entry.syntax(), ComputedReason::Inherit);
                continue;
            };
            let Some(names) = binding.attrpath().and_then(|p| attrpath_names(&p)) else {
                self.computed(path, binding.syntax(), ComputedReason::DynamicName);
                continue;
            };
            let Some(value) = binding.value() else {
                continue;
            };
            if names == [kind.path_key()] {
                match literal_json(&value)? {
                    Value::String(text) => entry_path = Some(text),
                    _ => return Err(syntax::reason(&value)),
                }
                continue;
            }
            let value = match literal_json(&value) {
                Ok(literal) => literal,
                Err(reason) => {
                    self.computed(path, value.syntax(), reason);
                    continue;
                }
            };
            let Some((first, rest)) = names.split_first() else {
                continue;
            };
            let index = match attributes.iter().position(|(key, _)| key == first) {
                Some(index) => index,
                None => {
                    attributes.push((first.clone(), Value::Object(Map::new())));
                    attributes.len() - 1
                }
            };
            let slot = &mut attributes[index].1;
            match (slot, rest.is_empty()) {
                (slot, true) => *slot = value,
                (Value::Object(object), false) => syntax::insert_nested(object, rest, value),
                (slot, false) => {
                    let mut object = Map::new();
                    syntax::insert_nested(&mut object, rest, value);
                    *slot = Value::Object(object);
                }
            }
        }
        entry_path
            .map(|entry_path| (entry_path, attributes))
            .ok_or(ComputedReason::NoPath(kind.path_key()))
    }
}

fn list_kind(name: &str) -> EntryKind {
    if name == "files" {
        EntryKind::File
    } else {
        EntryKind::Directory
    }
}
