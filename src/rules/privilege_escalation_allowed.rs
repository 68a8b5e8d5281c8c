use super::support_b::{Pod, bool_node, capability, container_name, csc_pointer, set_ops};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that do not set
    /// `securityContext.allowPrivilegeEscalation: false`. Privileged containers and those
    /// adding `SYS_ADMIN` are left to `privileged-container` and
    /// `dangerous-capabilities-added`: they always allow escalation and the API server
    /// rejects `false` for them. Windows pods are skipped.
    ///
    /// ## Why is this bad?
    /// Unless it is `false`, a process can gain more privileges than its parent through
    /// setuid binaries or file capabilities, turning a compromised non-root process into root.
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
    ///         securityContext:
    ///           allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Fix
    /// Set `allowPrivilegeEscalation: false` in each container's `securityContext` (a safe
    /// fix does this).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF201",
        name: "privilege-escalation-allowed",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "privilege-escalation-container",
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    if pod.is_windows() {
        return;
    }
    for (container, sc) in &pod.containers {
        let sc = sc.as_ref();
        let privileged = sc.and_then(|s| s.privileged()) == Some(true);
        let sys_admin = sc.is_some_and(|s| {
            s.capabilities_add()
                .iter()
                .any(|a| capability(a) == "SYS_ADMIN")
        });
        let ape = sc.and_then(|s| s.allow_privilege_escalation());
        if privileged || sys_admin || ape == Some(false) {
            continue;
        }
        let name = container_name(container);
        let pointer = csc_pointer(container, &["allowPrivilegeEscalation"]);
        let message = match ape {
            Some(true) => format!("container `{name}` sets allowPrivilegeEscalation: true"),
            _ => format!("container `{name}` does not set allowPrivilegeEscalation: false"),
        };
        let ops = set_ops(c.doc, &pointer, bool_node(false));
        let finding = c.report(pointer, message);
        if let Some(ops) = ops {
            finding.with_fix("set allowPrivilegeEscalation: false", ops, true);
        }
    }
}
