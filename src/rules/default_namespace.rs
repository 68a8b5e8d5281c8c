use crate::declare_rule;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags namespaced objects whose `metadata.namespace` is explicitly `default`.
    ///
    /// ## Why is this bad?
    /// The `default` namespace is where everything without a home ends up: it is shared by
    /// whoever uses the cluster, usually has no quotas, network policies or RBAC of its own,
    /// and cannot be deleted to clean up. Spelling it out also makes `kubectl apply -n
    /// <namespace>` fail with a namespace mismatch instead of placing the object there.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: settings
    ///   namespace: default
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: settings
    ///   namespace: shop
    /// ```
    ///
    /// ## Fix
    /// Give the application a namespace of its own, set in the manifests or with a
    /// kustomization's `namespace:`.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF708",
        name: "default-namespace",
        category: Hygiene,
        severity: Info,
        kinds: &[],
        check: check,
        kube_linter: "use-namespace",
    }
}

/// Built-in kinds that have no namespace (a `namespace` on them is ignored).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "FlowSchema",
    "PriorityLevelConfiguration",
];

fn check(c: &mut Check) {
    if c.doc.namespace() == "default" && !CLUSTER_SCOPED.contains(&c.doc.kind()) {
        c.report(
            "/metadata/namespace",
            format!(
                "{} `{}` is placed in the `default` namespace",
                c.doc.kind(),
                c.doc.name()
            ),
        )
        .with_help("give the application a namespace of its own");
    }
}
