//! Optimization passes: one file per transformation, one trait, no I/O. A pass reads the
//! policy, edits documents only through `Document::patch` (via [`PassLog`]), and records
//! every edit with its reason in the [`ChangeLog`]; anything a person must do by hand
//! (migrating a volume, a `kubectl apply` caveat) is a note.
//!
//! Every pass is idempotent, touches only the fields it owns, and leaves unknown fields
//! alone.

mod harden_security_context;
mod pin_images;
mod probes_over_init_waits;
mod resize_storage;
mod right_size_resources;
mod tune_hpa;
mod zero_downtime_rollout;

use crate::doc::pointer::{self, Op};
use crate::doc::views::{Container, Workload};
use crate::doc::{Document, Map, Node, ResId, Value};
use crate::policy::{Policy, Subject};
use std::collections::HashMap;
use std::fmt::Write;

pub trait Pass: Sync {
    /// Kebab-case, named for the transformation.
    fn name(&self) -> &'static str;
    /// Documents may be edited, added (a PodDisruptionBudget) or removed (an orphaned
    /// PersistentVolumeClaim), hence a `Vec`.
    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog);
}

/// In this order: init waits go before resources are sized (no sizing of containers about
/// to disappear), the HPA is tuned before rollout settings read its replica floor.
pub static PASSES: &[&dyn Pass] = &[
    &pin_images::PinImages,
    &probes_over_init_waits::ProbesOverInitWaits,
    &right_size_resources::RightSizeResources,
    &tune_hpa::TuneHpa,
    &resize_storage::ResizeStorage,
    &zero_downtime_rollout::ZeroDowntimeRollout,
    &harden_security_context::HardenSecurityContext,
];

pub fn find(name: &str) -> Option<&'static dyn Pass> {
    PASSES.iter().copied().find(|p| p.name() == name)
}

/// Runs every pass in order.
pub fn run(docs: &mut Vec<Document>, policy: &Policy) -> ChangeLog {
    let mut log = ChangeLog::default();
    for pass in PASSES {
        pass.apply(docs, policy, &mut log);
    }
    log
}

#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub pass: &'static str,
    pub resource: ResId,
    /// The file the resource came from (or will be written to, for a new one).
    pub file: String,
    /// JSON pointer of the field; empty for a whole document added or removed.
    pub pointer: String,
    /// The pointer for people: `spec.template.spec.containers[api].resources.requests.cpu`.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct ChangeLog {
    pub changes: Vec<Change>,
    /// What a person must do or know: migrations, skipped edits, caveats.
    pub notes: Vec<String>,
}

impl ChangeLog {
    pub fn pass(&mut self, pass: &'static str) -> PassLog<'_> {
        PassLog { pass, log: self }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.notes.is_empty()
    }
}

/// A pass's handle on the log: every edit it makes goes through here.
pub struct PassLog<'l> {
    pass: &'static str,
    log: &'l mut ChangeLog,
}

impl PassLog<'_> {
    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.log.notes.contains(&text) {
            self.log.notes.push(text);
        }
    }

    fn record(
        &mut self,
        doc: &Document,
        pointer: String,
        field: String,
        old: Option<String>,
        new: Option<String>,
        reason: &str,
    ) {
        // No pass edits Secrets today; this keeps their values out of every report anyway.
        let secret = doc.kind() == "Secret"
            && (pointer.starts_with("/data") || pointer.starts_with("/stringData"));
        let hide = |v: Option<String>| {
            if secret {
                v.map(|_| "<redacted>".into())
            } else {
                v
            }
        };
        let (old, new) = (hide(old), hide(new));
        self.log.changes.push(Change {
            pass: self.pass,
            resource: doc.id(),
            file: doc.source.name().to_string(),
            pointer,
            field,
            old,
            new,
            reason: reason.to_string(),
        });
    }

    /// Applies operations all or nothing, recording each. An edit that cannot apply is a
    /// bug in the pass, reported as a note rather than a half-edited document.
    pub fn patch(&mut self, doc: &mut Document, ops: Vec<Op>, reason: &str) -> bool {
        self.apply(doc, ops.into_iter().map(|op| (op, true)).collect(), reason)
    }

    /// `ops` paired with whether to record them: parents created on the way to a field are
    /// part of that one edit, not edits of their own.
    fn apply(&mut self, doc: &mut Document, ops: Vec<(Op, bool)>, reason: &str) -> bool {
        let mut scratch = doc.root.clone();
        let mut records = Vec::new();
        for (op, record) in &ops {
            let tokens = pointer::parse(op.path()).unwrap_or_default();
            let (parent, last) = tokens.split_at(tokens.len().saturating_sub(1));
            let into_seq = pointer::get(&scratch, parent).is_some_and(|p| p.as_seq().is_some());
            let old = match op {
                Op::Add { .. } if into_seq => None,
                _ => pointer::get(&scratch, &tokens).map(brief),
            };
            let field_before = field_name(&scratch, &tokens);
            if let Err(e) = pointer::apply_op(&mut scratch, op) {
                self.note(format!(
                    "{}: {} could not edit {}: {e}",
                    display(&doc.id()),
                    self.pass,
                    op.path()
                ));
                return false;
            }
            if !record {
                continue;
            }
            match op {
                Op::Add { value, .. } | Op::Replace { value, .. } => {
                    // `/-` appends: name the item by the index it landed at.
                    let mut tokens = tokens.clone();
                    if last.first().is_some_and(|t| t == "-") {
                        let len = pointer::get(&scratch, parent)
                            .and_then(Node::as_seq)
                            .map_or(1, <[Node]>::len);
                        if let Some(t) = tokens.last_mut() {
                            *t = (len - 1).to_string();
                        }
                    }
                    let field = field_name(&scratch, &tokens);
                    records.push((pointer::join(&tokens), field, old, Some(brief(value))));
                }
                Op::Remove { path } => records.push((path.clone(), field_before, old, None)),
                Op::Move { path, .. } | Op::Copy { path, .. } => {
                    let new = pointer::get(&scratch, &pointer::parse(path).unwrap_or_default())
                        .map(brief);
                    records.push((path.clone(), field_before, old, new));
                }
                Op::Test { .. } => {}
            }
        }
        let plain: Vec<Op> = ops.into_iter().map(|(op, _)| op).collect();
        if let Err(e) = doc.patch(&plain) {
            self.note(format!(
                "{}: {} could not edit: {e}",
                display(&doc.id()),
                self.pass
            ));
            return false;
        }
        for (pointer, field, old, new) in records {
            self.record(doc, pointer, field, old, new, reason);
        }
        true
    }

    /// Sets the value at `pointer`, creating missing parent mappings; nothing when the
    /// value is already there.
    pub fn set(&mut self, doc: &mut Document, pointer: &str, value: Node, reason: &str) -> bool {
        let Ok(tokens) = pointer::parse(pointer) else {
            return false;
        };
        if let Some(cur) = pointer::get(&doc.root, &tokens) {
            if *cur == value {
                return false;
            }
            let op = Op::Replace {
                path: pointer.to_string(),
                value,
            };
            return self.apply(doc, vec![(op, true)], reason);
        }
        let exists = (0..tokens.len())
            .rev()
            .find(|&n| pointer::get(&doc.root, &tokens[..n]).is_some())
            .unwrap_or(0);
        let mut ops = Vec::new();
        if pointer::get(&doc.root, &tokens[..exists]).is_some_and(Node::is_null) {
            // `resources:` written with no value.
            ops.push((
                Op::Replace {
                    path: pointer::join(&tokens[..exists]),
                    value: Node::map(),
                },
                false,
            ));
        }
        for n in exists + 1..tokens.len() {
            ops.push((
                Op::Add {
                    path: pointer::join(&tokens[..n]),
                    value: Node::map(),
                },
                false,
            ));
        }
        ops.push((
            Op::Add {
                path: pointer.to_string(),
                value,
            },
            true,
        ));
        self.apply(doc, ops, reason)
    }

    pub fn remove(&mut self, doc: &mut Document, pointer: &str, reason: &str) -> bool {
        doc.at(pointer).is_some()
            && self.patch(
                doc,
                vec![Op::Remove {
                    path: pointer.to_string(),
                }],
                reason,
            )
    }

    /// Records a document a pass created.
    pub fn added(&mut self, doc: &Document, reason: &str) {
        let what = display(&doc.id());
        self.record(
            doc,
            String::new(),
            "(new document)".into(),
            None,
            Some(what),
            reason,
        );
    }

    /// Records a document a pass removed.
    pub fn removed(&mut self, doc: &Document, reason: &str) {
        let what = display(&doc.id());
        self.record(
            doc,
            String::new(),
            "(document)".into(),
            Some(what),
            None,
            reason,
        );
    }
}

/// `Deployment acme/api`: kind, then namespace/name.
pub fn display(id: &ResId) -> String {
    if id.namespace.is_empty() {
        format!("{} {}", id.kind, id.name)
    } else {
        format!("{} {}/{}", id.kind, id.namespace, id.name)
    }
}

/// A pointer for people: list items by their `name` where they have one.
fn field_name(root: &Node, tokens: &[String]) -> String {
    let mut out = String::new();
    let mut node = Some(root);
    for t in tokens {
        match node.map(|n| &n.value) {
            Some(Value::Seq(items)) => {
                let item = t.parse::<usize>().ok().and_then(|i| items.get(i));
                match item.and_then(|n| n.str_at(&["name"])) {
                    Some(name) => {
                        let _ = write!(out, "[{name}]");
                    }
                    None => {
                        let _ = write!(out, "[{t}]");
                    }
                }
                node = item;
            }
            _ => {
                if t.contains(['.', '/']) {
                    let _ = write!(out, "[\"{t}\"]");
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(t);
                }
                node = node.and_then(|n| n.get(t));
            }
        }
    }
    out
}

/// A value on one line, shortened: scalars as written, collections in flow style, cut
/// after the entry that passes 90 characters.
pub fn brief(node: &Node) -> String {
    const MAX: usize = 90;
    fn go(node: &Node, out: &mut String) {
        let (open, close, items): (char, char, Vec<(Option<&str>, &Node)>) = match &node.value {
            Value::Map(m) => (
                '{',
                '}',
                m.entries
                    .iter()
                    .map(|e| (Some(e.key.as_str()), &e.value))
                    .collect(),
            ),
            Value::Seq(items) => ('[', ']', items.iter().map(|n| (None, n)).collect()),
            _ => {
                out.push_str(&node.scalar_text().unwrap_or_default());
                return;
            }
        };
        out.push(open);
        for (i, (key, value)) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if out.chars().count() > MAX {
                out.push('…');
                break;
            }
            if let Some(k) = key {
                out.push_str(k);
                out.push_str(": ");
            }
            go(value, out);
        }
        out.push(close);
    }
    let mut out = String::new();
    go(node, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// Helpers shared by passes

pub(crate) fn map(pairs: Vec<(&str, Node)>) -> Node {
    let mut m = Map::default();
    for (k, v) in pairs {
        m.insert(k, v);
    }
    Node::new(Value::Map(m))
}

pub(crate) fn int(i: i64) -> Node {
    Node::new(Value::Int(i))
}

pub(crate) fn seq(items: Vec<Node>) -> Node {
    Node::new(Value::Seq(items))
}

pub(crate) fn boolean(b: bool) -> Node {
    Node::new(Value::Bool(b))
}

/// Workloads, autoscalers and budgets by namespace and name, built once per pass: looking
/// them up by scanning every document per workload is quadratic, seconds on 10,000
/// resources. Positions hold while the pass neither adds nor removes documents.
pub(crate) struct Index {
    /// `(namespace, kind, name)` → the first workload of that identity.
    workloads: HashMap<(String, String, String), usize>,
    /// `(namespace, kind, name)` of the scaled workload → the first HPA scaling it.
    hpas: HashMap<(String, String, String), usize>,
    /// Namespace → its PodDisruptionBudgets, in document order.
    budgets: HashMap<String, Vec<usize>>,
}

fn key(ns: &str, kind: &str, name: &str) -> (String, String, String) {
    (ns.to_string(), kind.to_string(), name.to_string())
}

impl Index {
    pub(crate) fn new(docs: &[Document]) -> Index {
        let mut index = Index {
            workloads: HashMap::new(),
            hpas: HashMap::new(),
            budgets: HashMap::new(),
        };
        for (i, d) in docs.iter().enumerate() {
            match d.kind() {
                "HorizontalPodAutoscaler" => {
                    let target = |k| d.root.str_at(&["spec", "scaleTargetRef", k]);
                    if let (Some(kind), Some(name)) = (target("kind"), target("name")) {
                        let k = key(d.namespace(), kind, name);
                        index.hpas.entry(k).or_insert(i);
                    }
                }
                "PodDisruptionBudget" => index
                    .budgets
                    .entry(d.namespace().to_string())
                    .or_default()
                    .push(i),
                _ if Workload::of(d).is_some() => {
                    let k = key(d.namespace(), d.kind(), d.name());
                    index.workloads.entry(k).or_insert(i);
                }
                _ => {}
            }
        }
        index
    }

    /// The workload an HPA scales, when it is among the documents.
    pub(crate) fn hpa_target(&self, hpa: &Document) -> Option<usize> {
        let kind = hpa.root.str_at(&["spec", "scaleTargetRef", "kind"])?;
        let name = hpa.root.str_at(&["spec", "scaleTargetRef", "name"])?;
        self.workloads
            .get(&key(hpa.namespace(), kind, name))
            .copied()
    }

    /// The HPA scaling a workload.
    pub(crate) fn hpa_of<'a>(
        &self,
        docs: &'a [Document],
        workload: &Document,
    ) -> Option<&'a Document> {
        let k = key(workload.namespace(), workload.kind(), workload.name());
        self.hpas.get(&k).map(|&i| &docs[i])
    }

    /// The least number of pods a workload runs: its HPA's floor, else `spec.replicas`.
    pub(crate) fn replica_floor(&self, docs: &[Document], workload: &Document) -> i64 {
        match self.hpa_of(docs, workload) {
            Some(hpa) => hpa
                .root
                .path(&["spec", "minReplicas"])
                .and_then(Node::as_i64)
                .unwrap_or(1),
            None => workload
                .root
                .path(&["spec", "replicas"])
                .and_then(Node::as_i64)
                .unwrap_or(1),
        }
    }

    /// The PodDisruptionBudgets in a namespace.
    pub(crate) fn budgets<'a>(
        &'a self,
        docs: &'a [Document],
        namespace: &str,
    ) -> impl Iterator<Item = &'a Document> {
        self.budgets
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &docs[i])
    }

    /// The PodDisruptionBudget covering a workload's pods.
    pub(crate) fn budget_of<'a>(
        &'a self,
        docs: &'a [Document],
        workload: &Document,
    ) -> Option<&'a Document> {
        let labels = Workload::of(workload)?.template_labels();
        self.budgets(docs, workload.namespace()).find(|d| {
            crate::doc::views::Pdb::of(d)
                .and_then(|b| b.selector())
                .is_some_and(|s| s.matches(&labels))
        })
    }
}

/// A note when a PodDisruptionBudget lets none of `replicas` pods be evicted (percentages
/// round up, as the disruption controller rounds them).
pub(crate) fn blocking_note(pdb: &Document, workload: &Document, replicas: i64) -> Option<String> {
    let b = crate::doc::views::Pdb::of(pdb)?;
    let allowed = match (b.min_available(), b.max_unavailable()) {
        (Some(v), _) => replicas - v.resolve(replicas, true),
        (None, Some(v)) => v.resolve(replicas, true),
        _ => return None,
    };
    (allowed < 1).then(|| {
        format!(
            "{}: with {replicas} pods of {} running, it lets none be evicted, so node drains wait forever; lower minAvailable or raise the replica floor",
            display(&pdb.id()),
            display(&workload.id())
        )
    })
}

pub(crate) fn base_subject(doc: &Document) -> Subject<'_> {
    let mut labels = doc
        .root
        .path(&["metadata"])
        .map(|m| crate::doc::views::Field::root(m).labels(&["labels"]))
        .unwrap_or_default();
    if let Some(w) = Workload::of(doc) {
        for (k, v) in w.template_labels() {
            labels.entry(k).or_insert(v);
        }
    }
    Subject {
        kind: doc.kind(),
        name: doc.name(),
        original: doc.origin.as_deref(),
        namespace: doc.namespace(),
        labels,
        ..Subject::default()
    }
}

/// A workload with its long-running containers, for workload-level rules.
pub(crate) fn workload_subject(doc: &Document) -> Subject<'_> {
    let mut s = base_subject(doc);
    let spec = Workload::of(doc).and_then(|w| w.pod_spec());
    s.containers = spec
        .map(|p| p.containers())
        .unwrap_or_default()
        .iter()
        .map(|c| (c.name().unwrap_or(""), c.image().unwrap_or("")))
        .collect();
    s
}

/// A resource with one of its containers, for per-container rules.
pub(crate) fn container_subject<'a>(doc: &'a Document, c: &Container<'a>) -> Subject<'a> {
    let mut s = base_subject(doc);
    s.containers = vec![(c.name().unwrap_or(""), c.image().unwrap_or(""))];
    s
}

/// Init and regular containers (not ephemeral ones, which nobody sizes or pins).
pub(crate) fn pod_containers(doc: &Document) -> Vec<Container<'_>> {
    let spec = Workload::of(doc).and_then(|w| w.pod_spec());
    spec.map(|p| {
        let mut all = p.init_containers();
        all.extend(p.containers());
        all
    })
    .unwrap_or_default()
}

/// The pointer of a workload's pod spec.
pub(crate) fn pod_spec_pointer(doc: &Document) -> Option<String> {
    Some(Workload::of(doc)?.pod_spec()?.pointer().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Source;

    fn doc(text: &str) -> Document {
        let source = Source::new("t.yaml", text.to_string());
        let root = source.parse().unwrap().remove(0).root.unwrap();
        Document {
            origin: None,
            source,
            index: 0,
            item: None,
            root,
        }
    }

    #[test]
    fn set_creates_parents_and_records_only_the_field() {
        let mut d = doc(
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    resources:\n",
        );
        let mut log = ChangeLog::default();
        let mut p = log.pass("test");
        assert!(p.set(
            &mut d,
            "/spec/containers/0/resources/requests/cpu",
            Node::string("100m"),
            "why"
        ));
        assert!(!p.set(
            &mut d,
            "/spec/containers/0/resources/requests/cpu",
            Node::string("100m"),
            "why"
        ));
        assert_eq!(log.changes.len(), 1);
        let c = &log.changes[0];
        assert_eq!(c.field, "spec.containers[app].resources.requests.cpu");
        assert_eq!((c.old.as_deref(), c.new.as_deref()), (None, Some("100m")));
        assert_eq!(
            d.root
                .path(&["spec", "containers"])
                .unwrap()
                .as_seq()
                .unwrap()[0]
                .str_at(&["resources", "requests", "cpu"]),
            Some("100m")
        );
    }

    #[test]
    fn passes_have_unique_names() {
        let mut names: Vec<_> = PASSES.iter().map(|p| p.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PASSES.len());
    }
}
