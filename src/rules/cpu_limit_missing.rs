use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers (and init containers) without `resources.limits.cpu`.
    ///
    /// ## Why is this bad?
    /// Without a limit a container may use every idle core of its node. That is often what
    /// you want (CPU is compressible, and limits cause throttling), so this rule is advice:
    /// turn it on where noisy neighbours or predictable per-pod performance matter more, or
    /// where a LimitRange or quota requires limits.
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
    ///           requests: {cpu: 250m}
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
    ///           requests: {cpu: 250m}
    ///           limits: {cpu: "1"}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.limits.cpu`, well above the request so that bursts are not throttled,
    /// or turn the rule off if your clusters deliberately run without CPU limits.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF101",
        name: "cpu-limit-missing",
        category: Resources,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "unset-cpu-requirements",
    }
}

fn check(c: &mut Check) {
    super::support_a::report_missing_resource(c, "limits", "cpu", "CPU limit");
}
