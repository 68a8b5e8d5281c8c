use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};
use crate::rules::support_c::find;
use crate::rules::util::pod_spec;

declare_rule! {
    /// ## What it does
    /// Flags pods whose `serviceAccountName` (or the deprecated `serviceAccount`) names a
    /// ServiceAccount, other than `default`, that is not in the tree (in the workload's
    /// namespace). Only complete trees (ones that hold workloads and the objects they refer
    /// to) are judged.
    ///
    /// ## Why is this bad?
    /// The controller cannot create the pods (`error looking up service account`): the
    /// Deployment sits at zero ready replicas with the reason only in its events.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata:
    ///   name: migrate
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: migrator
    ///       restartPolicy: Never
    ///       containers: [{name: migrate, image: ghcr.io/acme/migrate:1.4.2}]
    /// ---
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: migrations
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata:
    ///   name: migrate
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: migrator
    ///       restartPolicy: Never
    ///       containers: [{name: migrate, image: ghcr.io/acme/migrate:1.4.2}]
    /// ---
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: migrator
    /// ```
    ///
    /// ## Fix
    /// Add the ServiceAccount to the tree or correct the name.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF510",
        name: "service-account-missing",
        category: References,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "non-existent-service-account",
    }
}

fn check(c: &mut Check) {
    if !c.ctx.complete {
        return;
    }
    let Some(spec) = pod_spec(c.doc) else { return };
    let Some(name) = spec
        .service_account_name()
        .filter(|n| !n.is_empty() && *n != "default")
    else {
        return;
    };
    if find(c.ctx, "ServiceAccount", name, c.doc).is_none() {
        let key = if spec.get("serviceAccountName").is_some() {
            "serviceAccountName"
        } else {
            "serviceAccount"
        };
        c.report(
            spec.pointer_to(&[key]),
            format!("ServiceAccount `{name}` is not in the tree"),
        );
    }
}
