use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::doc::views::{IntOrPercent, Workload, WorkloadKind};
use crate::doc::{Node, Value};
use crate::lint::Check;
use crate::rules::support_c::scale;

declare_rule! {
    /// ## What it does
    /// Flags update strategies that take a workload down during a rollout or that the API
    /// server rejects:
    /// - a Deployment running several pods with `strategy.type: Recreate`;
    /// - a `maxUnavailable` that lets a rollout stop every pod at once (`100%`, or at least
    ///   the replica count — the autoscaler's `minReplicas` when there is one);
    /// - `maxSurge` and `maxUnavailable` both `0` (for a DaemonSet, `maxSurge` defaults to 0).
    ///
    /// ## Why is this bad?
    /// Recreate and an all-encompassing `maxUnavailable` turn every image bump into an
    /// outage; a strategy that can neither add nor remove a pod is rejected outright.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   replicas: 3
    ///   strategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxSurge: 0, maxUnavailable: 0}
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
    ///   strategy:
    ///     type: RollingUpdate
    ///     rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ```
    ///
    /// ## Fix
    /// Use `RollingUpdate` with a `maxUnavailable` below the replica count (`maxSurge: 1`,
    /// `maxUnavailable: 0` keeps full capacity). Keep `Recreate` only for pods that must not
    /// run side by side, such as ones sharing a ReadWriteOnce volume. The (unsafe) fixes
    /// switch to `RollingUpdate`, or set `maxSurge` to 1 when both bounds are 0.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF326",
        name: "rollout-strategy-unsafe",
        category: Availability,
        severity: Warning,
        kinds: &["Deployment", "DaemonSet"],
        check: check,
        kube_linter: "no-rolling-update-strategy",
    }
}

fn is_zero(v: IntOrPercent) -> bool {
    matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0))
}

fn check(c: &mut Check) {
    let Some(w) = Workload::of(c.doc) else { return };
    let Some(strategy) = w.strategy() else { return };
    let deployment = w.kind() == WorkloadKind::Deployment;
    let scale = scale(c.ctx, c.doc);
    let min = scale.as_ref().map(|s| s.min);
    match (strategy.strategy_type(), &scale) {
        (Some("Recreate"), Some(s)) if deployment && s.min >= 2 => {
            let path = strategy.pointer_to(&["type"]);
            let value = Node::string("RollingUpdate");
            let message = format!(
                "strategy Recreate stops every pod ({}) before starting new ones: every rollout is an outage",
                s.describe()
            );
            c.report(&path, message)
                .with_help("use RollingUpdate unless the pods cannot run side by side (e.g. they share a ReadWriteOnce volume)")
                .with_fix("switch to RollingUpdate", vec![Op::Replace { path, value }], false);
            return;
        }
        (None | Some("RollingUpdate"), _) => {}
        _ => return,
    }
    let default_surge = if deployment {
        IntOrPercent::Percent(25)
    } else {
        IntOrPercent::Int(0)
    };
    let surge = strategy.max_surge().unwrap_or(default_surge);
    let Some(unavailable) = strategy.max_unavailable() else {
        return;
    };
    let unavailable_path = strategy.pointer_to(&["rollingUpdate", "maxUnavailable"]);
    if is_zero(surge) && is_zero(unavailable) {
        let path = strategy.pointer_to(&["rollingUpdate", "maxSurge"]);
        let value = Node::new(Value::Int(1));
        let op = if strategy.max_surge().is_some() {
            Op::Replace { path, value }
        } else {
            Op::Add { path, value }
        };
        c.report(
            unavailable_path,
            "maxSurge and maxUnavailable are both 0: the API server rejects this strategy",
        )
        .with_fix("set maxSurge to 1", vec![op], false);
        return;
    }
    let all = match (unavailable, min) {
        (IntOrPercent::Percent(p), _) if p >= 100 => Some(format!("{p}%")),
        (_, Some(m)) if m >= 2 && unavailable.resolve(m, false) >= m => {
            Some(format!("{} of {m} replicas", unavailable.resolve(m, false)))
        }
        _ => None,
    };
    if let Some(all) = all {
        c.report(
            unavailable_path,
            format!("maxUnavailable ({all}) lets a rollout stop every pod at once"),
        )
        .with_help(
            "keep maxUnavailable below the replica count, e.g. maxSurge: 1 and maxUnavailable: 0",
        );
    }
}
