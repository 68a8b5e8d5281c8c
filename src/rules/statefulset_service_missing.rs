use crate::declare_rule;
use crate::doc::views::{Service, Workload};
use crate::lint::Check;
use crate::rules::support_c::{find, kind_in};

declare_rule! {
    /// ## What it does
    /// Flags StatefulSets whose `serviceName` names no Service in their namespace, or a
    /// Service that is not headless (`clusterIP: None`). A missing Service is reported when
    /// the tree is complete or holds other Services in that namespace.
    ///
    /// ## Why is this bad?
    /// The governing Service gives each pod its stable DNS name (`db-0.db`); without it, or
    /// with a Service that has a cluster IP, those names do not resolve and peers (database
    /// replicas, quorum members) cannot find each other.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   serviceName: db
    ///   selector: {matchLabels: {app: db}}
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers: [{name: db, image: postgres:16.3}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: db
    /// spec:
    ///   selector: {app: db}
    ///   ports: [{port: 5432}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   serviceName: db
    ///   selector: {matchLabels: {app: db}}
    ///   template:
    ///     metadata: {labels: {app: db}}
    ///     spec:
    ///       containers: [{name: db, image: postgres:16.3}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: db
    /// spec:
    ///   clusterIP: None
    ///   selector: {app: db}
    ///   ports: [{port: 5432}]
    /// ```
    ///
    /// ## Fix
    /// Add a headless Service (`clusterIP: None`) selecting the StatefulSet's pods and name it
    /// in `serviceName`; clients that want one virtual IP can use a second, ordinary Service.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF511",
        name: "statefulset-service-missing",
        category: References,
        severity: Warning,
        kinds: &["StatefulSet"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(name) = Workload::of(c.doc)
        .and_then(|w| w.service_name())
        .filter(|n| !n.is_empty())
    else {
        return;
    };
    match find(c.ctx, "Service", name, c.doc).and_then(Service::of) {
        Some(svc) if svc.cluster_ip() != Some("None") => {
            c.report("/spec/serviceName", format!("Service `{name}` is not headless (clusterIP: None)"))
                .with_help("set clusterIP: None on the governing Service; use another Service for a virtual IP");
        }
        Some(_) => {}
        None if c.ctx.complete || !kind_in(c.ctx, "Service", c.doc).is_empty() => {
            c.report(
                "/spec/serviceName",
                format!("Service `{name}` is not in the tree"),
            )
            .with_help("add a headless Service (clusterIP: None) selecting the StatefulSet's pods");
        }
        None => {}
    }
}
