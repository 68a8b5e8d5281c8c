//! Helpers for the rules that relate objects to each other: namespaces, pod templates and
//! the HPAs, PDBs and policies that select them, RBAC rule matching, port-name syntax.

use crate::doc::pointer::Op;
use crate::doc::views::{Field, Hpa, LabelSelector, Pdb, PodSpec, PolicyRule, Workload};
use crate::doc::{Document, Map, Node, Value};
use crate::lint::Ctx;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The namespace an object lands in: no namespace means `default`.
pub fn ns(doc: &Document) -> &str {
    match doc.namespace() {
        "" => "default",
        n => n,
    }
}

/// An index of the tree, built once per lint run: objects by kind, namespace and name,
/// workloads by namespace and by pod label, autoscalers by target, provided Secrets.
/// Keys join their parts with NUL, which no Kubernetes name contains.
#[derive(Default)]
struct Tree {
    named: HashMap<String, usize>,
    by_kind_ns: HashMap<String, Vec<usize>>,
    pods: HashMap<String, Vec<usize>>,
    pods_by_label: HashMap<String, Vec<usize>>,
    hpas: HashMap<String, usize>,
    secrets: HashSet<String>,
    kinds: HashSet<String>,
}

fn key(parts: &[&str]) -> String {
    parts.join("\0")
}

impl Tree {
    fn build(ctx: &Ctx) -> Tree {
        let mut t = Tree::default();
        for (i, d) in ctx.docs.iter().enumerate() {
            let (kind, namespace, name) = (d.kind(), ns(d), d.name());
            t.kinds.insert(kind.to_string());
            t.named.entry(key(&[kind, namespace, name])).or_insert(i);
            t.by_kind_ns
                .entry(key(&[kind, namespace]))
                .or_default()
                .push(i);
            if let Some(w) = Workload::of(d) {
                t.pods.entry(namespace.to_string()).or_default().push(i);
                for (k, v) in w.template_labels() {
                    t.pods_by_label
                        .entry(key(&[namespace, k, v]))
                        .or_default()
                        .push(i);
                }
            }
            let target = Hpa::of(d).and_then(|h| h.scale_target_ref());
            if let Some((k, n)) = target.as_ref().and_then(|r| Some((r.kind()?, r.name()?))) {
                t.hpas.entry(key(&[namespace, k, n])).or_insert(i);
            }
            let at = |path: &[&str]| d.root.str_at(path);
            let secret = match kind {
                "Secret" => Some(name),
                "SealedSecret" => {
                    Some(at(&["spec", "template", "metadata", "name"]).unwrap_or(name))
                }
                "ExternalSecret" => Some(at(&["spec", "target", "name"]).unwrap_or(name)),
                "Certificate" => at(&["spec", "secretName"]),
                _ => None,
            };
            if let Some(secret) = secret {
                t.secrets.insert(key(&[namespace, secret]));
            }
        }
        t
    }
}

fn tree(ctx: &Ctx) -> Arc<Tree> {
    ctx.memo(Tree::build)
}

/// Whether the tree holds an object of this kind, in any namespace.
pub fn has_kind(ctx: &Ctx, kind: &str) -> bool {
    tree(ctx).kinds.contains(kind)
}

/// Whether the tree holds workloads (or Pods) in a namespace.
pub fn has_pods(ctx: &Ctx, namespace: &str) -> bool {
    tree(ctx).pods.contains_key(namespace)
}

/// The object of `kind` named `name` in the namespace of `near`.
pub fn find<'a>(ctx: &Ctx<'a>, kind: &str, name: &str, near: &Document) -> Option<&'a Document> {
    let i = *tree(ctx).named.get(&key(&[kind, ns(near), name]))?;
    ctx.docs.get(i)
}

/// Objects of a kind in the namespace of `near`.
pub fn kind_in<'a>(ctx: &Ctx<'a>, kind: &str, near: &Document) -> Vec<&'a Document> {
    let tree = tree(ctx);
    let found = tree.by_kind_ns.get(&key(&[kind, ns(near)]));
    found
        .into_iter()
        .flatten()
        .filter_map(|&i| ctx.docs.get(i))
        .collect()
}

/// The workloads in a namespace whose pod template the selector matches; the candidates
/// come from the label index when the selector has `matchLabels`.
pub fn selected_pods<'a>(
    ctx: &Ctx<'a>,
    namespace: &str,
    selector: &LabelSelector,
) -> Vec<(&'a Document, Workload<'a>)> {
    let tree = tree(ctx);
    let labels = selector.match_labels();
    let postings = labels
        .iter()
        .map(|(k, v)| tree.pods_by_label.get(&key(&[namespace, k, v])));
    let narrowest = postings
        .map(|p| p.map_or(&[][..], Vec::as_slice))
        .min_by_key(|p| p.len());
    let candidates = narrowest
        .or_else(|| tree.pods.get(namespace).map(Vec::as_slice))
        .unwrap_or_default();
    let docs = candidates.iter().filter_map(|&i| ctx.docs.get(i));
    let pods = docs.filter_map(|d| Some((d, Workload::of(d)?)));
    pods.filter(|(_, w)| selector.matches(&w.template_labels()))
        .collect()
}

/// The HorizontalPodAutoscaler that scales a workload.
pub fn hpa_for<'a>(ctx: &Ctx<'a>, doc: &Document) -> Option<Hpa<'a>> {
    let i = *tree(ctx)
        .hpas
        .get(&key(&[ns(doc), doc.kind(), doc.name()]))?;
    ctx.docs.get(i).and_then(Hpa::of)
}

/// Whether the tree will hold a Secret of this name in the namespace of `near`: written as
/// a Secret, or produced by a SealedSecret, an ExternalSecret or a cert-manager Certificate.
pub fn secret_provided(ctx: &Ctx, name: &str, near: &Document) -> bool {
    tree(ctx).secrets.contains(&key(&[ns(near), name]))
}

/// The fewest pods a replicated workload runs: its HPA's `minReplicas`, else `replicas`
/// (both default to 1). `None` for kinds without replicas.
pub struct Scale<'a> {
    pub min: i64,
    pub hpa: Option<Hpa<'a>>,
}

pub fn scale<'a>(ctx: &Ctx<'a>, doc: &'a Document) -> Option<Scale<'a>> {
    let w = Workload::of(doc).filter(|w| w.kind().has_replicas())?;
    Some(match hpa_for(ctx, doc) {
        Some(hpa) => Scale {
            min: hpa.min_replicas().unwrap_or(1),
            hpa: Some(hpa),
        },
        None => Scale {
            min: w.replicas().unwrap_or(1),
            hpa: None,
        },
    })
}

impl Scale<'_> {
    /// "3 replicas", or "at least 2 replicas (HorizontalPodAutoscaler `api`)".
    pub fn describe(&self) -> String {
        let n = self.min;
        match &self.hpa {
            Some(h) => format!(
                "at least {n} replica{} (HorizontalPodAutoscaler `{}`)",
                plural(n),
                h.str(&["metadata", "name"]).unwrap_or("?")
            ),
            None => format!("{n} replica{}", plural(n)),
        }
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Whether a PDB selects pods with these labels. An empty selector selects every pod in
/// policy/v1 and none in policy/v1beta1; a missing one selects none.
pub fn pdb_selects(pdb: &Document, labels: &BTreeMap<&str, &str>) -> bool {
    let Some(selector) = Pdb::of(pdb).and_then(|p| p.selector()) else {
        return false;
    };
    !(selector.is_empty() && pdb.api_version() == "policy/v1beta1") && selector.matches(labels)
}

/// The workloads (with replicas) in the PDB's namespace whose pods it selects.
pub fn pdb_targets<'a>(ctx: &Ctx<'a>, pdb: &Document) -> Vec<&'a Document> {
    let Some(selector) = Pdb::of(pdb).and_then(|p| p.selector()) else {
        return Vec::new();
    };
    if selector.is_empty() && pdb.api_version() == "policy/v1beta1" {
        return Vec::new();
    }
    let found = selected_pods(ctx, ns(pdb), &selector).into_iter();
    found
        .filter(|(_, w)| w.kind().has_replicas())
        .map(|(d, _)| d)
        .collect()
}

/// A pod anti-affinity term (required or preferred) on `topology_key` whose selector
/// matches the workload's own pods.
pub fn anti_affinity_spreads(w: &Workload, keys: &[&str]) -> bool {
    let Some(anti) = w
        .pod_spec()
        .and_then(|s| s.at(&["affinity", "podAntiAffinity"]))
    else {
        return false;
    };
    let labels = w.template_labels();
    let items = |key| anti.get(key).map(|f| f.items()).unwrap_or_default();
    let required = items("requiredDuringSchedulingIgnoredDuringExecution");
    let preferred = items("preferredDuringSchedulingIgnoredDuringExecution");
    let preferred = preferred.iter().filter_map(|p| p.get("podAffinityTerm"));
    required.into_iter().chain(preferred).any(|term| {
        term.str(&["topologyKey"])
            .is_some_and(|k| keys.contains(&k))
            && term
                .view::<LabelSelector>(&["labelSelector"])
                .is_some_and(|s| s.matches(&labels))
    })
}

/// A topology spread constraint on one of `keys` (its selector is not checked: a constraint
/// on other pods is unusual enough to leave to review).
pub fn spread_on(w: &Workload, keys: &[&str]) -> bool {
    let constraints = w
        .pod_spec()
        .map(|s| s.topology_spread_constraints())
        .unwrap_or_default();
    constraints
        .iter()
        .any(|c| c.topology_key().is_some_and(|k| keys.contains(&k)))
}

/// An op adding a soft (`ScheduleAnyway`) spread constraint on `key` over the workload's
/// own pods; `None` when the template has no labels to select them by.
pub fn add_spread(w: &Workload, key: &str) -> Option<Op> {
    let spec = w.pod_spec()?;
    let labels = w.template_labels();
    if labels.is_empty() {
        return None;
    }
    let mut match_labels = Map::default();
    for (k, v) in labels {
        match_labels.insert(k, Node::string(v));
    }
    let mut selector = Map::default();
    selector.insert("matchLabels", Node::new(Value::Map(match_labels)));
    let mut constraint = Map::default();
    constraint.insert("maxSkew", Node::new(Value::Int(1)));
    constraint.insert("topologyKey", Node::string(key));
    constraint.insert("whenUnsatisfiable", Node::string("ScheduleAnyway"));
    constraint.insert("labelSelector", Node::new(Value::Map(selector)));
    let constraint = Node::new(Value::Map(constraint));
    let list = spec.get("topologySpreadConstraints");
    Some(match list {
        Some(l) if l.node.as_seq().is_some() => Op::Add {
            path: format!("{}/-", l.pointer()),
            value: constraint,
        },
        Some(_) => return None,
        None => Op::Add {
            path: spec.pointer_to(&["topologySpreadConstraints"]),
            value: Node::new(Value::Seq(vec![constraint])),
        },
    })
}

pub const HOSTNAME: &str = "kubernetes.io/hostname";
pub const ZONE_KEYS: &[&str] = &[
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
];

// ---------------------------------------------------------------------------------------
// References from pod specs

/// A reference to a ConfigMap or Secret by name: where the name is and what uses it.
pub struct NameRef<'a> {
    pub name: &'a str,
    pub pointer: String,
    pub via: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    ConfigMap,
    Secret,
}

/// The references a pod spec makes to ConfigMaps or Secrets that are not `optional`.
pub fn pod_refs<'a>(spec: &PodSpec<'a>, kind: RefKind) -> Vec<NameRef<'a>> {
    let secret = kind == RefKind::Secret;
    let mut out = Vec::new();
    let mut push = |f: Option<Field<'a>>, name_key: &str, via: String| {
        let Some(name) = f
            .filter(|f| f.bool(&["optional"]) != Some(true))
            .and_then(|f| f.get(name_key))
        else {
            return;
        };
        if let Some(n) = name.as_str().filter(|n| !n.is_empty()) {
            out.push(NameRef {
                name: n,
                pointer: name.pointer(),
                via,
            });
        }
    };
    if secret {
        for p in spec
            .get("imagePullSecrets")
            .map(|f| f.items())
            .unwrap_or_default()
        {
            push(Some(p), "name", "imagePullSecrets".to_string());
        }
    }
    let (key_ref, from_ref) = if secret {
        ("secretKeyRef", "secretRef")
    } else {
        ("configMapKeyRef", "configMapRef")
    };
    for c in spec.all_containers() {
        let container = c.name().unwrap_or("?");
        for e in c.env() {
            let via = format!(
                "env `{}` of container `{container}`",
                e.name().unwrap_or("?")
            );
            push(e.view(&["valueFrom", key_ref]), "name", via);
        }
        for e in c.env_from() {
            push(
                e.view(&[from_ref]),
                "name",
                format!("envFrom of container `{container}`"),
            );
        }
    }
    for v in spec.volumes() {
        let via = format!("volume `{}`", v.name().unwrap_or("?"));
        match kind {
            RefKind::Secret => push(v.view(&["secret"]), "secretName", via.clone()),
            RefKind::ConfigMap => push(v.view(&["configMap"]), "name", via.clone()),
        }
        for source in v.list::<Field>(&["projected", "sources"]) {
            push(
                source.view(&[if secret { "secret" } else { "configMap" }]),
                "name",
                via.clone(),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// RBAC

/// A list of RBAC verbs or groups that names `want` or `*`.
pub fn lists(items: &[&str], want: &str) -> bool {
    items.iter().any(|i| *i == "*" || *i == want)
}

/// A `resources` entry that covers `want` (`pods`, `pods/exec`): itself, `*`, or `*/exec`.
pub fn covers(entry: &str, want: &str) -> bool {
    entry == "*"
        || entry == want
        || want
            .split_once('/')
            .is_some_and(|(_, sub)| entry.strip_prefix("*/") == Some(sub))
}

/// The pointer of the first `resources` item of a rule that covers `resource` in `group`
/// with one of `verbs` (or `*`).
pub fn grant(rule: &PolicyRule, verbs: &[&str], group: &str, resource: &str) -> Option<String> {
    let verbs_ok = verbs.iter().any(|v| lists(&rule.verbs(), v));
    if !verbs_ok || !lists(&rule.api_groups(), group) {
        return None;
    }
    let items = rule.get("resources").map(|f| f.items()).unwrap_or_default();
    items
        .into_iter()
        .find(|i| i.as_str().is_some_and(|r| covers(r, resource)))
        .map(|i| i.pointer())
}

/// The verbs of a rule among `wanted`, spelled out when the rule says `*`.
pub fn matched_verbs<'v>(rule: &PolicyRule, wanted: &[&'v str]) -> Vec<&'v str> {
    let verbs = rule.verbs();
    wanted
        .iter()
        .copied()
        .filter(|w| lists(&verbs, w))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Names

/// Why a name is not an IANA service name (container port names, named target ports).
pub fn iana_svc_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 15 {
        Some("must be 1 to 15 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("may contain only lowercase letters, digits and '-'")
    } else if !name.chars().any(|c| c.is_ascii_lowercase()) {
        Some("must contain at least one letter")
    } else if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        Some("may not start or end with '-' nor contain '--'")
    } else {
        None
    }
}

/// Why a name is not an RFC 1123 label (Service port names).
pub fn dns_label_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 63 {
        Some("must be 1 to 63 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("may contain only lowercase letters, digits and '-'")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("must start and end with a letter or digit")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_names() {
        for ok in ["http", "web-8080", "h2c", "a"] {
            assert_eq!(iana_svc_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "HTTP",
            "8080",
            "-http",
            "http-",
            "we--b",
            "metrics-endpoint",
            "a_b",
        ] {
            assert!(iana_svc_name_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(dns_label_problem("metrics-endpoint"), None);
        assert_eq!(dns_label_problem("8080"), None);
        assert!(dns_label_problem("Http").is_some() && dns_label_problem("-a").is_some());
    }

    #[test]
    fn resources_cover_subresources() {
        assert!(
            covers("*", "pods/exec") && covers("*/exec", "pods/exec") && covers("pods", "pods")
        );
        assert!(
            !covers("pods", "pods/exec")
                && !covers("*/log", "pods/exec")
                && !covers("*/exec", "pods")
        );
    }
}
