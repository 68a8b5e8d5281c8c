use crate::declare_rule;
use crate::doc::views::Workload;
use crate::lint::Check;
use crate::rules::support_c::{ZONE_KEYS, add_spread, anti_affinity_spreads, scale, spread_on};

declare_rule! {
    /// ## What it does
    /// Flags Deployments and StatefulSets that run several pods (by `replicas` or their
    /// autoscaler's `minReplicas`) without spreading them across zones: no topology spread
    /// constraint and no pod anti-affinity term on `topology.kubernetes.io/zone` (or the
    /// older `failure-domain.beta.kubernetes.io/zone`).
    ///
    /// ## Why is this bad?
    /// Nothing keeps every replica out of the same zone, so one zone outage can take the
    /// whole workload down. Spreading across nodes alone does not help there.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   replicas: 3
    ///   serviceName: db
    ///   selector: {matchLabels: {app: db}}
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers: [{name: db, image: postgres:16.3}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   replicas: 3
    ///   serviceName: db
    ///   selector: {matchLabels: {app: db}}
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       topologySpreadConstraints:
    ///       - maxSkew: 1
    ///         topologyKey: topology.kubernetes.io/zone
    ///         whenUnsatisfiable: ScheduleAnyway
    ///         labelSelector: {matchLabels: {app: db}}
    ///       containers: [{name: db, image: postgres:16.3}]
    /// ```
    ///
    /// ## Fix
    /// Add a `topologySpreadConstraints` entry on `topology.kubernetes.io/zone` selecting the
    /// pods' own labels. The (unsafe) fix adds one with `whenUnsatisfiable: ScheduleAnyway`,
    /// which never keeps a pod from being scheduled. In a single-zone cluster, turn the rule
    /// off.
    ///
    /// ## Options
    /// - `minReplicas` (default `2`): the replica count from which spreading is expected.
    pub static RULE = {
        code: "KF325",
        name: "topology-spread-missing",
        category: Availability,
        severity: Info,
        kinds: &["Deployment", "StatefulSet"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(w) = Workload::of(c.doc) else { return };
    let Some(spec) = w.pod_spec() else { return };
    let threshold = c.option_f64("minReplicas", 2.0);
    let Some(scale) = scale(c.ctx, c.doc).filter(|s| s.min as f64 >= threshold) else {
        return;
    };
    if spread_on(&w, ZONE_KEYS) || anti_affinity_spreads(&w, ZONE_KEYS) {
        return;
    }
    let fix = add_spread(&w, ZONE_KEYS[0]);
    let message = format!(
        "{} runs {} with nothing spreading them across zones",
        c.doc.kind(),
        scale.describe()
    );
    let f = c.report(spec.pointer_to(&["topologySpreadConstraints"]), message);
    f.with_help("add a topologySpreadConstraints entry on topology.kubernetes.io/zone selecting the pods' labels");
    if let Some(op) = fix {
        f.with_fix(
            "spread the pods across zones (ScheduleAnyway)",
            vec![op],
            false,
        );
    }
}
