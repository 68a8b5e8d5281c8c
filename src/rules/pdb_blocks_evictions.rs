use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::doc::views::{IntOrPercent, Pdb, Workload};
use crate::doc::{Node, Value};
use crate::lint::Check;
use crate::rules::support_c::{hpa_for, pdb_targets};

declare_rule! {
    /// ## What it does
    /// Flags PodDisruptionBudgets that allow no voluntary eviction at all: `maxUnavailable`
    /// of `0` or `0%`, `minAvailable` of `100%`, or a `minAvailable` at or above the replicas
    /// of a workload it selects (workloads scaled by an autoscaler are left to
    /// `pdb-min-available-above-hpa-min`).
    ///
    /// ## Why is this bad?
    /// `kubectl drain`, cluster autoscaler scale-downs and node upgrades wait for evictions
    /// the budget never allows: maintenance stalls until someone deletes the budget by hand.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   maxUnavailable: 0
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ```yaml,valid
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
    /// Allow at least one disruption: `maxUnavailable: 1` is the usual choice, or a
    /// `minAvailable` below the replica count. The (unsafe) fix replaces the setting with
    /// `maxUnavailable: 1`.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF321",
        name: "pdb-blocks-evictions",
        category: Availability,
        severity: Warning,
        kinds: &["PodDisruptionBudget"],
        check: check,
        kube_linter: "pdb-max-unavailable",
    }
}

fn one() -> Node {
    Node::new(Value::Int(1))
}

fn check(c: &mut Check) {
    let Some(pdb) = Pdb::of(c.doc) else { return };
    if let Some(IntOrPercent::Int(0) | IntOrPercent::Percent(0)) = pdb.max_unavailable() {
        let path = "/spec/maxUnavailable".to_string();
        c.report(
            &path,
            "maxUnavailable is 0: the budget never allows an eviction",
        )
        .with_fix(
            "set maxUnavailable to 1",
            vec![Op::Replace { path, value: one() }],
            false,
        );
        return;
    }
    let Some(min) = pdb.min_available() else {
        return;
    };
    let problem = match min {
        IntOrPercent::Percent(p) if p >= 100 => Some(format!(
            "minAvailable is {p}%: the budget never allows an eviction"
        )),
        _ => blocked_target(c, min),
    };
    if let Some(message) = problem {
        let ops = vec![
            Op::Remove {
                path: "/spec/minAvailable".into(),
            },
            Op::Add {
                path: "/spec/maxUnavailable".into(),
                value: one(),
            },
        ];
        c.report("/spec/minAvailable", message).with_fix(
            "replace minAvailable with maxUnavailable: 1",
            ops,
            false,
        );
    }
}

/// The first selected workload (not autoscaled) whose replicas the budget cannot go below.
fn blocked_target(c: &Check, min: IntOrPercent) -> Option<String> {
    pdb_targets(c.ctx, c.doc).into_iter().find_map(|d| {
        let replicas = Workload::of(d)?.replicas().unwrap_or(1);
        let needed = min.resolve(replicas, true);
        (hpa_for(c.ctx, d).is_none() && needed >= replicas).then(|| {
            format!(
                "minAvailable ({needed}) is not below the {replicas} replica{} of {} `{}`: no pod can be evicted",
                if replicas == 1 { "" } else { "s" },
                d.kind(),
                d.name()
            )
        })
    })
}
