use super::support_a::{autoscaler, int_node};
use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::doc::views::Workload;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Deployments and StatefulSets that run a single replica (`replicas: 1`, or no
    /// `replicas`, which means 1) and have no autoscaler. `replicas: 0` is taken as a
    /// deliberate pause and not flagged.
    ///
    /// ## Why is this bad?
    /// With one pod, every node drain, eviction, crash and even every rollout of a
    /// StatefulSet is downtime, and a PodDisruptionBudget cannot protect it without blocking
    /// node maintenance altogether.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   replicas: 1
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   replicas: 2
    /// ```
    ///
    /// ## Fix
    /// Run at least two replicas (spread over nodes), or scale with a
    /// HorizontalPodAutoscaler whose `minReplicas` is at least 2. Singletons by design
    /// (leader-only controllers, some databases) are best suppressed with a reason.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF303",
        name: "single-replica",
        category: Availability,
        severity: Info,
        kinds: &["Deployment", "StatefulSet"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(workload) = Workload::of(c.doc) else {
        return;
    };
    let present = c.doc.at("/spec/replicas").is_some();
    let replicas = match workload.replicas() {
        Some(n) => n,
        None if present => return, // not a number: field-wrong-type reports it
        None => 1,
    };
    if replicas != 1 || autoscaler(c.ctx, c.doc).is_some() {
        return;
    }
    let path = "/spec/replicas".to_string();
    let what = if present {
        "runs a single replica"
    } else {
        "runs a single replica (no `replicas`)"
    };
    c.report(
        path.clone(),
        format!("{} `{}` {what}", c.doc.kind(), c.doc.name()),
    )
    .with_help("run at least two replicas, or autoscale with minReplicas of at least 2")
    .with_fix(
        "run 2 replicas",
        vec![Op::Add {
            path,
            value: int_node(2),
        }],
        false,
    );
}
