//! The smallest strategic merge patch that turns one resource into another, checked by
//! applying it; where a strategic merge patch cannot say it, JSON 6902 operations.

use crate::doc::pointer::{self, Op};
use crate::doc::{Map, Node, Value};
use crate::kustomize::smp;

/// List merge keys kustomize uses for the lists a consolidation meets most; a wrong or
/// missing guess costs only patch size, because every patch is verified by applying it.
pub(crate) fn merge_key(list_key: &str, items: &[Node]) -> Option<&'static str> {
    let key = match list_key {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => "containerPort",
        _ => return None,
    };
    items
        .iter()
        .all(|i| i.get(key).is_some_and(|k| k.scalar_text().is_some()))
        .then_some(key)
}

fn key_of(item: &Node, key: &str) -> Option<String> {
    item.get(key).and_then(Node::scalar_text)
}

/// The patch body (without identity) that turns `base` into `target`, or `None` when they
/// are equal.
fn diff_value(base: &Node, target: &Node, list_key: &str, custom: bool) -> Option<Node> {
    if base == target {
        return None;
    }
    match (&base.value, &target.value) {
        (Value::Map(b), Value::Map(t)) => {
            let mut out = Map::default();
            for e in &t.entries {
                match b.get(&e.key) {
                    Some(bv) => {
                        if let Some(d) = diff_value(bv, &e.value, &e.key, custom) {
                            out.insert(e.key.clone(), d);
                        }
                    }
                    None => {
                        out.insert(e.key.clone(), e.value.clone());
                    }
                }
            }
            for e in &b.entries {
                if !t.contains_key(&e.key) {
                    out.insert(e.key.clone(), Node::null());
                }
            }
            Some(Node::new(Value::Map(out)))
        }
        (Value::Seq(b), Value::Seq(t)) if !custom => {
            let Some(key) = merge_key(list_key, b).filter(|k| merge_key(list_key, t) == Some(*k))
            else {
                return Some(target.clone());
            };
            // kyaml puts the patch's elements first, then the base-only ones: list every
            // target element that is new or changed, and delete the removed ones.
            let mut out = Vec::new();
            for item in t {
                let k = key_of(item, key);
                match b.iter().find(|x| key_of(x, key) == k) {
                    Some(bi) => match diff_value(bi, item, "", custom) {
                        Some(mut d) => {
                            if let (Some(m), Some(k)) = (d.as_map_mut(), &k) {
                                m.entries.insert(
                                    0,
                                    crate::doc::Entry {
                                        key: key.to_string(),
                                        key_pos: Default::default(),
                                        key_typed: false,
                                        value: item
                                            .get(key)
                                            .cloned()
                                            .unwrap_or_else(|| Node::string(k.clone())),
                                    },
                                );
                            }
                            out.push(d);
                        }
                        None => out.push(item.clone()),
                    },
                    None => out.push(item.clone()),
                }
            }
            for item in b {
                let k = key_of(item, key);
                if !t.iter().any(|x| key_of(x, key) == k) {
                    let mut m = Map::default();
                    m.insert(key, item.get(key).cloned().unwrap_or_else(Node::null));
                    m.insert("$patch", Node::string("delete"));
                    out.push(Node::new(Value::Map(m)));
                }
            }
            Some(Node::new(Value::Seq(out)))
        }
        _ => Some(target.clone()),
    }
}

/// A patch, as kustomize `patches:` takes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Patch {
    /// A strategic merge patch document (with apiVersion, kind and metadata.name).
    Strategic(Node),
    /// JSON 6902 operations (the patch entry needs a target).
    Json(Vec<Op>),
}

fn identity(base: &Node) -> Map {
    let mut m = Map::default();
    for k in ["apiVersion", "kind"] {
        if let Some(v) = base.get(k) {
            m.insert(k, v.clone());
        }
    }
    let mut meta = Map::default();
    for k in ["name", "namespace"] {
        if let Some(v) = base.path(&["metadata", k]) {
            meta.insert(k, v.clone());
        }
    }
    m.insert("metadata", Node::new(Value::Map(meta)));
    m
}

/// Patches that turn `base` into `target` under kustomize's strategic merge, smallest first.
pub fn patch_between(base: &Node, target: &Node) -> Option<Patch> {
    if base == target {
        return None;
    }
    let api_version = base.str_at(&["apiVersion"]).unwrap_or("");
    let kind = base.str_at(&["kind"]).unwrap_or("");
    let schema = smp::schema_for(api_version, kind);
    let custom = matches!(schema, smp::Schema::None) && api_version.contains('.');
    if let Some(body) = diff_value(base, target, "", custom) {
        let mut doc = identity(base);
        if let Some(b) = body.as_map() {
            for e in &b.entries {
                match e.key.as_str() {
                    "apiVersion" | "kind" => {}
                    "metadata" => {
                        let meta = doc.get_mut("metadata").and_then(Node::as_map_mut);
                        if let (Some(meta), Some(em)) = (meta, e.value.as_map()) {
                            for me in &em.entries {
                                if me.key != "name" && me.key != "namespace" {
                                    meta.insert(me.key.clone(), me.value.clone());
                                }
                            }
                        }
                    }
                    _ => {
                        doc.insert(e.key.clone(), e.value.clone());
                    }
                }
            }
        }
        let patch = Node::new(Value::Map(doc));
        let mut applied = base.clone();
        if smp::strategic_merge(&mut applied, &patch, schema).is_ok() && &applied == target {
            return Some(Patch::Strategic(patch));
        }
    }
    Some(Patch::Json(json_ops(base, target)))
}

/// Replace operations for every differing top-level field (identity excepted).
fn json_ops(base: &Node, target: &Node) -> Vec<Op> {
    let mut ops = Vec::new();
    let (Some(b), Some(t)) = (base.as_map(), target.as_map()) else {
        return vec![Op::Replace {
            path: String::new(),
            value: target.clone(),
        }];
    };
    for e in &t.entries {
        if matches!(e.key.as_str(), "apiVersion" | "kind") {
            continue;
        }
        let path = format!("/{}", pointer::escape(&e.key));
        match b.get(&e.key) {
            Some(bv) if bv == &e.value => {}
            Some(_) => ops.push(Op::Replace {
                path,
                value: e.value.clone(),
            }),
            None => ops.push(Op::Add {
                path,
                value: e.value.clone(),
            }),
        }
    }
    for e in &b.entries {
        if !t.contains_key(&e.key) {
            ops.push(Op::Remove {
                path: format!("/{}", pointer::escape(&e.key)),
            });
        }
    }
    ops
}

/// A rough size of a patch in YAML lines, for choosing the base that needs the least.
pub fn patch_size(p: &Option<Patch>) -> usize {
    fn count(n: &Node) -> usize {
        match &n.value {
            Value::Map(m) => m.entries.iter().map(|e| 1 + count(&e.value)).sum(),
            Value::Seq(s) => s.iter().map(|i| 1 + count(i)).sum(),
            _ => 0,
        }
    }
    match p {
        None => 0,
        Some(Patch::Strategic(n)) => count(n),
        Some(Patch::Json(ops)) => ops.len() * 3,
    }
}
