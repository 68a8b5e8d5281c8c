//! Semantic diff of two sets of resources: matched by identity, compared as values, shown
//! as unified diffs of canonical YAML. Lists whose items carry a merge key are aligned by
//! it first, so a reordered container is reported as moved rather than removed and added.
//! Secret values never leave this module: both sides are redacted before anything is
//! rendered, the way `kubectl diff` masks them.

use crate::consolidate::diff::merge_key;
use crate::doc::{Document, Node, ResId, Value};
use crate::render::emit::emit_object;
use std::collections::BTreeMap;

/// A resource's place in a compared tree: the kustomize root it was built from (relative to
/// the folder compared, empty for plain files) and its identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub root: String,
    pub id: ResId,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.root.is_empty() {
            write!(f, "{}", self.id)
        } else {
            write!(f, "{}: {}", self.root, self.id)
        }
    }
}

/// One side of a comparison: resources keyed by where they were built and who they are.
#[derive(Default)]
pub struct Side {
    pub resources: Vec<(Key, Node)>,
}

impl Side {
    pub fn add(&mut self, root: &str, docs: Vec<Document>) {
        for d in docs {
            let key = Key {
                root: root.to_string(),
                id: d.id(),
            };
            self.resources.push((key, d.root));
        }
    }
}

/// A list item that kept its merge key but changed place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved {
    pub path: String,
    pub from: usize,
    pub to: usize,
}

#[derive(Debug)]
pub struct Changed {
    pub key: Key,
    /// Paths of the fields that differ, e.g. `spec.template.spec.containers[name=app].image`.
    pub paths: Vec<String>,
    pub moved: Vec<Moved>,
    /// Canonical YAML of each side, Secret values redacted, lists aligned by merge key.
    pub before: String,
    pub after: String,
}

impl Changed {
    pub fn unified(&self, context: usize) -> String {
        let label = self.key.to_string();
        similar::TextDiff::from_lines(&self.before, &self.after)
            .unified_diff()
            .context_radius(context)
            .header(&format!("a/{label}"), &format!("b/{label}"))
            .to_string()
    }

    /// Lines added and removed in the unified diff.
    pub fn counts(&self) -> (usize, usize) {
        let diff = similar::TextDiff::from_lines(&self.before, &self.after);
        let mut added = 0;
        let mut removed = 0;
        for op in diff.ops() {
            for change in diff.iter_changes(op) {
                match change.tag() {
                    similar::ChangeTag::Insert => added += 1,
                    similar::ChangeTag::Delete => removed += 1,
                    similar::ChangeTag::Equal => {}
                }
            }
        }
        (added, removed)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub added: Vec<Key>,
    pub removed: Vec<Key>,
    pub changed: Vec<Changed>,
    pub unchanged: usize,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two sides. Resources are matched by root and identity; output is sorted by key.
pub fn compare(a: Side, b: Side) -> Report {
    let mut left: BTreeMap<Key, Node> = a.resources.into_iter().collect();
    let mut report = Report::default();
    let mut right: Vec<(Key, Node)> = b.resources;
    right.sort_by(|x, y| x.0.cmp(&y.0));
    for (key, after) in right {
        match left.remove(&key) {
            None => report.added.push(key),
            Some(before) if same(&before, &after) => report.unchanged += 1,
            Some(before) => report.changed.push(changed(key, before, after)),
        }
    }
    report.removed = left.into_keys().collect();
    report
}

/// Equal as Kubernetes reads them: mapping key order and source positions do not count.
pub fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.entries
                    .iter()
                    .all(|e| y.get(&e.key).is_some_and(|v| same(&e.value, v)))
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (x, y) => x == y,
    }
}

/// Why a build is not what was wanted, one message a resource: `missing: ID`, `extra: ID`,
/// or `differs: ID` with its diff (`-` wanted, `+` got), Secret values masked.
pub fn explain(want: Vec<Document>, got: Vec<Document>) -> Vec<String> {
    let (mut a, mut b) = (Side::default(), Side::default());
    a.add("", want);
    b.add("", got);
    let r = compare(a, b);
    let mut msgs: Vec<String> = r.removed.iter().map(|k| format!("missing: {k}")).collect();
    msgs.extend(r.added.iter().map(|k| format!("extra: {k}")));
    for c in &r.changed {
        let moved: String = c
            .moved
            .iter()
            .map(|m| format!("  moved {}: position {} → {}\n", m.path, m.from, m.to))
            .collect();
        msgs.push(format!("differs: {}\n{moved}{}", c.key, c.unified(2)));
    }
    msgs
}

fn changed(key: Key, mut before: Node, mut after: Node) -> Changed {
    if key.id.kind == "Secret" && key.id.group.is_empty() {
        redact_secret(&mut before, &mut after);
    }
    let mut moved = Vec::new();
    align(&before, &mut after, "", "", &mut moved);
    let mut paths = Vec::new();
    changed_paths(&before, &after, "", "", &mut paths);
    Changed {
        key,
        paths,
        moved,
        before: emit_object(&before, String::new()).unwrap_or_default(),
        after: emit_object(&after, String::new()).unwrap_or_default(),
    }
}

const MASK: &str = "***";

/// Replaces every Secret value by a mask that says only whether it changed.
fn redact_secret(before: &mut Node, after: &mut Node) {
    for field in ["data", "stringData"] {
        let old = before.get(field).cloned();
        let new = after.get(field).cloned();
        mask_map(before, field, new.as_ref(), " (before)");
        mask_map(after, field, old.as_ref(), " (after)");
    }
    // The last-applied annotation restates the whole Secret, values included.
    for side in [before, after] {
        if let Some(v) = side
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(|a| a.get_mut("kubectl.kubernetes.io/last-applied-configuration"))
        {
            *v = Node::string(MASK);
        }
    }
}

fn mask_map(side: &mut Node, field: &str, other: Option<&Node>, tag: &str) {
    let Some(map) = side.get_mut(field).and_then(Node::as_map_mut) else {
        if let Some(v) = side.get_mut(field).filter(|v| !v.is_null()) {
            *v = Node::string(MASK);
        }
        return;
    };
    for e in &mut map.entries {
        let unchanged = other
            .and_then(|o| o.get(&e.key))
            .is_none_or(|o| same(o, &e.value));
        e.value = Node::string(if unchanged {
            MASK.to_string()
        } else {
            format!("{MASK}{tag}")
        });
    }
}

/// Reorders `after`'s merge-keyed lists to `before`'s order, recording the items that moved
/// relative to the others both sides hold.
fn align(before: &Node, after: &mut Node, list_key: &str, path: &str, moved: &mut Vec<Moved>) {
    match (&before.value, &mut after.value) {
        (Value::Map(b), Value::Map(a)) => {
            for e in &mut a.entries {
                if let Some(bv) = b.get(&e.key) {
                    let p = join_key(path, &e.key);
                    align(bv, &mut e.value, &e.key, &p, moved);
                }
            }
        }
        (Value::Seq(b), Value::Seq(a)) => {
            let key = merge_key(list_key, b).filter(|k| merge_key(list_key, a) == Some(*k));
            let Some(key) = key else {
                if a.len() == b.len() {
                    for (i, (bi, ai)) in b.iter().zip(a.iter_mut()).enumerate() {
                        align(bi, ai, "", &format!("{path}[{i}]"), moved);
                    }
                }
                return;
            };
            let id = |n: &Node| n.get(key).and_then(Node::scalar_text);
            let common_b: Vec<String> = b
                .iter()
                .filter_map(id)
                .filter(|k| a.iter().any(|x| id(x).as_ref() == Some(k)))
                .collect();
            let common_a: Vec<String> = a
                .iter()
                .filter_map(id)
                .filter(|k| common_b.contains(k))
                .collect();
            if common_a != common_b {
                for (to, k) in common_a.iter().enumerate() {
                    let from = common_b.iter().position(|x| x == k).unwrap_or(to);
                    if from != to {
                        moved.push(Moved {
                            path: format!("{path}[{key}={k}]"),
                            from,
                            to,
                        });
                    }
                }
                // Items only `after` holds keep their place after the common item before them.
                let items = std::mem::take(a);
                let mut slots: Vec<Vec<Node>> = vec![Vec::new(); common_b.len() + 1];
                let mut current = 0;
                for item in items {
                    match id(&item).and_then(|k| common_b.iter().position(|x| *x == k)) {
                        Some(i) => {
                            slots[i + 1].insert(0, item);
                            current = i + 1;
                        }
                        None => slots[current].push(item),
                    }
                }
                for mut slot in slots {
                    // The common item heads its slot; what followed it comes after.
                    a.append(&mut slot);
                }
            }
            for ai in a.iter_mut() {
                let Some(k) = id(ai) else { continue };
                if let Some(bi) = b.iter().find(|x| id(x).as_ref() == Some(&k)) {
                    align(bi, ai, "", &format!("{path}[{key}={k}]"), moved);
                }
            }
        }
        _ => {}
    }
}

fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", serde_json::Value::from(key)),
    }
}

/// The paths where two aligned trees differ, as deep as both sides are maps or keyed lists.
fn changed_paths(before: &Node, after: &Node, list_key: &str, path: &str, out: &mut Vec<String>) {
    if same(before, after) {
        return;
    }
    let here = || {
        if path.is_empty() {
            ".".to_string()
        } else {
            path.to_string()
        }
    };
    match (&before.value, &after.value) {
        (Value::Map(b), Value::Map(a)) => {
            for e in &a.entries {
                let p = join_key(path, &e.key);
                match b.get(&e.key) {
                    Some(bv) => changed_paths(bv, &e.value, &e.key, &p, out),
                    None => out.push(p),
                }
            }
            for e in &b.entries {
                if !a.contains_key(&e.key) {
                    out.push(join_key(path, &e.key));
                }
            }
        }
        (Value::Seq(b), Value::Seq(a)) => {
            match merge_key(list_key, b).filter(|k| merge_key(list_key, a) == Some(*k)) {
                Some(key) => {
                    let id = |n: &Node| n.get(key).and_then(Node::scalar_text);
                    for ai in a {
                        let k = id(ai).unwrap_or_default();
                        let p = format!("{path}[{key}={k}]");
                        match b.iter().find(|x| id(x) == Some(k.clone())) {
                            Some(bi) => changed_paths(bi, ai, "", &p, out),
                            None => out.push(p),
                        }
                    }
                    for bi in b {
                        let k = id(bi).unwrap_or_default();
                        if !a.iter().any(|x| id(x) == Some(k.clone())) {
                            out.push(format!("{path}[{key}={k}]"));
                        }
                    }
                }
                None if a.len() == b.len() => {
                    for (i, (bi, ai)) in b.iter().zip(a).enumerate() {
                        changed_paths(bi, ai, "", &format!("{path}[{i}]"), out);
                    }
                }
                None => out.push(here()),
            }
        }
        _ => out.push(here()),
    }
}

/// Every leaf of a resource by path (lists keyed by merge key where they have one), for
/// tables that compare many versions of one resource. Secret values are not included: the
/// caller masks them.
pub fn leaves(node: &Node, list_key: &str, path: &str, out: &mut BTreeMap<String, String>) {
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            for e in &m.entries {
                leaves(&e.value, &e.key, &join_key(path, &e.key), out);
            }
        }
        Value::Seq(items) if !items.is_empty() => match merge_key(list_key, items) {
            Some(key) => {
                for item in items {
                    let k = item
                        .get(key)
                        .and_then(Node::scalar_text)
                        .unwrap_or_default();
                    leaves(item, "", &format!("{path}[{key}={k}]"), out);
                }
            }
            None => {
                for (i, item) in items.iter().enumerate() {
                    leaves(item, "", &format!("{path}[{i}]"), out);
                }
            }
        },
        Value::Map(_) => {
            out.insert(path.to_string(), "{}".into());
        }
        Value::Seq(_) => {
            out.insert(path.to_string(), "[]".into());
        }
        _ => {
            // By value: `0.50` and `0.5` are one number.
            let plain = Node::new(node.value.clone());
            out.insert(path.to_string(), plain.scalar_text().unwrap_or_default());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_resources;
    use std::path::Path;

    fn side(text: &str) -> Side {
        let mut s = Side::default();
        s.add(
            "",
            load_resources(Path::new("t.yaml"), text.as_bytes().to_vec()).unwrap(),
        );
        s
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n      - name: sidecar\n        image: proxy:1\n";

    #[test]
    fn formatting_and_key_order_are_not_differences() {
        let reformatted = "kind: Deployment\napiVersion: \"apps/v1\"\nmetadata:\n  name: 'api'\nspec: {template: {spec: {containers: [{image: 'app:1', name: app}, {name: sidecar, image: proxy:1}]}}}\n";
        let r = compare(side(DEPLOY), side(reformatted));
        assert!(r.is_empty(), "{r:?}");
        assert_eq!(r.unchanged, 1);
    }

    #[test]
    fn reordered_containers_are_moved_not_removed_and_added() {
        let swapped = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - name: sidecar\n        image: proxy:2\n      - name: app\n        image: app:1\n";
        let r = compare(side(DEPLOY), side(swapped));
        let c = &r.changed[0];
        assert_eq!(
            c.paths,
            vec!["spec.template.spec.containers[name=sidecar].image"]
        );
        assert_eq!(
            c.moved,
            vec![
                Moved {
                    path: "spec.template.spec.containers[name=sidecar]".into(),
                    from: 1,
                    to: 0
                },
                Moved {
                    path: "spec.template.spec.containers[name=app]".into(),
                    from: 0,
                    to: 1
                }
            ]
        );
        // Aligned, the text diff is the one changed line.
        assert_eq!(c.counts(), (1, 1));
    }

    #[test]
    fn secret_values_are_masked_on_both_sides() {
        let a = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: aHVudGVyMg==, user: YWRtaW4=}\nstringData: {token: abc123}\n";
        let b = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: c2VjcmV0, user: YWRtaW4=}\nstringData: {token: abc123}\n";
        let r = compare(side(a), side(b));
        let c = &r.changed[0];
        let text = c.unified(3);
        for secret in ["aHVudGVyMg==", "c2VjcmV0", "YWRtaW4=", "abc123"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("-  password: '*** (before)'"), "{text}");
        assert!(text.contains("+  password: '*** (after)'"), "{text}");
        assert_eq!(c.paths, vec!["data.password"]);
    }

    #[test]
    fn keys_with_dots_are_quoted_in_paths() {
        let a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app.kubernetes.io/name: x}}\n";
        let b = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app.kubernetes.io/name: y}}\n";
        let r = compare(side(a), side(b));
        assert_eq!(
            r.changed[0].paths,
            vec![r#"metadata.labels["app.kubernetes.io/name"]"#]
        );
    }

    #[test]
    fn added_and_removed_by_identity() {
        let a = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
        let b = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
        let r = compare(side(a), side(b));
        assert_eq!(r.added[0].id.name, "b");
        assert_eq!(r.removed[0].id.name, "a");
        assert!(r.changed.is_empty());
    }
}
