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

/// A JSON string literal, escaped as serde_json escapes it.
fn push_str_json(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// One finding as pretty JSON nested at depth 2 of the report, written field by field:
/// what serde_json would print for it (keys sorted), at a fraction of the cost for the
/// tens of thousands of findings of a big tree.
fn push_finding_json(out: &mut Vec<u8>, scratch: &mut Vec<u8>, f: &Finding) {
    use std::io::Write as _;
    let field = |out: &mut Vec<u8>, key: &str| {
        out.extend_from_slice(b",\n      \"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\": ");
    };
    out.extend_from_slice(b"{\n      \"code\": ");
    push_str_json(out, f.rule.code);
    field(out, "column");
    let _ = write!(out, "{}", f.pos.col);
    field(out, "file");
    push_str_json(out, f.file());
    field(out, "fix");
    match &f.fix {
        Some(fix) => {
            let fix = FixJson {
                ops: fix.ops.iter().map(OpJson).collect(),
                safe: fix.safe,
                title: &fix.title,
            };
            push_pretty(out, scratch, &fix, b"      ");
        }
        None => out.extend_from_slice(b"null"),
    }
    field(out, "help");
    match &f.help {
        Some(help) => push_str_json(out, help),
        None => out.extend_from_slice(b"null"),
    }
    field(out, "line");
    let _ = write!(out, "{}", f.pos.line);
    field(out, "message");
    push_str_json(out, &f.message);
    field(out, "pointer");
    push_str_json(out, &f.pointer);
    field(out, "resource");
    let r = &f.resource;
    out.extend_from_slice(b"{\n        \"apiVersion\": ");
    push_str_json(out, &r.api_version);
    out.extend_from_slice(b",\n        \"kind\": ");
    push_str_json(out, &r.kind);
    out.extend_from_slice(b",\n        \"name\": ");
    push_str_json(out, &r.name);
    out.extend_from_slice(b",\n        \"namespace\": ");
    push_str_json(out, &r.namespace);
    out.extend_from_slice(b"\n      }");
    field(out, "roots");
    if f.roots.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        for (i, root) in f.roots.iter().enumerate() {
            out.extend_from_slice(if i == 0 {
                b"[\n        "
            } else {
                b",\n        "
            });
            push_str_json(out, root);
        }
        out.extend_from_slice(b"\n      ]");
    }
    field(out, "rule");
    push_str_json(out, f.rule.name);
    field(out, "severity");
    push_str_json(out, f.severity.as_str());
    out.extend_from_slice(b"\n    }");
}

/// Formats findings on every core and writes them in order. `format` gets each finding's
/// index in `findings`, the output and a scratch buffer. Workers take chunks of findings
/// as they become free and hand back formatted chunks, which this thread writes in order;
/// the chunks' buffers are recycled, so memory stays flat (the report for 10,000
/// resources is tens of MB) and the workers live for the whole report.
fn write_parallel(
    w: &mut dyn std::io::Write,
    findings: &[Finding],
    format: impl Fn(usize, &Finding, &mut Vec<u8>, &mut Vec<u8>) + Sync,
) -> std::io::Result<()> {
    const CHUNK: usize = 512;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let chunks: Vec<&[Finding]> = findings.chunks(CHUNK).collect();
    let format_chunk = |i: usize, buf: &mut Vec<u8>, scratch: &mut Vec<u8>| {
        for (j, f) in chunks[i].iter().enumerate() {
            format(i * CHUNK + j, f, buf, scratch);
        }
    };
    if threads == 1 || chunks.len() < 2 {
        let (mut buf, mut scratch) = (Vec::new(), Vec::new());
        for i in 0..chunks.len() {
            buf.clear();
            format_chunk(i, &mut buf, &mut scratch);
            w.write_all(&buf)?;
        }
        return Ok(());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let spare: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::default();
    std::thread::scope(|scope| {
        let (done, formatted) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>)>(threads * 2);
        for _ in 0..threads {
            let done = done.clone();
            let (next, spare, format_chunk, count) = (&next, &spare, &format_chunk, chunks.len());
            scope.spawn(move || {
                let mut scratch = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        return;
                    }
                    let recycled = spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
                    let mut buf = recycled.unwrap_or_default();
                    buf.clear();
                    format_chunk(i, &mut buf, &mut scratch);
                    // The writer is gone only when writing failed: stop formatting.
                    if done.send((i, buf)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done);
        let mut waiting = std::collections::BTreeMap::new();
        let mut wanted = 0;
        for (i, buf) in formatted {
            waiting.insert(i, buf);
            while let Some(buf) = waiting.remove(&wanted) {
                w.write_all(&buf)?;
                spare.lock().unwrap_or_else(|e| e.into_inner()).push(buf);
                wanted += 1;
            }
        }
        Ok(())
    })
}

/// Appends `text` with every line after the first indented: serde_json's pretty printer
/// starts at column 0, and the only raw line breaks it writes are its own (strings escape
/// theirs), so this shifts a whole value right as if it were nested.
fn push_indented(out: &mut Vec<u8>, text: &[u8], indent: &[u8]) {
    let mut rest = text;
    while let Some(i) = rest.iter().position(|&b| b == b'\n') {
        out.extend_from_slice(&rest[..=i]);
        out.extend_from_slice(indent);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

/// A value as pretty JSON, indented to sit at `indent` inside a larger document.
fn push_pretty(out: &mut Vec<u8>, scratch: &mut Vec<u8>, value: &impl Serialize, indent: &[u8]) {
    scratch.clear();
    if serde_json::to_writer_pretty(&mut *scratch, value).is_ok() {
        push_indented(out, scratch, indent);
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

/// A report written into a string, for benchmarks and tests.
fn collect(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    let _ = write(&mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Pretty JSON of `{"errors", "findings", "summary"}`, written as it is produced, one
/// finding at a time: the report for 10,000 resources is tens of MB.
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
        write_parallel(w, findings, |i, f, out, scratch| {
            out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            push_finding_json(out, scratch, f);
        })?;
        w.write_all(b"\n  ]")?;
    }
    writeln!(w, ",\n  \"summary\": {}\n}}", nested(&summary, "  "))
}

fn fnv(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// One SARIF result as pretty JSON nested at depth 4 of the log (keys sorted, as
/// serde_json prints them), written field by field.
fn push_sarif_result(out: &mut Vec<u8>, f: &Finding, uri: &str, rule_index: usize) {
    use std::io::Write as _;
    let (line, column) = (f.pos.line.max(1), f.pos.col.max(1));
    let r = &f.resource;
    let fingerprint = fnv(&[
        f.rule.name,
        "|",
        uri,
        "|",
        &r.kind,
        "/",
        &r.namespace,
        "/",
        &r.name,
        "|",
        &f.pointer,
    ]);
    let _ = write!(
        out,
        "{{\n          \"level\": \"{}\",\n          \"locations\": [\n            {{\n              \"physicalLocation\": {{\n                \"artifactLocation\": {{\n                  \"uri\": ",
        sarif_level(f.severity)
    );
    push_str_json(out, uri);
    let _ = write!(
        out,
        "\n                }},\n                \"region\": {{\n                  \"endColumn\": {},\n                  \"endLine\": {line},\n                  \"startColumn\": {column},\n                  \"startLine\": {line}\n                }}\n              }}\n            }}\n          ],\n          \"message\": {{\n            \"text\": ",
        column + token_len(f),
    );
    push_str_json(out, &f.message);
    let _ = write!(
        out,
        "\n          }},\n          \"partialFingerprints\": {{\n            \"kfold/v1\": \"{fingerprint}\"\n          }},\n          \"ruleId\": "
    );
    push_str_json(out, f.rule.name);
    let _ = write!(out, ",\n          \"ruleIndex\": {rule_index}\n        }}");
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
    let rest = line
        .char_indices()
        .nth(f.pos.col.saturating_sub(1) as usize)
        .map_or("", |(i, _)| &line[i..]);
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
    collect(|w| sarif_to(w, findings, rules))
}

/// SARIF 2.1.0, the results written as they are made. The document is what
/// `serde_json::to_string_pretty` gives for the whole log (keys sorted, so `results`
/// comes before `tool`), without holding it in memory.
pub fn sarif_to(
    w: &mut dyn std::io::Write,
    findings: &[Finding],
    rules: &[&'static Rule],
) -> std::io::Result<()> {
    let cwd = std::env::current_dir().ok();
    let relative_uri = |path: &str| relative_uri(cwd.as_deref(), path);
    let tool = json!({"driver": {
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
    }});
    let indices: std::collections::HashMap<&str, usize> =
        rules.iter().enumerate().map(|(i, r)| (r.name, i)).collect();
    w.write_all(b"{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"runs\": [\n    {\n      \"results\": [")?;
    write_parallel(w, findings, |i, f, out, _| {
        out.extend_from_slice(if i == 0 {
            b"\n        "
        } else {
            b",\n        "
        });
        let index = indices.get(f.rule.name).copied().unwrap_or(0);
        push_sarif_result(out, f, &relative_uri(f.file()), index);
    })?;
    w.write_all(if findings.is_empty() {
        b"]"
    } else {
        b"\n      ]"
    })?;
    w.write_all(b",\n      \"tool\": ")?;
    let mut out = Vec::new();
    push_pretty(&mut out, &mut Vec::new(), &tool, b"      ");
    w.write_all(&out)?;
    w.write_all(b"\n    }\n  ],\n  \"version\": \"2.1.0\"\n}\n")
}

/// Appends `s` escaped for a workflow command: `%`, CR and LF always, `:` and `,` in
/// properties.
fn gh_escape(out: &mut String, s: &str, property: bool) {
    let special = |c: char| matches!(c, '%' | '\r' | '\n') || (property && matches!(c, ':' | ','));
    let mut rest = s;
    while let Some(i) = rest.find(special) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'%' => "%25",
            b'\r' => "%0D",
            b'\n' => "%0A",
            b':' => "%3A",
            _ => "%2C",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// Workflow commands written as they are made: one line a finding, then the input errors.
pub fn github_to(
    w: &mut dyn std::io::Write,
    findings: &[Finding],
    input_errors: &[Diag],
) -> std::io::Result<()> {
    use std::fmt::Write;
    let cwd = std::env::current_dir().ok();
    write_parallel(w, findings, |_, f, buf, _| {
        let mut out = String::new();
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
        buf.extend_from_slice(out.as_bytes());
    })?;
    let mut out = String::new();
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
    collect(|w| human_to(w, findings, color))
}

pub fn human_to(
    w: &mut dyn std::io::Write,
    findings: &[Finding],
    color: bool,
) -> std::io::Result<()> {
    write_parallel(w, findings, |_, f, out, _| {
        let level = match f.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        };
        let mut message = format!("{} [{}]: {}", f.rule.name, f.rule.code, f.message);
        if !f.roots.is_empty() {
            message.push_str(&format!(" (in {})", f.roots.join(", ")));
        }
        // The finding's source is already the file its position is in.
        let d = Diag {
            level,
            message,
            file: Some(f.file().to_string()),
            source: Some(f.source.clone()),
            pos: f.pos,
            help: f
                .help
                .as_ref()
                .map(|h| h.to_string())
                .or_else(|| f.fix.as_ref().map(|x| format!("fix: {}", x.title))),
        };
        out.extend_from_slice(format_diag(&d, color).as_bytes());
    })?;
    let s = summarize(findings);
    w.write_all(
        if findings.is_empty() {
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
        }
        .as_bytes(),
    )
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

    /// Findings with a fix, several roots, no help and text that needs escaping.
    fn sample_findings() -> Vec<Finding> {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"w\\\"é\"\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:latest\n";
        let mut findings = crate::lint::lint_text("t.yaml", text, crate::rules::RULES).unwrap();
        assert!(findings.iter().any(|f| f.fix.is_some()), "a fix to print");
        findings[0].roots = vec!["overlays/a".into(), "overlays/\"b\"".into()];
        findings[1].help = None;
        findings[1].message.push_str(" \"quoted\"\n\tand é");
        findings
    }

    fn pretty_at(value: &Json, indent: &str) -> String {
        serde_json::to_string_pretty(value)
            .unwrap()
            .replace('\n', &format!("\n{indent}"))
    }

    #[test]
    fn findings_print_as_serde_json_would() {
        for f in &sample_findings() {
            let fix = f.fix.as_ref().map(|fix| {
                serde_json::to_value(FixJson {
                    ops: fix.ops.iter().map(OpJson).collect(),
                    safe: fix.safe,
                    title: &fix.title,
                })
                .unwrap()
            });
            let want = json!({
                "rule": f.rule.name, "code": f.rule.code, "severity": f.severity.as_str(),
                "message": f.message, "file": f.file(), "line": f.pos.line, "column": f.pos.col,
                "pointer": f.pointer, "help": f.help, "fix": fix, "roots": f.roots,
                "resource": {"apiVersion": f.resource.api_version, "kind": f.resource.kind,
                             "namespace": f.resource.namespace, "name": f.resource.name},
            });
            let mut got = Vec::new();
            push_finding_json(&mut got, &mut Vec::new(), f);
            assert_eq!(String::from_utf8(got).unwrap(), pretty_at(&want, "    "));
        }
    }

    #[test]
    fn sarif_results_print_as_serde_json_would() {
        for f in &sample_findings() {
            let uri = "dir/t \"1\".yaml";
            let want = json!({
                "ruleId": f.rule.name,
                "ruleIndex": 7,
                "level": sarif_level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {
                        "startLine": f.pos.line.max(1),
                        "startColumn": f.pos.col.max(1),
                        "endLine": f.pos.line.max(1),
                        "endColumn": f.pos.col.max(1) + token_len(f),
                    },
                }}],
                "partialFingerprints": {
                    "kfold/v1": fnv(&[&format!("{}|{}|{}/{}/{}|{}", f.rule.name, uri, f.resource.kind, f.resource.namespace, f.resource.name, f.pointer)]),
                },
            });
            let mut got = Vec::new();
            push_sarif_result(&mut got, f, uri, 7);
            assert_eq!(
                String::from_utf8(got).unwrap(),
                pretty_at(&want, "        ")
            );
        }
    }

    #[test]
    fn workflow_command_escapes() {
        let mut out = String::new();
        gh_escape(&mut out, "a%b:c,d\r\ne", true);
        assert_eq!(out, "a%25b%3Ac%2Cd%0D%0Ae");
        out.clear();
        gh_escape(&mut out, "a%b:c,d\ne", false);
        assert_eq!(out, "a%25b:c,d%0Ae");
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
