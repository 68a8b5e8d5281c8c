//! A YAML emitter that writes what go-yaml v2 writes for the same values (kustomize's
//! output path): sorted keys, indentless sequences, YAML 1.1 quoting, folding at column
//! 80, literal blocks. The scalar analysis and writers follow go-yaml v2's `emitterc.go`,
//! state for state, because byte-identical output depends on its column bookkeeping.

use super::keys;
use super::number::float_text;
use crate::doc::{Entry, Node, Value};
use crate::scalar::needs_quotes;

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;
const MAX_SIMPLE_KEY_BYTES: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub struct EmitError {
    /// JSON pointer of the offending value.
    pub pointer: String,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// A step of the path to the node being written, kept for error messages only.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Emitter<'a> {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    path: Vec<Seg<'a>>,
    /// Write the top-level `metadata.annotations` values as strings, as kustomize does.
    kustomize: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\x20'..='\x7e' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

/// Each character with: is it the first, the next character, is it the last.
fn scan(s: &str) -> impl Iterator<Item = (bool, char, Option<char>)> + '_ {
    let mut it = s.chars().peekable();
    let mut first = true;
    std::iter::from_fn(move || {
        let c = it.next()?;
        Some((std::mem::replace(&mut first, false), c, it.peek().copied()))
    })
}

fn is_blankz(c: Option<char>) -> bool {
    c.is_none_or(|c| matches!(c, ' ' | '\t') || is_break(c))
}

/// go-yaml v2's `yaml_emitter_analyze_scalar`, reduced to block context.
struct Analysis {
    multiline: bool,
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            plain_allowed: true,
            single_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut special, mut line_breaks) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (first, c, next) in scan(s) {
        let followed_by_whitespace = is_blankz(next);
        let last = next.is_none();
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(Some(c));
    }
    let mut a = Analysis {
        multiline: line_breaks,
        plain_allowed: true,
        single_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.plain_allowed = false;
        a.single_allowed = false;
    }
    if space_break || special {
        a.plain_allowed = false;
        a.single_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.plain_allowed = false;
    }
    a
}

impl<'a> Emitter<'a> {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_str(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.put_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        for (_, c, next) in scan(s) {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && next != Some(' ') {
                    self.write_indent(indent);
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        for (first, c, next) in scan(s) {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && !first
                    && next.is_some()
                    && next != Some(' ')
                {
                    self.write_indent(indent);
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let bom = s.starts_with('\u{feff}');
        let mut spaces = false;
        for (first, c, next) in scan(s) {
            if !is_printable(c) || bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\x07' => self.put('a'),
                    '\x08' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\x0b' => self.put('v'),
                    '\x0c' => self.put('f'),
                    '\r' => self.put('r'),
                    '\x1b' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c if (c as u32) <= 0xff => self.put_str(&format!("x{:02X}", c as u32)),
                    c if (c as u32) <= 0xffff => self.put_str(&format!("u{:04X}", c as u32)),
                    c => self.put_str(&format!("U{:08X}", c as u32)),
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !first && next.is_some() {
                    self.write_indent(indent);
                    if next == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(' ');
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str, indent: usize) {
        self.write_indicator("|", true, false, false);
        if s.starts_with(' ') || s.starts_with(is_break) {
            self.write_indicator("2", false, false, false);
        }
        let mut rev = s.chars().rev();
        let chomp = match (rev.next(), rev.next()) {
            (None, _) => Some("-"),
            (Some(c), _) if !is_break(c) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(c)) if is_break(c) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in s.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// A string scalar: go-yaml v2's style request (`encode.go`) refined by the emitter's
    /// analysis (`yaml_emitter_select_scalar_style`).
    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let mut style = if s.contains('\n') {
            Style::Literal
        } else if needs_quotes(s) {
            Style::Double
        } else {
            Style::Plain
        };
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.plain_allowed || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, indent, allow_breaks),
            Style::Single => self.write_single(s, indent, allow_breaks),
            Style::Double => self.write_double(s, indent, allow_breaks),
            Style::Literal => self.write_literal(s, indent),
        }
    }

    fn error(&self, message: String) -> EmitError {
        let mut pointer = String::new();
        for seg in &self.path {
            pointer.push('/');
            match seg {
                Seg::Key(k) => crate::doc::pointer::escape_into(k, &mut pointer),
                Seg::Index(i) => pointer.push_str(&i.to_string()),
            }
        }
        EmitError { pointer, message }
    }

    /// `container` is the indentation of the mapping or sequence holding the node.
    fn scalar(&mut self, node: &Node, container: usize, as_string: bool) -> Result<(), EmitError> {
        let indent = container + BEST_INDENT;
        if as_string
            && (node.raw.is_some() || !matches!(node.value, Value::String(_)))
            && let Some(text) = node.scalar_text()
        {
            return self.checked_string(&text, indent, false);
        }
        let text = match &node.value {
            Value::String(s) => return self.checked_string(s, indent, false),
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => float_text(*f).ok_or_else(|| {
                self.error(format!(
                    "{} cannot be written as JSON, so kustomize cannot print it; quote it to keep it a string",
                    node.raw.as_deref().unwrap_or("the value")
                ))
            })?,
            Value::Seq(_) | Value::Map(_) => unreachable!("collections are not scalars"),
        };
        self.write_plain(&text, indent, false);
        Ok(())
    }

    fn checked_string(
        &mut self,
        s: &str,
        indent: usize,
        simple_key: bool,
    ) -> Result<(), EmitError> {
        if let Some(c) = s.chars().find(|&c| {
            c == '\u{7f}'
                || (('\u{80}'..='\u{9f}').contains(&c) && c != '\u{85}')
                || c == '\u{fffe}'
                || c == '\u{ffff}'
        }) {
            return Err(self.error(format!(
                "the control character U+{:04X} is not allowed in YAML output",
                c as u32
            )));
        }
        if s.contains('\u{85}') {
            // encoding/json leaves NEL raw and go-yaml v2 folds that line break to a space.
            self.string(&s.replace('\u{85}', " "), indent, simple_key);
        } else {
            self.string(s, indent, simple_key);
        }
        Ok(())
    }

    fn is_empty_collection(node: &Node) -> Option<&'static str> {
        match &node.value {
            Value::Map(m) if m.is_empty() => Some("{}"),
            Value::Seq(s) if s.is_empty() => Some("[]"),
            _ => None,
        }
    }

    fn map(
        &mut self,
        entries: &'a [Entry],
        indent: usize,
        as_strings: bool,
    ) -> Result<(), EmitError> {
        let at_metadata = self.kustomize && matches!(self.path.as_slice(), [Seg::Key("metadata")]);
        for e in keys::sorted(entries.iter(), |e| e.key.as_str()) {
            let annotations = at_metadata && e.key == "annotations";
            if annotations && Self::is_empty_collection(&e.value) == Some("{}") {
                continue;
            }
            self.path.push(Seg::Key(&e.key));
            if e.key_typed {
                return Err(self.error(format!(
                    "the key `{}` is not a string; kustomize cannot write it as JSON (quote it: \"{}\")",
                    e.key, e.key
                )));
            }
            self.write_indent(indent);
            let simple = e.key.len() <= MAX_SIMPLE_KEY_BYTES && !e.key.contains(is_break);
            if simple {
                self.checked_string(&e.key, indent + BEST_INDENT, true)?;
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.checked_string(&e.key, indent + BEST_INDENT, false)?;
                self.write_indent(indent);
                self.write_indicator(":", true, false, true);
            }
            self.value(&e.value, indent, true, as_strings || annotations)?;
            self.path.pop();
        }
        Ok(())
    }

    fn seq(&mut self, items: &'a [Node], indent: usize) -> Result<(), EmitError> {
        for (i, item) in items.iter().enumerate() {
            self.path.push(Seg::Index(i));
            self.write_indent(indent);
            self.write_indicator("-", true, false, true);
            self.value(item, indent, false, false)?;
            self.path.pop();
        }
        Ok(())
    }

    /// A node in a block collection whose own indentation is `container`. `as_string` asks
    /// for scalars to be written as the strings they were read from (annotation values).
    fn value(
        &mut self,
        node: &'a Node,
        container: usize,
        in_mapping: bool,
        as_string: bool,
    ) -> Result<(), EmitError> {
        if let Some(flow) = Self::is_empty_collection(node) {
            self.write_indicator(flow, true, false, false);
            return Ok(());
        }
        match &node.value {
            Value::Map(m) => self.map(&m.entries, container + BEST_INDENT, as_string),
            Value::Seq(items) => {
                let indentless = in_mapping && !self.indention;
                let indent = if indentless {
                    container
                } else {
                    container + BEST_INDENT
                };
                self.seq(items, indent)
            }
            _ => self.scalar(node, container, as_string),
        }
    }
}

/// Writes one value as go-yaml v2 marshals it: no document marker, a final newline.
pub fn emit(root: &Node) -> Result<String, EmitError> {
    emit_into(root, false, String::with_capacity(1024))
}

/// Writes one top-level object as kustomize prints it: like `emit`, with the object's
/// `metadata.annotations` turned into strings read from their source text (`0.50` stays
/// `"0.50"`) and dropped when empty.
pub fn emit_object(root: &Node, out: String) -> Result<String, EmitError> {
    emit_into(root, true, out)
}

fn emit_into(root: &Node, kustomize: bool, out: String) -> Result<String, EmitError> {
    let mut e = Emitter {
        out,
        column: 0,
        whitespace: true,
        indention: true,
        path: Vec::new(),
        kustomize,
    };
    match &root.value {
        Value::Map(m) if !m.is_empty() => e.map(&m.entries, 0, false)?,
        Value::Seq(items) if !items.is_empty() => e.seq(items, 0)?,
        _ => match Emitter::is_empty_collection(root) {
            Some(flow) => e.put_str(flow),
            None => e.scalar(root, 0, false)?,
        },
    }
    if e.column > 0 {
        e.put_break();
    }
    Ok(e.out)
}
