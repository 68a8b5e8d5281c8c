//! `kfold lint`: kustomize roots are built and linted as built, with each finding reported
//! at the file and line that set the offending value; plain manifests are linted as files.

use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::doc::{Document, Node};
use crate::error::Diag;
use crate::kustomize::build::{clean_path, find_kustomization};
use crate::kustomize::{BuildOptions, Builder};
use crate::lint::config::{LintSettings, find_config};
use crate::lint::report::{self as reporter, Format};
use crate::lint::{Finding, Severity, run};
use crate::load::{Loaded, load_found_files, load_paths, parse::parse_str};
use crate::rules::RULES;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Args<'a> {
    pub paths: &'a [PathBuf],
    /// Apply the fixes rules offer to plain files (safe ones; all with `unsafe_fixes`).
    pub fix: bool,
    pub unsafe_fixes: bool,
    pub format: Format,
    pub fail_on: Option<Severity>,
    pub config: Option<&'a Path>,
}

/// What a folder holds: kustomize roots no other root includes, and files no root reads.
#[derive(Default, Debug)]
pub struct Layout {
    pub roots: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
    /// Helm chart folders (not linted until rendered).
    pub charts: Vec<PathBuf>,
}

fn entries(k: &Node, field: &str) -> Vec<String> {
    k.get(field)
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| match n.as_str() {
            Some(s) => Some(s.to_string()),
            None => n.str_at(&["path"]).map(str::to_string),
        })
        .collect()
}

/// Finds the top-level kustomize roots under `dir` and the manifests outside every root.
pub fn layout(dir: &Path) -> Layout {
    let mut roots = Vec::new();
    let mut files = Vec::new();
    let mut charts = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.') {
                return false;
            }
            if e.file_type().is_dir() && e.path().join("Chart.yaml").is_file() {
                charts.push(clean_path(e.path()));
                return false;
            }
            true
        });
    for e in walker.flatten() {
        if e.file_type().is_dir() && find_kustomization(e.path()).is_some() {
            roots.push(clean_path(e.path()));
        } else if e.file_type().is_file() {
            files.push(clean_path(e.path()));
        }
    }
    let mut used: HashSet<PathBuf> = HashSet::new();
    for root in &roots {
        let Some(file) = find_kustomization(root) else {
            continue;
        };
        let Some(k) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| parse_str(&t).ok())
            .and_then(|d| d.into_iter().next())
        else {
            continue;
        };
        used.insert(clean_path(&file));
        for field in [
            "resources",
            "bases",
            "components",
            "patchesStrategicMerge",
            "patches",
            "patchesJson6902",
            "configurations",
            "transformers",
            "replacements",
            "crds",
        ] {
            for rel in entries(&k, field) {
                used.insert(clean_path(&root.join(rel)));
            }
        }
        for field in ["configMapGenerator", "secretGenerator"] {
            for g in k.get(field).and_then(Node::as_seq).unwrap_or_default() {
                for key in ["files", "envs", "env"] {
                    for f in g
                        .get(key)
                        .map(|n| match n.as_seq() {
                            Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
                            None => n.scalar_text().into_iter().collect(),
                        })
                        .unwrap_or_else(Vec::<String>::new)
                    {
                        let path = f
                            .rsplit_once('=')
                            .map_or(f.as_str(), |(_, p)| p)
                            .to_string();
                        used.insert(clean_path(&root.join(path)));
                    }
                }
            }
        }
    }
    let top: Vec<PathBuf> = roots
        .iter()
        .filter(|r| !used.contains(*r))
        .cloned()
        .collect();
    let inside_root = |f: &Path| {
        roots
            .iter()
            .any(|r| f.parent() == Some(r.as_path()) && used.contains(f))
    };
    let files = files
        .into_iter()
        .filter(|f| !used.contains(f) && !inside_root(f))
        .collect();
    Layout {
        roots: top,
        files,
        charts,
    }
}

/// The same finding reached through several roots is reported once, listing the roots;
/// findings come out in (file, line, column, rule, pointer, message) order.
fn merge(mut findings: Vec<Finding>) -> Vec<Finding> {
    fn key(f: &Finding) -> (&str, u32, u32, &str, &str, &str) {
        let (pos, rule) = (f.pos, f.rule.name);
        (f.file(), pos.line, pos.col, rule, &f.pointer, &f.message)
    }
    // Files ranked by name once, so that sorting compares numbers where it can.
    let mut sources: Vec<(&str, u32)> = findings.iter().map(|f| (f.file(), f.source.id)).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut rank_of: HashMap<u32, u32> = HashMap::with_capacity(sources.len());
    let mut rank = 0;
    for (i, &(name, id)) in sources.iter().enumerate() {
        if i > 0 && sources[i - 1].0 != name {
            rank += 1;
        }
        rank_of.insert(id, rank);
    }
    let ranks: Vec<u32> = findings.iter().map(|f| rank_of[&f.source.id]).collect();
    let ranked = |i: usize| (ranks[i], findings[i].pos.line, findings[i].pos.col);
    // Sorting indices moves an index per step instead of a whole finding; the sort is
    // stable, so of equal findings the first one found is kept.
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        ranked(a)
            .cmp(&ranked(b))
            .then_with(|| key(&findings[a]).cmp(&key(&findings[b])))
    });
    permute(&mut findings, order);
    findings.dedup_by(|later, kept| {
        if key(later) != key(kept) {
            return false;
        }
        for r in later.roots.drain(..) {
            if !kept.roots.contains(&r) {
                kept.roots.push(r);
            }
        }
        true
    });
    findings
}

/// Puts `items[order[i]]` at `i` in place, a swap per move (tens of thousands of findings
/// are not copied into a second list).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != usize::MAX {
            let from = std::mem::replace(&mut order[at], usize::MAX);
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// The configuration (`--config`, or .kfold.yaml here or above), reported when it is bad.
fn configure(settings: &Settings, args: &Args) -> Option<LintSettings> {
    let config_path = args
        .config
        .map(Path::to_path_buf)
        .or_else(|| find_config(&std::env::current_dir().unwrap_or_default()));
    let lint_settings = match &config_path {
        Some(p) => match LintSettings::from_file(p, RULES) {
            Ok(s) => s,
            Err(d) => {
                report(settings, &[d]);
                return None;
            }
        },
        None => LintSettings::default(),
    };
    Some(lint_settings)
}

pub fn run_lint(settings: &Settings, args: Args) -> i32 {
    let Some(lint_settings) = configure(settings, &args) else {
        return exit::ERROR;
    };
    let mut input_errors: Vec<Diag> = Vec::new();
    let mut notes = Vec::new();
    let mut findings = Vec::new();
    let mut plain: Vec<PathBuf> = Vec::new();
    let mut found: Vec<PathBuf> = Vec::new();
    let mut builder = Builder::new(BuildOptions::default());
    for path in args.paths {
        if path.as_os_str() != "-" && path.is_dir() {
            let l = layout(path);
            for root in &l.roots {
                match builder.build(root) {
                    Ok(out) => {
                        let docs: Vec<Document> = out.resources;
                        let name = root.display().to_string();
                        for mut f in run(&docs, RULES, &lint_settings) {
                            f.roots.push(name.clone());
                            findings.push(f);
                        }
                    }
                    Err(d) => input_errors.push(d),
                }
            }
            found.extend(
                l.files
                    .into_iter()
                    .filter(|f| crate::load::is_manifest_path(f)),
            );
            for chart in l.charts {
                notes.push(
                    Diag::note("a Helm chart folder: render it with helm template and pipe it in")
                        .in_file(chart.display().to_string()),
                );
            }
        } else {
            plain.push(path.clone());
        }
    }
    for loaded in [
        (!plain.is_empty()).then(|| load_paths(&plain, &mut std::io::stdin().lock())),
        (!found.is_empty()).then(|| load_found_files(&found)),
    ]
    .into_iter()
    .flatten()
    {
        let Loaded {
            docs,
            errors,
            notes: n,
            ..
        } = loaded;
        input_errors.extend(errors);
        notes.extend(n);
        let mut docs = docs.docs;
        if args.fix && input_errors.is_empty() {
            let (applied, diags) = fix_files(&mut docs, &lint_settings, args.unsafe_fixes);
            notes.push(Diag::note(format!("{applied} fix(es) applied")));
            input_errors.extend(diags);
        }
        let found = run(&docs, RULES, &lint_settings);
        // Tens of thousands of findings: take the first batch as it is rather than copying it.
        if findings.is_empty() {
            findings = found;
        } else {
            findings.extend(found);
        }
        // The process ends after the report: freeing ten thousand trees node by node
        // would only delay it.
        std::mem::forget(docs);
    }
    let findings = merge(findings);
    let code = finish(
        settings,
        &args,
        &lint_settings,
        &findings,
        input_errors,
        notes,
    );
    std::mem::forget(findings);
    code
}

/// Applies fixes until none applies any more (a fix can enable another), then edits the
/// changed files in place atomically, keeping comments and formatting outside the fixes.
fn fix_files(
    docs: &mut [Document],
    settings: &LintSettings,
    unsafe_fixes: bool,
) -> (usize, Vec<Diag>) {
    let before: Vec<Document> = docs.to_vec();
    let mut applied = 0;
    for _ in 0..10 {
        let mut round = 0;
        for f in run(docs, RULES, settings) {
            let Some(fix) = f.fix.filter(|x| x.safe || unsafe_fixes) else {
                continue;
            };
            let target = docs.get_mut(f.doc);
            // A fix written against an earlier state of the document fails its guards: skip it.
            if target.is_some_and(|d| d.patch(&fix.ops).is_ok()) {
                round += 1;
            }
        }
        applied += round;
        if round == 0 {
            break;
        }
    }
    let mut rewrites = Vec::new();
    let mut seen = HashSet::new();
    for (b, a) in before.iter().zip(docs.iter()) {
        if b.root != a.root && a.source.path.as_os_str() != "-" && seen.insert(a.source.id) {
            rewrites.push(crate::commands::optimize::Rewrite {
                source: a.source.clone(),
                before: String::new(),
                after: String::new(),
            });
        }
    }
    let mut diags = Vec::new();
    crate::commands::optimize::write_files(&rewrites, &before, docs, &mut diags);
    (applied, diags)
}

pub fn run_rules(format: RulesFormat) -> i32 {
    let out = match format {
        RulesFormat::Text => {
            let mut s = String::new();
            for r in RULES {
                s.push_str(&format!(
                    "{}  {:<40} {:<13} {:<8} {}\n",
                    r.code,
                    r.name,
                    r.category.as_str(),
                    r.severity,
                    r.summary()
                ));
            }
            s
        }
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name,
                        "code": r.code,
                        "severity": r.severity.as_str(),
                        "category": r.category.as_str(),
                        "kinds": r.kinds,
                        "summary": r.summary(),
                        "fix": r.section("Fix"),
                    })
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            )
        }
        RulesFormat::Md => {
            let mut s = String::from(
                "| Code | Name | Category | Severity | What it does |\n|---|---|---|---|---|\n",
            );
            for r in RULES {
                s.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    r.code,
                    r.name,
                    r.category.as_str(),
                    r.severity,
                    r.summary()
                ));
            }
            s
        }
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    exit::OK
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Md,
}

pub fn run_explain(settings: &Settings, name: &str) -> i32 {
    match crate::rules::find(name) {
        Some(r) => {
            let header = format!(
                "# {} ({})\n\ncategory: {} · default severity: {}{}\n\n",
                r.name,
                r.code,
                r.category.as_str(),
                r.severity,
                r.kube_linter
                    .map_or(String::new(), |k| format!(" · kube-linter: {k}"))
            );
            let _ = std::io::stdout()
                .lock()
                .write_all(format!("{header}{}\n", r.docs().trim()).as_bytes());
            exit::OK
        }
        None => {
            report(
                settings,
                &[Diag::new(format!("no rule is named `{name}`"))
                    .with_help("`kfold rules` lists them")],
            );
            exit::ERROR
        }
    }
}

/// A rendered stream split by helm's `# Source: CHART/templates/x.yaml` comments, each
/// template's documents together, the chart-relative path mapped onto `chart`.
fn by_template(chart: &Path, rendered: &str) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = Vec::new();
    for doc in rendered
        .split("\n---")
        .flat_map(|d| d.strip_prefix("---").or(Some(d)))
    {
        let source = doc
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .map(|s| {
                // helm names the chart, then the path inside it.
                let inside = s.split_once('/').map_or(s, |(_, rest)| rest);
                chart.join(inside.trim())
            })
            .unwrap_or_else(|| chart.join("(rendered)"));
        match out.iter_mut().find(|(p, _)| *p == source) {
            Some((_, text)) => {
                text.push_str("---\n");
                text.push_str(doc.trim_start_matches('\n'));
                text.push('\n');
            }
            None => out.push((source, format!("{}\n", doc.trim_start_matches('\n')))),
        }
    }
    out
}

/// `kfold lint CHART --values FILE...`: the chart rendered once per values file through
/// `helm template`, each rendering linted, every finding naming its values file.
pub fn run_chart_lint(settings: &Settings, args: Args, values: &[PathBuf]) -> i32 {
    let Some(lint_settings) = configure(settings, &args) else {
        return exit::ERROR;
    };
    if let Some(p) = args.paths.iter().find(|p| !p.join("Chart.yaml").is_file()) {
        report(
            settings,
            &[Diag::new(format!(
                "{}: --values applies to Helm charts, and this has no Chart.yaml",
                p.display()
            ))],
        );
        return exit::ERROR;
    }
    if let Err(why) = crate::helm::helm_version() {
        report(
            settings,
            &[Diag::new(format!("{why}: kfold lint --values renders charts with `helm template`"))
                .with_help("install helm, or render the chart yourself and pipe it in: helm template CHART -f values.yaml | kfold lint -")],
        );
        return exit::ERROR;
    }
    let mut input_errors: Vec<Diag> = Vec::new();
    let mut notes = Vec::new();
    if args.fix {
        notes.push(Diag::note(
            "--fix does not rewrite Helm templates; findings only",
        ));
    }
    let mut findings = Vec::new();
    for chart in args.paths {
        for file in values {
            let label = file.display().to_string();
            let rendered = match crate::helm::helm_template(chart, &[file.as_path()]) {
                Ok(r) => r,
                Err(msg) => {
                    // helm names the template whose output is not YAML: report it there.
                    let template = msg.split("YAML parse error on ").nth(1).and_then(|rest| {
                        let path = rest.split(':').next()?;
                        Some(chart.join(path.split_once('/').map_or(path, |(_, p)| p)))
                    });
                    let d = Diag::new(format!("rendered with {label}: {msg}"));
                    input_errors.push(match template {
                        Some(t) => d.in_file(t.display().to_string()),
                        None => d.in_file(chart.display().to_string()),
                    });
                    continue;
                }
            };
            let mut docs = Vec::new();
            for (path, text) in by_template(chart, &rendered) {
                match crate::load::load_resources(&path, text.into_bytes()) {
                    Ok(d) => docs.extend(d),
                    Err(mut d) => {
                        d.message = format!("rendered with {label}: {}", d.message);
                        input_errors.push(d);
                    }
                }
            }
            for mut f in run(&docs, RULES, &lint_settings) {
                f.message = format!("{} (values: {label})", f.message);
                findings.push(f);
            }
        }
    }
    finish(
        settings,
        &args,
        &lint_settings,
        &findings,
        input_errors,
        notes,
    )
}

/// Prints the findings in the asked format, the diagnostics on stderr (input errors also
/// inside the machine-readable formats, not twice), and returns the exit code.
fn finish(
    settings: &Settings,
    args: &Args,
    lint_settings: &LintSettings,
    findings: &[Finding],
    input_errors: Vec<Diag>,
    notes: Vec<Diag>,
) -> i32 {
    let fail_on = args
        .fail_on
        .or(lint_settings.fail_on)
        .unwrap_or(Severity::Error);
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = match args.format {
        // The report goes to stdout: colour follows stdout's terminal, not stderr's.
        Format::Human => reporter::human_to(&mut stdout, findings, settings.color_stdout),
        Format::Json => reporter::json_to(&mut stdout, findings, &input_errors),
        Format::Sarif => reporter::sarif_to(&mut stdout, findings, RULES),
        Format::Github => reporter::github_to(&mut stdout, findings, &input_errors),
    };
    let _ = stdout.flush();
    drop(stdout);
    let failed_input = !input_errors.is_empty();
    let mut diags = input_errors;
    diags.extend(notes);
    if args.format != Format::Human && args.format != Format::Sarif {
        diags.retain(|d| d.level != crate::error::Level::Error);
    }
    report(settings, &diags);
    if failed_input {
        exit::ERROR
    } else if findings.iter().any(|f| f.severity >= fail_on) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_moves_every_item_to_its_place() {
        for order in [
            vec![],
            vec![0],
            vec![2, 0, 1],
            vec![1, 0, 3, 2, 4],
            vec![4, 3, 2, 1, 0],
            vec![3, 5, 0, 1, 2, 4],
        ] {
            let mut items: Vec<char> = (0..order.len()).map(|i| (b'a' + i as u8) as char).collect();
            let want: Vec<char> = order.iter().map(|&i| items[i]).collect();
            permute(&mut items, order.clone());
            assert_eq!(items, want, "order {order:?}");
        }
    }
}
