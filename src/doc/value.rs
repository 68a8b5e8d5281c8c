//! The lossless value tree: every mapping keeps its keys in source order, every node its
//! source position, and non-string scalars the text they were written as.

use std::fmt;

/// A 1-based line and column (columns count characters) in a registered source file
/// (`file`, see `doc::source_by_id`; 0 when the file is not known). `line == 0` means "no
/// source position" (a node created by an edit rather than read from a file). The file lets
/// a built resource say, field by field, which base, patch or kustomization line set it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub file: u32,
}

impl Pos {
    pub const NONE: Pos = Pos {
        line: 0,
        col: 0,
        file: 0,
    };

    pub fn new(line: usize, col: usize) -> Pos {
        Pos {
            line: line.min(u32::MAX as usize) as u32,
            col: col.min(u32::MAX as usize) as u32,
            file: 0,
        }
    }

    pub fn in_file(self, file: u32) -> Pos {
        Pos { file, ..self }
    }

    pub fn is_known(self) -> bool {
        self.line > 0
    }
}

/// `line:col` (the file is named by whoever prints it).
impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers above `i64::MAX` that still fit 64 bits, as Go's YAML decoders keep them.
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Map),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// The scalar's text as written, kept for non-string scalars (`0.50`, `010`, `null`,
    /// unquoted timestamps) because kustomize re-reads annotation values from it.
    pub raw: Option<Box<str>>,
}

/// Equality is by value only: two documents are equal when they say the same thing,
/// wherever it was written.
impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.value == other.value
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    /// The key was written as a non-string scalar (`8080: http`), which kustomize refuses.
    pub key_typed: bool,
    pub value: Node,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.key == other.key && self.value == other.value
    }
}

impl Node {
    pub fn new(value: Value) -> Node {
        Node {
            value,
            pos: Pos::NONE,
            raw: None,
        }
    }

    pub fn at(value: Value, pos: Pos) -> Node {
        Node {
            value,
            pos,
            raw: None,
        }
    }

    pub fn null() -> Node {
        Node::new(Value::Null)
    }

    pub fn string(s: impl Into<String>) -> Node {
        Node::new(Value::String(s.into()))
    }

    pub fn map() -> Node {
        Node::new(Value::Map(Map::default()))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::UInt(u) => i64::try_from(u).ok(),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::UInt(u) => Some(u as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Field of a mapping; `None` for a missing key or a node that is not a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?.get_mut(key)
    }

    /// Walks a path of mapping keys: `node.path(&["metadata", "name"])`.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn str_at(&self, keys: &[&str]) -> Option<&str> {
        self.path(keys)?.as_str()
    }

    /// The scalar as text: strings as they are, other scalars as written in the source (or
    /// in their canonical spelling when created by an edit). `None` for collections.
    pub fn scalar_text(&self) -> Option<String> {
        if let Some(raw) = &self.raw {
            return Some(raw.to_string());
        }
        Some(match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => crate::render::number::format_float(*f),
            Value::String(s) => s.clone(),
            Value::Seq(_) | Value::Map(_) => return None,
        })
    }

    /// Depth-first visit of every node with its JSON pointer.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&str, &'a Node)) {
        fn go<'a>(node: &'a Node, ptr: &mut String, f: &mut dyn FnMut(&str, &'a Node)) {
            f(ptr, node);
            let len = ptr.len();
            match &node.value {
                Value::Map(m) => {
                    for e in &m.entries {
                        ptr.push('/');
                        crate::doc::pointer::escape_into(&e.key, ptr);
                        go(&e.value, ptr, f);
                        ptr.truncate(len);
                    }
                }
                Value::Seq(items) => {
                    for (i, item) in items.iter().enumerate() {
                        use std::fmt::Write;
                        let _ = write!(ptr, "/{i}");
                        go(item, ptr, f);
                        ptr.truncate(len);
                    }
                }
                _ => {}
            }
        }
        go(self, &mut String::new(), f)
    }
}

impl Map {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// Replaces the value of an existing key in place (keeping its position in the mapping)
    /// or appends a new entry.
    pub fn insert(&mut self, key: impl Into<String>, value: Node) -> Option<Node> {
        let key = key.into();
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            return Some(std::mem::replace(&mut e.value, value));
        }
        // Edits (fixes above all) make many one-key mappings: room for one, not four.
        if self.entries.is_empty() {
            self.entries.reserve_exact(1);
        }
        self.entries.push(Entry {
            key,
            key_pos: Pos::NONE,
            key_typed: false,
            value,
        });
        None
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        Some(self.entries.remove(i).value)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }
}
