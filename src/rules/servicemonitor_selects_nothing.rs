use crate::declare_rule;
use crate::doc::Document;
use crate::doc::views::{Field, LabelSelector, Workload};
use crate::lint::Check;
use crate::rules::support_c::ns;

declare_rule! {
    /// ## What it does
    /// Flags Prometheus Operator ServiceMonitors (and PodMonitors) whose `selector` matches
    /// no Service (no pod template) in the namespaces their `namespaceSelector` covers: their
    /// own namespace by default, the `matchNames` listed, or all with `any: true`. It only
    /// judges scopes in which the tree has Services (workloads, for PodMonitors).
    ///
    /// ## Why is this bad?
    /// Prometheus silently scrapes nothing: the metrics and the alerts built on them are
    /// missing, and nobody notices until an incident needs them.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: ServiceMonitor
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api-server}}
    ///   endpoints: [{port: metrics}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   labels: {app: api}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{name: metrics, port: 9090}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: monitoring.coreos.com/v1
    /// kind: ServiceMonitor
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   endpoints: [{port: metrics}]
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   labels: {app: api}
    /// spec:
    ///   selector: {app: api}
    ///   ports: [{name: metrics, port: 9090}]
    /// ```
    ///
    /// ## Fix
    /// Make the selector match the Service's own labels (`metadata.labels`, not its
    /// `spec.selector`), or widen `namespaceSelector` to the Service's namespace.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF503",
        name: "servicemonitor-selects-nothing",
        category: References,
        severity: Warning,
        kinds: &["ServiceMonitor", "PodMonitor"],
        check: check,
        kube_linter: "dangling-servicemonitor",
    }
}

fn check(c: &mut Check) {
    if !c.doc.api_version().starts_with("monitoring.coreos.com/") {
        return;
    }
    let root = Field::root(&c.doc.root);
    let Some(selector) = root.view::<LabelSelector>(&["spec", "selector"]) else {
        return;
    };
    let scope = root.at(&["spec", "namespaceSelector"]);
    let any = scope.as_ref().and_then(|s| s.bool(&["any"])) == Some(true);
    let names = scope
        .as_ref()
        .map(|s| s.strs(&["matchNames"]))
        .unwrap_or_default();
    let in_scope = |d: &Document| {
        any || if names.is_empty() {
            ns(d) == ns(c.doc)
        } else {
            names.contains(&ns(d))
        }
    };
    let pods = c.doc.kind() == "PodMonitor";
    let candidates: Vec<_> = c
        .ctx
        .docs
        .iter()
        .filter(|d| in_scope(d))
        .filter_map(|d| {
            if pods {
                Workload::of(d).map(|w| w.template_labels())
            } else {
                let labels = || Field::root(&d.root).labels(&["metadata", "labels"]);
                (d.kind() == "Service").then(labels)
            }
        })
        .collect();
    if candidates.is_empty() || candidates.iter().any(|labels| selector.matches(labels)) {
        return;
    }
    let what = if pods { "pod template" } else { "Service" };
    c.report(
        selector.pointer(),
        format!("selector matches no {what} in the namespaces it covers"),
    )
    .with_help(if pods {
        "make the selector match the pod template's labels"
    } else {
        "make the selector match the Service's metadata.labels (not its spec.selector)"
    });
}
