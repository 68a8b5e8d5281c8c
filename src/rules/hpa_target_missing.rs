use crate::declare_rule;
use crate::doc::views::Hpa;
use crate::lint::Check;
use crate::rules::support_c::find;

declare_rule! {
    /// ## What it does
    /// Flags HorizontalPodAutoscalers whose `scaleTargetRef` names no object of that kind in
    /// their namespace. Only complete trees (ones that hold workloads and the objects they
    /// refer to) are judged, since a fragment's targets may live elsewhere.
    ///
    /// ## Why is this bad?
    /// An autoscaler without its target does nothing but report `FailedGetScale` events:
    /// the workload it was meant to scale (often renamed) stays at its fixed replica count.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api-server}
    ///   maxReplicas: 10
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   maxReplicas: 10
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api
    /// ```
    ///
    /// ## Fix
    /// Correct `scaleTargetRef` (kind and name) to the workload it should scale.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF502",
        name: "hpa-target-missing",
        category: References,
        severity: Warning,
        kinds: &["HorizontalPodAutoscaler"],
        check: check,
        kube_linter: "dangling-hpa",
    }
}

fn check(c: &mut Check) {
    if !c.ctx.complete {
        return;
    }
    let Some(target) = Hpa::of(c.doc).and_then(|h| h.scale_target_ref()) else {
        return;
    };
    let (Some(kind), Some(name)) = (target.kind(), target.name()) else {
        return;
    };
    if find(c.ctx, kind, name, c.doc).is_none() {
        c.report(
            target.pointer_to(&["name"]),
            format!("scale target {kind} `{name}` is not in the tree"),
        );
    }
}
