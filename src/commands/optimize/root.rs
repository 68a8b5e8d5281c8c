//! `kfold optimize ROOT` on a kustomize root: the passes run on what the root builds to,
//! and the changes go back into the files that make it.
//!
//! - `--into overlay` (the default) writes them into the root itself, as strategic merge
//!   patches (`kfold-optimize.yaml`, JSON 6902 operations where a strategic merge cannot say
//!   it) listed under `patches:`, and new resources (`kfold-optimize-resources.yaml`) under
//!   `resources:`; other roots sharing its bases are unaffected.
//! - `--into base` edits the files the resources come from, when every changed field was
//!   set there (not by a patch or transformer on the way) and no resource is added.
//!
//! Patches name resources as the root's kustomization sees them before its own namespace,
//! prefix and suffix: by the identity in the file they were read from. Written files are
//! proven by building the root again; when it does not build to the optimized result
//! (a `replicas:` or `images:` entry setting a field after the patches, say), every file is
//! restored and the difference reported. A second run finds nothing to change.

use super::{Args, BySource, edit_file, parse_again};
use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::consolidate::diff::{Patch, patch_between};
use crate::doc::pointer::{self, Op};
use crate::doc::{Document, Map, Node, ResId, Source, Value};
use crate::error::Diag;
use crate::kustomize::build::{BuildOptions, Builder, find_kustomization};
use crate::kustomize::smp;
use crate::passes::{self, ChangeLog, display};
use crate::policy::Policy;
use crate::render::emit::{emit, emit_object};
use crate::render::render_document;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Into {
    /// Patches and new resources in the root's own kustomization.
    #[default]
    Overlay,
    /// The files the resources are read from.
    Base,
}

/// Who a resource is across an apiVersion upgrade (autoscaling/v2beta2 → v2).
fn key(d: &Document) -> ResId {
    ResId {
        version: String::new(),
        ..d.id()
    }
}

const PATCHES: &str = "kfold-optimize.yaml";
const RESOURCES: &str = "kfold-optimize-resources.yaml";

/// A file to write: its text now (`None` when new) and after.
struct FileEdit {
    path: PathBuf,
    old: Option<String>,
    new: String,
}

pub fn run(settings: &Settings, args: &Args, policy: &Policy, root: &Path) -> i32 {
    let before = match build(root) {
        Ok(docs) => docs,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let mut docs = before.clone();
    let log = passes::run(&mut docs, policy);
    let name = root.display().to_string();
    let mut text = String::new();
    if log.changes.is_empty() {
        text.push_str(&format!(
            "No changes: the build of {name} already follows the policy {}\n",
            args.policy.display()
        ));
        notes(&log, &mut text);
        return finish(settings, &text, &[]);
    }
    let edits = match args.into.unwrap_or_default() {
        Into::Overlay => overlay_edits(root, &before, &docs),
        Into::Base => base_edits(&before, &docs, &log),
    };
    let edits = match edits {
        Ok(e) => e,
        Err(d) => {
            let _ = std::io::stdout()
                .lock()
                .write_all(changes(&log, &name, args.policy).as_bytes());
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    text.push_str(&changes(&log, &name, args.policy));
    if let Some(line) = crate::commands::cost::before_after_line(&before, &docs) {
        text.push_str(&line);
    }
    for e in &edits {
        let file = e.path.display().to_string();
        let old = e.old.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(old, e.new.as_str());
        let (a, b) = if e.path.is_relative() {
            (format!("a/{file}"), format!("b/{file}"))
        } else {
            (file.clone(), file.clone())
        };
        let a = if e.old.is_some() {
            a
        } else {
            "/dev/null".into()
        };
        text.push('\n');
        text.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
                .to_string(),
        );
    }
    notes(&log, &mut text);
    if !args.write {
        text.push_str(&format!(
            "\nDry run: nothing written. --write writes the {} file(s) above and builds {name} again to prove the result.\n",
            edits.len()
        ));
        return finish(settings, &text, &[]);
    }
    if let Err(d) = write_all(&edits) {
        return finish(settings, &text, &[d]);
    }
    let proof = build(root).map(|rebuilt| differences(&rebuilt, &docs, &before));
    match proof {
        Ok(diffs) if diffs.is_empty() => {
            text.push_str(&format!(
                "\nWrote {} file(s); {name} builds to the optimized result.\n",
                edits.len()
            ));
            finish(settings, &text, &[])
        }
        proof => {
            let restored = restore(&edits);
            let why = match proof {
                Ok(diffs) => {
                    let replicas = diffs.iter().any(|d| d.contains("/spec/replicas"));
                    format!(
                        "{name} does not build to the optimized result with these files: {}. A later step of its kustomization (replicas, images, labels) sets those fields after patches; change them there{}, or use --into base",
                        diffs.join("; "),
                        if replicas {
                            " (a `replicas:` entry puts spec.replicas back: remove it, or give the hpa rule `dropReplicas: false`)"
                        } else {
                            ""
                        }
                    )
                }
                Err(d) => format!("{name} no longer builds with these files: {d}"),
            };
            let mut diags = vec![Diag::new(why).in_file(name)];
            diags.extend(restored.err());
            finish(settings, &text, &diags)
        }
    }
}

fn finish(settings: &Settings, text: &str, diags: &[Diag]) -> i32 {
    let written = std::io::stdout().lock().write_all(text.as_bytes());
    let errors = report(settings, diags);
    if written.is_err() || errors {
        exit::ERROR
    } else {
        exit::OK
    }
}

fn build(root: &Path) -> Result<Vec<Document>, Diag> {
    Builder::new(BuildOptions::default())
        .build(root)
        .map(|o| o.documents_with_origins())
}

fn changes(log: &ChangeLog, root: &str, policy: &Path) -> String {
    let mut out = format!(
        "{} change(s) to the build of {root} by the policy {}\n",
        log.changes.len(),
        policy.display()
    );
    let mut order: Vec<&ResId> = Vec::new();
    for c in &log.changes {
        if !order.contains(&&c.resource) {
            order.push(&c.resource);
        }
    }
    for id in order {
        let mut first = true;
        for c in log.changes.iter().filter(|c| &c.resource == id) {
            if first {
                out.push_str(&format!("  {} ({})\n", display(id), c.file));
                first = false;
            }
            let old = c.old.as_deref().unwrap_or("(none)");
            let new = c.new.as_deref().unwrap_or("(removed)");
            out.push_str(&format!(
                "    {}: {old} → {new}\n      {}: {}\n",
                c.field, c.pass, c.reason
            ));
        }
    }
    out
}

fn notes(log: &ChangeLog, out: &mut String) {
    if !log.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for n in &log.notes {
            out.push_str(&format!("  - {n}\n"));
        }
    }
}

/// Resources that differ between two builds, each with the first fields that do. A new
/// resource passes through the root's transformers, so labels and annotations they add to
/// it are expected.
fn differences(rebuilt: &[Document], want: &[Document], before: &[Document]) -> Vec<String> {
    let got: HashMap<ResId, &Document> = rebuilt.iter().map(|d| (d.id(), d)).collect();
    let mut out = Vec::new();
    for d in want {
        let id = d.id();
        let Some(g) = got.get(&id) else {
            out.push(format!("{} is missing", display(&id)));
            continue;
        };
        let mut d = (*d).clone();
        if !before.iter().any(|b| key(b) == key(&d)) {
            for k in ["labels", "annotations"] {
                let theirs = g.root.path(&["metadata", k]).and_then(Node::as_map);
                let ours = d.root.path(&["metadata", k]).and_then(Node::as_map);
                let subset = ours.is_none_or(|o| {
                    o.entries
                        .iter()
                        .all(|e| theirs.is_some_and(|t| t.get(&e.key) == Some(&e.value)))
                });
                if let (Some(t), true) = (theirs, subset)
                    && let Some(meta) = d.root.get_mut("metadata").and_then(Node::as_map_mut)
                {
                    meta.insert(k, Node::new(Value::Map(t.clone())));
                }
            }
        }
        if render_document(g).ok() != render_document(&d).ok() {
            let fields = pointer::differences(&g.root, &d.root, 3);
            out.push(format!("{} at {}", display(&id), fields.join(", ")));
        }
    }
    let wanted: Vec<ResId> = want.iter().map(Document::id).collect();
    for d in rebuilt {
        if !wanted.contains(&d.id()) {
            out.push(format!("{} is still there", display(&d.id())));
        }
    }
    out
}

/// The resource as the file it was read from has it: the identity patches in a root match
/// (kustomize matches any name a resource has had), and the node `--into base` edits.
/// `None` for a generated resource, whose source is a kustomization.
fn in_source(doc: &Document, cache: &mut HashMap<u32, Vec<Option<Node>>>) -> Option<Node> {
    let raw = cache.entry(doc.source.id).or_insert_with(|| {
        let mut by_index = Vec::new();
        for r in doc.source.parse().unwrap_or_default() {
            if by_index.len() <= r.index {
                by_index.resize(r.index + 1, None);
            }
            by_index[r.index] = r.root;
        }
        by_index
    });
    let node = raw.get(doc.index)?.as_ref()?;
    let node = match doc.item {
        Some(i) => node.get("items")?.as_seq()?.get(i)?,
        None => node,
    };
    let kind = node.str_at(&["kind"])?;
    (kind == doc.kind()).then(|| node.clone())
}

/// A patch document's identity: apiVersion and kind as built, name and namespace as read.
fn identity(built: &Node, original: &Node) -> Map {
    let mut m = Map::default();
    for k in ["apiVersion", "kind"] {
        if let Some(v) = built.get(k) {
            m.insert(k, v.clone());
        }
    }
    let mut meta = Map::default();
    for k in ["name", "namespace"] {
        if let Some(v) = original.path(&["metadata", k]) {
            meta.insert(k, v.clone());
        }
    }
    m.insert("metadata", Node::new(Value::Map(meta)));
    m
}

fn with_identity(patch: &Node, id: Map) -> Node {
    let mut out = id;
    if let Some(m) = patch.as_map() {
        for e in &m.entries {
            match e.key.as_str() {
                "apiVersion" | "kind" => {}
                "metadata" => {
                    let extra = e.value.as_map().map(|em| {
                        em.entries
                            .iter()
                            .filter(|me| me.key != "name" && me.key != "namespace")
                            .cloned()
                            .collect::<Vec<_>>()
                    });
                    if let (Some(meta), Some(extra)) =
                        (out.get_mut("metadata").and_then(Node::as_map_mut), extra)
                    {
                        meta.entries.extend(extra);
                    }
                }
                _ => {
                    out.insert(e.key.clone(), e.value.clone());
                }
            }
        }
    }
    Node::new(Value::Map(out))
}

/// JSON 6902 operations turning `a` into `b`, down to the fields that differ (identity
/// excepted).
fn json_ops(a: &Node, b: &Node, at: &str, out: &mut Vec<Op>) {
    if a == b || matches!(at, "/kind" | "/metadata/name" | "/metadata/namespace") {
        return;
    }
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            for e in &y.entries {
                let path = format!("{at}/{}", pointer::escape(&e.key));
                match x.get(&e.key) {
                    Some(v) => json_ops(v, &e.value, &path, out),
                    None => out.push(Op::Add {
                        path,
                        value: e.value.clone(),
                    }),
                }
            }
            for e in &x.entries {
                if !y.contains_key(&e.key) {
                    out.push(Op::Remove {
                        path: format!("{at}/{}", pointer::escape(&e.key)),
                    });
                }
            }
        }
        (Value::Seq(x), Value::Seq(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                json_ops(v, w, &format!("{at}/{i}"), out);
            }
        }
        _ => out.push(Op::Replace {
            path: at.to_string(),
            value: b.clone(),
        }),
    }
}

fn op_node(op: &Op) -> Node {
    let s = Node::string;
    let mut m = Map::default();
    match op {
        Op::Add { path, value } | Op::Replace { path, value } => {
            let name = if matches!(op, Op::Add { .. }) {
                "add"
            } else {
                "replace"
            };
            m.insert("op", s(name));
            m.insert("path", s(path.as_str()));
            m.insert("value", value.clone());
        }
        Op::Remove { path } => {
            m.insert("op", s("remove"));
            m.insert("path", s(path.as_str()));
        }
        Op::Move { from, path } | Op::Copy { from, path } => {
            let name = if matches!(op, Op::Move { .. }) {
                "move"
            } else {
                "copy"
            };
            m.insert("op", s(name));
            m.insert("from", s(from.as_str()));
            m.insert("path", s(path.as_str()));
        }
        Op::Test { path, value } => {
            m.insert("op", s("test"));
            m.insert("path", s(path.as_str()));
            m.insert("value", value.clone());
        }
    }
    Node::new(Value::Map(m))
}

fn render(nodes: &[Node]) -> Result<String, Diag> {
    let mut out = String::new();
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out =
            emit_object(n, out).map_err(|e| Diag::new(format!("{}: {}", e.pointer, e.message)))?;
    }
    Ok(out)
}

fn read(path: &Path) -> Result<Option<String>, Diag> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Diag::new(format!("cannot read: {e}")).in_file(path.display().to_string())),
    }
}

fn overlay_edits(
    root: &Path,
    before: &[Document],
    docs: &[Document],
) -> Result<Vec<FileEdit>, Diag> {
    let kpath = find_kustomization(root)
        .ok_or_else(|| Diag::new("no kustomization.yaml").in_file(root.display().to_string()))?;
    let ktext = read(&kpath)?.unwrap_or_default();
    let ksource = Source::new(&kpath, ktext.clone());
    let k = parse_again(&ksource)?
        .into_iter()
        .find_map(|d| d.root)
        .unwrap_or_else(Node::map);
    let prefix = k.str_at(&["namePrefix"]).unwrap_or("");
    let suffix = k.str_at(&["nameSuffix"]).unwrap_or("");
    let was: HashMap<ResId, &Document> = before.iter().map(|d| (key(d), d)).collect();
    let now: HashMap<ResId, &Document> = docs.iter().map(|d| (key(d), d)).collect();
    let mut cache = HashMap::new();
    let mut strategic = Vec::new();
    let mut json: Vec<(BTreeMap<&str, String>, Node)> = Vec::new();
    let mut added = Vec::new();
    let original = |d: &Document, cache: &mut _| {
        in_source(d, cache).ok_or_else(|| {
            Diag::new(format!(
                "{} is generated by a kustomization, so no patch can name it; change its generator",
                display(&d.id())
            ))
        })
    };
    for d in docs {
        let Some(b) = was.get(&key(d)) else {
            // Added resources pass through this root's own transformers again.
            let mut root = d.root.clone();
            if let Some(name) = root.get_mut("metadata").and_then(|m| m.get_mut("name")) {
                let text = name.scalar_text().unwrap_or_default();
                let bare = text
                    .strip_prefix(prefix)
                    .and_then(|t| t.strip_suffix(suffix))
                    .unwrap_or(&text);
                *name = Node::string(bare);
            }
            added.push(root);
            continue;
        };
        if b.root == d.root {
            continue;
        }
        let orig = original(b, &mut cache)?;
        let api_changed = b.api_version() != d.api_version();
        let patch = if api_changed {
            None
        } else {
            patch_between(&b.root, &d.root)
        };
        match patch {
            None if !api_changed => {}
            Some(Patch::Strategic(p)) => {
                strategic.push(with_identity(&p, identity(&b.root, &orig)))
            }
            _ => {
                // A strategic merge patch cannot change apiVersion: operations on the
                // fields that differ, so nothing built (a prefixed name) is written back.
                let mut ops = Vec::new();
                json_ops(&b.root, &d.root, "", &mut ops);
                let (group, version) = crate::doc::split_api_version(b.api_version());
                let mut target = BTreeMap::new();
                if !group.is_empty() {
                    target.insert("group", group.to_string());
                }
                target.insert("version", version.to_string());
                target.insert("kind", b.kind().to_string());
                target.insert(
                    "name",
                    orig.str_at(&["metadata", "name"]).unwrap_or("").to_string(),
                );
                json.push((
                    target,
                    Node::new(Value::Seq(ops.iter().map(op_node).collect())),
                ));
            }
        }
    }
    for b in before {
        if !now.contains_key(&key(b)) {
            let orig = original(b, &mut cache)?;
            let mut p = identity(&b.root, &orig);
            p.insert("$patch", Node::string("delete"));
            strategic.push(Node::new(Value::Map(p)));
        }
    }
    let mut edits = Vec::new();
    let mut patch_entries = Vec::new();
    if !strategic.is_empty() {
        // Computed against a build that already has the earlier patches: they follow.
        edits.push(appended(root.join(PATCHES), &strategic)?);
        patch_entries.push(format!("- path: {PATCHES}\n"));
    }
    for (target, ops) in &json {
        let file = format!(
            "kfold-optimize-{}-{}.yaml",
            target["kind"].to_lowercase(),
            target["name"]
        );
        let path = root.join(&file);
        if path.exists() {
            return Err(Diag::new(format!(
                "{file} exists already; an earlier run's JSON patch for this resource must be merged by hand"
            ))
            .in_file(root.display().to_string()));
        }
        let new = emit(ops).map_err(|e| Diag::new(e.message))?;
        edits.push(FileEdit {
            path,
            old: None,
            new,
        });
        let mut entry = format!("- path: {file}\n  target:\n");
        for (k, v) in target {
            entry.push_str(&format!("    {k}: {v}\n"));
        }
        patch_entries.push(entry);
    }
    let mut ktext_new = ktext.clone();
    if !added.is_empty() {
        edits.push(appended(root.join(RESOURCES), &added)?);
        if !listed(&k, "resources", RESOURCES) {
            ktext_new = append_item(&ktext_new, "resources", &format!("- {RESOURCES}\n"))
                .ok_or_else(|| not_block(&kpath, "resources"))?;
        }
    }
    for entry in patch_entries {
        let file = entry
            .trim_start_matches("- path: ")
            .lines()
            .next()
            .unwrap_or("");
        if !listed(&k, "patches", file) {
            ktext_new = append_item(&ktext_new, "patches", &entry)
                .ok_or_else(|| not_block(&kpath, "patches"))?;
        }
    }
    if ktext_new != ktext {
        edits.push(FileEdit {
            path: kpath,
            old: Some(ktext),
            new: ktext_new,
        });
    }
    Ok(edits)
}

fn not_block(kpath: &Path, key: &str) -> Diag {
    Diag::new(format!(
        "`{key}:` is not a block list here, so kfold cannot add to it without rewriting the file; write it as one item per line"
    ))
    .in_file(kpath.display().to_string())
}

/// Whether the kustomization's `key` list already names `file` (as a path or `path:`).
fn listed(k: &Node, key: &str, file: &str) -> bool {
    k.get(key).and_then(Node::as_seq).is_some_and(|items| {
        items
            .iter()
            .any(|i| i.as_str() == Some(file) || i.str_at(&["path"]) == Some(file))
    })
}

/// `text` with `item` (`- ...` lines) appended to the top-level block list `key`, or the key
/// added at the end; comments and formatting elsewhere stay. `None` for a flow list.
fn append_item(text: &str, key: &str, item: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let head = format!("{key}:");
    let found = lines.iter().position(|l| l.starts_with(&head));
    if let Some(i) = found {
        let rest = lines[i][head.len()..].trim();
        if !rest.is_empty() && !rest.starts_with('#') {
            return None;
        }
    }
    let Some(start) = found else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{head}\n{item}"));
        return Some(out);
    };
    let mut end = start + 1;
    let mut last_item = start;
    let mut indent = None;
    while end < lines.len() {
        let l = lines[end];
        let t = l.trim_start();
        let top = !l.starts_with([' ', '\t']) && !t.starts_with('-');
        if top && !t.is_empty() && !t.starts_with('#') {
            break;
        }
        if !t.is_empty() && !t.starts_with('#') {
            last_item = end;
            if t.starts_with('-') && indent.is_none() {
                indent = Some(l.len() - t.len());
            }
        }
        end += 1;
    }
    let pad = " ".repeat(indent.unwrap_or(0));
    let item: String = item.lines().map(|l| format!("{pad}{l}\n")).collect();
    let mut out: String = lines[..=last_item].concat();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&item);
    out.push_str(&lines[last_item + 1..].concat());
    Some(out)
}

fn base_edits(
    before: &[Document],
    docs: &[Document],
    log: &ChangeLog,
) -> Result<Vec<FileEdit>, Diag> {
    let now: HashMap<ResId, &Document> = docs.iter().map(|d| (key(d), d)).collect();
    let was: HashMap<ResId, &Document> = before.iter().map(|d| (key(d), d)).collect();
    if let Some(d) = docs.iter().find(|d| !was.contains_key(&key(d))) {
        return Err(Diag::new(format!(
            "{} is new, and a base shared by other roots is no place for it; use --into overlay",
            display(&d.id())
        )));
    }
    // Clean: every changed field (or, for a new one, its parent) was set by the file the
    // resource is read from, not by a patch or a transformer on the way.
    for c in &log.changes {
        let id = ResId {
            version: String::new(),
            ..c.resource.clone()
        };
        let Some(b) = was.get(&id) else {
            continue;
        };
        let pos = b.pos(&c.pointer);
        if pos.is_known() && pos.file != b.source.id {
            return Err(Diag::new(format!(
                "{} {}: set at {}, not in {}; change it there, or use --into overlay",
                display(&c.resource),
                c.field,
                b.location(&c.pointer),
                b.source.name()
            )));
        }
    }
    let mut cache = HashMap::new();
    let mut changed: Vec<Document> = Vec::new();
    let mut removed = Vec::new();
    for b in before {
        let Some(orig) = in_source(b, &mut cache) else {
            if now.get(&key(b)).is_none_or(|d| d.root != b.root) {
                return Err(Diag::new(format!(
                    "{} is generated by a kustomization; change its generator",
                    display(&b.id())
                )));
            }
            continue;
        };
        let Some(d) = now.get(&key(b)) else {
            removed.push((b.source.id, b.index, b.item));
            continue;
        };
        if d.root == b.root {
            continue;
        }
        let id = identity(&b.root, &orig);
        let mut root = orig;
        let schema = smp::schema_for(b.api_version(), b.kind());
        // A strategic merge patch cannot change apiVersion: the rest goes by patch, then it.
        let mut target = d.root.clone();
        if let Some(m) = target.as_map_mut() {
            m.insert("apiVersion", Node::string(b.api_version()));
        }
        let applied = match patch_between(&b.root, &target) {
            Some(Patch::Strategic(p)) => {
                smp::strategic_merge(&mut root, &with_identity(&p, id), schema).is_ok()
            }
            None => true,
            Some(Patch::Json(_)) => false,
        };
        if !applied {
            return Err(Diag::new(format!(
                "{}: the change cannot be carried to {}; use --into overlay",
                display(&b.id()),
                b.source.name()
            )));
        }
        if b.api_version() != d.api_version()
            && let Some(m) = root.as_map_mut()
        {
            m.insert("apiVersion", Node::string(d.api_version()));
        }
        changed.push(Document {
            origin: None,
            source: b.source.clone(),
            index: b.index,
            item: b.item,
            root,
        });
    }
    // Each touched file, rebuilt from its documents as read with the edited ones in place.
    let mut files: Vec<std::sync::Arc<Source>> = Vec::new();
    for d in &changed {
        if !files.iter().any(|s| s.id == d.source.id) {
            files.push(d.source.clone());
        }
    }
    for b in before {
        if removed.iter().any(|r| r.0 == b.source.id) && !files.iter().any(|s| s.id == b.source.id)
        {
            files.push(b.source.clone());
        }
    }
    let mut edits = Vec::new();
    for source in files {
        let raw = parse_again(&source)?;
        let mut read_docs: Vec<Document> = Vec::new();
        for r in &raw {
            let Some(node) = &r.root else { continue };
            let items = node
                .get("items")
                .and_then(Node::as_seq)
                .filter(|_| node.str_at(&["kind"]).is_some_and(|k| k.ends_with("List")));
            match items {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        read_docs.push(Document {
                            origin: None,
                            source: source.clone(),
                            index: r.index,
                            item: Some(i),
                            root: item.clone(),
                        });
                    }
                }
                None => read_docs.push(Document {
                    origin: None,
                    source: source.clone(),
                    index: r.index,
                    item: None,
                    root: node.clone(),
                }),
            }
        }
        let mut after: Vec<Document> = Vec::new();
        for d in &read_docs {
            if removed.contains(&(source.id, d.index, d.item)) {
                continue;
            }
            let edited = changed
                .iter()
                .find(|c| c.source.id == source.id && c.index == d.index && c.item == d.item);
            after.push(edited.cloned().unwrap_or_else(|| d.clone()));
        }
        let (was, now) = (BySource::new(&read_docs), BySource::new(&after));
        let new = edit_file(&source, &raw, was.get(&source), now.get(&source))?;
        edits.push(FileEdit {
            path: source.path.clone(),
            old: Some(source.text.clone()),
            new,
        });
    }
    Ok(edits)
}

/// Writes every file atomically (a temporary file renamed over it); on a failure the ones
/// already written are put back.
fn write_all(edits: &[FileEdit]) -> Result<(), Diag> {
    for (i, e) in edits.iter().enumerate() {
        if let Err(err) = crate::commands::staged::write_file(&e.path, &e.new) {
            let _ = restore(&edits[..i]);
            return Err(
                Diag::new(format!("cannot write: {err}")).in_file(e.path.display().to_string())
            );
        }
    }
    Ok(())
}

/// `docs` written after what `path` already holds (a new file if there is none).
fn appended(path: PathBuf, docs: &[Node]) -> Result<FileEdit, Diag> {
    let old = read(&path)?;
    let mut new = render(docs)?;
    if let Some(old) = &old {
        new = format!("{}\n---\n{new}", old.trim_end_matches('\n'));
    }
    Ok(FileEdit { path, old, new })
}

/// Puts the files back as they were (removing the new ones).
fn restore(edits: &[FileEdit]) -> Result<(), Diag> {
    for e in edits {
        let done = match &e.old {
            Some(old) => crate::commands::staged::write_file(&e.path, old),
            None => std::fs::remove_file(&e.path),
        };
        if let Err(err) = done {
            return Err(Diag::new(format!("could not restore: {err}"))
                .in_file(e.path.display().to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_join_block_lists_and_keep_everything_else() {
        let text = "resources:\n  - ../base # the base\n\n# patches last\npatches:\n- path: a.yaml\n  target:\n    kind: X\n# trailing\nimages: []\n";
        let out = append_item(text, "patches", "- path: b.yaml\n").unwrap();
        assert_eq!(
            out,
            "resources:\n  - ../base # the base\n\n# patches last\npatches:\n- path: a.yaml\n  target:\n    kind: X\n- path: b.yaml\n# trailing\nimages: []\n"
        );
        let out = append_item(text, "resources", "- r.yaml\n").unwrap();
        assert!(
            out.starts_with("resources:\n  - ../base # the base\n  - r.yaml\n\n"),
            "{out}"
        );
        let out = append_item("namePrefix: x-", "patches", "- path: p.yaml\n").unwrap();
        assert_eq!(out, "namePrefix: x-\npatches:\n- path: p.yaml\n");
        assert_eq!(append_item(text, "images", "- name: x\n"), None);
    }
}
