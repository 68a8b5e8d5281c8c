//! Helm charts from consolidated trees, and the proof that a chart renders, for every
//! environment, exactly what that environment's overlay builds.
//!
//! `kfold helm` generates; `verify_chart` proves (and `kfold check` calls it); both run
//! `helm` from PATH and never need a cluster.

pub mod chart;

use crate::doc::{Document, Node};
use crate::error::Diag;
use crate::kustomize::fieldspec::Gvk;
use crate::kustomize::{BuildOptions, Builder};
use crate::load::parse::parse_str;
use chart::{EnvBuild, EnvGlobals};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One environment of a consolidated tree: its name and its kustomize root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartEnv {
    pub name: String,
    /// The overlay folder (`DIR/overlays/<name>`).
    pub overlay: PathBuf,
}

/// What rendering the chart with `values-<env>.yaml` gave, against the overlay's build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The same resources, equal once parsed (formatting and order do not count).
    Identical { resources: usize },
    /// One entry per differing resource: `missing: ID`, `extra: ID`, or `differs: ID` and a
    /// unified diff of the canonical YAML (`-` overlay build, `+` chart rendering).
    Differs(Vec<String>),
    /// The overlay did not build, or helm failed (the message says which and why).
    Failed(String),
    /// Not run, and why (helm is not on PATH).
    Skipped(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvProof {
    pub env: String,
    pub proof: Proof,
}

/// The sidecar `kfold helm` keeps in the chart: hashes of what it wrote, and its options.
pub const SIDECAR: &str = ".kfold-chart.json";

/// Labels `--chart-labels` adds, which the proof ignores.
pub const CHART_LABELS: &[&str] = &["helm.sh/chart", "app.kubernetes.io/managed-by"];

/// The environments of a consolidated tree: `DIR/kfold.yaml`'s list, else every
/// `DIR/overlays/*` holding a kustomization.
pub fn environments(dir: &Path) -> Result<Vec<ChartEnv>, Diag> {
    let record = crate::consolidate::record::Record::read(dir)?;
    Ok(record
        .envs
        .into_iter()
        .map(|e| ChartEnv {
            overlay: crate::consolidate::record::resolve(dir, &e.overlay),
            name: e.name,
        })
        .collect())
}

/// What an overlay's kustomization sets for every resource it builds.
fn overlay_globals(overlay: &Path) -> EnvGlobals {
    let mut g = EnvGlobals::default();
    let Some(root) = crate::kustomize::build::find_kustomization(overlay)
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|t| parse_str(&t).ok())
        .and_then(|d| d.into_iter().next())
    else {
        return g;
    };
    g.name_prefix = root.str_at(&["namePrefix"]).unwrap_or("").to_string();
    g.name_suffix = root.str_at(&["nameSuffix"]).unwrap_or("").to_string();
    g.namespace = root.str_at(&["namespace"]).map(str::to_string);
    let mut add = |pairs: Option<&Node>| {
        for (k, v) in pairs
            .and_then(Node::as_map)
            .into_iter()
            .flat_map(|m| m.iter())
        {
            if let Some(v) = v.scalar_text() {
                g.labels.insert(k.to_string(), v);
            }
        }
    };
    add(root.get("commonLabels"));
    for l in root
        .get("labels")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        add(l.get("pairs"));
    }
    g
}

/// Builds every environment's overlay natively, keyed for matching across environments.
pub fn build_envs(envs: &[ChartEnv]) -> Result<Vec<EnvBuild>, Diag> {
    let mut builder = Builder::new(BuildOptions::default());
    envs.iter()
        .map(|e| {
            let out = builder.build(&e.overlay)?;
            let resources = out
                .resources
                .into_iter()
                .zip(out.originals)
                .map(|(d, (ns, name))| {
                    let gvk = Gvk::of(&d.root);
                    ((gvk.group, gvk.kind, ns, name), d.root)
                })
                .collect();
            Ok(EnvBuild {
                name: e.name.clone(),
                resources,
                globals: overlay_globals(&e.overlay),
            })
        })
        .collect()
}

/// `helm version`'s first line, or why helm cannot be run.
pub fn helm_version() -> Result<String, String> {
    match Command::new("helm")
        .args(["version", "--short"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()),
        Ok(out) => Err(format!(
            "`helm version` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("helm is not on PATH".into()),
        Err(e) => Err(format!("cannot run helm: {e}")),
    }
}

fn template_command(chart: &Path, values: &[&Path]) -> Command {
    let mut c = Command::new("helm");
    c.arg("template").arg("release").arg(chart);
    for v in values {
        c.arg("-f").arg(v);
    }
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn finish(child: std::io::Result<std::process::Child>) -> Result<String, String> {
    let out = child
        .and_then(std::process::Child::wait_with_output)
        .map_err(|e| format!("cannot run helm: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// `helm template release CHART -f VALUES...`: the rendered stream, or helm's error.
pub fn helm_template(chart: &Path, values: &[&Path]) -> Result<String, String> {
    finish(template_command(chart, values).spawn())
}

fn strip_chart_labels(docs: &mut [Document]) {
    for d in docs {
        let Some(meta) = d.root.get_mut("metadata").and_then(Node::as_map_mut) else {
            continue;
        };
        if let Some(labels) = meta.get_mut("labels").and_then(Node::as_map_mut) {
            for l in CHART_LABELS {
                labels.remove(l);
            }
            if labels.is_empty() {
                meta.remove("labels");
            }
        }
    }
}

/// Whether the chart was generated with `--chart-labels` (from its sidecar).
pub fn has_chart_labels(chart: &Path) -> bool {
    std::fs::read_to_string(chart.join(SIDECAR))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("chartLabels")?.as_bool())
        .unwrap_or(false)
}

/// Proves a chart against a consolidated tree: for each environment, renders
/// `helm template release CHART -f CHART/values-<env>.yaml` and compares it, resource by
/// resource (matched by apiVersion, kind, namespace and name; compared as parsed values),
/// with the native build of `env.overlay`. Labels `--chart-labels` added are ignored when
/// the chart's sidecar says it has them. Without helm on PATH every environment is
/// `Proof::Skipped` with the reason; `Err` only when `chart` is not a chart.
pub fn verify_chart(chart: &Path, envs: &[ChartEnv]) -> Result<Vec<EnvProof>, Diag> {
    if !chart.join("Chart.yaml").is_file() {
        return Err(Diag::new(format!(
            "{}: not a Helm chart (no Chart.yaml)",
            chart.display()
        )));
    }
    if let Err(why) = helm_version() {
        return Ok(envs
            .iter()
            .map(|e| EnvProof {
                env: e.name.clone(),
                proof: Proof::Skipped(why.clone()),
            })
            .collect());
    }
    let chart_labels = has_chart_labels(chart);
    // helm starts slowly: every environment's rendering runs at once while kfold builds.
    let children: Vec<_> = envs
        .iter()
        .map(|e| {
            let values = chart.join(format!("values-{}.yaml", e.name));
            template_command(chart, &[&values]).spawn()
        })
        .collect();
    let mut builder = Builder::new(BuildOptions::default());
    Ok(envs
        .iter()
        .zip(children)
        .map(|(e, child)| {
            let built = builder.build(&e.overlay);
            let rendered = finish(child);
            let proof = match (built, rendered) {
                (Err(d), _) => Proof::Failed(format!("the overlay does not build: {d}")),
                (_, Err(msg)) => Proof::Failed(format!("helm template failed: {msg}")),
                (Ok(out), Ok(text)) => {
                    let path = PathBuf::from(format!("helm template (values-{}.yaml)", e.name));
                    match crate::load::load_resources(&path, text.into_bytes()) {
                        Err(d) => Proof::Failed(format!("cannot read helm's output: {d}")),
                        Ok(mut got) => {
                            let mut want = out.resources;
                            if chart_labels {
                                strip_chart_labels(&mut got);
                                strip_chart_labels(&mut want);
                            }
                            let resources = want.len();
                            let msgs = crate::diff::explain(want, got);
                            if msgs.is_empty() {
                                Proof::Identical { resources }
                            } else {
                                Proof::Differs(msgs)
                            }
                        }
                    }
                }
            };
            EnvProof {
                env: e.name.clone(),
                proof,
            }
        })
        .collect())
}
