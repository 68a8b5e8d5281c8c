//! Reading trees: walking folders, splitting streams into documents and telling
//! Kubernetes resources from kustomizations, Helm templates and other YAML.

pub mod parse;

use crate::doc::{DocSet, Document, Node, Pos, Source, Value};
use crate::error::Diag;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the loader found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub docs: DocSet,
    /// Kustomization files met while walking (built by `kfold build`, not rendered here).
    pub kustomizations: Vec<PathBuf>,
    /// Files that were recognised and skipped (verbose output).
    pub notes: Vec<Diag>,
    /// Things that went wrong; each names its file.
    pub errors: Vec<Diag>,
}

const HELM_HINT: &str = "an unrendered Helm template; render it with helm template and pipe it in";
const KUSTOMIZATION_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Built-in API groups spelled without a dot; any other dot-less group (`skaffold/v4beta6`)
/// belongs to a tool's own config format.
const DOTLESS_GROUPS: &[&str] = &["apps", "batch", "autoscaling", "policy", "extensions"];

pub fn is_kustomization_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_NAMES.contains(&n))
}

pub fn is_manifest_path(path: &Path) -> bool {
    is_manifest_name(path) && !is_kustomization_name(path)
}

fn is_manifest_name(path: &Path) -> bool {
    is_kustomization_name(path)
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// One unit of loading work, gathered before any parsing so files parse in parallel.
enum Job {
    File(PathBuf, bool),
    Bytes(Vec<u8>),
    Failed(Diag),
}

impl Loaded {
    fn merge(&mut self, other: Loaded) {
        self.docs.docs.extend(other.docs.docs);
        self.kustomizations.extend(other.kustomizations);
        self.notes.extend(other.notes);
        self.errors.extend(other.errors);
    }
}

/// Loads files, folders and `-` (stdin) in the order given; folders are walked in name order.
/// Files are parsed on all cores; the result keeps the order regardless.
pub fn load_paths(paths: &[PathBuf], stdin: &mut dyn Read) -> Loaded {
    let mut jobs = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            jobs.push(match stdin.read_to_end(&mut bytes) {
                Ok(_) => Job::Bytes(bytes),
                Err(e) => {
                    Job::Failed(Diag::new(format!("cannot read stdin: {e}")).in_file("<stdin>"))
                }
            });
        } else if path.is_dir() {
            walk(&mut jobs, &mut notes, path);
        } else {
            jobs.push(Job::File(path.clone(), true));
        }
    }
    let run = |job: Job| {
        let mut part = Loaded::default();
        match job {
            Job::File(path, explicit) => load_file(&mut part, &path, explicit),
            Job::Bytes(bytes) => load_bytes(&mut part, Path::new("-"), bytes, true),
            Job::Failed(diag) => part.errors.push(diag),
        }
        part
    };
    let mut loaded = Loaded::default();
    for part in parallel_map(jobs, run) {
        loaded.merge(part);
    }
    loaded.notes.extend(notes);
    loaded
}

/// Loads files found by a caller's own walk: like a folder walk, unrendered Helm templates
/// and non-Kubernetes YAML are notes, not errors.
pub fn load_found_files(files: &[PathBuf]) -> Loaded {
    let jobs = files.iter().map(|f| Job::File(f.clone(), false)).collect();
    let mut loaded = Loaded::default();
    for part in parallel_map(jobs, |job| {
        let mut part = Loaded::default();
        if let Job::File(path, explicit) = job {
            load_file(&mut part, &path, explicit);
        }
        part
    }) {
        loaded.merge(part);
    }
    loaded
}

/// Maps in order over all cores. Items go out in small chunks that each thread takes as it
/// becomes free, so a thread slowed down (by page faults, by a bigger file, by a busy
/// neighbour on a shared machine) does not leave the other one waiting at the end.
pub fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 16 {
        return items.into_iter().map(f).collect();
    }
    let size = items.len().div_ceil(threads * 16).max(1);
    let mut chunks: Vec<std::sync::Mutex<Vec<T>>> = Vec::new();
    let mut items = items.into_iter();
    loop {
        let c: Vec<T> = items.by_ref().take(size).collect();
        if c.is_empty() {
            break;
        }
        chunks.push(std::sync::Mutex::new(c));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else {
                return done;
            };
            let taken = std::mem::take(&mut *chunk.lock().unwrap_or_else(|e| e.into_inner()));
            done.push((i, taken.into_iter().map(&f).collect()));
        }
    };
    let mut done: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for h in handles {
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().flat_map(|(_, r)| r).collect()
}

fn walk(jobs: &mut Vec<Job>, notes: &mut Vec<Diag>, root: &Path) {
    let mut charts = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() > 0 && is_hidden(e.file_name()) {
                return false;
            }
            if e.file_type().is_dir() && e.path().join("Chart.yaml").is_file() {
                charts.push(e.path().to_path_buf());
                return false;
            }
            true
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() || (e.path_is_symlink() && e.path().is_file()) => {
                if is_manifest_name(e.path()) {
                    jobs.push(Job::File(e.path().to_path_buf(), false));
                }
            }
            Ok(_) => {}
            Err(e) => jobs.push(Job::Failed(
                Diag::new(format!("cannot read: {e}")).in_file(
                    e.path()
                        .map_or(root.display().to_string(), |p| p.display().to_string()),
                ),
            )),
        }
    }
    for chart in charts {
        notes.push(
            Diag::note(format!("a Helm chart folder: {HELM_HINT}"))
                .in_file(chart.display().to_string()),
        );
    }
}

/// The resources of one file, for callers (the kustomize engine) where any problem is an
/// error: the first one is returned.
pub fn load_resources(path: &Path, bytes: Vec<u8>) -> Result<Vec<Document>, Diag> {
    let mut loaded = Loaded::default();
    load_bytes(&mut loaded, path, bytes, true);
    match loaded.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(loaded.docs.docs),
    }
}

fn load_file(loaded: &mut Loaded, path: &Path, explicit: bool) {
    match std::fs::read(path) {
        Ok(bytes) => load_bytes(loaded, path, bytes, explicit),
        Err(e) => loaded
            .errors
            .push(Diag::new(format!("cannot read: {e}")).in_file(path.display().to_string())),
    }
}

fn describe(node: &Node) -> &'static str {
    match node.value {
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
        Value::Null => "null",
        _ => "a scalar",
    }
}

/// Position of the first invalid UTF-8 sequence, for the error message.
fn utf8_error_pos(bytes: &[u8], valid_up_to: usize) -> Pos {
    let before = &bytes[..valid_up_to];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos::new(line, col)
}

fn load_bytes(loaded: &mut Loaded, path: &Path, bytes: Vec<u8>, explicit: bool) {
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    if bytes[..bytes.len().min(8192)].contains(&0) {
        loaded
            .errors
            .push(Diag::new("a binary file, not YAML or JSON").in_file(name));
        return;
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let pos = utf8_error_pos(e.as_bytes(), e.utf8_error().valid_up_to());
            loaded.errors.push(
                Diag::new("not valid UTF-8")
                    .in_file(format!("{name}:{pos}"))
                    .with_help("YAML files must be UTF-8"),
            );
            return;
        }
    };
    if is_kustomization_name(path) && !explicit {
        loaded.kustomizations.push(path.to_path_buf());
        return;
    }
    let source = Source::new(path, text);
    let parsed = source.parse();
    let looks_templated = source.text.contains("{{");
    let raw_docs = match parsed {
        Ok(docs) => docs,
        Err(_) if looks_templated => {
            let diag = if explicit {
                Diag::new(HELM_HINT)
            } else {
                Diag::note(HELM_HINT)
            };
            let diag = diag.in_file(name);
            if explicit {
                loaded.errors.push(diag);
            } else {
                loaded.notes.push(diag);
            }
            return;
        }
        Err(e) => {
            loaded
                .errors
                .push(Diag::new(format!("invalid YAML: {}", e.message)).at(&source, e.pos));
            return;
        }
    };
    let mut skipped = Vec::new();
    for raw in raw_docs {
        let Some(root) = raw.root else { continue };
        match classify(&root) {
            Class::Resource => push_resource(loaded, &source, raw.index, root),
            Class::Kustomization => loaded.kustomizations.push(path.to_path_buf()),
            Class::Other(why) => skipped.push(why),
            Class::Invalid(msg, pos) => loaded.errors.push(Diag::new(msg).at(&source, pos)),
        }
    }
    if let Some(why) = skipped.first() {
        loaded
            .notes
            .push(Diag::note(format!("skipped: not a Kubernetes resource ({why})")).in_file(name));
    }
}

enum Class {
    Resource,
    Kustomization,
    Other(String),
    Invalid(String, Pos),
}

fn classify(root: &Node) -> Class {
    let Some(map) = root.as_map() else {
        return Class::Invalid(
            format!(
                "a document must be a mapping with apiVersion and kind, not {}",
                describe(root)
            ),
            root.pos,
        );
    };
    let api_version = map.get("apiVersion");
    let kind = map.get("kind");
    match (api_version, kind) {
        (Some(a), Some(k)) => match (a.as_str(), k.as_str()) {
            (Some(a), Some(k)) => {
                if matches!(k, "Kustomization" | "Component")
                    && a.starts_with("kustomize.config.k8s.io/")
                {
                    return Class::Kustomization;
                }
                let group = a.rsplit_once('/').map_or("", |(g, _)| g);
                if !group.is_empty() && !group.contains('.') && !DOTLESS_GROUPS.contains(&group) {
                    return Class::Other(format!("apiVersion {a}, kind {k}"));
                }
                if k.is_empty() || a.is_empty() {
                    return Class::Invalid(
                        "apiVersion and kind must not be empty".into(),
                        root.pos,
                    );
                }
                Class::Resource
            }
            (None, _) => Class::Invalid("apiVersion must be a string".into(), a.pos),
            (_, None) => Class::Invalid("kind must be a string".into(), k.pos),
        },
        (None, None) if !map.contains_key("metadata") && !map.contains_key("spec") => {
            Class::Other("no apiVersion or kind".into())
        }
        (None, _) => Class::Invalid("this resource has no apiVersion".into(), root.pos),
        (_, None) => Class::Invalid("this resource has no kind".into(), root.pos),
    }
}

fn push_resource(loaded: &mut Loaded, source: &Arc<Source>, index: usize, root: Node) {
    let is_list = root.str_at(&["kind"]).is_some_and(|k| k.ends_with("List"))
        && root.get("items").is_some_and(|i| i.as_seq().is_some());
    if !is_list {
        loaded.docs.docs.push(Document {
            origin: None,
            source: source.clone(),
            index,
            item: None,
            root,
        });
        return;
    }
    let Some(Value::Seq(items)) = root.get("items").map(|n| n.value.clone()) else {
        return;
    };
    for (i, item) in items.into_iter().enumerate() {
        match classify(&item) {
            Class::Resource => loaded.docs.docs.push(Document {
                origin: None,
                source: source.clone(),
                index,
                item: Some(i),
                root: item,
            }),
            Class::Invalid(msg, pos) => loaded
                .errors
                .push(Diag::new(format!("list item {i}: {msg}")).at(source, pos)),
            Class::Kustomization | Class::Other(_) => loaded.errors.push(
                Diag::new(format!("list item {i} is not a Kubernetes resource"))
                    .at(source, item.pos),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_order_whatever_each_item_costs() {
        for n in [0, 1, 15, 16, 17, 100, 1001] {
            let items: Vec<u64> = (0..n).collect();
            let mapped = parallel_map(items, |i| {
                // Uneven work, so threads finish their chunks out of order.
                let spin = if i % 7 == 0 { 20_000 } else { 10 };
                (0..spin).fold(i, |a, _| std::hint::black_box(a)) * 2
            });
            assert_eq!(mapped, (0..n).map(|i| i * 2).collect::<Vec<_>>(), "n = {n}");
        }
    }

    fn load_text(text: &str) -> Loaded {
        let mut loaded = Loaded::default();
        load_bytes(
            &mut loaded,
            Path::new("t.yaml"),
            text.as_bytes().to_vec(),
            true,
        );
        loaded
    }

    #[test]
    fn lists_expand_and_empty_documents_are_skipped() {
        let l = load_text(
            "# header\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n---\n",
        );
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        let kinds: Vec<_> = l.docs.iter().map(|d| (d.kind(), d.item)).collect();
        assert_eq!(kinds, [("ConfigMap", Some(0)), ("Secret", Some(1))]);
    }

    #[test]
    fn non_kubernetes_yaml_is_a_note_and_broken_resources_are_errors() {
        let l = load_text("apiVersion: skaffold/v4beta6\nkind: Config\n");
        assert!(l.docs.is_empty() && l.errors.is_empty() && l.notes.len() == 1);
        let l = load_text("_format_version: \"3.0\"\nservices: []\n");
        assert!(l.errors.is_empty() && l.notes.len() == 1);
        let l = load_text("metadata:\n  name: x\nspec: {}\n");
        assert_eq!(l.errors[0].message, "this resource has no apiVersion");
        let l = load_text("- a\n- b\n");
        assert!(l.errors[0].message.contains("not a list"));
    }

    #[test]
    fn helm_templates_are_recognised_not_reported_as_yaml_errors() {
        let l = load_text(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n  labels:\n    {{- include \"x\" . | nindent 4 }}\n",
        );
        assert_eq!(l.errors.len(), 1);
        assert!(l.errors[0].message.contains("unrendered Helm template"));
        let l = load_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alerts\ndata:\n  rule: \"{{ $labels.instance }} down\"\n",
        );
        assert!(l.errors.is_empty() && l.docs.len() == 1);
    }
}
