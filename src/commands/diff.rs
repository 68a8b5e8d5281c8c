//! `kfold diff A B`: what differs between two trees, resource by resource, as canonical YAML
//! (formatting, key order and comments never count). `--git REV` compares with a revision,
//! `--envs DIR` tabulates what a consolidated tree's environments differ in.

use crate::cli::{Settings, exit};
use crate::commands::lint::layout;
use crate::commands::report;
use crate::diff::{self, Key, Report, Side};
use crate::error::Diag;
use crate::kustomize::build::{clean_path, is_root};
use crate::kustomize::{BuildOptions, Builder};
use crate::load::{is_manifest_path, load_found_files, load_paths};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub struct Args<'a> {
    pub paths: &'a [PathBuf],
    pub format: Format,
    pub stat: bool,
    pub exit_code: bool,
    pub git: Option<&'a str>,
    pub envs: Option<&'a Path>,
}

pub fn run(settings: &Settings, args: Args) -> i32 {
    if let Some(dir) = args.envs {
        if !args.paths.is_empty() || args.stat || args.exit_code {
            report(
                settings,
                &[Diag::new(
                    "--envs DIR takes no other paths, --stat or --exit-code",
                )],
            );
            return exit::ERROR;
        }
        return crate::commands::envs::run(settings, dir, args.format);
    }
    let mut builder = Builder::new(BuildOptions::default());
    let mut diags = Vec::new();
    let mut scratch = None;
    let (a, b, labels) = match (args.git, args.paths) {
        (Some(rev), paths) if paths.len() <= 1 => {
            let path = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
            match checkout(rev, &path) {
                Ok((dir, old)) => {
                    let sides = (
                        load_side(&mut builder, &old, &mut diags),
                        load_side(&mut builder, &path, &mut diags),
                    );
                    scratch = Some(dir);
                    (
                        sides.0,
                        sides.1,
                        (
                            format!("{rev}:{}", path.display()),
                            path.display().to_string(),
                        ),
                    )
                }
                Err(d) => {
                    report(settings, &[d]);
                    return exit::ERROR;
                }
            }
        }
        (None, [a, b]) => {
            if a.as_os_str() == "-" && b.as_os_str() == "-" {
                report(settings, &[Diag::new("only one side can be - (stdin)")]);
                return exit::ERROR;
            }
            (
                load_side(&mut builder, a, &mut diags),
                load_side(&mut builder, b, &mut diags),
                (a.display().to_string(), b.display().to_string()),
            )
        }
        _ => {
            report(
                settings,
                &[Diag::new(
                    "expected two paths (A B), or --git REV [PATH], or --envs DIR",
                )],
            );
            return exit::ERROR;
        }
    };
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    if report(settings, &diags) {
        return exit::ERROR;
    }
    let r = diff::compare(a, b);
    let out = match (args.format, args.stat) {
        (Format::Json, _) => json_report(&r, &labels),
        (Format::Text, true) => stat(&r),
        (Format::Text, false) => text(&r, settings.color_stdout),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if args.exit_code && !r.is_empty() {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// A file, `-`, a kustomize root (built), or a folder: each top-level root in it built on its
/// own (its resources keyed by the root's path), the plain manifests outside them loaded.
pub fn load_side(builder: &mut Builder, path: &Path, diags: &mut Vec<Diag>) -> Side {
    let mut side = Side::default();
    if path.as_os_str() == "-" || !path.is_dir() {
        let loaded = load_paths(&[path.to_path_buf()], &mut std::io::stdin().lock());
        diags.extend(loaded.errors);
        side.add("", loaded.docs.docs);
        return side;
    }
    if is_root(path) {
        match builder.build(path) {
            Ok(out) => side.add("", out.resources),
            Err(d) => diags.push(d),
        }
        return side;
    }
    let l = layout(path);
    let dir = clean_path(path);
    for root in &l.roots {
        let name = root
            .strip_prefix(&dir)
            .map_or_else(|_| root.display().to_string(), |p| p.display().to_string());
        match builder.build(root) {
            Ok(out) => side.add(&name, out.resources),
            Err(d) => diags.push(d),
        }
    }
    let files: Vec<PathBuf> = l
        .files
        .into_iter()
        .filter(|f| is_manifest_path(f))
        .collect();
    let loaded = load_found_files(&files);
    diags.extend(loaded.errors);
    side.add("", loaded.docs.docs);
    diags.extend(l.charts.iter().map(|c| {
        Diag::warning(
            "a Helm chart folder, not compared: render it with helm template and pipe it in",
        )
        .in_file(c.display().to_string())
    }));
    side
}

/// `REV`'s whole tree in a scratch folder (kustomize roots may reach anywhere in the
/// repository), and where `path` is inside it.
fn checkout(rev: &str, path: &Path) -> Result<(PathBuf, PathBuf), Diag> {
    let git = |args: &[&str]| -> Result<String, Diag> {
        let out = std::process::Command::new("git")
            .args(args)
            .output()
            .map_err(|e| Diag::new(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(Diag::new(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])
    .map_err(|_| Diag::new(format!("--git {rev}: not a commit in this repository")))?;
    let abs =
        std::path::absolute(path).map_err(|e| Diag::new(format!("{}: {e}", path.display())))?;
    let top = top.canonicalize().unwrap_or(top);
    let abs = abs.canonicalize().unwrap_or_else(|_| clean_path(&abs));
    let rel = abs.strip_prefix(&top).map_err(|_| {
        Diag::new(format!(
            "{} is outside the git repository at {}",
            path.display(),
            top.display()
        ))
    })?;
    let dir = std::env::temp_dir().join(format!("kfold-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Diag::new(format!("cannot create {}: {e}", dir.display())))?;
    let archive = std::process::Command::new("git")
        .args([
            "-C",
            &top.display().to_string(),
            "archive",
            "--format=tar",
            rev,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Diag::new(format!("cannot run git archive: {e}")))?;
    let ok = archive.stdout.is_some_and(|out| {
        std::process::Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&dir)
            .stdin(out)
            .status()
            .is_ok_and(|s| s.success())
    });
    if !ok {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(Diag::new(format!(
            "cannot extract {rev} with git archive | tar"
        )));
    }
    let old = dir.join(rel);
    Ok((dir, old))
}

fn resource_json(k: &Key) -> serde_json::Value {
    json!({
        "root": k.root,
        "apiVersion": k.id.api_version(),
        "kind": k.id.kind,
        "namespace": k.id.namespace,
        "name": k.id.name,
    })
}

pub fn json_value(r: &Report) -> serde_json::Value {
    json!({
        "added": r.added.iter().map(resource_json).collect::<Vec<_>>(),
        "removed": r.removed.iter().map(resource_json).collect::<Vec<_>>(),
        "changed": r.changed.iter().map(|c| json!({
            "resource": resource_json(&c.key),
            "paths": c.paths,
            "moved": c.moved.iter().map(|m| json!({"path": m.path, "from": m.from, "to": m.to})).collect::<Vec<_>>(),
            "diff": c.unified(3),
        })).collect::<Vec<_>>(),
        "summary": {
            "added": r.added.len(),
            "removed": r.removed.len(),
            "changed": r.changed.len(),
            "unchanged": r.unchanged,
        },
    })
}

fn json_report(r: &Report, labels: &(String, String)) -> String {
    let mut v = json_value(r);
    v["a"] = json!(labels.0);
    v["b"] = json!(labels.1);
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

fn summary(r: &Report) -> String {
    if r.is_empty() {
        return format!("no differences ({} resources)\n", r.unchanged);
    }
    format!(
        "{} changed, {} added, {} removed, {} unchanged\n",
        r.changed.len(),
        r.added.len(),
        r.removed.len(),
        r.unchanged
    )
}

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Every difference, in key order: added, removed, then each changed resource's diff.
pub fn text(r: &Report, color: bool) -> String {
    let mut out = String::new();
    for k in &r.added {
        out.push_str(&format!("{}  {k}\n", paint("added  ", "32", color)));
    }
    for k in &r.removed {
        out.push_str(&format!("{}  {k}\n", paint("removed", "31", color)));
    }
    for c in &r.changed {
        out.push_str(&format!("{}  {}\n", paint("changed", "33", color), c.key));
        for m in &c.moved {
            out.push_str(&format!(
                "  moved {}: position {} → {}\n",
                m.path, m.from, m.to
            ));
        }
        for line in c.unified(3).lines() {
            let code = match line.as_bytes().first() {
                _ if line.starts_with("---") || line.starts_with("+++") => "1",
                Some(b'+') => "32",
                Some(b'-') => "31",
                Some(b'@') => "36",
                _ => "",
            };
            if code.is_empty() {
                out.push_str(line);
            } else {
                out.push_str(&paint(line, code, color));
            }
            out.push('\n');
        }
    }
    out.push_str(&summary(r));
    out
}

/// One line a resource, with the size of its change, like `git diff --stat`.
fn stat(r: &Report) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    rows.extend(r.added.iter().map(|k| (k.to_string(), "added".to_string())));
    rows.extend(
        r.removed
            .iter()
            .map(|k| (k.to_string(), "removed".to_string())),
    );
    for c in &r.changed {
        let (add, del) = c.counts();
        let moved = match c.moved.len() {
            0 => String::new(),
            n => format!(" ({n} moved)"),
        };
        rows.push((
            c.key.to_string(),
            format!(
                "{} {}{}{moved}",
                add + del,
                "+".repeat(add),
                "-".repeat(del)
            ),
        ));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        out.push_str(&format!(" {k:<width$} | {v}\n"));
    }
    out.push_str(&summary(r));
    out
}
