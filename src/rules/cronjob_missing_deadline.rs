use crate::declare_rule;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags CronJobs without `spec.startingDeadlineSeconds`.
    ///
    /// ## Why is this bad?
    /// Without a deadline, a run that could not start on time (controller down, cluster
    /// upgrade, a resumed `suspend`, `concurrencyPolicy: Forbid` behind a slow previous run)
    /// is started whenever the controller gets to it, possibly hours late, when a nightly
    /// batch may hit peak traffic. The controller also counts every schedule missed since
    /// the last run: past 100 it warns `TooManyMissedTimes` (and before Kubernetes 1.21 it
    /// stopped starting the CronJob altogether). With a deadline, late runs are skipped and
    /// only schedules missed within the deadline count.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "*/5 * * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers:
    ///           - name: report
    ///             image: ghcr.io/acme/report:1.0.0
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "*/5 * * * *"
    ///   startingDeadlineSeconds: 120
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers:
    ///           - name: report
    ///             image: ghcr.io/acme/report:1.0.0
    /// ```
    ///
    /// ## Fix
    /// Set `startingDeadlineSeconds` to how late a run may still usefully start, shorter
    /// than the schedule's interval (at least 10 seconds: the controller checks that often).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF703",
        name: "cronjob-missing-deadline",
        category: Availability,
        severity: Info,
        kinds: &["CronJob"],
        check: check,
    }
}

fn check(c: &mut Check) {
    if c.doc
        .at("/spec/startingDeadlineSeconds")
        .is_none_or(|n| n.is_null())
    {
        c.report(
            "/spec/startingDeadlineSeconds",
            format!("CronJob `{}` sets no startingDeadlineSeconds", c.doc.name()),
        )
        .with_help("set startingDeadlineSeconds to how late a run may still start");
    }
}
