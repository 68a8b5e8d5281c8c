use crate::declare_rule;
use crate::doc::views::Hpa;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags HorizontalPodAutoscalers whose `minReplicas` is greater than `maxReplicas`, or
    /// whose `maxReplicas` is below 1.
    ///
    /// ## Why is this bad?
    /// The API server rejects such an autoscaler, so the workload is never scaled; in a
    /// kustomize tree this usually comes from an overlay patching one bound but not the other.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 5
    ///   maxReplicas: 3
    /// ```
    ///
    /// ```yaml,valid
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
    /// ## Fix
    /// Set `minReplicas` at or below `maxReplicas`.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF300",
        name: "hpa-min-above-max",
        category: Scaling,
        severity: Error,
        kinds: &["HorizontalPodAutoscaler"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(hpa) = Hpa::of(c.doc) else { return };
    let min = hpa.min_replicas().unwrap_or(1);
    let Some(max) = hpa.max_replicas() else {
        return;
    };
    if max < 1 {
        c.report(
            "/spec/maxReplicas",
            format!("maxReplicas is {max}; it must be at least 1"),
        );
    } else if min > max {
        c.report(
            "/spec/minReplicas",
            format!("minReplicas ({min}) is greater than maxReplicas ({max})"),
        );
    }
}
