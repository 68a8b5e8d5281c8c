use super::support_a::LONG_RUNNING;
use crate::declare_rule;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags the containers of long-running workloads (Deployments, StatefulSets,
    /// DaemonSets, ReplicaSets, ReplicationControllers) that have no `livenessProbe`.
    ///
    /// ## Why is this bad?
    /// Without a liveness probe Kubernetes restarts a container only when its process exits.
    /// A process that deadlocks, or stops serving while staying alive, keeps its pod running
    /// (and, unless a readiness probe fails, receiving traffic) until someone notices.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         ports: [{containerPort: 8080}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         ports: [{containerPort: 8080}]
    ///         livenessProbe:
    ///           httpGet: {path: /livez, port: 8080}
    /// ```
    ///
    /// ## Fix
    /// Add a `livenessProbe` that checks only the process itself (not its dependencies), with
    /// a failure threshold generous enough to ride out pauses such as garbage collection.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF120",
        name: "liveness-probe-missing",
        category: Probes,
        severity: Warning,
        kinds: LONG_RUNNING,
        check: check,
        kube_linter: "no-liveness-probe",
    }
}

fn check(c: &mut Check) {
    for container in super::util::containers(c.doc) {
        if container.liveness_probe().is_none() {
            c.report(
                container.pointer_to(&["livenessProbe"]),
                format!(
                    "container `{}` has no liveness probe",
                    container.name().unwrap_or("?")
                ),
            )
            .with_help("add a livenessProbe that checks the process itself, not its dependencies");
        }
    }
}
