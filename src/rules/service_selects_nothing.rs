use crate::declare_rule;
use crate::doc::views::Service;
use crate::lint::Check;
use crate::rules::support_c::{has_pods, ns, selected_pods};

declare_rule! {
    /// ## What it does
    /// Flags Services whose `selector` matches the pod template of no workload (and no Pod)
    /// in their namespace. It only judges namespaces in which the tree has workloads, and
    /// ignores Services without a selector (their endpoints are managed by hand).
    ///
    /// ## Why is this bad?
    /// A Service that selects nothing has no endpoints: clients get connection refused or
    /// time out, usually because a label was renamed in the Deployment but not in the Service.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {app: api-server}
    ///   ports: [{port: 80, targetPort: 8080}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{port: 80, targetPort: 8080}]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ```
    ///
    /// ## Fix
    /// Make the selector match the pod template's labels (every selector label must be on
    /// the pods, with the same value).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF500",
        name: "service-selects-nothing",
        category: References,
        severity: Warning,
        kinds: &["Service"],
        check: check,
        kube_linter: "dangling-service",
    }
}

fn check(c: &mut Check) {
    let Some(svc) = Service::of(c.doc) else {
        return;
    };
    let Some(selector) = svc.selector().filter(|s| !s.is_empty()) else {
        return;
    };
    if svc.service_type() == Some("ExternalName") {
        return;
    }
    if !has_pods(c.ctx, ns(c.doc)) || !selected_pods(c.ctx, ns(c.doc), &selector).is_empty() {
        return;
    }
    let labels: Vec<String> = selector
        .match_labels()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    c.report(
        selector.pointer(),
        format!(
            "selector {} matches no pod template in namespace `{}`",
            labels.join(","),
            ns(c.doc)
        ),
    )
    .with_help("make the selector match the labels of the workload's pod template");
}
