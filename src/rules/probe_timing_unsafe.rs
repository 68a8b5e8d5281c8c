use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags probe timings that misbehave: a `timeoutSeconds` at or above `periodSeconds`, a
    /// liveness probe with `failureThreshold: 1` (one slow answer
    /// restarts the container), a liveness or startup `successThreshold` other than 1, and
    /// negative values, which the API server rejects.
    ///
    /// ## Why is this bad?
    /// A probe whose timeout reaches its period never rests: when the application slows
    /// down the kubelet probes it back to back, adding load exactly when it struggles, and a
    /// failure takes up to `timeoutSeconds` × `failureThreshold` to detect rather than the
    /// `periodSeconds` × `failureThreshold` the settings suggest. A liveness probe that
    /// restarts on the first failure turns every garbage-collection pause or load spike into
    /// a restart, and restarts of all replicas at once into an outage.
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
    ///         livenessProbe:
    ///           httpGet: {path: /livez, port: 8080}
    ///           periodSeconds: 5
    ///           timeoutSeconds: 5
    ///           failureThreshold: 1
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
    ///         livenessProbe:
    ///           httpGet: {path: /livez, port: 8080}
    ///           periodSeconds: 10
    ///           timeoutSeconds: 3
    ///           failureThreshold: 3
    /// ```
    ///
    /// ## Fix
    /// Keep `timeoutSeconds` well below `periodSeconds`, give liveness a `failureThreshold`
    /// of at least 2 (3 is the default), and leave `successThreshold` at 1 for liveness and
    /// startup probes.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF126",
        name: "probe-timing-unsafe",
        category: Probes,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

const FIELDS: [&str; 5] = [
    "initialDelaySeconds",
    "periodSeconds",
    "timeoutSeconds",
    "successThreshold",
    "failureThreshold",
];

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let name = container.name().unwrap_or("?");
        let probes = [
            ("liveness", container.liveness_probe()),
            ("readiness", container.readiness_probe()),
            ("startup", container.startup_probe()),
        ];
        for (which, probe) in probes {
            let Some(p) = probe else { continue };
            let whose = format!("{which} probe of container `{name}`");
            let negative: Vec<&str> = FIELDS
                .into_iter()
                .filter(|f| p.int(&[f]).is_some_and(|v| v < 0))
                .collect();
            for field in &negative {
                c.report(
                    p.pointer_to(&[field]),
                    format!("{whose}: `{field}` is negative, which the API server rejects"),
                );
            }
            if !negative.is_empty() {
                continue;
            }
            // The API server turns zeros into the defaults.
            let or_default = |v: Option<i64>, d| v.filter(|&v| v > 0).unwrap_or(d);
            let period = or_default(p.period_seconds(), 10);
            let timeout = or_default(p.timeout_seconds(), 1);
            if timeout >= period {
                let at = if p.get("timeoutSeconds").is_some() {
                    "timeoutSeconds"
                } else {
                    "periodSeconds"
                };
                c.report(
                    p.pointer_to(&[at]),
                    format!("{whose} may take {timeout}s to answer but runs every {period}s"),
                )
                .with_help("keep timeoutSeconds well below periodSeconds");
            }
            if which == "liveness" && p.failure_threshold() == Some(1) {
                c.report(
                    p.pointer_to(&["failureThreshold"]),
                    format!("{whose} restarts the container on its first failure"),
                )
                .with_help("use a failureThreshold of at least 2 (the default is 3)");
            }
            if which != "readiness" && p.success_threshold().is_some_and(|s| s > 1) {
                c.report(
                    p.pointer_to(&["successThreshold"]),
                    format!(
                        "{whose} has successThreshold {}; the API server accepts only 1",
                        p.success_threshold().unwrap_or(1)
                    ),
                );
            }
        }
    }
}
