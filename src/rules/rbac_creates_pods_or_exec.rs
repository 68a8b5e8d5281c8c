use crate::declare_rule;
use crate::doc::views::Role;
use crate::lint::Check;
use crate::rules::support_c::{grant, matched_verbs};

/// (API group, resource, verbs that let the subject run code through it).
const TARGETS: &[(&str, &str, &[&str])] = &[
    ("", "pods", &["create"]),
    ("", "pods/exec", &["create", "get"]),
    ("", "pods/attach", &["create", "get"]),
    ("", "replicationcontrollers", &["create"]),
    ("apps", "deployments", &["create"]),
    ("apps", "statefulsets", &["create"]),
    ("apps", "daemonsets", &["create"]),
    ("apps", "replicasets", &["create"]),
    ("batch", "jobs", &["create"]),
    ("batch", "cronjobs", &["create"]),
];

declare_rule! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that allow creating pods or workloads that create
    /// them (Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs,
    /// CronJobs), or exec and attach into pods. For `pods/exec` and `pods/attach`, `get` counts
    /// too: the API server has authorized WebSocket exec and attach requests with it.
    /// Wildcards count.
    ///
    /// ## Why is this bad?
    /// Whoever can create a pod can run any image with any service account of the namespace
    /// and mount its Secrets; exec gives a shell in running pods with their credentials. Both
    /// are a step from namespace compromise, or node compromise where privileged pods are
    /// admitted.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: debugger
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods, pods/exec]
    ///   verbs: [get, list, create]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: debugger
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods, pods/log]
    ///   verbs: [get, list, watch]
    /// ```
    ///
    /// ## Fix
    /// Keep these grants to deployment pipelines and operators that need them; give people
    /// read access and time-bound elevated access for debugging.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF423",
        name: "rbac-creates-pods-or-exec",
        category: Rbac,
        severity: Warning,
        kinds: &["Role", "ClusterRole"],
        check: check,
        kube_linter: "access-to-create-pods",
    }
}

fn check(c: &mut Check) {
    let Some(role) = Role::of(c.doc) else { return };
    for rule in role.rules() {
        let mut first = None;
        let mut grants = Vec::new();
        for (group, resource, verbs) in TARGETS {
            if let Some(pointer) = grant(&rule, verbs, group, resource) {
                first.get_or_insert(pointer);
                grants.push(format!(
                    "{} on {resource}",
                    matched_verbs(&rule, verbs).join("/")
                ));
            }
        }
        if let Some(pointer) = first {
            c.report(pointer, format!("grants {}", grants.join(", ")))
                .with_help("keep pod creation and exec to pipelines and operators that need them");
        }
    }
}
