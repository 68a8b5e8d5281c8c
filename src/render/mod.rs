//! Canonical YAML: what `kubectl kustomize` prints for the same objects.

pub mod emit;
pub mod explain;
pub mod keys;
pub mod number;

use crate::doc::Document;
use crate::error::Diag;

/// One object in kustomize's output form.
pub fn render_document(doc: &Document) -> Result<String, Diag> {
    let mut out = String::new();
    render_into(doc, &mut out)?;
    Ok(out)
}

fn render_into(doc: &Document, out: &mut String) -> Result<(), Diag> {
    *out = emit::emit_object(&doc.root, std::mem::take(out)).map_err(|e| {
        Diag::new(e.message)
            .at_doc(doc, &e.pointer)
            .with_help("kubectl kustomize fails on this value too")
    })?;
    Ok(())
}

/// Objects joined as kustomize joins them: `---` between, none before the first.
pub fn render_all<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Result<String, Diag> {
    let mut out = String::new();
    for (i, doc) in docs.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        render_into(doc, &mut out)?;
    }
    Ok(out)
}

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's legacy resource order: a fixed list of kinds first and last, the rest by
/// group, version and kind, then namespace and name.
pub fn legacy_sort_key(doc: &Document) -> (i64, String, String, String) {
    legacy_sort_key_with(doc, ORDER_FIRST, ORDER_LAST)
}

pub fn legacy_sort_key_with(
    doc: &Document,
    first: &[impl AsRef<str>],
    last: &[impl AsRef<str>],
) -> (i64, String, String, String) {
    let id = doc.id();
    let rank = if let Some(i) = first.iter().position(|k| k.as_ref() == id.kind) {
        i as i64 - first.len() as i64
    } else if let Some(i) = last.iter().position(|k| k.as_ref() == id.kind) {
        i as i64 + 1
    } else {
        0
    };
    let or = |s: &str, empty: &str| {
        if s.is_empty() {
            empty.to_string()
        } else {
            s.to_string()
        }
    };
    let gvk = format!(
        "{}_{}_{}",
        or(&id.group, "~G"),
        or(&id.version, "~V"),
        or(&id.kind, "~K")
    );
    (rank, gvk, or(&id.namespace, "~X"), or(&id.name, "~N"))
}

pub fn legacy_sort(docs: &mut [Document]) {
    docs.sort_by_cached_key(legacy_sort_key);
}
