use super::support_a::quantity;
use crate::declare_rule;
use crate::doc::quantity::Quantity;
use crate::doc::views::{Pvc, Workload};
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags PersistentVolumeClaims and StatefulSet `volumeClaimTemplates` that request more
    /// storage than `maxSize`.
    ///
    /// ## Why is this bad?
    /// A claim provisions (and bills) its full size at once, a StatefulSet's template does so
    /// once per replica, and a volume can be grown but never shrunk. A large request is
    /// usually a typo (`500Gi` for `50Gi`, `5Ti` for `5Gi`) or a copy from another
    /// environment, and is expensive to undo.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources:
    ///     requests:
    ///       storage: 500Gi
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: PersistentVolumeClaim
    /// metadata:
    ///   name: data
    /// spec:
    ///   accessModes: [ReadWriteOnce]
    ///   resources:
    ///     requests:
    ///       storage: 20Gi
    /// ```
    ///
    /// ## Fix
    /// Request what the data needs now and expand the claim later (with a StorageClass that
    /// has `allowVolumeExpansion: true`), or raise `maxSize` for trees that hold large
    /// volumes on purpose.
    ///
    /// ## Options
    /// - `maxSize` (default `50Gi`): the largest storage request accepted, as a quantity.
    pub static RULE = {
        code: "KF107",
        name: "pvc-oversized",
        category: Resources,
        severity: Warning,
        kinds: &["PersistentVolumeClaim", "StatefulSet"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let default = Quantity::new(50 << 30, crate::doc::quantity::Format::BinarySI);
    let max = c
        .option("maxSize")
        .and_then(|s| Quantity::parse(s).ok())
        .unwrap_or(default);
    let workload = Workload::of(c.doc);
    let claims = match &workload {
        Some(w) => w.volume_claim_templates(),
        None => Pvc::of(c.doc).into_iter().collect(),
    };
    // A template provisions one volume per replica (absent `replicas` means 1).
    let replicas = workload.as_ref().map(|w| w.replicas().unwrap_or(1));
    for claim in claims {
        let Some(field) = claim.storage_request() else {
            continue;
        };
        let Some(Ok(size)) = quantity(&field) else {
            continue;
        };
        if size > max {
            let text = field.text().unwrap_or("?");
            let per_replica = match replicas {
                Some(n) if n > 1 => format!(" per replica ({n} replicas)"),
                _ => String::new(),
            };
            c.report(
                field.pointer(),
                format!(
                    "claim `{}` requests {text}{per_replica}, more than {max}",
                    claim.name().unwrap_or(c.doc.name())
                ),
            )
            .with_help("request what the data needs now; claims can be expanded but not shrunk");
        }
    }
}
