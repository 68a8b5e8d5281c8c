use super::support_a::{quantity, resource};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers whose memory limit is more than `maxRatio` times their memory
    /// request.
    ///
    /// ## Why is this bad?
    /// Pods are scheduled by their requests but may grow to their limits. When many pods on a
    /// node use far more than they requested, the node runs out of memory: the kubelet evicts
    /// pods and the kernel OOM-kills containers that are well within their own limits. A
    /// wide gap also hides how much memory the workload really needs.
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
    ///           requests: {memory: 128Mi}
    ///           limits: {memory: 2Gi}
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
    ///           requests: {memory: 512Mi}
    ///           limits: {memory: 1Gi}
    /// ```
    ///
    /// ## Fix
    /// Raise the request towards the container's real usage, or lower the limit.
    ///
    /// ## Options
    /// - `maxRatio` (default `4`): the largest limit-to-request ratio accepted.
    pub static RULE = {
        code: "KF104",
        name: "memory-limit-far-above-request",
        category: Resources,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let ratio = c.option_f64("maxRatio", 4.0);
    for container in super::util::all_containers(c.doc) {
        let parse = |list| {
            resource(&container, list, "memory").and_then(|f| Some((quantity(&f)?.ok()?, f)))
        };
        let (Some((request, request_field)), Some((limit, limit_field))) =
            (parse("requests"), parse("limits"))
        else {
            continue;
        };
        let Some(allowed) = request.mul_f64(ratio) else {
            continue;
        };
        if request.signum() > 0 && limit > allowed {
            let times = limit.as_f64() / request.as_f64();
            c.report(
                limit_field.pointer(),
                format!(
                    "container `{}` may use {times:.1}× the memory it requests ({} limit, {} request; at most {ratio}× expected)",
                    container.name().unwrap_or("?"),
                    limit_field.text().unwrap_or("?"),
                    request_field.text().unwrap_or("?"),
                ),
            )
            .with_help("raise the memory request towards real usage, or lower the limit");
        }
    }
}
