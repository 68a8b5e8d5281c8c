use crate::declare_rule;
use crate::doc::views::ContainerPort;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags container ports, init containers included, that declare a non-zero `hostPort`.
    ///
    /// ## Why is this bad?
    /// A host port binds the node's own address: it bypasses Services and most
    /// NetworkPolicy implementations, exposes the pod to whatever can reach the node, and
    /// limits scheduling to one such pod per node, so rollouts and scale-ups get stuck.
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
    ///         ports:
    ///         - containerPort: 8080
    ///           hostPort: 8080
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
    ///         ports:
    ///         - containerPort: 8080
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPort` and reach the pod through a Service (NodePort or LoadBalancer if it
    /// must be reachable from outside).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF214",
        name: "host-port",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        for port in container.ports() {
            let Some(host_port) = port.host_port().filter(|p| *p != 0) else {
                continue;
            };
            c.report(
                port.pointer_to(&["hostPort"]),
                format!(
                    "container `{}` binds port {host_port} on the node{}",
                    container.name().unwrap_or("?"),
                    describe(&port)
                ),
            )
            .with_help("remove hostPort and reach the pod through a Service");
        }
    }
}

fn describe(port: &ContainerPort) -> String {
    match port.container_port() {
        Some(p) if Some(p) != port.host_port() => format!(" (container port {p})"),
        _ => String::new(),
    }
}
