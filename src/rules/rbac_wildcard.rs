use crate::declare_rule;
use crate::doc::views::Role;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Role and ClusterRole rules with a `*` in `verbs`, `resources` (including
    /// `*/subresource`) or `apiGroups`.
    ///
    /// ## Why is this bad?
    /// A wildcard grants more than anyone reviewed: every verb includes `escalate`, `bind`
    /// and `impersonate` where they apply, every resource includes Secrets, and both cover
    /// resources and API groups installed later.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [configmaps]
    ///   verbs: ["*"]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [configmaps]
    ///   verbs: [get, list, watch, update]
    /// ```
    ///
    /// ## Fix
    /// List the verbs, resources and API groups the subject actually uses.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF421",
        name: "rbac-wildcard",
        category: Rbac,
        severity: Warning,
        kinds: &["Role", "ClusterRole"],
        check: check,
        kube_linter: "wildcard-in-rules",
    }
}

fn check(c: &mut Check) {
    let Some(role) = Role::of(c.doc) else { return };
    for rule in role.rules() {
        for key in ["apiGroups", "resources", "verbs"] {
            let items = rule.get(key).map(|f| f.items()).unwrap_or_default();
            for item in items {
                let Some(text) = item.as_str() else { continue };
                let what = match (key, text) {
                    ("verbs", "*") => {
                        "every verb, escalate, bind and impersonate included".to_string()
                    }
                    ("resources", "*") => {
                        "every resource of its API groups, Secrets included".to_string()
                    }
                    ("resources", r) if r.starts_with("*/") => {
                        format!("the `{}` subresource of every resource", &r[2..])
                    }
                    ("apiGroups", "*") => {
                        "its resources in every API group, present and future".to_string()
                    }
                    _ => continue,
                };
                c.report(item.pointer(), format!("`{text}` in {key} grants {what}"))
                    .with_help(format!("list the {key} the subject actually needs"));
            }
        }
    }
}
