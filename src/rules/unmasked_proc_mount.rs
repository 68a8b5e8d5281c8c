use super::support_b::{Pod, container_name, csc_pointer};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, with `securityContext.procMount: Unmasked`.
    ///
    /// ## Why is this bad?
    /// The runtime normally masks and makes read-only the parts of `/proc` that expose or
    /// control the host kernel (`/proc/sys`, `/proc/kcore`, ...). Unmasking them is meant
    /// for nested container runtimes in user-namespaced pods; anywhere else it hands the
    /// container kernel interfaces it can use to break out.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: builder
    /// spec:
    ///   containers:
    ///   - name: builder
    ///     image: ghcr.io/acme/builder:5.2.0
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: builder
    /// spec:
    ///   containers:
    ///   - name: builder
    ///     image: ghcr.io/acme/builder:5.2.0
    ///     securityContext:
    ///       procMount: Default
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` or set it to `Default`; a nested runtime that needs it should run
    /// with `hostUsers: false` and a suppression that says so.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF209",
        name: "unmasked-proc-mount",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "unsafe-proc-mount",
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    for (container, sc) in &pod.containers {
        if sc.as_ref().and_then(|s| s.proc_mount()) == Some("Unmasked") {
            c.report(
                csc_pointer(container, &["procMount"]),
                format!(
                    "container `{}` mounts /proc unmasked",
                    container_name(container)
                ),
            )
            .with_help("remove procMount or set it to Default");
        }
    }
}
