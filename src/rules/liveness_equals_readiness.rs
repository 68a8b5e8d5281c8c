use crate::declare_rule;
use crate::doc::views::Probe;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers whose liveness probe runs the same check as their readiness probe,
    /// with the same period, timeout and failure threshold.
    ///
    /// ## Why is this bad?
    /// Readiness takes a busy or degraded pod out of rotation until it recovers; liveness
    /// restarts it. When both fail at the same moment, every pod that is merely overloaded,
    /// or waiting on a slow database, is restarted instead of rested, and the restarts pile
    /// more load on the pods that are left: a slowdown becomes a cascading outage.
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
    ///           httpGet: {path: /healthz, port: 8080}
    ///         readinessProbe:
    ///           httpGet: {path: /healthz, port: 8080}
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
    ///           httpGet: {path: /healthz, port: 8080}
    ///           failureThreshold: 6
    ///         readinessProbe:
    ///           httpGet: {path: /healthz, port: 8080}
    /// ```
    ///
    /// ## Fix
    /// Point liveness at a cheaper endpoint that checks only the process (`/livez`), or at
    /// least give it a higher `failureThreshold` than readiness so that pods are taken out of
    /// rotation well before they are restarted.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF122",
        name: "liveness-equals-readiness",
        category: Probes,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

/// The handler and the settings that decide when the probe fails, defaults filled in.
fn failure_behaviour<'a>(p: &Probe<'a>) -> Option<(&'a crate::doc::Node, i64, i64, i64)> {
    let handler = p.handler()?.1.node;
    Some((
        handler,
        p.period_seconds().unwrap_or(10),
        p.timeout_seconds().unwrap_or(1),
        p.failure_threshold().unwrap_or(3),
    ))
}

fn check(c: &mut Check) {
    for container in super::util::containers(c.doc) {
        let (Some(live), Some(ready)) = (container.liveness_probe(), container.readiness_probe())
        else {
            continue;
        };
        let (Some(l), Some(r)) = (failure_behaviour(&live), failure_behaviour(&ready)) else {
            continue;
        };
        // Node equality compares values, so `{port: 8080}` equals a block-style `port: 8080`.
        if l == r && live.handler().map(|h| h.0) == ready.handler().map(|h| h.0) {
            c.report(
                live.pointer(),
                format!(
                    "container `{}` has identical liveness and readiness probes",
                    container.name().unwrap_or("?")
                ),
            )
            .with_help("check only the process in liveness, or give it a higher failureThreshold than readiness");
        }
    }
}
