use super::support_b::{Groups, Pod, containers_phrase, verb_s};
use crate::declare_rule;
use crate::doc::views::SecurityContext;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pods in which containers, init containers included, have no `securityContext`
    /// of their own while the pod has none either (an empty `securityContext: {}` counts as
    /// none).
    ///
    /// ## Why is this bad?
    /// Such a container runs with every runtime default: as the image's user (often root),
    /// with a writable root filesystem, default capabilities and privilege escalation
    /// allowed. It usually means nobody has thought about its security settings yet.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 3 * * *"
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
    ///   schedule: "0 3 * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           securityContext:
    ///             runAsNonRoot: true
    ///             seccompProfile: {type: RuntimeDefault}
    ///           containers:
    ///           - name: report
    ///             image: ghcr.io/acme/report:1.0.0
    /// ```
    ///
    /// ## Fix
    /// Add a pod `securityContext` (`runAsNonRoot`, `seccompProfile`) and container ones
    /// (`allowPrivilegeEscalation: false`, `readOnlyRootFilesystem: true`,
    /// `capabilities: {drop: [ALL]}`); the other security rules say which fields are missing.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF208",
        name: "security-context-missing",
        category: Security,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    let set = |sc: &Option<SecurityContext>| sc.as_ref().is_some_and(|s| !s.keys(&[]).is_empty());
    if set(&pod.sc) {
        return;
    }
    let mut bare = Groups::default();
    for (container, sc) in &pod.containers {
        if !set(sc) {
            bare.add(pod.sc_pointer(&[]), container);
        }
    }
    for (pointer, names) in bare.into_vec() {
        c.report(
            pointer,
            format!(
                "{} run{} without any securityContext, pod or container",
                containers_phrase(&names),
                verb_s(&names)
            ),
        )
        .with_help("set a pod securityContext and a securityContext on each container");
    }
}
