//! Reporters for findings: human (miette), JSON, SARIF 2.1.0 and GitHub workflow commands.
//! Reporters only format; Secret values never reach them (rules do not print values).

use super::{Finding, Rule, Severity};
use crate::doc::pointer::Op;
use crate::doc::{Node, Value};
use crate::error::{Diag, Level, format_diag};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value as Json, json};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// A finding as JSON. Fields are in the order serde_json gives a `json!` object (sorted),
/// which is the order the report has always had.
#[derive(Serialize)]
struct FindingJson<'a> {
    code: &'a str,
    column: u32,
    file: &'a str,
    fix: Option<FixJson<'a>>,
    help: Option<&'a str>,
    line: u32,
    message: &'a str,
    pointer: &'a str,
    resource: ResourceJson<'a>,
    roots: &'a [String],
    rule: &'a str,
    severity: &'a str,
}

#[derive(Serialize)]
struct ResourceJson<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    name: &'a str,
    namespace: &'a str,
}

#[derive(Serialize)]
struct FixJson<'a> {
    ops: Vec<OpJson<'a>>,
    safe: bool,
    title: &'a str,
}

/// An RFC 6902 operation, keys sorted.
struct OpJson<'a>(&'a Op);

impl Serialize for OpJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (op, from, path, value) = match self.0 {
            Op::Add { path, value } => ("add", None, path, Some(value)),
            Op::Remove { path } => ("remove", None, path, None),
            Op::Replace { path, value } => ("replace", None, path, Some(value)),
            Op::Move { from, path } => ("move", Some(from), path, None),
            Op::Copy { from, path } => ("copy", Some(from), path, None),
            Op::Test { path, value } => ("test", None, path, Some(value)),
        };
        let mut map = s.serialize_map(None)?;
        if let Some(from) = from {
            map.serialize_entry("from", from)?;
        }
        map.serialize_entry("op", op)?;
        map.serialize_entry("path", path)?;
        if let Some(value) = value {
            map.serialize_entry("value", &NodeJson(value))?;
        }
        map.end()
    }
}

/// A node as JSON, written without building a `serde_json::Value` first.
struct NodeJson<'a>(&'a Node);

impl Serialize for NodeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(_) => s.serialize_unit(),
            Value::String(text) => s.serialize_str(text),
            Value::Seq(items) => s.collect_seq(items.iter().map(NodeJson)),
            Value::Map(m) => {
                // A JSON object's keys are sorted, and of repeated keys the last one wins.
                let mut entries: Vec<(&str, &Node)> = m
                    .entries
                    .iter()
                    .map(|e| (e.key.as_str(), &e.value))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                entries.dedup_by(|later, kept| {
                    let same = later.0 == kept.0;
                    if same {
                        *kept = *later;
                    }
                    same
                });
                s.collect_map(entries.into_iter().map(|(k, v)| (k, NodeJson(v))))
            }
        }
    }
}

fn finding_json(f: &Finding) -> FindingJson<'_> {
    FindingJson {
        code: f.rule.code,
        column: f.pos.col,
        file: f.file(),
        fix: f.fix.as_ref().map(|fix| FixJson {
            ops: fix.ops.iter().map(OpJson).collect(),
            safe: fix.safe,
            title: &fix.title,
        }),
        help: f.help.as_deref(),
        line: f.pos.line,
        message: &f.message,
        pointer: &f.pointer,
        resource: ResourceJson {
            api_version: &f.api_version,
            kind: &f.kind,
            name: &f.name,
            namespace: &f.namespace,
        },
        roots: &f.roots,
        rule: f.rule.name,
        severity: f.severity.as_str(),
    }
}

/// Pretty JSON as if nested inside a larger document: serde_json's pretty printer starts
/// at column 0, and the only raw line breaks it writes are its own (strings escape theirs),
/// so indenting after each one shifts the whole value right.
struct Indented<'w> {
    inner: &'w mut dyn std::io::Write,
    indent: &'static [u8],
}

impl std::io::Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.inner.write_all(&rest[..=i])?;
            self.inner.write_all(self.indent)?;
            rest = &rest[i + 1..];
        }
        self.inner.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub files: usize,
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let mut files: Vec<&str> = findings.iter().map(Finding::file).collect();
    files.sort_unstable();
    files.dedup();
    Summary {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        files: files.len(),
    }
}

/// Pretty JSON of `{"errors", "findings", "summary"}`, written one finding at a time: a
/// single value tree of tens of thousands of findings would cost more memory than the
/// lint itself.
pub fn json(findings: &[Finding], input_errors: &[Diag]) -> String {
    let mut out = Vec::new();
    let _ = json_to(&mut out, findings, input_errors);
    String::from_utf8(out).unwrap_or_default()
}

/// `json`, written as it is produced (the whole report for 10,000 resources is tens of MB).
pub fn json_to(
    w: &mut dyn std::io::Write,
    findings: &[Finding],
    input_errors: &[Diag],
) -> std::io::Result<()> {
    let s = summarize(findings);
    let errors: Vec<Json> = input_errors
        .iter()
        .map(|d| json!({"file": d.file, "line": d.pos.line, "column": d.pos.col, "message": d.message}))
        .collect();
    let summary = json!({"errors": s.errors, "warnings": s.warnings, "infos": s.infos, "files": s.files, "input_errors": input_errors.len()});
    let nested = |v: &Json, indent: &str| {
        serde_json::to_string_pretty(v)
            .unwrap_or_default()
            .replace('\n', &format!("\n{indent}"))
    };
    write!(
        w,
        "{{\n  \"errors\": {},\n  \"findings\": ",
        nested(&Json::Array(errors), "  ")
    )?;
    if findings.is_empty() {
        w.write_all(b"[]")?;
    } else {
        w.write_all(b"[")?;
        for (i, f) in findings.iter().enumerate() {
            w.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            let mut out = Indented {
                inner: &mut *w,
                indent: b"    ",
            };
            serde_json::to_writer_pretty(&mut out, &finding_json(f))
                .map_err(std::io::Error::other)?;
        }
        w.write_all(b"\n  ]")?;
    }
    writeln!(w, ",\n  \"summary\": {}\n}}", nested(&summary, "  "))
}

fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The width of the offending token on its line, for SARIF's end column.
fn token_len(f: &Finding) -> u32 {
    let text = &f.source.text;
    let start = f
        .source
        .line_starts()
        .get(f.pos.line.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(text.len());
    let line = text[start..].lines().next().unwrap_or("");
    let rest: String = line
        .chars()
        .skip(f.pos.col.saturating_sub(1) as usize)
        .collect();
    let len = rest
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(rest.len())
        .min(rest.find(": ").unwrap_or(usize::MAX));
    rest[..len].chars().count().max(1) as u32
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `path` relative to `cwd` (the current directory, looked up once per report).
fn relative_uri(cwd: Option<&Path>, path: &str) -> String {
    let p = Path::new(path);
    let rel = cwd.and_then(|c| p.strip_prefix(c).ok()).unwrap_or(p);
    rel.to_string_lossy().trim_start_matches("./").to_string()
}

pub fn sarif(findings: &[Finding], rules: &[&'static Rule]) -> String {
    let cwd = std::env::current_dir().ok();
    let relative_uri = |path: &str| relative_uri(cwd.as_deref(), path);
    let rule_index = |r: &Rule| rules.iter().position(|x| x.name == r.name).unwrap_or(0);
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kfold",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/kfold/kfold",
                "rules": rules.iter().map(|r| json!({
                    "id": r.name,
                    "name": r.name,
                    "shortDescription": {"text": r.summary()},
                    "fullDescription": {"text": r.summary()},
                    "help": {"text": r.docs(), "markdown": r.docs()},
                    "defaultConfiguration": {"level": sarif_level(r.severity)},
                    "properties": {"category": r.category.as_str(), "code": r.code, "tags": [r.category.as_str()]},
                })).collect::<Vec<_>>(),
            }},
            "results": findings.iter().map(|f| json!({
                "ruleId": f.rule.name,
                "ruleIndex": rule_index(f.rule),
                "level": sarif_level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": relative_uri(f.file())},
                    "region": {
                        "startLine": f.pos.line.max(1),
                        "startColumn": f.pos.col.max(1),
                        "endLine": f.pos.line.max(1),
                        "endColumn": f.pos.col.max(1) + token_len(f),
                    },
                }}],
                "partialFingerprints": {
                    "kfold/v1": fnv(&format!("{}|{}|{}/{}/{}|{}", f.rule.name, relative_uri(f.file()), f.kind, f.namespace, f.name, f.pointer)),
                },
            })).collect::<Vec<_>>(),
        }],
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// Appends `s` escaped for a workflow command: `%`, CR and LF always, `:` and `,` in
/// properties.
fn gh_escape(out: &mut String, s: &str, property: bool) {
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
}

/// Workflow commands written as they are made: one line a finding, then the input errors.
pub fn github_to(
    w: &mut impl std::io::Write,
    findings: &[Finding],
    input_errors: &[Diag],
) -> std::io::Result<()> {
    use std::fmt::Write;
    let cwd = std::env::current_dir().ok();
    let mut out = String::new();
    for f in findings {
        out.clear();
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let _ = write!(out, "::{level} file=");
        gh_escape(&mut out, &relative_uri(cwd.as_deref(), f.file()), true);
        let _ = write!(
            out,
            ",line={},col={},title=",
            f.pos.line.max(1),
            f.pos.col.max(1)
        );
        gh_escape(&mut out, f.rule.name, true);
        out.push_str(" (");
        gh_escape(&mut out, f.rule.code, true);
        out.push_str(")::");
        gh_escape(&mut out, &f.message, false);
        out.push('\n');
        w.write_all(out.as_bytes())?;
    }
    out.clear();
    for d in input_errors {
        out.push_str("::error file=");
        let file = relative_uri(cwd.as_deref(), d.file.as_deref().unwrap_or(""));
        gh_escape(&mut out, &file, true);
        let _ = write!(out, ",line={}::", d.pos.line.max(1));
        gh_escape(&mut out, &d.message, false);
        out.push('\n');
    }
    w.write_all(out.as_bytes())
}

/// Findings as miette reports, grouped by file, then a summary line.
pub fn human(findings: &[Finding], color: bool) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        };
        let mut message = format!("{} [{}]: {}", f.rule.name, f.rule.code, f.message);
        if !f.roots.is_empty() {
            message.push_str(&format!(" (in {})", f.roots.join(", ")));
        }
        let mut d = Diag::new(message).at(&f.source, f.pos);
        d.level = level;
        d.help = f
            .help
            .clone()
            .or_else(|| f.fix.as_ref().map(|x| format!("fix: {}", x.title)));
        out.push_str(&format_diag(&d, color));
    }
    let s = summarize(findings);
    out.push_str(&if findings.is_empty() {
        "No findings.\n".to_string()
    } else {
        format!(
            "{} error{}, {} warning{}, {} info in {} file{}\n",
            s.errors,
            if s.errors == 1 { "" } else { "s" },
            s.warnings,
            if s.warnings == 1 { "" } else { "s" },
            s.infos,
            s.files,
            if s.files == 1 { "" } else { "s" }
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    /// What the report wrote before it streamed: a `serde_json::Value` per node.
    fn node_to_json(node: &Node) -> Json {
        match &node.value {
            Value::Null => Json::Null,
            Value::Bool(b) => json!(b),
            Value::Int(i) => json!(i),
            Value::UInt(u) => json!(u),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::String(s) => json!(s),
            Value::Seq(items) => Json::Array(items.iter().map(node_to_json).collect()),
            Value::Map(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), node_to_json(v)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn nodes_stream_as_their_json_values() {
        let text = "b: [1, -2, 18446744073709551615, 0.5, .nan, true, null, ~]\na: {z: 1, y: x}\nc: {}\nd: []\ne: \"q\\\"\\n\"\n";
        let mut node = parse_str(text).unwrap().remove(0);
        // Edits can leave a key twice; the last one is what a JSON object keeps.
        let a = node.as_map_mut().unwrap().get_mut("a").unwrap();
        let mut twice = a.as_map().unwrap().entries[0].clone();
        twice.value = Node::string("2");
        a.as_map_mut().unwrap().entries.push(twice);
        let streamed = serde_json::to_string_pretty(&NodeJson(&node)).unwrap();
        let built = serde_json::to_string_pretty(&node_to_json(&node)).unwrap();
        assert_eq!(streamed, built);
    }
}
