//! YAML text to value trees, typed the way kustomize (yaml.v3) types them, with a position
//! for every node. Anchors, aliases and `<<` merges are resolved here, within bounds.

use crate::doc::{Entry, Map, Node, Pos, Value};
use crate::scalar::{resolve_plain, resolve_tagged};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Nesting deeper than this is refused rather than risking the stack of every later pass.
pub const MAX_DEPTH: usize = 512;
/// Nodes that alias expansion may add to one document beyond its own size.
const ALIAS_BUDGET: usize = 100_000;

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for ParseError {}

fn pos_of(span: &Span, file: u32) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1).in_file(file)
}

fn err(message: impl Into<String>, pos: Pos) -> ParseError {
    ParseError {
        message: message.into(),
        pos,
    }
}

/// A YAML document of a stream: its index in the file and its root (`None` when the
/// document is empty or holds only comments).
pub struct RawDoc {
    pub index: usize,
    pub root: Option<Node>,
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
    },
    Map {
        node: Node,
        anchor: usize,
        /// The pending key, whether it was a typed scalar, and whether it is a `<<` merge.
        key: Option<(Node, bool, bool)>,
        merges: Vec<(Node, Pos)>,
        seen: Option<HashSet<String>>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<Node>,
    /// The scalar being pushed is a plain, untagged `<<`.
    merge_key: bool,
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(m) => m.entries.iter().map(|e| count_nodes(&e.value)).sum(),
        _ => 0,
    }
}

fn core_suffix(tag: &Tag) -> Option<&str> {
    (tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!").then_some(tag.suffix.as_str())
}

fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>, pos: Pos) -> Result<Node, ParseError> {
    let value = match (tag, style) {
        (None, ScalarStyle::Plain) => resolve_plain(text),
        (None, _) => Value::String(text.to_string()),
        (Some(tag), _) => match core_suffix(tag) {
            Some(suffix) => resolve_tagged(suffix, text)
                .ok_or_else(|| err(format!("cannot read `{text}` as !!{suffix}"), pos))?,
            None => Value::String(text.to_string()),
        },
    };
    let raw = match &value {
        Value::String(s) if s == text => None,
        _ => Some(text.into()),
    };
    Ok(Node { value, pos, raw })
}

impl Builder {
    fn new() -> Builder {
        Builder {
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
            merge_key: false,
        }
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(err(
                format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
                pos,
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (node.clone(), count_nodes(node)));
        }
    }

    fn alias(&mut self, id: usize, pos: Pos) -> Result<(), ParseError> {
        let (node, count) = self
            .anchors
            .get(&id)
            .ok_or_else(|| err("alias to an unknown anchor", pos))?;
        self.alias_nodes += count;
        if self.alias_nodes > ALIAS_BUDGET {
            return Err(err(
                format!("aliases expand to more than {ALIAS_BUDGET} nodes (an alias bomb?)"),
                pos,
            ));
        }
        let mut node = node.clone();
        node.pos = pos;
        self.push(node, true)
    }

    /// Hands a finished node to its parent.
    fn push(&mut self, node: Node, is_alias: bool) -> Result<(), ParseError> {
        let merge_key = std::mem::take(&mut self.merge_key);
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { node: seq, .. }) => {
                if let Value::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some(Frame::Map {
                node: map,
                key,
                merges,
                seen,
                ..
            }) => match key.take() {
                None => {
                    let typed = match &node.value {
                        Value::String(_) => false,
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(err(
                                "a mapping key must be a scalar, not a list or mapping",
                                node.pos,
                            ));
                        }
                        _ => true,
                    };
                    *key = Some((node, typed && !is_alias, merge_key));
                }
                Some((k, typed, is_merge)) => {
                    if is_merge {
                        merges.push((node, k.pos));
                        return Ok(());
                    }
                    let text = match k.value {
                        Value::String(s) => s,
                        _ => k.raw.map(String::from).unwrap_or_default(),
                    };
                    let Value::Map(m) = &mut map.value else {
                        return Ok(());
                    };
                    let duplicate = match seen {
                        Some(set) => !set.insert(text.clone()),
                        None => m.contains_key(&text),
                    };
                    if duplicate {
                        return Err(err(format!("mapping key `{text}` is defined twice"), k.pos));
                    }
                    if seen.is_none() && m.entries.len() >= 16 {
                        *seen = Some(
                            m.entries
                                .iter()
                                .map(|e| e.key.clone())
                                .chain([text.clone()])
                                .collect(),
                        );
                    }
                    m.entries.push(Entry {
                        key: text,
                        key_pos: k.pos,
                        key_typed: typed,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), ParseError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (mut node, anchor) = match frame {
            Frame::Seq { node, anchor } => (node, anchor),
            Frame::Map {
                mut node,
                anchor,
                merges,
                ..
            } => {
                apply_merges(&mut node, merges)?;
                (node, anchor)
            }
        };
        // Lists and mappings grew by doubling: trimmed, 10,000 loaded resources take 74 MB
        // instead of 99, fresh memory being a large part of what a big tree costs.
        match &mut node.value {
            Value::Seq(items) => items.shrink_to_fit(),
            Value::Map(m) => m.entries.shrink_to_fit(),
            _ => {}
        }
        self.remember(anchor, &node);
        node.raw = None;
        self.push(node, false)
    }
}

fn apply_merges(node: &mut Node, merges: Vec<(Node, Pos)>) -> Result<(), ParseError> {
    let Value::Map(map) = &mut node.value else {
        return Ok(());
    };
    for (source, pos) in merges {
        let sources: Vec<Node> = match source.value {
            Value::Map(_) => vec![source],
            Value::Seq(items) => items,
            _ => {
                return Err(err(
                    "a `<<` merge needs a mapping or a list of mappings",
                    pos,
                ));
            }
        };
        for src in sources {
            let Value::Map(m) = src.value else {
                return Err(err(
                    "a `<<` merge needs a mapping or a list of mappings",
                    pos,
                ));
            };
            for e in m.entries {
                if !map.contains_key(&e.key) {
                    map.entries.push(e);
                }
            }
        }
    }
    Ok(())
}

/// yaml.v3 (like libyaml) treats U+2028/U+2029 as line breaks, YAML 1.2 parsers as content;
/// kustomize reads `a<LS>    b` as `a<LS>b`, so the indentation after them is dropped here:
/// all of it in flow scalars, the block's indentation in block scalars.
fn fold_unicode_breaks(value: &str, style: ScalarStyle, content_col: usize) -> String {
    let block_indent = match style {
        ScalarStyle::Literal | ScalarStyle::Folded => content_col,
        _ => usize::MAX,
    };
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if matches!(c, '\u{2028}' | '\u{2029}') {
            if block_indent == usize::MAX {
                let trimmed = out.trim_end_matches([' ', '\t']).len() - c.len_utf8();
                let kept = out[..trimmed].trim_end_matches([' ', '\t']).len();
                out.replace_range(kept..trimmed, "");
            }
            let mut skipped = 0;
            while skipped < block_indent && matches!(chars.peek(), Some(' ' | '\t')) {
                chars.next();
                skipped += 1;
            }
        }
    }
    out
}

/// Parses every document of a YAML (or JSON) stream of no registered file.
pub fn parse_stream(text: &str) -> Result<Vec<RawDoc>, ParseError> {
    parse_stream_in(text, 0)
}

/// Parses every document of a stream; positions name `file` (a `Source` id).
pub fn parse_stream_in(text: &str, file: u32) -> Result<Vec<RawDoc>, ParseError> {
    let source = text;
    let mut total_chars: Option<usize> = None;
    let mut docs = Vec::new();
    let mut b = Builder::new();
    let mut index = 0;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| {
            err(
                e.info().to_string(),
                Pos::new(e.marker().line(), e.marker().col() + 1).in_file(file),
            )
        })?;
        let pos = pos_of(&span, file);
        match event {
            Event::DocumentStart(_) => {
                b = Builder::new();
            }
            Event::DocumentEnd => {
                let root = b
                    .root
                    .take()
                    .filter(|r| !(r.is_null() && r.raw.as_deref() == Some("")));
                docs.push(RawDoc { index, root });
                index += 1;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let mut text = if text.contains(['\u{2028}', '\u{2029}']) {
                    std::borrow::Cow::Owned(fold_unicode_breaks(&text, style, span.start.col()))
                } else {
                    text
                };
                // A block scalar whose last line ends the file without a line break has no
                // final line break (saphyr adds one; yaml.v3 does not).
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && !source.ends_with(['\n', '\r'])
                    && text.ends_with('\n')
                    && *total_chars.get_or_insert_with(|| source.chars().count())
                        <= span.end.index()
                {
                    text.to_mut().pop();
                }
                let node = scalar(&text, style, tag.as_deref(), pos)?;
                b.remember(anchor, &node);
                b.merge_key = style == ScalarStyle::Plain && tag.is_none() && text == "<<";
                b.push(node, false)?;
            }
            Event::SequenceStart(anchor, _) => {
                b.open(
                    Frame::Seq {
                        node: Node::at(Value::Seq(Vec::new()), pos),
                        anchor,
                    },
                    pos,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                b.open(
                    Frame::Map {
                        node: Node::at(Value::Map(Map::default()), pos),
                        anchor,
                        key: None,
                        merges: Vec::new(),
                        seen: None,
                    },
                    pos,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => b.close()?,
            Event::Alias(id) => b.alias(id, pos)?,
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok(docs)
}

/// The non-empty documents of a stream, for tests and callers that need no indexes.
pub fn parse_str(text: &str) -> Result<Vec<Node>, ParseError> {
    Ok(parse_stream(text)?
        .into_iter()
        .filter_map(|d| d.root)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse_str(text).unwrap().remove(0)
    }

    #[test]
    fn a_block_scalar_ending_the_file_without_a_newline_has_none() {
        let d = one("a: |\n  x\n  y");
        assert_eq!(d.get("a").unwrap().as_str(), Some("x\ny"));
        let d = one("a: |\n  x\n  y\n");
        assert_eq!(d.get("a").unwrap().as_str(), Some("x\ny\n"));
        let d = one("a: |\n  x\nb: 1");
        assert_eq!(d.get("a").unwrap().as_str(), Some("x\n"));
    }

    #[test]
    fn keeps_key_order_positions_and_raw_text() {
        let d = one("zeta: 1\nalpha:\n  ratio: 0.50\n  when: 2024-05-06\n  name: x\n");
        let keys: Vec<_> = d.as_map().unwrap().iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["zeta", "alpha"]);
        let ratio = d.path(&["alpha", "ratio"]).unwrap();
        assert_eq!(ratio.value, Value::Float(0.5));
        assert_eq!(ratio.raw.as_deref(), Some("0.50"));
        assert_eq!(ratio.pos, Pos::new(3, 10));
        let when = d.path(&["alpha", "when"]).unwrap();
        assert_eq!(when.as_str(), Some("2024-05-06T00:00:00Z"));
        assert_eq!(when.raw.as_deref(), Some("2024-05-06"));
        assert_eq!(d.path(&["alpha", "name"]).unwrap().raw, None);
    }

    #[test]
    fn empty_and_comment_only_documents_have_no_root() {
        let docs = parse_stream("# just a comment\n---\n# another\n---\na: 1\n").unwrap();
        let roots: Vec<bool> = docs.iter().map(|d| d.root.is_some()).collect();
        assert_eq!(roots, [false, true]);
        assert_eq!(docs[1].index, 1);
        assert!(parse_stream("").unwrap().iter().all(|d| d.root.is_none()));
    }

    #[test]
    fn anchors_aliases_and_merge_keys_resolve() {
        let d = one(
            "base: &b\n  x: 1\n  y: 2\nuse:\n  <<: *b\n  y: 3\nlist: [*b]\nquoted:\n  \"<<\": 5\n",
        );
        assert_eq!(d.path(&["use", "x"]).unwrap().as_i64(), Some(1));
        assert_eq!(d.path(&["use", "y"]).unwrap().as_i64(), Some(3));
        assert_eq!(
            d.get("list").unwrap().as_seq().unwrap()[0]
                .get("y")
                .unwrap()
                .as_i64(),
            Some(2)
        );
        assert_eq!(d.path(&["quoted", "<<"]).unwrap().as_i64(), Some(5));
    }

    #[test]
    fn duplicate_keys_are_errors_with_position() {
        let e = parse_str("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.pos, Pos::new(3, 1));
        assert!(e.message.contains("`a` is defined twice"), "{}", e.message);
        let many: String =
            (0..40).map(|i| format!("k{i}: {i}\n")).collect::<String>() + "k7: again\n";
        assert!(parse_str(&many).is_err());
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_bounded() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            bomb += &format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", "));
        }
        let e = parse_str(&bomb).unwrap_err();
        assert!(e.message.contains("alias"), "{}", e.message);
        let flow = "[".repeat(2000) + &"]".repeat(2000);
        let e = parse_str(&flow).unwrap_err();
        assert!(e.message.contains("recursion limit"), "{}", e.message);
        let block: String = (0..600)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        let e = parse_str(&block).unwrap_err();
        assert!(
            e.message.contains("nesting deeper than 512"),
            "{}",
            e.message
        );
        assert_eq!(e.pos.line, 513);
    }

    #[test]
    fn non_string_keys_are_marked_and_tags_resolve() {
        let d =
            one("8080: http\n\"443\": https\nv: !!str 123\nw: !!int \"42\"\nc: !custom value\n");
        let m = d.as_map().unwrap();
        assert!(m.entries[0].key_typed);
        assert!(!m.entries[1].key_typed);
        assert_eq!(d.get("v").unwrap().as_str(), Some("123"));
        assert_eq!(d.get("w").unwrap().as_i64(), Some(42));
        assert_eq!(d.get("c").unwrap().as_str(), Some("value"));
    }
}
