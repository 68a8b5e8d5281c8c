use crate::declare_rule;
use crate::doc::views::Workload;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags workloads whose `selector` does not match the labels of their own pod template,
    /// and apps/v1 workloads whose selector is missing or empty. Job and CronJob selectors
    /// are checked only when written (they are normally generated).
    ///
    /// ## Why is this bad?
    /// The API server rejects such an object (`selector does not match template labels`),
    /// so the apply fails; in a kustomize tree this usually comes from a label patched into
    /// the selector but not the template, or the reverse.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api, tier: web}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
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
    ///     metadata: {labels: {app: api, tier: web}}
    ///     spec:
    ///       containers: [{name: api, image: ghcr.io/acme/api:1.4.2}]
    /// ```
    ///
    /// ## Fix
    /// Give the pod template every label the selector requires. Keep the selector small and
    /// stable: it cannot be changed on an existing Deployment, StatefulSet or DaemonSet.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF504",
        name: "selector-mismatches-template",
        category: References,
        severity: Error,
        kinds: &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"],
        check: check,
        kube_linter: "mismatching-selector",
    }
}

fn check(c: &mut Check) {
    let Some(w) = Workload::of(c.doc) else { return };
    let required = c.doc.api_version() == "apps/v1";
    let Some(selector) = w.selector() else {
        if required {
            c.report(
                "/spec/selector",
                "spec.selector is missing (or not a mapping); apps/v1 requires it",
            );
        }
        return;
    };
    if selector.is_empty() {
        if required {
            c.report(
                selector.pointer(),
                "spec.selector is empty; apps/v1 rejects a selector that selects everything",
            );
        }
        return;
    }
    let labels = w.template_labels();
    if selector.matches(&labels) {
        return;
    }
    let mut missing: Vec<String> = selector
        .match_labels()
        .into_iter()
        .filter(|(k, v)| labels.get(k) != Some(v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let failing = selector
        .match_expressions()
        .iter()
        .filter(|r| !r.key().is_some_and(|k| r.matches(labels.get(k).copied())))
        .count();
    if failing > 0 {
        missing.push(format!(
            "{failing} matchExpressions requirement{}",
            if failing == 1 { "" } else { "s" }
        ));
    }
    let detail = if missing.is_empty() {
        String::new()
    } else {
        format!(" (unmet: {})", missing.join(", "))
    };
    c.report(
        selector.pointer(),
        format!("selector does not match the pod template's labels{detail}"),
    )
    .with_help("give the pod template every label the selector requires");
}
