use crate::declare_rule;
use crate::doc::views::{IntOrString, Service};
use crate::lint::Check;

const KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Pod",
    "Service",
];

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that declare `containerPort: 22`, and
    /// Services whose `port` or `targetPort` is 22.
    ///
    /// ## Why is this bad?
    /// An SSH server in a container is a second way in that bypasses `kubectl exec`'s
    /// authentication, RBAC and audit logging, and is a favourite target of credential
    /// stuffing once a Service exposes it.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: git
    /// spec:
    ///   selector: {app: git}
    ///   ports:
    ///   - name: ssh
    ///     port: 22
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: git
    /// spec:
    ///   selector: {app: git}
    ///   ports:
    ///   - name: https
    ///     port: 443
    ///     targetPort: 8443
    /// ```
    ///
    /// ## Fix
    /// Use `kubectl exec` or ephemeral debug containers instead of SSH; services that speak
    /// SSH by design (Git servers, bastions) should carry a suppression with a reason.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF402",
        name: "ssh-port-exposed",
        category: Networking,
        severity: Warning,
        kinds: KINDS,
        check: check,
        kube_linter: "ssh-port",
    }
}

fn check(c: &mut Check) {
    if let Some(svc) = Service::of(c.doc) {
        for port in svc.ports() {
            if port.port() == Some(22) {
                c.report(
                    port.pointer_to(&["port"]),
                    "the Service exposes port 22 (SSH)",
                )
                .with_help("use kubectl exec instead of SSH, or suppress for SSH services");
            } else if port.target_port() == Some(IntOrString::Int(22)) {
                c.report(
                    port.pointer_to(&["targetPort"]),
                    "the Service forwards to port 22 (SSH)",
                )
                .with_help("use kubectl exec instead of SSH, or suppress for SSH services");
            }
        }
        return;
    }
    for container in super::util::all_containers(c.doc) {
        for port in container.ports() {
            if port.container_port() == Some(22) {
                c.report(
                    port.pointer_to(&["containerPort"]),
                    format!(
                        "container `{}` listens on port 22 (SSH)",
                        container.name().unwrap_or("?")
                    ),
                )
                .with_help("use kubectl exec instead of SSH, or suppress for SSH services");
            }
        }
    }
}
