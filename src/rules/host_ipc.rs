use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pods that set `hostIPC: true`.
    ///
    /// ## Why is this bad?
    /// The pod shares the node's IPC namespace: it can read and write the shared memory and
    /// message queues of every process on the node that uses them.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: shm
    /// spec:
    ///   template:
    ///     spec:
    ///       hostIPC: true
    ///       containers:
    ///       - name: shm
    ///         image: ghcr.io/acme/shm-agent:1.2.0
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: shm
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shm
    ///         image: ghcr.io/acme/shm-agent:1.2.0
    /// ```
    ///
    /// ## Fix
    /// Remove `hostIPC`; share memory between containers of one pod with an `emptyDir` of
    /// `medium: Memory` instead.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF213",
        name: "host-ipc",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "host-ipc",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    if spec.host_ipc() == Some(true) {
        c.report(
            spec.pointer_to(&["hostIPC"]),
            "the pod shares the node's IPC namespace (hostIPC: true)",
        )
        .with_help(
            "remove hostIPC; share memory within the pod through an emptyDir with medium: Memory",
        );
    }
}
