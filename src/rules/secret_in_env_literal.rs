use super::support_b::{embedded_password, literal_value, secret_like_name};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags env vars, in init containers too, whose name says they hold a credential
    /// (`PASSWORD`, `PASSWD`, `SECRET`, `TOKEN`, `API_KEY`, `PRIVATE_KEY`, `ACCESS_KEY`,
    /// `CREDENTIALS`, `DSN`, ...) and that set a literal `value`, and any env value that is
    /// a connection string with an embedded password (`scheme://user:password@host`,
    /// `Server=db;User Id=app;Password=...`). Names that point to a secret rather than hold
    /// one (`..._FILE`, `..._PATH`, `..._URL`, `..._NAME`, `..._ID`) and values that only
    /// reference another variable (`$(DB_PASSWORD)`) are not reported. Findings never
    /// repeat the value.
    ///
    /// ## Why is this bad?
    /// A literal credential is in the manifest, so in Git, in every rendered copy and in
    /// the object anyone with read access to the workload can see; it cannot be rotated
    /// without a commit and it is not protected the way Secrets are.
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
    ///         - name: DB_PASSWORD
    ///           value: hunter2
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
    ///         - name: DB_PASSWORD
    ///           valueFrom:
    ///             secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## Fix
    /// Move the value into a Secret (rotating it, since it has been exposed) and reference
    /// it with `valueFrom.secretKeyRef`, or mount the Secret as a file.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF218",
        name: "secret-in-env-literal",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "env-var-secret",
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        for var in container.env() {
            let Some(value) = var.get("value").and_then(|v| v.text()) else {
                continue;
            };
            let name = var.name().unwrap_or("?");
            let literal = literal_value(value) && secret_like_name(name);
            let what = if embedded_password(value) {
                "holds a connection string with an embedded password"
            } else if literal {
                "holds a literal value"
            } else {
                continue;
            };
            c.report(
                var.pointer_to(&["value"]),
                format!(
                    "env var `{name}` of container `{}` {what}",
                    container.name().unwrap_or("?")
                ),
            )
            .with_help(
                "put it in a Secret and reference it with valueFrom.secretKeyRef (and rotate it)",
            );
        }
    }
}
