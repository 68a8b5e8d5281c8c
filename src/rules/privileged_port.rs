use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that declare a `containerPort` below
    /// 1024, unless the pod lowers `net.ipv4.ip_unprivileged_port_start` to that port or
    /// below through its `securityContext.sysctls`.
    ///
    /// ## Why is this bad?
    /// Binding a port below 1024 needs root or `NET_BIND_SERVICE` on most runtimes, so the
    /// container ends up running with more privilege than its job needs. Inside a cluster
    /// the port number does not matter: a Service can map 80 to 8080.
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
    ///         image: nginx:1.27
    ///         ports:
    ///         - containerPort: 80
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
    /// Listen on a port of 1024 or above and let the Service map the well-known port to it
    /// (`port: 80`, `targetPort: 8080`).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF403",
        name: "privileged-port",
        category: Networking,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "privileged-ports",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let sysctls = spec
        .at(&["securityContext", "sysctls"])
        .map(|s| s.items())
        .unwrap_or_default();
    let start = sysctls
        .iter()
        .find(|s| {
            s.str(&["name"]).map(|n| n.replace('/', ".")).as_deref()
                == Some("net.ipv4.ip_unprivileged_port_start")
        })
        .and_then(|s| s.get("value")?.text()?.trim().parse::<i64>().ok())
        .unwrap_or(1024);
    for container in spec.all_containers() {
        for port in container.ports() {
            let Some(number) = port
                .container_port()
                .filter(|p| (1..start.min(1024)).contains(p))
            else {
                continue;
            };
            c.report(
                port.pointer_to(&["containerPort"]),
                format!(
                    "container `{}` listens on privileged port {number}",
                    container.name().unwrap_or("?")
                ),
            )
            .with_help("listen on a port of 1024 or above and map it in the Service");
        }
    }
}
