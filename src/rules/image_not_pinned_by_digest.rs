use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags container images referenced by tag rather than by digest (`image@sha256:...`).
    ///
    /// ## Why is this bad?
    /// A tag is a mutable pointer: whoever can push to the repository can change what
    /// `1.4.2` means, by mistake or as an attack, and nodes that pull later run different
    /// code from nodes that pulled earlier. A digest names exactly one image, which is what
    /// supply-chain policies and reproducible rollbacks need.
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
    ///         image: ghcr.io/acme/api:1.4.2@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    /// ```
    ///
    /// ## Fix
    /// Append the digest the tag currently resolves to (`crane digest`, `docker buildx
    /// imagetools inspect`), keeping the tag for readers; in a kustomize tree set it with an
    /// `images:` entry's `digest`. Let a bot such as Renovate keep digests current.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF141",
        name: "image-not-pinned-by-digest",
        category: Images,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let Some(image) = container.image_ref() else {
            continue;
        };
        if image.digest.is_none() {
            c.report(
                container.pointer_to(&["image"]),
                format!(
                    "image of container `{}` is not pinned by digest",
                    container.name().unwrap_or("?")
                ),
            )
            .with_help("append the digest the tag resolves to: `image:tag@sha256:...`");
        }
    }
}
