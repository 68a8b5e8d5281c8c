//! `kfold helm DIR --out CHART`: a Helm chart equivalent to a consolidated tree, proven
//! per environment with `helm template`, written atomically, never over a hand edit.

use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::commands::staged::Staged;
use crate::error::Diag;
use crate::helm::{self, EnvProof, Proof, SIDECAR, chart};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Args<'a> {
    pub dir: &'a Path,
    pub out: &'a Path,
    pub chart_labels: bool,
    pub force: bool,
    pub name: Option<&'a str>,
}

/// FNV-1a, 64 bits: enough to notice a hand edit, no crate needed.
pub fn fnv64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn valid_chart_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 53
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
}

fn default_name(dir: &Path) -> String {
    let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let base = crate::kustomize::build::clean_path(&abs)
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name = String::new();
    for c in base.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-').to_string();
    if valid_chart_name(&name) {
        name
    } else {
        "chart".to_string()
    }
}

/// Files under `dir`, relative, with their bytes.
fn files_on_disk(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .ok()?
                .to_string_lossy()
                .into_owned();
            Some((rel, std::fs::read(e.path()).ok()?))
        })
        .collect()
}

/// What regenerating would overwrite or remove that kfold did not write: a message per
/// file, with the diff from what is on disk to what kfold would write.
fn hand_edits(out: &Path, files: &[(PathBuf, String)]) -> Result<Vec<String>, Diag> {
    if !out.exists() {
        return Ok(Vec::new());
    }
    if !out.is_dir() {
        return Err(Diag::new(format!(
            "{} exists and is not a folder",
            out.display()
        )));
    }
    let disk = files_on_disk(out);
    if disk.is_empty() {
        return Ok(Vec::new());
    }
    let Some(sidecar) = disk.get(SIDECAR) else {
        return Ok(vec![format!(
            "{} is not empty and was not written by kfold helm (no {SIDECAR})",
            out.display()
        )]);
    };
    let recorded: BTreeMap<String, String> = serde_json::from_slice::<serde_json::Value>(sidecar)
        .ok()
        .and_then(|v| serde_json::from_value(v.get("files")?.clone()).ok())
        .ok_or_else(|| {
            Diag::new("unreadable: remove it or pass --force")
                .in_file(out.join(SIDECAR).display().to_string())
        })?;
    let new: BTreeMap<String, &str> = files
        .iter()
        .map(|(p, t)| (p.to_string_lossy().into_owned(), t.as_str()))
        .collect();
    let mut msgs = Vec::new();
    for (rel, bytes) in &disk {
        if rel == SIDECAR {
            continue;
        }
        let edited = match recorded.get(rel) {
            Some(hash) => *hash != fnv64(bytes),
            None => true,
        };
        if !edited {
            continue;
        }
        let path = out.join(rel).display().to_string();
        let old = String::from_utf8_lossy(bytes);
        match new.get(rel) {
            Some(text) if *text == old => {}
            Some(text) => msgs.push(format!(
                "{path}: edited by hand; regenerating would replace it:\n{}",
                similar::TextDiff::from_lines(old.as_ref(), *text)
                    .unified_diff()
                    .context_radius(2)
                    .header(
                        &format!("{path} (on disk)"),
                        &format!("{path} (kfold helm)")
                    )
            )),
            None => msgs.push(format!(
                "{path}: {} by hand; regenerating would remove it",
                if recorded.contains_key(rel) {
                    "edited"
                } else {
                    "added"
                }
            )),
        }
    }
    Ok(msgs)
}

/// The proof as printed: a row per environment, then every difference.
pub fn proof_report(proofs: &[EnvProof]) -> String {
    let mut out = String::from("environment          helm template vs kfold build\n");
    let mut details = String::new();
    for p in proofs {
        let status = match &p.proof {
            Proof::Identical { resources } => format!("identical ({resources} resources)"),
            Proof::Differs(msgs) => {
                for m in msgs {
                    details.push_str(&format!("\n{}: {m}", p.env));
                }
                format!("DIFFERS ({} resources)", msgs.len())
            }
            Proof::Failed(why) => {
                details.push_str(&format!("\n{}: {why}\n", p.env));
                "FAILED".to_string()
            }
            Proof::Skipped(why) => format!("skipped: {why}"),
        };
        out.push_str(&format!("{:<20} {status}\n", p.env));
    }
    out + &details
}

pub fn run(settings: &Settings, args: Args) -> i32 {
    let started = std::time::Instant::now();
    let name = match args.name {
        Some(n) if !valid_chart_name(n) => {
            report(
                settings,
                &[Diag::new(format!("--name {n}: not a Helm chart name"))
                    .with_help("lowercase letters, digits and dashes, starting with a letter, at most 53 characters")],
            );
            return exit::ERROR;
        }
        Some(n) => n.to_string(),
        None => default_name(args.dir),
    };
    let built = helm::environments(args.dir).and_then(|envs| Ok((helm::build_envs(&envs)?, envs)));
    let (builds, envs) = match built {
        Ok(b) => b,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let source = args.dir.display().to_string();
    let mut files = chart::generate(
        &builds,
        &chart::Options {
            chart_name: &name,
            chart_labels: args.chart_labels,
            source: &source,
        },
    );
    let hashes: BTreeMap<String, String> = files
        .iter()
        .map(|(p, t)| (p.to_string_lossy().into_owned(), fnv64(t.as_bytes())))
        .collect();
    let sidecar = serde_json::json!({
        "generator": format!("kfold helm {}", env!("CARGO_PKG_VERSION")),
        "source": source,
        "environments": envs.iter().map(|e| &e.name).collect::<Vec<_>>(),
        "chartLabels": args.chart_labels,
        "files": hashes,
    });
    files.push((
        PathBuf::from(SIDECAR),
        format!(
            "{}\n",
            serde_json::to_string_pretty(&sidecar).unwrap_or_default()
        ),
    ));
    let generated = started.elapsed();
    if !args.force {
        match hand_edits(args.out, &files) {
            Ok(msgs) if msgs.is_empty() => {}
            Ok(msgs) => {
                let mut diags: Vec<Diag> = msgs.into_iter().map(Diag::new).collect();
                diags.push(
                    Diag::new(format!("{} left as it is", args.out.display()))
                        .with_help("keep the edit in the consolidated tree instead, or pass --force to overwrite"),
                );
                report(settings, &diags);
                return exit::ERROR;
            }
            Err(d) => {
                report(settings, &[d]);
                return exit::ERROR;
            }
        }
    }
    // Staging creates the destination's parent folders on the way.
    let staged = match Staged::write(args.out, "helm", &files) {
        Ok(s) => s,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let proofs = match helm::verify_chart(&staged.dir, &envs) {
        Ok(p) => p,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let templates = files
        .iter()
        .filter(|(p, _)| p.starts_with("templates") && p.extension().is_some_and(|e| e == "yaml"))
        .count();
    let mut out = format!(
        "{}: {templates} templates, values.yaml and {} environment values files (generated in {} ms)\n\n",
        args.out.display(),
        envs.len(),
        generated.as_millis()
    );
    out.push_str(&proof_report(&proofs));
    let failed = proofs
        .iter()
        .any(|p| matches!(p.proof, Proof::Differs(_) | Proof::Failed(_)));
    if failed {
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
        report(
            settings,
            &[Diag::new(format!(
                "the chart does not render what the overlays build; {} left as it is",
                args.out.display()
            ))],
        );
        return exit::FINDINGS;
    }
    if let Err(d) = staged.commit(args.out) {
        report(settings, &[d]);
        return exit::ERROR;
    }
    if let Some(Proof::Skipped(why)) = proofs.first().map(|p| &p.proof) {
        out.push_str(&format!(
            "\nproof skipped ({why}): with helm installed, `kfold helm` again or `kfold check` proves the chart\n"
        ));
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    exit::OK
}
