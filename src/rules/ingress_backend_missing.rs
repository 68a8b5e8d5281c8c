use crate::declare_rule;
use crate::doc::views::{Backend, Ingress, IntOrString, Service};
use crate::lint::Check;
use crate::rules::support_c::find;

declare_rule! {
    /// ## What it does
    /// Flags Ingress backends (the default backend and every path's) whose Service is not in
    /// the tree, or whose port (by number or by name) is not a port the Service exposes.
    /// Missing Services are reported only for complete trees (ones that hold workloads and
    /// the objects they refer to), since a fragment's Services may live elsewhere.
    ///
    /// ## Why is this bad?
    /// The ingress controller answers 503 for a backend it cannot resolve; a port mismatch
    /// fails the same way, and both only show when traffic arrives.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   rules:
    ///   - http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend: {service: {name: web, port: {number: 8080}}}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{name: http, port: 80, targetPort: 8080}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   rules:
    ///   - http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend: {service: {name: web, port: {name: http}}}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   selector: {app: web}
    ///   ports: [{name: http, port: 80, targetPort: 8080}]
    /// ```
    ///
    /// ## Fix
    /// Point the backend at an existing Service and at its `port` (the Service port, not the
    /// container's `targetPort`) or port name.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF501",
        name: "ingress-backend-missing",
        category: References,
        severity: Warning,
        kinds: &["Ingress"],
        check: check,
        kube_linter: "dangling-ingress",
    }
}

/// The pointer of the first of `paths` present under the backend (else of the first).
fn pointer_of(b: &Backend, paths: &[&[&str]]) -> String {
    let found = paths
        .iter()
        .find(|p| b.at(p).is_some())
        .unwrap_or(&paths[0]);
    b.pointer_to(found)
}

fn check(c: &mut Check) {
    let Some(ingress) = Ingress::of(c.doc) else {
        return;
    };
    for backend in ingress.backends() {
        let Some(name) = backend.service_name() else {
            continue;
        };
        let Some(svc) = find(c.ctx, "Service", name, c.doc).and_then(Service::of) else {
            if c.ctx.complete {
                let pointer = pointer_of(&backend, &[&["service", "name"], &["serviceName"]]);
                c.report(
                    pointer,
                    format!("backend Service `{name}` is not in the tree"),
                );
            }
            continue;
        };
        let ports = svc.ports();
        let Some(port) = backend.service_port().filter(|_| !ports.is_empty()) else {
            continue;
        };
        let exposed = ports.iter().any(|p| match port {
            IntOrString::Int(n) => p.port() == Some(n),
            IntOrString::Str(s) => p.name() == Some(s),
        });
        if !exposed {
            let (want, has) = match port {
                IntOrString::Int(n) => (
                    format!("port {n}"),
                    ports
                        .iter()
                        .filter_map(|p| p.port())
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>(),
                ),
                IntOrString::Str(s) => (
                    format!("port named `{s}`"),
                    ports
                        .iter()
                        .filter_map(|p| p.name())
                        .map(str::to_string)
                        .collect(),
                ),
            };
            let paths: &[&[&str]] = &[
                &["service", "port", "number"],
                &["service", "port", "name"],
                &["servicePort"],
            ];
            let has = if has.is_empty() {
                "none".to_string()
            } else {
                has.join(", ")
            };
            c.report(
                pointer_of(&backend, paths),
                format!("Service `{name}` has no {want} (it has: {has})"),
            );
        }
    }
}
