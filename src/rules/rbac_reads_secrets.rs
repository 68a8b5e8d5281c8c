use crate::declare_rule;
use crate::doc::views::Role;
use crate::lint::Check;
use crate::rules::support_c::{grant, matched_verbs};

const READ: &[&str] = &["get", "list", "watch"];

declare_rule! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that allow `get`, `list` or `watch` on Secrets
    /// (directly or through `*` in verbs, resources or apiGroups). Rules narrowed by
    /// `resourceNames` to particular Secrets are not reported.
    ///
    /// ## Why is this bad?
    /// Reading Secrets yields credentials, including service account tokens and TLS keys; a
    /// compromised pod or a leaked token with this grant exposes every Secret in scope (the
    /// cluster, for a ClusterRole bound cluster-wide). `list` and `watch` return the values
    /// too, not only the names.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: reader
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [configmaps, secrets]
    ///   verbs: [get, list]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: reader
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [configmaps]
    ///   verbs: [get, list]
    /// - apiGroups: [""]
    ///   resources: [secrets]
    ///   resourceNames: [app-credentials]
    ///   verbs: [get]
    /// ```
    ///
    /// ## Fix
    /// Mount the Secrets the workload needs instead of reading them through the API, or
    /// restrict the rule to named Secrets with `resourceNames` in a namespaced Role.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF422",
        name: "rbac-reads-secrets",
        category: Rbac,
        severity: Warning,
        kinds: &["Role", "ClusterRole"],
        check: check,
        kube_linter: "access-to-secrets",
    }
}

fn check(c: &mut Check) {
    let Some(role) = Role::of(c.doc) else { return };
    for rule in role.rules() {
        if !rule.resource_names().is_empty() {
            continue;
        }
        let Some(pointer) = grant(&rule, READ, "", "secrets") else {
            continue;
        };
        let verbs = matched_verbs(&rule, READ).join(", ");
        c.report(pointer, format!("grants {verbs} on Secrets"))
            .with_help("mount the Secrets instead, or restrict the rule with resourceNames");
    }
}
