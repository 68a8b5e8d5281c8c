use crate::declare_rule;
use crate::doc::views::NetworkPolicy;
use crate::lint::Check;
use crate::rules::support_c::{has_pods, ns, selected_pods};

declare_rule! {
    /// ## What it does
    /// Flags NetworkPolicies whose `podSelector` matches the pod template of no workload
    /// (and no Pod) in their namespace. An empty `podSelector` selects every pod and is never
    /// reported; namespaces in which the tree has no workloads are not judged.
    ///
    /// ## Why is this bad?
    /// The policy protects nothing: the pods it was written for (often after a label rename)
    /// accept or send traffic the policy was meant to block, and its presence suggests they
    /// are isolated.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: db
    /// spec:
    ///   podSelector: {matchLabels: {app: postgres}}
    ///   ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]
    /// ---
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
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: db
    /// spec:
    ///   podSelector: {matchLabels: {app: db}}
    ///   ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]
    /// ---
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
    /// ```
    ///
    /// ## Fix
    /// Make `podSelector` match the labels of the pods the policy is for.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF505",
        name: "network-policy-selects-nothing",
        category: Networking,
        severity: Warning,
        kinds: &["NetworkPolicy"],
        check: check,
        kube_linter: "dangling-networkpolicy",
    }
}

fn check(c: &mut Check) {
    let Some(selector) = NetworkPolicy::of(c.doc).and_then(|n| n.pod_selector()) else {
        return;
    };
    if !has_pods(c.ctx, ns(c.doc)) || !selected_pods(c.ctx, ns(c.doc), &selector).is_empty() {
        return;
    }
    c.report(
        selector.pointer(),
        format!(
            "podSelector matches no pod template in namespace `{}`",
            ns(c.doc)
        ),
    )
    .with_help("make podSelector match the labels of the pods the policy is for");
}
