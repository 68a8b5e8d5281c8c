use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pods that set `hostNetwork: true`.
    ///
    /// ## Why is this bad?
    /// The pod shares the node's network stack: it can bind any node port, reach services
    /// listening on the node's loopback (the kubelet's, local proxies), see all of the node's
    /// traffic if it holds `NET_RAW`, and bypasses NetworkPolicies.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: exporter
    /// spec:
    ///   template:
    ///     spec:
    ///       hostNetwork: true
    ///       containers:
    ///       - name: exporter
    ///         image: ghcr.io/acme/node-exporter:1.8.2
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: exporter
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: exporter
    ///         image: ghcr.io/acme/node-exporter:1.8.2
    /// ```
    ///
    /// ## Fix
    /// Remove `hostNetwork` and expose the ports through a Service; node agents that need
    /// the host's network should carry a suppression with a reason.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF211",
        name: "host-network",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "host-network",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    if spec.host_network() == Some(true) {
        c.report(
            spec.pointer_to(&["hostNetwork"]),
            "the pod shares the node's network namespace (hostNetwork: true)",
        )
        .with_help("remove hostNetwork and expose ports through a Service");
    }
}
