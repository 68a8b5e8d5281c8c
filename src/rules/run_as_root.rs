use super::support_b::{Groups, Pod, bool_node, containers_phrase, effective, set_ops, verb_s};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that may run as root: `runAsUser: 0`,
    /// or neither `runAsNonRoot: true` nor a non-zero `runAsUser` in their own or the
    /// pod's `securityContext` (the container's setting wins). Windows pods are skipped.
    ///
    /// ## Why is this bad?
    /// Most images default to root. A root process that escapes its container, through a
    /// runtime bug or a writable host mount, is root on the node.
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
    ///         image: ghcr.io/acme/migrate:3.0.1
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
    ///       restartPolicy: Never
    ///       securityContext:
    ///         runAsNonRoot: true
    ///       containers:
    ///       - name: migrate
    ///         image: ghcr.io/acme/migrate:3.0.1
    /// ```
    ///
    /// ## Fix
    /// Set `runAsNonRoot: true` in the pod's `securityContext` (an unsafe fix does this: an
    /// image that only works as root will then fail to start), and a non-zero `runAsUser`
    /// if the image's user is not numeric.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF202",
        name: "run-as-root",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "run-as-non-root",
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    if pod.is_windows() {
        return;
    }
    let (mut root, mut not_required, mut unset) =
        (Groups::default(), Groups::default(), Groups::default());
    for (container, sc) in &pod.containers {
        let user = effective(pod.sc.as_ref(), sc.as_ref(), &["runAsUser"]);
        let non_root = effective(pod.sc.as_ref(), sc.as_ref(), &["runAsNonRoot"]);
        match (
            user.as_ref().and_then(|u| u.as_i64()),
            non_root.as_ref().and_then(|n| n.as_bool()),
        ) {
            (Some(0), _) => root.add(user.map(|u| u.pointer()).unwrap_or_default(), container),
            (Some(uid), _) if uid > 0 => {}
            (_, Some(true)) => {}
            (_, Some(false)) => {
                not_required.add(non_root.map(|n| n.pointer()).unwrap_or_default(), container)
            }
            _ => unset.add(pod.sc_pointer(&["runAsNonRoot"]), container),
        }
    }
    for (pointer, names) in root.into_vec() {
        c.report(
            pointer,
            format!(
                "{} run{} as root (runAsUser: 0)",
                containers_phrase(&names),
                verb_s(&names)
            ),
        )
        .with_help("run as a non-zero UID the image supports");
    }
    for (pointer, names) in not_required.into_vec() {
        let message = format!(
            "{} may run as root: runAsNonRoot is false and no non-zero runAsUser is set",
            containers_phrase(&names)
        );
        fix(c, pointer, message);
    }
    for (pointer, names) in unset.into_vec() {
        let message = format!(
            "{} may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set",
            containers_phrase(&names)
        );
        fix(c, pointer, message);
    }
}

fn fix(c: &mut Check, pointer: String, message: String) {
    let ops = set_ops(c.doc, &pointer, bool_node(true));
    let finding = c.report(pointer, message);
    finding.with_help("set securityContext.runAsNonRoot: true and run as a non-zero UID");
    if let Some(ops) = ops {
        finding.with_fix("set runAsNonRoot: true", ops, false);
    }
}
