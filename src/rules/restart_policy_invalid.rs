use crate::declare_rule;
use crate::doc::Node;
use crate::doc::pointer::Op;
use crate::doc::views::{Workload, WorkloadKind};
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pod `restartPolicy` values the API server rejects for the kind: anything but
    /// `Always` in Deployments, StatefulSets, DaemonSets, ReplicaSets and
    /// ReplicationControllers; a missing policy or `Always` in Jobs and CronJobs, which need
    /// `OnFailure` or `Never`; and anything but those three values in a Pod.
    ///
    /// ## Why is this bad?
    /// The object is rejected, so the rollout fails. Jobs are the usual case: the pod
    /// default, `Always`, is not allowed for them, so a Job template without an explicit
    /// policy does not apply.
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
    ///   template:
    ///     spec:
    ///       restartPolicy: OnFailure
    ///       containers:
    ///       - name: migrate
    ///         image: ghcr.io/acme/migrate:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Use `Always` for long-running workloads, and `OnFailure` (retry in the same pod) or
    /// `Never` (a new pod per retry, keeping the failed one for inspection) for Jobs. The
    /// safe fix sets `Always` where it is the only choice and corrects the case of a
    /// misspelt value (`never`).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF706",
        name: "restart-policy-invalid",
        category: Hygiene,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "restart-policy",
    }
}

fn check(c: &mut Check) {
    let Some(workload) = Workload::of(c.doc) else {
        return;
    };
    let Some(spec) = workload.pod_spec() else {
        return;
    };
    let kind = workload.kind();
    let allowed: &[&str] = match kind {
        WorkloadKind::Job | WorkloadKind::CronJob => &["OnFailure", "Never"],
        WorkloadKind::Pod => &["Always", "OnFailure", "Never"],
        _ => &["Always"],
    };
    let pointer = spec.pointer_to(&["restartPolicy"]);
    let Some(policy) = spec.get("restartPolicy").filter(|f| !f.node.is_null()) else {
        if !allowed.contains(&"Always") {
            c.report(
                pointer,
                format!(
                    "{} pod template sets no restartPolicy; the default, Always, is rejected",
                    kind.as_str()
                ),
            )
            .with_help("set restartPolicy to OnFailure or Never");
        }
        return;
    };
    let text = policy.text().unwrap_or("?");
    if policy.as_str().is_some_and(|p| allowed.contains(&p)) {
        return;
    }
    let choices = match allowed {
        [one] => one.to_string(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", allowed.join(", ")),
    };
    let finding = c.report(
        pointer.clone(),
        format!(
            "restartPolicy `{text}` is rejected for a {}; use {choices}",
            kind.as_str()
        ),
    );
    // The object is rejected as it is, so a fix that makes it valid cannot break a running workload.
    let fixed = match allowed {
        [only] => Some(*only),
        _ => allowed
            .iter()
            .copied()
            .find(|a| a.eq_ignore_ascii_case(text)),
    };
    if let Some(fixed) = fixed {
        finding.with_fix(
            format!("set restartPolicy to {fixed}"),
            vec![Op::Replace {
                path: pointer,
                value: Node::string(fixed),
            }],
            true,
        );
    }
}
