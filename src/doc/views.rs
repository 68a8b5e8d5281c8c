//! Typed, read-only views over documents. A view borrows a node (and can tell the JSON pointer
//! it sits at, finds fields where Kubernetes puts them, and answers `None` (or nothing) for
//! anything shaped otherwise: lint rules must see exactly what was written, so nothing here
//! deserializes into structs that would drop, default or reject fields.
//!
//! Every view derefs to its [`Field`], so `view.get("key")`, `view.pointer_to(&[..])` and
//! `view.pos()` give the location of whatever a rule reports on, present or missing.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::Deref;

use super::Document;
use super::pointer::escape_into;
use super::value::{Node, Pos, Value};

/// A node together with the document root it was found under. Its JSON pointer is worked
/// out only when asked for (a finding is reported), not while rules walk the tree.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub node: &'a Node,
    root: &'a Node,
}

/// A scalar's text for places Kubernetes compares textually (labels, selector values):
/// an unquoted `version: 1` still matches `"1"`, leaving its type to a dedicated rule.
fn scalar_text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::String(s) => Some(s),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
        _ => node.raw.as_deref(),
    }
}

/// Appends the pointer of `target` below `from` (found by address) to `out`. The search
/// records child indices and writes the pointer once, at the end: rules ask for a pointer
/// per finding, and a document has hundreds of keys.
fn locate(from: &Node, target: &Node, out: &mut String) -> bool {
    fn path_to(from: &Node, target: &Node, path: &mut Vec<usize>) -> bool {
        if std::ptr::eq(from, target) {
            return true;
        }
        let children: &mut dyn Iterator<Item = &Node> = match &from.value {
            Value::Map(m) => &mut m.entries.iter().map(|e| &e.value),
            Value::Seq(items) => &mut items.iter(),
            _ => return false,
        };
        for (i, child) in children.enumerate() {
            path.push(i);
            if path_to(child, target, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = Vec::new();
    if !path_to(from, target, &mut path) {
        return false;
    }
    let mut node = from;
    for i in path {
        match &node.value {
            Value::Map(m) => {
                out.push('/');
                escape_into(&m.entries[i].key, out);
                node = &m.entries[i].value;
            }
            Value::Seq(items) => {
                use std::fmt::Write;
                let _ = write!(out, "/{i}");
                node = &items[i];
            }
            _ => unreachable!("the path was found through maps and sequences"),
        }
    }
    true
}

impl PartialEq for Field<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.root, other.root) && std::ptr::eq(self.node, other.node)
            || self.node == other.node && self.pointer() == other.pointer()
    }
}

impl std::fmt::Debug for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("node", self.node)
            .field("pointer", &self.pointer())
            .finish()
    }
}

impl<'a> Field<'a> {
    pub fn root(node: &'a Node) -> Self {
        Field { node, root: node }
    }

    fn child(&self, node: &'a Node) -> Self {
        Field {
            node,
            root: self.root,
        }
    }

    /// The field is the whole tree it was taken from.
    pub fn is_root(&self) -> bool {
        std::ptr::eq(self.node, self.root)
    }

    pub fn pointer(&self) -> String {
        let mut p = String::new();
        let found = locate(self.root, self.node, &mut p);
        debug_assert!(found, "a field's node lies under its root");
        p
    }

    pub fn pos(&self) -> Pos {
        self.node.pos
    }

    /// Pointer of a descendant whether or not it exists: a finding about a missing field
    /// reports it, and `Document::pos` falls back to the nearest existing ancestor.
    pub fn pointer_to(&self, path: &[&str]) -> String {
        let mut p = self.pointer();
        for key in path {
            p.push('/');
            escape_into(key, &mut p);
        }
        p
    }

    pub fn get(&self, key: &str) -> Option<Field<'a>> {
        self.at(&[key])
    }

    pub fn at(&self, path: &[&str]) -> Option<Field<'a>> {
        Some(self.child(self.node.path(path)?))
    }

    /// Items of a sequence; nothing for any other node.
    pub fn items(&self) -> Vec<Field<'a>> {
        let items = self.node.as_seq().unwrap_or_default();
        items.iter().map(|n| self.child(n)).collect()
    }

    /// Entries of a mapping in source order; nothing for any other node.
    pub fn entries(&self) -> Vec<(&'a str, Field<'a>)> {
        let Some(map) = self.node.as_map() else {
            return Vec::new();
        };
        map.entries
            .iter()
            .map(|e| (e.key.as_str(), self.child(&e.value)))
            .collect()
    }

    pub fn is_map(&self) -> bool {
        self.node.as_map().is_some()
    }

    pub fn as_str(&self) -> Option<&'a str> {
        self.node.as_str()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.node.as_i64()
    }

    pub fn as_bool(&self) -> Option<bool> {
        self.node.as_bool()
    }

    /// The scalar as written (strings, numbers, booleans); `None` for null and collections.
    pub fn text(&self) -> Option<&'a str> {
        scalar_text(self.node)
    }

    pub fn str(&self, path: &[&str]) -> Option<&'a str> {
        self.node.path(path)?.as_str()
    }

    pub fn int(&self, path: &[&str]) -> Option<i64> {
        self.node.path(path)?.as_i64()
    }

    pub fn bool(&self, path: &[&str]) -> Option<bool> {
        self.node.path(path)?.as_bool()
    }

    /// The string items of a sequence; other items are skipped.
    pub fn strs(&self, path: &[&str]) -> Vec<&'a str> {
        let items = self.node.path(path).and_then(Node::as_seq);
        items
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect()
    }

    /// A mapping of scalars (labels, nodeSelector), by text; non-scalar values are skipped.
    pub fn labels(&self, path: &[&str]) -> BTreeMap<&'a str, &'a str> {
        let Some(map) = self.node.path(path).and_then(Node::as_map) else {
            return BTreeMap::new();
        };
        map.entries
            .iter()
            .filter_map(|e| Some((e.key.as_str(), scalar_text(&e.value)?)))
            .collect()
    }

    /// Keys of a mapping, in source order.
    pub fn keys(&self, path: &[&str]) -> Vec<&'a str> {
        let map = self.node.path(path).and_then(Node::as_map);
        map.map_or_else(Vec::new, |m| {
            m.entries.iter().map(|e| e.key.as_str()).collect()
        })
    }

    /// The `name`s of a list of references such as `imagePullSecrets: [{name: x}]`.
    pub fn names(&self, path: &[&str]) -> Vec<&'a str> {
        let items = self.node.path(path).and_then(Node::as_seq);
        let names = items.unwrap_or_default().iter();
        names.filter_map(|n| n.str_at(&["name"])).collect()
    }

    /// A view of the mapping at `path`; `None` when absent or not a mapping.
    pub fn view<V: From<Field<'a>>>(&self, path: &[&str]) -> Option<V> {
        self.at(path).filter(Field::is_map).map(V::from)
    }

    /// Views of the mapping items of the sequence at `path` (pointers keep their indices).
    pub fn list<V: From<Field<'a>>>(&self, path: &[&str]) -> Vec<V> {
        let items = self.at(path).map(|f| f.items()).unwrap_or_default();
        items
            .into_iter()
            .filter(Field::is_map)
            .map(V::from)
            .collect()
    }
}

/// A newtype view over a [`Field`]; with kinds, also `of(&Document)` that checks `kind`.
macro_rules! view {
    ($(#[$m:meta])* $name:ident $([$($kind:literal),+])?) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name<'a>(pub Field<'a>);

        impl<'a> Deref for $name<'a> {
            type Target = Field<'a>;
            fn deref(&self) -> &Field<'a> {
                &self.0
            }
        }

        impl<'a> From<Field<'a>> for $name<'a> {
            fn from(f: Field<'a>) -> Self {
                $name(f)
            }
        }

        $(impl<'a> $name<'a> {
            pub const KINDS: &'static [&'static str] = &[$($kind),+];

            pub fn of(doc: &'a Document) -> Option<Self> {
                Self::of_node(&doc.root)
            }

            pub fn of_node(root: &'a Node) -> Option<Self> {
                let kind = root.str_at(&["kind"])?;
                Self::KINDS.contains(&kind).then(|| $name(Field::root(root)))
            }
        })?
    };
}

/// Accessors `name: shape = "key" / "key";` where shape is `str`, `int`, `bool`, `field`,
/// `strs`, `labels`, `keys`, `names`, `int_or_str`, `int_or_pct`, `selector`, `(View)`
/// for one nested view or `[View]` for a list of them.
macro_rules! fields {
    (@one [$($a:tt)*] $name:ident str $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<&'a str> { Field::str(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident int $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<i64> { Field::int(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident bool $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<bool> { Field::bool(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident field $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<Field<'a>> { Field::at(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident strs $k:tt) => {
        $($a)* pub fn $name(&self) -> Vec<&'a str> { Field::strs(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident labels $k:tt) => {
        $($a)* pub fn $name(&self) -> BTreeMap<&'a str, &'a str> { Field::labels(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident keys $k:tt) => {
        $($a)* pub fn $name(&self) -> Vec<&'a str> { Field::keys(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident names $k:tt) => {
        $($a)* pub fn $name(&self) -> Vec<&'a str> { Field::names(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident int_or_str $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<IntOrString<'a>> {
            IntOrString::of(self.node.path(&$k)?)
        }
    };
    (@one [$($a:tt)*] $name:ident int_or_pct $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<IntOrPercent> { IntOrPercent::of(self.node.path(&$k)?) }
    };
    (@one [$($a:tt)*] $name:ident selector $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<LabelSelector<'a>> { Field::view(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident ($v:ident) $k:tt) => {
        $($a)* pub fn $name(&self) -> Option<$v<'a>> { Field::view(self, &$k) }
    };
    (@one [$($a:tt)*] $name:ident [$v:ident] $k:tt) => {
        $($a)* pub fn $name(&self) -> Vec<$v<'a>> { Field::list(self, &$k) }
    };
    ($view:ident { $($(#[$m:meta])* $name:ident: $shape:tt = $($key:literal)/+;)* }) => {
        impl<'a> $view<'a> {
            $(fields!(@one [$(#[$m])*] $name $shape [$($key),+]);)*
        }
    };
}

// ---------------------------------------------------------------------------------------
// Small value helpers

/// `port: 8080` or `port: http`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrString<'a> {
    Int(i64),
    Str(&'a str),
}

impl<'a> IntOrString<'a> {
    pub fn of(node: &'a Node) -> Option<Self> {
        match node.as_i64() {
            Some(i) => Some(IntOrString::Int(i)),
            None => node.as_str().map(IntOrString::Str),
        }
    }
}

/// `maxUnavailable: 1` or `maxUnavailable: "25%"`; any other string is `None`, as the API
/// server rejects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    pub fn of(node: &Node) -> Option<Self> {
        if let Some(i) = node.as_i64() {
            return Some(IntOrPercent::Int(i));
        }
        let pct = node.as_str()?.strip_suffix('%')?;
        pct.parse().ok().map(IntOrPercent::Percent)
    }

    /// The absolute number for `total` replicas, rounding percentages the way the
    /// controller does for that field (maxSurge and minAvailable up, maxUnavailable down).
    pub fn resolve(self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(i) => i,
            IntOrPercent::Percent(p) => {
                let scaled = p.saturating_mul(total);
                if round_up {
                    scaled.div_euclid(100) + i64::from(scaled.rem_euclid(100) != 0)
                } else {
                    scaled.div_euclid(100)
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Label selectors

/// `matchLabels` + `matchExpressions`, or (for Services and ReplicationControllers) a plain
/// label map, which Kubernetes treats as matchLabels alone.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelSelector<'a> {
    field: Field<'a>,
    plain: bool,
}

impl<'a> Deref for LabelSelector<'a> {
    type Target = Field<'a>;
    fn deref(&self) -> &Field<'a> {
        &self.field
    }
}

impl<'a> From<Field<'a>> for LabelSelector<'a> {
    fn from(field: Field<'a>) -> Self {
        LabelSelector {
            field,
            plain: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

view!(Requirement);
fields!(Requirement {
    key: str = "key";
});

impl<'a> Requirement<'a> {
    /// `None` for an operator Kubernetes does not know (the selector then matches nothing).
    pub fn operator(&self) -> Option<Operator> {
        Some(match self.str(&["operator"])? {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            _ => return None,
        })
    }

    pub fn values(&self) -> Vec<&'a str> {
        let values = self.get("values").map(|f| f.items()).unwrap_or_default();
        values.iter().filter_map(Field::text).collect()
    }

    pub fn matches(&self, value: Option<&str>) -> bool {
        let within = || value.is_some_and(|v| self.values().contains(&v));
        match self.operator() {
            Some(Operator::In) => within(),
            Some(Operator::NotIn) => !within(),
            Some(Operator::Exists) => value.is_some(),
            Some(Operator::DoesNotExist) => value.is_none(),
            None => false,
        }
    }
}

impl<'a> LabelSelector<'a> {
    pub fn new(field: Field<'a>) -> Self {
        field.into()
    }

    pub fn plain(field: Field<'a>) -> Self {
        LabelSelector { field, plain: true }
    }

    pub fn match_labels(&self) -> BTreeMap<&'a str, &'a str> {
        self.field
            .labels(if self.plain { &[] } else { &["matchLabels"] })
    }

    pub fn match_expressions(&self) -> Vec<Requirement<'a>> {
        if self.plain {
            return Vec::new();
        }
        self.field.list(&["matchExpressions"])
    }

    /// Selects everything (`{}`): fine for a NetworkPolicy, a mistake almost everywhere else.
    pub fn is_empty(&self) -> bool {
        self.match_labels().is_empty() && self.match_expressions().is_empty()
    }

    /// A selector that is not a mapping (or whose parts are mis-shaped) matches nothing.
    fn well_formed(&self) -> bool {
        let node = self.field.node;
        let labels_ok = node.get("matchLabels").is_none_or(|n| n.as_map().is_some());
        let exprs_ok = node.get("matchExpressions").is_none_or(|n| {
            n.as_seq()
                .is_some_and(|s| s.iter().all(|r| r.as_map().is_some()))
        });
        node.as_map().is_some() && (self.plain || (labels_ok && exprs_ok))
    }

    pub fn matches<K, V>(&self, labels: &BTreeMap<K, V>) -> bool
    where
        K: Borrow<str> + Ord,
        V: AsRef<str>,
    {
        let value = |k: &str| labels.get(k).map(AsRef::as_ref);
        self.well_formed()
            && self
                .match_labels()
                .iter()
                .all(|(k, v)| value(k) == Some(*v))
            && self.match_expressions().iter().all(|r| match r.key() {
                Some(k) => r.matches(value(k)),
                None => false,
            })
    }
}

// ---------------------------------------------------------------------------------------
// Workloads and pod specs

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 8] = [
        WorkloadKind::Pod,
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::ReplicaSet,
        WorkloadKind::ReplicationController,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    pub fn has_replicas(self) -> bool {
        use WorkloadKind::*;
        matches!(
            self,
            Deployment | StatefulSet | ReplicaSet | ReplicationController
        )
    }
}

/// Anything that runs pods: finds the pod template wherever its kind keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload<'a> {
    kind: WorkloadKind,
    root: Field<'a>,
}

impl<'a> Deref for Workload<'a> {
    type Target = Field<'a>;
    fn deref(&self) -> &Field<'a> {
        &self.root
    }
}

impl<'a> Workload<'a> {
    pub fn of(doc: &'a Document) -> Option<Self> {
        Self::of_node(&doc.root)
    }

    pub fn of_node(root: &'a Node) -> Option<Self> {
        let kind = WorkloadKind::parse(root.str_at(&["kind"])?)?;
        Some(Workload {
            kind,
            root: Field::root(root),
        })
    }

    pub fn kind(&self) -> WorkloadKind {
        self.kind
    }

    /// The pod template (`metadata` + `spec`); a Pod has none, it is its own template.
    pub fn template(&self) -> Option<Field<'a>> {
        match self.kind {
            WorkloadKind::Pod => None,
            WorkloadKind::CronJob => self.root.view(&["spec", "jobTemplate", "spec", "template"]),
            _ => self.root.view(&["spec", "template"]),
        }
    }

    pub fn pod_spec(&self) -> Option<PodSpec<'a>> {
        match self.kind {
            WorkloadKind::Pod => self.root.view(&["spec"]),
            _ => self.template()?.view(&["spec"]),
        }
    }

    /// The metadata pods get: the template's, or a Pod's own.
    pub fn pod_template_metadata(&self) -> Option<Field<'a>> {
        match self.kind {
            WorkloadKind::Pod => self.root.view(&["metadata"]),
            _ => self.template()?.view(&["metadata"]),
        }
    }

    pub fn template_labels(&self) -> BTreeMap<&'a str, &'a str> {
        let meta = self.pod_template_metadata();
        meta.map(|m| m.labels(&["labels"])).unwrap_or_default()
    }

    /// `spec.replicas` for the kinds that have it (absent means 1 to Kubernetes).
    pub fn replicas(&self) -> Option<i64> {
        self.kind
            .has_replicas()
            .then(|| self.root.int(&["spec", "replicas"]))?
    }

    pub fn selector(&self) -> Option<LabelSelector<'a>> {
        let root = &self.root;
        match self.kind {
            WorkloadKind::Pod => None,
            WorkloadKind::ReplicationController => {
                root.view(&["spec", "selector"]).map(LabelSelector::plain)
            }
            WorkloadKind::CronJob => root.view(&["spec", "jobTemplate", "spec", "selector"]),
            _ => root.view(&["spec", "selector"]),
        }
    }

    /// Deployment `strategy`, StatefulSet and DaemonSet `updateStrategy`.
    pub fn strategy(&self) -> Option<Strategy<'a>> {
        match self.kind {
            WorkloadKind::Deployment => self.root.view(&["spec", "strategy"]),
            WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
                self.root.view(&["spec", "updateStrategy"])
            }
            _ => None,
        }
    }

    pub fn service_name(&self) -> Option<&'a str> {
        let sts = self.kind == WorkloadKind::StatefulSet;
        sts.then(|| self.root.str(&["spec", "serviceName"]))?
    }

    pub fn volume_claim_templates(&self) -> Vec<Pvc<'a>> {
        match self.kind {
            WorkloadKind::StatefulSet => self.root.list(&["spec", "volumeClaimTemplates"]),
            _ => Vec::new(),
        }
    }
}

view!(Strategy);
fields!(Strategy {
    strategy_type: str = "type";
    max_surge: int_or_pct = "rollingUpdate" / "maxSurge";
    max_unavailable: int_or_pct = "rollingUpdate" / "maxUnavailable";
    partition: int = "rollingUpdate" / "partition";
});

view!(PodSpec);
fields!(PodSpec {
    containers: [Container] = "containers";
    init_containers: [Container] = "initContainers";
    ephemeral_containers: [Container] = "ephemeralContainers";
    volumes: [Volume] = "volumes";
    automount_service_account_token: bool = "automountServiceAccountToken";
    host_network: bool = "hostNetwork";
    host_pid: bool = "hostPID";
    host_ipc: bool = "hostIPC";
    security_context: (SecurityContext) = "securityContext";
    image_pull_secrets: names = "imagePullSecrets";
    affinity: field = "affinity";
    topology_spread_constraints: [TopologySpreadConstraint] = "topologySpreadConstraints";
    node_selector: labels = "nodeSelector";
    tolerations: [Toleration] = "tolerations";
    restart_policy: str = "restartPolicy";
    priority_class_name: str = "priorityClassName";
    termination_grace_period_seconds: int = "terminationGracePeriodSeconds";
});

impl<'a> PodSpec<'a> {
    /// Init, then regular, then ephemeral containers; [`Container::role`] tells them apart.
    pub fn all_containers(&self) -> Vec<Container<'a>> {
        let mut all = self.init_containers();
        all.extend(self.containers());
        all.extend(self.ephemeral_containers());
        all
    }

    /// `serviceAccountName`, or the deprecated `serviceAccount` the API server still honours.
    pub fn service_account_name(&self) -> Option<&'a str> {
        self.str(&["serviceAccountName"])
            .or_else(|| self.str(&["serviceAccount"]))
    }
}

view!(Volume);
fields!(Volume {
    name: str = "name";
    config_map_name: str = "configMap" / "name";
    secret_name: str = "secret" / "secretName";
    claim_name: str = "persistentVolumeClaim" / "claimName";
    host_path: str = "hostPath" / "path";
});

impl<'a> Volume<'a> {
    /// The volume source (`emptyDir`, `secret`, ...) and its settings.
    pub fn source(&self) -> Option<(&'a str, Field<'a>)> {
        self.entries().into_iter().find(|(k, _)| *k != "name")
    }
}

view!(Toleration);
fields!(Toleration {
    key: str = "key";
    operator: str = "operator";
    value: str = "value";
    effect: str = "effect";
    toleration_seconds: int = "tolerationSeconds";
});

view!(TopologySpreadConstraint);
fields!(TopologySpreadConstraint {
    max_skew: int = "maxSkew";
    topology_key: str = "topologyKey";
    when_unsatisfiable: str = "whenUnsatisfiable";
    label_selector: selector = "labelSelector";
});

view!(SecurityContext);
fields!(SecurityContext {
    run_as_non_root: bool = "runAsNonRoot";
    run_as_user: int = "runAsUser";
    run_as_group: int = "runAsGroup";
    fs_group: int = "fsGroup";
    privileged: bool = "privileged";
    allow_privilege_escalation: bool = "allowPrivilegeEscalation";
    read_only_root_filesystem: bool = "readOnlyRootFilesystem";
    capabilities_add: strs = "capabilities" / "add";
    capabilities_drop: strs = "capabilities" / "drop";
    seccomp_profile_type: str = "seccompProfile" / "type";
    app_armor_profile_type: str = "appArmorProfile" / "type";
    proc_mount: str = "procMount";
});

// ---------------------------------------------------------------------------------------
// Containers

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerRole {
    Regular,
    Init,
    Ephemeral,
}

view!(Container);
fields!(Container {
    name: str = "name";
    image: str = "image";
    image_pull_policy: str = "imagePullPolicy";
    command: strs = "command";
    args: strs = "args";
    working_dir: str = "workingDir";
    ports: [ContainerPort] = "ports";
    env: [EnvVar] = "env";
    env_from: [EnvFrom] = "envFrom";
    resources: (Resources) = "resources";
    liveness_probe: (Probe) = "livenessProbe";
    readiness_probe: (Probe) = "readinessProbe";
    startup_probe: (Probe) = "startupProbe";
    security_context: (SecurityContext) = "securityContext";
    volume_mounts: [VolumeMount] = "volumeMounts";
    lifecycle: field = "lifecycle";
});

impl<'a> Container<'a> {
    pub fn image_ref(&self) -> Option<ImageRef<'a>> {
        ImageRef::parse(self.image()?)
    }

    /// Which list the container came from, read off its pointer (`.../initContainers/0`).
    pub fn role(&self) -> ContainerRole {
        match self.pointer().rsplit('/').nth(1) {
            Some("initContainers") => ContainerRole::Init,
            Some("ephemeralContainers") => ContainerRole::Ephemeral,
            _ => ContainerRole::Regular,
        }
    }
}

/// An image reference split the way Docker does: the first path component is a registry
/// only if it has a `.` or `:`, is `localhost`, or has upper case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `None` when implied (Docker Hub).
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:...`
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// `None` for text that cannot be a reference (empty, whitespace, empty tag or digest).
    pub fn parse(image: &'a str) -> Option<Self> {
        if image.is_empty() || image.contains(char::is_whitespace) {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (image, None),
        };
        let (name, tag) = match name.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
            _ => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.contains(|c: char| c.is_ascii_uppercase()) =>
            {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        let digest_ok = digest.is_none_or(|d| {
            d.split_once(':')
                .is_some_and(|(alg, hex)| !alg.is_empty() && !hex.is_empty() && !hex.contains('@'))
        });
        let parts_ok = !repository.is_empty() && !repository.split('/').any(str::is_empty);
        (parts_ok && digest_ok && tag != Some("") && registry != Some("")).then_some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    pub fn registry_or_default(&self) -> &'a str {
        self.registry.unwrap_or("docker.io")
    }

    /// Untagged or `latest`, and not pinned by digest (a digest fixes the image whatever
    /// the tag says).
    pub fn is_latest_or_floating(&self) -> bool {
        self.digest.is_none() && matches!(self.tag, None | Some("latest"))
    }
}

view!(ContainerPort);
fields!(ContainerPort {
    container_port: int = "containerPort";
    name: str = "name";
    protocol: str = "protocol";
    host_port: int = "hostPort";
});

view!(EnvVar);
fields!(EnvVar {
    name: str = "name";
    value: str = "value";
});

/// Where an env var's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvSource<'a> {
    SecretKeyRef(KeyRef<'a>),
    ConfigMapKeyRef(KeyRef<'a>),
    FieldRef(Option<&'a str>),
    ResourceFieldRef(Option<&'a str>),
    Unknown(Field<'a>),
}

impl<'a> EnvVar<'a> {
    pub fn value_from(&self) -> Option<EnvSource<'a>> {
        let from = self.view::<Field>(&["valueFrom"])?;
        Some(if let Some(r) = from.view(&["secretKeyRef"]) {
            EnvSource::SecretKeyRef(r)
        } else if let Some(r) = from.view(&["configMapKeyRef"]) {
            EnvSource::ConfigMapKeyRef(r)
        } else if from.get("fieldRef").is_some() {
            EnvSource::FieldRef(from.str(&["fieldRef", "fieldPath"]))
        } else if from.get("resourceFieldRef").is_some() {
            EnvSource::ResourceFieldRef(from.str(&["resourceFieldRef", "resource"]))
        } else {
            EnvSource::Unknown(from)
        })
    }
}

view!(KeyRef);
fields!(KeyRef {
    name: str = "name";
    key: str = "key";
    optional: bool = "optional";
});

view!(EnvFrom);
fields!(EnvFrom {
    prefix: str = "prefix";
    config_map_name: str = "configMapRef" / "name";
    secret_name: str = "secretRef" / "name";
});

view!(VolumeMount);
fields!(VolumeMount {
    name: str = "name";
    mount_path: str = "mountPath";
    read_only: bool = "readOnly";
    sub_path: str = "subPath";
});

view!(Resources);
fields!(Resources {
    requests: (ResourceList) = "requests";
    limits: (ResourceList) = "limits";
});

// Quantities stay raw nodes: parsing them is `doc::quantity`'s business.
view!(ResourceList);
fields!(ResourceList {
    cpu: field = "cpu";
    memory: field = "memory";
    ephemeral_storage: field = "ephemeral-storage";
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeHandler {
    HttpGet,
    TcpSocket,
    Exec,
    Grpc,
}

impl ProbeHandler {
    pub const ALL: [ProbeHandler; 4] = [
        ProbeHandler::HttpGet,
        ProbeHandler::TcpSocket,
        ProbeHandler::Exec,
        ProbeHandler::Grpc,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ProbeHandler::HttpGet => "httpGet",
            ProbeHandler::TcpSocket => "tcpSocket",
            ProbeHandler::Exec => "exec",
            ProbeHandler::Grpc => "grpc",
        }
    }
}

view!(Probe);
fields!(Probe {
    path: str = "httpGet" / "path";
    scheme: str = "httpGet" / "scheme";
    command: strs = "exec" / "command";
    initial_delay_seconds: int = "initialDelaySeconds";
    period_seconds: int = "periodSeconds";
    timeout_seconds: int = "timeoutSeconds";
    success_threshold: int = "successThreshold";
    failure_threshold: int = "failureThreshold";
    termination_grace_period_seconds: int = "terminationGracePeriodSeconds";
});

impl<'a> Probe<'a> {
    /// The first handler present (Kubernetes allows exactly one).
    pub fn handler(&self) -> Option<(ProbeHandler, Field<'a>)> {
        ProbeHandler::ALL
            .into_iter()
            .find_map(|h| Some((h, self.get(h.key())?)))
    }

    /// The handler's port, a number or a container port name (exec probes have none).
    pub fn port(&self) -> Option<IntOrString<'a>> {
        IntOrString::of(self.handler()?.1.node.get("port")?)
    }
}

// ---------------------------------------------------------------------------------------
// Other kinds

view!(Service["Service"]);
fields!(Service {
    service_type: str = "spec" / "type";
    cluster_ip: str = "spec" / "clusterIP";
    external_ips: strs = "spec" / "externalIPs";
    load_balancer_source_ranges: strs = "spec" / "loadBalancerSourceRanges";
    external_name: str = "spec" / "externalName";
    external_traffic_policy: str = "spec" / "externalTrafficPolicy";
    ports: [ServicePort] = "spec" / "ports";
});

impl<'a> Service<'a> {
    pub fn selector(&self) -> Option<LabelSelector<'a>> {
        self.view(&["spec", "selector"]).map(LabelSelector::plain)
    }
}

view!(ServicePort);
fields!(ServicePort {
    name: str = "name";
    protocol: str = "protocol";
    port: int = "port";
    target_port: int_or_str = "targetPort";
    node_port: int = "nodePort";
});

view!(Hpa["HorizontalPodAutoscaler"]);
fields!(Hpa {
    scale_target_ref: (TargetRef) = "spec" / "scaleTargetRef";
    min_replicas: int = "spec" / "minReplicas";
    max_replicas: int = "spec" / "maxReplicas";
    behavior: field = "spec" / "behavior";
});

view!(TargetRef);
fields!(TargetRef {
    kind: str = "kind";
    name: str = "name";
    api_version: str = "apiVersion";
});

/// One HPA metric in a shape common to autoscaling v1, v2beta1, v2beta2 and v2.
#[derive(Clone, Debug, PartialEq)]
pub struct HpaMetric<'a> {
    /// `Resource`, `ContainerResource`, `Pods`, `Object` or `External`, as written.
    pub kind: &'a str,
    /// The resource name (`cpu`) or the metric name.
    pub name: Option<&'a str>,
    pub container: Option<&'a str>,
    pub target_utilization: Option<i64>,
    pub target_average_value: Option<Field<'a>>,
    pub target_value: Option<Field<'a>>,
    /// The metric entry, or v1's `targetCPUUtilizationPercentage`.
    pub field: Field<'a>,
}

impl<'a> Hpa<'a> {
    /// Metrics read by shape rather than by `apiVersion`, so a document whose version and
    /// body disagree still yields what it says.
    pub fn metrics(&self) -> Vec<HpaMetric<'a>> {
        let v1 = self.at(&["spec", "targetCPUUtilizationPercentage"]);
        let v1 = v1.map(|field| HpaMetric {
            kind: "Resource",
            name: Some("cpu"),
            container: None,
            target_utilization: field.as_i64(),
            target_average_value: None,
            target_value: None,
            field,
        });
        let listed = self
            .list::<Field>(&["spec", "metrics"])
            .into_iter()
            .map(|field| {
                let kind = field.str(&["type"]).unwrap_or("");
                let key = match kind {
                    "Resource" => Some("resource"),
                    "ContainerResource" => Some("containerResource"),
                    "Pods" => Some("pods"),
                    "Object" => Some("object"),
                    "External" => Some("external"),
                    _ => None,
                };
                let src = key.and_then(|k| field.view::<Field>(&[k]));
                let at = |path: &[&str]| src.as_ref()?.at(path);
                let text = |path: &[&str]| src.as_ref()?.str(path);
                // v2 nests the target under `target`; v2beta1 spells it `targetAverage...`.
                let target = |v2, beta| at(&["target", v2]).or_else(|| at(&[beta]));
                HpaMetric {
                    kind,
                    name: text(&["name"])
                        .or_else(|| text(&["metric", "name"]))
                        .or_else(|| text(&["metricName"])),
                    container: text(&["container"]),
                    target_utilization: target("averageUtilization", "targetAverageUtilization")
                        .and_then(|f| f.as_i64()),
                    target_average_value: target("averageValue", "targetAverageValue"),
                    target_value: target("value", "targetValue"),
                    field,
                }
            });
        v1.into_iter().chain(listed).collect()
    }
}

view!(
    /// A PersistentVolumeClaim document or a StatefulSet `volumeClaimTemplates` item: both
    /// are `metadata` + `spec`.
    Pvc["PersistentVolumeClaim"]
);
fields!(Pvc {
    name: str = "metadata" / "name";
    storage_request: field = "spec" / "resources" / "requests" / "storage";
    access_modes: strs = "spec" / "accessModes";
    storage_class_name: str = "spec" / "storageClassName";
    volume_name: str = "spec" / "volumeName";
    volume_mode: str = "spec" / "volumeMode";
});

view!(Pdb["PodDisruptionBudget"]);
fields!(Pdb {
    min_available: int_or_pct = "spec" / "minAvailable";
    max_unavailable: int_or_pct = "spec" / "maxUnavailable";
    selector: selector = "spec" / "selector";
    unhealthy_pod_eviction_policy: str = "spec" / "unhealthyPodEvictionPolicy";
});

view!(ConfigMap["ConfigMap"]);
fields!(ConfigMap {
    data_keys: keys = "data";
    binary_data_keys: keys = "binaryData";
    immutable: bool = "immutable";
});

// Key names only: nothing here hands out a secret's values.
view!(Secret["Secret"]);
fields!(Secret {
    secret_type: str = "type";
    data_keys: keys = "data";
    string_data_keys: keys = "stringData";
    immutable: bool = "immutable";
});

view!(Ingress["Ingress"]);
fields!(Ingress {
    ingress_class_name: str = "spec" / "ingressClassName";
    rules: [IngressRule] = "spec" / "rules";
    tls: [IngressTls] = "spec" / "tls";
});

impl<'a> Ingress<'a> {
    /// `defaultBackend`, or `backend` in extensions/v1beta1.
    pub fn default_backend(&self) -> Option<Backend<'a>> {
        self.view(&["spec", "defaultBackend"])
            .or_else(|| self.view(&["spec", "backend"]))
    }

    pub fn tls_secret_names(&self) -> Vec<&'a str> {
        self.tls()
            .iter()
            .filter_map(IngressTls::secret_name)
            .collect()
    }

    /// The default backend, then every path's backend.
    pub fn backends(&self) -> Vec<Backend<'a>> {
        let paths = self
            .rules()
            .iter()
            .flat_map(IngressRule::paths)
            .collect::<Vec<_>>();
        let routed = paths.iter().filter_map(IngressPath::backend);
        self.default_backend().into_iter().chain(routed).collect()
    }
}

view!(IngressRule);
fields!(IngressRule {
    host: str = "host";
    paths: [IngressPath] = "http" / "paths";
});

view!(IngressPath);
fields!(IngressPath {
    path: str = "path";
    path_type: str = "pathType";
    backend: (Backend) = "backend";
});

view!(IngressTls);
fields!(IngressTls {
    hosts: strs = "hosts";
    secret_name: str = "secretName";
});

view!(Backend);
fields!(Backend {
    resource: field = "resource";
});

impl<'a> Backend<'a> {
    /// `service.name` (networking.k8s.io/v1) or `serviceName` (extensions/v1beta1).
    pub fn service_name(&self) -> Option<&'a str> {
        self.str(&["service", "name"])
            .or_else(|| self.str(&["serviceName"]))
    }

    /// `service.port.number` / `service.port.name`, or `servicePort`.
    pub fn service_port(&self) -> Option<IntOrString<'a>> {
        let port = self.node.path(&["service", "port"]);
        let v1 = port.and_then(|p| {
            p.get("number")
                .and_then(IntOrString::of)
                .or_else(|| p.get("name").and_then(IntOrString::of))
        });
        v1.or_else(|| IntOrString::of(self.node.get("servicePort")?))
    }
}

view!(NetworkPolicy["NetworkPolicy"]);
fields!(NetworkPolicy {
    pod_selector: selector = "spec" / "podSelector";
    policy_types: strs = "spec" / "policyTypes";
    ingress_rules: [Field] = "spec" / "ingress";
    egress_rules: [Field] = "spec" / "egress";
});

impl<'a> NetworkPolicy<'a> {
    pub fn ingress_rule_count(&self) -> usize {
        self.ingress_rules().len()
    }

    pub fn egress_rule_count(&self) -> usize {
        self.egress_rules().len()
    }

    /// `policyTypes`, or what Kubernetes defaults it to: Ingress, plus Egress when there
    /// are egress rules.
    pub fn effective_policy_types(&self) -> Vec<&'a str> {
        if self.node.path(&["spec", "policyTypes"]).is_some() {
            return self.policy_types();
        }
        let egress = self.node.path(&["spec", "egress"]).is_some();
        std::iter::once("Ingress")
            .chain(egress.then_some("Egress"))
            .collect()
    }
}

view!(ServiceAccount["ServiceAccount"]);
fields!(ServiceAccount {
    automount_service_account_token: bool = "automountServiceAccountToken";
    secrets: names = "secrets";
    image_pull_secrets: names = "imagePullSecrets";
});

view!(
    /// A Role or a ClusterRole.
    Role["Role", "ClusterRole"]
);
fields!(Role {
    rules: [PolicyRule] = "rules";
    aggregation_rule: field = "aggregationRule";
});

view!(PolicyRule);
fields!(PolicyRule {
    api_groups: strs = "apiGroups";
    resources: strs = "resources";
    verbs: strs = "verbs";
    resource_names: strs = "resourceNames";
    non_resource_urls: strs = "nonResourceURLs";
});

view!(
    /// A RoleBinding or a ClusterRoleBinding.
    RoleBinding["RoleBinding", "ClusterRoleBinding"]
);
fields!(RoleBinding {
    role_ref: (RoleRef) = "roleRef";
    subjects: [Subject] = "subjects";
});

view!(RoleRef);
fields!(RoleRef {
    kind: str = "kind";
    name: str = "name";
    api_group: str = "apiGroup";
});

view!(Subject);
fields!(Subject {
    kind: str = "kind";
    name: str = "name";
    namespace: str = "namespace";
    api_group: str = "apiGroup";
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Source;
    use crate::load::parse::parse_str;

    fn doc(text: &str) -> Document {
        Document {
            origin: None,
            source: Source::new("t.yaml", text.to_string()),
            index: 0,
            item: None,
            root: parse_str(text).unwrap().remove(0),
        }
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  selector:
    matchLabels:
      app: api
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: api
        tier: web
    spec:
      serviceAccountName: api
      automountServiceAccountToken: false
      hostNetwork: true
      imagePullSecrets:
      - name: regcred
      nodeSelector:
        disk: ssd
      tolerations:
      - key: dedicated
        operator: Equal
        value: api
        effect: NoSchedule
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: kubernetes.io/hostname
        whenUnsatisfiable: DoNotSchedule
        labelSelector:
          matchLabels:
            app: api
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
      initContainers:
      - name: migrate
        image: ghcr.io/acme/api:1.4.2
        command: [/bin/migrate, --up]
      containers:
      - name: api
        image: ghcr.io/acme/api:1.4.2
        imagePullPolicy: IfNotPresent
        args: [--port, 8080, --verbose]
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
        env:
        - name: LEVEL
          value: debug
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef:
              name: db
              key: password
        - name: FEATURE
          valueFrom:
            configMapKeyRef:
              name: flags
              key: feature
              optional: true
        - name: NODE
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        envFrom:
        - prefix: APP_
          configMapRef:
            name: settings
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            memory: 256Mi
            ephemeral-storage: 1Gi
        livenessProbe:
          httpGet:
            path: /healthz
            port: http
          initialDelaySeconds: 10
          periodSeconds: 5
        readinessProbe:
          tcpSocket:
            port: 8080
          failureThreshold: 3
        startupProbe:
          exec:
            command: [cat, /tmp/ready]
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          runAsUser: 1000
          capabilities:
            add: [NET_BIND_SERVICE]
            drop: [ALL]
          seccompProfile:
            type: RuntimeDefault
        volumeMounts:
        - name: cache
          mountPath: /cache
          readOnly: true
      - name: sidecar
        image: nginx
      volumes:
      - name: cache
        emptyDir: {}
      - name: cfg
        configMap:
          name: settings
";

    #[test]
    fn deployment_workload_and_pod_spec() {
        let d = doc(DEPLOYMENT);
        let w = Workload::of(&d).unwrap();
        assert_eq!(w.kind(), WorkloadKind::Deployment);
        assert_eq!(w.replicas(), Some(3));
        assert_eq!(w.service_name(), None);
        assert!(w.volume_claim_templates().is_empty());
        let strategy = w.strategy().unwrap();
        assert_eq!(strategy.pointer(), "/spec/strategy");
        assert_eq!(strategy.strategy_type(), Some("RollingUpdate"));
        assert_eq!(strategy.max_surge(), Some(IntOrPercent::Percent(25)));
        assert_eq!(strategy.max_unavailable(), Some(IntOrPercent::Int(0)));
        let labels = w.template_labels();
        assert_eq!(labels.get("tier"), Some(&"web"));
        assert!(w.selector().unwrap().matches(&labels));
        assert_eq!(
            w.pod_template_metadata().unwrap().pointer(),
            "/spec/template/metadata"
        );

        let spec = w.pod_spec().unwrap();
        assert_eq!(spec.pointer(), "/spec/template/spec");
        assert_eq!(spec.service_account_name(), Some("api"));
        assert_eq!(spec.automount_service_account_token(), Some(false));
        assert_eq!(
            (spec.host_network(), spec.host_pid(), spec.host_ipc()),
            (Some(true), None, None)
        );
        assert_eq!(spec.image_pull_secrets(), vec!["regcred"]);
        assert_eq!(spec.node_selector().get("disk"), Some(&"ssd"));
        assert_eq!(spec.tolerations()[0].effect(), Some("NoSchedule"));
        let tsc = &spec.topology_spread_constraints()[0];
        assert_eq!(
            (tsc.max_skew(), tsc.topology_key()),
            (Some(1), Some("kubernetes.io/hostname"))
        );
        assert!(tsc.label_selector().unwrap().matches(&labels));
        assert_eq!(spec.security_context().unwrap().fs_group(), Some(2000));
        assert!(spec.affinity().is_none());
        let volumes = spec.volumes();
        assert_eq!(volumes[0].source().map(|(k, _)| k), Some("emptyDir"));
        assert_eq!(volumes[1].config_map_name(), Some("settings"));

        let all = spec.all_containers();
        let names: Vec<_> = all.iter().map(|c| (c.name().unwrap(), c.role())).collect();
        assert_eq!(
            names,
            [
                ("migrate", ContainerRole::Init),
                ("api", ContainerRole::Regular),
                ("sidecar", ContainerRole::Regular)
            ]
        );
        assert_eq!(all[0].pointer(), "/spec/template/spec/initContainers/0");
        assert_eq!(all[2].pointer(), "/spec/template/spec/containers/1");
        assert_eq!(all[0].command(), vec!["/bin/migrate", "--up"]);
        assert!(all[2].image_ref().unwrap().is_latest_or_floating());
    }

    #[test]
    fn field_pointers_escape_keys() {
        let d = doc("metadata:\n  annotations:\n    a/b~c: x\nspec:\n  items: [1, {k: v}]\n");
        let root = Field::root(&d.root);
        let key = root.at(&["metadata", "annotations", "a/b~c"]).unwrap();
        assert_eq!(key.pointer(), "/metadata/annotations/a~1b~0c");
        assert_eq!(
            key.pointer_to(&["x/y"]),
            "/metadata/annotations/a~1b~0c/x~1y"
        );
        let item = root.at(&["spec", "items"]).unwrap().items()[1]
            .get("k")
            .unwrap();
        assert_eq!(item.pointer(), "/spec/items/1/k");
        assert_eq!(root.pointer(), "");
        assert!(root.is_root() && !key.is_root() && !item.is_root());
        assert_eq!(key, root.at(&["metadata", "annotations", "a/b~c"]).unwrap());
    }

    #[test]
    fn container_view_reports_pointers_and_positions() {
        let d = doc(DEPLOYMENT);
        let spec = Workload::of(&d).unwrap().pod_spec().unwrap();
        let c = &spec.containers()[0];
        assert_eq!(
            c.image_ref().map(|r| (r.registry, r.repository, r.tag)),
            Some((Some("ghcr.io"), "acme/api", Some("1.4.2")))
        );
        assert_eq!(c.image_pull_policy(), Some("IfNotPresent"));
        // `8080` is an int, not a string: args keeps strings only.
        assert_eq!(c.args(), vec!["--port", "--verbose"]);
        let port = &c.ports()[0];
        assert_eq!(
            (port.container_port(), port.name(), port.protocol()),
            (Some(8080), Some("http"), Some("TCP"))
        );

        let env = c.env();
        assert_eq!(env[0].value(), Some("debug"));
        assert!(env[0].value_from().is_none());
        match env[1].value_from() {
            Some(EnvSource::SecretKeyRef(r)) => {
                assert_eq!((r.name(), r.key()), (Some("db"), Some("password")));
                assert_eq!(
                    r.pointer(),
                    "/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef"
                );
            }
            other => panic!("{other:?}"),
        }
        match env[2].value_from() {
            Some(EnvSource::ConfigMapKeyRef(r)) => assert_eq!(r.optional(), Some(true)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            env[3].value_from(),
            Some(EnvSource::FieldRef(Some("spec.nodeName")))
        );
        let from = &c.env_from()[0];
        assert_eq!(
            (from.prefix(), from.config_map_name(), from.secret_name()),
            (Some("APP_"), Some("settings"), None)
        );

        let res = c.resources().unwrap();
        let cpu = res.requests().unwrap().cpu().unwrap();
        assert_eq!(
            cpu.pointer(),
            "/spec/template/spec/containers/0/resources/requests/cpu"
        );
        assert_eq!(cpu.text(), Some("100m"));
        assert_eq!(d.pos(&cpu.pointer()), cpu.pos());
        assert_eq!(cpu.pos(), Pos::new(80, 18));
        let limits = res.limits().unwrap();
        assert!(limits.cpu().is_none());
        assert_eq!(
            limits.pointer_to(&["cpu"]),
            "/spec/template/spec/containers/0/resources/limits/cpu"
        );
        assert_eq!(
            limits.ephemeral_storage().and_then(|f| f.text()),
            Some("1Gi")
        );

        let live = c.liveness_probe().unwrap();
        assert_eq!(live.handler().map(|h| h.0), Some(ProbeHandler::HttpGet));
        assert_eq!(live.port(), Some(IntOrString::Str("http")));
        assert_eq!(
            (
                live.path(),
                live.initial_delay_seconds(),
                live.period_seconds()
            ),
            (Some("/healthz"), Some(10), Some(5))
        );
        let ready = c.readiness_probe().unwrap();
        assert_eq!(
            (ready.handler().map(|h| h.0), ready.port()),
            (Some(ProbeHandler::TcpSocket), Some(IntOrString::Int(8080)))
        );
        assert_eq!(ready.failure_threshold(), Some(3));
        let startup = c.startup_probe().unwrap();
        assert_eq!(
            (startup.port(), startup.command()),
            (None, vec!["cat", "/tmp/ready"])
        );

        let sc = c.security_context().unwrap();
        assert_eq!(sc.privileged(), Some(false));
        assert_eq!(sc.allow_privilege_escalation(), Some(false));
        assert_eq!(sc.read_only_root_filesystem(), Some(true));
        assert_eq!((sc.run_as_user(), sc.run_as_non_root()), (Some(1000), None));
        assert_eq!(
            (sc.capabilities_add(), sc.capabilities_drop()),
            (vec!["NET_BIND_SERVICE"], vec!["ALL"])
        );
        assert_eq!(sc.seccomp_profile_type(), Some("RuntimeDefault"));
        let mount = &c.volume_mounts()[0];
        assert_eq!(
            (mount.name(), mount.mount_path(), mount.read_only()),
            (Some("cache"), Some("/cache"), Some(true))
        );
    }

    #[test]
    fn pod_spec_location_per_kind() {
        let cron = doc(
            "kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      selector:\n        matchLabels: {a: b}\n      template:\n        metadata:\n          labels: {a: b}\n        spec:\n          containers:\n          - name: c\n            image: busybox:latest\n",
        );
        let w = Workload::of(&cron).unwrap();
        assert_eq!(
            w.pod_spec().unwrap().pointer(),
            "/spec/jobTemplate/spec/template/spec"
        );
        assert_eq!(
            w.pod_spec().unwrap().containers()[0].pointer(),
            "/spec/jobTemplate/spec/template/spec/containers/0"
        );
        assert!(w.selector().unwrap().matches(&w.template_labels()));
        assert_eq!(w.replicas(), None);

        let pod = doc(
            "kind: Pod\nmetadata:\n  labels: {app: x}\nspec:\n  containers: [{name: c, image: x}]\n",
        );
        let w = Workload::of(&pod).unwrap();
        assert_eq!(w.pod_spec().unwrap().pointer(), "/spec");
        assert_eq!(w.template_labels().get("app"), Some(&"x"));
        assert!(w.template().is_none() && w.selector().is_none());

        let rc = doc(
            "kind: ReplicationController\nspec:\n  replicas: 2\n  selector: {app: x}\n  template:\n    metadata: {labels: {app: x}}\n    spec: {containers: []}\n",
        );
        let w = Workload::of(&rc).unwrap();
        assert_eq!(w.replicas(), Some(2));
        assert_eq!(w.selector().unwrap().match_labels().get("app"), Some(&"x"));
        assert!(w.selector().unwrap().matches(&w.template_labels()));

        for kind in ["DaemonSet", "ReplicaSet", "Job"] {
            let d = doc(&format!(
                "kind: {kind}\nspec:\n  template:\n    spec:\n      containers: [{{name: a}}]\n"
            ));
            assert_eq!(
                Workload::of(&d)
                    .unwrap()
                    .pod_spec()
                    .unwrap()
                    .containers()
                    .len(),
                1,
                "{kind}"
            );
        }
        assert!(Workload::of(&doc("kind: Service\nspec: {}\n")).is_none());
        assert!(Workload::of(&doc("spec: {}\n")).is_none());
    }

    #[test]
    fn statefulset_claims_and_pvc_document() {
        let d = doc(
            "kind: StatefulSet\nspec:\n  serviceName: db\n  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {partition: 2}\n  template:\n    spec:\n      containers: [{name: db, image: postgres:16}]\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec:\n      accessModes: [ReadWriteOnce]\n      storageClassName: fast\n      resources: {requests: {storage: 10Gi}}\n",
        );
        let w = Workload::of(&d).unwrap();
        assert_eq!(w.service_name(), Some("db"));
        assert_eq!(w.strategy().unwrap().partition(), Some(2));
        assert_eq!(w.strategy().unwrap().pointer(), "/spec/updateStrategy");
        let vct = &w.volume_claim_templates()[0];
        assert_eq!(vct.pointer(), "/spec/volumeClaimTemplates/0");
        assert_eq!(vct.name(), Some("data"));
        assert_eq!(vct.access_modes(), vec!["ReadWriteOnce"]);
        assert_eq!(vct.storage_class_name(), Some("fast"));
        let storage = vct.storage_request().unwrap();
        assert_eq!(
            (storage.text(), storage.pointer().as_str()),
            (
                Some("10Gi"),
                "/spec/volumeClaimTemplates/0/spec/resources/requests/storage"
            )
        );

        let pvc = doc(
            "kind: PersistentVolumeClaim\nmetadata: {name: logs}\nspec:\n  volumeName: pv-1\n  resources: {requests: {storage: 1Gi}}\n",
        );
        let pvc = Pvc::of(&pvc).unwrap();
        assert_eq!(
            (pvc.name(), pvc.volume_name()),
            (Some("logs"), Some("pv-1"))
        );
        assert_eq!(
            pvc.storage_request().unwrap().pointer(),
            "/spec/resources/requests/storage"
        );
        assert!(pvc.access_modes().is_empty() && pvc.storage_class_name().is_none());
    }

    #[test]
    fn wrong_shapes_give_nothing_and_never_panic() {
        let texts = [
            "kind: Deployment\nspec:\n  replicas: lots\n  selector: app\n  strategy: fast\n  template:\n    metadata: {labels: [a]}\n    spec:\n      containers: notalist\n      initContainers: [1, nginx, null, [x]]\n      volumes: {a: b}\n      hostNetwork: yes please\n      securityContext: []\n      nodeSelector: [a]\n",
            "kind: Deployment\nspec: 3\n",
            "kind: Deployment\nspec:\n  template: x\n",
            "kind: Deployment\nspec:\n  template:\n    spec: []\n",
            "kind: StatefulSet\nspec:\n  serviceName: [a]\n  volumeClaimTemplates: {a: b}\n  updateStrategy: [x]\n",
            "kind: CronJob\nspec:\n  jobTemplate: []\n",
            "kind: Pod\nspec:\n  containers:\n  - name: [x]\n    image: 42\n    ports: 8080\n    env: {A: b}\n    envFrom: [x]\n    args: notalist\n    command: [1, 2]\n    resources: {requests: 1, limits: [cpu]}\n    livenessProbe: {httpGet: 3}\n    readinessProbe: []\n    startupProbe: {exec: {command: ls}}\n    securityContext: {capabilities: {add: ALL}, privileged: maybe, seccompProfile: x}\n    volumeMounts: [[x]]\n  - env:\n    - name: X\n      valueFrom: {secretKeyRef: x}\n    - valueFrom: 3\n",
            "kind: Service\nspec:\n  selector: [a]\n  ports: {a: b}\n  externalIPs: 1.2.3.4\n",
            "kind: HorizontalPodAutoscaler\nspec:\n  targetCPUUtilizationPercentage: high\n  metrics: [1, {type: Resource}, {type: Resource, resource: 3}, {type: Bogus, bogus: {}}, {resource: {name: cpu}}]\n  scaleTargetRef: x\n",
            "kind: Ingress\nspec:\n  rules: [{host: [a], http: {paths: x}}, {http: {paths: [{backend: {service: {port: {}}}}]}}]\n  tls: {a: b}\n  defaultBackend: x\n",
            "kind: PodDisruptionBudget\nspec: {minAvailable: half, maxUnavailable: [1], selector: {matchExpressions: x}}\n",
            "kind: NetworkPolicy\nspec: {podSelector: [], ingress: {}, egress: 3, policyTypes: Ingress}\n",
            "kind: Role\nrules: [{verbs: get, resources: [1]}, x]\n",
            "kind: RoleBinding\nroleRef: x\nsubjects: {a: b}\n",
            "kind: ServiceAccount\nsecrets: x\nimagePullSecrets: [x, {name: 1}]\n",
            "kind: ConfigMap\ndata: [a]\nbinaryData: x\n",
            "kind: Secret\ntype: [x]\ndata: x\nstringData: [a, b]\n",
            "kind: PersistentVolumeClaim\nspec: {resources: {requests: 4}, accessModes: RWO}\n",
            "- kind: Deployment\n",
            "just text\n",
        ];
        for text in texts {
            let d = doc(text);
            exercise(&d);
        }

        let d = doc(texts[0]);
        let w = Workload::of(&d).unwrap();
        assert_eq!(w.replicas(), None);
        assert!(w.strategy().is_none());
        assert!(w.selector().is_none());
        assert!(w.template_labels().is_empty());
        let spec = w.pod_spec().unwrap();
        assert!(spec.containers().is_empty() && spec.volumes().is_empty());
        // Only the mapping items become containers, and keep their real index.
        assert!(spec.init_containers().is_empty());
        assert_eq!(spec.host_network(), None);
        assert!(spec.security_context().is_none() && spec.node_selector().is_empty());
        assert!(Workload::of(&doc(texts[3])).unwrap().pod_spec().is_none());
        let d = doc("kind: Pod\nspec:\n  containers: [x, {name: a}]\n");
        let containers = Workload::of(&d).unwrap().pod_spec().unwrap().containers();
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].pointer(), "/spec/containers/1");

        let d = doc(texts[6]);
        let c = &Workload::of(&d).unwrap().pod_spec().unwrap().containers()[0];
        assert_eq!((c.name(), c.image(), c.image_ref()), (None, None, None));
        assert_eq!(c.get("image").and_then(|f| f.text()), Some("42"));
        assert!(c.ports().is_empty() && c.env().is_empty() && c.env_from().is_empty());
        assert!(c.args().is_empty() && c.command().is_empty());
        assert!(c.resources().unwrap().requests().is_none());
        assert_eq!(c.liveness_probe().unwrap().port(), None);
        assert!(c.readiness_probe().is_none());
        assert!(c.startup_probe().unwrap().command().is_empty());
        let sc = c.security_context().unwrap();
        assert_eq!((sc.privileged(), sc.seccomp_profile_type()), (None, None));
        assert!(sc.capabilities_add().is_empty());

        let d = doc(texts[8]);
        let metrics = Hpa::of(&d).unwrap().metrics();
        assert_eq!(metrics.len(), 5);
        assert_eq!(metrics[0].target_utilization, None);
        assert_eq!(metrics[0].field.text(), Some("high"));
        assert_eq!(
            (metrics[1].name, metrics[2].name, metrics[4].name),
            (None, None, None)
        );
        assert_eq!(metrics[4].kind, "");
        assert_eq!(metrics[4].field.pointer(), "/spec/metrics/4");
        let d = doc(texts[10]);
        let pdb = Pdb::of(&d).unwrap();
        assert_eq!((pdb.min_available(), pdb.max_unavailable()), (None, None));
        assert!(
            !pdb.selector()
                .unwrap()
                .matches(&BTreeMap::<&str, &str>::new())
        );
    }

    /// Calls every accessor: the shapes above must not make any of them panic.
    fn exercise(d: &Document) {
        let labels = BTreeMap::from([("app", "x")]);
        if let Some(w) = Workload::of(d) {
            let _ = (
                w.template(),
                w.pod_template_metadata(),
                w.template_labels(),
                w.replicas(),
            );
            let _ = (
                w.strategy().map(|s| {
                    (
                        s.strategy_type(),
                        s.max_surge(),
                        s.max_unavailable(),
                        s.partition(),
                    )
                }),
                w.service_name(),
            );
            if let Some(s) = w.selector() {
                let _ = (s.matches(&labels), s.is_empty(), s.match_labels());
            }
            for pvc in w.volume_claim_templates() {
                let _ = (pvc.name(), pvc.storage_request(), pvc.access_modes());
            }
            if let Some(spec) = w.pod_spec() {
                let _ = (
                    spec.service_account_name(),
                    spec.automount_service_account_token(),
                    spec.host_network(),
                );
                let _ = (
                    spec.host_pid(),
                    spec.host_ipc(),
                    spec.image_pull_secrets(),
                    spec.affinity(),
                );
                let _ = (
                    spec.node_selector(),
                    spec.tolerations(),
                    spec.topology_spread_constraints(),
                );
                let _ = spec
                    .security_context()
                    .map(|s| (s.run_as_non_root(), s.run_as_user(), s.fs_group()));
                let _: Vec<_> = spec
                    .volumes()
                    .iter()
                    .map(|v| (v.name(), v.source(), v.secret_name()))
                    .collect();
                for c in spec.all_containers() {
                    let _ = (
                        c.name(),
                        c.image(),
                        c.image_ref(),
                        c.image_pull_policy(),
                        c.command(),
                        c.args(),
                    );
                    let _: Vec<_> = c
                        .ports()
                        .iter()
                        .map(|p| (p.container_port(), p.name(), p.protocol()))
                        .collect();
                    let _: Vec<_> = c
                        .env()
                        .iter()
                        .map(|e| (e.name(), e.value(), e.value_from()))
                        .collect();
                    let _: Vec<_> = c
                        .env_from()
                        .iter()
                        .map(|e| (e.prefix(), e.secret_name()))
                        .collect();
                    if let Some(r) = c.resources() {
                        for l in r.requests().into_iter().chain(r.limits()) {
                            let _ = (l.cpu(), l.memory(), l.ephemeral_storage());
                        }
                    }
                    for p in [c.liveness_probe(), c.readiness_probe(), c.startup_probe()]
                        .into_iter()
                        .flatten()
                    {
                        let _ = (
                            p.handler(),
                            p.port(),
                            p.path(),
                            p.command(),
                            p.period_seconds(),
                        );
                    }
                    if let Some(s) = c.security_context() {
                        let _ = (
                            s.privileged(),
                            s.capabilities_add(),
                            s.capabilities_drop(),
                            s.seccomp_profile_type(),
                        );
                    }
                    let _ = (c.volume_mounts(), c.role());
                }
            }
        }
        if let Some(s) = Service::of(d) {
            let _ = (
                s.service_type(),
                s.cluster_ip(),
                s.external_ips(),
                s.load_balancer_source_ranges(),
            );
            let _: Vec<_> = s
                .ports()
                .iter()
                .map(|p| (p.port(), p.target_port(), p.node_port(), p.name()))
                .collect();
            let _ = s.selector().map(|s| s.matches(&labels));
        }
        if let Some(h) = Hpa::of(d) {
            let _ = (
                h.metrics(),
                h.min_replicas(),
                h.max_replicas(),
                h.behavior(),
            );
            let _ = h
                .scale_target_ref()
                .map(|r| (r.kind(), r.name(), r.api_version()));
        }
        if let Some(i) = Ingress::of(d) {
            let _ = (
                i.ingress_class_name(),
                i.tls_secret_names(),
                i.default_backend(),
            );
            let _: Vec<_> = i
                .backends()
                .iter()
                .map(|b| (b.service_name(), b.service_port()))
                .collect();
            let _: Vec<_> = i.rules().iter().map(|r| (r.host(), r.paths())).collect();
        }
        if let Some(p) = Pdb::of(d) {
            let _ = (
                p.min_available(),
                p.max_unavailable(),
                p.selector().map(|s| s.matches(&labels)),
            );
        }
        if let Some(n) = NetworkPolicy::of(d) {
            let _ = (
                n.pod_selector().map(|s| s.matches(&labels)),
                n.policy_types(),
                n.effective_policy_types(),
            );
            let _ = (n.ingress_rule_count(), n.egress_rule_count());
        }
        if let Some(r) = Role::of(d) {
            let _: Vec<_> = r
                .rules()
                .iter()
                .map(|r| (r.verbs(), r.resources(), r.api_groups(), r.resource_names()))
                .collect();
        }
        if let Some(b) = RoleBinding::of(d) {
            let _ = b.role_ref().map(|r| (r.kind(), r.name()));
            let _: Vec<_> = b.subjects().iter().map(|s| s.namespace()).collect();
        }
        if let Some(s) = ServiceAccount::of(d) {
            let _ = (
                s.automount_service_account_token(),
                s.secrets(),
                s.image_pull_secrets(),
            );
        }
        if let Some(c) = ConfigMap::of(d) {
            let _ = (c.data_keys(), c.binary_data_keys());
        }
        if let Some(s) = Secret::of(d) {
            let _ = (s.secret_type(), s.data_keys(), s.string_data_keys());
        }
        if let Some(p) = Pvc::of(d) {
            let _ = (p.storage_request(), p.access_modes(), p.volume_mode());
        }
    }

    #[test]
    fn image_references_follow_docker_rules() {
        let parse = |s| ImageRef::parse(s).map(|r| (r.registry, r.repository, r.tag, r.digest));
        assert_eq!(parse("nginx"), Some((None, "nginx", None, None)));
        assert_eq!(
            parse("nginx:1.25"),
            Some((None, "nginx", Some("1.25"), None))
        );
        assert_eq!(
            parse("library/nginx:1.25"),
            Some((None, "library/nginx", Some("1.25"), None))
        );
        assert_eq!(
            parse("ghcr.io/acme/api:1.4.2"),
            Some((Some("ghcr.io"), "acme/api", Some("1.4.2"), None))
        );
        assert_eq!(
            parse("localhost:5000/app"),
            Some((Some("localhost:5000"), "app", None, None))
        );
        assert_eq!(
            parse("localhost/app:v1"),
            Some((Some("localhost"), "app", Some("v1"), None))
        );
        assert_eq!(
            parse("registry:5000/team/app:v2"),
            Some((Some("registry:5000"), "team/app", Some("v2"), None))
        );
        assert_eq!(
            parse("repo@sha256:abc123"),
            Some((None, "repo", None, Some("sha256:abc123")))
        );
        assert_eq!(
            parse("quay.io/repo:tag@sha256:abc123"),
            Some((Some("quay.io"), "repo", Some("tag"), Some("sha256:abc123")))
        );
        for bad in [
            "",
            "nginx:",
            "@sha256:abc",
            "repo@",
            "repo@sha256",
            "a b",
            ":tag",
            "ghcr.io/",
            "a//b",
            "repo@sha256:a@b",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        let floating = |s| ImageRef::parse(s).unwrap().is_latest_or_floating();
        assert!(floating("nginx") && floating("nginx:latest") && floating("localhost:5000/app"));
        assert!(
            !floating("nginx:1.25")
                && !floating("repo@sha256:abc")
                && !floating("repo:latest@sha256:abc")
        );
        assert_eq!(
            ImageRef::parse("nginx").unwrap().registry_or_default(),
            "docker.io"
        );
    }

    #[test]
    fn hpa_metrics_normalize_across_versions() {
        let v1 = doc(
            "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n  minReplicas: 2\n  maxReplicas: 10\n  targetCPUUtilizationPercentage: 70\n",
        );
        let h = Hpa::of(&v1).unwrap();
        let t = h.scale_target_ref().unwrap();
        assert_eq!(
            (t.kind(), t.name(), t.api_version()),
            (Some("Deployment"), Some("api"), Some("apps/v1"))
        );
        assert_eq!((h.min_replicas(), h.max_replicas()), (Some(2), Some(10)));
        let m = h.metrics();
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].kind, m[0].name, m[0].target_utilization),
            ("Resource", Some("cpu"), Some(70))
        );
        assert_eq!(m[0].field.pointer(), "/spec/targetCPUUtilizationPercentage");

        let beta1 = doc(
            "apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 5\n  metrics:\n  - type: Resource\n    resource: {name: memory, targetAverageUtilization: 80}\n  - type: Pods\n    pods: {metricName: rps, targetAverageValue: 100}\n  - type: External\n    external: {metricName: queue, targetValue: 30}\n",
        );
        let m = Hpa::of(&beta1).unwrap().metrics();
        assert_eq!(
            (m[0].name, m[0].target_utilization),
            (Some("memory"), Some(80))
        );
        assert_eq!(m[0].field.pointer(), "/spec/metrics/0");
        assert_eq!((m[1].kind, m[1].name), ("Pods", Some("rps")));
        assert_eq!(
            m[1].target_average_value
                .as_ref()
                .map(Field::pointer)
                .as_deref(),
            Some("/spec/metrics/1/pods/targetAverageValue")
        );
        assert_eq!((m[2].kind, m[2].name), ("External", Some("queue")));
        assert_eq!(
            m[2].target_value.as_ref().and_then(|f| f.as_i64()),
            Some(30)
        );

        let v2 = doc(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nspec:\n  maxReplicas: 5\n  behavior:\n    scaleDown: {stabilizationWindowSeconds: 300}\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target: {type: Utilization, averageUtilization: 60}\n  - type: ContainerResource\n    containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 50}}\n  - type: Object\n    object:\n      metric: {name: hits}\n      describedObject: {kind: Ingress, name: main}\n      target: {type: Value, value: 2k}\n  - type: Pods\n    pods: {metric: {name: rps}, target: {type: AverageValue, averageValue: 10}}\n",
        );
        let h = Hpa::of(&v2).unwrap();
        assert_eq!(h.behavior().unwrap().pointer(), "/spec/behavior");
        let m = h.metrics();
        assert_eq!(
            (m[0].kind, m[0].name, m[0].target_utilization),
            ("Resource", Some("cpu"), Some(60))
        );
        assert_eq!(
            (m[1].container, m[1].target_utilization),
            (Some("app"), Some(50))
        );
        assert_eq!(
            (m[2].name, m[2].target_value.as_ref().and_then(|f| f.text())),
            (Some("hits"), Some("2k"))
        );
        assert_eq!((m[3].name, m[3].target_utilization), (Some("rps"), None));
        assert_eq!(
            m[3].target_average_value
                .as_ref()
                .map(Field::pointer)
                .as_deref(),
            Some("/spec/metrics/3/pods/target/averageValue")
        );
    }

    #[test]
    fn label_selectors_match_like_kubernetes() {
        let d = doc(
            "selector:\n  matchLabels: {app: api, version: 1}\n  matchExpressions:\n  - {key: tier, operator: In, values: [web, api]}\n  - {key: env, operator: NotIn, values: [dev]}\n  - {key: canary, operator: DoesNotExist}\n  - {key: app, operator: Exists}\n",
        );
        let s = LabelSelector::new(Field::root(&d.root).get("selector").unwrap());
        let with =
            |pairs: &[(&str, &str)]| s.matches(&pairs.iter().copied().collect::<BTreeMap<_, _>>());
        assert!(with(&[("app", "api"), ("version", "1"), ("tier", "web")]));
        assert!(with(&[
            ("app", "api"),
            ("version", "1"),
            ("tier", "api"),
            ("env", "prod")
        ]));
        assert!(!with(&[("app", "api"), ("version", "1"), ("tier", "db")]));
        assert!(
            !with(&[("app", "api"), ("version", "1")]),
            "In needs the label"
        );
        assert!(!with(&[
            ("app", "api"),
            ("version", "1"),
            ("tier", "web"),
            ("env", "dev")
        ]));
        assert!(!with(&[
            ("app", "api"),
            ("version", "1"),
            ("tier", "web"),
            ("canary", "")
        ]));
        assert!(!with(&[("app", "web"), ("version", "1"), ("tier", "web")]));
        assert_eq!(s.match_expressions()[1].operator(), Some(Operator::NotIn));
        assert_eq!(
            s.match_expressions()[0].pointer(),
            "/selector/matchExpressions/0"
        );
        // Owned maps work too.
        let owned: BTreeMap<String, String> = [("app", "api"), ("version", "1"), ("tier", "web")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(s.matches(&owned));

        let d = doc(
            "empty: {}\nbad: {matchExpressions: [{key: a, operator: Near, values: [b]}]}\nnull:\njunk: {matchExpressions: [x]}\n",
        );
        let root = Field::root(&d.root);
        let empty = LabelSelector::new(root.get("empty").unwrap());
        assert!(empty.is_empty() && empty.matches(&BTreeMap::from([("x", "y")])));
        assert!(
            !LabelSelector::new(root.get("bad").unwrap()).matches(&BTreeMap::from([("a", "b")]))
        );
        assert!(
            !LabelSelector::new(root.get("null").unwrap()).matches(&BTreeMap::<&str, &str>::new())
        );
        let junk = LabelSelector::new(root.get("junk").unwrap());
        assert!(!junk.matches(&BTreeMap::from([("a", "b")])));
    }

    #[test]
    fn int_or_percent_resolves_like_the_controllers() {
        assert_eq!(IntOrPercent::Percent(25).resolve(10, true), 3);
        assert_eq!(IntOrPercent::Percent(25).resolve(10, false), 2);
        assert_eq!(IntOrPercent::Percent(50).resolve(4, true), 2);
        assert_eq!(IntOrPercent::Int(1).resolve(10, false), 1);
        let d = doc("a: 30%\nb: 2\nc: '2'\nd: x%\n");
        let node = |k| d.root.get(k).unwrap();
        assert_eq!(IntOrPercent::of(node("a")), Some(IntOrPercent::Percent(30)));
        assert_eq!(IntOrPercent::of(node("b")), Some(IntOrPercent::Int(2)));
        assert_eq!(IntOrPercent::of(node("c")), None);
        assert_eq!(IntOrPercent::of(node("d")), None);
        assert_eq!(IntOrString::of(node("c")), Some(IntOrString::Str("2")));
    }

    #[test]
    fn service_pdb_and_config_views() {
        let d = doc(
            "kind: Service\nspec:\n  type: LoadBalancer\n  clusterIP: 10.0.0.1\n  externalIPs: [1.2.3.4]\n  loadBalancerSourceRanges: [10.0.0.0/8]\n  selector: {app: api}\n  ports:\n  - {name: http, port: 80, targetPort: http, nodePort: 30080}\n  - {port: 443, targetPort: 8443}\n",
        );
        let s = Service::of(&d).unwrap();
        assert_eq!(
            (s.service_type(), s.cluster_ip()),
            (Some("LoadBalancer"), Some("10.0.0.1"))
        );
        assert_eq!(
            (s.external_ips(), s.load_balancer_source_ranges()),
            (vec!["1.2.3.4"], vec!["10.0.0.0/8"])
        );
        assert!(
            s.selector()
                .unwrap()
                .matches(&BTreeMap::from([("app", "api"), ("x", "y")]))
        );
        assert!(
            !s.selector()
                .unwrap()
                .matches(&BTreeMap::from([("app", "web")]))
        );
        let ports = s.ports();
        assert_eq!(
            (
                ports[0].port(),
                ports[0].target_port(),
                ports[0].node_port()
            ),
            (Some(80), Some(IntOrString::Str("http")), Some(30080))
        );
        assert_eq!(
            (ports[1].target_port(), ports[1].pointer().as_str()),
            (Some(IntOrString::Int(8443)), "/spec/ports/1")
        );
        assert!(Service::of(&doc("kind: Deployment\n")).is_none());

        let d = doc(
            "kind: PodDisruptionBudget\nspec:\n  minAvailable: 50%\n  selector: {matchLabels: {app: api}}\n",
        );
        let p = Pdb::of(&d).unwrap();
        assert_eq!(
            (p.min_available(), p.max_unavailable()),
            (Some(IntOrPercent::Percent(50)), None)
        );
        assert!(
            p.selector()
                .unwrap()
                .matches(&BTreeMap::from([("app", "api")]))
        );

        let d = doc("kind: ConfigMap\ndata:\n  a.conf: x\n  b: y\nbinaryData: {logo.png: aGk=}\n");
        let c = ConfigMap::of(&d).unwrap();
        assert_eq!(
            (c.data_keys(), c.binary_data_keys()),
            (vec!["a.conf", "b"], vec!["logo.png"])
        );

        let d = doc(
            "kind: Secret\ntype: kubernetes.io/tls\ndata: {tls.crt: AAA, tls.key: BBB}\nstringData: {extra: hunter2}\n",
        );
        let s = Secret::of(&d).unwrap();
        assert_eq!(s.secret_type(), Some("kubernetes.io/tls"));
        assert_eq!(
            (s.data_keys(), s.string_data_keys()),
            (vec!["tls.crt", "tls.key"], vec!["extra"])
        );

        let d = doc(
            "kind: ServiceAccount\nautomountServiceAccountToken: false\nsecrets: [{name: tok}]\nimagePullSecrets: [{name: reg}]\n",
        );
        let sa = ServiceAccount::of(&d).unwrap();
        assert_eq!(
            (
                sa.automount_service_account_token(),
                sa.secrets(),
                sa.image_pull_secrets()
            ),
            (Some(false), vec!["tok"], vec!["reg"])
        );
    }

    #[test]
    fn ingress_both_api_versions() {
        let v1 = doc(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  annotations: {kubernetes.io/ingress.class: nginx}\nspec:\n  ingressClassName: nginx\n  defaultBackend: {service: {name: fallback, port: {number: 80}}}\n  tls:\n  - hosts: [a.example.com]\n    secretName: a-tls\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend: {service: {name: web, port: {name: http}}}\n      - path: /api\n        pathType: Exact\n        backend: {service: {name: api, port: {number: 8080}}}\n",
        );
        let i = Ingress::of(&v1).unwrap();
        assert_eq!(i.ingress_class_name(), Some("nginx"));
        assert_eq!(i.tls_secret_names(), vec!["a-tls"]);
        assert_eq!(i.tls()[0].hosts(), vec!["a.example.com"]);
        let rule = &i.rules()[0];
        assert_eq!(rule.host(), Some("a.example.com"));
        let paths = rule.paths();
        assert_eq!(
            (paths[1].path(), paths[1].path_type()),
            (Some("/api"), Some("Exact"))
        );
        let backends: Vec<_> = i
            .backends()
            .iter()
            .map(|b| (b.service_name(), b.service_port()))
            .collect();
        assert_eq!(
            backends,
            [
                (Some("fallback"), Some(IntOrString::Int(80))),
                (Some("web"), Some(IntOrString::Str("http"))),
                (Some("api"), Some(IntOrString::Int(8080))),
            ]
        );
        assert_eq!(
            i.backends()[2].pointer(),
            "/spec/rules/0/http/paths/1/backend"
        );
        assert_eq!(
            i.get("metadata")
                .unwrap()
                .pointer_to(&["annotations", "kubernetes.io/ingress.class"]),
            "/metadata/annotations/kubernetes.io~1ingress.class"
        );

        let beta = doc(
            "apiVersion: extensions/v1beta1\nkind: Ingress\nspec:\n  backend: {serviceName: old, servicePort: 80}\n  rules:\n  - http:\n      paths:\n      - backend: {serviceName: web, servicePort: http}\n",
        );
        let i = Ingress::of(&beta).unwrap();
        let backends: Vec<_> = i
            .backends()
            .iter()
            .map(|b| (b.service_name(), b.service_port()))
            .collect();
        assert_eq!(
            backends,
            [
                (Some("old"), Some(IntOrString::Int(80))),
                (Some("web"), Some(IntOrString::Str("http")))
            ]
        );
        assert_eq!((i.ingress_class_name(), i.rules()[0].host()), (None, None));
    }

    #[test]
    fn network_policy_and_rbac() {
        let d = doc(
            "kind: NetworkPolicy\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n  - {}\n  egress:\n  - to: []\n",
        );
        let n = NetworkPolicy::of(&d).unwrap();
        assert!(n.pod_selector().unwrap().is_empty());
        assert_eq!((n.ingress_rule_count(), n.egress_rule_count()), (2, 1));
        assert!(n.policy_types().is_empty());
        assert_eq!(n.effective_policy_types(), vec!["Ingress", "Egress"]);
        let d = doc(
            "kind: NetworkPolicy\nspec:\n  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Egress]\n",
        );
        let n = NetworkPolicy::of(&d).unwrap();
        assert_eq!(
            (n.effective_policy_types(), n.ingress_rule_count()),
            (vec!["Egress"], 0)
        );
        assert!(
            !n.pod_selector()
                .unwrap()
                .matches(&BTreeMap::from([("app", "web")]))
        );

        let d = doc(
            "kind: ClusterRole\nrules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [get, list]\n  resourceNames: [db]\n- nonResourceURLs: [/metrics]\n  verbs: ['*']\n",
        );
        let r = Role::of(&d).unwrap();
        let rules = r.rules();
        assert_eq!(
            (rules[0].api_groups(), rules[0].resources()),
            (vec![""], vec!["secrets"])
        );
        assert_eq!(
            (rules[0].verbs(), rules[0].resource_names()),
            (vec!["get", "list"], vec!["db"])
        );
        assert_eq!(
            (rules[1].non_resource_urls(), rules[1].verbs()),
            (vec!["/metrics"], vec!["*"])
        );
        assert!(Role::of(&doc("kind: Role\n")).unwrap().rules().is_empty());

        let d = doc(
            "kind: ClusterRoleBinding\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects:\n- {kind: ServiceAccount, name: deployer, namespace: ci}\n- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}\n",
        );
        let b = RoleBinding::of(&d).unwrap();
        let rr = b.role_ref().unwrap();
        assert_eq!(
            (rr.kind(), rr.name(), rr.api_group()),
            (
                Some("ClusterRole"),
                Some("admin"),
                Some("rbac.authorization.k8s.io")
            )
        );
        let subjects = b.subjects();
        assert_eq!(
            (
                subjects[0].kind(),
                subjects[0].name(),
                subjects[0].namespace()
            ),
            (Some("ServiceAccount"), Some("deployer"), Some("ci"))
        );
        assert_eq!(
            (subjects[1].namespace(), subjects[1].pointer().as_str()),
            (None, "/subjects/1")
        );
    }
}
