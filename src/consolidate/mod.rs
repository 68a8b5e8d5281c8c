//! Consolidation: N environments' flat resource sets → `base/` + `overlays/<env>/` (+
//! `components/`), with per-environment namespace, name prefix/suffix, labels, image tags
//! and replica counts inferred as kustomize built-ins and the rest as minimal patches.
//! Nothing here does I/O; `commands::consolidate` writes and verifies.

pub mod diff;
pub mod record;

use crate::doc::{Document, Map, Node, Value};
use crate::kustomize::fieldspec::{Gvk, is_cluster_scoped, name_references, visit};
use crate::kustomize::transform::split_image;
use diff::{Patch, patch_between, patch_size};
use std::collections::{BTreeMap, BTreeSet};

/// One environment: a name and the resources it deploys.
pub struct Env {
    pub name: String,
    /// Where it came from (a kustomize root, a folder, a rendered file).
    pub source: String,
    pub docs: Vec<Document>,
}

/// What was inferred for one environment.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EnvTransforms {
    pub namespace: Option<String>,
    pub prefix: String,
    pub suffix: String,
    pub labels: BTreeMap<String, String>,
    /// image name → new tag (or `@digest`)
    pub images: BTreeMap<String, String>,
    /// base name → replica count
    pub replicas: BTreeMap<String, i64>,
}

/// A resource after an environment's transforms are taken out of it.
#[derive(Clone, Debug)]
struct Normal {
    key: Key,
    node: Node,
}

/// Group, kind, namespace (after the environment namespace is taken out) and base name.
type Key = (String, String, String, String);

fn key_of(node: &Node) -> Key {
    let gvk = Gvk::of(node);
    (
        gvk.group,
        gvk.kind,
        node.str_at(&["metadata", "namespace"])
            .unwrap_or("")
            .to_string(),
        node.str_at(&["metadata", "name"]).unwrap_or("").to_string(),
    )
}

fn keeps_name(gvk: &Gvk) -> bool {
    matches!(gvk.kind.as_str(), "CustomResourceDefinition" | "Namespace")
        || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
}

fn common_prefix<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut iter = names;
    let Some(first) = iter.next() else {
        return String::new();
    };
    let mut len = first.len();
    for n in iter {
        len = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(len);
    }
    first[..len].to_string()
}

/// A prefix ends with `-` (or is empty); a suffix starts with it.
fn cut_prefix(p: &str) -> String {
    p.rfind('-').map_or(String::new(), |i| p[..=i].to_string())
}

fn reversed(s: &str) -> String {
    s.chars().rev().collect()
}

/// Name prefix and suffix per environment: the part of every renameable name that differs
/// between environments.
fn infer_affixes(envs: &[Env]) -> Vec<(String, String)> {
    let names = |e: &Env| -> Vec<String> {
        e.docs
            .iter()
            .filter(|d| !keeps_name(&Gvk::of(&d.root)))
            .map(|d| d.name().to_string())
            .collect()
    };
    // With fewer than two names there is nothing to compare a name with.
    let prefixes: Vec<String> = envs
        .iter()
        .map(&names)
        .map(|n| {
            if n.len() < 2 {
                String::new()
            } else {
                cut_prefix(&common_prefix(n.iter().map(String::as_str)))
            }
        })
        .collect();
    let suffixes: Vec<String> = envs
        .iter()
        .map(names)
        .map(|n| {
            if n.len() < 2 {
                return String::new();
            }
            let rev: Vec<String> = n.iter().map(|n| reversed(n)).collect();
            reversed(&cut_prefix(&common_prefix(rev.iter().map(String::as_str))))
        })
        .collect();
    // What every environment shares belongs to the base names: the longest tail of the
    // prefixes (and head of the suffixes) that every environment has, cut at a `-`.
    let first = &prefixes[0];
    let tail = (0..=first.len())
        .filter(|&j| j == 0 || first.as_bytes()[j - 1] == b'-')
        .map(|j| &first[j..])
        .find(|t| {
            prefixes.iter().all(|p| {
                p.strip_suffix(t)
                    .is_some_and(|r| r.is_empty() || r.ends_with('-'))
            })
        })
        .unwrap_or("");
    let first = &suffixes[0];
    let head = (0..=first.len())
        .rev()
        .filter(|&j| j == first.len() || first.as_bytes()[j] == b'-')
        .map(|j| &first[..j])
        .find(|h| {
            suffixes.iter().all(|s| {
                s.strip_prefix(h)
                    .is_some_and(|r| r.is_empty() || r.starts_with('-'))
            })
        })
        .unwrap_or("");
    envs.iter()
        .enumerate()
        .map(|(i, _)| {
            if envs.len() < 2 {
                return (String::new(), String::new());
            }
            let p = prefixes[i]
                .strip_suffix(tail)
                .unwrap_or(&prefixes[i])
                .to_string();
            let s = suffixes[i]
                .strip_prefix(head)
                .unwrap_or(&suffixes[i])
                .to_string();
            (p, s)
        })
        .collect()
}

/// References to renamed resources go back to their base names, so kustomize's name
/// references can prefix them again.
fn unrename_references(nodes: &mut [Node], renames: &BTreeMap<(String, String), String>) {
    for node in nodes.iter_mut() {
        let gvk = Gvk::of(node);
        for nr in name_references() {
            for spec in nr.referrers.iter().filter(|s| s.applies_to(&gvk)) {
                visit(node, &spec.path, false, &mut |n| {
                    rename_ref(n, &nr.referral.kind, renames)
                });
            }
        }
    }
}

fn rename_ref(n: &mut Node, kind: &str, renames: &BTreeMap<(String, String), String>) {
    match &mut n.value {
        Value::String(s) => {
            if let Some(base) = renames.get(&(kind.to_string(), s.clone())) {
                *s = base.clone();
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|i| rename_ref(i, kind, renames)),
        Value::Map(m) => {
            if m.get("kind")
                .and_then(Node::as_str)
                .is_some_and(|k| k != kind)
            {
                return;
            }
            if let Some(name) = m.get_mut("name") {
                rename_ref(name, kind, renames);
            }
        }
        _ => {}
    }
}

/// Every `image` of a container list, anywhere in an object.
fn images_mut(node: &mut Node, f: &mut dyn FnMut(&mut Node)) {
    match &mut node.value {
        Value::Map(m) => {
            for e in &mut m.entries {
                if matches!(e.key.as_str(), "containers" | "initContainers") {
                    for c in e.value.as_seq_mut().into_iter().flatten() {
                        if let Some(img) = c.get_mut("image") {
                            f(img);
                        }
                    }
                } else {
                    images_mut(&mut e.value, f);
                }
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|i| images_mut(i, f)),
        _ => {}
    }
}

fn image_parts(image: &str) -> (String, String) {
    let (name, tag, digest) = split_image(image);
    let version = if !digest.is_empty() {
        format!("@{digest}")
    } else {
        tag.to_string()
    };
    (name.to_string(), version)
}

fn with_version(name: &str, version: &str) -> String {
    if version.is_empty() {
        name.to_string()
    } else if version.starts_with('@') {
        format!("{name}{version}")
    } else {
        format!("{name}:{version}")
    }
}

fn most_common<T: Ord + Clone>(values: impl Iterator<Item = T>) -> Option<T> {
    let mut counts: BTreeMap<T, usize> = BTreeMap::new();
    let mut order = Vec::new();
    for v in values {
        let c = counts.entry(v.clone()).or_insert(0);
        if *c == 0 {
            order.push(v);
        }
        *c += 1;
    }
    let max = counts.values().copied().max()?;
    order.into_iter().find(|v| counts[v] == max)
}

const REPLICA_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// The result: a base, per-environment overlays, shared components.
#[derive(Debug, Default)]
pub struct Layout {
    /// Set in the base when every environment uses the same namespace.
    pub namespace: Option<String>,
    pub base: Vec<Node>,
    pub components: Vec<Component>,
    pub overlays: Vec<Overlay>,
}

#[derive(Debug)]
pub struct Component {
    pub name: String,
    pub resources: Vec<Node>,
    pub envs: Vec<String>,
}

#[derive(Debug)]
pub struct Overlay {
    pub env: String,
    pub transforms: EnvTransforms,
    pub resources: Vec<Node>,
    pub components: Vec<String>,
    pub patches: Vec<(Key, Patch)>,
}

/// Takes environment-wide transforms out of each environment and expresses what is left as
/// a base plus the smallest overlays.
pub fn consolidate(envs: &[Env]) -> Layout {
    let affixes = infer_affixes(envs);
    let mut transforms: Vec<EnvTransforms> = vec![EnvTransforms::default(); envs.len()];
    let mut normal: Vec<Vec<Normal>> = Vec::new();
    for (i, env) in envs.iter().enumerate() {
        let t = &mut transforms[i];
        (t.prefix, t.suffix) = affixes[i].clone();
        let namespaces: BTreeSet<&str> = env
            .docs
            .iter()
            .filter(|d| !is_cluster_scoped(&Gvk::of(&d.root)))
            .map(|d| d.namespace())
            .collect();
        if namespaces.len() == 1 {
            t.namespace = namespaces
                .into_iter()
                .next()
                .filter(|n| !n.is_empty())
                .map(str::to_string);
        }
        let mut renames = BTreeMap::new();
        let mut nodes: Vec<Node> = Vec::new();
        for d in &env.docs {
            let mut node = d.root.clone();
            let gvk = Gvk::of(&node);
            if t.namespace.is_some()
                && !is_cluster_scoped(&gvk)
                && let Some(meta) = node.get_mut("metadata").and_then(Node::as_map_mut)
            {
                meta.remove("namespace");
            }
            if !keeps_name(&gvk) {
                let name = d.name();
                let base = name
                    .strip_prefix(t.prefix.as_str())
                    .and_then(|n| n.strip_suffix(t.suffix.as_str()))
                    .filter(|n| !n.is_empty())
                    .unwrap_or(name)
                    .to_string();
                if base != name {
                    renames.insert((gvk.kind.clone(), name.to_string()), base.clone());
                    if let Some(n) = node.get_mut("metadata").and_then(|m| m.get_mut("name")) {
                        *n = Node::string(base);
                    }
                }
            }
            nodes.push(node);
        }
        unrename_references(&mut nodes, &renames);
        normal.push(
            nodes
                .into_iter()
                .map(|n| Normal {
                    key: key_of(&n),
                    node: n,
                })
                .collect(),
        );
    }
    if envs.len() > 1 {
        infer_labels(&mut normal, &mut transforms);
        infer_images(&mut normal, &mut transforms);
        infer_replicas(&mut normal, &mut transforms);
    }
    build_layout(envs, normal, transforms)
}

/// Labels every resource of an environment carries in `metadata.labels`, with a value not
/// shared by all environments, become that overlay's `labels:` entry.
fn infer_labels(normal: &mut [Vec<Normal>], transforms: &mut [EnvTransforms]) {
    let env_wide: Vec<BTreeMap<String, String>> = normal
        .iter()
        .map(|res| {
            let mut common: Option<BTreeMap<String, String>> = None;
            for r in res {
                let labels: BTreeMap<String, String> = r
                    .node
                    .path(&["metadata", "labels"])
                    .and_then(Node::as_map)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| Some((k.to_string(), v.as_str()?.to_string())))
                            .collect()
                    })
                    .unwrap_or_default();
                common = Some(match common {
                    None => labels,
                    Some(c) => c
                        .into_iter()
                        .filter(|(k, v)| labels.get(k) == Some(v))
                        .collect(),
                });
            }
            common.unwrap_or_default()
        })
        .collect();
    for (i, res) in normal.iter_mut().enumerate() {
        for (k, v) in &env_wide[i] {
            let everywhere = env_wide.iter().all(|w| w.get(k) == Some(v));
            if everywhere {
                continue;
            }
            transforms[i].labels.insert(k.clone(), v.clone());
            for r in res.iter_mut() {
                let meta = r.node.get_mut("metadata").and_then(Node::as_map_mut);
                if let Some(meta) = meta
                    && let Some(labels) = meta.get_mut("labels").and_then(Node::as_map_mut)
                {
                    labels.remove(k);
                    if labels.is_empty() {
                        meta.remove("labels");
                    }
                }
            }
        }
    }
}

/// An image whose version is the same everywhere in an environment but differs between
/// environments becomes an `images:` entry; the base keeps the most common version.
fn infer_images(normal: &mut [Vec<Normal>], transforms: &mut [EnvTransforms]) {
    let per_env: Vec<BTreeMap<String, BTreeSet<String>>> = normal
        .iter_mut()
        .map(|res| {
            let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for r in res.iter_mut() {
                images_mut(&mut r.node, &mut |img| {
                    if let Some(s) = img.as_str() {
                        let (name, version) = image_parts(s);
                        m.entry(name).or_default().insert(version);
                    }
                });
            }
            m
        })
        .collect();
    let names: BTreeSet<&String> = per_env.iter().flat_map(|m| m.keys()).collect();
    for name in names {
        let versions: Vec<Option<&String>> = per_env
            .iter()
            .map(|m| {
                m.get(name)
                    .filter(|v| v.len() == 1)
                    .and_then(|v| v.iter().next())
            })
            .collect();
        if versions.iter().any(Option::is_none) {
            continue;
        }
        let distinct: BTreeSet<&String> = versions.iter().flatten().copied().collect();
        if distinct.len() < 2 {
            continue;
        }
        let Some(base) = most_common(versions.iter().flatten().copied()) else {
            continue;
        };
        for (i, v) in versions.iter().enumerate() {
            let v = v.unwrap_or(base);
            if v != base {
                transforms[i].images.insert(name.clone(), v.clone());
            }
            for r in normal[i].iter_mut() {
                images_mut(&mut r.node, &mut |img| {
                    if img.as_str().is_some_and(|s| image_parts(s).0 == *name) {
                        *img = Node::string(with_version(name, base));
                    }
                });
            }
        }
    }
}

/// Replica counts that differ between environments become `replicas:` entries.
fn infer_replicas(normal: &mut [Vec<Normal>], transforms: &mut [EnvTransforms]) {
    let mut keys: BTreeSet<Key> = BTreeSet::new();
    for res in normal.iter() {
        for r in res
            .iter()
            .filter(|r| REPLICA_KINDS.contains(&r.key.1.as_str()))
        {
            keys.insert(r.key.clone());
        }
    }
    for key in keys {
        let counts: Vec<Option<i64>> = normal
            .iter()
            .map(|res| {
                res.iter()
                    .find(|r| r.key == key)
                    .and_then(|r| r.node.path(&["spec", "replicas"])?.as_i64())
            })
            .collect();
        if counts.iter().any(Option::is_none) {
            continue;
        }
        let distinct: BTreeSet<i64> = counts.iter().flatten().copied().collect();
        if distinct.len() < 2 {
            continue;
        }
        let Some(base) = most_common(counts.iter().flatten().copied()) else {
            continue;
        };
        // A replicas entry matches every replica kind with that name: only use it when the
        // name is unique among them.
        let unique = normal.iter().all(|res| {
            res.iter()
                .filter(|r| r.key.3 == key.3 && REPLICA_KINDS.contains(&r.key.1.as_str()))
                .count()
                == 1
        });
        if !unique {
            continue;
        }
        for (i, c) in counts.iter().enumerate() {
            let c = c.unwrap_or(base);
            if c != base {
                transforms[i].replicas.insert(key.3.clone(), c);
            }
            if let Some(r) = normal[i].iter_mut().find(|r| r.key == key)
                && let Some(spec) = r.node.get_mut("spec").and_then(Node::as_map_mut)
            {
                spec.insert("replicas", Node::new(Value::Int(base)));
            }
        }
    }
}

fn build_layout(envs: &[Env], normal: Vec<Vec<Normal>>, transforms: Vec<EnvTransforms>) -> Layout {
    let mut order: Vec<Key> = Vec::new();
    for res in &normal {
        for r in res {
            if !order.contains(&r.key) {
                order.push(r.key.clone());
            }
        }
    }
    let mut layout = Layout::default();
    let mut overlays: Vec<Overlay> = envs
        .iter()
        .zip(transforms)
        .map(|(e, t)| Overlay {
            env: e.name.clone(),
            transforms: t,
            resources: Vec::new(),
            components: Vec::new(),
            patches: Vec::new(),
        })
        .collect();
    let mut shared: BTreeMap<Vec<usize>, Vec<Node>> = BTreeMap::new();
    for key in order {
        let variants: Vec<Option<&Node>> = normal
            .iter()
            .map(|res| res.iter().find(|r| r.key == key).map(|r| &r.node))
            .collect();
        if variants.iter().all(Option::is_some) {
            let nodes: Vec<&Node> = variants.iter().flatten().copied().collect();
            // The base is the variant that needs the smallest patches in total.
            let best = (0..nodes.len())
                .min_by_key(|&b| {
                    nodes
                        .iter()
                        .map(|n| patch_size(&patch_between(nodes[b], n)))
                        .sum::<usize>()
                })
                .unwrap_or(0);
            for (i, n) in nodes.iter().enumerate() {
                if let Some(p) = patch_between(nodes[best], n) {
                    overlays[i].patches.push((key.clone(), p));
                }
            }
            layout.base.push(nodes[best].clone());
            continue;
        }
        let present: Vec<usize> = (0..variants.len())
            .filter(|&i| variants[i].is_some())
            .collect();
        let first = variants[present[0]].cloned();
        let identical = present.iter().all(|&i| variants[i] == first.as_ref());
        match (present.len() > 1 && identical, first) {
            (true, Some(node)) => shared.entry(present).or_default().push(node),
            _ => {
                for i in present {
                    if let Some(n) = variants[i] {
                        overlays[i].resources.push(n.clone());
                    }
                }
            }
        }
    }
    for (envs_idx, resources) in shared {
        let name = envs_idx
            .iter()
            .map(|&i| envs[i].name.as_str())
            .collect::<Vec<_>>()
            .join("-");
        for &i in &envs_idx {
            overlays[i].components.push(name.clone());
        }
        layout.components.push(Component {
            name,
            resources,
            envs: envs_idx.iter().map(|&i| envs[i].name.clone()).collect(),
        });
    }
    let first = overlays
        .first()
        .and_then(|o| o.transforms.namespace.clone());
    if first.is_some() && overlays.iter().all(|o| o.transforms.namespace == first) {
        layout.namespace = first;
        for o in &mut overlays {
            o.transforms.namespace = None;
        }
    }
    layout.overlays = overlays;
    layout
}

/// Canonical text of resources for comparing builds: the same objects, whatever the order.
pub fn canonical_set(docs: &[Document]) -> Vec<(String, String)> {
    let mut set: Vec<(String, String)> = docs
        .iter()
        .map(|d| {
            (
                d.id().to_string(),
                crate::render::render_document(d).unwrap_or_default(),
            )
        })
        .collect();
    set.sort();
    set
}

pub fn map_of(entries: &[(&str, Node)]) -> Node {
    let mut m = Map::default();
    for (k, v) in entries {
        m.insert(*k, v.clone());
    }
    Node::new(Value::Map(m))
}
