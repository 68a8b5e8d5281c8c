use crate::declare_rule;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Jobs without `spec.ttlSecondsAfterFinished`. Jobs created by a CronJob (which
    /// keeps its own history limits) and Helm hooks with a `helm.sh/hook-delete-policy` are
    /// skipped.
    ///
    /// ## Why is this bad?
    /// A finished Job, and its pods with their logs, stays in the cluster until someone
    /// deletes it. They pile up, clutter `kubectl get pods`, and keep counting against
    /// object quotas; and as a Job's template cannot be changed, the next apply of a changed
    /// Job fails until the old one is deleted by hand.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata:
    ///   name: migrate
    /// spec:
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers:
    ///       - name: migrate
    ///         image: ghcr.io/acme/migrate:1.4.2
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata:
    ///   name: migrate
    /// spec:
    ///   ttlSecondsAfterFinished: 86400
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers:
    ///       - name: migrate
    ///         image: ghcr.io/acme/migrate:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Set `ttlSecondsAfterFinished` to how long the results (and logs) should stay around.
    /// With a GitOps tool that recreates what it finds missing, make sure it does not
    /// re-create (and so re-run) the Job once the TTL deleted it, e.g. with Argo CD's
    /// hook annotations.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF705",
        name: "job-without-ttl",
        category: Hygiene,
        severity: Info,
        kinds: &["Job"],
        check: check,
        kube_linter: "job-ttl-seconds-after-finished",
    }
}

fn check(c: &mut Check) {
    let root = &c.doc.root;
    let owners = root
        .path(&["metadata", "ownerReferences"])
        .and_then(|o| o.as_seq())
        .unwrap_or_default();
    let from_cronjob = owners
        .iter()
        .any(|o| o.str_at(&["kind"]) == Some("CronJob"));
    let helm_cleans_up = root
        .path(&["metadata", "annotations", "helm.sh/hook-delete-policy"])
        .is_some();
    if from_cronjob
        || helm_cleans_up
        || root
            .path(&["spec", "ttlSecondsAfterFinished"])
            .is_some_and(|n| !n.is_null())
    {
        return;
    }
    c.report(
        "/spec/ttlSecondsAfterFinished",
        format!(
            "Job `{}` sets no ttlSecondsAfterFinished, so it stays after it finishes",
            c.doc.name()
        ),
    )
    .with_help("set ttlSecondsAfterFinished to how long results and logs should be kept");
}
