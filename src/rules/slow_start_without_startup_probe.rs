use super::support_a::{int_node, wait_loop};
use crate::declare_rule;
use crate::doc::Node;
use crate::doc::pointer::Op;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers with a liveness probe but no `startupProbe` that start slowly: their
    /// liveness probe waits `minDelay` seconds or more (`initialDelaySeconds`), or their pod
    /// first waits for a dependency in an init container loop.
    ///
    /// ## Why is this bad?
    /// `initialDelaySeconds` is a guess applied to every start: too short on a slow node or
    /// a cold cache and liveness kills the container before it is up, in a loop; long enough
    /// for the worst case and every restart waits that long before a hung process is
    /// detected. A startup probe holds liveness off exactly until the container has started,
    /// with an upper bound, and liveness can then be strict from the first second.
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
    ///           initialDelaySeconds: 120
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
    ///         startupProbe:
    ///           httpGet: {path: /livez, port: 8080}
    ///           periodSeconds: 10
    ///           failureThreshold: 15
    ///         livenessProbe:
    ///           httpGet: {path: /livez, port: 8080}
    /// ```
    ///
    /// ## Fix
    /// Add a `startupProbe` with the liveness probe's check and a `failureThreshold` ×
    /// `periodSeconds` that covers the slowest start, and drop `initialDelaySeconds` from the
    /// liveness probe. The (unsafe) fix does exactly this, sized to the current delay plus
    /// the liveness failure window.
    ///
    /// ## Options
    /// - `minDelay` (default `60`): the liveness `initialDelaySeconds` from which a start
    ///   counts as slow.
    pub static RULE = {
        code: "KF125",
        name: "slow-start-without-startup-probe",
        category: Probes,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let min_delay = c.option_f64("minDelay", 60.0);
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let waiter = spec
        .init_containers()
        .into_iter()
        .find(|i| wait_loop(i).is_some());
    for container in spec.containers() {
        let Some(live) = container.liveness_probe() else {
            continue;
        };
        if container.get("startupProbe").is_some() {
            continue;
        }
        let name = container.name().unwrap_or("?");
        let delay = live.initial_delay_seconds().unwrap_or(0);
        if delay as f64 >= min_delay {
            let period = live.period_seconds().unwrap_or(10).max(1);
            let failures = live.failure_threshold().unwrap_or(3).max(1);
            // The same start-up budget as today: the delay plus the liveness failure window.
            let budget = delay.saturating_add(period.saturating_mul(failures));
            let fix = live.handler().map(|(handler, field)| {
                let mut startup = Node::map();
                if let Some(map) = startup.as_map_mut() {
                    map.insert(handler.key(), field.node.clone());
                    if let Some(timeout) = live.get("timeoutSeconds") {
                        map.insert("timeoutSeconds", timeout.node.clone());
                    }
                    map.insert("periodSeconds", int_node(10));
                    map.insert("failureThreshold", int_node((budget + 9) / 10));
                }
                let path = container.pointer_to(&["startupProbe"]);
                let delay = live.pointer_to(&["initialDelaySeconds"]);
                vec![
                    Op::Add {
                        path,
                        value: startup,
                    },
                    Op::Remove { path: delay },
                ]
            });
            let finding = c
                .report(
                    live.pointer_to(&["initialDelaySeconds"]),
                    format!("container `{name}` delays liveness by {delay}s instead of using a startupProbe"),
                )
                .with_help("add a startupProbe covering the slowest start and drop initialDelaySeconds");
            if let Some(ops) = fix {
                finding.with_fix("move the start-up delay into a startupProbe", ops, false);
            }
        } else if let Some(waiter) = &waiter {
            c.report(
                container.pointer_to(&["startupProbe"]),
                format!(
                    "pod waits for a dependency in init container `{}`, but container `{name}` has no startupProbe",
                    waiter.name().unwrap_or("?")
                ),
            )
            .with_help("replace the wait loop with a startupProbe whose failureThreshold × periodSeconds covers the wait");
        }
    }
}
