use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers (and init containers) without `resources.limits.memory`.
    ///
    /// ## Why is this bad?
    /// Memory is not compressible: a container that leaks or spikes without a limit grows
    /// until the node runs out, and then the kernel or the kubelet kills whatever it picks,
    /// often other pods. With a limit only the offending container is OOM-killed and
    /// restarted.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata:
    ///   name: import
    /// spec:
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers:
    ///       - name: import
    ///         image: ghcr.io/acme/import:2.0.1
    ///         resources:
    ///           requests: {memory: 512Mi}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata:
    ///   name: import
    /// spec:
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers:
    ///       - name: import
    ///         image: ghcr.io/acme/import:2.0.1
    ///         resources:
    ///           requests: {memory: 512Mi}
    ///           limits: {memory: 1Gi}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.limits.memory` somewhat above the container's peak usage (or equal to
    /// the request, for the Guaranteed QoS class).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF103",
        name: "memory-limit-missing",
        category: Resources,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "unset-memory-requirements",
    }
}

fn check(c: &mut Check) {
    super::support_a::report_missing_resource(c, "limits", "memory", "memory limit");
}
