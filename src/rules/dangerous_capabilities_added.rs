use super::support_b::{Pod, capability, container_name};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "DAC_OVERRIDE",
    "NET_RAW",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
];

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, whose `securityContext.capabilities.add`
    /// lists a capability that breaks isolation: `ALL`, `SYS_ADMIN`, `NET_ADMIN`,
    /// `SYS_PTRACE`, `SYS_MODULE`, `SYS_RAWIO`, `SYS_BOOT`, `SYS_TIME`, `DAC_READ_SEARCH`,
    /// `DAC_OVERRIDE`, `NET_RAW`, `BPF`, `PERFMON`, `MAC_ADMIN`, `MAC_OVERRIDE` or `SYSLOG`
    /// (with or without the `CAP_` prefix).
    ///
    /// ## Why is this bad?
    /// `SYS_ADMIN` and `ALL` are nearly `privileged`; the others let a container load kernel
    /// modules, trace other processes, read any file, sniff or spoof traffic, reconfigure
    /// the node's network or change its clock: each is a known path out of the container.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: debug
    /// spec:
    ///   containers:
    ///   - name: debug
    ///     image: busybox:1.36
    ///     securityContext:
    ///       capabilities:
    ///         add: [SYS_ADMIN]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: debug
    /// spec:
    ///   containers:
    ///   - name: debug
    ///     image: busybox:1.36
    ///     securityContext:
    ///       capabilities:
    ///         add: [NET_BIND_SERVICE]
    ///         drop: [ALL]
    /// ```
    ///
    /// ## Fix
    /// Remove the capability; if a component really needs it (a CNI plugin, a node agent),
    /// suppress the finding on that object with a reason.
    ///
    /// ## Options
    /// - `allowed` (default empty): comma-separated capabilities not to report, e.g. `NET_RAW`.
    pub static RULE = {
        code: "KF205",
        name: "dangerous-capabilities-added",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    let allowed: Vec<String> = c
        .option("allowed")
        .unwrap_or("")
        .split(',')
        .map(capability)
        .collect();
    for (container, sc) in &pod.containers {
        let Some(add) = sc.as_ref().and_then(|s| s.at(&["capabilities", "add"])) else {
            continue;
        };
        for item in add.items() {
            let Some(cap) = item.as_str().map(capability) else {
                continue;
            };
            if DANGEROUS.contains(&cap.as_str()) && !allowed.contains(&cap) {
                c.report(
                    item.pointer(),
                    format!(
                        "container `{}` adds the {cap} capability",
                        container_name(container)
                    ),
                )
                .with_help("remove it, or suppress with a reason if the component needs it");
            }
        }
    }
}
