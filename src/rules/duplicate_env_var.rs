use super::support_a::remove_item;
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags environment variables defined twice in one container's `env`.
    ///
    /// ## Why is this bad?
    /// The container gets the last definition, so the first one is dead code that readers
    /// (and reviewers of a patch that changes it) take for the real value. Duplicates also
    /// break strategic merge patches, which key `env` by name: `kubectl apply` and kustomize
    /// patches may update or delete the wrong entry.
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
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         env:
    ///         - {name: LOG_LEVEL, value: info}
    ///         - {name: LOG_LEVEL, value: debug}
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
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         env:
    ///         - {name: LOG_LEVEL, value: debug}
    /// ```
    ///
    /// ## Fix
    /// Keep one definition. The fix removes the earlier one, which the container never
    /// sees; it is unsafe only because a variable defined between the two that refers to
    /// it with `$(NAME)` saw the earlier value.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF701",
        name: "duplicate-env-var",
        category: Hygiene,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "duplicate-env-var",
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let env = container.env();
        for (i, var) in env.iter().enumerate() {
            let Some(name) = var.name() else { continue };
            // Report each duplicate at its last definition, the one that takes effect.
            if env[i + 1..].iter().any(|v| v.name() == Some(name)) {
                continue;
            }
            let Some(first) = env[..i].iter().rev().find(|v| v.name() == Some(name)) else {
                continue;
            };
            c.report(
                var.pointer_to(&["name"]),
                format!(
                    "env var `{name}` of container `{}` is defined more than once; this last definition wins",
                    container.name().unwrap_or("?")
                ),
            )
            .with_fix(format!("remove the earlier `{name}`"), remove_item(first), false);
        }
    }
}
