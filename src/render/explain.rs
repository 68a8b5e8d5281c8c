//! `kfold build --explain`: a built resource in canonical key order with, beside every
//! value, the file and line that set it (base, patch, or kustomization entry).

use super::keys;
use crate::doc::{Document, Node, Pos, Value, source_at};

const COMMENT_COLUMN: usize = 56;

fn origin(pos: Pos, doc: &Document) -> String {
    if !pos.is_known() {
        return "(set by kustomize)".to_string();
    }
    let source = source_at(pos, &doc.source);
    format!("{}:{}", source.name(), pos.line)
}

fn scalar(node: &Node, redact: bool) -> String {
    if redact {
        return "<redacted>".to_string();
    }
    let text = super::emit::emit(node).unwrap_or_default();
    let text = text.trim_end_matches('\n');
    match text.split_once('\n') {
        Some((first, _)) => format!("{first} …"),
        None => text.to_string(),
    }
}

fn line(out: &mut String, text: String, pos: Pos, doc: &Document) {
    let width = text.chars().count();
    let pad = COMMENT_COLUMN.saturating_sub(width).max(2);
    out.push_str(&format!(
        "{text}{}# {}\n",
        " ".repeat(pad),
        origin(pos, doc)
    ));
}

fn walk(out: &mut String, node: &Node, indent: usize, prefix: &str, doc: &Document, redact: bool) {
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            let mut first = true;
            for e in keys::sorted(m.entries.iter(), |e| e.key.as_str()) {
                let lead = if first {
                    prefix.to_string()
                } else {
                    " ".repeat(indent)
                };
                first = false;
                let secret_data = redact
                    || (doc.kind() == "Secret"
                        && indent == 0
                        && matches!(e.key.as_str(), "data" | "stringData"));
                match &e.value.value {
                    Value::Map(c) if !c.is_empty() => {
                        line(out, format!("{lead}{}:", e.key), e.key_pos, doc);
                        walk(
                            out,
                            &e.value,
                            indent + 2,
                            &" ".repeat(indent + 2),
                            doc,
                            secret_data,
                        );
                    }
                    Value::Seq(c) if !c.is_empty() => {
                        line(out, format!("{lead}{}:", e.key), e.key_pos, doc);
                        walk(out, &e.value, indent, &" ".repeat(indent), doc, secret_data);
                    }
                    _ => line(
                        out,
                        format!("{lead}{}: {}", e.key, scalar(&e.value, redact)),
                        e.value.pos,
                        doc,
                    ),
                }
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for item in items {
                let lead = format!("{}- ", " ".repeat(indent));
                match &item.value {
                    Value::Map(c) if !c.is_empty() => {
                        walk(out, item, indent + 2, &lead, doc, redact)
                    }
                    Value::Seq(c) if !c.is_empty() => {
                        line(out, lead.trim_end().to_string(), item.pos, doc);
                        walk(out, item, indent + 2, &" ".repeat(indent + 2), doc, redact);
                    }
                    _ => line(
                        out,
                        format!("{lead}{}", scalar(item, redact)),
                        item.pos,
                        doc,
                    ),
                }
            }
        }
        _ => line(
            out,
            format!("{prefix}{}", scalar(node, redact)),
            node.pos,
            doc,
        ),
    }
}

pub fn explain(doc: &Document) -> String {
    let mut out = format!("# {} — each value with the line that set it\n", doc.id());
    walk(&mut out, &doc.root, 0, "", doc, false);
    out
}
