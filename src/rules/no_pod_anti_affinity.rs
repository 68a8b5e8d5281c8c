use crate::declare_rule;
use crate::doc::views::Workload;
use crate::lint::Check;
use crate::rules::support_c::{
    HOSTNAME, ZONE_KEYS, add_spread, anti_affinity_spreads, scale, spread_on,
};

declare_rule! {
    /// ## What it does
    /// Flags Deployments and StatefulSets that run several pods (by `replicas` or their
    /// autoscaler's `minReplicas`) with neither a pod anti-affinity term on their own pods
    /// (by `kubernetes.io/hostname`, or a zone key, required or preferred) nor a topology
    /// spread constraint on `kubernetes.io/hostname`.
    ///
    /// ## Why is this bad?
    /// The scheduler is free to put every replica on one node; losing that node then takes
    /// the whole workload down, and the replicas protect against nothing but pod crashes.
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
    ///       topologySpreadConstraints:
    ///       - maxSkew: 1
    ///         topologyKey: kubernetes.io/hostname
    ///         whenUnsatisfiable: ScheduleAnyway
    ///         labelSelector: {matchLabels: {app: api}}
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ```
    ///
    /// ## Fix
    /// Add a `topologySpreadConstraints` entry on `kubernetes.io/hostname` (with
    /// `whenUnsatisfiable: ScheduleAnyway` unless there are always enough nodes), or a
    /// preferred `podAntiAffinity` term on the pods' own labels. The (unsafe) fix adds a
    /// `ScheduleAnyway` constraint on `kubernetes.io/hostname` selecting the template's labels.
    ///
    /// ## Options
    /// - `minReplicas` (default `2`): the replica count from which spreading is expected.
    pub static RULE = {
        code: "KF324",
        name: "no-pod-anti-affinity",
        category: Availability,
        severity: Info,
        kinds: &["Deployment", "StatefulSet"],
        check: check,
        kube_linter: "no-anti-affinity",
    }
}

fn check(c: &mut Check) {
    let Some(w) = Workload::of(c.doc) else { return };
    let Some(spec) = w.pod_spec() else { return };
    let threshold = c.option_f64("minReplicas", 2.0);
    let Some(scale) = scale(c.ctx, c.doc).filter(|s| s.min as f64 >= threshold) else {
        return;
    };
    let keys: Vec<&str> = std::iter::once(HOSTNAME)
        .chain(ZONE_KEYS.iter().copied())
        .collect();
    if anti_affinity_spreads(&w, &keys) || spread_on(&w, &[HOSTNAME]) {
        return;
    }
    let has_anti = spec.at(&["affinity", "podAntiAffinity"]).is_some();
    let message = if has_anti {
        format!(
            "{} runs {} but its podAntiAffinity does not keep its own pods apart",
            c.doc.kind(),
            scale.describe()
        )
    } else {
        format!(
            "{} runs {} with nothing spreading them across nodes",
            c.doc.kind(),
            scale.describe()
        )
    };
    let fix = add_spread(&w, HOSTNAME);
    let f = c.report(spec.pointer_to(&["affinity", "podAntiAffinity"]), message);
    f.with_help("add a topologySpreadConstraints entry on kubernetes.io/hostname, or a podAntiAffinity term on the pods' own labels");
    if let Some(op) = fix {
        f.with_fix(
            "spread the pods across nodes (ScheduleAnyway)",
            vec![op],
            false,
        );
    }
}
