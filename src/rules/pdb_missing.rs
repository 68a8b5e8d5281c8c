use crate::declare_rule;
use crate::doc::views::Workload;
use crate::lint::Check;
use crate::rules::support_c::{has_kind, kind_in, pdb_selects, scale};

declare_rule! {
    /// ## What it does
    /// Flags Deployments and StatefulSets that run at least two pods (by `replicas` or by
    /// their HorizontalPodAutoscaler's `minReplicas`) when no PodDisruptionBudget in their
    /// namespace selects their pods.
    ///
    /// ## Why is this bad?
    /// Without a budget, a node drain or a cluster upgrade may evict every replica at once:
    /// the redundancy the replicas were meant to give disappears exactly during maintenance.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Fix
    /// Add a PodDisruptionBudget (policy/v1) with `maxUnavailable: 1` whose selector matches
    /// the pod template's labels.
    ///
    /// ## Options
    /// - `onlyIfTreeHasPdbs` (default `false`): report only when the tree holds at least one
    ///   PodDisruptionBudget, for trees whose budgets are managed elsewhere. By default the
    ///   rule reports regardless, as advice (severity info).
    pub static RULE = {
        code: "KF320",
        name: "pdb-missing",
        category: Availability,
        severity: Info,
        kinds: &["Deployment", "StatefulSet"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(labels) = Workload::of(c.doc).map(|w| w.template_labels()) else {
        return;
    };
    let Some(scale) = scale(c.ctx, c.doc).filter(|s| s.min >= 2) else {
        return;
    };
    if !has_kind(c.ctx, "PodDisruptionBudget") && c.option("onlyIfTreeHasPdbs") == Some("true") {
        return;
    }
    if kind_in(c.ctx, "PodDisruptionBudget", c.doc)
        .iter()
        .any(|p| pdb_selects(p, &labels))
    {
        return;
    }
    let kind = c.doc.kind().to_string();
    c.report(
        "/spec/replicas",
        format!("{kind} runs {} but no PodDisruptionBudget selects its pods", scale.describe()),
    )
    .with_help("add a policy/v1 PodDisruptionBudget with maxUnavailable: 1 selecting the pod template's labels");
}
