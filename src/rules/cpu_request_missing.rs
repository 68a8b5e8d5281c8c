use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers (and init containers) that set no CPU request: neither
    /// `resources.requests.cpu` nor a CPU limit, which the request defaults to.
    ///
    /// ## Why is this bad?
    /// The scheduler places pods by their requests. A container without one is scheduled as
    /// if it needed no CPU, lands on busy nodes, and is the first to be starved when the node
    /// is under load; its pod is also never in the Guaranteed QoS class.
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
    ///         resources:
    ///           requests:
    ///             memory: 256Mi
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
    ///         resources:
    ///           requests:
    ///             cpu: 250m
    ///             memory: 256Mi
    /// ```
    ///
    /// ## Fix
    /// Set `resources.requests.cpu` to what the container uses under normal load (its usage
    /// in your metrics, or a `kubectl top pod` reading).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF100",
        name: "cpu-request-missing",
        category: Resources,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "unset-cpu-requirements",
    }
}

fn check(c: &mut Check) {
    super::support_a::report_missing_resource(c, "requests", "cpu", "CPU request");
}
