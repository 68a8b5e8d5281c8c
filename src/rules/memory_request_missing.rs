use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers (and init containers) that set no memory request: neither
    /// `resources.requests.memory` nor a memory limit, which the request defaults to.
    ///
    /// ## Why is this bad?
    /// The scheduler places pods by their requests, so a container without one can land on a
    /// node that has no memory left for it. Under memory pressure the kubelet evicts pods
    /// using more than they requested first: a container that requested nothing is always
    /// over its request.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: postgres
    ///         image: postgres:16.3
    ///         resources:
    ///           requests: {cpu: 500m}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: postgres
    ///         image: postgres:16.3
    ///         resources:
    ///           requests: {cpu: 500m, memory: 1Gi}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.requests.memory` to the container's working set under normal load.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF102",
        name: "memory-request-missing",
        category: Resources,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "unset-memory-requirements",
    }
}

fn check(c: &mut Check) {
    super::support_a::report_missing_resource(c, "requests", "memory", "memory request");
}
