use crate::declare_rule;
use crate::doc::views::RoleBinding;
use crate::lint::Check;
use crate::rules::support_c::ns;

declare_rule! {
    /// ## What it does
    /// Flags RoleBindings and ClusterRoleBindings whose `roleRef` is the `cluster-admin`
    /// ClusterRole.
    ///
    /// ## Why is this bad?
    /// `cluster-admin` allows every verb on every resource. Bound cluster-wide, its subjects
    /// own the cluster, secrets and nodes included; bound in a namespace, they own everything
    /// in it, RBAC included. A leaked token of such a service account is a full compromise.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: deployer
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: deployer
    ///   namespace: shop
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
    /// subjects:
    /// - {kind: ServiceAccount, name: deployer, namespace: ci}
    /// ```
    ///
    /// ## Fix
    /// Bind a role with only the permissions the subjects need: the built-in `edit` or
    /// `view` ClusterRoles in a namespace, or a dedicated Role.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF420",
        name: "rbac-cluster-admin-binding",
        category: Rbac,
        severity: Error,
        kinds: &["RoleBinding", "ClusterRoleBinding"],
        check: check,
        kube_linter: "cluster-admin-role-binding",
    }
}

fn check(c: &mut Check) {
    let Some(binding) = RoleBinding::of(c.doc) else {
        return;
    };
    let Some(role) = binding.role_ref() else {
        return;
    };
    if role.kind() != Some("ClusterRole") || role.name() != Some("cluster-admin") {
        return;
    }
    let subjects: Vec<String> = binding
        .subjects()
        .iter()
        .map(|s| {
            let name = s.name().unwrap_or("?");
            match s.namespace() {
                Some(n) => format!("{} {n}/{name}", s.kind().unwrap_or("?")),
                None => format!("{} {name}", s.kind().unwrap_or("?")),
            }
        })
        .collect();
    let whom = if subjects.is_empty() {
        "its subjects".to_string()
    } else {
        subjects.join(", ")
    };
    let scope = if c.doc.kind() == "RoleBinding" {
        format!("full control of namespace `{}`", ns(c.doc))
    } else {
        "full control of the cluster".to_string()
    };
    c.report(
        role.pointer_to(&["name"]),
        format!("grants cluster-admin ({scope}) to {whom}"),
    )
    .with_help(
        "bind a role with only the permissions needed, e.g. the built-in edit or view ClusterRoles",
    );
}
