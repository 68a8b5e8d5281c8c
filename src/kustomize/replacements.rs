//! kustomize's `replacements`: copy one field of a source resource into fields of target
//! resources, as kustomize v5.5 does it (api/filters/replacement). The source path is read
//! the way kyaml's `PathGetter` reads it (exact `[name=value]` matches, no wildcard), target
//! paths the way `PathMatcher` walks them (`[name=regex]` with an unanchored Go regexp, `*`,
//! and creation of missing fields with `create: true`).

use super::Resource;
use super::fieldspec::{Gvk, is_cluster_scoped};
use super::selector::LabelSelector;
use crate::doc::{Map, Node, ResId, Value, pointer, split_api_version};
use crate::scalar::resolve_plain;
use regex::Regex;
use std::collections::HashSet;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplError(pub String);

impl fmt::Display for ReplError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReplError {}

fn err<T>(message: impl Into<String>) -> Result<T, ReplError> {
    Err(ReplError(message.into()))
}

/// A target whose `select` (less its `reject`) picked no resource. kustomize says nothing
/// about these; kfold warns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatched {
    /// Index of the replacement in the list given to `apply_replacements`.
    pub index: usize,
    pub description: String,
}

/// Applies `replacements` in order, each one seeing the results of those before it.
/// Resources are selected by their current identity only; see `apply_replacements_to`.
pub fn apply_replacements(
    resources: &mut [Node],
    replacements: &[Node],
) -> Result<Vec<Unmatched>, ReplError> {
    let mut items: Vec<Item> = resources
        .iter_mut()
        .map(|root| Item { root, prev: &[] })
        .collect();
    apply_all(&mut items, replacements)
}

/// As `apply_replacements`, but a selector also matches a name or namespace the resource had
/// before a prefix, suffix or namespace change, as kustomize's build annotations let it.
pub fn apply_replacements_to(
    resources: &mut [Resource],
    replacements: &[Node],
) -> Result<Vec<Unmatched>, ReplError> {
    let mut items: Vec<Item> = resources
        .iter_mut()
        .map(|r| Item {
            root: &mut r.doc.root,
            prev: &r.prev,
        })
        .collect();
    apply_all(&mut items, replacements)
}

struct Item<'a> {
    root: &'a mut Node,
    /// Earlier (namespace, name) pairs.
    prev: &'a [(String, String)],
}

/// A resource's identity, its fields read as text whatever their type, as kyaml reads them.
pub(super) fn current_id(root: &Node) -> ResId {
    let text = |path: &[&str]| root.path(path).and_then(scalar_text).unwrap_or_default();
    let api_version = text(&["apiVersion"]);
    let (group, version) = split_api_version(&api_version);
    ResId {
        group: group.to_string(),
        version: version.to_string(),
        kind: text(&["kind"]),
        namespace: text(&["metadata", "namespace"]),
        name: text(&["metadata", "name"]),
    }
}

/// The current identity, then the earlier ones. kustomize records an earlier namespace as its
/// `EffectiveNamespace`, which knows cluster-scoped kinds (matching a current one does not).
pub(super) fn resource_ids(root: &Node, prev: &[(String, String)]) -> Vec<ResId> {
    let current = current_id(root);
    let scoped = !is_cluster_scoped(&gvk_of(&current));
    let earlier = prev.iter().map(|(ns, name)| ResId {
        namespace: match ns.as_str() {
            _ if !scoped => "_non_namespaceable_".into(),
            "" => "default".into(),
            ns => ns.into(),
        },
        name: name.clone(),
        ..current.clone()
    });
    std::iter::once(current.clone()).chain(earlier).collect()
}

fn apply_all(items: &mut [Item], replacements: &[Node]) -> Result<Vec<Unmatched>, ReplError> {
    let mut unmatched = Vec::new();
    // kustomize's prefix and suffix transformer leaves the names it sets untagged (its
    // namespace transformer writes tagged strings).
    let mut marks: Vec<Marks> = items
        .iter()
        .map(|item| {
            let name = current_id(item.root).name;
            let mut m = Marks::default();
            if item.prev.iter().any(|(_, earlier)| *earlier != name) {
                m.untagged.insert("/metadata/name".into());
            }
            m
        })
        .collect();
    for (index, node) in replacements.iter().enumerate() {
        let r = Replacement::from_node(node)?;
        let mut value = source_value(items, &r.source)?;
        for t in &r.targets {
            let mut hits = 0;
            for i in 0..items.len() {
                if t.selects(items[i].root, items[i].prev) {
                    hits += 1;
                    for path in &t.field_paths {
                        copy_to_target(items, i, &mut marks[i], path, &mut value, &t.options)?;
                    }
                }
            }
            if hits == 0 {
                unmatched.push(Unmatched {
                    index,
                    description: t.describe(),
                });
            }
        }
    }
    // kustomize only fails on a value its field's type cannot hold when it prints the
    // resources, so a later replacement may still fix it, and other errors come first.
    for (item, marks) in items.iter().zip(&marks) {
        for p in &marks.invalid {
            let node = pointer::parse(p)
                .ok()
                .and_then(|t| pointer::get(item.root, &t));
            if let Some(node) = node.filter(|n| kind_of(n) == Kind::Scalar) {
                retag(node, &node.scalar_text().unwrap_or_default()).map_err(ReplError)?;
            }
        }
    }
    // kustomize rebuilds its resource map afterwards, refusing nameless and duplicate resources.
    let mut seen: Vec<ResId> = Vec::new();
    for item in items.iter() {
        let id = current_id(item.root);
        if id.name.is_empty() {
            return err(format!(
                "missing metadata.name in object {}",
                resid_string(&id)
            ));
        }
        let same = |o: &ResId| {
            (&o.group, &o.version, &o.kind, &o.name) == (&id.group, &id.version, &id.kind, &id.name)
                && effective_namespace(o) == effective_namespace(&id)
        };
        if seen.iter().any(same) {
            return err(format!(
                "may not add resource with an already registered id: {}",
                resid_string(&id)
            ));
        }
        seen.push(id);
    }
    Ok(unmatched)
}

// ---------------------------------------------------------------------------------------
// The replacement schema. Keys match case-insensitively, as Go's encoding/json matches them.

pub(super) fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    let m = node.as_map()?;
    m.get(key)
        .or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

fn string_field(node: &Node, key: &str) -> Result<String, ReplError> {
    match field(node, key) {
        None => Ok(String::new()),
        Some(Node {
            value: Value::String(s),
            ..
        }) => Ok(s.clone()),
        Some(other) => err(format!(
            "`{key}` must be a string, not `{}`",
            other.scalar_text().unwrap_or_default()
        )),
    }
}

fn map_field<'a>(node: &'a Node, key: &str) -> Result<Option<&'a Node>, ReplError> {
    match field(node, key) {
        Some(n) if n.as_map().is_none() => err(format!("`{key}` must be a mapping")),
        other => Ok(other),
    }
}

fn seq_field<'a>(node: &'a Node, key: &str) -> Result<Option<&'a [Node]>, ReplError> {
    match field(node, key) {
        None => Ok(None),
        Some(n) => n
            .as_seq()
            .map(Some)
            .ok_or_else(|| ReplError(format!("`{key}` must be a list"))),
    }
}

/// Checks an inline replacement against kustomize's schema, which rejects unknown fields in
/// a kustomization (replacements read from a `path:` file are decoded leniently, so
/// `apply_replacements` ignores unknown fields).
pub fn validate(replacement: &Node) -> Result<(), ReplError> {
    const ID: &[&str] = &["group", "version", "kind", "name", "namespace"];
    const SELECTOR: &[&str] = &[
        "group",
        "version",
        "kind",
        "name",
        "namespace",
        "labelSelector",
        "annotationSelector",
    ];
    const OPTIONS: &[&str] = &["delimiter", "index", "encoding", "create"];
    fn known(node: Option<&Node>, keys: &[&str], extra: &[&str]) -> Result<(), ReplError> {
        for (k, _) in node
            .and_then(Node::as_map)
            .map(Map::iter)
            .into_iter()
            .flatten()
        {
            if !keys.iter().chain(extra).any(|w| w.eq_ignore_ascii_case(k)) {
                return err(format!("unknown field \"{k}\""));
            }
        }
        Ok(())
    }
    known(Some(replacement), &["source", "targets", "path"], &[])?;
    let source = field(replacement, "source");
    known(source, ID, &["fieldPath", "options"])?;
    known(source.and_then(|s| field(s, "options")), OPTIONS, &[])?;
    for t in field(replacement, "targets")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        known(Some(t), &["select", "reject", "fieldPaths", "options"], &[])?;
        known(field(t, "select"), SELECTOR, &[])?;
        for r in field(t, "reject")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            known(Some(r), SELECTOR, &[])?;
        }
        known(field(t, "options"), OPTIONS, &[])?;
    }
    Ok(())
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    pub delimiter: String,
    pub index: i64,
    pub create: bool,
}

impl Options {
    fn from_node(node: Option<&Node>) -> Result<Options, ReplError> {
        let Some(node) = node else {
            return Ok(Options::default());
        };
        let index = match field(node, "index") {
            None => 0,
            Some(n) => n
                .as_i64()
                .ok_or_else(|| ReplError("`options.index` must be an integer".into()))?,
        };
        let create = match field(node, "create") {
            None => false,
            Some(n) => n
                .as_bool()
                .ok_or_else(|| ReplError("`options.create` must be true or false".into()))?,
        };
        Ok(Options {
            delimiter: string_field(node, "delimiter")?,
            index,
            create,
        })
    }
}

/// kustomize's `types.Selector` as replacements read it: group/version/kind/name/namespace
/// compared for equality (empty fields match anything; patch targets read them as regular
/// expressions, see `selector::Target`) plus Kubernetes label and annotation selectors.
#[derive(Clone, Debug)]
pub struct Selector {
    pub gvk: Gvk,
    pub name: String,
    pub namespace: String,
    pub label_selector: String,
    pub annotation_selector: String,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

impl Selector {
    pub fn from_node(node: &Node) -> Result<Selector, ReplError> {
        let s = |k| string_field(node, k);
        let label_selector = s("labelSelector")?;
        let annotation_selector = s("annotationSelector")?;
        let parse = |text: &str| {
            let sel = (!text.is_empty()).then(|| LabelSelector::parse(text).map_err(ReplError));
            sel.transpose()
        };
        Ok(Selector {
            gvk: Gvk {
                group: s("group")?,
                version: s("version")?,
                kind: s("kind")?,
            },
            name: s("name")?,
            namespace: s("namespace")?,
            labels: parse(&label_selector)?,
            annotations: parse(&annotation_selector)?,
            label_selector,
            annotation_selector,
        })
    }

    /// Whether the group/version/kind/name/namespace part says anything.
    pub fn has_id(&self) -> bool {
        self.gvk != Gvk::default() || !self.name.is_empty() || !self.namespace.is_empty()
    }

    pub fn has_map_selectors(&self) -> bool {
        !self.label_selector.is_empty() || !self.annotation_selector.is_empty()
    }

    /// Does the resource, by its current identity, match every part of the selector?
    pub fn matches(&self, resource: &Node) -> bool {
        self.matches_any(resource, &[])
    }

    /// As `matches`, the resource's earlier (namespace, name) pairs matching too.
    pub fn matches_any(&self, resource: &Node, prev: &[(String, String)]) -> bool {
        self.matches_maps(resource) && self.selects_ids(&resource_ids(resource, prev))
    }

    pub fn matches_maps(&self, resource: &Node) -> bool {
        let ok = |sel: &Option<LabelSelector>, field| {
            sel.as_ref()
                .is_none_or(|s| s.matches(resource.path(&["metadata", field])))
        };
        ok(&self.labels, "labels") && ok(&self.annotations, "annotations")
    }

    /// The id part against a resource's identities: any one must match (`ResId.IsSelectedBy`).
    pub fn selects_ids(&self, ids: &[ResId]) -> bool {
        ids.iter().any(|id| self.selects_id(id))
    }

    pub fn selects_id(&self, id: &ResId) -> bool {
        (self.name.is_empty() || self.name == id.name)
            && (self.namespace.is_empty() || effective_namespace(id) == self.namespace)
            && self.gvk.selects(&gvk_of(id))
    }
}

fn gvk_of(id: &ResId) -> Gvk {
    Gvk {
        group: id.group.clone(),
        version: id.version.clone(),
        kind: id.kind.clone(),
    }
}

/// kustomize's `EffectiveNamespace` as selection sees it: empty means `default`, also for a
/// cluster-scoped kind (kustomize 5.5 selects a ClusterRole with `namespace: default`).
pub fn effective_namespace(id: &ResId) -> &str {
    if id.namespace.is_empty() {
        "default"
    } else {
        &id.namespace
    }
}

/// `Kind.version.group/name.namespace`, with kustomize's placeholders for empty parts.
pub fn resid_string(id: &ResId) -> String {
    let or = |s: &str, none: &str| {
        if s.is_empty() {
            none.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}.{}.{}/{}.{}",
        or(&id.kind, "[noKind]"),
        or(&id.version, "[noVer]"),
        or(&id.group, "[noGrp]"),
        or(&id.name, "[noName]"),
        or(&id.namespace, "[noNs]")
    )
}

/// `kind=Deployment, name=api, labelSelector=app=api`: the fields that were given.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            ("group", &self.gvk.group),
            ("version", &self.gvk.version),
            ("kind", &self.gvk.kind),
            ("name", &self.name),
            ("namespace", &self.namespace),
            ("labelSelector", &self.label_selector),
            ("annotationSelector", &self.annotation_selector),
        ];
        let given: Vec<String> = parts
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if given.is_empty() {
            f.write_str("any resource")
        } else {
            f.write_str(&given.join(", "))
        }
    }
}

struct Source {
    id: ResId,
    field_path: String,
    options: Options,
}

impl Source {
    fn selector(&self) -> Selector {
        Selector {
            gvk: gvk_of(&self.id),
            name: self.id.name.clone(),
            namespace: self.id.namespace.clone(),
            label_selector: String::new(),
            annotation_selector: String::new(),
            labels: None,
            annotations: None,
        }
    }

    /// As kustomize's `SourceSelector.String`.
    fn describe(&self) -> String {
        let mut s = resid_string(&self.id);
        if !self.field_path.is_empty() {
            s += &format!(":{}", self.field_path);
        }
        let o = &self.options;
        if !o.delimiter.is_empty() || o.create {
            s += &format!(":{}({}), create={}", o.delimiter, o.index, o.create);
        }
        s
    }
}

struct Target {
    select: Selector,
    reject: Vec<Selector>,
    field_paths: Vec<String>,
    options: Options,
}

impl Target {
    fn from_node(node: &Node) -> Result<Target, ReplError> {
        let Some(select) = map_field(node, "select")? else {
            return err("target must specify resources to select");
        };
        let reject = seq_field(node, "reject")?
            .unwrap_or_default()
            .iter()
            .filter(|r| !r.is_null())
            .map(Selector::from_node)
            .collect::<Result<_, _>>()?;
        let mut field_paths = Vec::new();
        for p in seq_field(node, "fieldPaths")?.unwrap_or_default() {
            match p.as_str() {
                Some(s) => field_paths.push(s.to_string()),
                None => return err("`fieldPaths` must be a list of strings"),
            }
        }
        if field_paths.is_empty() {
            field_paths.push(DEFAULT_FIELD_PATH.to_string());
        }
        Ok(Target {
            select: Selector::from_node(select)?,
            reject,
            field_paths,
            options: Options::from_node(map_field(node, "options")?)?,
        })
    }

    fn selects(&self, root: &Node, prev: &[(String, String)]) -> bool {
        let rejected_by_maps = self
            .reject
            .iter()
            .any(|r| r.has_map_selectors() && r.matches_maps(root));
        if !self.select.matches_maps(root) || rejected_by_maps {
            return false;
        }
        // A reject's id part applies to every identity, not just the one `select` matched.
        let ids = resource_ids(root, prev);
        self.select.selects_ids(&ids)
            && !self
                .reject
                .iter()
                .any(|r| r.has_id() && r.selects_ids(&ids))
    }

    fn describe(&self) -> String {
        let mut s = format!("select {}", self.select);
        for r in &self.reject {
            s += &format!(", reject {r}");
        }
        s
    }
}

struct Replacement {
    source: Source,
    targets: Vec<Target>,
}

const DEFAULT_FIELD_PATH: &str = "metadata.name";

impl Replacement {
    fn from_node(node: &Node) -> Result<Replacement, ReplError> {
        let (Some(source), Some(targets)) =
            (map_field(node, "source")?, seq_field(node, "targets")?)
        else {
            return err("replacements must specify a source and at least one target");
        };
        let s = |k| string_field(source, k);
        let (group, version) = (s("group")?, s("version")?);
        let source = Source {
            id: ResId {
                group,
                version,
                kind: s("kind")?,
                namespace: s("namespace")?,
                name: s("name")?,
            },
            field_path: s("fieldPath")?,
            options: Options::from_node(map_field(source, "options")?)?,
        };
        let targets = targets
            .iter()
            .map(Target::from_node)
            .collect::<Result<_, _>>()?;
        Ok(Replacement { source, targets })
    }
}

// ---------------------------------------------------------------------------------------
// The source value.

/// Where a replacement's value comes from. Without a delimiter kustomize holds the source
/// node itself, so a target that changes it changes what later targets get.
enum SourceValue {
    Live {
        item: usize,
        pointer: Vec<String>,
        last: Node,
    },
    Fixed(Node),
}

impl SourceValue {
    fn current(&mut self, items: &[Item]) -> &Node {
        match self {
            SourceValue::Fixed(n) => n,
            SourceValue::Live {
                item,
                pointer,
                last,
            } => {
                if let Some(n) = items
                    .get(*item)
                    .and_then(|i| crate::doc::pointer::get(i.root, pointer))
                {
                    *last = n.clone();
                }
                last
            }
        }
    }
}

fn source_value(items: &[Item], source: &Source) -> Result<SourceValue, ReplError> {
    let selector = source.selector();
    let mut found = items
        .iter()
        .enumerate()
        .filter(|(_, i)| selector.selects_ids(&resource_ids(i.root, i.prev)));
    let Some((index, item)) = found.next() else {
        return err(format!("nothing selected by {}", source.describe()));
    };
    if found.next().is_some() {
        return err(format!(
            "multiple matches for selector {}",
            source.describe()
        ));
    }
    let path = if source.field_path.is_empty() {
        DEFAULT_FIELD_PATH
    } else {
        &source.field_path
    };
    let located = locate(item.root, &split_field_path(path))
        .map_err(|e| ReplError(format!("error looking up replacement source: {e}")))?;
    let missing = || {
        ReplError(format!(
            "fieldPath `{path}` is missing for replacement source {}",
            resid_string(&source.id)
        ))
    };
    let (pointer, value) = located
        .filter(|(_, v)| !is_nil_or_empty(v))
        .ok_or_else(missing)?;
    let o = &source.options;
    if o.delimiter.is_empty() {
        return Ok(SourceValue::Live {
            item: index,
            pointer,
            last: value.clone(),
        });
    }
    let Some(text) = scalar_text(value) else {
        return err("delimiter option can only be used with scalar nodes");
    };
    let part = usize::try_from(o.index)
        .ok()
        .and_then(|i| text.split(o.delimiter.as_str()).nth(i))
        .ok_or_else(|| {
            ReplError(format!(
                "options.index {} is out of bounds for value {text}",
                o.index
            ))
        })?;
    let refined = retag(value, part).map_err(ReplError)?;
    Ok(SourceValue::Fixed(Node {
        pos: value.pos,
        ..refined
    }))
}

fn is_nil_or_empty(n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        Value::Seq(s) => s.is_empty(),
        _ => false,
    }
}

fn scalar_text(n: &Node) -> Option<String> {
    match n.value {
        Value::Map(_) | Value::Seq(_) => None,
        _ => n.scalar_text(),
    }
}

// ---------------------------------------------------------------------------------------
// Field paths.

/// kyaml's `SmarterPathSplitter` on `.`: `\.` escapes a dot, `[a.b=c]` stays one part with
/// its brackets, `[a.b]` becomes the key `a.b`.
pub fn split_field_path(path: &str) -> Vec<String> {
    let mut split: Vec<String> = Vec::new();
    for piece in path.split('.') {
        match split.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => split.push(piece.to_string()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < split.len() {
        let elem = &split[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let start = i;
            while i < split.len() - 1 {
                i += 1;
                if split[i].ends_with(']') {
                    break;
                }
            }
            let joined = split[start..=i].join(".");
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

/// Go's `strconv.Atoi`.
pub(super) fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn list_index(part: &str) -> Option<&str> {
    part.strip_prefix('[')?.strip_suffix(']')
}

/// `[name=value]` → (`name`, `value`); `[=value]` matches list items themselves.
fn split_index(part: &str) -> Result<(&str, &str), String> {
    list_index(part)
        .and_then(|inner| inner.split_once('='))
        .ok_or_else(|| {
            "list path element must contain fieldName=fieldValue for element to match".to_string()
        })
}

fn kind_name(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

fn wrong_kind(want: &str, got: &Node) -> String {
    format!(
        "wrong node kind: expected {want} but got {}",
        kind_name(got)
    )
}

/// kyaml's `PathGetter` without creation, which replacement sources and var field refs use.
/// `Ok(None)` when a field or list item is not there.
pub fn lookup<'a>(root: &'a Node, parts: &[String]) -> Result<Option<&'a Node>, String> {
    Ok(locate(root, parts)?.map(|(_, node)| node))
}

/// As `lookup`, with the JSON pointer tokens of the node found.
fn locate<'a>(root: &'a Node, parts: &[String]) -> Result<Option<(Vec<String>, &'a Node)>, String> {
    enum Step<'p> {
        Index(usize),
        Last,
        Item(&'p str, &'p str),
        Field(&'p str),
    }
    let mut node = root;
    let mut tokens = Vec::new();
    // PathGetter trims the parts and drops empty ones.
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let step = match atoi(part) {
            Some(i) => Step::Index(
                usize::try_from(i).map_err(|_| format!("array index {i} cannot be negative"))?,
            ),
            None if part == "-" => Step::Last,
            None if part == "*" => return Err("wildcard is not supported in PathGetter".into()),
            None if list_index(part).is_some() => {
                let (key, want) = split_index(part)?;
                Step::Item(key, want)
            }
            None => Step::Field(part),
        };
        let next = match (&node.value, step) {
            (Value::Null, _) => None,
            (Value::Map(m), Step::Field(key)) => m.get(key).map(|n| (key.to_string(), n)),
            (_, Step::Field(_)) => return Err(wrong_kind("MappingNode", node)),
            (Value::Seq(items), step) => match step {
                Step::Index(i) => items.get(i).map(|n| (i, n)),
                Step::Last => items.iter().enumerate().next_back(),
                Step::Item(key, want) => {
                    let is = |n: Option<&Node>| n.and_then(scalar_text).as_deref() == Some(want);
                    items.iter().enumerate().find(|(_, n)| {
                        if key.is_empty() {
                            is(Some(n))
                        } else {
                            n.as_map().is_some_and(|m| is(m.get(key)))
                        }
                    })
                }
                Step::Field(_) => None,
            }
            .map(|(i, n)| (i.to_string(), n)),
            _ => return Err(wrong_kind("SequenceNode", node)),
        };
        let Some((token, n)) = next else {
            return Ok(None);
        };
        tokens.push(token);
        node = n;
    }
    Ok(Some((tokens, node)))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Scalar,
    Map,
    Seq,
}

fn kind_of(n: &Node) -> Kind {
    match n.value {
        Value::Map(_) => Kind::Map,
        Value::Seq(_) => Kind::Seq,
        _ => Kind::Scalar,
    }
}

fn empty(kind: Kind) -> Node {
    match kind {
        Kind::Scalar => typed(Value::Null, ""),
        Kind::Map => Node::map(),
        Kind::Seq => Node::new(Value::Seq(Vec::new())),
    }
}

/// kyaml's `getPathPartKind`: what to create for a missing part, judged by the next one.
fn part_kind(next: Option<&String>, leaf: Kind) -> Kind {
    match next.map(String::as_str).unwrap_or("") {
        "" => leaf,
        p if list_index(p).is_some() || atoi(p).is_some_and(|i| i >= 0) => Kind::Seq,
        _ => Kind::Map,
    }
}

/// What a write left in a node.
enum Written {
    /// A scalar without a YAML tag, typed afresh from whatever text it gets (kustomize
    /// creates fields and `[k=v]` items so).
    Untagged,
    Tagged,
    /// A scalar whose tag its new text does not fit (`!!int abc`).
    Invalid,
}

/// JSON pointers of the untagged and the invalid scalars of one resource.
#[derive(Default)]
struct Marks {
    untagged: HashSet<String>,
    invalid: HashSet<String>,
}

/// A node a target path reached: its pointer tokens (none when it hangs below a null field,
/// where kustomize's writes go nowhere), whether the walk created it, and its kind.
struct Hit {
    tokens: Option<Vec<String>>,
    created: bool,
    kind: Kind,
}

/// A walk through one resource.
struct Walk<'a> {
    path: Vec<String>,
    hits: Vec<Hit>,
    marks: &'a mut Marks,
    in_limbo: bool,
}

impl Walk<'_> {
    fn pointer(&self, extra: &[&str]) -> String {
        let mut p = pointer::join(&self.path);
        for t in extra {
            p.push('/');
            pointer::escape_into(t, &mut p);
        }
        p
    }

    fn hit(&mut self, node: &Node, created: bool) -> usize {
        let tokens = (!self.in_limbo).then(|| self.path.clone());
        self.hits.push(Hit {
            tokens,
            created,
            kind: kind_of(node),
        });
        1
    }

    fn descend(
        &mut self,
        token: impl Into<String>,
        f: impl FnOnce(&mut Self) -> Result<usize, String>,
    ) -> Result<usize, String> {
        self.path.push(token.into());
        let found = f(self);
        self.path.pop();
        found
    }
}

/// kyaml's `PathMatcher`: finds every node the path reaches and returns how many. With
/// `create` (the kind of the value to write), missing fields, `[k=v]` items and the item
/// just past the end of a list are added on the way.
fn walk(
    node: &mut Node,
    parts: &[String],
    create: Option<Kind>,
    w: &mut Walk,
) -> Result<usize, String> {
    let Some((part, rest)) = parts.split_first() else {
        return Ok(w.hit(node, false));
    };
    let index = atoi(part).filter(|&i| i >= 0);
    if node.is_null() {
        if create.is_none() {
            return match index {
                Some(i) => Err(format!("index {i} specified but only 0 elements found")),
                None => Ok(0),
            };
        }
        // kustomize adds what is below a null field to a node that is never printed: the
        // walk goes on (and may fail) but the document does not change.
        let seq = index.is_some() || list_index(part).is_some() || part == "*";
        let mut limbo = empty(if seq { Kind::Seq } else { Kind::Map });
        let outer = std::mem::replace(&mut w.in_limbo, true);
        let found = walk(&mut limbo, parts, create, w);
        w.in_limbo = outer;
        return found;
    }
    let want = if index.is_some() || list_index(part).is_some() || part == "*" {
        "SequenceNode"
    } else if part.is_empty() {
        "ScalarNode"
    } else {
        "MappingNode"
    };
    if want != kind_name(node) {
        return Err(wrong_kind(want, node));
    }
    match &mut node.value {
        Value::Seq(items) => {
            if let Some(i) = index {
                let i = usize::try_from(i).map_err(|e| e.to_string())?;
                let created = create.is_some() && items.len() == i;
                if let Some(leaf) = create.filter(|_| created) {
                    items.push(empty(part_kind(rest.first(), leaf)));
                }
                let len = items.len();
                let Some(item) = items.get_mut(i) else {
                    return Err(format!("index {i} specified but only {len} elements found"));
                };
                return w.descend(i.to_string(), |w| {
                    if created && rest.is_empty() {
                        Ok(w.hit(item, true))
                    } else {
                        walk(item, rest, create, w)
                    }
                });
            }
            if part == "*" {
                let mut found = 0;
                for (n, item) in items.iter_mut().enumerate() {
                    found += w.descend(n.to_string(), |w| walk(item, rest, create, w))?;
                }
                return Ok(found);
            }
            let (key, pattern) = split_index(part)?;
            let re =
                Regex::new(pattern).map_err(|e| format!("invalid pattern `{pattern}`: {e}"))?;
            // Like kustomize, add a `{key: pattern}` item when nothing matched, then look again.
            // The pattern is written untagged: yaml reads it (and what replaces it) afresh.
            for attempt in 0..2 {
                let mut found = 0;
                for (n, item) in items.iter_mut().enumerate() {
                    let matches = |v: Option<&Node>| {
                        v.and_then(scalar_text)
                            .is_some_and(|t| re.is_match(t.trim()))
                    };
                    found += if key.is_empty() && matches(Some(item)) {
                        w.descend(n.to_string(), |w| Ok(w.hit(item, false)))?
                    } else if !key.is_empty() && matches(item.get(key)) {
                        w.descend(n.to_string(), |w| walk(item, rest, create, w))?
                    } else {
                        0
                    };
                }
                if found > 0 || create.is_none() || attempt == 1 {
                    return Ok(found);
                }
                let at = items.len().to_string();
                let value = typed(resolve_plain(pattern), pattern);
                let item = if key.is_empty() {
                    w.marks.untagged.insert(w.pointer(&[&at]));
                    value
                } else {
                    w.marks.untagged.insert(w.pointer(&[&at, key]));
                    let mut m = Map::default();
                    m.insert(key, value);
                    Node::new(Value::Map(m))
                };
                items.push(item);
            }
            Ok(0)
        }
        Value::Map(m) => {
            let created = !m.contains_key(part);
            if created {
                let Some(leaf) = create else { return Ok(0) };
                m.insert(part.as_str(), empty(part_kind(rest.first(), leaf)));
            }
            let Some(child) = m.get_mut(part) else {
                return Ok(0);
            };
            w.descend(part.as_str(), |w| {
                if created && rest.is_empty() {
                    Ok(w.hit(child, true))
                } else {
                    walk(child, rest, create, w)
                }
            })
        }
        _ => Err(wrong_kind(want, node)),
    }
}

/// Writes the source value into every field the path reaches in resource `i`. As in
/// kustomize, the fields are found first (creating what is missing), then written one by
/// one, each write taking the source's value as it is by then.
fn copy_to_target(
    items: &mut [Item],
    i: usize,
    marks: &mut Marks,
    path: &str,
    value: &mut SourceValue,
    options: &Options,
) -> Result<(), ReplError> {
    let create = options.create.then(|| kind_of(value.current(items)));
    let what = if create.is_some() {
        "find or create"
    } else {
        "find"
    };
    let fail = |detail: &str| {
        ReplError(format!(
            "unable to {what} field {path:?} in replacement target{detail}"
        ))
    };
    let mut w = Walk {
        path: Vec::new(),
        hits: Vec::new(),
        marks,
        in_limbo: false,
    };
    match walk(items[i].root, &split_field_path(path), create, &mut w) {
        Ok(0) => return Err(fail("")),
        Ok(_) => {}
        Err(e) => return Err(fail(&format!(": {e}"))),
    }
    let (hits, marks) = (w.hits, w.marks);
    for hit in hits {
        let value = value.current(items).clone();
        let Some(tokens) = hit.tokens else {
            set_field(&mut empty(hit.kind), true, &value, options)?;
            continue;
        };
        let here = pointer::join(&tokens);
        let Some(target) = pointer::get_mut(items[i].root, &tokens) else {
            continue;
        };
        let untagged = hit.created || marks.untagged.contains(&here);
        let written = set_field(target, untagged, &value, options)?;
        let below = format!("{here}/");
        for marked in [&mut marks.untagged, &mut marks.invalid] {
            marked.retain(|p| *p != here && !p.starts_with(&below));
        }
        match written {
            Written::Untagged => marks.untagged.insert(here),
            Written::Invalid => marks.invalid.insert(here),
            Written::Tagged => false,
        };
    }
    Ok(())
}

/// kustomize's `setFieldValue`. A scalar target keeps its YAML tag and takes the value's
/// text (an untagged one is typed from the text); any other target becomes a copy of the
/// value.
fn set_field(
    target: &mut Node,
    untagged: bool,
    value: &Node,
    options: &Options,
) -> Result<Written, ReplError> {
    let scalar = kind_of(target) == Kind::Scalar;
    let mut text = scalar_text(value).unwrap_or_default();
    if !options.delimiter.is_empty() {
        if !scalar {
            return err("delimiter option can only be used with scalar nodes");
        }
        let current = target.scalar_text().unwrap_or_default();
        let mut parts: Vec<&str> = current.split(options.delimiter.as_str()).collect();
        match usize::try_from(options.index) {
            Err(_) => parts.insert(0, &text),
            Ok(i) if i >= parts.len() => parts.push(&text),
            Ok(i) => parts[i] = &text,
        }
        text = parts.join(&options.delimiter);
    }
    let (node, written) = if !scalar {
        (value.clone(), Written::Tagged)
    } else if untagged {
        (typed(resolve_plain(&text), &text), Written::Untagged)
    } else {
        match retag(target, &text) {
            Ok(node) => (node, Written::Tagged),
            // Kept with its tag (the value is a stand-in) until `apply_all` checks it again.
            Err(_) => (typed(target.value.clone(), &text), Written::Invalid),
        }
    };
    *target = Node {
        pos: value.pos,
        ..node
    };
    Ok(written)
}

fn typed(value: Value, text: &str) -> Node {
    let raw = match &value {
        Value::String(s) if s == text => None,
        _ => Some(text.into()),
    };
    Node {
        value,
        pos: Default::default(),
        raw,
    }
}

/// The YAML tag a scalar was read with.
fn tag(n: &Node) -> &'static str {
    match &n.value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::UInt(_) => "int",
        Value::Float(_) => "float",
        // Plain timestamps are kept as RFC 3339 strings with their text in `raw`.
        Value::String(_) if n.raw.is_some() => "timestamp",
        _ => "str",
    }
}

/// `like`'s tag with new text, as kustomize leaves it (it copies only the text) and as
/// yaml.v3 then reads it back: a string stays a string, anything else must still parse as
/// its type (an int field can take `8080` but not `abc`).
fn retag(like: &Node, text: &str) -> Result<Node, String> {
    let want = tag(like);
    let plain = typed(resolve_plain(text), text);
    let value = match (want, tag(&plain)) {
        ("str", _) => Value::String(text.to_string()),
        (w, g) if w == g => plain.value,
        ("float", "int") => Value::Float(plain.as_f64().unwrap_or_default()),
        (w, g) => return Err(format!("cannot decode !!{g} `{text}` as a !!{w}")),
    };
    Ok(typed(value, text))
}

/// kustomize roots of `testdata` (conformance cases and `testdata/replacements`) loaded
/// without the builder: their resources, prefix, suffix and namespace, and their output.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Resource;
    use crate::doc::{Document, Node, Source, Value};
    use crate::load::parse::parse_str;
    use std::path::{Path, PathBuf};

    pub struct Case {
        pub dir: PathBuf,
        pub kustomization: Node,
        pub resources: Vec<Resource>,
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `case` is a folder of `testdata` holding `in/kustomization.yaml` and `expected.yaml`.
    pub fn load(case: &str) -> Case {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata")
            .join(case);
        let kustomization = parse_str(&read(&dir.join("in/kustomization.yaml")))
            .unwrap()
            .remove(0);
        let mut resources = Vec::new();
        for file in kustomization
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let path = dir.join("in").join(file.as_str().unwrap_or_default());
            let text = read(&path);
            for (index, root) in parse_str(&text).unwrap().into_iter().enumerate() {
                let source = Source::new(&path, text.clone());
                resources.push(Resource::new(Document {
                    origin: None,
                    source,
                    index,
                    item: None,
                    root,
                }));
            }
        }
        let mut case = Case {
            dir,
            kustomization,
            resources,
        };
        // In kustomize's order: namespace, then prefix and suffix.
        let k = case.kustomization.clone();
        if let Some(ns) = k.get("namespace") {
            crate::kustomize::transform::namespace(&mut case.resources, ns);
        }
        crate::kustomize::transform::prefix_suffix(
            &mut case.resources,
            k.get("namePrefix"),
            k.get("nameSuffix"),
        );
        case
    }

    impl Case {
        /// A list of the kustomization, entries with `path:` replaced by the file's items.
        pub fn list(&self, key: &str) -> Vec<Node> {
            let mut out = Vec::new();
            for entry in self
                .kustomization
                .get(key)
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                match entry.str_at(&["path"]) {
                    Some(p) => {
                        let file = read(&self.dir.join("in").join(p));
                        match parse_str(&file).unwrap().remove(0).value {
                            Value::Seq(items) => out.extend(items),
                            other => out.push(Node::new(other)),
                        }
                    }
                    None => out.push(entry.clone()),
                }
            }
            out
        }

        /// Renders in kustomize's legacy order and compares with `expected.yaml`, byte for byte.
        pub fn check(self) {
            let mut docs: Vec<Document> = self.resources.into_iter().map(|r| r.doc).collect();
            crate::render::legacy_sort(&mut docs);
            let got = crate::render::render_all(docs.iter()).unwrap_or_else(|e| panic!("{e}"));
            let want = read(&self.dir.join("expected.yaml"));
            assert!(
                got == want,
                "{}:\n--- want\n{want}\n--- got\n{got}",
                self.dir.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    fn check(case: &str) {
        let mut case = fixtures::load(case);
        let repl = case.list("replacements");
        let unmatched = apply_replacements_to(&mut case.resources, &repl);
        assert_eq!(unmatched, Ok(Vec::new()));
        case.check();
    }

    #[test]
    fn conformance_050_replacements_basic() {
        check("conformance/kustomize/050-replacements-basic");
    }

    #[test]
    fn conformance_051_replacements_options() {
        check("conformance/kustomize/051-replacements-options");
    }

    /// Typing, regex item matches, delimiters, rejects and a source changed by its own
    /// replacement, against `kubectl kustomize` output.
    #[test]
    fn quirks_fixture() {
        check("replacements/quirks");
    }

    #[test]
    fn history_fixture() {
        check("replacements/history");
    }

    #[test]
    fn plain_documents_are_selected_by_their_current_names() {
        let mut case = fixtures::load("conformance/kustomize/051-replacements-options");
        let mut roots: Vec<Node> = case.resources.iter().map(|r| r.doc.root.clone()).collect();
        assert_eq!(
            apply_replacements(&mut roots, &case.list("replacements")),
            Ok(Vec::new())
        );
        for (r, root) in case.resources.iter_mut().zip(roots) {
            r.doc.root = root;
        }
        case.check();
    }

    fn doc(s: &str) -> Node {
        parse_str(s).unwrap().remove(0)
    }

    fn docs(s: &str) -> Vec<Node> {
        parse_str(s).unwrap()
    }

    fn run(resources: &str, repl: &str) -> Result<Vec<Node>, ReplError> {
        let mut res = docs(resources);
        apply_replacements(&mut res, doc(repl).as_seq().unwrap())?;
        Ok(res)
    }

    const RES: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\ndata:\n  port: \"5432\"\n  img: reg.io/app:1.2.3\n  num: abc\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  labels: {app: a}\nspec:\n  type: PLACEHOLDER\n  clusterIP:\n  ports:\n  - {name: http, port: 80}\n  - {name: https, port: 81}\n";

    fn repl(source: &str, fields: &str, options: &str) -> String {
        format!(
            "- source: {{kind: ConfigMap, fieldPath: {source}}}\n  targets:\n  - select: {{kind: Service}}\n    fieldPaths: [{fields}]\n    options: {{{options}}}\n"
        )
    }

    fn svc(out: &[Node]) -> &Node {
        &out[1]
    }

    #[test]
    fn splits_paths_like_kyaml() {
        let s = |p: &str| split_field_path(p);
        assert_eq!(
            s("spec.template.spec.containers.0.image"),
            ["spec", "template", "spec", "containers", "0", "image"]
        );
        assert_eq!(
            s("a.[name=com.foo.app].image"),
            ["a", "[name=com.foo.app]", "image"]
        );
        assert_eq!(
            s("metadata.annotations.[config.kubernetes.io/x]"),
            ["metadata", "annotations", "config.kubernetes.io/x"]
        );
        assert_eq!(s(r"spec.a\.b.c"), ["spec", "a.b", "c"]);
        assert_eq!(s("data.[port]"), ["data", "[port]"]);
        assert_eq!(s("a..b"), ["a", "", "b"]);
    }

    #[test]
    fn source_lookup_is_exact_and_target_matching_is_an_unanchored_regex() {
        let out = run(RES, &repl("data.port", "'spec.ports.[name=ht].port'", "")).unwrap();
        let ports: Vec<i64> = svc(&out)
            .path(&["spec", "ports"])
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .filter_map(|p| p.get("port").and_then(Node::as_i64))
            .collect();
        // `ht` matches both `http` and `https`; the string "5432" lands in int fields as an int.
        assert_eq!(ports, [5432, 5432]);
        let e = run(RES, "- source: {kind: Service, fieldPath: 'spec.ports.[name=ht].port'}\n  targets: [{select: {kind: ConfigMap}, fieldPaths: [data.port]}]").unwrap_err();
        assert!(
            e.0.contains(
                "is missing for replacement source Service.[noVer].[noGrp]/[noName].[noNs]"
            ),
            "{e}"
        );
    }

    #[test]
    fn scalar_targets_keep_their_type() {
        let out = run(RES, &repl("data.port", "spec.type, spec.ports.1.port", "")).unwrap();
        assert_eq!(svc(&out).str_at(&["spec", "type"]), Some("5432"));
        assert_eq!(
            svc(&out)
                .path(&["spec", "ports"])
                .unwrap()
                .as_seq()
                .unwrap()[1]
                .get("port")
                .unwrap()
                .as_i64(),
            Some(5432)
        );
        let e = run(RES, &repl("data.num", "spec.ports.0.port", "")).unwrap_err();
        assert_eq!(e.0, "cannot decode !!str `abc` as a !!int");
        let e = run(RES, &repl("data.port", "spec.clusterIP", "")).unwrap_err();
        assert_eq!(e.0, "cannot decode !!int `5432` as a !!null");
        // kustomize notices only when printing: a later replacement may mend the field, and a
        // later error comes first.
        let mend =
            repl("data.num", "spec.ports.0.port", "") + &repl("data.port", "spec.ports.0.port", "");
        let out = run(RES, &mend).unwrap();
        assert_eq!(
            svc(&out)
                .path(&["spec", "ports"])
                .unwrap()
                .as_seq()
                .unwrap()[0]
                .get("port")
                .unwrap()
                .as_i64(),
            Some(5432)
        );
        let later = repl("data.num", "spec.ports.0.port", "") + &repl("data.port", "spec.nope", "");
        assert!(
            run(RES, &later)
                .unwrap_err()
                .0
                .starts_with("unable to find field")
        );
    }

    #[test]
    fn fields_created_untagged_stay_so() {
        // Created as `5432` and `9` (ints to yaml), then rewritten with `abc`: kustomize types
        // the new text afresh instead of keeping the first type.
        let r = repl(
            "data.port",
            "spec.x, 'spec.ports.[port=9].name'",
            "create: true",
        ) + &repl("data.num", "spec.x, 'spec.ports.[port=9].port'", "");
        let out = run(RES, &r).unwrap();
        assert_eq!(svc(&out).str_at(&["spec", "x"]), Some("abc"));
        let added = &svc(&out)
            .path(&["spec", "ports"])
            .unwrap()
            .as_seq()
            .unwrap()[2];
        assert_eq!(
            (added.str_at(&["port"]), added.get("name").unwrap().as_i64()),
            (Some("abc"), Some(5432))
        );
        let out = run(
            RES,
            &repl("data.port", "'spec.ports.[name=zz].name'", "create: true"),
        )
        .unwrap();
        assert_eq!(
            svc(&out)
                .path(&["spec", "ports"])
                .unwrap()
                .as_seq()
                .unwrap()[2]
                .get("name")
                .unwrap()
                .value,
            Value::Int(5432)
        );
    }

    #[test]
    fn created_fields_are_typed_from_their_text() {
        let out = run(
            RES,
            &repl(
                "data.port",
                "spec.new.deep, 'spec.ports.[name=zz].port', spec.ports.3.port",
                "create: true",
            ),
        )
        .unwrap();
        let s = svc(&out);
        assert_eq!(
            s.path(&["spec", "new", "deep"]).unwrap().value,
            Value::Int(5432)
        );
        let ports = s.path(&["spec", "ports"]).unwrap().as_seq().unwrap();
        assert_eq!(ports.len(), 4);
        assert_eq!(
            (
                ports[2].str_at(&["name"]),
                ports[2].get("port").unwrap().as_i64()
            ),
            (Some("zz"), Some(5432))
        );
        assert_eq!(ports[3].get("port").unwrap().as_i64(), Some(5432));
        let e = run(RES, &repl("data.port", "spec.ports.9.port", "create: true")).unwrap_err();
        assert_eq!(
            e.0,
            "unable to find or create field \"spec.ports.9.port\" in replacement target: index 9 specified but only 2 elements found"
        );
        // Below a null field kustomize writes into nothing.
        let out = run(RES, &repl("data.port", "spec.clusterIP.x", "create: true")).unwrap();
        assert!(svc(&out).path(&["spec", "clusterIP"]).unwrap().is_null());
    }

    #[test]
    fn missing_target_fields_are_errors() {
        let e = run(RES, &repl("data.port", "spec.nope", "")).unwrap_err();
        assert_eq!(
            e.0,
            "unable to find field \"spec.nope\" in replacement target"
        );
        let e = run(RES, &repl("data.port", "spec.ports.port", "")).unwrap_err();
        assert!(
            e.0.ends_with("wrong node kind: expected MappingNode but got SequenceNode"),
            "{e}"
        );
        let e = run(RES, &repl("data.port", "spec.*", "")).unwrap_err();
        assert!(
            e.0.ends_with("expected SequenceNode but got MappingNode"),
            "{e}"
        );
    }

    #[test]
    fn wildcards_collections_and_whole_items() {
        let out = run(RES, &repl("metadata.name", "spec.ports.*.name", "")).unwrap();
        let names: Vec<&str> = svc(&out)
            .path(&["spec", "ports"])
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .filter_map(|p| p.str_at(&["name"]))
            .collect();
        assert_eq!(names, ["src", "src"]);
        // A collection into a scalar leaves its (empty) text; into a collection, a copy.
        let out = run(RES, &repl("data", "spec.type, spec.ports", "")).unwrap();
        assert_eq!(svc(&out).str_at(&["spec", "type"]), Some(""));
        assert_eq!(
            svc(&out).path(&["spec", "ports", "port"]).unwrap().as_str(),
            Some("5432")
        );
    }

    #[test]
    fn delimiter_and_index_on_source_and_target() {
        let r = "- source: {kind: ConfigMap, fieldPath: data.img, options: {delimiter: ':', index: 1}}\n  targets:\n  - select: {kind: Service}\n    fieldPaths: [spec.type]\n    options: {delimiter: '-', index: IDX}\n";
        let res = RES.replace("PLACEHOLDER", "a-b");
        let at = |idx: &str| {
            let out = run(&res, &r.replace("IDX", idx)).unwrap();
            svc(&out).str_at(&["spec", "type"]).unwrap().to_string()
        };
        assert_eq!(at("0"), "1.2.3-b");
        assert_eq!(at("1"), "a-1.2.3");
        assert_eq!(at("5"), "a-b-1.2.3");
        assert_eq!(at("-1"), "1.2.3-a-b");
        let e = run(RES, &r.replace("index: 1", "index: 2").replace("IDX", "0")).unwrap_err();
        assert_eq!(
            e.0,
            "options.index 2 is out of bounds for value reg.io/app:1.2.3"
        );
        let e = run(RES, &repl("data.port", "spec", "delimiter: '.'")).unwrap_err();
        assert_eq!(e.0, "delimiter option can only be used with scalar nodes");
    }

    #[test]
    fn source_selection_errors() {
        let one = |src: &str| {
            run(RES, &format!("- source: {{{src}}}\n  targets: []"))
                .err()
                .map(|e| e.0)
        };
        assert_eq!(
            one("kind: Nope"),
            Some("nothing selected by Nope.[noVer].[noGrp]/[noName].[noNs]".into())
        );
        assert_eq!(
            one("version: v1, fieldPath: data.x"),
            Some("multiple matches for selector [noKind].v1.[noGrp]/[noName].[noNs]:data.x".into())
        );
        assert_eq!(one("name: src"), None);
        assert!(run(RES, "- targets: []").is_err());
        assert!(
            run(
                RES,
                "- source: {kind: ConfigMap}\n  targets: [{fieldPaths: [a]}]"
            )
            .unwrap_err()
            .0
            .contains("must specify resources to select")
        );
    }

    #[test]
    fn selectors_reject_and_unmatched_targets() {
        let mut res = docs(RES);
        let r = doc(
            "- source: {kind: ConfigMap}\n  targets:\n  - select: {labelSelector: app=a}\n  - select: {kind: Service}\n    reject: [{labelSelector: 'app in (a,b)'}]\n  - select: {kind: Nope}\n    fieldPaths: [x]\n",
        );
        let unmatched = apply_replacements(&mut res, r.as_seq().unwrap()).unwrap();
        assert_eq!(res[1].str_at(&["metadata", "name"]), Some("src"));
        assert_eq!(unmatched.len(), 2);
        assert_eq!(
            unmatched[0],
            Unmatched {
                index: 0,
                description: "select kind=Service, reject labelSelector=app in (a,b)".into()
            }
        );
        assert_eq!(unmatched[1].description, "select kind=Nope");
    }

    #[test]
    fn selector_ids_namespaces_and_history() {
        let cm = doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-cm\n");
        let role = doc(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n",
        );
        let sel = |s: &str| Selector::from_node(&doc(s)).unwrap();
        assert!(sel("{namespace: default}").matches(&cm));
        assert!(sel("{namespace: default}").matches(&role));
        assert!(!sel("{kind: ClusterRole, namespace: x}").matches(&role));
        assert!(sel("{group: rbac.authorization.k8s.io, version: v1}").matches(&role));
        assert!(!sel("{name: cm}").matches(&cm));
        assert!(sel("{name: cm}").matches_any(&cm, &[(String::new(), "cm".into())]));
        assert!(!sel("{name: 'p-.*'}").matches(&cm));
        let labeled = doc(
            "kind: ConfigMap\nmetadata:\n  name: c\n  labels: {app: web, tier: fe}\n  annotations: {skip: 'yes'}\n",
        );
        assert!(
            sel("{labelSelector: 'app in (web,api),tier!=be', annotationSelector: skip}")
                .matches(&labeled)
        );
        assert!(!sel("{labelSelector: app=web, annotationSelector: '!skip'}").matches(&labeled));
        assert!(Selector::from_node(&doc("{labelSelector: 'a in (b'}")).is_err());
    }

    #[test]
    fn history_applies_to_sources_targets_and_rejects() {
        let mut resources = prefixed(RES, "p-");
        let r = doc(
            "- source: {kind: ConfigMap, name: src}\n  targets:\n  - select: {name: svc}\n    fieldPaths: [spec.type]\n  - select: {}\n    reject: [{name: svc}, {kind: ConfigMap}]\n",
        );
        let unmatched = apply_replacements_to(&mut resources, r.as_seq().unwrap()).unwrap();
        let root = &resources[1].doc.root;
        assert_eq!(root.str_at(&["spec", "type"]), Some("p-src"));
        assert_eq!(unmatched.len(), 1);
        // kustomize's prefix left the name untagged: a number-like text becomes a number.
        let r = doc(
            "- source: {kind: ConfigMap, fieldPath: data.port}\n  targets: [{select: {kind: Service}}]",
        );
        apply_replacements_to(&mut resources, r.as_seq().unwrap()).unwrap();
        let name = resources[1].doc.root.path(&["metadata", "name"]).unwrap();
        assert_eq!(name.value, Value::Int(5432));
    }

    #[test]
    fn earlier_namespaces_of_cluster_scoped_kinds_are_none() {
        let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: x\n";
        let resources = prefixed(role, "p-");
        let root = &resources[0].doc.root;
        let prev = &resources[0].prev;
        let sel = |s: &str| Selector::from_node(&doc(s)).unwrap();
        assert!(!sel("{namespace: default}").matches_any(root, prev));
        assert!(sel("{namespace: _non_namespaceable_, name: r}").matches_any(root, prev));
        // Its current identity, without a namespace, counts as being in `default`.
        let plain = doc(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n",
        );
        assert!(sel("{namespace: default}").matches(&plain));
    }

    /// The resources of `text`, renamed with a prefix as kfold's transformer does.
    fn prefixed(text: &str, prefix: &str) -> Vec<Resource> {
        use crate::doc::{Document, Source};
        let mut resources: Vec<Resource> = docs(text)
            .into_iter()
            .map(|root| {
                let source = Source::new("r.yaml", String::new());
                Resource::new(Document {
                    origin: None,
                    source,
                    index: 0,
                    item: None,
                    root,
                })
            })
            .collect();
        super::super::transform::prefix_suffix(&mut resources, Some(&Node::string(prefix)), None);
        resources
    }

    #[test]
    fn keys_match_case_insensitively_and_validate_flags_unknown_fields() {
        let out = run(RES, "- Source: {Kind: ConfigMap, fieldpath: data.port}\n  Targets: [{Select: {KIND: Service}, FieldPaths: [spec.type]}]").unwrap();
        assert_eq!(svc(&out).str_at(&["spec", "type"]), Some("5432"));
        assert!(validate(&doc("source: {kind: A, fieldpath: x}\ntargets: [{select: {kind: B}, options: {create: true}}]")).is_ok());
        let e = validate(&doc(
            "source: {kind: A}\ntargets: [{select: {kind: B, bogus: 1}}]",
        ))
        .unwrap_err();
        assert_eq!(e.0, "unknown field \"bogus\"");
        assert!(validate(&doc("source: {kind: A, labelSelector: x}\ntargets: []")).is_err());
        assert!(run(RES, "- source: {kind: ConfigMap}\n  targets: [{select: {kind: Service}, options: {index: '1'}}]").is_err());
    }
}
