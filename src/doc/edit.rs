//! Text-preserving edits: a file's new text from its documents as read and as they should
//! be, changing only the fields that differ, so comments and formatting elsewhere stay.
//!
//! Old and new trees are walked together over a span tree of the source (parsed again here,
//! so `Node` carries no end positions). A changed single-line scalar is replaced in place; a
//! key or list item removed from a block collection loses its lines; one added is inserted
//! as block YAML after the last entry; a single-line flow collection is rewritten in flow
//! style; anything else (a type change, a block scalar, a multi-line flow collection, an
//! alias or merge) re-renders the smallest enclosing entry or item, and failing that the
//! whole document, canonically. The result is parsed back and compared with what was
//! wanted; a document that does not match is rendered canonically, and when the file still
//! does not match, `rewrite` gives up (`None`) and the caller writes canonical YAML.

use crate::doc::{Entry, Map, Node, Value};
use crate::load::parse::{RawDoc, parse_stream};
use crate::render::emit::{emit, emit_object};
use saphyr_parser::{Event, Parser, ScalarStyle};

/// A node of the source with byte offsets: `start` where it begins, `end` where its text
/// ends (for a block collection, where its last child's text ends).
#[derive(Debug)]
struct Span {
    shape: Shape,
    start: usize,
    end: usize,
}

#[derive(Debug)]
enum Shape {
    Scalar(ScalarStyle),
    Alias,
    /// Each entry's key text, key start and value.
    Map(bool, Vec<(String, usize, Span)>),
    Seq(bool, Vec<Span>),
}

impl Span {
    fn flow(&self) -> bool {
        matches!(self.shape, Shape::Map(true, _) | Shape::Seq(true, _))
    }
}

/// A YAML document of the file: where it begins (its `---` line, or its root's line) and
/// its root.
struct SpanDoc {
    start: usize,
    root: Option<Span>,
}

enum Open {
    Map(Span, Option<(String, usize)>),
    Seq(Span),
}

/// Byte offsets of character indexes (saphyr counts characters).
struct Offsets(Option<Vec<usize>>);

impl Offsets {
    fn new(text: &str) -> Offsets {
        Offsets((!text.is_ascii()).then(|| {
            let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            v.push(text.len());
            v
        }))
    }

    fn at(&self, index: usize) -> usize {
        match &self.0 {
            None => index,
            Some(v) => v.get(index).copied().unwrap_or(usize::MAX),
        }
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn line_end(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

fn spans(text: &str) -> Option<Vec<SpanDoc>> {
    let offsets = Offsets::new(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut start = 0;
    let mut root = None;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.ok()?;
        let (a, b) = (offsets.at(span.start.index()), offsets.at(span.end.index()));
        if a > text.len() || b > text.len() {
            return None;
        }
        let mut value = None;
        let done = match event {
            Event::DocumentStart(explicit) => {
                start = if explicit {
                    line_start(text, a)
                } else {
                    usize::MAX
                };
                root = None;
                continue;
            }
            Event::DocumentEnd => {
                let start = if start == usize::MAX {
                    root.as_ref()
                        .map_or(a, |r: &Span| line_start(text, r.start))
                } else {
                    start
                };
                docs.push(SpanDoc {
                    start,
                    root: root.take(),
                });
                continue;
            }
            Event::Scalar(v, style, ..) => {
                value = Some(v.into_owned());
                Span {
                    shape: Shape::Scalar(style),
                    start: a,
                    end: scalar_end(text, style, a, b),
                }
            }
            Event::Alias(_) => Span {
                shape: Shape::Alias,
                start: a,
                end: b,
            },
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let flow = text[a..].starts_with(['{', '[']);
                let span = |shape| Span {
                    shape,
                    start: a,
                    end: a,
                };
                stack.push(match event {
                    Event::MappingStart(..) => Open::Map(span(Shape::Map(flow, Vec::new())), None),
                    _ => Open::Seq(span(Shape::Seq(flow, Vec::new()))),
                });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (Open::Map(mut s, _) | Open::Seq(mut s)) = stack.pop()?;
                // saphyr's end can run on over a comment after the bracket.
                s.end = if s.flow() {
                    (a + 1).min(b)
                } else {
                    match &s.shape {
                        Shape::Map(_, e) => e.last().map_or(s.start, |e| content_end(text, &e.2)),
                        Shape::Seq(_, i) => i.last().map_or(s.start, |i| content_end(text, i)),
                        _ => s.start,
                    }
                };
                s
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => continue,
        };
        match stack.last_mut() {
            None => root = Some(done),
            Some(Open::Seq(s)) => {
                if let Shape::Seq(_, items) = &mut s.shape {
                    items.push(done);
                }
            }
            Some(Open::Map(s, key)) => match key.take() {
                None => *key = Some((value.unwrap_or_default(), done.start)),
                Some((k, at)) => {
                    if let Shape::Map(_, entries) = &mut s.shape {
                        entries.push((k, at, done));
                    }
                }
            },
        }
    }
    Some(docs)
}

/// Where a flow scalar's text ends (saphyr's end can run on over a following comment).
fn scalar_end(text: &str, style: ScalarStyle, start: usize, end: usize) -> usize {
    let t = &text[start..end];
    match style {
        ScalarStyle::Plain => {
            let t = [" #", "\t#"]
                .iter()
                .filter_map(|c| t.find(c))
                .min()
                .map_or(t, |i| &t[..i]);
            start + t.trim_end().len()
        }
        ScalarStyle::SingleQuoted => {
            let mut chars = t.char_indices().skip(1).peekable();
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        chars.next();
                    } else {
                        return start + i + 1;
                    }
                }
            }
            end
        }
        ScalarStyle::DoubleQuoted => {
            let mut chars = t.char_indices().skip(1);
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => return start + i + 1,
                    _ => {}
                }
            }
            end
        }
        _ => end,
    }
}

/// Where a node's text ends, trailing line breaks of a block scalar left out.
fn content_end(text: &str, s: &Span) -> usize {
    match s.shape {
        Shape::Scalar(ScalarStyle::Literal | ScalarStyle::Folded) => {
            let t = &text[s.start..s.end];
            s.start + t.trim_end_matches([' ', '\t', '\r', '\n']).len()
        }
        _ => s.end,
    }
}

/// The node cannot be changed in place: its parent must re-render it.
struct Replace;

struct Editor<'a> {
    text: &'a str,
    edits: Vec<(usize, usize, String)>,
}

/// A scalar as the emitter writes it, when that fits on one line.
fn inline_scalar(n: &Node) -> Option<String> {
    if matches!(n.value, Value::Map(_) | Value::Seq(_)) {
        return None;
    }
    let s = emit(n).ok()?;
    let s = s.strip_suffix('\n')?;
    (!s.contains('\n') && !s.starts_with(['|', '>'])).then(|| s.to_string())
}

/// A value in flow style on one line.
fn flow_text(n: &Node) -> Option<String> {
    match &n.value {
        Value::Map(m) => {
            let entries: Option<Vec<String>> = m
                .entries
                .iter()
                .map(|e| {
                    let key = flow_scalar(&Node::string(e.key.as_str()))?;
                    Some(format!("{key}: {}", flow_text(&e.value)?))
                })
                .collect();
            Some(format!("{{{}}}", entries?.join(", ")))
        }
        Value::Seq(items) => {
            let items: Option<Vec<String>> = items.iter().map(flow_text).collect();
            Some(format!("[{}]", items?.join(", ")))
        }
        _ => flow_scalar(n),
    }
}

/// Plain scalars cannot hold flow indicators inside a flow collection: JSON-quote those.
fn flow_scalar(n: &Node) -> Option<String> {
    let s = inline_scalar(n)?;
    if !s.starts_with(['"', '\'']) && s.contains([',', '[', ']', '{', '}']) {
        return serde_json::to_string(n.as_str()?).ok();
    }
    Some(s)
}

/// `text` indented by `indent` spaces (empty lines left empty), the first line not when
/// `first` is false.
fn indented(text: &str, indent: usize, first: bool) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + 8 * indent);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if (i > 0 || first) && line != "\n" {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

fn entry_text(key: &str, key_typed: bool, value: &Node) -> Option<String> {
    let map = Map {
        entries: vec![Entry {
            key: key.to_string(),
            key_pos: Default::default(),
            key_typed,
            value: value.clone(),
        }],
    };
    emit(&Node::new(Value::Map(map))).ok()
}

impl Editor<'_> {
    fn push(&mut self, start: usize, end: usize, text: String) {
        self.edits.push((start, end, text));
    }

    /// Column (in characters) of `at`, and whether only spaces precede it on its line.
    fn column(&self, at: usize) -> (usize, bool) {
        let before = &self.text[line_start(self.text, at)..at];
        (before.chars().count(), before.chars().all(|c| c == ' '))
    }

    /// Where the text a node owns ends: through the end of its last line.
    fn region_end(&self, s: &Span) -> usize {
        line_end(self.text, content_end(self.text, s))
    }

    /// Edits turning `old` (written at `s`) into `new`, in place; none when it cannot.
    fn node(&mut self, old: &Node, new: &Node, s: &Span) -> Result<(), Replace> {
        if crate::diff::same(old, new) {
            return Ok(());
        }
        let before = self.edits.len();
        let done = self.node_in_place(old, new, s);
        if done.is_err() {
            self.edits.truncate(before);
        }
        done
    }

    fn node_in_place(&mut self, old: &Node, new: &Node, s: &Span) -> Result<(), Replace> {
        match (&old.value, &new.value, &s.shape) {
            _ if s.flow() => {
                let empty = |n: &Node| match &n.value {
                    Value::Map(m) => m.is_empty(),
                    Value::Seq(v) => v.is_empty(),
                    _ => true,
                };
                let one_line = !self.text[s.start..s.end].contains('\n');
                // An empty `{}` that gains entries reads better as a block.
                if !one_line || (empty(old) && !empty(new)) {
                    return Err(Replace);
                }
                let text = flow_text(new).ok_or(Replace)?;
                if self.column(s.start).0 + text.len() > 100 && !empty(new) {
                    return Err(Replace);
                }
                self.push(s.start, s.end, text);
                Ok(())
            }
            (_, Value::Map(_) | Value::Seq(_), Shape::Scalar(_) | Shape::Alias) => Err(Replace),
            (
                _,
                _,
                Shape::Scalar(ScalarStyle::Plain | ScalarStyle::SingleQuoted)
                | Shape::Scalar(ScalarStyle::DoubleQuoted),
            ) => {
                let mut text = inline_scalar(new).ok_or(Replace)?;
                if s.start == s.end {
                    // `key:` with nothing after it.
                    text.insert(0, ' ');
                }
                self.push(s.start, s.end, text);
                Ok(())
            }
            (Value::Map(a), Value::Map(b), Shape::Map(false, entries)) if !b.is_empty() => {
                self.block_map(a, b, entries)
            }
            (Value::Seq(a), Value::Seq(b), Shape::Seq(false, items)) if !b.is_empty() => {
                self.block_seq(a, b, items)
            }
            _ => Err(Replace),
        }
    }

    fn block_map(
        &mut self,
        old: &Map,
        new: &Map,
        entries: &[(String, usize, Span)],
    ) -> Result<(), Replace> {
        // A `<<` merge, or anything that makes the source differ from the tree.
        if entries.len() != old.entries.len()
            || entries.iter().zip(&old.entries).any(|(s, e)| s.0 != e.key)
        {
            return Err(Replace);
        }
        let (indent, _) = self.column(entries[0].1);
        for ((_, key_at, span), e) in entries.iter().zip(&old.entries) {
            let (_, own_line) = self.column(*key_at);
            let start = if own_line {
                line_start(self.text, *key_at)
            } else {
                *key_at
            };
            let end = self.region_end(span);
            match new.get(&e.key) {
                Some(v) => {
                    if self.node(&e.value, v, span).is_err() {
                        let key_typed = new
                            .entries
                            .iter()
                            .find(|n| n.key == e.key)
                            .is_some_and(|n| n.key_typed);
                        let text = entry_text(&e.key, key_typed, v).ok_or(Replace)?;
                        self.push(start, end, indented(&text, indent, own_line));
                    }
                }
                // The first key of a list item shares its line with the `-`.
                None if !own_line => return Err(Replace),
                None => self.push(start, end, String::new()),
            }
        }
        let mut added = String::new();
        for e in new.entries.iter().filter(|e| !old.contains_key(&e.key)) {
            added.push_str(&entry_text(&e.key, e.key_typed, &e.value).ok_or(Replace)?);
        }
        if !added.is_empty() {
            let last = &entries[entries.len() - 1].2;
            self.insert_lines(self.region_end(last), indented(&added, indent, true));
        }
        Ok(())
    }

    fn insert_lines(&mut self, at: usize, mut text: String) {
        if at == self.text.len() && !self.text.is_empty() && !self.text.ends_with('\n') {
            text.insert(0, '\n');
        }
        self.push(at, at, text);
    }

    /// The `-` of a block list item: its column and the start of its line; `None` when
    /// the item does not follow its own `- ` on its line.
    fn dash(&self, item: &Span) -> Option<(usize, usize)> {
        let ls = line_start(self.text, item.start);
        let before = &self.text[ls..item.start];
        let trimmed = before.trim_start_matches(' ');
        (trimmed.trim_end_matches(' ') == "-").then(|| (before.len() - trimmed.len(), ls))
    }

    /// Items with a `name` are matched by it (an init container removed, a volume added);
    /// other lists by position, extra items removed from or added at the end.
    fn block_seq(&mut self, old: &[Node], new: &[Node], items: &[Span]) -> Result<(), Replace> {
        if items.len() != old.len() {
            return Err(Replace);
        }
        let name = |n: &Node| n.get("name").and_then(Node::scalar_text);
        let named = old.iter().chain(new).all(|n| name(n).is_some());
        let mut pairs: Vec<(Option<usize>, Option<usize>)> = Vec::new();
        if named {
            let (a, b): (Vec<_>, Vec<_>) = (
                old.iter().map(name).collect(),
                new.iter().map(name).collect(),
            );
            let mut last = None;
            for (i, n) in a.iter().enumerate() {
                let j = b.iter().position(|m| m == n);
                if j.is_some() {
                    if j <= last {
                        return Err(Replace);
                    }
                    last = j;
                }
                pairs.push((Some(i), j));
            }
            pairs.extend(
                (0..b.len())
                    .filter(|j| !a.contains(&b[*j]))
                    .map(|j| (None, Some(j))),
            );
            if pairs.iter().any(|p| p.0.is_none() && p.1 <= last) {
                return Err(Replace);
            }
        } else {
            pairs.extend(
                (0..old.len().max(new.len()))
                    .map(|i| ((i < old.len()).then_some(i), (i < new.len()).then_some(i))),
            );
        }
        let mut added = Vec::new();
        for (i, j) in pairs {
            match (i, j) {
                (Some(i), j) => {
                    let (col, ls) = self.dash(&items[i]).ok_or(Replace)?;
                    let end = self.region_end(&items[i]);
                    match j {
                        None => self.push(ls, end, String::new()),
                        Some(j) => {
                            if self.node(&old[i], &new[j], &items[i]).is_err() {
                                let text = emit(&Node::new(Value::Seq(vec![new[j].clone()])))
                                    .map_err(|_| Replace)?;
                                self.push(ls, end, indented(&text, col, true));
                            }
                        }
                    }
                }
                (None, Some(j)) => added.push(new[j].clone()),
                (None, None) => {}
            }
        }
        if !added.is_empty() {
            let last = &items[items.len() - 1];
            let (col, _) = self.dash(last).ok_or(Replace)?;
            let text = emit(&Node::new(Value::Seq(added))).map_err(|_| Replace)?;
            self.insert_lines(self.region_end(last), indented(&text, col, true));
        }
        Ok(())
    }

    /// Replaces a whole document's root with its canonical rendering.
    fn canonical(&mut self, root: &Span, new: &Node) -> Option<()> {
        let ls = line_start(self.text, root.start);
        if !self.text[ls..root.start].trim().is_empty() {
            return None;
        }
        let text = emit_object(new, String::new()).ok()?;
        let end = self.region_end(root);
        self.push(ls, end, text);
        Some(())
    }

    fn apply(mut self) -> String {
        // Stable: insertions at one offset keep the order they were made in.
        self.edits.sort_by_key(|e| e.0);
        let crlf = self.text.contains("\r\n");
        let mut out = String::with_capacity(self.text.len() + 256);
        let mut at = 0;
        for (start, end, text) in self.edits {
            if start < at {
                continue;
            }
            out.push_str(&self.text[at..start]);
            if crlf {
                out.push_str(&text.replace('\n', "\r\n"));
            } else {
                out.push_str(&text);
            }
            at = end;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

/// The new text of a file whose YAML documents (`old`, as parsed from `text`) become
/// `wanted[index]` each (the same document, an edited one, several, or none) followed by
/// `appended`; everything outside the changed fields is kept. `None` when no such edit
/// could be proven: the caller then renders the file canonically.
pub fn rewrite(
    text: &str,
    old: &[RawDoc],
    wanted: &[Vec<Node>],
    appended: &[Node],
) -> Option<String> {
    let span_docs = spans(text)?;
    if span_docs.len() != old.len() {
        return None;
    }
    let mut canonical = vec![false; old.len()];
    for _ in 0..2 {
        let out = attempt(text, &span_docs, old, wanted, appended, &canonical)?;
        let Ok(got) = parse_stream(&out) else {
            // An anchor edited away: every changed document is rendered whole.
            for (c, d) in canonical.iter_mut().zip(old) {
                let same = match (&d.root, wanted.get(d.index).map(Vec::as_slice)) {
                    (Some(r), Some([w])) => crate::diff::same(r, w),
                    _ => true,
                };
                *c = !same;
            }
            continue;
        };
        let got: Vec<Node> = got.into_iter().filter_map(|d| d.root).collect();
        let expected: Vec<(usize, &Node)> = old
            .iter()
            .flat_map(|d| {
                let nodes = if d.root.is_some() {
                    wanted.get(d.index).map_or(&[][..], Vec::as_slice)
                } else {
                    &[]
                };
                nodes.iter().map(move |n| (d.index, n))
            })
            .chain(appended.iter().map(|n| (usize::MAX, n)))
            .collect();
        if got.len() != expected.len() {
            return None;
        }
        let mut wrong = false;
        for (g, (index, want)) in got.iter().zip(&expected) {
            if !crate::diff::same(g, want) {
                wrong = true;
                match canonical.get_mut(*index) {
                    Some(c) if !*c => *c = true,
                    _ => return None,
                }
            }
        }
        if !wrong {
            return Some(out);
        }
    }
    None
}

fn attempt(
    text: &str,
    span_docs: &[SpanDoc],
    old: &[RawDoc],
    wanted: &[Vec<Node>],
    appended: &[Node],
    canonical: &[bool],
) -> Option<String> {
    let mut ed = Editor {
        text,
        edits: Vec::new(),
    };
    for (i, (s, d)) in span_docs.iter().zip(old).enumerate() {
        let (Some(span), Some(root)) = (&s.root, &d.root) else {
            continue;
        };
        let want = wanted.get(d.index)?;
        let Some((first, more)) = want.split_first() else {
            let end = span_docs.get(i + 1).map_or(text.len(), |n| n.start);
            ed.push(s.start, end.max(s.start), String::new());
            continue;
        };
        if canonical[i] || ed.node(root, first, span).is_err() {
            ed.canonical(span, first)?;
        }
        if !more.is_empty() {
            let mut extra = String::new();
            for n in more {
                extra.push_str("---\n");
                extra = emit_object(n, extra).ok()?;
            }
            ed.insert_lines(ed.region_end(span), extra);
        }
    }
    if !appended.is_empty() {
        let mut extra = String::new();
        for n in appended {
            extra.push_str("---\n");
            extra = emit_object(n, extra).ok()?;
        }
        ed.insert_lines(text.len(), extra);
    }
    Some(ed.apply())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    /// `text` with its single document turned into `after` (given as YAML).
    fn edit(text: &str, after: &str) -> String {
        let old = parse_stream(text).unwrap();
        let want = parse_str(after).unwrap().remove(0);
        let out = rewrite(text, &old, &[vec![want.clone()]], &[]).expect("an edit");
        assert!(
            crate::diff::same(&parse_str(&out).unwrap()[0], &want),
            "{out}"
        );
        out
    }

    #[test]
    fn changed_scalars_are_replaced_where_they_are() {
        let text = "# top\nspec:\n  replicas: 3 # three\n  image: 'nginx:1'   # pinned\n";
        assert_eq!(
            edit(text, "spec: {replicas: 2, image: 'nginx:2'}"),
            "# top\nspec:\n  replicas: 2 # three\n  image: nginx:2   # pinned\n"
        );
        assert_eq!(edit("a:\nb: 1\n", "{a: x, b: 1}"), "a: x\nb: 1\n");
    }

    #[test]
    fn keys_are_removed_and_added_by_lines() {
        let text = "a:\n  # about b\n  b: 1\n  c:\n    d: 2 # d\n\n    e: [1]\n  f: 3\n# end\n";
        assert_eq!(
            edit(text, "a: {b: 1, f: 3, g: {h: [x, y]}}"),
            "a:\n  # about b\n  b: 1\n  f: 3\n  g:\n    h:\n    - x\n    - \"y\"\n# end\n"
        );
        assert_eq!(edit("a: 1", "{a: 1, b: 2}"), "a: 1\nb: 2\n");
    }

    #[test]
    fn list_items_are_matched_by_name() {
        let text =
            "items:\n  - name: wait # goes\n    image: busybox\n  - name: app\n    image: app:1\n";
        assert_eq!(
            edit(
                text,
                "items: [{name: app, image: 'app:2'}, {name: side, image: s}]"
            ),
            "items:\n  - name: app\n    image: app:2\n  - image: s\n    name: side\n"
        );
    }

    #[test]
    fn flow_collections_stay_flow_on_one_line_and_become_blocks_otherwise() {
        let text = "r: {cpu: 100m, memory: 1Gi} # small\nv: {}\nl: [a,\n  b]\n";
        assert_eq!(
            edit(
                text,
                "{r: {cpu: 50m, memory: 1Gi}, v: {sizeLimit: 1Gi}, l: [a, 'b,c']}"
            ),
            "r: {cpu: 50m, memory: 1Gi} # small\nv:\n  sizeLimit: 1Gi\nl:\n- a\n- b,c\n"
        );
    }

    #[test]
    fn type_changes_and_block_scalars_re_render_the_entry() {
        let text = "- name: x\n  cmd: |\n    echo hi\n  # kept\n  pvc: {claimName: data}\n";
        let out = edit(text, "[{name: x, cmd: \"echo bye\\n\", pvc: 5}]");
        assert_eq!(
            out,
            "- name: x\n  cmd: |\n    echo bye\n  # kept\n  pvc: 5\n"
        );
    }

    #[test]
    fn documents_are_removed_added_and_kept_with_their_comments() {
        let text = "# one\na: 1\n---\n# two\nb: 2\n---\nc: 3 # three\n";
        let old = parse_stream(text).unwrap();
        let n = |t: &str| parse_str(t).unwrap().remove(0);
        let out = rewrite(
            text,
            &old,
            &[vec![n("a: 1"), n("x: 1")], vec![], vec![n("c: 4")]],
            &[n("z: 0")],
        )
        .unwrap();
        assert_eq!(
            out,
            "# one\na: 1\n---\nx: 1\n---\nc: 4 # three\n---\nz: 0\n"
        );
    }

    #[test]
    fn what_cannot_be_edited_falls_back_to_the_document_or_gives_up() {
        // An alias: its anchor's edit would reach both places, so the document re-renders.
        let text = "# kept\nx: 1\n---\na: &v 1\nb: *v\n";
        let old = parse_stream(text).unwrap();
        let n = |t: &str| parse_str(t).unwrap().remove(0);
        let out = rewrite(text, &old, &[vec![n("x: 1")], vec![n("{a: 2, b: 1}")]], &[]).unwrap();
        assert_eq!(out, "# kept\nx: 1\n---\na: 2\nb: 1\n");
        // JSON: one multi-line flow mapping, re-rendered.
        let text = "{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n";
        let old = parse_stream(text).unwrap();
        let out = rewrite(text, &old, &[vec![n("{a: 1, b: [1, 3]}")]], &[]).unwrap();
        assert_eq!(out, "a: 1\nb:\n- 1\n- 3\n");
    }
}
