use crate::declare_rule;
use crate::doc::views::Role;
use crate::lint::Check;
use crate::rules::support_c::{covers, lists, matched_verbs};

const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const RBAC: &str = "rbac.authorization.k8s.io";
const WEBHOOKS: &str = "admissionregistration.k8s.io";

/// (API group, resource, verbs, what they allow).
const TARGETS: &[(&str, &str, &[&str], &str)] = &[
    (
        RBAC,
        "roles",
        &["bind", "escalate"],
        "granting permissions the subject does not hold",
    ),
    (
        RBAC,
        "clusterroles",
        &["bind", "escalate"],
        "granting permissions the subject does not hold",
    ),
    ("", "users", &["impersonate"], "acting as any user"),
    (
        "",
        "groups",
        &["impersonate"],
        "acting as any group, system:masters included",
    ),
    (
        "",
        "serviceaccounts",
        &["impersonate"],
        "acting as any service account in scope",
    ),
    (
        "",
        "serviceaccounts/token",
        &["create"],
        "minting tokens for any service account in scope",
    ),
    (
        WEBHOOKS,
        "mutatingwebhookconfigurations",
        WRITE,
        "intercepting and rewriting API requests",
    ),
    (
        WEBHOOKS,
        "validatingwebhookconfigurations",
        WRITE,
        "intercepting API requests and disabling policy",
    ),
    (
        "certificates.k8s.io",
        "certificatesigningrequests/approval",
        &["update", "patch"],
        "approving client certificates",
    ),
];

declare_rule! {
    /// ## What it does
    /// Flags Role and ClusterRole rules that let a subject raise its own privileges:
    /// `bind` or `escalate` on roles and clusterroles, `impersonate` on users, groups or
    /// service accounts, `create` on `serviceaccounts/token`, write access to mutating or
    /// validating webhook configurations, and `update` on
    /// `certificatesigningrequests/approval`. A `*` in verbs or resources counts, but a rule
    /// that is `*` on both is left to `rbac-wildcard`.
    ///
    /// ## Why is this bad?
    /// Each of these turns a limited grant into cluster-admin: binding or escalating roles
    /// grants any permission, impersonation and minted tokens act as more powerful identities,
    /// webhooks see and rewrite every request (Secrets included), and an approved certificate
    /// for `system:masters` is permanent admin access.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: role-manager
    /// rules:
    /// - apiGroups: [rbac.authorization.k8s.io]
    ///   resources: [clusterroles, clusterrolebindings]
    ///   verbs: [get, list, create, bind, escalate]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: role-viewer
    /// rules:
    /// - apiGroups: [rbac.authorization.k8s.io]
    ///   resources: [clusterroles, clusterrolebindings]
    ///   verbs: [get, list, watch]
    /// ```
    ///
    /// ## Fix
    /// Remove the grant, or keep it to the few controllers that need it (with
    /// `resourceNames` where possible) and review who is bound to the role.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF424",
        name: "rbac-privilege-escalation",
        category: Rbac,
        severity: Error,
        kinds: &["Role", "ClusterRole"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(role) = Role::of(c.doc) else { return };
    for rule in role.rules() {
        let (groups, rule_verbs) = (rule.api_groups(), rule.verbs());
        let resources = rule.get("resources").map(|f| f.items()).unwrap_or_default();
        let mut first = None;
        let mut grants = Vec::new();
        for (group, resource, verbs, why) in TARGETS {
            let verbs_named = verbs.iter().any(|v| rule_verbs.contains(v));
            let matched = matched_verbs(&rule, verbs);
            let item = resources.iter().find(|i| {
                i.as_str()
                    .is_some_and(|r| covers(r, resource) && (verbs_named || r != "*"))
            });
            let Some(item) = item.filter(|_| lists(&groups, group) && !matched.is_empty()) else {
                continue;
            };
            first.get_or_insert_with(|| item.pointer().to_string());
            grants.push(format!("{} on {resource} ({why})", matched.join("/")));
        }
        if let Some(pointer) = first {
            c.report(pointer, format!("grants {}", grants.join("; ")))
                .with_help("remove the grant, or keep it to the controllers that need it and review who is bound");
        }
    }
}
