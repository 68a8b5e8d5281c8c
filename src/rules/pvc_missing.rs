use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};
use crate::rules::support_c::find;
use crate::rules::util::pod_spec;

declare_rule! {
    /// ## What it does
    /// Flags `persistentVolumeClaim` volumes whose `claimName` names no
    /// PersistentVolumeClaim in the tree (in the workload's namespace). Only complete trees
    /// (ones that hold workloads and the objects they refer to) are judged. StatefulSet
    /// `volumeClaimTemplates` create their own claims and are not references.
    ///
    /// ## Why is this bad?
    /// The pod stays `Pending` with `persistentvolumeclaim "..." not found` until someone
    /// creates the claim by hand, outside the manifests.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: wiki
    /// spec:
    ///   selector: {matchLabels: {app: wiki}}
    ///   template:
    ///     metadata: {labels: {app: wiki}}
    ///     spec:
    ///       containers: [{name: wiki, image: ghcr.io/acme/wiki:2.1.0}]
    ///       volumes:
    ///       - name: data
    ///         persistentVolumeClaim: {claimName: wiki-data}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: wiki-storage
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 10Gi}}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: wiki
    /// spec:
    ///   selector: {matchLabels: {app: wiki}}
    ///   template:
    ///     metadata: {labels: {app: wiki}}
    ///     spec:
    ///       containers: [{name: wiki, image: ghcr.io/acme/wiki:2.1.0}]
    ///       volumes:
    ///       - name: data
    ///         persistentVolumeClaim: {claimName: wiki-data}
    /// ---
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: wiki-data
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources: {requests: {storage: 10Gi}}
    /// ```
    ///
    /// ## Fix
    /// Add the PersistentVolumeClaim to the tree or correct `claimName`.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF509",
        name: "pvc-missing",
        category: References,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    if !c.ctx.complete {
        return;
    }
    let Some(spec) = pod_spec(c.doc) else { return };
    for v in spec.volumes() {
        let Some(claim) = v.claim_name().filter(|n| !n.is_empty()) else {
            continue;
        };
        if find(c.ctx, "PersistentVolumeClaim", claim, c.doc).is_none() {
            c.report(
                v.pointer_to(&["persistentVolumeClaim", "claimName"]),
                format!(
                    "PersistentVolumeClaim `{claim}` (volume `{}`) is not in the tree",
                    v.name().unwrap_or("?")
                ),
            );
        }
    }
}
