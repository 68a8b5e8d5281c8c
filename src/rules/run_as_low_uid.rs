use super::support_b::{Groups, Pod, containers_phrase, effective};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags a `runAsUser` between 1 and 9999 or a `runAsGroup` below 10000 that containers,
    /// init containers included, run with, whether set on the container or inherited from
    /// the pod. `runAsUser: 0` is left to `run-as-root`.
    ///
    /// ## Why is this bad?
    /// Low IDs are the ones host accounts and system groups use. A process that escapes
    /// its container with such an ID can read and write whatever that host user owns.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 999
    ///       containers:
    ///       - name: db
    ///         image: postgres:16.4
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 10999
    ///         runAsGroup: 10999
    ///       containers:
    ///       - name: db
    ///         image: postgres:16.4
    /// ```
    ///
    /// ## Fix
    /// Run as a UID and GID of 10000 or more that the image's files allow.
    ///
    /// ## Options
    /// - `minId` (default `10000`): the lowest UID or GID that is not reported.
    pub static RULE = {
        code: "KF203",
        name: "run-as-low-uid",
        category: Security,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    if pod.is_windows() {
        return;
    }
    let min = c.option_f64("minId", 10000.0) as i64;
    let mut groups = Groups::default();
    for (container, sc) in &pod.containers {
        for (key, lowest) in [("runAsUser", 1), ("runAsGroup", 0)] {
            let Some(field) = effective(pod.sc.as_ref(), sc.as_ref(), &[key]) else {
                continue;
            };
            if field.as_i64().is_some_and(|id| (lowest..min).contains(&id)) {
                groups.add(field.pointer(), container);
            }
        }
    }
    for (pointer, names) in groups.into_vec() {
        let Some(node) = c.doc.at(&pointer) else {
            continue;
        };
        let id = node.as_i64().unwrap_or_default();
        let key = pointer.rsplit('/').next().unwrap_or_default();
        let message = format!(
            "{}: {key} {id} is below {min} and may match a host account",
            containers_phrase(&names)
        );
        c.report(pointer, message)
            .with_help(format!("use an ID of {min} or more"));
    }
}
