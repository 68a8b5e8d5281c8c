//! `kfold cost`: monthly cost per workload and environment from requests, replicas and
//! storage; with a baseline, what a change does to it.

use crate::cli::{Settings, exit};
use crate::commands::{lint::layout, report};
use crate::cost::{Basis, Estimate, Prices, Row, Totals, compare, delta, totals};
use crate::error::Diag;
use crate::kustomize::build::clean_path;
use crate::kustomize::{BuildOptions, Builder};
use crate::load::{Loaded, is_manifest_path, load_found_files, load_paths};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub struct Args<'a> {
    pub path: &'a Path,
    pub baseline: Option<&'a Path>,
    pub prices: Option<&'a Path>,
    pub format: Format,
}

pub fn run(settings: &Settings, args: Args) -> i32 {
    let (prices, source) = match args.prices.map(Prices::from_file) {
        None => (Prices::default(), "OpenCost's defaults".to_string()),
        Some(Ok(p)) => (
            p,
            args.prices
                .map_or(String::new(), |p| p.display().to_string()),
        ),
        Some(Err(d)) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let mut builder = Builder::new(BuildOptions::default());
    let mut diags = Vec::new();
    let current = estimate(&mut builder, args.path, &mut diags);
    let baseline = args.baseline.map(|b| estimate(&mut builder, b, &mut diags));
    let out = match args.format {
        Format::Human => human(&current, baseline.as_ref(), &prices, &source),
        Format::Json => json(&current, baseline.as_ref(), &prices),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if report(settings, &diags) {
        exit::ERROR
    } else {
        exit::OK
    }
}

/// Every environment under `path`, estimated: each top-level kustomize root of a folder is
/// built as its own environment, and the manifests outside every root make up `-`.
fn estimate(builder: &mut Builder, path: &Path, diags: &mut Vec<Diag>) -> Estimate {
    let mut est = Estimate::default();
    let add_loaded = |est: &mut Estimate, loaded: Loaded, diags: &mut Vec<Diag>| {
        diags.extend(loaded.errors.into_iter().chain(loaded.notes));
        if !loaded.docs.is_empty() {
            est.add("-", &loaded.docs.docs);
        }
    };
    if path.as_os_str() == "-" || !path.is_dir() {
        add_loaded(
            &mut est,
            load_paths(&[path.to_path_buf()], &mut std::io::stdin().lock()),
            diags,
        );
    } else {
        let l = layout(path);
        for (root, name) in l.roots.iter().zip(environment_names(path, &l.roots)) {
            match builder.build(root) {
                Ok(out) => est.add(&name, &out.resources),
                Err(d) => diags.push(d),
            }
        }
        let files: Vec<PathBuf> = l
            .files
            .into_iter()
            .filter(|f| is_manifest_path(f))
            .collect();
        if !files.is_empty() {
            add_loaded(&mut est, load_found_files(&files), diags);
        }
        diags.extend(l.charts.iter().map(|c| {
            Diag::note("a Helm chart folder: render it with helm template and pipe it in")
                .in_file(c.display().to_string())
        }));
    }
    diags.append(&mut est.errors);
    est
}

/// A root's folder name, or its path under `dir` when two roots share a name.
fn environment_names(dir: &Path, roots: &[PathBuf]) -> Vec<String> {
    let dir = clean_path(dir);
    // `.` and `..` have no name of their own: the folder they stand for does.
    let short: Vec<String> = roots
        .iter()
        .map(|r| {
            let name = r.file_name().map(|n| n.to_owned());
            let name = name.or_else(|| r.canonicalize().ok()?.file_name().map(|n| n.to_owned()));
            name.map_or_else(
                || r.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    roots
        .iter()
        .zip(&short)
        .map(|(r, s)| match short.iter().filter(|x| *x == s).count() {
            1 => s.clone(),
            _ => r
                .strip_prefix(&dir)
                .map_or_else(|_| r.display().to_string(), |p| p.display().to_string()),
        })
        .collect()
}

fn json(current: &Estimate, baseline: Option<&Estimate>, p: &Prices) -> String {
    let rows = |e: &Estimate| e.rows.iter().map(|r| row_json(r, p)).collect::<Vec<_>>();
    let now = totals(&current.rows, p);
    let then = baseline.map(|b| totals(&b.rows, p));
    let v = json!({
        "workloads": rows(current),
        "totals": totals_json(now),
        "baseline": baseline.zip(then).map(|(b, t)| json!({"workloads": rows(b), "totals": totals_json(t)})),
        "delta": then.map(|t| {
            let (monthly, percent) = delta(t.monthly, now.monthly);
            json!({"monthly": monthly, "percent": percent})
        }),
        "prices": {
            "cpuHour": p.cpu_hour,
            "memoryGiBHour": p.memory_gib_hour,
            "storageGiBMonth": p.storage_gib_month,
            "hoursPerMonth": p.hours_per_month,
        },
        "notes": notes(current, baseline).iter().map(|(head, items)| {
            if items.is_empty() { head.clone() } else { format!("{head} {}", items.join("; ")) }
        }).collect::<Vec<_>>(),
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

fn row_json(r: &Row, p: &Prices) -> Value {
    json!({
        "environment": r.environment,
        "kind": r.kind,
        "namespace": r.namespace,
        "name": r.name,
        "replicas": {"min": r.replicas.0, "max": r.replicas.1},
        "note": r.basis.note(),
        "cpu": r.cpu_millis as f64 / 1000.0,
        "memory": gib(r.memory_bytes),
        "storage": gib(r.storage_bytes),
        "monthly": r.monthly(p),
        "monthly_max": r.monthly_max(p),
    })
}

fn totals_json(t: Totals) -> Value {
    json!({"monthly": t.monthly, "monthly_min": t.monthly, "monthly_max": t.monthly_max})
}

fn gib(bytes: i128) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

fn human(current: &Estimate, baseline: Option<&Estimate>, p: &Prices, source: &str) -> String {
    let mut out = match baseline {
        None => costs(current, p),
        Some(base) => comparison(base, current, p),
    };
    out.push_str(&format!(
        "Prices: ${} per vCPU-hour, ${} per GiB-hour of memory, ${} per GiB-month of storage, {} hours a month ({source}).\n",
        p.cpu_hour, p.memory_gib_hour, p.storage_gib_month, p.hours_per_month
    ));
    for (head, items) in notes(current, baseline) {
        out.push_str(&format!("Note: {head}\n"));
        for item in items {
            out.push_str(&format!("  {item}\n"));
        }
    }
    out
}

/// A table per environment, then the total.
fn costs(current: &Estimate, p: &Prices) -> String {
    let mut out = String::new();
    let now = totals(&current.rows, p);
    for env in environments(current.rows.iter().map(|r| r.environment.as_str())) {
        let rows: Vec<&Row> = current
            .rows
            .iter()
            .filter(|r| r.environment == env)
            .collect();
        let mut cells = vec![cells(&[
            "KIND",
            "NAMESPACE",
            "NAME",
            "REPLICAS",
            "CPU",
            "MEMORY",
            "STORAGE",
            "MONTHLY",
            "AT MAX",
        ])];
        for r in &rows {
            let max = (r.replicas.0 != r.replicas.1).then(|| money(r.monthly_max(p)));
            cells.push(vec![
                r.kind.clone(),
                or_dash(&r.namespace),
                r.name.clone(),
                replicas(r),
                pod(r, decimal(r.cpu_millis as f64 / 1000.0)),
                pod(r, format!("{}Gi", decimal(gib(r.memory_bytes)))),
                if r.storage_bytes == 0 {
                    "-".into()
                } else {
                    format!("{}Gi", decimal(gib(r.storage_bytes)))
                },
                money(r.monthly(p)),
                max.unwrap_or_default(),
            ]);
        }
        let t = totals(rows.iter().copied(), p);
        let mut total = vec![String::new(); 9];
        total[0] = "total".into();
        total[7] = money(t.monthly);
        total[8] = if t.monthly_max != t.monthly {
            money(t.monthly_max)
        } else {
            String::new()
        };
        cells.push(total);
        out.push_str(&format!(
            "{}\n{}\n",
            heading(env),
            table(
                &cells,
                &[false, false, false, true, true, true, true, true, true]
            )
        ));
    }
    if current.rows.is_empty() {
        out.push_str("No workloads or claims found.\n");
    }
    out.push_str(&format!("Total: {} a month", money(now.monthly)));
    if now.monthly_max != now.monthly {
        out.push_str(&format!(", {} at max replicas", money(now.monthly_max)));
    }
    out.push_str("\nCPU (cores), memory and storage are requests per pod.\n");
    out
}

/// Before, after and the change per workload, grouped by environment, then the totals.
fn comparison(base: &Estimate, current: &Estimate, p: &Prices) -> String {
    let mut out = String::new();
    let now = totals(&current.rows, p);
    let pairs = compare(&base.rows, &current.rows);
    for env in environments(pairs.iter().map(env_of)) {
        let group: Vec<_> = pairs.iter().filter(|pair| env_of(pair) == env).collect();
        let mut cells = vec![cells(&[
            "KIND",
            "NAMESPACE",
            "NAME",
            "BEFORE",
            "AFTER",
            "DELTA",
            "%",
        ])];
        let side = |r: Option<&Row>| r.map_or(0.0, |r| r.monthly(p));
        for (b, a) in &group {
            let Some(r) = a.or(*b) else { continue };
            let (d, pct) = delta(side(*b), side(*a));
            cells.push(vec![
                r.kind.clone(),
                or_dash(&r.namespace),
                r.name.clone(),
                b.map_or("-".into(), |r| money(r.monthly(p))),
                a.map_or("-".into(), |r| money(r.monthly(p))),
                signed_money(d),
                match (b, a) {
                    (None, _) => "new".into(),
                    (_, None) => "removed".into(),
                    _ => percent(pct),
                },
            ]);
        }
        let before = totals(group.iter().filter_map(|(b, _)| *b), p).monthly;
        let after = totals(group.iter().filter_map(|(_, a)| *a), p).monthly;
        let (d, pct) = delta(before, after);
        cells.push(vec![
            "total".into(),
            String::new(),
            String::new(),
            money(before),
            money(after),
            signed_money(d),
            percent(pct),
        ]);
        out.push_str(&format!(
            "{}\n{}\n",
            heading(env),
            table(&cells, &[false, false, false, true, true, true, true])
        ));
    }
    let then = totals(&base.rows, p);
    out.push_str(&change("Monthly", then.monthly, now.monthly));
    if then.monthly_max != then.monthly || now.monthly_max != now.monthly {
        out.push_str(&change(
            "At max replicas",
            then.monthly_max,
            now.monthly_max,
        ));
    }
    out
}

fn change(label: &str, before: f64, after: f64) -> String {
    let (d, pct) = delta(before, after);
    format!(
        "{label}: {} → {} ({}, {})\n",
        money(before),
        money(after),
        signed_money(d),
        percent(pct)
    )
}

/// What the numbers leave out, each with the items it is about.
fn notes(current: &Estimate, baseline: Option<&Estimate>) -> Vec<(String, Vec<String>)> {
    let mut notes = Vec::new();
    for (est, prefix) in [(Some(current), ""), (baseline, "baseline: ")] {
        let Some(missing) = est.map(|e| &e.missing).filter(|m| !m.is_empty()) else {
            continue;
        };
        let head = match missing.len() {
            1 => format!("{prefix}1 container has no requests; its cost is not counted:"),
            n => format!("{prefix}{n} containers have no requests; their cost is not counted:"),
        };
        let items = missing.iter().map(|m| {
            let ns = if m.namespace.is_empty() {
                String::new()
            } else {
                format!("{}/", m.namespace)
            };
            format!(
                "{} {} {ns}{}, container {}: no {} request",
                m.environment,
                m.kind,
                m.name,
                m.container,
                m.resources.join(" or ")
            )
        });
        notes.push((head, items.collect()));
    }
    let any = |basis| {
        current
            .rows
            .iter()
            .chain(baseline.iter().flat_map(|b| &b.rows))
            .any(|r| r.basis == basis)
    };
    if any(Basis::PerNode) {
        notes.push((
            "DaemonSets are priced per node: multiply by the nodes they run on.".into(),
            Vec::new(),
        ));
    }
    if any(Basis::Job) {
        notes.push((
            "Jobs and CronJobs are priced as one pod running all month.".into(),
            Vec::new(),
        ));
    }
    notes
}

type Pair<'a> = (Option<&'a Row>, Option<&'a Row>);

fn env_of<'a>((before, after): &Pair<'a>) -> &'a str {
    after.or(*before).map_or("", |r| r.environment.as_str())
}

fn environments<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen
}

fn heading(env: &str) -> String {
    match env {
        "-" => "Environment - (plain manifests)".into(),
        _ => format!("Environment {env}"),
    }
}

fn cells(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

/// A pod figure, which a claim has none of.
fn pod(r: &Row, text: String) -> String {
    if r.basis == Basis::Claim {
        "-".into()
    } else {
        text
    }
}

fn replicas(r: &Row) -> String {
    match r.basis {
        Basis::Autoscaled => format!("{}–{}", r.replicas.0, r.replicas.1),
        Basis::PerNode => "1/node".into(),
        Basis::Job => "1 (job)".into(),
        _ => r.replicas.0.to_string(),
    }
}

/// Columns padded to their widest cell, counted in characters; two spaces between.
fn table(rows: &[Vec<String>], right: &[bool]) -> String {
    let widths: Vec<usize> = (0..right.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(right)
            .map(|((cell, &w), &r)| {
                if r {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// At most three decimals, without trailing zeros: `0.25`, `1.5`, `0.098`.
fn decimal(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What an optimization does to the monthly bill, at OpenCost's default prices, as one
/// line for `kfold optimize` (`None` when neither side requests anything).
pub fn before_after_line(
    before: &[crate::doc::Document],
    after: &[crate::doc::Document],
) -> Option<String> {
    let p = Prices::default();
    let (mut was, mut now) = (Estimate::default(), Estimate::default());
    was.add("-", before);
    now.add("-", after);
    let (t0, t1) = (totals(&was.rows, &p), totals(&now.rows, &p));
    if t0.monthly_max == 0.0 && t1.monthly_max == 0.0 {
        return None;
    }
    let (d, pct) = delta(t0.monthly, t1.monthly);
    let mut line = format!(
        "Monthly cost (requests × replicas, OpenCost's default prices): {} → {} ({}, {})",
        money(t0.monthly),
        money(t1.monthly),
        signed_money(d),
        percent(pct)
    );
    if t0.monthly_max != t0.monthly || t1.monthly_max != t1.monthly {
        let (d, pct) = delta(t0.monthly_max, t1.monthly_max);
        line.push_str(&format!(
            "; at maximum replicas {} → {} ({}, {})",
            money(t0.monthly_max),
            money(t1.monthly_max),
            signed_money(d),
            percent(pct)
        ));
    }
    line.push_str(". `kfold cost PATH --baseline OLD` gives the table.\n");
    Some(line)
}

/// `$1,234.56`, or `−$1,234.56` (with a minus sign) below zero.
pub fn money(x: f64) -> String {
    let cents = (x.abs() * 100.0).round() as u128;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && cents > 0 { "−" } else { "" };
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// A change: `+$12.00`, `−$3.50`, `$0.00`.
pub fn signed_money(x: f64) -> String {
    if (x * 100.0).round() > 0.0 {
        format!("+{}", money(x))
    } else {
        money(x)
    }
}

/// `+12.5%`, `−71.2%`, `0.0%`; `n/a` from zero.
pub fn percent(p: Option<f64>) -> String {
    match p {
        None => "n/a".into(),
        Some(p) if (p * 10.0).round() > 0.0 => format!("+{p:.1}%"),
        Some(p) if (p * 10.0).round() < 0.0 => format!("−{:.1}%", -p),
        Some(_) => "0.0%".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_thousands_separators_and_a_real_minus_sign() {
        assert_eq!(money(1234.56), "$1,234.56");
        assert_eq!(money(1234567.0), "$1,234,567.00");
        assert_eq!(money(0.004), "$0.00");
        assert_eq!(money(-2225.0), "−$2,225.00");
        assert_eq!(money(-0.001), "$0.00");
        assert_eq!(signed_money(30.0), "+$30.00");
        assert_eq!(signed_money(0.0), "$0.00");
        assert_eq!(
            (
                percent(Some(-71.2)),
                percent(Some(12.54)),
                percent(Some(-0.01)),
                percent(None)
            ),
            (
                "−71.2%".into(),
                "+12.5%".into(),
                "0.0%".into(),
                "n/a".into()
            )
        );
        assert_eq!(decimal(0.09765625), "0.098");
        assert_eq!(decimal(2.0), "2");
    }

    #[test]
    fn environments_are_named_by_folder_or_by_path_when_names_repeat() {
        let roots = [
            PathBuf::from("t/a/prod"),
            PathBuf::from("t/b/prod"),
            PathBuf::from("t/staging"),
        ];
        assert_eq!(
            environment_names(Path::new("t/"), &roots),
            ["a/prod", "b/prod", "staging"]
        );
    }
}
