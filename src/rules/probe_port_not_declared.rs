use crate::declare_rule;
use crate::doc::views::IntOrString;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags liveness, readiness and startup probes (`httpGet`, `tcpSocket`, `grpc`) whose
    /// port is not among the container's `ports`: a port name that no port carries, or a
    /// number that is not declared by a container that declares its ports.
    ///
    /// ## Why is this bad?
    /// A port name that the container does not declare cannot be resolved, and the kubelet
    /// then records an error instead of a probe result: a readiness or startup probe never
    /// succeeds, so the pod never becomes ready, and a liveness probe never fails, so it is
    /// silently disabled. An undeclared number works (declaring ports is informational) but
    /// is often a leftover from a port change, and probes and Services then disagree about
    /// where the application listens.
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
    ///         ports: [{name: http, containerPort: 8080}]
    ///         readinessProbe:
    ///           httpGet: {path: /readyz, port: web}
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
    ///         ports: [{name: http, containerPort: 8080}]
    ///         readinessProbe:
    ///           httpGet: {path: /readyz, port: http}
    /// ```
    ///
    /// ## Fix
    /// Use the name or number of a declared container port, or declare the port the probe
    /// uses. Probes with an explicit `httpGet.host` check another host and are not flagged,
    /// nor are port numbers of containers that declare no ports at all.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF123",
        name: "probe-port-not-declared",
        category: Probes,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "liveness-port",
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let ports = container.ports();
        let name = container.name().unwrap_or("?");
        let probes = [
            ("liveness", container.liveness_probe()),
            ("readiness", container.readiness_probe()),
            ("startup", container.startup_probe()),
        ];
        for (which, probe) in probes {
            let Some(probe) = probe else { continue };
            let Some((_, handler)) = probe.handler() else {
                continue;
            };
            if handler.get("host").is_some() {
                continue;
            }
            let whose = format!("{which} probe of container `{name}`");
            let (message, help) = match probe.port() {
                Some(IntOrString::Str(port)) if !ports.iter().any(|p| p.name() == Some(port)) => (
                    format!("{whose} uses port `{port}`, which the container does not name"),
                    "an unresolvable port name keeps readiness failing and disables liveness; use a declared port's name",
                ),
                Some(IntOrString::Int(port))
                    if !ports.is_empty()
                        && !ports.iter().any(|p| p.container_port() == Some(port)) =>
                {
                    (
                        format!("{whose} uses port {port}, which the container does not declare"),
                        "declare the port under `ports`, or probe a declared one",
                    )
                }
                _ => continue,
            };
            c.report(handler.pointer_to(&["port"]), message)
                .with_help(help);
        }
    }
}
