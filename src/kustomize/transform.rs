//! kustomize's built-in transformers that need no patch engine: namespace, name prefix and
//! suffix, labels, annotations, images, replicas, and the final name back-references.
//! New values keep the position of the kustomization line that set them.

use super::Resource;
use super::fieldspec::{FieldSpec, Gvk, NameRef, is_cluster_scoped, visit};
use crate::doc::{Map, Node, Value};

fn set_string(node: &mut Node, value: &Node) {
    let text = value.scalar_text().unwrap_or_default();
    *node = Node::at(Value::String(text), value.pos);
}

/// Adds `pairs` to the mapping at every matching field spec (creating it where allowed).
pub fn add_map_entries(resources: &mut [Resource], specs: &[FieldSpec], pairs: &Map) {
    for r in resources {
        let gvk = Gvk::of(&r.doc.root);
        for spec in specs.iter().filter(|s| s.applies_to(&gvk)) {
            visit(&mut r.doc.root, &spec.path, spec.create, &mut |node| {
                if node.is_null() {
                    *node = Node::at(Value::Map(Map::default()), node.pos);
                }
                if let Some(m) = node.as_map_mut() {
                    for e in &pairs.entries {
                        let mut v = Node::null();
                        set_string(&mut v, &e.value);
                        m.insert(e.key.clone(), v);
                    }
                }
            });
        }
    }
}

pub fn namespace(resources: &mut [Resource], ns: &Node) {
    let Some(name) = ns.scalar_text() else { return };
    for r in resources {
        let gvk = Gvk::of(&r.doc.root);
        for spec in super::fieldspec::namespace()
            .iter()
            .filter(|s| s.applies_to(&gvk))
        {
            visit(&mut r.doc.root, &spec.path, spec.create, &mut |n| {
                set_string(n, ns)
            });
        }
        if is_cluster_scoped(&gvk) {
            continue;
        }
        r.remember_id();
        let root = &mut r.doc.root;
        visit(
            root,
            &["metadata".into(), "namespace".into()],
            true,
            &mut |n| set_string(n, ns),
        );
        if matches!(r.doc.kind(), "RoleBinding" | "ClusterRoleBinding") {
            // kustomize's "defaultOnly" rule: the subject named `default` moves along.
            if let Some(subjects) = r.doc.root.get_mut("subjects").and_then(Node::as_seq_mut) {
                for s in subjects {
                    if s.str_at(&["name"]) == Some("default")
                        && let Some(m) = s.as_map_mut()
                    {
                        m.insert("namespace", Node::at(Value::String(name.clone()), ns.pos));
                    }
                }
            }
        }
    }
}

/// Kinds kustomize never renames with a prefix or suffix.
fn keeps_name(gvk: &Gvk) -> bool {
    matches!(gvk.kind.as_str(), "CustomResourceDefinition" | "Namespace")
        || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
}

pub fn prefix_suffix(resources: &mut [Resource], prefix: Option<&Node>, suffix: Option<&Node>) {
    let p = prefix.and_then(Node::scalar_text).unwrap_or_default();
    let s = suffix.and_then(Node::scalar_text).unwrap_or_default();
    if p.is_empty() && s.is_empty() {
        return;
    }
    let pos = prefix.or(suffix).map(|n| n.pos).unwrap_or_default();
    for r in resources {
        if keeps_name(&Gvk::of(&r.doc.root)) {
            continue;
        }
        r.rename(|current| format!("{p}{current}{s}"), pos);
    }
}

/// `image.Split` of kustomize: name, tag, digest (a registry port is not a tag).
pub fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (c, Some(a)) if c.is_none_or(|c| a < c) => (&image[..a], "", &image[a + 1..]),
        (Some(c), Some(a)) => (&image[..c], &image[c + 1..a], &image[a + 1..]),
        (Some(c), None) => (&image[..c], &image[c + 1..], ""),
        (None, Some(_)) => unreachable!("covered by the digest-only arm"),
    }
}

fn image_matches(image: &str, name: &str) -> bool {
    let Some(rest) = image.strip_prefix(name) else {
        return false;
    };
    let tag_char = |c: char| c.is_ascii_alphanumeric() || "_.{}-".contains(c);
    let rest = match rest.strip_prefix(':') {
        Some(r) => r.trim_start_matches(tag_char),
        None => rest,
    };
    match rest.strip_prefix("@sha256:") {
        Some(d) => d.chars().all(tag_char),
        None => rest.is_empty(),
    }
}

pub struct ImageEntry {
    pub name: String,
    pub new_name: Option<String>,
    pub new_tag: Option<String>,
    pub digest: Option<String>,
    pub pos: crate::doc::Pos,
}

impl ImageEntry {
    pub fn from_node(n: &Node) -> Option<ImageEntry> {
        let s = |k| {
            n.get(k)
                .and_then(Node::scalar_text)
                .filter(|s| !s.is_empty())
        };
        Some(ImageEntry {
            name: s("name")?,
            new_name: s("newName"),
            new_tag: s("newTag"),
            digest: s("digest"),
            pos: n.pos,
        })
    }

    fn rewrite(&self, image: &str) -> Option<String> {
        if !image_matches(image, &self.name) {
            return None;
        }
        let (name, mut tag, mut digest) = split_image(image);
        let name = self.new_name.as_deref().unwrap_or(name);
        match (&self.new_tag, &self.digest) {
            (Some(t), Some(d)) => (tag, digest) = (t, d),
            (Some(t), None) => (tag, digest) = (t, ""),
            (None, Some(d)) => (tag, digest) = ("", d),
            (None, None) => {}
        }
        let mut out = name.to_string();
        if !tag.is_empty() {
            out = format!("{out}:{tag}");
        }
        if !digest.is_empty() {
            out = format!("{out}@{digest}");
        }
        Some(out)
    }
}

fn rewrite_image_node(node: &mut Node, entry: &ImageEntry, hits: &mut usize) {
    if let Some(new) = node.as_str().and_then(|s| entry.rewrite(s)) {
        *node = Node::at(Value::String(new), entry.pos);
        *hits += 1;
    }
}

/// Every `containers`/`initContainers` list anywhere in an object (kustomize's legacy image
/// filter), plus the image field specs (custom resources via `configurations`).
fn visit_container_images(node: &mut Node, entry: &ImageEntry, hits: &mut usize) {
    match &mut node.value {
        Value::Map(m) => {
            for e in &mut m.entries {
                if matches!(e.key.as_str(), "containers" | "initContainers") {
                    if let Some(items) = e.value.as_seq_mut() {
                        for c in items {
                            if let Some(img) = c.get_mut("image") {
                                rewrite_image_node(img, entry, hits);
                            }
                        }
                    }
                } else {
                    visit_container_images(&mut e.value, entry, hits);
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|i| visit_container_images(i, entry, hits)),
        _ => {}
    }
}

/// Returns how many image fields the entry changed.
pub fn images(resources: &mut [Resource], entry: &ImageEntry, extra: &[FieldSpec]) -> usize {
    let mut hits = 0;
    for r in resources {
        visit_container_images(&mut r.doc.root, entry, &mut hits);
        let gvk = Gvk::of(&r.doc.root);
        for spec in extra.iter().filter(|s| s.applies_to(&gvk)) {
            visit(&mut r.doc.root, &spec.path, false, &mut |n| {
                rewrite_image_node(n, entry, &mut hits)
            });
        }
    }
    hits
}

/// Sets `spec.replicas` on resources whose any name matches; returns how many matched.
pub fn replicas(
    resources: &mut [Resource],
    name: &str,
    count: &Node,
    specs: &[FieldSpec],
) -> usize {
    let mut hits = 0;
    for r in resources {
        let gvk = Gvk::of(&r.doc.root);
        if !r.all_names().any(|(_, n)| n == name) {
            continue;
        }
        for spec in specs.iter().filter(|s| s.applies_to(&gvk)) {
            hits += 1;
            visit(&mut r.doc.root, &spec.path, spec.create, &mut |n| {
                *n = Node::at(count.value.clone(), count.pos);
            });
        }
    }
    hits
}

/// After all renames: every field that names another resource of the build by an old
/// name is updated to its current name (and, for subjects and service references, its
/// namespace).
pub fn fix_name_references(resources: &mut [Resource], table: &[NameRef]) -> Result<(), String> {
    // Renames are read from a snapshot so that updating one resource cannot affect the
    // lookup for the next.
    let referrals: Vec<Referral> = resources
        .iter()
        .map(|r| {
            let (org_ns, _) = r.original();
            Referral {
                gvk: Gvk::of(&r.doc.root),
                names: r.all_names().map(|(_, n)| n.to_string()).collect(),
                org_ns,
                ns: r.doc.namespace().to_string(),
                name: r.doc.name().to_string(),
            }
        })
        .collect();
    for r in resources.iter_mut() {
        let gvk = Gvk::of(&r.doc.root);
        let referrer_ns = r.doc.namespace().to_string();
        let role_ref_kind = r.doc.root.str_at(&["roleRef", "kind"]).map(str::to_string);
        for nr in table {
            for spec in nr.referrers.iter().filter(|s| s.applies_to(&gvk)) {
                let lookup = Lookup {
                    referrals: &referrals,
                    referral: &nr.referral,
                    referrer_ns: (!is_cluster_scoped(&gvk)).then_some(referrer_ns.as_str()),
                    kind: (spec.path.first().map(String::as_str) == Some("roleRef"))
                        .then_some(role_ref_kind.as_deref())
                        .flatten(),
                };
                let mut err = None;
                visit(&mut r.doc.root, &spec.path, false, &mut |node| {
                    if let Err(e) = lookup.update(node) {
                        err = Some(e);
                    }
                });
                if let Some(e) = err {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

struct Referral {
    gvk: Gvk,
    /// Every name it has had, the current one included.
    names: Vec<String>,
    org_ns: String,
    ns: String,
    name: String,
}

struct Lookup<'a> {
    referrals: &'a [Referral],
    referral: &'a Gvk,
    /// The referrer's namespace; `None` for a cluster-scoped referrer, which may refer
    /// anywhere.
    referrer_ns: Option<&'a str>,
    /// For `roleRef/name`: the kind the roleRef names (Role or ClusterRole).
    kind: Option<&'a str>,
}

fn effective(ns: &str) -> &str {
    if ns.is_empty() { "default" } else { ns }
}

impl Lookup<'_> {
    /// kustomize's `selectReferral`: of the candidates, those in the referrer's namespace
    /// (cluster-scoped ones and ServiceAccounts always pass) that were once called `name`.
    fn select<'r>(
        &self,
        candidates: Vec<&'r Referral>,
        name: &str,
    ) -> Result<Option<&'r Referral>, String> {
        let found: Vec<&Referral> = candidates
            .into_iter()
            .filter(|c| self.referral.selects(&c.gvk))
            .filter(|c| self.kind.is_none_or(|k| c.gvk.kind == k))
            .filter(|c| {
                self.referrer_ns.is_none_or(|ns| {
                    is_cluster_scoped(&c.gvk)
                        || c.gvk.kind == "ServiceAccount"
                        || effective(ns) == effective(&c.ns)
                })
            })
            .filter(|c| c.names.iter().any(|n| n == name))
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            [first, rest @ ..]
                if rest
                    .iter()
                    .all(|c| c.name == first.name && c.ns == first.ns) =>
            {
                Ok(Some(first))
            }
            _ => Err(format!(
                "found multiple possible referrals for {} `{name}`",
                self.referral.kind
            )),
        }
    }

    /// A name field, a list of names, or a `{kind, name, namespace}` reference (RBAC
    /// subjects, webhook services), or a list of those.
    fn update(&self, node: &mut Node) -> Result<(), String> {
        match &mut node.value {
            Value::String(name) => {
                if let Some(c) = self.select(self.referrals.iter().collect(), name)? {
                    *name = c.name.clone();
                }
            }
            Value::Seq(items) => {
                for item in items {
                    self.update(item)?;
                }
            }
            Value::Map(m) => {
                if m.get("kind")
                    .and_then(Node::as_str)
                    .is_some_and(|k| k != self.referral.kind)
                {
                    return Ok(());
                }
                let Some(name) = m.get("name").and_then(Node::as_str).map(str::to_string) else {
                    return Ok(());
                };
                let candidates: Vec<&Referral> = match m.get("namespace").and_then(Node::as_str) {
                    None => self.referrals.iter().collect(),
                    Some(ns) => {
                        let by_org: Vec<&Referral> = self
                            .referrals
                            .iter()
                            .filter(|c| effective(&c.org_ns) == ns)
                            .collect();
                        if by_org.is_empty() {
                            self.referrals
                                .iter()
                                .filter(|c| effective(&c.ns) == ns)
                                .collect()
                        } else {
                            by_org
                        }
                    }
                };
                if let Some(c) = self.select(candidates, &name)? {
                    m.insert("name", Node::string(c.name.clone()));
                    if !c.ns.is_empty() {
                        m.insert("namespace", Node::string(c.ns.clone()));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_split_and_match_follow_kustomize() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.25"), ("nginx", "1.25", ""));
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app", "", "")
        );
        assert_eq!(
            split_image("localhost:5000/app:v1"),
            ("localhost:5000/app", "v1", "")
        );
        assert_eq!(split_image("repo@sha256:abc"), ("repo", "", "sha256:abc"));
        assert_eq!(
            split_image("repo:t@sha256:abc"),
            ("repo", "t", "sha256:abc")
        );
        assert!(image_matches("nginx:1.2", "nginx"));
        assert!(image_matches("nginx@sha256:ab", "nginx"));
        assert!(!image_matches("nginx-extra:1", "nginx"));
        let e = ImageEntry {
            name: "nginx".into(),
            new_name: Some("ghcr.io/x/nginx".into()),
            new_tag: Some("2".into()),
            digest: None,
            pos: Default::default(),
        };
        assert_eq!(
            e.rewrite("nginx@sha256:ab").as_deref(),
            Some("ghcr.io/x/nginx:2")
        );
        assert_eq!(e.rewrite("redis"), None);
    }
}
