//! The lint engine: rules detect, the runner matches kinds, applies suppressions and
//! severity overrides, and findings carry everything a reporter or a fixer needs.

pub mod config;
pub mod report;

use crate::doc::pointer::Op;
use crate::doc::{Document, Pos, Source, source_at};
use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Resources,
    Probes,
    Images,
    Security,
    Scaling,
    Availability,
    Networking,
    Rbac,
    References,
    Deprecation,
    Hygiene,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::Resources,
        Category::Probes,
        Category::Images,
        Category::Security,
        Category::Scaling,
        Category::Availability,
        Category::Networking,
        Category::Rbac,
        Category::References,
        Category::Deprecation,
        Category::Hygiene,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Resources => "resources",
            Category::Probes => "probes",
            Category::Images => "images",
            Category::Security => "security",
            Category::Scaling => "scaling",
            Category::Availability => "availability",
            Category::Networking => "networking",
            Category::Rbac => "rbac",
            Category::References => "references",
            Category::Deprecation => "deprecation",
            Category::Hygiene => "hygiene",
        }
    }
}

/// Kinds that carry a pod template (or are pods), for rules about containers.
pub const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
];

/// A lint rule: its documentation (also `kfold explain`), metadata, and the check.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Kinds the rule looks at; empty means every kind.
    pub kinds: &'static [&'static str],
    /// The doc comment, with its fixed headings.
    pub doc: &'static str,
    pub check: fn(&mut Check),
    /// The kube-linter check this rule corresponds to, whose ignore annotation is honoured.
    pub kube_linter: Option<&'static str>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.code)
    }
}

impl Rule {
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// The doc without the one-space indent doc comments carry.
    pub fn docs(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The first paragraph under "What it does".
    pub fn summary(&self) -> String {
        let docs = self.docs();
        docs.split("## What it does")
            .nth(1)
            .and_then(|s| s.split("\n\n").map(str::trim).find(|p| !p.is_empty()))
            .unwrap_or("")
            .replace('\n', " ")
    }

    /// The text under a `## heading`.
    pub fn section(&self, heading: &str) -> Option<String> {
        let docs = self.docs();
        let start = docs.find(&format!("## {heading}"))? + heading.len() + 3;
        let rest = &docs[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }
}

/// Declares a rule from its doc comment and metadata.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:expr])*
        pub static $id:ident = {
            code: $code:expr,
            name: $name:expr,
            category: $cat:ident,
            severity: $sev:ident,
            kinds: $kinds:expr,
            check: $check:path
            $(, kube_linter: $kl:expr)?
            $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub static $id: $crate::lint::Rule = $crate::lint::Rule {
            code: $code,
            name: $name,
            category: $crate::lint::Category::$cat,
            severity: $crate::lint::Severity::$sev,
            kinds: $kinds,
            doc: concat!($($doc, "\n"),*),
            check: $check,
            kube_linter: $crate::declare_rule!(@opt $($kl)?),
        };
    };
    (@opt $kl:expr) => { Some($kl) };
    (@opt) => { None };
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub title: String,
    pub ops: Vec<Op>,
    /// Safe fixes are applied by `--fix`; unsafe ones also need `--unsafe-fixes`.
    pub safe: bool,
}

/// What a finding is about: one per document, shared by all of its findings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Resource {
    pub fn of(doc: &Document) -> Resource {
        Resource {
            api_version: doc.api_version().to_string(),
            kind: doc.kind().to_string(),
            namespace: doc.namespace().to_string(),
            name: doc.name().to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub pointer: String,
    /// Position of the offending field (or its nearest existing parent).
    pub pos: Pos,
    /// The file the position is in.
    pub source: Arc<Source>,
    pub resource: Arc<Resource>,
    pub help: Option<Cow<'static, str>>,
    pub fix: Option<Box<Fix>>,
    /// Kustomize roots whose build contains this finding (empty for plain files).
    pub roots: Vec<String>,
    /// Index of the document in the slice given to `run` (for applying fixes).
    pub doc: usize,
}

impl Finding {
    pub fn with_help(&mut self, help: impl Into<Cow<'static, str>>) -> &mut Finding {
        self.help = Some(help.into());
        self
    }

    pub fn with_fix(&mut self, title: impl Into<String>, ops: Vec<Op>, safe: bool) -> &mut Finding {
        self.fix = Some(Box::new(Fix {
            title: title.into(),
            ops,
            safe,
        }));
        self
    }

    pub fn file(&self) -> &str {
        self.source.name()
    }
}

/// One `Ctx::memo` value, filled by the first check that asks for it.
type MemoCell = OnceLock<Arc<dyn Any + Send + Sync>>;

/// The whole tree, for rules that relate objects to each other.
pub struct Ctx<'a> {
    pub docs: &'a [Document],
    /// The tree holds the objects it refers to (see `is_complete`): absent references can
    /// be reported.
    pub complete: bool,
    pub settings: &'a config::LintSettings,
    /// Values derived from the whole tree, built once per run (see `memo`).
    memo: Mutex<HashMap<TypeId, Arc<MemoCell>>>,
}

impl<'a> Ctx<'a> {
    pub fn new(docs: &'a [Document], settings: &'a config::LintSettings) -> Ctx<'a> {
        Ctx {
            docs,
            complete: is_complete(docs),
            settings,
            memo: Mutex::default(),
        }
    }

    /// A value derived from the whole tree (typically an index of it), built by the first
    /// check that asks and shared by the others, so that cross-object rules stay linear in
    /// the size of the tree. One value per type: give each index its own type.
    pub fn memo<T: Any + Send + Sync>(&self, build: impl FnOnce(&Ctx<'a>) -> T) -> Arc<T> {
        let cell = self
            .memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(TypeId::of::<T>())
            .or_default()
            .clone();
        // Built outside the map's lock, so that building one index may use another; checks
        // on other threads that want this one wait for it rather than build it again.
        let value = cell.get_or_init(|| Arc::new(build(self)));
        Arc::clone(value)
            .downcast()
            .unwrap_or_else(|_| unreachable!("memo values are keyed by their type"))
    }

    pub fn of_kind(&self, kind: &'a str) -> impl Iterator<Item = &'a Document> + 'a {
        let index = self.memo(|ctx| {
            let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, d) in ctx.docs.iter().enumerate() {
                by_kind.entry(d.kind().to_string()).or_default().push(i);
            }
            KindIndex(by_kind)
        });
        let docs = self.docs;
        let found: Vec<usize> = index.0.get(kind).cloned().unwrap_or_default();
        found.into_iter().map(move |i| &docs[i])
    }

    /// Objects of `kind` named `name` in the namespace of `doc` (empty and `default` are the
    /// same namespace).
    pub fn find(&self, kind: &str, name: &str, near: &Document) -> Option<&'a Document> {
        let index = self.memo(|ctx| {
            let mut by_id: HashMap<(String, String, String), usize> = HashMap::new();
            for (i, d) in ctx.docs.iter().enumerate() {
                let key = (
                    d.kind().to_string(),
                    effective_namespace(d).to_string(),
                    d.name().to_string(),
                );
                by_id.entry(key).or_insert(i);
            }
            IdIndex(by_id)
        });
        let key = (
            kind.to_string(),
            effective_namespace(near).to_string(),
            name.to_string(),
        );
        index.0.get(&key).map(|&i| &self.docs[i])
    }
}

/// Documents by kind, for `Ctx::of_kind`.
struct KindIndex(HashMap<String, Vec<usize>>);

/// Documents by (kind, namespace, name), for `Ctx::find`.
struct IdIndex(HashMap<(String, String, String), usize>);

/// A document's namespace, with the empty one spelled `default`.
pub fn effective_namespace(d: &Document) -> &str {
    match d.namespace() {
        "" => "default",
        n => n,
    }
}

/// A tree is complete enough to judge missing references when it is more than a handful of
/// workloads: it has at least one workload and at least one of the kinds workloads refer to
/// (ConfigMap, Secret, ServiceAccount, PVC) — a folder of only Deployments is a fragment
/// whose dependencies live elsewhere.
pub fn is_complete(docs: &[Document]) -> bool {
    let has = |kinds: &[&str]| docs.iter().any(|d| kinds.contains(&d.kind()));
    has(WORKLOADS)
        && has(&[
            "ConfigMap",
            "Secret",
            "ServiceAccount",
            "PersistentVolumeClaim",
        ])
}

/// What a rule's check sees: one document, the tree, and a place to put findings.
pub struct Check<'a> {
    pub doc: &'a Document,
    pub ctx: &'a Ctx<'a>,
    pub rule: &'static Rule,
    /// Shared by every check of a run's slice of documents: one growing list, not one per
    /// rule and document.
    findings: &'a mut Vec<Finding>,
    /// The document's identity, made by its first finding and shared by the others.
    resource: &'a mut Option<Arc<Resource>>,
}

impl<'a> Check<'a> {
    /// Reports a problem at the field a JSON pointer names.
    pub fn report(
        &mut self,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let pointer = pointer.into();
        let pos = self.doc.pos(&pointer);
        let source = source_at(pos, &self.doc.source);
        let doc = self.doc;
        let resource = self
            .resource
            .get_or_insert_with(|| Arc::new(Resource::of(doc)))
            .clone();
        self.findings.push(Finding {
            rule: self.rule,
            severity: self.rule.severity,
            message: message.into(),
            pointer,
            pos,
            source,
            resource,
            help: None,
            fix: None,
            roots: Vec::new(),
            doc: 0,
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// A rule option from the configuration, as text.
    pub fn option(&self, key: &str) -> Option<&'a str> {
        self.ctx.settings.option(self.rule.name, key)
    }

    pub fn option_f64(&self, key: &str, default: f64) -> f64 {
        self.option(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
}

pub const IGNORE_ANNOTATION: &str = "kfold.dev/ignore";

/// Names listed in `kfold.dev/ignore` (or kube-linter's per-check annotation) on an object.
fn ignored_by_annotation(doc: &Document, rule: &Rule) -> bool {
    let Some(annotations) = doc
        .root
        .path(&["metadata", "annotations"])
        .and_then(|a| a.as_map())
    else {
        return false;
    };
    let listed = annotations
        .get(IGNORE_ANNOTATION)
        .and_then(|v| v.scalar_text())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|n| n == "all" || n == rule.name || n == rule.code)
        });
    let kube_linter = rule.kube_linter.is_some_and(|kl| {
        annotations
            .iter()
            .any(|(k, _)| k.strip_prefix("ignore-check.kube-linter.io/") == Some(kl))
    });
    listed || kube_linter
}

/// `# kfold:ignore rule-name -- reason` on the finding's line or the line above it, or on
/// the first lines of the document (before its first key) for the whole document.
/// Positions of the keys on the way to `pointer`: a comment above a key covers what is
/// under it.
fn key_positions(doc: &Document, pointer: &str) -> Vec<Pos> {
    let Ok(tokens) = crate::doc::pointer::parse(pointer) else {
        return Vec::new();
    };
    let mut node = &doc.root;
    let mut found = Vec::new();
    for t in &tokens {
        match &node.value {
            crate::doc::Value::Map(m) => {
                let Some(e) = m.entry(t) else { break };
                found.push(e.key_pos);
                node = &e.value;
            }
            crate::doc::Value::Seq(items) => {
                match t.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(item) => node = item,
                    None => break,
                }
            }
            _ => break,
        }
    }
    found
}

fn ignored_by_comment(f: &Finding, doc: &Document) -> bool {
    let mentions = |line: &str| {
        line.split_once("kfold:ignore").is_some_and(|(_, rest)| {
            let names = rest.split("--").next().unwrap_or("");
            names
                .split([',', ' '])
                .map(str::trim)
                .any(|n| n == f.rule.name || n == f.rule.code || n == "all")
        })
    };
    // Most files have no suppression comment at all: answer those without reading lines.
    if f.source.has_suppressions() {
        let covers = |line: usize| {
            let at = f.source.suppression_line(line);
            let above = line
                .checked_sub(1)
                .and_then(|l| f.source.suppression_line(l));
            at.is_some_and(mentions)
                || above.is_some_and(|l| l.trim_start().starts_with('#') && mentions(l))
        };
        // The field's own line, and the lines of the keys above it: a block-style value
        // starts a line below its key, where people write the comment.
        if covers(f.pos.line as usize)
            || key_positions(doc, &f.pointer)
                .iter()
                .skip(1)
                .any(|p| p.file == f.pos.file && covers(p.line as usize))
        {
            return true;
        }
    }
    // A comment block right before the document's first line covers the whole document.
    let first = doc.root.pos.line as usize;
    if !doc.source.has_suppressions()
        || (doc.root.pos.file != 0 && doc.root.pos.file != doc.source.id)
    {
        return false;
    }
    (1..first)
        .rev()
        .map_while(|n| doc.source.suppression_line(n))
        .take_while(|l| {
            let t = l.trim();
            t.starts_with('#') || t.is_empty()
        })
        .any(mentions)
}

/// Runs the rules on every document, on all cores.
pub fn run(
    docs: &[Document],
    rules: &[&'static Rule],
    settings: &config::LintSettings,
) -> Vec<Finding> {
    let ctx = Ctx::new(docs, settings);
    let enabled: Vec<&'static Rule> = rules
        .iter()
        .copied()
        .filter(|r| settings.enabled(r))
        .collect();
    // Small slices of documents, each gathering its findings in one list: lists that grow
    // large are copied at every doubling into fresh memory, which costs more than the rules.
    let slice = 32;
    let ranges: Vec<std::ops::Range<usize>> = (0..docs.len())
        .step_by(slice)
        .map(|start| start..(start + slice).min(docs.len()))
        .collect();
    let per_slice = crate::load::parallel_map(ranges, |range| {
        let mut out = Vec::new();
        for i in range {
            let doc = &docs[i];
            if settings.excluded(doc) {
                continue;
            }
            let mut resource = None;
            for &rule in enabled.iter().filter(|r| r.applies_to(doc.kind())) {
                if ignored_by_annotation(doc, rule) || settings.ignored_object(rule, doc) {
                    continue;
                }
                let start = out.len();
                let mut check = Check {
                    doc,
                    ctx: &ctx,
                    rule,
                    findings: &mut out,
                    resource: &mut resource,
                };
                (rule.check)(&mut check);
                let mut kept = start;
                for j in start..out.len() {
                    if ignored_by_comment(&out[j], doc) {
                        continue;
                    }
                    out.swap(kept, j);
                    let f = &mut out[kept];
                    // A finding keeps the severity its rule gave it unless the configuration
                    // sets one.
                    if let Some(severity) = settings.configured_severity(rule) {
                        f.severity = severity;
                    }
                    f.doc = i;
                    kept += 1;
                }
                out.truncate(kept);
            }
        }
        out
    });
    let mut all = Vec::with_capacity(per_slice.iter().map(Vec::len).sum());
    for found in per_slice {
        all.extend(found);
    }
    all
}

/// Lints YAML text with the given rules (for rule examples, fixtures and tests).
pub fn lint_text(
    name: &str,
    text: &str,
    rules: &[&'static Rule],
) -> Result<Vec<Finding>, crate::error::Diag> {
    let docs = crate::load::load_resources(std::path::Path::new(name), text.as_bytes().to_vec())?;
    Ok(run(&docs, rules, &config::LintSettings::default()))
}

/// The ```` ```yaml,invalid ```` and ```` ```yaml,valid ```` blocks of a rule's docs.
pub fn doc_examples(rule: &Rule) -> Vec<(bool, String)> {
    let docs = rule.docs();
    let mut out = Vec::new();
    let mut rest = docs.as_str();
    while let Some(start) = rest.find("```yaml,") {
        let after = &rest[start + 8..];
        let Some(nl) = after.find('\n') else { break };
        let kind = after[..nl].trim();
        let body = &after[nl + 1..];
        let end = body.find("```").unwrap_or(body.len());
        if kind == "invalid" || kind == "valid" {
            out.push((kind == "invalid", body[..end].to_string()));
        }
        rest = &body[end.min(body.len())..];
        rest = rest.get(3..).unwrap_or("");
    }
    out
}
