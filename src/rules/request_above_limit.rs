use super::support_a::{quantity, resource};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers that request more of a resource (CPU, memory, ephemeral storage or
    /// any other) than their limit for it allows.
    ///
    /// ## Why is this bad?
    /// The API server rejects the object (`must be less than or equal to cpu limit`), so the
    /// rollout fails. In a kustomize tree this usually comes from an overlay that patches the
    /// limit (or the request) and not the other.
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
    ///         resources:
    ///           requests: {cpu: 500m, memory: 1Gi}
    ///           limits: {cpu: 250m, memory: 1Gi}
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
    ///         resources:
    ///           requests: {cpu: 500m, memory: 1Gi}
    ///           limits: {cpu: "1", memory: 1024Mi}
    /// ```
    ///
    /// ## Fix
    /// Lower the request or raise the limit so that the request is at most the limit.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF105",
        name: "request-above-limit",
        category: Resources,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let requests = container
            .at(&["resources", "requests"])
            .map(|r| r.entries())
            .unwrap_or_default();
        for (name, request_field) in requests {
            let Some(limit_field) = resource(&container, "limits", name) else {
                continue;
            };
            let (Some(Ok(request)), Some(Ok(limit))) =
                (quantity(&request_field), quantity(&limit_field))
            else {
                continue;
            };
            if request > limit {
                c.report(
                    request_field.pointer(),
                    format!(
                        "container `{}` requests {} {name} but is limited to {}",
                        container.name().unwrap_or("?"),
                        request_field.text().unwrap_or("?"),
                        limit_field.text().unwrap_or("?"),
                    ),
                )
                .with_help("the API server rejects a request above its limit; lower the request or raise the limit");
            }
        }
    }
}
