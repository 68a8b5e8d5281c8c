use super::support_b::{Pod, container_name, csc_pointer};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that set `securityContext.privileged: true`.
    ///
    /// ## Why is this bad?
    /// A privileged container gets every capability and every host device, and runs
    /// without seccomp or AppArmor confinement: whoever controls it controls the node.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: agent
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: ghcr.io/acme/agent:2.1.0
    ///         securityContext:
    ///           privileged: true
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: agent
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: ghcr.io/acme/agent:2.1.0
    ///         securityContext:
    ///           capabilities:
    ///             add: [NET_BIND_SERVICE]
    ///             drop: [ALL]
    /// ```
    ///
    /// ## Fix
    /// Remove `privileged: true` and add only the capabilities the container needs; node
    /// agents that really need the host are better suppressed with a reason.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF200",
        name: "privileged-container",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "privileged-container",
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    for (container, sc) in &pod.containers {
        if sc.as_ref().and_then(|s| s.privileged()) == Some(true) {
            c.report(
                csc_pointer(container, &["privileged"]),
                format!("container `{}` runs privileged", container_name(container)),
            )
            .with_help("remove `privileged: true` and add only the capabilities it needs");
        }
    }
}
