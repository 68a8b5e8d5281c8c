use crate::declare_rule;
use crate::doc::Node;
use crate::doc::pointer::Op;
use crate::doc::views::Pdb;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags policy/v1 PodDisruptionBudgets that do not set `unhealthyPodEvictionPolicy`.
    ///
    /// ## Why is this bad?
    /// By default (`IfHealthyBudget`) a pod that is running but not ready can only be evicted
    /// while the budget has room, so a workload stuck in a crash loop blocks node drains even
    /// though its broken pods serve nothing. `AlwaysAllow` lets drains evict unhealthy pods;
    /// setting the field also records the choice either way.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   maxUnavailable: 1
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   maxUnavailable: 1
    ///   unhealthyPodEvictionPolicy: AlwaysAllow
    ///   selector: {matchLabels: {app: api}}
    /// ```
    ///
    /// ## Fix
    /// Set `unhealthyPodEvictionPolicy: AlwaysAllow` (Kubernetes 1.27+); an explicit
    /// `IfHealthyBudget` keeps the default behaviour without a finding. The fix adds
    /// `AlwaysAllow` and is unsafe: it changes how drains treat unready pods.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF323",
        name: "pdb-unhealthy-eviction-policy-unset",
        category: Availability,
        severity: Info,
        kinds: &["PodDisruptionBudget"],
        check: check,
        kube_linter: "pdb-unhealthy-pod-eviction-policy",
    }
}

fn check(c: &mut Check) {
    let Some(pdb) = Pdb::of(c.doc) else { return };
    if c.doc.api_version() != "policy/v1" || pdb.get("spec").is_none_or(|s| !s.is_map()) {
        return;
    }
    if pdb.at(&["spec", "unhealthyPodEvictionPolicy"]).is_some() {
        return;
    }
    let path = "/spec/unhealthyPodEvictionPolicy".to_string();
    let value = Node::string("AlwaysAllow");
    c.report(
        &path,
        "unhealthyPodEvictionPolicy is not set: unready pods can block node drains",
    )
    .with_fix(
        "set unhealthyPodEvictionPolicy: AlwaysAllow",
        vec![Op::Add { path, value }],
        false,
    );
}
