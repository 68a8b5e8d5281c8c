use super::support_a::{SCALABLE, autoscaler};
use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags Deployments, StatefulSets, ReplicaSets and ReplicationControllers that set
    /// `spec.replicas` while a HorizontalPodAutoscaler (or a KEDA ScaledObject) in the tree
    /// scales them.
    ///
    /// ## Why is this bad?
    /// The autoscaler owns the replica count. Every `kubectl apply` or GitOps sync resets it
    /// to the manifest's number, the autoscaler scales it back, and pods are started and
    /// killed on every deployment: a scaled-up service is cut down to the manifest's count
    /// right when it is busiest.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   replicas: 3
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 3
    ///   maxReplicas: 10
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    /// ---
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata:
    ///   name: api
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
    ///   minReplicas: 3
    ///   maxReplicas: 10
    /// ```
    ///
    /// ## Fix
    /// Remove `spec.replicas`. The fix does; it is unsafe because with client-side
    /// `kubectl apply` (and with server-side apply, for the field's last owner) removing the
    /// field resets the live count to 1 once: first run `kubectl apply edit-last-applied` (or
    /// hand the field over to the autoscaler) as the Kubernetes autoscaling migration guide
    /// describes.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF302",
        name: "replicas-set-with-hpa",
        category: Scaling,
        severity: Warning,
        kinds: SCALABLE,
        check: check,
    }
}

fn check(c: &mut Check) {
    if c.doc.at("/spec/replicas").is_none() {
        return;
    }
    let Some(scaler) = autoscaler(c.ctx, c.doc) else {
        return;
    };
    c.report(
        "/spec/replicas",
        format!(
            "replicas is set, but {} `{}` scales this {}",
            scaler.kind(),
            scaler.name(),
            c.doc.kind()
        ),
    )
    .with_help("remove spec.replicas and let the autoscaler own the count")
    .with_fix(
        "remove spec.replicas",
        vec![Op::Remove {
            path: "/spec/replicas".into(),
        }],
        false,
    );
}
