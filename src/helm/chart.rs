//! Chart synthesis: the built resources of N environments → one Helm template per resource,
//! `values.yaml` (what most environments share) and `values-<env>.yaml` (exact overrides).
//!
//! Each resource's trees are aligned across environments: identical subtrees stay literal,
//! differing scalars become values, maps recurse over the union of their keys (a key only
//! some environments have is wrapped in a presence test), lists align by merge key or index,
//! and anything that cannot be aligned becomes one value rendered with `toYaml`.
//! Nothing here does I/O.

use crate::doc::{Map, Node, Value};
use crate::render::emit::emit;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One environment: its name, its built resources with their identity before overlays
/// renamed them, and what its overlay's kustomization sets for every resource.
pub struct EnvBuild {
    pub name: String,
    /// (group, kind, original namespace, original name) and the built resource.
    pub resources: Vec<(ResKey, Node)>,
    pub globals: EnvGlobals,
}

pub type ResKey = (String, String, String, String);

/// What an overlay's kustomization applies to every resource.
#[derive(Default, Clone, Debug)]
pub struct EnvGlobals {
    pub name_prefix: String,
    pub name_suffix: String,
    pub namespace: Option<String>,
    pub labels: BTreeMap<String, String>,
}

pub struct Options<'a> {
    pub chart_name: &'a str,
    /// Add `helm.sh/chart` and `app.kubernetes.io/managed-by` to every resource.
    pub chart_labels: bool,
    /// Where the environments came from, for Chart.yaml's description.
    pub source: &'a str,
}

#[derive(Clone, Debug)]
enum Cell {
    /// The resource does not exist in this environment: the value is never read.
    Skip,
    /// The resource exists but this field does not.
    Absent,
    Val(Node),
}

struct Slot {
    /// Raw path segments; `true` marks structural keys naming may drop (spec, template…).
    path: Vec<(String, bool)>,
    cells: Vec<Cell>,
    whole: bool,
    /// Filled in by naming: the path under `.Values`.
    name: Vec<String>,
}

enum T {
    Lit(Node),
    Slot(usize),
    /// A template expression that prints a JSON scalar.
    Expr(String),
    /// Entries with a flag: present in only some environments (the child is then a slot).
    Map(Vec<(String, T, bool)>),
    Seq(Vec<(T, bool)>),
}

/// Lists of maps align by the first of these keys every item has, unique per list.
const ITEM_KEYS: &[&str] = &[
    "name",
    "mountPath",
    "containerPort",
    "port",
    "devicePath",
    "ip",
    "key",
];

/// Segments naming may drop, shortest first: L0 drops all, L1 keeps `metadata`.
const STRUCTURAL: &[&str] = &["spec", "template", "metadata"];

const COMMON: &str = "common";

/// Order-insensitive equality of maps (the canonical output sorts keys anyway).
pub fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => *x as f64 == *y,
        (x, y) => x == y,
    }
}

fn is_scalar(n: &Node) -> bool {
    !matches!(n.value, Value::Map(_) | Value::Seq(_))
}

/// A string Helm would read as a template.
fn has_braces(n: &Node) -> bool {
    match &n.value {
        Value::String(s) => s.contains("{{") || s.contains("}}"),
        Value::Map(m) => m.iter().any(|(k, v)| k.contains("{{") || has_braces(v)),
        Value::Seq(items) => items.iter().any(has_braces),
        _ => false,
    }
}

fn has_null(n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Map(m) => m.iter().any(|(_, v)| has_null(v)),
        Value::Seq(items) => items.iter().any(has_null),
        _ => false,
    }
}

/// An identifier Helm's `.Values.a.b` accepts: `acme-api` → `acmeApi`, `ACME_ENV` → `acmeEnv`.
pub fn camel(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let upper = word.chars().all(|c| !c.is_ascii_lowercase());
        let word = if upper {
            word.to_ascii_lowercase()
        } else {
            word.to_string()
        };
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if out.is_empty() {
                out.push(first.to_ascii_lowercase());
            } else {
                out.push(first.to_ascii_uppercase());
            }
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

struct Aligner<'a> {
    slots: Vec<Slot>,
    envs: &'a [EnvBuild],
    /// (expression, value per environment) for namespace and labels the overlays set.
    globals: Vec<(String, Vec<String>)>,
    used_globals: std::collections::BTreeSet<String>,
    names_used: bool,
    chart: &'a str,
}

impl Aligner<'_> {
    fn slot(&mut self, path: &[(String, bool)], nodes: &[Option<Cell>]) -> T {
        let cells: Vec<Cell> = nodes
            .iter()
            .map(|c| c.clone().unwrap_or(Cell::Skip))
            .collect();
        let whole = cells
            .iter()
            .any(|c| matches!(c, Cell::Val(n) if !is_scalar(n)));
        self.slots.push(Slot {
            path: path.to_vec(),
            cells,
            whole,
            name: Vec::new(),
        });
        T::Slot(self.slots.len() - 1)
    }

    fn align(&mut self, path: &mut Vec<(String, bool)>, nodes: &[Option<&Node>]) -> T {
        let present: Vec<&Node> = nodes.iter().flatten().copied().collect();
        let cells: Vec<Option<Cell>> = nodes
            .iter()
            .map(|n| n.map(|n| Cell::Val(n.clone())))
            .collect();
        let Some(first) = present.first().copied() else {
            return self.slot(path, &cells);
        };
        let all_same = present.iter().all(|n| same(n, first));
        if all_same && !has_braces(first) {
            return T::Lit(first.clone());
        }
        let mark = self.slots.len();
        if present.iter().all(|n| n.as_map().is_some()) {
            if let Some(t) = self.align_map(path, nodes) {
                return t;
            }
        } else if present.iter().all(|n| n.as_seq().is_some()) {
            if let Some(t) = self.align_seq(path, nodes) {
                return t;
            }
        } else if !all_same && let Some(e) = self.global(nodes) {
            return T::Expr(e);
        }
        self.slots.truncate(mark);
        self.slot(path, &cells)
    }

    fn align_map(&mut self, path: &mut Vec<(String, bool)>, nodes: &[Option<&Node>]) -> Option<T> {
        let mut keys: Vec<&str> = Vec::new();
        for n in nodes.iter().flatten() {
            for (k, _) in n.as_map()?.iter() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let mut entries = Vec::new();
        let mut required = false;
        for key in keys {
            let children: Vec<Option<Option<&Node>>> =
                nodes.iter().map(|n| n.map(|n| n.get(key))).collect();
            let everywhere = children.iter().flatten().all(Option::is_some);
            path.push((key.to_string(), STRUCTURAL.contains(&key)));
            let t = if everywhere {
                required = true;
                let flat: Vec<Option<&Node>> = children.iter().map(|c| c.flatten()).collect();
                (self.align(path, &flat), false)
            } else {
                // A present null would fail the presence test: the parent becomes one value.
                if children.iter().flatten().flatten().any(|n| n.is_null()) {
                    path.pop();
                    return None;
                }
                (self.slot(path, &cells(&children)), true)
            };
            path.pop();
            entries.push((key.to_string(), t.0, t.1));
        }
        // With no key every environment has, an empty map would render as null.
        required.then_some(T::Map(entries))
    }

    fn align_seq(&mut self, path: &mut Vec<(String, bool)>, nodes: &[Option<&Node>]) -> Option<T> {
        let seqs: Vec<Option<&[Node]>> = nodes
            .iter()
            .map(|n| n.map(|n| n.as_seq().unwrap_or_default()))
            .collect();
        let mark = self.slots.len();
        for key in ITEM_KEYS {
            let Some(ids) = item_ids(&seqs, key) else {
                continue;
            };
            let Some(order) = merged_order(&ids) else {
                continue;
            };
            let mut items = Vec::new();
            for id in &order {
                let children: Vec<Option<Option<&Node>>> = seqs
                    .iter()
                    .zip(&ids)
                    .map(|(s, i)| {
                        let (s, i) = (s.as_ref()?, i.as_ref()?);
                        Some(i.iter().position(|x| x == id).map(|p| &s[p]))
                    })
                    .collect();
                path.push((id.clone(), false));
                let everywhere = children.iter().flatten().all(Option::is_some);
                let item = if everywhere {
                    let flat: Vec<Option<&Node>> = children.iter().map(|c| c.flatten()).collect();
                    (self.align(path, &flat), false)
                } else {
                    (self.slot(path, &cells(&children)), true)
                };
                path.pop();
                items.push(item);
            }
            // Items no two environments share (names carrying an environment prefix)
            // align better by position when the lists are as long.
            if items.iter().any(|(_, optional)| *optional) && same_len(&seqs) {
                self.slots.truncate(mark);
                break;
            }
            return Some(T::Seq(items));
        }
        if !same_len(&seqs) {
            return None;
        }
        let len = seqs.iter().flatten().next()?.len();
        let mut items = Vec::new();
        for i in 0..len {
            let children: Vec<Option<&Node>> = seqs.iter().map(|s| s.map(|s| &s[i])).collect();
            path.push((format!("_{i}"), false));
            items.push((self.align(path, &children), false));
            path.pop();
        }
        Some(T::Seq(items))
    }

    /// A differing string that is, in every environment, what its overlay sets for every
    /// resource (namespace, a label) or a name with the overlay's prefix and suffix.
    fn global(&mut self, nodes: &[Option<&Node>]) -> Option<String> {
        if nodes
            .iter()
            .flatten()
            .any(|n| !matches!(n.value, Value::String(_)))
        {
            return None;
        }
        let values: Vec<Option<&str>> = nodes.iter().map(|n| n.and_then(Node::as_str)).collect();
        for (expr, per_env) in &self.globals {
            if values
                .iter()
                .zip(per_env)
                .all(|(v, g)| v.is_none_or(|v| v == g))
            {
                self.used_globals.insert(expr.clone());
                return Some(format!("{expr} | toJson"));
            }
        }
        let mut base: Option<&str> = None;
        for (v, e) in values.iter().zip(self.envs) {
            let Some(v) = v else { continue };
            let b = v
                .strip_prefix(e.globals.name_prefix.as_str())?
                .strip_suffix(e.globals.name_suffix.as_str())?;
            if base.is_some_and(|x| x != b) {
                return None;
            }
            base = Some(b);
        }
        let base = base?;
        self.names_used = true;
        let quoted = serde_json::to_string(base).ok()?;
        Some(format!("include \"{}.name\" (list . {quoted})", self.chart))
    }
}

fn same_len(seqs: &[Option<&[Node]>]) -> bool {
    let mut lens = seqs.iter().flatten().map(|s| s.len());
    let first = lens.next();
    lens.all(|l| Some(l) == first)
}

/// Each list's item ids by `key`, when every item is a map with a unique scalar `key`.
fn item_ids(seqs: &[Option<&[Node]>], key: &str) -> Option<Vec<Option<Vec<String>>>> {
    seqs.iter()
        .map(|s| {
            let Some(s) = s else { return Some(None) };
            let ids: Vec<String> = s
                .iter()
                .map(|item| item.get(key).filter(|n| is_scalar(n))?.scalar_text())
                .collect::<Option<_>>()?;
            let mut sorted = ids.clone();
            sorted.sort();
            sorted.dedup();
            (sorted.len() == ids.len()).then_some(Some(ids))
        })
        .collect()
}

/// One order of all ids that keeps every environment's order, if there is one.
fn merged_order(ids: &[Option<Vec<String>>]) -> Option<Vec<String>> {
    let mut order: Vec<String> = Vec::new();
    for list in ids.iter().flatten() {
        let mut at = 0;
        for id in list {
            match order.iter().position(|x| x == id) {
                Some(p) => at = p + 1,
                None => {
                    order.insert(at, id.clone());
                    at += 1;
                }
            }
        }
    }
    let consistent = ids.iter().flatten().all(|list| {
        let filtered: Vec<&String> = order.iter().filter(|x| list.contains(x)).collect();
        filtered.len() == list.len() && filtered.iter().zip(list).all(|(a, b)| *a == b)
    });
    consistent.then_some(order)
}

/// Values path candidates for a slot at naming level 0 (drop spec/template/metadata),
/// 1 (drop spec/template), 2 (full path).
fn slot_name(path: &[(String, bool)], level: usize) -> Vec<String> {
    path.iter()
        .filter(|(seg, structural)| {
            !*structural
                || match level {
                    0 => false,
                    1 => seg == "metadata",
                    _ => true,
                }
        })
        .map(|(seg, _)| camel(seg))
        .collect()
}

fn conflicts(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Names every slot of one resource: as short as it can be without two names colliding
/// (or one being the parent of another).
fn name_slots(slots: &mut [Slot], range: std::ops::Range<usize>, reserved: &[Vec<String>]) {
    let mut level = vec![0usize; range.len()];
    let mut extra = vec![0usize; range.len()];
    loop {
        let names: Vec<Vec<String>> = range
            .clone()
            .zip(level.iter().zip(&extra))
            .map(|(i, (&l, &x))| {
                let mut n = slot_name(&slots[i].path, l);
                if n.is_empty() {
                    n.push("value".into());
                }
                if x > 0
                    && let Some(last) = n.last_mut()
                {
                    last.push_str(&(x + 1).to_string());
                }
                n
            })
            .collect();
        let mut bad = vec![false; names.len()];
        for i in 0..names.len() {
            if reserved.iter().any(|r| conflicts(r, &names[i])) {
                bad[i] = true;
            }
            for j in i + 1..names.len() {
                if conflicts(&names[i], &names[j]) {
                    bad[i] = true;
                    bad[j] = true;
                }
            }
        }
        if !bad.contains(&true) {
            for (i, n) in range.clone().zip(names) {
                slots[i].name = n;
            }
            return;
        }
        for (k, b) in bad.iter().enumerate() {
            if *b {
                if level[k] < 2 {
                    level[k] += 1;
                } else {
                    extra[k] += 1;
                }
            }
        }
    }
}

fn most_common(cells: &[Cell]) -> Option<Node> {
    let mut counts: Vec<(Option<&Node>, usize)> = Vec::new();
    for c in cells {
        let v = match c {
            Cell::Skip => continue,
            Cell::Absent => None,
            // Helm drops nulls from defaults: a value holding one is set per environment.
            Cell::Val(n) if has_null(n) => None,
            Cell::Val(n) => Some(n),
        };
        match counts.iter_mut().find(|(x, _)| match (x, v) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        }) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .and_then(|(v, _)| v.cloned())
}

/// What a values file must say so that Helm's merge of it into `default` gives `value`:
/// maps merge in Helm, so keys the default has and the value lacks are set to null.
fn override_of(default: &Node, value: &Node) -> Node {
    match (default.as_map(), value.as_map()) {
        (Some(d), Some(v)) => {
            let mut m = Map::default();
            for (k, vv) in v.iter() {
                match d.get(k) {
                    Some(dv) if same(dv, vv) => {}
                    Some(dv) => {
                        m.insert(k, override_of(dv, vv));
                    }
                    None => {
                        m.insert(k, vv.clone());
                    }
                }
            }
            for (k, _) in d.iter() {
                if !v.contains_key(k) {
                    m.insert(k, Node::null());
                }
            }
            Node::new(Value::Map(m))
        }
        _ => value.clone(),
    }
}

fn set_path(root: &mut Node, path: &[String], value: Option<Node>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = root;
    for seg in parents {
        if node.as_map().is_none() {
            *node = Node::map();
        }
        let Some(m) = node.as_map_mut() else { return };
        if !m.contains_key(seg) {
            m.insert(seg.clone(), Node::map());
        }
        let Some(next) = m.get_mut(seg) else { return };
        node = next;
    }
    if node.as_map().is_none() {
        *node = Node::map();
    }
    if let (Some(m), Some(v)) = (node.as_map_mut(), value) {
        m.insert(last.clone(), v);
    }
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

fn yaml_key(k: &str) -> String {
    emit(&Node::string(k))
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| serde_json::to_string(k).unwrap_or_default())
}

struct Renderer<'a> {
    slots: &'a [Slot],
}

impl Renderer<'_> {
    fn reference(&self, slot: usize) -> String {
        format!(".Values.{}", self.slots[slot].name.join("."))
    }

    fn presence(&self, t: &T, ind: usize, out: &mut String) {
        if let T::Slot(i) = t {
            out.push_str(&format!(
                "{}{{{{- if not (kindIs \"invalid\" {}) }}}}\n",
                " ".repeat(ind),
                self.reference(*i)
            ));
        }
    }

    fn end(&self, ind: usize, out: &mut String) {
        out.push_str(&format!("{}{{{{- end }}}}\n", " ".repeat(ind)));
    }

    fn map(&self, entries: &[(String, T, bool)], ind: usize, out: &mut String) {
        let pad = " ".repeat(ind);
        for (key, t, optional) in entries {
            if *optional {
                self.presence(t, ind, out);
            }
            let k = yaml_key(key);
            match t {
                T::Lit(node) => {
                    let mut m = Map::default();
                    m.insert(key.clone(), node.clone());
                    let text = emit(&Node::new(Value::Map(m))).unwrap_or_default();
                    out.push_str(&indent(&text, ind));
                }
                T::Slot(i) if self.slots[*i].whole => out.push_str(&format!(
                    "{pad}{k}:\n{pad}  {{{{- toYaml {} | nindent {} }}}}\n",
                    self.reference(*i),
                    ind + 2
                )),
                T::Slot(i) => out.push_str(&format!(
                    "{pad}{k}: {{{{ toJson {} }}}}\n",
                    self.reference(*i)
                )),
                T::Expr(e) => out.push_str(&format!("{pad}{k}: {{{{ {e} }}}}\n")),
                T::Map(entries) => {
                    out.push_str(&format!("{pad}{k}:\n"));
                    self.map(entries, ind + 2, out);
                }
                T::Seq(items) => {
                    out.push_str(&format!("{pad}{k}:\n"));
                    self.seq(items, ind + 2, out);
                }
            }
            if *optional {
                self.end(ind, out);
            }
        }
    }

    fn seq(&self, items: &[(T, bool)], ind: usize, out: &mut String) {
        let pad = " ".repeat(ind);
        for (t, optional) in items {
            if *optional {
                self.presence(t, ind, out);
            }
            match t {
                T::Lit(node) => {
                    let text = emit(&Node::new(Value::Seq(vec![node.clone()]))).unwrap_or_default();
                    out.push_str(&indent(&text, ind));
                }
                T::Slot(i) if self.slots[*i].whole => out.push_str(&format!(
                    "{pad}-\n{pad}  {{{{- toYaml {} | nindent {} }}}}\n",
                    self.reference(*i),
                    ind + 2
                )),
                T::Slot(i) => {
                    out.push_str(&format!("{pad}- {{{{ toJson {} }}}}\n", self.reference(*i)))
                }
                T::Expr(e) => out.push_str(&format!("{pad}- {{{{ {e} }}}}\n")),
                T::Map(entries) => {
                    let mut inner = String::new();
                    self.map(entries, ind + 2, &mut inner);
                    out.push_str(&dash(&inner, ind));
                }
                T::Seq(items) => {
                    let mut inner = String::new();
                    self.seq(items, ind + 2, &mut inner);
                    out.push_str(&dash(&inner, ind));
                }
            }
            if *optional {
                self.end(ind, out);
            }
        }
    }
}

/// A list item from its content rendered two columns in: `- ` takes the first line's
/// indentation when that line is content, else the item starts on a line of its own.
fn dash(inner: &str, ind: usize) -> String {
    let pad = " ".repeat(ind);
    let first = inner.lines().next().unwrap_or("");
    let rest = first.strip_prefix(&" ".repeat(ind + 2)).unwrap_or("");
    if !rest.is_empty() && !rest.starts_with(' ') && !rest.starts_with("{{") {
        format!("{pad}- {}", &inner[ind + 2..])
    } else {
        format!("{pad}-\n{inner}")
    }
}

/// Annotations as kustomize prints them: strings, read from their source text.
fn normalize(mut node: Node) -> Node {
    if let Some(meta) = node.get_mut("metadata").and_then(Node::as_map_mut) {
        let empty = meta
            .get("annotations")
            .and_then(Node::as_map)
            .is_some_and(Map::is_empty);
        if empty {
            meta.remove("annotations");
        }
        if let Some(a) = meta.get_mut("annotations").and_then(Node::as_map_mut) {
            for e in &mut a.entries {
                if !matches!(e.value.value, Value::String(_) | Value::Null) {
                    let text = e
                        .value
                        .raw
                        .as_deref()
                        .map(str::to_string)
                        .or_else(|| e.value.scalar_text())
                        .unwrap_or_default();
                    e.value = Node::string(text);
                }
            }
        }
    }
    node
}

/// The mapping under `key`, made (or opened up from a literal) when needed.
fn child_map<'a>(
    entries: &'a mut Vec<(String, T, bool)>,
    key: &str,
) -> Option<&'a mut Vec<(String, T, bool)>> {
    let i = match entries.iter().position(|(k, _, _)| k == key) {
        Some(i) => i,
        None => {
            entries.push((key.into(), T::Map(Vec::new()), false));
            entries.len() - 1
        }
    };
    let child = &mut entries[i].1;
    if let T::Lit(n) = child {
        *child = lit_to_map(n);
    }
    match child {
        T::Map(m) => Some(m),
        _ => None,
    }
}

/// `helm.sh/chart` and `app.kubernetes.io/managed-by` on the resource's own labels.
fn add_chart_labels(t: &mut T, chart: &str) {
    let T::Map(entries) = t else { return };
    let Some(meta) = child_map(entries, "metadata") else {
        return;
    };
    let Some(labels) = child_map(meta, "labels") else {
        return;
    };
    labels.retain(|(k, _, _)| k != "helm.sh/chart" && k != "app.kubernetes.io/managed-by");
    labels.push((
        "helm.sh/chart".into(),
        T::Expr(format!("include \"{chart}.chart\" . | toJson")),
        false,
    ));
    labels.push((
        "app.kubernetes.io/managed-by".into(),
        T::Expr(".Release.Service | toJson".into()),
        false,
    ));
}

fn lit_to_map(n: &Node) -> T {
    match n.as_map() {
        Some(m) => T::Map(
            m.iter()
                .map(|(k, v)| (k.to_string(), T::Lit(v.clone()), false))
                .collect(),
        ),
        None => T::Lit(n.clone()),
    }
}

fn file_stem(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

struct Resource {
    key: ResKey,
    nodes: Vec<Option<Node>>,
    values_key: Vec<String>,
    file: String,
    toggled: bool,
    tree: T,
    slots: std::ops::Range<usize>,
}

fn jinja() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    // Helm's own `{{ }}` must pass through untouched: kfold's templates use [[ ]] and [% %].
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .block_delimiters("[%", "%]")
        .variable_delimiters("[[", "]]")
        .comment_delimiters("[#", "#]")
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    for (name, text) in [
        (
            "Chart.yaml",
            include_str!("../../templates/helm/Chart.yaml.j2"),
        ),
        (
            "_helpers.tpl",
            include_str!("../../templates/helm/_helpers.tpl.j2"),
        ),
        (
            "resource.yaml",
            include_str!("../../templates/helm/resource.yaml.j2"),
        ),
        (
            "values.yaml",
            include_str!("../../templates/helm/values.yaml.j2"),
        ),
    ] {
        // A broken built-in template shows as a failed proof, not as a panic.
        let _ = env.add_template(name, text);
    }
    env
}

fn render(env: &minijinja::Environment, name: &str, ctx: minijinja::Value) -> String {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| format!("# templates/helm/{name}.j2: {e}\n"))
}

/// Every file of the chart, relative to the chart folder.
pub fn generate(envs: &[EnvBuild], opts: &Options) -> Vec<(PathBuf, String)> {
    let n = envs.len();
    // Resources matched across environments, in the first environment's build order.
    let mut order: Vec<ResKey> = Vec::new();
    let mut by_key: BTreeMap<ResKey, Vec<Option<Node>>> = BTreeMap::new();
    for (i, e) in envs.iter().enumerate() {
        for (key, node) in &e.resources {
            let slot = by_key.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                vec![None; n]
            });
            slot[i] = Some(normalize(node.clone()));
        }
    }
    let mut globals = Vec::new();
    if envs.iter().any(|e| e.globals.namespace.is_some()) {
        globals.push((
            format!(".Values.{COMMON}.namespace"),
            envs.iter()
                .map(|e| e.globals.namespace.clone().unwrap_or_default())
                .collect(),
        ));
    }
    let label_keys: std::collections::BTreeSet<&String> =
        envs.iter().flat_map(|e| e.globals.labels.keys()).collect();
    for k in &label_keys {
        globals.push((
            format!(
                "(index .Values.{COMMON}.labels {})",
                serde_json::to_string(k).unwrap_or_default()
            ),
            envs.iter()
                .map(|e| e.globals.labels.get(*k).cloned().unwrap_or_default())
                .collect(),
        ));
    }
    let mut al = Aligner {
        slots: Vec::new(),
        envs,
        globals,
        used_globals: Default::default(),
        names_used: false,
        chart: opts.chart_name,
    };
    // Values keys: the resource's name, with its kind when several resources share it.
    let mut top: BTreeMap<String, Vec<ResKey>> = BTreeMap::new();
    for k in &order {
        top.entry(camel(&k.3)).or_default().push(k.clone());
    }
    let mut resources = Vec::new();
    let mut files_used: BTreeMap<String, usize> = BTreeMap::new();
    for key in &order {
        let nodes = by_key.remove(key).unwrap_or_default();
        let name = camel(&key.3);
        let shared = top.get(&name).map_or(0, Vec::len) > 1 || name == COMMON;
        let mut values_key = vec![name.clone()];
        if shared {
            let same_kind = top
                .get(&name)
                .map_or(0, |v| v.iter().filter(|k| k.1 == key.1).count());
            values_key.push(if same_kind > 1 {
                camel(&format!("{} {} {}", key.1, key.0, key.2))
            } else {
                camel(&key.1)
            });
        }
        let mut stem = format!("{}-{}", key.1.to_lowercase(), file_stem(&key.3));
        let count = files_used.entry(stem.clone()).or_default();
        *count += 1;
        if *count > 1 {
            stem = format!("{stem}-{count}");
        }
        let refs: Vec<Option<&Node>> = nodes.iter().map(Option::as_ref).collect();
        let start = al.slots.len();
        let mut tree = al.align(&mut Vec::new(), &refs);
        if opts.chart_labels {
            add_chart_labels(&mut tree, opts.chart_name);
        }
        let toggled = nodes.iter().any(Option::is_none);
        resources.push(Resource {
            key: key.clone(),
            nodes,
            values_key,
            file: format!("templates/{stem}.yaml"),
            toggled,
            tree,
            slots: start..al.slots.len(),
        });
    }
    let names_used = al.names_used;
    let used_globals = al.used_globals;
    let mut slots = al.slots;
    for r in &resources {
        let reserved: Vec<Vec<String>> = if r.toggled {
            vec![vec!["enabled".into()]]
        } else {
            Vec::new()
        };
        name_slots(&mut slots, r.slots.clone(), &reserved);
        for i in r.slots.clone() {
            let mut full = r.values_key.clone();
            full.append(&mut slots[i].name);
            slots[i].name = full;
        }
    }

    // Values: defaults and one override file per environment.
    let mut defaults = Node::map();
    let mut per_env: Vec<Node> = vec![Node::map(); n];
    let put = |path: &[String], cells: &[Cell], defaults: &mut Node, per_env: &mut [Node]| {
        let default = most_common(cells);
        set_path(defaults, path, default.clone());
        for (e, c) in cells.iter().enumerate() {
            let v = match (c, &default) {
                (Cell::Skip, _) | (Cell::Absent, None) => None,
                (Cell::Absent, Some(_)) => Some(Node::null()),
                (Cell::Val(v), Some(d)) if same(v, d) => None,
                (Cell::Val(v), Some(d)) => Some(override_of(d, v)),
                (Cell::Val(v), None) => Some(v.clone()),
            };
            if v.is_some() {
                set_path(&mut per_env[e], path, v);
            }
        }
    };
    let mut common_cells: Vec<(Vec<String>, Vec<Cell>)> = Vec::new();
    if names_used {
        for (key, get) in [
            (
                "namePrefix",
                (|g: &EnvGlobals| g.name_prefix.clone()) as fn(&EnvGlobals) -> String,
            ),
            ("nameSuffix", |g: &EnvGlobals| g.name_suffix.clone()),
        ] {
            common_cells.push((
                vec![COMMON.into(), key.into()],
                envs.iter()
                    .map(|e| Cell::Val(Node::string(get(&e.globals))))
                    .collect(),
            ));
        }
    }
    if used_globals.iter().any(|g| g.ends_with(".namespace")) {
        common_cells.push((
            vec![COMMON.into(), "namespace".into()],
            envs.iter()
                .map(|e| {
                    Cell::Val(Node::string(
                        e.globals.namespace.clone().unwrap_or_default(),
                    ))
                })
                .collect(),
        ));
    }
    for k in &label_keys {
        let expr = format!(
            "(index .Values.{COMMON}.labels {})",
            serde_json::to_string(k).unwrap_or_default()
        );
        if used_globals.contains(&expr) {
            common_cells.push((
                vec![COMMON.into(), "labels".into(), (*k).clone()],
                envs.iter()
                    .map(|e| {
                        Cell::Val(Node::string(
                            e.globals.labels.get(*k).cloned().unwrap_or_default(),
                        ))
                    })
                    .collect(),
            ));
        }
    }
    for (path, cells) in &common_cells {
        put(path, cells, &mut defaults, &mut per_env);
    }
    for r in &resources {
        if r.toggled {
            let mut path = r.values_key.clone();
            path.push("enabled".into());
            let cells: Vec<Cell> = r
                .nodes
                .iter()
                .map(|x| Cell::Val(Node::new(Value::Bool(x.is_some()))))
                .collect();
            put(&path, &cells, &mut defaults, &mut per_env);
        }
        for i in r.slots.clone() {
            put(&slots[i].name, &slots[i].cells, &mut defaults, &mut per_env);
        }
    }

    let jinja = jinja();
    let env_names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    let mut files = vec![
        (
            PathBuf::from("Chart.yaml"),
            render(
                &jinja,
                "Chart.yaml",
                minijinja::context! { name => opts.chart_name, source => opts.source, envs => env_names.clone(), version => env!("CARGO_PKG_VERSION") },
            ),
        ),
        (
            PathBuf::from("templates/_helpers.tpl"),
            render(
                &jinja,
                "_helpers.tpl",
                minijinja::context! { name => opts.chart_name, common => COMMON },
            ),
        ),
        (
            PathBuf::from("values.yaml"),
            render(
                &jinja,
                "values.yaml",
                minijinja::context! { env => (), envs => env_names.clone(), body => emit(&defaults).unwrap_or_default() },
            ),
        ),
    ];
    for (e, v) in envs.iter().zip(&per_env) {
        files.push((
            PathBuf::from(format!("values-{}.yaml", e.name)),
            render(
                &jinja,
                "values.yaml",
                minijinja::context! { env => e.name.clone(), body => emit(v).unwrap_or_default() },
            ),
        ));
    }
    let renderer = Renderer { slots: &slots };
    for r in &resources {
        let mut body = String::new();
        match &r.tree {
            T::Map(entries) => renderer.map(entries, 0, &mut body),
            T::Lit(node) => body = emit(node).unwrap_or_default(),
            _ => {}
        }
        let present: Vec<String> = r
            .nodes
            .iter()
            .zip(&env_names)
            .filter(|(x, _)| x.is_some())
            .map(|(_, e)| e.clone())
            .collect();
        let toggle = r
            .toggled
            .then(|| format!(".Values.{}.enabled", r.values_key.join(".")));
        files.push((
            PathBuf::from(&r.file),
            render(
                &jinja,
                "resource.yaml",
                minijinja::context! {
                    kind => r.key.1.clone(),
                    name => r.key.3.clone(),
                    envs => present,
                    toggle => toggle,
                    body => body,
                },
            ),
        ));
    }
    files
}

/// Per environment: the node it has here, `Absent` where the environment has the parent
/// but not this, `None` where it lacks the parent too.
fn cells(children: &[Option<Option<&Node>>]) -> Vec<Option<Cell>> {
    children
        .iter()
        .map(|c| {
            c.map(|c| match c {
                Some(n) => Cell::Val(n.clone()),
                None => Cell::Absent,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_keys_are_identifiers() {
        assert_eq!(camel("acme-api"), "acmeApi");
        assert_eq!(camel("ACME_ENV"), "acmeEnv");
        assert_eq!(camel("containerPort"), "containerPort");
        assert_eq!(camel("app.kubernetes.io/name"), "appKubernetesIoName");
        assert_eq!(camel("8080"), "_8080");
        assert_eq!(camel("--"), "_");
    }

    #[test]
    fn merged_order_keeps_every_order_or_gives_up() {
        let l = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            merged_order(&[l(&["a", "c"]), l(&["a", "b", "c"]), None]),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(merged_order(&[l(&["a", "b"]), l(&["b", "a"])]), None);
    }

    #[test]
    fn overrides_null_out_default_keys_the_environment_lacks() {
        let parse = |s: &str| crate::load::parse::parse_str(s).unwrap().remove(0);
        let o = override_of(
            &parse("limits: {cpu: 1, memory: 1Gi}\nrequests: {cpu: 1}"),
            &parse("limits: {cpu: 2}\nrequests: {cpu: 1}"),
        );
        assert_eq!(emit(&o).unwrap(), "limits:\n  cpu: 2\n  memory: null\n");
    }
}
