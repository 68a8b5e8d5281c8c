use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pods that set `hostPID: true`.
    ///
    /// ## Why is this bad?
    /// The pod shares the node's process namespace: it sees every process on the node, with
    /// their command lines and environment (often secrets), and with enough privilege can
    /// signal, trace or enter them.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: profiler
    /// spec:
    ///   template:
    ///     spec:
    ///       hostPID: true
    ///       containers:
    ///       - name: profiler
    ///         image: ghcr.io/acme/profiler:0.9.1
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: profiler
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: profiler
    ///         image: ghcr.io/acme/profiler:0.9.1
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPID`; tools that profile the node should carry a suppression with a reason.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF212",
        name: "host-pid",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "host-pid",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    if spec.host_pid() == Some(true) {
        c.report(
            spec.pointer_to(&["hostPID"]),
            "the pod shares the node's process namespace (hostPID: true)",
        )
        .with_help("remove hostPID");
    }
}
