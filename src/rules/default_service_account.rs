use crate::declare_rule;
use crate::doc::views::ServiceAccount;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pods that run as their namespace's `default` ServiceAccount, by naming it or
    /// by setting no `serviceAccountName`. Pods that get no token mounted (the pod sets
    /// `automountServiceAccountToken: false`, or leaves it unset while the tree's `default`
    /// ServiceAccount sets it to `false`) are not reported: they cannot use the identity.
    ///
    /// ## Why is this bad?
    /// Every workload in the namespace shares the `default` account: permissions granted to
    /// it for one go to all, and audit logs cannot tell the workloads apart.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: api
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Create a ServiceAccount for the workload, grant it only what it needs, and set
    /// `serviceAccountName`; or set `automountServiceAccountToken: false` if it needs none.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF222",
        name: "default-service-account",
        category: Security,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "default-service-account",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let named = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"));
    let name = spec.service_account_name().filter(|n| !n.is_empty());
    if name.is_some_and(|n| n != "default") {
        return;
    }
    let sa_disables = || {
        c.ctx
            .find("ServiceAccount", "default", c.doc)
            .and_then(ServiceAccount::of)
            .and_then(|sa| sa.automount_service_account_token())
            == Some(false)
    };
    match spec.automount_service_account_token() {
        Some(false) => return,
        None if sa_disables() => return,
        _ => {}
    }
    let (pointer, message) = match (named, name) {
        (Some(field), Some(_)) => (
            field.pointer(),
            "the pod runs as the `default` ServiceAccount",
        ),
        _ => (
            spec.pointer_to(&["serviceAccountName"]),
            "the pod runs as the `default` ServiceAccount (no serviceAccountName)",
        ),
    };
    c.report(pointer, message)
        .with_help("create a ServiceAccount for this workload and set serviceAccountName");
}
