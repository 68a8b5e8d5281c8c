use super::support_b::{Pod, container_name};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags Windows pods and containers, init containers included, that set
    /// `securityContext.windowsOptions.hostProcess: true`.
    ///
    /// ## Why is this bad?
    /// A HostProcess container runs directly on the Windows node, as a node account, with
    /// the node's network and filesystem: it is the Windows equivalent of a privileged pod.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: win-agent
    /// spec:
    ///   template:
    ///     spec:
    ///       hostNetwork: true
    ///       securityContext:
    ///         windowsOptions:
    ///           hostProcess: true
    ///           runAsUserName: "NT AUTHORITY\\SYSTEM"
    ///       containers:
    ///       - name: agent
    ///         image: ghcr.io/acme/win-agent:1.0.0
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: win-agent
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         windowsOptions:
    ///           runAsUserName: ContainerUser
    ///       containers:
    ///       - name: agent
    ///         image: ghcr.io/acme/win-agent:1.0.0
    /// ```
    ///
    /// ## Fix
    /// Run as an ordinary Windows container; node agents that must be HostProcess
    /// containers should carry a suppression with a reason.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF217",
        name: "windows-host-process",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    let host_process = ["windowsOptions", "hostProcess"];
    if let Some(field) = pod
        .sc
        .as_ref()
        .and_then(|s| s.at(&host_process))
        .filter(|f| f.as_bool() == Some(true))
    {
        c.report(
            field.pointer(),
            "the pod runs as a Windows HostProcess on the node",
        )
        .with_help("run as an ordinary Windows container");
    }
    for (container, sc) in &pod.containers {
        if let Some(field) = sc
            .as_ref()
            .and_then(|s| s.at(&host_process))
            .filter(|f| f.as_bool() == Some(true))
        {
            c.report(
                field.pointer(),
                format!(
                    "container `{}` runs as a Windows HostProcess on the node",
                    container_name(container)
                ),
            )
            .with_help("run as an ordinary Windows container");
        }
    }
}
