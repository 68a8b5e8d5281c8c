use super::support_a::{remove_item, wait_loop};
use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags init containers that do nothing but wait for a dependency: a shell loop
    /// (`until`, `while`, `for`) that sleeps between checks with `nc`, `pg_isready`, `wget`,
    /// `curl`, `nslookup`, `getent`, `mysqladmin ping`, `redis-cli ping` and the like.
    ///
    /// ## Why is this bad?
    /// The wait happens once, at pod start, with no timeout: a dependency that is down keeps
    /// new pods `Init:0/1` indefinitely and stalls rollouts without a clear error. It does not help later either, since the dependency can fail at any time after
    /// the check passed, so the application has to cope with its absence anyway. Kubernetes
    /// already handles this: a container that cannot reach its dependency fails, is
    /// restarted with back-off, and a readiness or startup probe keeps it out of rotation
    /// meanwhile.
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
    ///       initContainers:
    ///       - name: wait-for-db
    ///         image: busybox:1.36
    ///         command: [sh, -c, "until nc -z db 5432; do echo waiting; sleep 2; done"]
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
    ///       initContainers:
    ///       - name: migrate
    ///         image: ghcr.io/acme/api:1.4.2
    ///         command: [sh, -c, "until nc -z db 5432; do sleep 2; done; exec /app/migrate up"]
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Remove the init container (an unsafe fix, as pods then start before the dependency
    /// is up) and let the application retry its connection; give it a `startupProbe` whose
    /// `failureThreshold` × `periodSeconds` covers the longest wait you expect, so that
    /// liveness does not restart it meanwhile. Init containers that wait and then do real
    /// work (migrations) are not flagged.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF124",
        name: "init-container-wait-loop",
        category: Probes,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let init = spec.init_containers();
    for container in &init {
        let Some(script) = wait_loop(container) else {
            continue;
        };
        let name = container.name().unwrap_or("?");
        let mut ops = remove_item(container);
        // Removing the only init container removes the list rather than leaving `[]`.
        if init.len() == 1 {
            ops[1] = Op::Remove {
                path: spec.pointer_to(&["initContainers"]),
            };
        }
        c.report(
            script.pointer(),
            format!("init container `{name}` only waits for a dependency"),
        )
        .with_help(
            "let the application retry its connection, and give it a startupProbe whose failureThreshold × periodSeconds covers the wait",
        )
        .with_fix(format!("remove init container `{name}`"), ops, false);
    }
}
