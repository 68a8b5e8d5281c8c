use crate::declare_rule;
use crate::doc::views::{Field, Ingress, Workload};
use crate::lint::Check;
use crate::rules::support_c::{NameRef, RefKind, pod_refs, secret_provided};

/// Annotations that make cert-manager create an Ingress's TLS Secrets.
const CERT_MANAGER: &[&str] = &[
    "cert-manager.io/issuer",
    "cert-manager.io/cluster-issuer",
    "kubernetes.io/tls-acme",
];

declare_rule! {
    /// ## What it does
    /// Flags references to Secrets that are not in the tree: `secretKeyRef` env values,
    /// `envFrom` `secretRef`s, `secret` volumes and projected sources (unless marked
    /// `optional: true`), `imagePullSecrets` of pods and ServiceAccounts, and Ingress TLS
    /// `secretName`s. A Secret counts as present when a SealedSecret, an ExternalSecret or a
    /// cert-manager Certificate in the namespace produces it, and Ingresses annotated for
    /// cert-manager are skipped. Only complete trees (ones that hold workloads and the
    /// objects they refer to) are judged.
    ///
    /// ## Why is this bad?
    /// A pod that needs a missing Secret does not start (`CreateContainerConfigError`, stuck
    /// in `ContainerCreating`, or `ImagePullBackOff` for a pull secret); an Ingress without
    /// its TLS Secret serves the controller's self-signed default certificate.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         env:
    ///         - name: DB_PASSWORD
    ///           valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api-config
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    ///         env:
    ///         - name: DB_PASSWORD
    ///           valueFrom: {secretKeyRef: {name: db-credentials, key: password}}
    /// ---
    /// apiVersion: bitnami.com/v1alpha1
    /// kind: SealedSecret
    /// metadata:
    ///   name: db-credentials
    /// spec:
    ///   encryptedData: {password: AgBy3i4OJSWK}
    /// ---
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api-config
    /// ```
    ///
    /// ## Fix
    /// Add the Secret (or whatever produces it) to the tree, correct the name, or mark the
    /// reference `optional: true` if the pod can run without it.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF508",
        name: "secret-missing",
        category: References,
        severity: Warning,
        kinds: &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod", "Ingress", "ServiceAccount"],
        check: check,
    }
}

fn check(c: &mut Check) {
    if !c.ctx.complete {
        return;
    }
    let root = Field::root(&c.doc.root);
    let refs = match c.doc.kind() {
        "Ingress" => {
            let annotations = root.keys(&["metadata", "annotations"]);
            if CERT_MANAGER.iter().any(|a| annotations.contains(a)) {
                return;
            }
            let tls = Ingress::of(c.doc).map(|i| i.tls()).unwrap_or_default();
            tls.iter()
                .filter_map(|t| {
                    let name = t.get("secretName")?;
                    Some(NameRef {
                        name: name.as_str()?,
                        pointer: name.pointer(),
                        via: "TLS".to_string(),
                    })
                })
                .collect()
        }
        "ServiceAccount" => {
            let items = root
                .get("imagePullSecrets")
                .map(|f| f.items())
                .unwrap_or_default();
            items
                .into_iter()
                .filter_map(|i| {
                    let name = i.get("name")?;
                    Some(NameRef {
                        name: name.as_str()?,
                        pointer: name.pointer(),
                        via: "imagePullSecrets".to_string(),
                    })
                })
                .collect()
        }
        _ => match Workload::of(c.doc).and_then(|w| w.pod_spec()) {
            Some(spec) => pod_refs(&spec, RefKind::Secret),
            None => return,
        },
    };
    for r in refs {
        if !r.name.is_empty() && !secret_provided(c.ctx, r.name, c.doc) {
            c.report(
                r.pointer,
                format!("Secret `{}` ({}) is not in the tree", r.name, r.via),
            );
        }
    }
}
