use super::support_b::{bool_node, set_ops};
use crate::declare_rule;
use crate::doc::views::ServiceAccount;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pods that get a service account token mounted: `automountServiceAccountToken`
    /// is `true` on the pod, or unset on the pod while their ServiceAccount, when the tree
    /// holds it, does not set it to `false` either.
    ///
    /// ## Why is this bad?
    /// Most applications never call the Kubernetes API, yet every container gets a token
    /// that does, with whatever RBAC grants the account: an attacker inside the pod gets
    /// the cluster API for free.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: ghcr.io/acme/web:2.0.0
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       automountServiceAccountToken: false
    ///       containers:
    ///       - name: web
    ///         image: ghcr.io/acme/web:2.0.0
    /// ```
    ///
    /// ## Fix
    /// Set `automountServiceAccountToken: false` on the pod (an unsafe fix does this: a
    /// program that does call the API loses its credentials) or on its ServiceAccount; pods
    /// that need the API can mount a short-lived projected token explicitly.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF221",
        name: "automount-service-account-token",
        category: Security,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let account = spec.service_account_name().unwrap_or("default");
    let why = match spec.automount_service_account_token() {
        Some(false) => return,
        Some(true) => "it sets automountServiceAccountToken: true".to_string(),
        None => match c
            .ctx
            .find("ServiceAccount", account, c.doc)
            .and_then(ServiceAccount::of)
        {
            Some(sa) if sa.automount_service_account_token() == Some(false) => return,
            Some(_) => format!("neither it nor ServiceAccount `{account}` disables automounting"),
            None => "it does not set automountServiceAccountToken: false".to_string(),
        },
    };
    let pointer = spec.pointer_to(&["automountServiceAccountToken"]);
    let ops = set_ops(c.doc, &pointer, bool_node(false));
    let finding = c.report(
        pointer,
        format!("the pod mounts a service account token: {why}"),
    );
    finding.with_help(
        "set automountServiceAccountToken: false unless the pod calls the Kubernetes API",
    );
    if let Some(ops) = ops {
        finding.with_fix("set automountServiceAccountToken: false", ops, false);
    }
}
