use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};
use crate::rules::support_c::{RefKind, find, pod_refs};
use crate::rules::util::pod_spec;

declare_rule! {
    /// ## What it does
    /// Flags references to ConfigMaps that are not in the tree: `configMapKeyRef` env
    /// values, `envFrom` `configMapRef`s, and `configMap` volumes and projected volume
    /// sources, unless marked `optional: true`. Only complete trees (ones that hold workloads
    /// and the objects they refer to) are judged; `kube-root-ca.crt`, which Kubernetes puts
    /// in every namespace, is never reported.
    ///
    /// ## Why is this bad?
    /// A pod that needs a missing ConfigMap does not start (`CreateContainerConfigError`, or
    /// stuck in `ContainerCreating` for a volume) — typically after a rename, or a kustomize
    /// generator whose name the reference no longer matches.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         envFrom: [{configMapRef: {name: api-settings}}]
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api-config
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         envFrom: [{configMapRef: {name: api-config}}]
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api-config
    /// ```
    ///
    /// ## Fix
    /// Add the ConfigMap to the tree, correct the name, or mark the reference
    /// `optional: true` if the pod can run without it.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF507",
        name: "configmap-missing",
        category: References,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    if !c.ctx.complete {
        return;
    }
    let Some(spec) = pod_spec(c.doc) else { return };
    for r in pod_refs(&spec, RefKind::ConfigMap) {
        if r.name != "kube-root-ca.crt" && find(c.ctx, "ConfigMap", r.name, c.doc).is_none() {
            c.report(
                r.pointer,
                format!("ConfigMap `{}` ({}) is not in the tree", r.name, r.via),
            );
        }
    }
}
