use crate::declare_rule;
use crate::doc::views::{NetworkPolicy, Workload, WorkloadKind};
use crate::lint::{Check, WORKLOADS};
use crate::rules::support_c::{has_kind, kind_in};

declare_rule! {
    /// ## What it does
    /// Flags workloads whose pods no NetworkPolicy in their namespace selects. A tree with
    /// no NetworkPolicy at all is taken to leave network policy to someone else (a platform
    /// team, a mesh) and is not judged unless the `evenWithoutPolicies` option is set; once
    /// the tree has one, pods in any namespace without a policy of their own are reported.
    ///
    /// ## Why is this bad?
    /// Pods that no policy selects accept connections from, and connect to, anything in the
    /// cluster: one compromised pod can reach them, and they can reach everything else.
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
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: db
    /// spec:
    ///   podSelector: {matchLabels: {app: db}}
    ///   policyTypes: [Ingress]
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
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress]
    /// ```
    ///
    /// ## Fix
    /// Add a default-deny policy (`podSelector: {}`) to the namespace and policies allowing
    /// the traffic each workload needs.
    ///
    /// ## Options
    /// - `evenWithoutPolicies` (default `false`): also report when the tree holds no
    ///   NetworkPolicy at all.
    pub static RULE = {
        code: "KF506",
        name: "pod-without-network-policy",
        category: Networking,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "non-isolated-pod",
    }
}

fn check(c: &mut Check) {
    let Some(w) = Workload::of(c.doc) else { return };
    if !has_kind(c.ctx, "NetworkPolicy") && c.option("evenWithoutPolicies") != Some("true") {
        return;
    }
    let labels = w.template_labels();
    let selected = kind_in(c.ctx, "NetworkPolicy", c.doc)
        .into_iter()
        .filter_map(|p| NetworkPolicy::of(p)?.pod_selector())
        .any(|s| s.matches(&labels));
    if selected {
        return;
    }
    let pointer = match w.template() {
        Some(t) => t.pointer_to(&["metadata", "labels"]),
        None if w.kind() == WorkloadKind::Pod => "/metadata/labels".to_string(),
        None => return,
    };
    c.report(
        pointer,
        format!(
            "no NetworkPolicy selects the pods of {} `{}`",
            c.doc.kind(),
            c.doc.name()
        ),
    )
    .with_help(
        "add a default-deny NetworkPolicy to the namespace and allow the traffic the pods need",
    );
}
