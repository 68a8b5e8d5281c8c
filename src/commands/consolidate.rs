//! `kfold consolidate`: find the environments, consolidate them, prove every overlay
//! rebuilds its environment exactly, then write the tree atomically.

use crate::cli::{Settings, exit};
use crate::commands::lint::layout;
use crate::commands::report;
use crate::commands::staged::Staged;
use crate::consolidate::diff::Patch;
use crate::consolidate::record::relative_to;
use crate::consolidate::{Env, Layout, consolidate, map_of};
use crate::doc::{Document, Node, Value};
use crate::error::Diag;
use crate::kustomize::build::clean_path;
use crate::kustomize::{BuildOptions, Builder};
use crate::load::{load_found_files, load_paths};
use crate::render::emit::{emit, emit_object};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Args<'a> {
    pub sources: &'a [PathBuf],
    pub envs: &'a [String],
    pub out: &'a Path,
    pub report: Option<&'a Path>,
    pub report_md: Option<&'a Path>,
    pub dry_run: bool,
    pub force: bool,
    /// Move the consolidated sources to DEPRECATED/<timestamp>/ once the new tree is written.
    pub in_place: bool,
    /// Optimize every environment by this policy before consolidating it.
    pub optimize: Option<&'a Path>,
}

const ENV_NAMES: &[&str] = &[
    "dev",
    "develop",
    "development",
    "test",
    "testing",
    "qa",
    "uat",
    "stage",
    "staging",
    "preprod",
    "pre-prod",
    "prod",
    "production",
    "sandbox",
    "demo",
    "local",
];

#[derive(Default)]
struct Discovery {
    envs: Vec<Env>,
    skipped: Vec<(String, String)>,
    duplicates: Vec<Vec<String>>,
    files_before: usize,
    lines_before: usize,
}

fn yaml_lines(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .count()
}

fn build_env(builder: &mut Builder, name: String, path: &Path, d: &mut Discovery) {
    let source = path.display().to_string();
    let docs: Result<Vec<Document>, String> =
        if path.is_dir() && crate::kustomize::build::is_root(path) {
            builder
                .build(path)
                .map(|o| o.documents_with_origins())
                .map_err(|e| e.to_string())
        } else {
            let loaded = if path.is_dir() {
                load_paths(&[path.to_path_buf()], &mut std::io::empty())
            } else {
                load_found_files(&[path.to_path_buf()])
            };
            match loaded.errors.first() {
                Some(e) => Err(e.to_string()),
                None => Ok(loaded.docs.docs),
            }
        };
    match docs {
        Ok(docs) if !docs.is_empty() => d.envs.push(Env { name, source, docs }),
        Ok(_) => d.skipped.push((source, "no Kubernetes resources".into())),
        Err(e) => d.skipped.push((source, format!("does not build: {e}"))),
    }
}

fn discover(args: &Args) -> Result<Discovery, Diag> {
    let mut d = Discovery::default();
    let mut builder = Builder::new(BuildOptions::default());
    for spec in args.envs {
        let Some((name, path)) = spec.split_once('=') else {
            return Err(Diag::new(format!("--env {spec}: expected NAME=PATH")));
        };
        build_env(&mut builder, name.to_string(), Path::new(path), &mut d);
    }
    let mut contents: BTreeMap<Vec<u8>, Vec<String>> = BTreeMap::new();
    for src in args.sources {
        if !src.is_dir() {
            let name = src
                .file_stem()
                .map_or("env".into(), |s| s.to_string_lossy().into_owned());
            build_env(&mut builder, name, src, &mut d);
            continue;
        }
        let l = layout(src);
        for root in &l.roots {
            let name = root
                .file_name()
                .map_or("root".into(), |s| s.to_string_lossy().into_owned());
            build_env(&mut builder, name, root, &mut d);
        }
        for chart in &l.charts {
            d.skipped.push((chart.display().to_string(), "an unrendered Helm chart: render it with helm template and pass it with --env NAME=FILE".into()));
        }
        let mut env_dirs: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
        for f in walkdir::WalkDir::new(src)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
        {
            let path = clean_path(f.path());
            if path
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&path) {
                d.files_before += 1;
                if crate::load::is_manifest_path(&path) || crate::load::is_kustomization_name(&path)
                {
                    d.lines_before += yaml_lines(&String::from_utf8_lossy(&bytes));
                }
                contents
                    .entry(bytes)
                    .or_default()
                    .push(path.display().to_string());
            }
        }
        for f in &l.files {
            let parent = f.parent().map(Path::to_path_buf).unwrap_or_default();
            let env_named = parent
                .file_name()
                .is_some_and(|n| ENV_NAMES.contains(&n.to_string_lossy().to_lowercase().as_str()));
            if env_named && crate::load::is_manifest_path(f) {
                env_dirs.entry(parent).or_default().push(f.clone());
            } else if !crate::load::is_manifest_path(f) {
                d.skipped
                    .push((f.display().to_string(), "not a Kubernetes manifest".into()));
            }
        }
        for (dir, files) in env_dirs {
            let loaded = load_found_files(&files);
            let name = dir
                .file_name()
                .map_or("env".into(), |s| s.to_string_lossy().into_owned());
            if loaded.docs.is_empty() {
                continue;
            }
            d.envs.push(Env {
                name,
                source: dir.display().to_string(),
                docs: loaded.docs.docs,
            });
        }
    }
    d.duplicates = contents.into_values().filter(|v| v.len() > 1).collect();
    // Environments named alike (two `dev` folders) get their parent's name too.
    let names: Vec<String> = d.envs.iter().map(|e| e.name.clone()).collect();
    for e in &mut d.envs {
        if names.iter().filter(|n| **n == e.name).count() > 1 {
            let parent = Path::new(&e.source)
                .parent()
                .and_then(Path::file_name)
                .map(|p| p.to_string_lossy().into_owned());
            if let Some(p) = parent {
                e.name = format!("{p}-{}", e.name);
            }
        }
    }
    if d.envs.is_empty() {
        return Err(Diag::new(
            "no environments found: name them with --env NAME=PATH",
        ));
    }
    Ok(d)
}

fn file_stem(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').to_string()
}

fn render_nodes(nodes: &[&Node]) -> String {
    nodes
        .iter()
        .map(|n| emit_object(n, String::new()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Resources grouped into files by application (`app.kubernetes.io/name`, `app`, or name).
fn group_files(nodes: &[Node]) -> Vec<(String, String)> {
    let mut groups: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
    for n in nodes {
        let group = n
            .str_at(&["metadata", "labels", "app.kubernetes.io/name"])
            .or_else(|| n.str_at(&["metadata", "labels", "app"]))
            .or_else(|| n.str_at(&["metadata", "name"]))
            .unwrap_or("resources");
        groups.entry(file_stem(group)).or_default().push(n);
    }
    groups
        .into_iter()
        .map(|(g, ns)| {
            let name = if ns.len() == 1 {
                let kind = ns[0].str_at(&["kind"]).unwrap_or("resource").to_lowercase();
                format!("{kind}-{g}.yaml")
            } else {
                format!("{g}.yaml")
            };
            (name, render_nodes(&ns))
        })
        .collect()
}

fn kustomization(ctx: minijinja::Value) -> String {
    let mut env = minijinja::Environment::new();
    // A broken template shows up as an overlay that fails verification, not as a panic.
    let text = env
        .add_template("k", include_str!("../../templates/kustomization.yaml.j2"))
        .and_then(|()| env.get_template("k")?.render(ctx))
        .unwrap_or_else(|e| format!("# templates/kustomization.yaml.j2: {e}\n"));
    if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
}

fn op_node(op: &crate::doc::pointer::Op) -> Node {
    use crate::doc::pointer::Op;
    let s = |v: &str| Node::string(v);
    match op {
        Op::Add { path, value } => map_of(&[
            ("op", s("add")),
            ("path", s(path)),
            ("value", value.clone()),
        ]),
        Op::Remove { path } => map_of(&[("op", s("remove")), ("path", s(path))]),
        Op::Replace { path, value } => map_of(&[
            ("op", s("replace")),
            ("path", s(path)),
            ("value", value.clone()),
        ]),
        Op::Move { from, path } => {
            map_of(&[("op", s("move")), ("from", s(from)), ("path", s(path))])
        }
        Op::Copy { from, path } => {
            map_of(&[("op", s("copy")), ("from", s(from)), ("path", s(path))])
        }
        Op::Test { path, value } => map_of(&[
            ("op", s("test")),
            ("path", s(path)),
            ("value", value.clone()),
        ]),
    }
}

/// Every file of the consolidated tree, relative to `--out`.
fn render_tree(layout: &Layout, record: &Recorded, envs: &[Env]) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let base = group_files(&layout.base);
    let names: Vec<String> = base.iter().map(|(n, _)| n.clone()).collect();
    // kustomize refuses a kustomization with nothing in it: no shared resources, no base.
    let has_base = !names.is_empty();
    if has_base {
        files.push((
            PathBuf::from("base/kustomization.yaml"),
            kustomization(
                minijinja::context! { resources => names, ns => layout.namespace.clone() },
            ),
        ));
    }
    for (n, text) in base {
        files.push((PathBuf::from("base").join(n), text));
    }
    for c in &layout.components {
        let dir = PathBuf::from("components").join(&c.name);
        let refs: Vec<&Node> = c.resources.iter().collect();
        files.push((
            dir.join("kustomization.yaml"),
            kustomization(
                minijinja::context! { component => true, resources => vec!["resources.yaml"] },
            ),
        ));
        files.push((dir.join("resources.yaml"), render_nodes(&refs)));
    }
    for o in &layout.overlays {
        let dir = PathBuf::from("overlays").join(&o.env);
        let mut resources: Vec<String> = has_base
            .then(|| "../../base".to_string())
            .into_iter()
            .collect();
        if !o.resources.is_empty() {
            resources.push("resources.yaml".into());
            let refs: Vec<&Node> = o.resources.iter().collect();
            files.push((dir.join("resources.yaml"), render_nodes(&refs)));
        }
        let strategic: Vec<&Node> = o
            .patches
            .iter()
            .filter_map(|(_, p)| match p {
                Patch::Strategic(n) => Some(n),
                Patch::Json(_) => None,
            })
            .collect();
        let mut patches = Vec::new();
        if !strategic.is_empty() {
            files.push((dir.join("patches.yaml"), render_nodes(&strategic)));
            patches.push(minijinja::context! { path => "patches.yaml" });
        }
        for ((group, kind, ns, name), p) in &o.patches {
            if let Patch::Json(ops) = p {
                let file = format!("patch-{}-{}.yaml", kind.to_lowercase(), file_stem(name));
                let list = Node::new(Value::Seq(ops.iter().map(op_node).collect()));
                files.push((dir.join(&file), emit(&list).unwrap_or_default()));
                let mut target = BTreeMap::new();
                if !group.is_empty() {
                    target.insert("group", group.clone());
                }
                target.insert("kind", kind.clone());
                target.insert("name", name.clone());
                if !ns.is_empty() {
                    target.insert("namespace", ns.clone());
                }
                patches.push(minijinja::context! { path => file, target => target });
            }
        }
        let t = &o.transforms;
        let images: Vec<minijinja::Value> = t
            .images
            .iter()
            .map(|(name, v)| match v.strip_prefix('@') {
                Some(d) => minijinja::context! { name => name, digest => d },
                None => minijinja::context! { name => name, tag => quote_if_needed(v) },
            })
            .collect();
        let replicas: Vec<minijinja::Value> = t
            .replicas
            .iter()
            .map(|(name, count)| minijinja::context! { name => name, count => count })
            .collect();
        let labels: BTreeMap<String, String> = t
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), quote_if_needed(v)))
            .collect();
        let components: Vec<String> = o
            .components
            .iter()
            .map(|c| format!("../../components/{c}"))
            .collect();
        files.push((
            dir.join("kustomization.yaml"),
            kustomization(minijinja::context! {
                resources => resources,
                components => components,
                ns => t.namespace.clone().or_else(|| (!has_base).then(|| layout.namespace.clone()).flatten()),
                name_prefix => t.prefix.clone(),
                name_suffix => t.suffix.clone(),
                labels => labels,
                images => images,
                replicas => replicas,
                patches => patches,
            }),
        ));
    }
    let env_rows: Vec<minijinja::Value> = envs
        .iter()
        .zip(&record.env_sources)
        .map(|(e, source)| minijinja::context! { name => e.name.clone(), source => source.clone(), resources => e.docs.len(), verified => true })
        .collect();
    let mut jinja = minijinja::Environment::new();
    let _ = jinja.add_template("readme", include_str!("../../templates/README.md.j2"));
    let _ = jinja.add_template("kfold", include_str!("../../templates/kfold.yaml.j2"));
    let ctx = minijinja::context! {
        sources => record.sources.clone(),
        policy => record.policy.clone(),
        envs => env_rows,
        base_count => layout.base.len(),
        components => !layout.components.is_empty(),
        version => env!("CARGO_PKG_VERSION"),
    };
    for (name, tpl) in [("README.md", "readme"), ("kfold.yaml", "kfold")] {
        if let Ok(mut text) = jinja.get_template(tpl).and_then(|t| t.render(&ctx)) {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            files.push((PathBuf::from(name), text));
        }
    }
    files
}

/// A scalar written into a kustomization by a template: quoted when YAML would read it as
/// something other than a string (`1.0`, `yes`).
fn quote_if_needed(s: &str) -> String {
    let text = emit(&Node::string(s)).unwrap_or_default();
    text.trim_end_matches('\n').to_string()
}

struct Verified {
    env: String,
    resources: usize,
    kfold: Result<(), String>,
    kubectl: Option<Result<(), String>>,
}

/// Secret values stay masked in what this says: it is printed when a proof fails.
fn compare(want: &[Document], got: Vec<Document>) -> Result<(), String> {
    let msgs = crate::diff::explain(want.to_vec(), got);
    if msgs.is_empty() {
        Ok(())
    } else {
        Err(msgs.join("\n"))
    }
}

/// `kubectl kustomize` of a generated overlay (`None` without kubectl).
fn kubectl_set(
    dir: &Path,
    child: std::io::Result<std::process::Child>,
) -> Option<Result<Vec<Document>, String>> {
    let out = child.ok()?.wait_with_output().ok()?;
    if !out.status.success() {
        return Some(Err(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let docs =
        crate::load::load_resources(&dir.join("kubectl-output.yaml"), text.into_bytes()).ok()?;
    Some(Ok(docs))
}

fn verify(tmp: &Path, envs: &[Env]) -> Vec<Verified> {
    // kubectl is slow on big trees: every environment's run starts at once, on all cores,
    // while kfold verifies in this process.
    let children: Vec<_> = envs
        .iter()
        .map(|e| {
            std::process::Command::new("kubectl")
                .arg("kustomize")
                .arg(tmp.join("overlays").join(&e.name))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
        })
        .collect();
    let mut builder = Builder::new(BuildOptions::default());
    // A progress line on a terminal: verification is the long part of a big migration.
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let total = envs.len();
    let results = envs
        .iter()
        .zip(children)
        .enumerate()
        .map(|(i, (e, child))| {
            if progress {
                eprint!("\rverifying {}/{total}: {:<40}", i + 1, e.name);
            }
            let dir = tmp.join("overlays").join(&e.name);
            let kfold = builder
                .build(&dir)
                .map_err(|d| d.to_string())
                .and_then(|o| compare(&e.docs, o.resources));
            let kubectl = kubectl_set(&dir, child).map(|r| r.and_then(|got| compare(&e.docs, got)));
            Verified {
                env: e.name.clone(),
                resources: e.docs.len(),
                kfold,
                kubectl,
            }
        })
        .collect();
    if progress {
        eprint!("\r{:<60}\r", "");
    }
    results
}

/// What a consolidation would write, computed without touching the disk: `kfold check`
/// regenerates a tree with it and compares.
pub(crate) struct Plan {
    discovery: Discovery,
    /// The policy's changes per environment, as printed.
    optimized: String,
    pub files: Vec<(PathBuf, String)>,
}

pub(crate) fn plan(args: &Args) -> Result<Plan, Diag> {
    let mut d = discover(args)?;
    let mut optimized = String::new();
    if let Some(policy) = args.optimize {
        let policy = crate::policy::Policy::from_file(policy)?;
        // Each environment is optimized as built; the overlays are then proven against the
        // optimized environments, not the originals.
        for env in &mut d.envs {
            let before = env.docs.clone();
            let log = crate::passes::run(&mut env.docs, &policy);
            optimized.push_str(&format!("{}: {} change(s)\n", env.name, log.changes.len()));
            for c in &log.changes {
                optimized.push_str(&format!(
                    "  {} {} {}: {} → {}  ({})\n",
                    c.pass,
                    crate::passes::display(&c.resource),
                    c.pointer,
                    c.old.as_deref().unwrap_or("(none)"),
                    c.new.as_deref().unwrap_or("(removed)"),
                    c.reason
                ));
            }
            for n in &log.notes {
                optimized.push_str(&format!("  note: {n}\n"));
            }
            if let Some(line) = crate::commands::cost::before_after_line(&before, &env.docs) {
                optimized.push_str(&format!("  {line}"));
            }
        }
    }
    let layout = consolidate(&d.envs);
    // kfold.yaml records paths relative to the tree, so `kfold check` finds them from anywhere.
    let rel = |p: &Path| relative_to(args.out, p);
    let record = Recorded {
        sources: args
            .sources
            .iter()
            .map(|s| rel(s))
            .chain(args.envs.iter().map(|e| match e.split_once('=') {
                Some((name, path)) => format!("{name}={}", rel(Path::new(path))),
                None => e.clone(),
            }))
            .collect(),
        env_sources: d.envs.iter().map(|e| rel(Path::new(&e.source))).collect(),
        policy: args.optimize.map(rel),
    };
    let files = render_tree(&layout, &record, &d.envs);
    Ok(Plan {
        discovery: d,
        optimized,
        files,
    })
}

/// Paths as kfold.yaml records them: relative to the consolidated tree.
struct Recorded {
    sources: Vec<String>,
    env_sources: Vec<String>,
    policy: Option<String>,
}

pub fn run(settings: &Settings, args: Args) -> i32 {
    if !args.dry_run
        && args.out.exists()
        && std::fs::read_dir(args.out).is_ok_and(|mut d| d.next().is_some())
        && !args.force
    {
        report(
            settings,
            &[
                Diag::new(format!("{} exists and is not empty", args.out.display()))
                    .with_help("pass --force to replace it"),
            ],
        );
        return exit::ERROR;
    }
    if args.in_place {
        let out =
            clean_path(&std::path::absolute(args.out).unwrap_or_else(|_| args.out.to_path_buf()));
        let inside = args.sources.iter().any(|s| {
            out.starts_with(clean_path(
                &std::path::absolute(s).unwrap_or_else(|_| s.clone()),
            ))
        });
        if inside {
            report(
                settings,
                &[Diag::new(
                    "--in-place needs --out outside the sources it moves away",
                )],
            );
            return exit::ERROR;
        }
    }
    let Plan {
        discovery: d,
        optimized,
        files,
    } = match plan(&args) {
        Ok(p) => p,
        Err(e) => {
            report(settings, &[e]);
            return exit::ERROR;
        }
    };
    let parent = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let staged = match Staged::write(args.out, "consolidate", &files) {
        Ok(s) => s,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let verified = verify(&staged.dir, &d.envs);
    let ok = verified
        .iter()
        .all(|v| v.kfold.is_ok() && v.kubectl.as_ref().is_none_or(Result::is_ok));
    let mut out = String::new();
    out.push_str("environment          resources  kfold build  kubectl kustomize\n");
    for v in &verified {
        let mark = |r: &Result<(), String>| if r.is_ok() { "identical" } else { "DIFFERS" };
        out.push_str(&format!(
            "{:<20} {:>9}  {:<11}  {}\n",
            v.env,
            v.resources,
            mark(&v.kfold),
            v.kubectl.as_ref().map_or("not on PATH", mark)
        ));
    }
    let files_after = files.len();
    let lines_after: usize = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "yaml"))
        .map(|(_, t)| yaml_lines(t))
        .sum();
    out.push_str(&format!(
        "\n{} files, {} YAML lines → {} files, {} YAML lines; {} groups of identical files folded; {} skipped\n",
        d.files_before,
        d.lines_before,
        files_after,
        lines_after,
        d.duplicates.len(),
        d.skipped.len()
    ));
    for (file, why) in &d.skipped {
        out.push_str(&format!("  skipped {file}: {why}\n"));
    }
    if args.dry_run {
        for (p, text) in &files {
            out.push_str(&format!("\n==> {} <==\n{text}", args.out.join(p).display()));
        }
    }
    if !optimized.is_empty() {
        out = format!(
            "optimized by {}:\n{optimized}\n{out}",
            args.optimize
                .map_or(String::new(), |p| p.display().to_string())
        );
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    if !ok {
        let mut diags = Vec::new();
        for v in &verified {
            for r in [Some(&v.kfold), v.kubectl.as_ref()].into_iter().flatten() {
                if let Err(e) = r {
                    diags.push(Diag::new(format!(
                        "overlay `{}` does not rebuild its environment:\n{e}",
                        v.env
                    )));
                }
            }
        }
        report(settings, &diags);
        return exit::FINDINGS;
    }
    let env_json: Vec<serde_json::Value> = d
        .envs
        .iter()
        .map(|e| json!({"name": e.name, "source": e.source, "overlay": format!("overlays/{}", e.name), "resources": e.docs.len(), "verified": true}))
        .collect();
    let report_json = json!({
        "environments": env_json,
        "files_before": d.files_before,
        "files_after": files_after,
        "lines_before": d.lines_before,
        "lines_after": lines_after,
        "duplicates": d.duplicates,
        "skipped": d.skipped.iter().map(|(f, r)| json!({"file": f, "reason": r})).collect::<Vec<_>>(),
    });
    if !args.dry_run {
        if let Err(d) = staged.commit(args.out) {
            report(settings, &[d]);
            return exit::ERROR;
        }
        if args.in_place
            && let Err(d) = retire_sources(&args, parent)
        {
            report(settings, &[d]);
            return exit::ERROR;
        }
    }
    if let Some(p) = args.report {
        let _ = std::fs::write(
            p,
            format!(
                "{}\n",
                serde_json::to_string_pretty(&report_json).unwrap_or_default()
            ),
        );
    }
    if let Some(p) = args.report_md {
        let _ = std::fs::write(p, markdown_report(&report_json, &out));
    }
    exit::OK
}

/// UTC `YYYYMMDD-HHMMSS` from the system clock (days to civil date, Howard Hinnant's method).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `--in-place`: the sources move to DEPRECATED/<timestamp>/ beside the new tree, and the
/// command that undoes it is printed.
fn retire_sources(args: &Args, parent: &Path) -> Result<(), Diag> {
    let dest = parent.join("DEPRECATED").join(timestamp());
    let mut sources: Vec<PathBuf> = args.sources.to_vec();
    sources.extend(
        args.envs
            .iter()
            .filter_map(|e| e.split_once('='))
            .map(|(_, p)| PathBuf::from(p)),
    );
    let mut undo = Vec::new();
    for src in sources.iter().filter(|s| s.exists()) {
        let name = clean_path(src);
        let target = dest.join(
            name.strip_prefix("..")
                .unwrap_or(&name)
                .strip_prefix("/")
                .unwrap_or(&name),
        );
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p)
                .map_err(|e| Diag::new(format!("cannot create {}: {e}", p.display())))?;
        }
        std::fs::rename(src, &target).map_err(|e| {
            Diag::new(format!(
                "cannot move {} to {}: {e}",
                src.display(),
                target.display()
            ))
        })?;
        undo.push(format!("mv {} {}", target.display(), src.display()));
    }
    undo.push(format!("rm -rf {}", args.out.display()));
    println!(
        "\nSources moved to {}. To roll back:\n  {}",
        dest.display(),
        undo.join(" && \\\n  ")
    );
    Ok(())
}

fn markdown_report(r: &serde_json::Value, table: &str) -> String {
    let mut md = String::from("# Manifest consolidation\n\n");
    md.push_str(&format!(
        "{} files ({} YAML lines) → {} files ({} YAML lines).\n\n## Verification\n\n| Environment | Source | Overlay | Resources | Identical |\n|---|---|---|---|---|\n",
        r["files_before"], r["lines_before"], r["files_after"], r["lines_after"]
    ));
    for e in r["environments"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "| {} | `{}` | `{}` | {} | yes |\n",
            e["name"].as_str().unwrap_or(""),
            e["source"].as_str().unwrap_or(""),
            e["overlay"].as_str().unwrap_or(""),
            e["resources"]
        ));
    }
    md.push_str("\n## Identical files folded\n\n");
    for group in r["duplicates"].as_array().into_iter().flatten() {
        let files: Vec<&str> = group
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str())
            .collect();
        md.push_str(&format!("- {}\n", files.join(" = ")));
    }
    md.push_str("\n## Skipped\n\n");
    for s in r["skipped"].as_array().into_iter().flatten() {
        md.push_str(&format!(
            "- `{}`: {}\n",
            s["file"].as_str().unwrap_or(""),
            s["reason"].as_str().unwrap_or("")
        ));
    }
    md.push_str(&format!("\n## Summary as printed\n\n```\n{table}```\n"));
    md
}
