use super::support_a::LONG_RUNNING;
use crate::declare_rule;
use crate::doc::views::{Service, Workload};
use crate::lint::Check;
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Flags the containers of long-running workloads (Deployments, StatefulSets,
    /// DaemonSets, ReplicaSets, ReplicationControllers) that have no `readinessProbe`.
    /// Containers that declare no ports are skipped unless a Service in the tree selects
    /// their pods: workers that serve nothing have nothing to be ready for.
    ///
    /// ## Why is this bad?
    /// Without a readiness probe a pod counts as ready the moment its containers start.
    /// Services send it traffic before it can answer, and a rolling update moves on to the
    /// next pod while the new ones are still warming up (or failing), turning a bad release
    /// into an outage.
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
    ///         ports: [{containerPort: 8080}]
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
    ///         ports: [{containerPort: 8080}]
    ///         readinessProbe:
    ///           httpGet: {path: /readyz, port: 8080}
    /// ```
    ///
    /// ## Fix
    /// Add a `readinessProbe` that succeeds once the container can serve requests.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF121",
        name: "readiness-probe-missing",
        category: Probes,
        severity: Warning,
        kinds: LONG_RUNNING,
        check: check,
        kube_linter: "no-readiness-probe",
    }
}

/// Services by (namespace, first selector key, value).
struct ServicesBySelector(HashMap<(String, String, String), Vec<usize>>);

fn check(c: &mut Check) {
    let Some(workload) = Workload::of(c.doc) else {
        return;
    };
    let labels = workload.template_labels();
    let index = c.ctx.memo(|ctx| {
        let mut by_pair: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
        for (i, d) in ctx
            .docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind() == "Service")
        {
            let ns = crate::lint::effective_namespace(d).to_string();
            let first = Service::of(d).and_then(|s| s.selector()).and_then(|s| {
                s.match_labels()
                    .into_iter()
                    .next()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            });
            if let Some((k, v)) = first {
                by_pair.entry((ns, k, v)).or_default().push(i);
            }
        }
        ServicesBySelector(by_pair)
    });
    // A Service selects these pods only if its first selector pair is one of their labels.
    let ns = crate::lint::effective_namespace(c.doc).to_string();
    let served = labels.iter().any(|(k, v)| {
        index
            .0
            .get(&(ns.clone(), k.to_string(), v.to_string()))
            .into_iter()
            .flatten()
            .any(|&i| {
                Service::of(&c.ctx.docs[i])
                    .and_then(|s| s.selector())
                    .is_some_and(|s| !s.is_empty() && s.matches(&labels))
            })
    });
    for container in super::util::containers(c.doc) {
        if container.readiness_probe().is_some() || (container.ports().is_empty() && !served) {
            continue;
        }
        c.report(
            container.pointer_to(&["readinessProbe"]),
            format!(
                "container `{}` has no readiness probe",
                container.name().unwrap_or("?")
            ),
        )
        .with_help("add a readinessProbe that succeeds once the container can serve requests");
    }
}
