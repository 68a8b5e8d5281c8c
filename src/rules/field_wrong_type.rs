use super::support_a::{int_node, quantity, shape};
use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::doc::views::{Field, Workload, WorkloadKind};
use crate::doc::{Node, Value};
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags fields of the wrong type or shape in the parts of objects kfold models:
    /// `metadata`, labels and annotations (mappings of strings), `replicas`, the pod
    /// template, `containers`, `initContainers`, `volumes`, `env`, `ports` and `command`
    /// and `args` (lists), env values (strings), `containerPort` (an integer from 1 to
    /// 65535), resource requests and limits (quantities) and label selectors.
    ///
    /// ## Why is this bad?
    /// The API server (or `kubectl`, before sending) rejects the whole object: an unquoted
    /// `version: 1` label, `prometheus.io/scrape: true` annotation, `value: 8080` env var,
    /// `- 8080` in `args` or `cpu: 1 core` fails the deployment. YAML makes these easy to
    /// write, and the failure message often names only the Go type that could not be
    /// decoded. Other rules skip fields they cannot read, so this one reports them.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   labels:
    ///     version: 2
    /// spec:
    ///   replicas: "3"
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         env:
    ///         - name: PORT
    ///           value: 8080
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   labels:
    ///     version: "2"
    /// spec:
    ///   replicas: 3
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         env:
    ///         - name: PORT
    ///           value: "8080"
    /// ```
    ///
    /// ## Fix
    /// Quote scalars that must be strings and write numbers unquoted where integers are
    /// expected; the safe fix does both when the intent is unambiguous. Lists and mappings
    /// swapped for one another must be rewritten by hand.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF700",
        name: "field-wrong-type",
        category: Hygiene,
        severity: Error,
        kinds: &[],
        check: check,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Want {
    Map,
    List,
    Int,
    Port,
    Str,
    /// A mapping of strings (labels, annotations, selectors), with what to call an entry.
    StrMap(&'static str),
    StrList,
    /// A mapping of resource quantities, with what to call an entry.
    Quantities(&'static str),
}

struct Problem {
    pointer: String,
    message: String,
    fix: Option<Node>,
}

#[derive(Default)]
struct Shapes(Vec<Problem>);

impl Shapes {
    fn bad(&mut self, field: &Field, message: String, fix: Option<Node>) {
        self.0.push(Problem {
            pointer: field.pointer().to_string(),
            message,
            fix,
        });
    }

    /// Checks `field` (absent and null are fine); true when it has the wanted shape, so
    /// that its contents can be checked in turn.
    fn want(&mut self, field: Option<Field>, want: Want, what: &str) -> bool {
        let Some(field) = field else { return false };
        let node = field.node;
        if node.is_null() {
            return false;
        }
        let is = shape(node);
        match want {
            Want::Map | Want::StrMap(_) | Want::Quantities(_) if node.as_map().is_none() => {
                self.bad(&field, format!("{what} must be a mapping, not {is}"), None);
                return false;
            }
            Want::List | Want::StrList if node.as_seq().is_none() => {
                self.bad(&field, format!("{what} must be a list, not {is}"), None);
                return false;
            }
            Want::Int | Want::Port => {
                let as_int = node
                    .as_i64()
                    .or_else(|| node.as_str().and_then(|s| s.parse().ok()));
                let in_range =
                    as_int.is_some_and(|p| want == Want::Int || (1..=65535).contains(&p));
                if node.as_i64().is_none() || !in_range {
                    let range = if want == Want::Port {
                        " from 1 to 65535"
                    } else {
                        ""
                    };
                    let got = match node.as_i64() {
                        Some(i) => i.to_string(),
                        None => is.to_string(),
                    };
                    let fix = as_int.filter(|_| in_range).map(int_node);
                    self.bad(
                        &field,
                        format!("{what} must be an integer{range}, not {got}"),
                        fix,
                    );
                    return false;
                }
            }
            Want::Str => self.string(&field, what),
            _ => {}
        }
        match want {
            Want::StrMap(entry) => field
                .entries()
                .iter()
                .for_each(|(k, v)| self.string(v, &format!("{entry} `{k}`"))),
            Want::StrList => field
                .items()
                .iter()
                .for_each(|v| self.string(v, &format!("each item of {what}"))),
            Want::Quantities(entry) => {
                for (k, v) in field.entries() {
                    match quantity(&v) {
                        None if !v.node.is_null() => self.bad(
                            &v,
                            format!("{entry} `{k}` must be a quantity, not {}", shape(v.node)),
                            None,
                        ),
                        Some(Err(e)) => self.bad(&v, format!("{entry} `{k}`: {e}"), None),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        true
    }

    /// Values are never quoted into the message: env values and args may be secrets.
    fn string(&mut self, field: &Field, what: &str) {
        let node = field.node;
        if node.is_null() || matches!(node.value, Value::String(_)) {
            return;
        }
        let fix = field.text().map(Node::string);
        let hint = if fix.is_some() { ": quote it" } else { "" };
        self.bad(
            field,
            format!("{what} must be a string, not {}{hint}", shape(node)),
            fix,
        );
    }

    fn metadata(&mut self, parent: &Field) {
        if self.want(parent.get("metadata"), Want::Map, "`metadata`") {
            self.want(
                parent.at(&["metadata", "labels"]),
                Want::StrMap("label"),
                "`labels`",
            );
            self.want(
                parent.at(&["metadata", "annotations"]),
                Want::StrMap("annotation"),
                "`annotations`",
            );
        }
    }

    /// Follows a chain of mappings, checking each; the last one if all are mappings.
    fn maps<'a>(&mut self, from: &Field<'a>, path: &[&str]) -> Option<Field<'a>> {
        let mut at = *from;
        for key in path {
            let next = at.get(key);
            if !self.want(next, Want::Map, &format!("`{key}`")) {
                return None;
            }
            at = next?;
        }
        Some(at)
    }

    fn container(&mut self, c: &Field) {
        self.want(c.get("name"), Want::Str, "container `name`");
        self.want(c.get("image"), Want::Str, "`image`");
        self.want(c.get("command"), Want::StrList, "`command`");
        self.want(c.get("args"), Want::StrList, "`args`");
        if self.want(c.get("env"), Want::List, "`env`") {
            for var in c.get("env").map(|e| e.items()).unwrap_or_default() {
                if self.want(Some(var), Want::Map, "an item of `env`") {
                    self.want(var.get("name"), Want::Str, "env var `name`");
                    let name = var.str(&["name"]).unwrap_or("?");
                    self.want(
                        var.get("value"),
                        Want::Str,
                        &format!("the value of env var `{name}`"),
                    );
                }
            }
        }
        self.want(c.get("envFrom"), Want::List, "`envFrom`");
        self.want(c.get("volumeMounts"), Want::List, "`volumeMounts`");
        if self.want(c.get("ports"), Want::List, "`ports`") {
            for port in c.get("ports").map(|p| p.items()).unwrap_or_default() {
                if self.want(Some(port), Want::Map, "an item of `ports`") {
                    self.want(port.get("containerPort"), Want::Port, "`containerPort`");
                }
            }
        }
        if self.want(c.get("resources"), Want::Map, "`resources`") {
            self.want(
                c.at(&["resources", "requests"]),
                Want::Quantities("request"),
                "`requests`",
            );
            self.want(
                c.at(&["resources", "limits"]),
                Want::Quantities("limit"),
                "`limits`",
            );
        }
    }

    fn pod_spec(&mut self, spec: &Field) {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            if self.want(spec.get(list), Want::List, &format!("`{list}`")) {
                for c in spec.get(list).map(|l| l.items()).unwrap_or_default() {
                    if self.want(Some(c), Want::Map, &format!("an item of `{list}`")) {
                        self.container(&c);
                    }
                }
            }
        }
        self.want(spec.get("volumes"), Want::List, "`volumes`");
    }
}

fn check(c: &mut Check) {
    let root = Field::root(&c.doc.root);
    let mut s = Shapes::default();
    s.metadata(&root);
    if let Some(w) = Workload::of(c.doc) {
        let kind = w.kind();
        if kind.has_replicas() {
            s.want(root.at(&["spec", "replicas"]), Want::Int, "`replicas`");
        }
        let selector: &[&str] = match kind {
            WorkloadKind::ReplicationController => &["spec", "selector"],
            WorkloadKind::Pod | WorkloadKind::CronJob => &[],
            _ => &["spec", "selector", "matchLabels"],
        };
        if !selector.is_empty() {
            s.want(
                root.at(selector),
                Want::StrMap("selector label"),
                "the selector",
            );
        }
        let template: &[&str] = match kind {
            WorkloadKind::Pod => &[],
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template"],
            _ => &["spec", "template"],
        };
        if let Some(template) = s.maps(&root, template) {
            if !template.is_root() {
                s.metadata(&template);
            }
            if let Some(spec) = s.maps(&template, &["spec"]) {
                s.pod_spec(&spec);
            }
        }
    } else if c.doc.kind() == "Service" {
        s.want(
            root.at(&["spec", "selector"]),
            Want::StrMap("selector label"),
            "the selector",
        );
    }
    for p in s.0 {
        let finding = c.report(p.pointer.clone(), p.message);
        if let Some(value) = p.fix {
            finding.with_fix(
                "write the value with the right type",
                vec![Op::Replace {
                    path: p.pointer,
                    value,
                }],
                true,
            );
        }
    }
}
