use super::support_a::int_node;
use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::doc::views::Hpa;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags HorizontalPodAutoscalers whose `minReplicas` (1 when absent) is below `min`.
    ///
    /// ## Why is this bad?
    /// At low load the autoscaler shrinks the workload to a single pod. Then one node drain,
    /// eviction or crash takes the service down until a replacement starts, and the first
    /// burst of traffic lands on one cold pod while the autoscaler reacts.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   maxReplicas: 10
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
    /// Set `minReplicas` to at least `min`. The (unsafe, as it costs a pod) fix does so when
    /// `maxReplicas` allows it.
    ///
    /// ## Options
    /// - `min` (default `2`): the smallest `minReplicas` accepted.
    pub static RULE = {
        code: "KF301",
        name: "hpa-min-replicas-low",
        category: Scaling,
        severity: Info,
        kinds: &["HorizontalPodAutoscaler"],
        check: check,
        kube_linter: "hpa-minimum-three-replicas",
    }
}

fn check(c: &mut Check) {
    let Some(hpa) = Hpa::of(c.doc) else { return };
    let want = c.option_f64("min", 2.0).ceil() as i64;
    let min = hpa.min_replicas().unwrap_or(1);
    if min >= want {
        return;
    }
    let finding = c.report(
        "/spec/minReplicas",
        format!(
            "the autoscaler may scale down to {min} replica{}",
            if min == 1 { "" } else { "s" }
        ),
    );
    finding.with_help(format!("set minReplicas to at least {want}"));
    if hpa.max_replicas().is_some_and(|max| max >= want) {
        let path = "/spec/minReplicas".to_string();
        finding.with_fix(
            format!("set minReplicas to {want}"),
            vec![Op::Add {
                path,
                value: int_node(want),
            }],
            false,
        );
    }
}
