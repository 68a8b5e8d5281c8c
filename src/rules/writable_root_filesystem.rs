use super::support_b::{Pod, bool_node, container_name, csc_pointer, set_ops};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that do not set
    /// `securityContext.readOnlyRootFilesystem: true`. Windows pods are skipped.
    ///
    /// ## Why is this bad?
    /// A writable root filesystem lets an attacker drop tools and binaries or change the
    /// application's code and configuration, and hides writes that belong in a volume.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: nginxinc/nginx-unprivileged:1.27
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: nginxinc/nginx-unprivileged:1.27
    ///         securityContext:
    ///           readOnlyRootFilesystem: true
    ///         volumeMounts:
    ///         - {name: tmp, mountPath: /tmp}
    ///       volumes:
    ///       - {name: tmp, emptyDir: {}}
    /// ```
    ///
    /// ## Fix
    /// Set `readOnlyRootFilesystem: true` and mount an `emptyDir` wherever the application
    /// writes (`/tmp`, caches). The fix sets the flag only, so it is unsafe: an application
    /// that writes outside its volumes fails.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF204",
        name: "writable-root-filesystem",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "no-read-only-root-fs",
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    if pod.is_windows() {
        return;
    }
    for (container, sc) in &pod.containers {
        if sc.as_ref().and_then(|s| s.read_only_root_filesystem()) == Some(true) {
            continue;
        }
        let pointer = csc_pointer(container, &["readOnlyRootFilesystem"]);
        let ops = set_ops(c.doc, &pointer, bool_node(true));
        let finding = c.report(
            pointer,
            format!(
                "container `{}` has a writable root filesystem",
                container_name(container)
            ),
        );
        finding.with_help(
            "set readOnlyRootFilesystem: true and mount emptyDir volumes where it writes",
        );
        if let Some(ops) = ops {
            finding.with_fix("set readOnlyRootFilesystem: true", ops, false);
        }
    }
}
