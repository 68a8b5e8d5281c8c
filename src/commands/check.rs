//! `kfold check DIR`: the CI drift check of a consolidated tree. While the sources recorded in
//! `kfold.yaml` exist, the tree must be exactly what consolidating them again gives; every
//! overlay must build; committed renderings and a generated chart must equal the builds;
//! lint must pass at the recorded threshold; and once the sources are retired, the overlays
//! must not repeat what belongs in the base. Exit 0 when all hold, 1 on drift, 2 on errors.

use crate::cli::{Settings, exit};
use crate::commands::consolidate::{self, plan};
use crate::commands::report;
use crate::consolidate::record::{Record, resolve};
use crate::diff::{self, Side};
use crate::doc::{Document, Node};
use crate::error::Diag;
use crate::kustomize::build::{clean_path, find_kustomization};
use crate::kustomize::{BuildOptions, Builder};
use crate::load::{load_resources, parse::parse_str};
use crate::render::emit::emit_object;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// One thing wrong, where it is, and what differs (Secret values already masked).
struct Problem {
    file: Option<PathBuf>,
    line: Option<u32>,
    message: String,
    detail: Option<String>,
}

impl Problem {
    fn new(message: impl Into<String>) -> Problem {
        Problem {
            file: None,
            line: None,
            message: message.into(),
            detail: None,
        }
    }

    fn in_file(mut self, file: impl Into<PathBuf>) -> Problem {
        self.file = Some(file.into());
        self
    }

    fn with_detail(mut self, detail: String) -> Problem {
        self.detail = Some(detail);
        self
    }
}

struct Outcome {
    name: &'static str,
    status: Status,
    summary: String,
    problems: Vec<Problem>,
}

impl Outcome {
    fn skip(name: &'static str, summary: impl Into<String>) -> Outcome {
        Outcome {
            name,
            status: Status::Skip,
            summary: summary.into(),
            problems: Vec::new(),
        }
    }

    fn judged(name: &'static str, summary: impl Into<String>, problems: Vec<Problem>) -> Outcome {
        Outcome {
            name,
            status: if problems.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            summary: summary.into(),
            problems,
        }
    }
}

pub fn run(settings: &Settings, dir: &Path, format: Format) -> i32 {
    if !dir.is_dir() {
        report(
            settings,
            &[Diag::new(format!("{}: not a folder", dir.display()))],
        );
        return exit::ERROR;
    }
    let record = match Record::read(dir) {
        Ok(r) => r,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let mut builder = Builder::new(BuildOptions::default());
    let mut builds: Vec<(String, Result<Vec<Document>, Diag>)> = Vec::new();
    for e in &record.envs {
        let built = builder
            .build(&resolve(dir, &e.overlay))
            .map(|o| o.resources);
        builds.push((e.name.clone(), built));
    }
    let mut outcomes = Vec::new();
    let sources = check_sources(dir, &record);
    let retired = sources.status == Status::Skip;
    outcomes.push(sources);
    outcomes.push(check_overlays(dir, &record, &builds));
    outcomes.push(check_rendered(dir, &record, &builds));
    outcomes.push(check_lint(&record, &builds));
    outcomes.push(check_chart(dir, &record));
    outcomes.push(if retired {
        check_debt(dir, &record)
    } else {
        Outcome::skip(
            "debt",
            "the sources exist: the tree is regenerated from them, minimal by construction",
        )
    });
    let out = match format {
        Format::Text => text(dir, &outcomes),
        Format::Json => json_report(dir, &outcomes),
        Format::Github => github(&outcomes),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if outcomes.iter().any(|o| o.status == Status::Fail) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// Regenerates the tree from its recorded sources (in memory) and compares file by file.
fn check_sources(dir: &Path, record: &Record) -> Outcome {
    const NAME: &str = "sources";
    if record.sources.is_empty() {
        return Outcome::skip(
            NAME,
            "no sources recorded (no kfold.yaml): a tree kept by hand",
        );
    }
    let mut sources = Vec::new();
    let mut envs = Vec::new();
    let mut missing = Vec::new();
    for s in &record.sources {
        let path = match s.split_once('=') {
            Some((name, p)) => {
                envs.push(format!("{name}={}", resolve(dir, p).display()));
                resolve(dir, p)
            }
            None => {
                sources.push(resolve(dir, s));
                resolve(dir, s)
            }
        };
        if !path.exists() {
            missing.push(s.clone());
        }
    }
    let policy = record.policy.as_ref().map(|p| resolve(dir, p));
    if let Some(p) = policy.as_ref().filter(|p| !p.exists()) {
        missing.push(p.display().to_string());
    }
    if !missing.is_empty() {
        return Outcome::skip(
            NAME,
            format!(
                "sources retired ({} missing): checking the tree on its own",
                missing.join(", ")
            ),
        );
    }
    let args = consolidate::Args {
        sources: &sources,
        envs: &envs,
        out: dir,
        report: None,
        report_md: None,
        dry_run: true,
        force: false,
        in_place: false,
        optimize: policy.as_deref(),
    };
    let files = match plan(&args) {
        Ok(p) => p.files,
        Err(d) => {
            return Outcome::judged(
                NAME,
                "the recorded sources no longer consolidate",
                vec![Problem::new(d.to_string())],
            );
        }
    };
    let want: BTreeMap<PathBuf, String> = files.into_iter().collect();
    let mut problems = Vec::new();
    for (rel, text) in &want {
        let path = dir.join(rel);
        if rel.as_os_str() == crate::consolidate::record::FILE {
            // Its `check:` settings are the user's to edit; what it records must still hold.
            let generated = Record::parse(&path, text.clone()).ok();
            let same = generated.is_some_and(|g| {
                g.sources == record.sources && g.envs == record.envs && g.policy == record.policy
            });
            if !same {
                problems.push(
                    Problem::new(
                        "records other sources or environments than consolidating them gives",
                    )
                    .in_file(path),
                );
            }
            continue;
        }
        match std::fs::read_to_string(&path) {
            Err(_) => problems
                .push(Problem::new("missing: consolidating the sources writes it").in_file(path)),
            Ok(got) if got != *text => {
                let (message, detail) = file_drift(&path, text, &got);
                let p = Problem::new(message).in_file(path);
                problems.push(match detail {
                    Some(d) => p.with_detail(d),
                    None => p,
                });
            }
            Ok(_) => {}
        }
    }
    for sub in ["base", "overlays", "components"] {
        for f in walkdir::WalkDir::new(dir.join(sub))
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
        {
            let rel = f.path().strip_prefix(dir).unwrap_or(f.path()).to_path_buf();
            if !want.contains_key(&rel) {
                problems.push(
                    Problem::new("not written by consolidating the sources: a hand addition")
                        .in_file(f.path()),
                );
            }
        }
    }
    let from = record.sources.join(", ");
    let summary = if problems.is_empty() {
        format!("the tree is exactly what consolidating {from} gives")
    } else {
        format!(
            "{} file(s) differ from what consolidating {from} gives: edit the sources and run kfold consolidate again",
            problems.len()
        )
    };
    Outcome::judged(NAME, summary, problems)
}

/// What differs in one file, told through the resources it holds when it holds any (so a
/// Secret's values stay masked and formatting alone is named as such).
fn file_drift(path: &Path, want: &str, got: &str) -> (String, Option<String>) {
    let docs = |text: &str| load_resources(path, text.as_bytes().to_vec()).ok();
    if let (Some(a), Some(b)) = (docs(want), docs(got))
        && !(a.is_empty() && b.is_empty())
    {
        let mut before = Side::default();
        before.add("", a);
        let mut after = Side::default();
        after.add("", b);
        let r = diff::compare(before, after);
        if r.is_empty() {
            return ("edited by hand (formatting or comments only)".into(), None);
        }
        return (
            "edited by hand".into(),
            Some(crate::commands::diff::text(&r, false)),
        );
    }
    if want.contains("kind: Secret") || got.contains("kind: Secret") {
        return ("edited by hand (a Secret: diff not shown)".into(), None);
    }
    let diff = similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(2)
        .header("generated", "on disk")
        .to_string();
    ("edited by hand".into(), Some(diff))
}

fn check_overlays(
    dir: &Path,
    record: &Record,
    builds: &[(String, Result<Vec<Document>, Diag>)],
) -> Outcome {
    let mut problems = Vec::new();
    for ((name, built), env) in builds.iter().zip(&record.envs) {
        if let Err(d) = built {
            problems.push(
                Problem::new(format!("overlay `{name}` does not build: {}", d.message))
                    .in_file(resolve(dir, &env.overlay)),
            );
        }
    }
    let names: Vec<&str> = builds.iter().map(|(n, _)| n.as_str()).collect();
    let summary = match problems.len() {
        0 => format!("{} overlay(s) build: {}", names.len(), names.join(", ")),
        n => format!("{n} of {} overlay(s) do not build", names.len()),
    };
    Outcome::judged("overlays", summary, problems)
}

fn check_rendered(
    dir: &Path,
    record: &Record,
    builds: &[(String, Result<Vec<Document>, Diag>)],
) -> Outcome {
    const NAME: &str = "rendered";
    let rendered = match &record.rendered {
        Some(r) => resolve(dir, r),
        None if dir.join("rendered").is_dir() => dir.join("rendered"),
        None => return Outcome::skip(NAME, "no rendered/ snapshots kept"),
    };
    let mut problems = Vec::new();
    for (name, built) in builds {
        let Ok(docs) = built else { continue };
        let file = rendered.join(format!("{name}.yaml"));
        let bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(_) => {
                problems.push(Problem::new(format!("no snapshot of `{name}`")).in_file(file));
                continue;
            }
        };
        match load_resources(&file, bytes) {
            Err(d) => problems.push(Problem::new(d.message).in_file(file)),
            Ok(snapshot) => {
                let mut a = Side::default();
                a.add("", snapshot);
                let mut b = Side::default();
                b.add("", docs.clone());
                let r = diff::compare(a, b);
                if !r.is_empty() {
                    problems.push(
                        Problem::new(format!(
                            "stale: `kfold build overlays/{name}` gives something else (- snapshot, + build)"
                        ))
                        .in_file(file)
                        .with_detail(crate::commands::diff::text(&r, false)),
                    );
                }
            }
        }
    }
    let shown = clean_path(&rendered).display().to_string();
    let summary = match problems.len() {
        0 => format!("{shown} equals the overlays' builds"),
        n => format!("{n} snapshot(s) in {shown} differ from the builds"),
    };
    Outcome::judged(NAME, summary, problems)
}

fn check_lint(record: &Record, builds: &[(String, Result<Vec<Document>, Diag>)]) -> Outcome {
    const NAME: &str = "lint";
    let Some(threshold) = record.lint else {
        return Outcome::skip(
            NAME,
            "off (set check.lint in kfold.yaml to gate on findings)",
        );
    };
    let settings = crate::lint::config::LintSettings::default();
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (_, built) in builds {
        let Ok(docs) = built else { continue };
        for f in crate::lint::run(docs, crate::rules::RULES, &settings) {
            if f.severity < threshold {
                continue;
            }
            let key = (f.rule.name, f.file().to_string(), f.pos.line, f.pos.col);
            if !seen.insert(key) {
                continue;
            }
            problems.push(Problem {
                file: Some(PathBuf::from(f.file())),
                line: Some(f.pos.line).filter(|l| *l > 0),
                message: format!("{} {}: {}", f.severity.as_str(), f.rule.name, f.message),
                detail: None,
            });
        }
    }
    let summary = match problems.len() {
        0 => format!("no findings at or above {}", threshold.as_str()),
        n => format!("{n} finding(s) at or above {}", threshold.as_str()),
    };
    Outcome::judged(NAME, summary, problems)
}

fn check_chart(dir: &Path, record: &Record) -> Outcome {
    const NAME: &str = "chart";
    let chart = match &record.chart {
        Some(c) => resolve(dir, c),
        None if dir.join("chart/Chart.yaml").is_file() => dir.join("chart"),
        None => return Outcome::skip(NAME, "no generated chart"),
    };
    if !chart.join("Chart.yaml").is_file() {
        return Outcome::judged(
            NAME,
            "the chart kfold.yaml names",
            vec![Problem::new("no Chart.yaml").in_file(chart)],
        );
    }
    let envs: Vec<crate::helm::ChartEnv> = record
        .envs
        .iter()
        .map(|e| crate::helm::ChartEnv {
            name: e.name.clone(),
            overlay: resolve(dir, &e.overlay),
        })
        .collect();
    let proofs = match crate::helm::verify_chart(&chart, &envs) {
        Ok(p) => p,
        Err(d) => {
            return Outcome::judged(
                NAME,
                "the chart cannot be verified",
                vec![Problem::new(d.message).in_file(chart)],
            );
        }
    };
    let mut problems = Vec::new();
    let mut skipped = None;
    for p in &proofs {
        let values = chart.join(format!("values-{}.yaml", p.env));
        match &p.proof {
            crate::helm::Proof::Identical { .. } => {}
            crate::helm::Proof::Skipped(why) => skipped = Some(why.clone()),
            crate::helm::Proof::Failed(why) => {
                problems.push(Problem::new(format!("`{}`: {why}", p.env)).in_file(values))
            }
            crate::helm::Proof::Differs(items) => problems.push(
                Problem::new(format!(
                    "`{}`: the chart renders other resources than the overlay builds (- overlay, + chart)",
                    p.env
                ))
                .in_file(values)
                .with_detail(items.join("\n")),
            ),
        }
    }
    if let (Some(why), true) = (skipped, problems.is_empty()) {
        return Outcome::skip(NAME, format!("{}: not verified: {why}", chart.display()));
    }
    let summary = match problems.len() {
        0 => format!("{} renders what every overlay builds", chart.display()),
        n => format!(
            "{n} environment(s) render differently from {}",
            chart.display()
        ),
    };
    Outcome::judged(NAME, summary, problems)
}

/// Once the sources are gone, the overlays are edited by hand: anything every overlay says
/// the same way (a patch, an image, a replica count, a resource) belongs in the base.
fn check_debt(dir: &Path, record: &Record) -> Outcome {
    const NAME: &str = "debt";
    if record.envs.len() < 2 {
        return Outcome::skip(NAME, "one environment: nothing to share");
    }
    let mut per_env: Vec<BTreeMap<String, String>> = Vec::new();
    for e in &record.envs {
        per_env.push(overlay_items(&resolve(dir, &e.overlay)));
    }
    let mut problems = Vec::new();
    for (item, what) in &per_env[0] {
        if per_env[1..].iter().all(|m| m.contains_key(item)) {
            problems.push(Problem::new(format!(
                "{what} is the same in every overlay ({}): it belongs in the base",
                record
                    .envs
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    let summary = match problems.len() {
        0 => "nothing is repeated in every overlay".to_string(),
        n => format!("{n} thing(s) every overlay repeats: consolidation debt"),
    };
    Outcome::judged(NAME, summary, problems)
}

/// What an overlay adds, keyed by its canonical text, with a description to report it by.
fn overlay_items(overlay: &Path) -> BTreeMap<String, String> {
    let mut items = BTreeMap::new();
    let Some(file) = find_kustomization(overlay) else {
        return items;
    };
    let Some(k) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|t| parse_str(&t).ok())
        .and_then(|d| d.into_iter().next())
    else {
        return items;
    };
    let canon = |n: &Node| emit_object(n, String::new()).unwrap_or_default();
    let docs_in = |rel: &str| -> Vec<Document> {
        let path = overlay.join(rel);
        std::fs::read(&path)
            .ok()
            .and_then(|b| load_resources(&path, b).ok())
            .unwrap_or_default()
    };
    let describe = |d: &Document| format!("{} {}", d.kind(), d.name());
    for entry in k
        .get("resources")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let Some(rel) = entry.as_str() else { continue };
        if overlay.join(rel).is_file() {
            for d in docs_in(rel) {
                items.insert(
                    format!("resource\n{}", canon(&d.root)),
                    format!("the resource {}", describe(&d)),
                );
            }
        }
    }
    for field in ["patches", "patchesStrategicMerge"] {
        for entry in k.get(field).and_then(Node::as_seq).unwrap_or_default() {
            let target = entry.get("target").map(canon).unwrap_or_default();
            let path = entry.get("path").and_then(Node::as_str).or(entry.as_str());
            let inline = entry.get("patch").and_then(Node::as_str);
            let docs: Vec<Document> = match (path, inline) {
                (Some(p), _) if overlay.join(p).is_file() => docs_in(p),
                (_, Some(text)) => {
                    load_resources(&file, text.as_bytes().to_vec()).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            for d in docs {
                items.insert(
                    format!("patch\n{target}\n{}", canon(&d.root)),
                    format!("a patch to {}", describe(&d)),
                );
            }
            if let (Some(p), Some(t)) = (path, entry.get("target")) {
                // JSON 6902 operations: not resources, compared as text.
                if let Ok(text) = std::fs::read_to_string(overlay.join(p))
                    && !text.contains("kind:")
                {
                    items.insert(
                        format!("patch\n{}\n{text}", canon(t)),
                        format!("the JSON patch {p}"),
                    );
                }
            }
        }
    }
    for (field, what) in [("images", "the image"), ("replicas", "the replica count")] {
        for entry in k.get(field).and_then(Node::as_seq).unwrap_or_default() {
            let name = entry.str_at(&["name"]).unwrap_or("");
            items.insert(
                format!("{field}\n{}", canon(entry)),
                format!("{what} of {name}"),
            );
        }
    }
    items
}

fn location(p: &Problem) -> String {
    match (&p.file, p.line) {
        (Some(f), Some(l)) => format!("{}:{l}", f.display()),
        (Some(f), None) => f.display().to_string(),
        _ => String::new(),
    }
}

fn text(dir: &Path, outcomes: &[Outcome]) -> String {
    let mut out = format!("kfold check {}\n", dir.display());
    for o in outcomes {
        let mark = match o.status {
            Status::Pass => "ok  ",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        out.push_str(&format!("  {mark}  {:<9} {}\n", o.name, o.summary));
        for p in &o.problems {
            let at = location(p);
            if at.is_empty() {
                out.push_str(&format!("        {}\n", p.message));
            } else {
                out.push_str(&format!("        {at}: {}\n", p.message));
            }
            if let Some(d) = &p.detail {
                for line in d.lines() {
                    out.push_str(&format!("          {line}\n"));
                }
            }
        }
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.status == Status::Fail)
        .map(|o| o.name)
        .collect();
    if failed.is_empty() {
        out.push_str("no drift\n");
    } else {
        out.push_str(&format!("drift: {}\n", failed.join(", ")));
    }
    out
}

fn json_report(dir: &Path, outcomes: &[Outcome]) -> String {
    let checks: Vec<_> = outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "status": o.status.as_str(),
                "summary": o.summary,
                "problems": o.problems.iter().map(|p| json!({
                    "file": p.file.as_ref().map(|f| f.display().to_string()),
                    "line": p.line,
                    "message": p.message,
                    "detail": p.detail,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = json!({
        "dir": dir.display().to_string(),
        "drift": outcomes.iter().any(|o| o.status == Status::Fail),
        "checks": checks,
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

/// GitHub workflow commands: one annotation a problem, on its file and line when known.
fn github(outcomes: &[Outcome]) -> String {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for o in outcomes.iter().filter(|o| o.status == Status::Fail) {
        for p in &o.problems {
            let mut props = Vec::new();
            if let Some(f) = &p.file {
                props.push(format!("file={}", prop(&f.display().to_string())));
            }
            if let Some(l) = p.line {
                props.push(format!("line={l}"));
            }
            props.push(format!(
                "title={}",
                prop(&format!("kfold check: {}", o.name))
            ));
            let mut message = p.message.clone();
            if let Some(d) = &p.detail {
                message.push('\n');
                message.push_str(d);
            }
            out.push_str(&format!(
                "::error {}::{}\n",
                props.join(","),
                escape(&message)
            ));
        }
    }
    let failed = outcomes.iter().filter(|o| o.status == Status::Fail).count();
    out.push_str(&format!(
        "kfold check: {}\n",
        if failed == 0 { "no drift" } else { "drift" }
    ));
    out
}
