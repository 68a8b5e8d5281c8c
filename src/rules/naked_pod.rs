use crate::declare_rule;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Pods that no controller manages: a `kind: Pod` without `ownerReferences`.
    /// Helm test hooks (`helm.sh/hook: test`) are skipped, as they are meant to run once.
    ///
    /// ## Why is this bad?
    /// Nothing recreates a bare Pod: when its node is drained, fails or is scaled away, the
    /// pod is gone for good. It cannot be rolled out, scaled or rolled back either, and
    /// changing most of its spec means deleting and recreating it by hand.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: worker
    /// spec:
    ///   containers:
    ///   - name: worker
    ///     image: ghcr.io/acme/worker:3.1.0
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: worker
    /// spec:
    ///   selector: {matchLabels: {app: worker}}
    ///   template:
    ///     metadata: {labels: {app: worker}}
    ///     spec:
    ///       containers:
    ///       - name: worker
    ///         image: ghcr.io/acme/worker:3.1.0
    /// ```
    ///
    /// ## Fix
    /// Run it from a Deployment (or a StatefulSet or DaemonSet) if it should keep running,
    /// or from a Job if it should run to completion.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF702",
        name: "naked-pod",
        category: Availability,
        severity: Info,
        kinds: &["Pod"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let root = &c.doc.root;
    let owned = root
        .path(&["metadata", "ownerReferences"])
        .and_then(|o| o.as_seq())
        .is_some_and(|o| !o.is_empty());
    let hook = root
        .str_at(&["metadata", "annotations", "helm.sh/hook"])
        .unwrap_or("");
    if owned || hook.split(',').any(|h| h.trim().starts_with("test")) {
        return;
    }
    c.report(
        "/kind",
        format!("Pod `{}` is not managed by a controller", c.doc.name()),
    )
    .with_help(
        "run it from a Deployment to keep it running, or from a Job to run it to completion",
    );
}
