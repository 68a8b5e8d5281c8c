use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags pod specs that set the deprecated `serviceAccount` field.
    ///
    /// ## Why is this bad?
    /// `serviceAccount` is an alias kept for old clients; `serviceAccountName` is the field
    /// that counts. When both are set and disagree, the pod silently runs as
    /// `serviceAccountName`, and tools that read only one of them see the wrong account.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccount: api
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: api
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Rename `serviceAccount` to `serviceAccountName` (a safe fix does this, or drops the
    /// alias when `serviceAccountName` already says the same). When the two disagree, keep
    /// the account the pod should run as; there is no automatic fix.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF223",
        name: "deprecated-service-account-field",
        category: Deprecation,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "deprecated-service-account-field",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let Some(old) = spec.get("serviceAccount") else {
        return;
    };
    let from = old.pointer();
    let old_name = old.text().unwrap_or("");
    match spec.get("serviceAccountName").and_then(|f| f.text()) {
        None => {
            let path = spec.pointer_to(&["serviceAccountName"]);
            let ops = vec![Op::Move {
                from: from.clone(),
                path,
            }];
            c.report(
                from,
                "the deprecated `serviceAccount` field is set; use serviceAccountName",
            )
            .with_fix("rename serviceAccount to serviceAccountName", ops, true);
        }
        Some(new) if new == old_name => {
            let ops = vec![Op::Remove { path: from.clone() }];
            c.report(
                from,
                "the deprecated `serviceAccount` field repeats serviceAccountName",
            )
            .with_fix("remove serviceAccount", ops, true);
        }
        Some(new) => {
            let message = format!(
                "the deprecated `serviceAccount` (`{old_name}`) disagrees with \
                 serviceAccountName (`{new}`), which wins"
            );
            c.report(from, message).with_help(
                "remove serviceAccount and set serviceAccountName to the intended account",
            );
        }
    }
}
