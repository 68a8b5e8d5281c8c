use crate::declare_rule;
use crate::doc::Node;
use crate::doc::pointer::Op;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers that set `imagePullPolicy` to `IfNotPresent` or `Never` for an image
    /// that is not pinned by digest.
    ///
    /// ## Why is this bad?
    /// With a tag, the image a node runs is whatever it pulled first: after a tag is moved
    /// (a rebuilt `1.4`, a hotfix pushed under the same name) old nodes keep the old image
    /// and new nodes get the new one, so replicas of one workload differ. `IfNotPresent`
    /// also lets any pod on the node use a private image another pod pulled, without
    /// credentials.
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
    ///         image: ghcr.io/acme/api:1.4
    ///         imagePullPolicy: IfNotPresent
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
    ///         image: ghcr.io/acme/api:1.4
    ///         imagePullPolicy: Always
    /// ```
    ///
    /// ## Fix
    /// Pin the image by digest (then `IfNotPresent` is exact), or set `imagePullPolicy:
    /// Always`. The fix does the latter; it is unsafe because every start then needs the
    /// registry (with layer caching, a pull of an unchanged image costs one request).
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF142",
        name: "image-pull-policy-not-always",
        category: Images,
        severity: Info,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    for container in super::util::all_containers(c.doc) {
        let Some(policy @ ("IfNotPresent" | "Never")) = container.image_pull_policy() else {
            continue;
        };
        if container.image_ref().is_none_or(|i| i.digest.is_some()) {
            continue;
        }
        let pointer = container.pointer_to(&["imagePullPolicy"]);
        c.report(
            pointer.clone(),
            format!(
                "container `{}` pulls its tagged image {}",
                container.name().unwrap_or("?"),
                if policy == "Never" {
                    "never"
                } else {
                    "only if the node lacks it"
                }
            ),
        )
        .with_help("pin the image by digest, or set `imagePullPolicy: Always`")
        .with_fix(
            "set imagePullPolicy to Always",
            vec![Op::Replace {
                path: pointer,
                value: Node::string("Always"),
            }],
            false,
        );
    }
}
