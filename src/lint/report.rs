//! Reporters for findings: human (miette), JSON, SARIF 2.1.0 and GitHub workflow commands.
//! Reporters only format; Secret values never reach them (rules do not print values).

use super::{Finding, Rule, Severity};
use crate::doc::pointer::Op;
use crate::doc::{Node, Value};
use crate::error::{Diag, Level, format_diag};
use serde_json::{Value as Json, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

pub fn node_to_json(node: &Node) -> Json {
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

fn op_json(op: &Op) -> Json {
    match op {
        Op::Add { path, value } => json!({"op": "add", "path": path, "value": node_to_json(value)}),
        Op::Remove { path } => json!({"op": "remove", "path": path}),
        Op::Replace { path, value } => {
            json!({"op": "replace", "path": path, "value": node_to_json(value)})
        }
        Op::Move { from, path } => json!({"op": "move", "from": from, "path": path}),
        Op::Copy { from, path } => json!({"op": "copy", "from": from, "path": path}),
        Op::Test { path, value } => {
            json!({"op": "test", "path": path, "value": node_to_json(value)})
        }
    }
}

fn finding_json(f: &Finding) -> Json {
    json!({
        "rule": f.rule.name,
        "code": f.rule.code,
        "severity": f.severity.as_str(),
        "message": f.message,
        "file": f.file(),
        "line": f.pos.line,
        "column": f.pos.col,
        "pointer": f.pointer,
        "resource": {
            "apiVersion": f.api_version,
            "kind": f.kind,
            "namespace": f.namespace,
            "name": f.name,
        },
        "help": f.help,
        "fix": f.fix.as_ref().map(|fix| json!({
            "title": fix.title,
            "safe": fix.safe,
            "ops": fix.ops.iter().map(op_json).collect::<Vec<_>>(),
        })),
        "roots": f.roots,
    })
}

pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub files: usize,
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let mut files: Vec<String> = findings.iter().map(Finding::file).collect();
    files.sort();
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
            w.write_all(nested(&finding_json(f), "    ").as_bytes())?;
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
    let line = f
        .source
        .text
        .lines()
        .nth(f.pos.line.saturating_sub(1) as usize)
        .unwrap_or("");
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

fn relative_uri(path: &str) -> String {
    let cwd = std::env::current_dir().ok();
    let p = std::path::Path::new(path);
    let rel = cwd
        .as_deref()
        .and_then(|c| p.strip_prefix(c).ok())
        .unwrap_or(p);
    rel.to_string_lossy().trim_start_matches("./").to_string()
}

pub fn sarif(findings: &[Finding], rules: &[&'static Rule]) -> String {
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
                    "artifactLocation": {"uri": relative_uri(&f.file())},
                    "region": {
                        "startLine": f.pos.line.max(1),
                        "startColumn": f.pos.col.max(1),
                        "endLine": f.pos.line.max(1),
                        "endColumn": f.pos.col.max(1) + token_len(f),
                    },
                }}],
                "partialFingerprints": {
                    "kfold/v1": fnv(&format!("{}|{}|{}/{}/{}|{}", f.rule.name, relative_uri(&f.file()), f.kind, f.namespace, f.name, f.pointer)),
                },
            })).collect::<Vec<_>>(),
        }],
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

fn gh_escape(s: &str, property: bool) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        s.replace(':', "%3A").replace(',', "%2C")
    } else {
        s
    }
}

pub fn github(findings: &[Finding], input_errors: &[Diag]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            gh_escape(&relative_uri(&f.file()), true),
            f.pos.line.max(1),
            f.pos.col.max(1),
            gh_escape(&format!("{} ({})", f.rule.name, f.rule.code), true),
            gh_escape(&f.message, false)
        ));
    }
    for d in input_errors {
        out.push_str(&format!(
            "::error file={},line={}::{}\n",
            gh_escape(&relative_uri(d.file.as_deref().unwrap_or("")), true),
            d.pos.line.max(1),
            gh_escape(&d.message, false)
        ));
    }
    out
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
