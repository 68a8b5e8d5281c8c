use super::support_b::{Groups, Pod, containers_phrase, set_ops, verb_s};
use crate::declare_rule;
use crate::doc::value::Node;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags containers, init containers included, that run without a seccomp profile:
    /// neither they nor the pod set `securityContext.seccompProfile` (the container's
    /// setting wins), or the profile in effect is `Unconfined`. Windows pods are skipped.
    ///
    /// ## Why is this bad?
    /// Without a profile, Kubernetes runs containers `Unconfined` unless the kubelet
    /// defaults otherwise: every system call is open to them, including the rarely needed
    /// ones most kernel exploits go through. `RuntimeDefault` blocks those at no cost to
    /// ordinary applications.
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
    ///       securityContext:
    ///         seccompProfile:
    ///           type: RuntimeDefault
    ///       containers:
    ///       - name: api
    ///         image: ghcr.io/acme/api:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext`, or a
    /// `Localhost` profile. The fix sets `RuntimeDefault`; it is unsafe because a program
    /// using an unusual system call would be stopped. An explicit `Unconfined` is left to
    /// you.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF207",
        name: "seccomp-profile-missing",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(pod) = Pod::of(c.doc) else { return };
    if pod.is_windows() {
        return;
    }
    let pod_profile = pod.sc.as_ref().and_then(|s| s.at(&["seccompProfile"]));
    let (mut unconfined, mut missing) = (Groups::default(), Groups::default());
    for (container, sc) in &pod.containers {
        let profile = sc
            .as_ref()
            .and_then(|s| s.at(&["seccompProfile"]))
            .or(pod_profile);
        match profile {
            Some(p) if p.str(&["type"]) == Some("Unconfined") => {
                unconfined.add(p.pointer_to(&["type"]), container)
            }
            Some(_) => {}
            None => missing.add(pod.sc_pointer(&["seccompProfile"]), container),
        }
    }
    for (pointer, names) in unconfined.into_vec() {
        c.report(
            pointer,
            format!(
                "{} run{} with seccomp Unconfined",
                containers_phrase(&names),
                verb_s(&names)
            ),
        )
        .with_help("use RuntimeDefault, or a Localhost profile that allows what it needs");
    }
    for (pointer, names) in missing.into_vec() {
        let mut profile = Node::map();
        if let Some(m) = profile.as_map_mut() {
            m.insert("type", Node::string("RuntimeDefault"));
        }
        let ops = set_ops(c.doc, &pointer, profile);
        let finding = c.report(
            pointer,
            format!(
                "{} run{} without a seccomp profile",
                containers_phrase(&names),
                verb_s(&names)
            ),
        );
        finding.with_help("set securityContext.seccompProfile.type: RuntimeDefault on the pod");
        if let Some(ops) = ops {
            finding.with_fix("set the pod's seccompProfile to RuntimeDefault", ops, false);
        }
    }
}
