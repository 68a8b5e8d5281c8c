//! `kfold optimize`: a policy's passes over plain manifests, or over what a kustomize root
//! builds to (see `root`). Prints every change with its reason, grouped by file, and the
//! migration notes; `--dry-run` (the default) adds a diff per file, `--write` edits each
//! changed file in place atomically, keeping comments and formatting outside the changed
//! fields (see `doc::edit`).
//! `kfold policy init` prints a policy that is safe on any tree.

use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::doc::{Document, Node, Source, Value};
use crate::error::Diag;
use crate::load::load_paths;
use crate::load::parse::RawDoc;
use crate::passes::{self, ChangeLog, display};
use crate::policy::Policy;
use crate::render::emit::emit_object;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod root;

pub use root::Into;

pub struct Args<'a> {
    pub paths: &'a [PathBuf],
    pub policy: &'a Path,
    pub write: bool,
    /// Where the changes to a kustomize root go; `None` when not given.
    pub into: Option<Into>,
}

const POLICY_INIT: &str = include_str!("../../templates/policy-init.yaml");

pub fn run_policy_init() -> i32 {
    let mut out = std::io::stdout().lock();
    match out.write_all(POLICY_INIT.as_bytes()) {
        Ok(()) => exit::OK,
        Err(_) => exit::ERROR,
    }
}

/// One file the passes changed: its text before and after, both canonical.
pub(crate) struct Rewrite {
    pub source: Arc<Source>,
    pub before: String,
    pub after: String,
}

pub fn run(settings: &Settings, args: Args) -> i32 {
    let policy = match Policy::from_file(args.policy) {
        Ok(p) => p,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    if let [path] = args.paths
        && path.is_dir()
        && crate::kustomize::build::is_root(path)
    {
        return root::run(settings, &args, &policy, path);
    }
    if args.into.is_some() {
        report(
            settings,
            &[Diag::new(
                "--into is for a kustomize root: give one folder holding a kustomization.yaml",
            )],
        );
        return exit::ERROR;
    }
    let mut loaded = load_paths(args.paths, &mut std::io::stdin().lock());
    let mut diags = std::mem::take(&mut loaded.errors);
    if !loaded.kustomizations.is_empty() {
        for k in &loaded.kustomizations {
            let root = k
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            diags.push(
                Diag::new(format!(
                    "a kustomize root among other files: optimize it on its own, `kfold optimize {} --policy {}`",
                    root.display(),
                    args.policy.display()
                ))
                .in_file(k.display().to_string()),
            );
        }
        report(settings, &diags);
        return exit::ERROR;
    }
    let before = loaded.docs.docs.clone();
    let mut docs = std::mem::take(&mut loaded.docs.docs);
    let log = passes::run(&mut docs, &policy);
    let mut rewrites = Vec::new();
    let (by_before, by_now) = (BySource::new(&before), BySource::new(&docs));
    let texts = crate::load::parallel_map(changed_sources(&before, &docs, &log), |source| {
        let (was, now) = (by_before.get(&source), by_now.get(&source));
        let raw = parse_again(&source)?;
        // Secret values never reach a diff: such files are shown canonically, redacted.
        let (before, after) = if was.iter().chain(now).any(|d| d.kind() == "Secret") {
            (
                render_file(&source, &raw, was, was, true)?,
                render_file(&source, &raw, was, now, true)?,
            )
        } else {
            (source.text.clone(), edit_file(&source, &raw, was, now)?)
        };
        Ok(Rewrite {
            before,
            after,
            source,
        })
    });
    for text in texts {
        match text {
            Ok(rw) => rewrites.push(rw),
            Err(d) => diags.push(d),
        }
    }
    let failed = diags.iter().any(|d| d.level == crate::error::Level::Error);
    let piping = args.write && args.paths.iter().any(|p| p.as_os_str() == "-");
    let mut text = summary(&log, &rewrites, args.policy, !args.write);
    if !log.changes.is_empty()
        && let Some(line) = crate::commands::cost::before_after_line(&before, &docs)
    {
        text.push_str(&line);
    }
    if args.write && !failed {
        let written = write_files(&rewrites, &before, &docs, &mut diags);
        text.push_str(&format!(
            "Wrote {written} file(s); comments and formatting outside the changed fields are kept.\n"
        ));
    } else if args.write {
        text.push_str("Nothing written: fix the errors below first.\n");
    } else if !rewrites.is_empty() {
        text.push_str(&format!(
            "Dry run: nothing written. --write edits the {} file(s) above in place.\n",
            rewrites.len()
        ));
    }
    if piping && !failed {
        let stdin_docs: Vec<Document> = docs
            .iter()
            .filter(|d| d.source.path.as_os_str() == "-")
            .cloned()
            .collect();
        match stdin_docs.first().map(|d| {
            let (was, now) = (BySource::new(&before), BySource::new(&docs));
            parse_again(&d.source)
                .and_then(|raw| edit_file(&d.source, &raw, was.get(&d.source), now.get(&d.source)))
        }) {
            Some(Ok(out)) => {
                let _ = std::io::stdout().lock().write_all(out.as_bytes());
            }
            Some(Err(d)) => diags.push(d),
            None => {}
        }
    }
    // When the optimized stream goes to stdout, the report must not mix into it.
    let written = if piping {
        std::io::stderr().lock().write_all(text.as_bytes())
    } else {
        std::io::stdout().lock().write_all(text.as_bytes())
    };
    diags.append(&mut loaded.notes);
    let errors = report(settings, &diags);
    if written.is_err() || errors {
        exit::ERROR
    } else {
        exit::OK
    }
}

/// Files with a change, in the order their documents were read.
fn changed_sources(before: &[Document], after: &[Document], log: &ChangeLog) -> Vec<Arc<Source>> {
    let names: BTreeSet<&str> = log.changes.iter().map(|c| c.file.as_str()).collect();
    let mut seen = BTreeSet::new();
    before
        .iter()
        .chain(after)
        .filter(|d| names.contains(d.source.name()) && seen.insert(d.source.id))
        .map(|d| d.source.clone())
        .collect()
}

/// Secret values never reach a diff.
fn redacted(doc: &Document) -> Node {
    let mut root = doc.root.clone();
    if doc.kind() == "Secret"
        && let Some(m) = root.as_map_mut()
    {
        for key in ["data", "stringData"] {
            if let Some(data) = m.get_mut(key).and_then(Node::as_map_mut) {
                for e in &mut data.entries {
                    e.value = Node::string("<redacted>");
                }
            }
        }
    }
    root
}

/// Documents grouped by the file they came from, so that building one file's text does
/// not scan the whole tree (quadratic over thousands of files).
pub(crate) struct BySource<'a>(HashMap<u32, Vec<&'a Document>>);

impl<'a> BySource<'a> {
    pub(crate) fn new(docs: &'a [Document]) -> BySource<'a> {
        let mut map: HashMap<u32, Vec<&Document>> = HashMap::new();
        for d in docs {
            map.entry(d.source.id).or_default().push(d);
        }
        BySource(map)
    }

    pub(crate) fn get(&self, source: &Source) -> &[&'a Document] {
        self.0.get(&source.id).map_or(&[], Vec::as_slice)
    }
}

/// A file's documents in canonical YAML: its resources as `docs` has them now (a `kind:
/// List` rebuilt around its items, new documents after the one they were made for), and
/// any other YAML document in it as it was.
#[cfg(test)]
pub(crate) fn file_text(
    source: &Source,
    before: &[Document],
    docs: &[Document],
    redact: bool,
) -> Result<String, Diag> {
    let raw = parse_again(source)?;
    let (before, docs) = (BySource::new(before), BySource::new(docs));
    render_file(source, &raw, before.get(source), docs.get(source), redact)
}

pub(crate) fn parse_again(source: &Source) -> Result<Vec<RawDoc>, Diag> {
    source
        .parse()
        .map_err(|e| Diag::new(e.message).in_file(source.name()))
}

/// What each YAML document of a file becomes, by its index in the file (a `kind: List`
/// rebuilt around its items, new documents after the one they were made for, documents
/// that are not resources as they were), and new documents for the end of the file.
fn plan_file(
    raw: &[RawDoc],
    before: &[&Document],
    here: &[&Document],
    redact: bool,
) -> (Vec<Vec<Node>>, Vec<Node>) {
    let loaded: BTreeMap<usize, bool> =
        before.iter().map(|d| (d.index, d.item.is_some())).collect();
    let root = |d: &Document| if redact { redacted(d) } else { d.root.clone() };
    let mut wanted = vec![Vec::new(); raw.iter().map(|r| r.index + 1).max().unwrap_or(0)];
    let mut done = BTreeSet::new();
    for r in raw {
        let Some(original) = &r.root else { continue };
        let parts = &mut wanted[r.index];
        let Some(&list) = loaded.get(&r.index) else {
            parts.push(original.clone());
            continue;
        };
        done.insert(r.index);
        let at_index = || here.iter().filter(|d| d.index == r.index);
        if list {
            let mut list = original.clone();
            let items = at_index()
                .filter(|d| d.item.is_some())
                .map(|d| root(d))
                .collect();
            if let Some(m) = list.as_map_mut() {
                m.insert("items", Node::new(Value::Seq(items)));
            }
            parts.push(list);
        }
        parts.extend(at_index().filter(|d| d.item.is_none()).map(|d| root(d)));
    }
    let tail = here
        .iter()
        .filter(|d| !done.contains(&d.index))
        .map(|d| root(d))
        .collect();
    (wanted, tail)
}

/// [`file_text`] from the file's raw documents and its documents before and now, in
/// canonical YAML.
pub(crate) fn render_file(
    source: &Source,
    raw: &[RawDoc],
    before: &[&Document],
    here: &[&Document],
    redact: bool,
) -> Result<String, Diag> {
    let (wanted, tail) = plan_file(raw, before, here, redact);
    let mut out = String::new();
    for (i, part) in wanted.iter().flatten().chain(&tail).enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out = emit_object(part, out).map_err(|e| {
            Diag::new(format!("{}: {}", e.pointer, e.message)).in_file(source.name())
        })?;
    }
    Ok(out)
}

/// The file's text with only what changed edited (see `doc::edit`), comments and formatting
/// elsewhere kept; canonical YAML when that cannot be done and proven.
pub(crate) fn edit_file(
    source: &Source,
    raw: &[RawDoc],
    before: &[&Document],
    here: &[&Document],
) -> Result<String, Diag> {
    let (wanted, tail) = plan_file(raw, before, here, false);
    match crate::doc::edit::rewrite(&source.text, raw, &wanted, &tail) {
        Some(text) => Ok(text),
        None => render_file(source, raw, before, here, false),
    }
}

fn summary(log: &ChangeLog, rewrites: &[Rewrite], policy: &Path, diffs: bool) -> String {
    let mut out = String::new();
    if log.changes.is_empty() {
        out.push_str(&format!(
            "No changes: the files already follow the policy {}\n",
            policy.display()
        ));
    } else {
        let (changes, files) = (log.changes.len(), rewrites.len());
        out.push_str(&format!(
            "{changes} change(s) in {files} file(s) by the policy {}\n",
            policy.display()
        ));
    }
    for rw in rewrites {
        let name = rw.source.name();
        out.push_str(&format!("\n{name}\n"));
        let mut resource = String::new();
        for c in log.changes.iter().filter(|c| c.file == name) {
            let who = display(&c.resource);
            if who != resource {
                out.push_str(&format!("  {who}\n"));
                resource = who;
            }
            let old = c.old.as_deref().unwrap_or("(none)");
            let new = c.new.as_deref().unwrap_or("(removed)");
            out.push_str(&format!(
                "    {}: {old} → {new}\n      {}: {}\n",
                c.field, c.pass, c.reason
            ));
        }
        if diffs {
            let diff = similar::TextDiff::from_lines(rw.before.as_str(), rw.after.as_str());
            out.push('\n');
            let (a, b) = if rw.source.path.is_relative() {
                (format!("a/{name}"), format!("b/{name}"))
            } else {
                (name.to_string(), name.to_string())
            };
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(&a, &b)
                    .to_string(),
            );
        }
    }
    if !log.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for n in &log.notes {
            out.push_str(&format!("  - {n}\n"));
        }
    }
    out.push('\n');
    out
}

/// Each file goes to a temporary file beside it, then is renamed over the original, so a
/// failure leaves every file whole. Returns how many were written.
pub(crate) fn write_files(
    rewrites: &[Rewrite],
    before: &[Document],
    docs: &[Document],
    diags: &mut Vec<Diag>,
) -> usize {
    let mut written = 0;
    let (by_before, by_now) = (BySource::new(before), BySource::new(docs));
    for rw in rewrites {
        let path = &rw.source.path;
        if path.as_os_str() == "-" {
            continue;
        }
        let (was, now) = (by_before.get(&rw.source), by_now.get(&rw.source));
        let text = parse_again(&rw.source).and_then(|raw| edit_file(&rw.source, &raw, was, now));
        let result = text.and_then(|text| {
            let fail = |e: std::io::Error| {
                Diag::new(format!("cannot write: {e}")).in_file(path.display().to_string())
            };
            crate::commands::staged::write_file(path, &text).map_err(fail)
        });
        match result {
            Ok(()) => written += 1,
            Err(d) => diags.push(d),
        }
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_rebuilt_around_lists_and_other_documents_with_secrets_redacted() {
        let text = "kind: Config\napiVersion: skaffold/v4beta6\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s}\n  stringData: {password: hunter2}\n";
        let docs =
            crate::load::load_resources(Path::new("f.yaml"), text.as_bytes().to_vec()).unwrap();
        let source = docs[0].source.clone();
        let out = file_text(&source, &docs, &docs, true).unwrap();
        assert!(
            out.contains("kind: Config")
                && out.contains("kind: List")
                && out.contains("password: <redacted>"),
            "{out}"
        );
        assert!(!out.contains("hunter2"));
        assert!(
            file_text(&source, &docs, &docs, false)
                .unwrap()
                .contains("hunter2")
        );
    }
}
