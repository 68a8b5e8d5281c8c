//! Field specs: "this path, in resources of this group/version/kind". kustomize keeps its
//! tables of where names, labels, annotations, images and replicas live as data; so do we
//! (`fieldspecs/*.yaml`), and `configurations:` files extend them.

use crate::doc::{Node, Value, split_api_version};
use crate::load::parse::parse_str;
use std::sync::OnceLock;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn of(resource: &Node) -> Gvk {
        let (group, version) = split_api_version(resource.str_at(&["apiVersion"]).unwrap_or(""));
        Gvk {
            group: group.to_string(),
            version: version.to_string(),
            kind: resource.str_at(&["kind"]).unwrap_or("").to_string(),
        }
    }

    pub fn from_node(node: &Node) -> Gvk {
        let s = |k| node.str_at(&[k]).unwrap_or("").to_string();
        Gvk {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
        }
    }

    /// An empty field in the selector matches anything, as in kustomize.
    pub fn selects(&self, other: &Gvk) -> bool {
        (self.group.is_empty() || self.group == other.group)
            && (self.version.is_empty() || self.version == other.version)
            && (self.kind.is_empty() || self.kind == other.kind)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldSpec {
    pub gvk: Gvk,
    pub path: Vec<String>,
    pub create: bool,
}

/// Splits `a/b\/c/d[]` into `a`, `b/c`, `d[]` (a `[]` suffix says "a list, never created").
pub fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                cur.push('/');
                chars.next();
            }
            '/' => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

impl FieldSpec {
    pub fn from_node(node: &Node) -> Option<FieldSpec> {
        Some(FieldSpec {
            gvk: Gvk::from_node(node),
            path: split_path(node.str_at(&["path"])?),
            create: node.get("create").and_then(Node::as_bool).unwrap_or(false),
        })
    }

    pub fn applies_to(&self, gvk: &Gvk) -> bool {
        self.gvk.selects(gvk)
    }
}

pub fn parse_list(node: &Node) -> Vec<FieldSpec> {
    node.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(FieldSpec::from_node)
        .collect()
}

fn table(text: &str) -> Vec<FieldSpec> {
    parse_str(text)
        .ok()
        .and_then(|docs| docs.into_iter().next())
        .map(|n| parse_list(&n))
        .unwrap_or_default()
}

macro_rules! builtin_table {
    ($name:ident, $file:literal) => {
        pub fn $name() -> &'static [FieldSpec] {
            static T: OnceLock<Vec<FieldSpec>> = OnceLock::new();
            T.get_or_init(|| table(include_str!($file)))
        }
    };
}

builtin_table!(common_labels, "fieldspecs/common_labels.yaml");
builtin_table!(template_labels, "fieldspecs/template_labels.yaml");
builtin_table!(common_annotations, "fieldspecs/common_annotations.yaml");
builtin_table!(replicas, "fieldspecs/replicas.yaml");
builtin_table!(images, "fieldspecs/images.yaml");
builtin_table!(namespace, "fieldspecs/namespace.yaml");

/// For a referred-to kind, the fields of other resources that hold its name.
#[derive(Clone, Debug)]
pub struct NameRef {
    pub referral: Gvk,
    pub referrers: Vec<FieldSpec>,
}

pub fn parse_name_refs(node: &Node) -> Vec<NameRef> {
    node.as_seq()
        .unwrap_or_default()
        .iter()
        .map(|n| NameRef {
            referral: Gvk::from_node(n),
            referrers: n.get("fieldSpecs").map(parse_list).unwrap_or_default(),
        })
        .collect()
}

pub fn name_references() -> &'static [NameRef] {
    static T: OnceLock<Vec<NameRef>> = OnceLock::new();
    T.get_or_init(|| {
        parse_str(include_str!("fieldspecs/name_reference.yaml"))
            .ok()
            .and_then(|d| d.into_iter().next())
            .map(|n| parse_name_refs(&n))
            .unwrap_or_default()
    })
}

/// Calls `f` on every node the path reaches, walking into every element of lists on the
/// way. With `create`, missing mappings along the path (and the final field, as null) are
/// added first.
pub fn visit(node: &mut Node, path: &[String], create: bool, f: &mut dyn FnMut(&mut Node)) {
    let Some((first, rest)) = path.split_first() else {
        f(node);
        return;
    };
    match &mut node.value {
        Value::Seq(items) => {
            for item in items {
                visit(item, path, create, f);
            }
        }
        Value::Map(m) => {
            let (first, list) = match first.strip_suffix("[]") {
                Some(key) => (key, true),
                None => (first.as_str(), false),
            };
            if !m.contains_key(first) {
                if !create || list {
                    return;
                }
                let fresh = if rest.is_empty() {
                    Node::null()
                } else {
                    Node::map()
                };
                m.insert(first, fresh);
            }
            if let Some(child) = m.get_mut(first) {
                if child.is_null() && !rest.is_empty() {
                    if !create {
                        return;
                    }
                    *child = Node::map();
                }
                visit(child, rest, create, f);
            }
        }
        _ => {}
    }
}

/// Kinds that live outside namespaces (kustomize asks the OpenAPI schema; these are the
/// built-in ones). Unknown kinds are namespaced, as kustomize assumes.
pub fn is_cluster_scoped(gvk: &Gvk) -> bool {
    matches!(
        gvk.kind.as_str(),
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "CustomResourceDefinition"
            | "StorageClass"
            | "PriorityClass"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "MutatingAdmissionPolicy"
            | "MutatingAdmissionPolicyBinding"
            | "APIService"
            | "CSIDriver"
            | "CSINode"
            | "VolumeAttachment"
            | "IngressClass"
            | "RuntimeClass"
            | "PodSecurityPolicy"
            | "ComponentStatus"
            | "CertificateSigningRequest"
            | "ClusterTrustBundle"
            | "FlowSchema"
            | "PriorityLevelConfiguration"
            | "StorageVersion"
            | "TokenReview"
            | "SelfSubjectReview"
            | "SelfSubjectAccessReview"
            | "SelfSubjectRulesReview"
            | "SubjectAccessReview"
            | "DeviceClass"
            | "VolumeAttributesClass"
            | "IPAddress"
            | "ServiceCIDR"
    ) && (gvk.kind != "Node" || gvk.group.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_load() {
        assert!(common_labels().len() > 30);
        assert_eq!(replicas().len(), 4);
        let cm = name_references()
            .iter()
            .find(|r| r.referral.kind == "ConfigMap")
            .unwrap();
        assert!(cm.referrers.iter().any(|f| f.path
            == [
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "spec",
                "volumes",
                "configMap",
                "name"
            ]));
        let sec = name_references()
            .iter()
            .find(|r| r.referral.kind == "Secret")
            .unwrap();
        assert!(sec.referrers.iter().any(
            |f| f.path.last().map(String::as_str) == Some("ingress.kubernetes.io/auth-secret")
        ));
    }

    #[test]
    fn visit_walks_lists_and_creates_maps() {
        let mut d = parse_str("spec:\n  containers:\n  - image: a\n  - image: b\n")
            .unwrap()
            .remove(0);
        let mut seen = Vec::new();
        visit(
            &mut d,
            &split_path("spec/containers[]/image"),
            false,
            &mut |n| seen.push(n.as_str().unwrap_or("").to_string()),
        );
        assert_eq!(seen, ["a", "b"]);
        visit(&mut d, &split_path("metadata/labels"), true, &mut |n| {
            *n = Node::string("x")
        });
        assert_eq!(d.str_at(&["metadata", "labels"]), Some("x"));
        let mut count = 0;
        visit(
            &mut d,
            &split_path("spec/selector/matchLabels"),
            false,
            &mut |_| count += 1,
        );
        assert_eq!(count, 0);
    }
}
