use super::support_a::resource;
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers that mount a disk-backed `emptyDir` volume without `sizeLimit` and
    /// have no `ephemeral-storage` limit.
    ///
    /// ## Why is this bad?
    /// Nothing bounds what the container writes there: a runaway cache or log fills the
    /// node's disk, and the kubelet then evicts pods of every workload on that node to
    /// reclaim space. A `sizeLimit` or an `ephemeral-storage` limit makes the kubelet evict
    /// only the offending pod.
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
    ///         volumeMounts:
    ///         - {name: cache, mountPath: /cache}
    ///       volumes:
    ///       - name: cache
    ///         emptyDir: {}
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
    ///         - {name: cache, mountPath: /cache}
    ///       volumes:
    ///       - name: cache
    ///         emptyDir: {sizeLimit: 2Gi}
    /// ```
    ///
    /// ## Fix
    /// Give the volume an `emptyDir.sizeLimit`, or the container a
    /// `resources.limits.ephemeral-storage`. Memory-backed volumes (`medium: Memory`) count
    /// against the memory limit instead and are not flagged.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF106",
        name: "ephemeral-storage-unbounded",
        category: Resources,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let unbounded: Vec<&str> = spec
        .volumes()
        .iter()
        .filter(|v| {
            v.get("emptyDir").is_some_and(|e| {
                e.node.get("sizeLimit").is_none_or(|n| n.is_null())
                    && e.str(&["medium"]) != Some("Memory")
            })
        })
        .filter_map(|v| v.name())
        .collect();
    let mut containers = spec.init_containers();
    containers.extend(spec.containers());
    for container in containers {
        if resource(&container, "limits", "ephemeral-storage").is_some() {
            continue;
        }
        let mounted: Vec<String> = container
            .volume_mounts()
            .iter()
            .filter_map(|m| m.name())
            .filter(|n| unbounded.contains(n))
            .map(|n| format!("`{n}`"))
            .collect();
        if !mounted.is_empty() {
            c.report(
                container.pointer_to(&["resources", "limits", "ephemeral-storage"]),
                format!(
                    "container `{}` writes to emptyDir {} with no sizeLimit and has no ephemeral-storage limit",
                    container.name().unwrap_or("?"),
                    mounted.join(", "),
                ),
            )
            .with_help("set `emptyDir.sizeLimit` on the volume or `resources.limits.ephemeral-storage`");
        }
    }
}
