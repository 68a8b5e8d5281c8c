use crate::declare_rule;
use crate::doc::views::{IntOrPercent, Pdb};
use crate::lint::Check;
use crate::rules::support_c::{hpa_for, pdb_targets};

declare_rule! {
    /// ## What it does
    /// Flags PodDisruptionBudgets whose `minAvailable` is at or above the `minReplicas` of
    /// the HorizontalPodAutoscaler that scales a workload the budget selects.
    ///
    /// ## Why is this bad?
    /// When the autoscaler has scaled the workload down to its minimum, the budget allows no
    /// eviction: node drains and upgrades stall precisely when the load is low and
    /// maintenance would be cheapest.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   minAvailable: 2
    ///   selector: {matchLabels: {app: api}}
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
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 2
    ///   maxReplicas: 10
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   minAvailable: 2
    ///   selector: {matchLabels: {app: api}}
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
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 3
    ///   maxReplicas: 10
    /// ```
    ///
    /// ## Fix
    /// Raise the autoscaler's `minReplicas` above `minAvailable`, or express the budget as
    /// `maxUnavailable: 1`, which holds at any scale.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF322",
        name: "pdb-min-available-above-hpa-min",
        category: Availability,
        severity: Warning,
        kinds: &["PodDisruptionBudget"],
        check: check,
    }
}

fn check(c: &mut Check) {
    // 100% blocks at any scale: `pdb-blocks-evictions` reports it.
    let Some(min) = Pdb::of(c.doc)
        .and_then(|p| p.min_available())
        .filter(|m| !matches!(m, IntOrPercent::Percent(p) if *p >= 100))
    else {
        return;
    };
    for target in pdb_targets(c.ctx, c.doc) {
        let Some(hpa) = hpa_for(c.ctx, target) else {
            continue;
        };
        let floor = hpa.min_replicas().unwrap_or(1);
        let needed = min.resolve(floor, true);
        if needed >= floor {
            let hpa_name = hpa.str(&["metadata", "name"]).unwrap_or("?");
            c.report(
                "/spec/minAvailable",
                format!(
                    "minAvailable ({needed}) is not below minReplicas ({floor}) of HorizontalPodAutoscaler `{hpa_name}`, which scales {} `{}`: at minimum scale no pod can be evicted",
                    target.kind(),
                    target.name()
                ),
            )
            .with_help("raise the autoscaler's minReplicas above minAvailable, or use maxUnavailable: 1");
        }
    }
}
