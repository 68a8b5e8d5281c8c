use crate::declare_rule;
use crate::doc::views::Workload;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers whose image has no tag, or the `latest` tag, and no digest.
    ///
    /// ## Why is this bad?
    /// A floating tag makes every rollout, restart and node replacement a possible upgrade:
    /// two pods of one Deployment can run different code, and a rollback does not roll back.
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
    ///         image: ghcr.io/acme/api:latest
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
    /// ```
    ///
    /// ## Fix
    /// Pin a version tag or a digest (`image@sha256:...`); in a kustomize tree, set it once
    /// with an `images:` entry.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF140",
        name: "image-tag-latest",
        category: Images,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "latest-tag",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = Workload::of(c.doc).and_then(|w| w.pod_spec()) else {
        return;
    };
    for container in spec.all_containers() {
        let Some(image) = container.image_ref() else {
            continue;
        };
        if image.is_latest_or_floating() {
            let what = if image.tag.is_some() {
                "the `latest` tag"
            } else {
                "no tag"
            };
            c.report(
                container.pointer_to(&["image"]),
                format!(
                    "container `{}` uses {what}",
                    container.name().unwrap_or("?")
                ),
            )
            .with_help("pin a version tag or a digest");
        }
    }
}
