use super::support_b::{Pod, capability, container_name, csc_pointer, set_ops};
use crate::declare_rule;
use crate::doc::pointer::Op;
use crate::doc::value::{Node, Value};
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, whose `securityContext.capabilities.drop`
    /// does not include `ALL` (or, with `require: NET_RAW`, neither `ALL` nor `NET_RAW`).
    /// Windows pods are skipped.
    ///
    /// ## Why is this bad?
    /// Container runtimes grant a default set of capabilities most applications never use;
    /// `NET_RAW` among them lets a compromised container spoof packets and attack other
    /// pods on the node. Dropping `ALL` and adding back what is needed removes that surface.
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
    ///         securityContext:
    ///           capabilities:
    ///             drop: [CHOWN]
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
    ///         securityContext:
    ///           capabilities:
    ///             drop: [ALL]
    ///             add: [NET_BIND_SERVICE]
    /// ```
    ///
    /// ## Fix
    /// Add `ALL` to `capabilities.drop` and list the capabilities the container needs in
    /// `capabilities.add`. The fix adds `ALL` only, so it is unsafe: a process that relied
    /// on a default capability (binding a low port as root, `chown`) fails.
    ///
    /// ## Options
    /// - `require` (default `ALL`): `ALL`, or `NET_RAW` to accept dropping `NET_RAW` alone.
    pub static RULE = {
        code: "KF206",
        name: "capabilities-not-dropped",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "drop-net-raw-capability",
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    if pod.is_windows() {
        return;
    }
    let require = capability(c.option("require").unwrap_or("ALL"));
    for (container, sc) in &pod.containers {
        let drop = sc.as_ref().and_then(|s| s.at(&["capabilities", "drop"]));
        let dropped: Vec<String> = drop
            .as_ref()
            .map(|d| d.strs(&[]))
            .unwrap_or_default()
            .into_iter()
            .map(capability)
            .collect();
        if dropped.iter().any(|d| d == "ALL" || *d == require) {
            continue;
        }
        let all = Node::string("ALL");
        let (pointer, ops) = match &drop {
            Some(d) if d.node.as_seq().is_some() => {
                let path = format!("{}/-", d.pointer());
                (d.pointer(), Some(vec![Op::Add { path, value: all }]))
            }
            _ => {
                let pointer = csc_pointer(container, &["capabilities", "drop"]);
                let ops = set_ops(c.doc, &pointer, Node::new(Value::Seq(vec![all])));
                (pointer, ops)
            }
        };
        let what = if require == "ALL" {
            "ALL capabilities"
        } else {
            "ALL or NET_RAW"
        };
        let finding = c.report(
            pointer,
            format!(
                "container `{}` does not drop {what}",
                container_name(container)
            ),
        );
        finding.with_help("add ALL to capabilities.drop and add back only what it needs");
        if let Some(ops) = ops {
            finding.with_fix("drop ALL capabilities", ops, false);
        }
    }
}
