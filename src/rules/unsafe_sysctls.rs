use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

/// The sysctls the kubelet allows without `--allowed-unsafe-sysctls` (as of Kubernetes 1.29).
const SAFE: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

declare_rule! {
    /// ## What it does
    /// Flags pod `securityContext.sysctls` outside the set Kubernetes considers safe:
    /// `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`,
    /// `net.ipv4.ip_local_reserved_ports`, `net.ipv4.tcp_keepalive_time`,
    /// `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl` and
    /// `net.ipv4.tcp_keepalive_probes` (names may use `/` instead of `.`).
    ///
    /// ## Why is this bad?
    /// Other sysctls are not namespaced per pod, or can starve the node: they change the
    /// kernel for every pod on it. The kubelet rejects a pod that sets one
    /// (`SysctlForbidden`) unless the node allows that sysctl explicitly.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: cache
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         sysctls:
    ///         - name: vm.overcommit_memory
    ///           value: "1"
    ///       containers:
    ///       - name: cache
    ///         image: redis:7.4
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: cache
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         sysctls:
    ///         - name: net.ipv4.ip_local_port_range
    ///           value: "1024 65535"
    ///       containers:
    ///       - name: cache
    ///         image: redis:7.4
    /// ```
    ///
    /// ## Fix
    /// Remove the sysctl, or tune it on the nodes (and allow it there with the kubelet's
    /// `--allowed-unsafe-sysctls`) for the node pool that runs this workload.
    ///
    /// ## Options
    /// - `allowed` (default empty): comma-separated sysctls your nodes allow, not to report;
    ///   a trailing `*` allows a prefix (`net.core.*`).
    pub static RULE = {
        code: "KF210",
        name: "unsafe-sysctls",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "unsafe-sysctls",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let allowed: Vec<&str> = c
        .option("allowed")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let is_allowed = |name: &str| {
        SAFE.contains(&name)
            || allowed.iter().any(|a| match a.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => *a == name,
            })
    };
    for item in spec
        .at(&["securityContext", "sysctls"])
        .map(|s| s.items())
        .unwrap_or_default()
    {
        let Some(name) = item.str(&["name"]) else {
            continue;
        };
        let normalized = name.replace('/', ".");
        if !is_allowed(&normalized) {
            c.report(
                item.pointer_to(&["name"]),
                format!("sysctl `{name}` is not in the safe set"),
            )
            .with_help("tune it on the nodes, or allow it there with --allowed-unsafe-sysctls");
        }
    }
}
