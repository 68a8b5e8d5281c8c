use crate::declare_rule;
use crate::doc::views::{IntOrString, Service, Workload};
use crate::lint::Check;
use crate::rules::support_c::{dns_label_problem, iana_svc_name_problem, ns, selected_pods};

declare_rule! {
    /// ## What it does
    /// Flags port names the API server rejects, and named target ports that resolve to
    /// nothing:
    /// - container port names and Service `targetPort` names that are not IANA service
    ///   names (at most 15 characters of lowercase letters, digits and `-`, with at least one
    ///   letter, no leading, trailing or doubled `-`);
    /// - Service port names that are not DNS labels (at most 63 characters of lowercase
    ///   letters, digits and `-`, starting and ending with a letter or digit);
    /// - a Service `targetPort` name that no container of the pods it selects declares (when
    ///   the tree holds pods it selects).
    ///
    /// ## Why is this bad?
    /// An invalid name fails the apply. A target port name that no container declares gives
    /// the Service no endpoints for that port: connections are refused although the pods
    /// are running.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         ports: [{name: metrics-endpoint, containerPort: 9090}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         ports: [{name: metrics, containerPort: 9090}]
    /// ```
    ///
    /// ## Fix
    /// Shorten or respell the name (`http`, `grpc`, `metrics`), and use the same name in the
    /// container port and the Service's `targetPort`.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF512",
        name: "port-name-invalid",
        category: Networking,
        severity: Error,
        kinds: &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod", "Service"],
        check: check,
        kube_linter: "invalid-target-ports",
    }
}

fn check(c: &mut Check) {
    if let Some(svc) = Service::of(c.doc) {
        check_service(c, &svc);
        return;
    }
    let Some(spec) = Workload::of(c.doc).and_then(|w| w.pod_spec()) else {
        return;
    };
    for container in spec.all_containers() {
        for port in container.ports() {
            let Some(name) = port.name() else { continue };
            if let Some(problem) = iana_svc_name_problem(name) {
                c.report(
                    port.pointer_to(&["name"]),
                    format!(
                        "port name `{name}` of container `{}` is invalid: it {problem}",
                        container.name().unwrap_or("?")
                    ),
                );
            }
        }
    }
}

fn check_service(c: &mut Check, svc: &Service) {
    // Container port names of the pods the Service selects; `None` when the tree has none.
    let selected: Option<Vec<String>> = svc.selector().filter(|s| !s.is_empty()).and_then(|sel| {
        let pods = selected_pods(c.ctx, ns(c.doc), &sel);
        let names = pods
            .iter()
            .flat_map(|(_, w)| w.pod_spec().map(|s| s.containers()).unwrap_or_default());
        let names = names
            .flat_map(|ct| ct.ports())
            .filter_map(|p| p.name().map(str::to_string));
        (!pods.is_empty()).then(|| names.collect())
    });
    for port in svc.ports() {
        if let Some(problem) = port.name().and_then(dns_label_problem) {
            let name = port.name().unwrap_or_default();
            c.report(
                port.pointer_to(&["name"]),
                format!("Service port name `{name}` is invalid: it {problem}"),
            );
        }
        let Some(IntOrString::Str(target)) = port.target_port() else {
            continue;
        };
        let pointer = port.pointer_to(&["targetPort"]);
        if let Some(problem) = iana_svc_name_problem(target) {
            c.report(
                pointer,
                format!("targetPort name `{target}` is invalid: it {problem}"),
            );
        } else if selected
            .as_ref()
            .is_some_and(|names| !names.iter().any(|n| n == target))
        {
            c.report(
                pointer,
                format!(
                    "targetPort `{target}` is not a port name of any container the Service selects"
                ),
            )
            .with_help("name the container port the same, or use the port number");
        }
    }
}
