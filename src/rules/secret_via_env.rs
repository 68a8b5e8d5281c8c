use crate::declare_rule;
use crate::doc::views::EnvSource;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags Secrets handed to containers, init containers included, as environment
    /// variables: `env[].valueFrom.secretKeyRef` and `envFrom[].secretRef`.
    ///
    /// ## Why is this bad?
    /// Environment variables leak: child processes inherit them, crash reporters and debug
    /// endpoints dump them, and they appear in `/proc/<pid>/environ`. They are also fixed at
    /// start, so a rotated Secret needs a restart, while a mounted Secret file is updated
    /// in place.
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
    ///         envFrom:
    ///         - secretRef: {name: api-credentials}
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
    ///         volumeMounts:
    ///         - {name: credentials, mountPath: /var/run/secrets/api, readOnly: true}
    ///       volumes:
    ///       - name: credentials
    ///         secret: {secretName: api-credentials}
    /// ```
    ///
    /// ## Fix
    /// Mount the Secret as a volume and have the application read the file (many accept a
    /// `..._FILE` variable pointing at it).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF219",
        name: "secret-via-env",
        category: Security,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "read-secret-from-env-var",
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let ctr = container.name().unwrap_or("?");
        for var in container.env() {
            if let Some(EnvSource::SecretKeyRef(r)) = var.value_from() {
                let secret = r.name().unwrap_or("?");
                c.report(
                    r.pointer(),
                    format!(
                        "env var `{}` of container `{ctr}` reads Secret `{secret}`",
                        var.name().unwrap_or("?")
                    ),
                )
                .with_help("mount the Secret as a file instead");
            }
        }
        for from in container.env_from() {
            let Some(secret) = from.secret_name() else {
                continue;
            };
            c.report(
                from.pointer_to(&["secretRef"]),
                format!("container `{ctr}` loads Secret `{secret}` into its environment"),
            )
            .with_help("mount the Secret as a file instead");
        }
    }
}
