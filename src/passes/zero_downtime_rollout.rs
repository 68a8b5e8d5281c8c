//! zero-downtime-rollout: from the policy's `rollout` section, a Deployment's RollingUpdate
//! `maxUnavailable`/`maxSurge`; and for workloads that run more than one pod (counting an
//! HPA's floor), a PodDisruptionBudget when none covers them and a preferred pod
//! anti-affinity on `kubernetes.io/hostname` when they have none.

use super::{
    ChangeLog, Index, Pass, PassLog, blocking_note, display, int, map, pod_spec_pointer, seq,
    workload_subject,
};
use crate::doc::views::{IntOrPercent, Workload, WorkloadKind};
use crate::doc::{Document, Node};
use crate::policy::{PdbPolicy, Policy, RolloutPolicy};

pub struct ZeroDowntimeRollout;

impl Pass for ZeroDowntimeRollout {
    fn name(&self) -> &'static str {
        "zero-downtime-rollout"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        let Some(p) = &policy.rollout else { return };
        let mut log = log.pass(self.name());
        let mut budgets = Vec::new();
        let index = Index::new(docs);
        for i in 0..docs.len() {
            let kind = Workload::of(&docs[i]).map(|w| w.kind());
            if !matches!(
                kind,
                Some(WorkloadKind::Deployment | WorkloadKind::StatefulSet)
            ) || !p.when.matches(&workload_subject(&docs[i]))
            {
                continue;
            }
            let replicas = index.replica_floor(docs, &docs[i]);
            if kind == Some(WorkloadKind::Deployment) {
                strategy(&mut docs[i], p, &mut log);
            }
            if replicas < 2 {
                continue;
            }
            if let Some(pdb) = &p.pdb
                && let Some(new) = budget(docs, &index, &docs[i], pdb, replicas, &mut log)
            {
                budgets.push((i, new, replicas));
            }
            if p.anti_affinity {
                anti_affinity(&mut docs[i], replicas, p, &mut log);
            }
        }
        if budgets.is_empty() {
            return;
        }
        for (i, doc, replicas) in budgets.iter().rev() {
            let why = format!(
                "{} runs {replicas}+ pods and no PodDisruptionBudget covers them: one node drain could evict them all at once (rollout policy at {})",
                display(&docs[*i].id()),
                p.at
            );
            log.added(doc, &why);
        }
        // Each budget right after its workload, in one pass rather than an insert each.
        let mut adds = budgets.into_iter().peekable();
        let mut out = Vec::with_capacity(docs.len() + adds.len());
        for (i, d) in std::mem::take(docs).into_iter().enumerate() {
            out.push(d);
            while let Some((_, new, _)) = adds.next_if(|(j, ..)| *j == i) {
                out.push(new);
            }
        }
        *docs = out;
    }
}

fn value(v: IntOrPercent) -> Node {
    match v {
        IntOrPercent::Int(i) => int(i),
        IntOrPercent::Percent(p) => Node::string(format!("{p}%")),
    }
}

fn strategy(doc: &mut Document, p: &RolloutPolicy, log: &mut PassLog) {
    if p.max_unavailable.is_none() && p.max_surge.is_none() {
        return;
    }
    if doc.root.str_at(&["spec", "strategy", "type"]) == Some("Recreate") {
        log.note(format!(
            "{}: uses the Recreate strategy; left alone (it is usually there for a ReadWriteOnce volume only one pod can mount)",
            display(&doc.id())
        ));
        return;
    }
    let current = |k: &str| {
        doc.root
            .path(&["spec", "strategy", "rollingUpdate", k])
            .and_then(IntOrPercent::of)
    };
    let (unavailable, surge) = (current("maxUnavailable"), current("maxSurge"));
    let zero = |v: Option<IntOrPercent>| {
        matches!(v, Some(IntOrPercent::Int(0) | IntOrPercent::Percent(0)))
    };
    if zero(p.max_unavailable.or(unavailable)) && zero(p.max_surge.or(surge)) {
        log.note(format!(
            "{}: maxUnavailable and maxSurge would both be 0; rollout settings left alone",
            display(&doc.id())
        ));
        return;
    }
    let why = format!(
        "rollout policy at {}: new pods start before old ones stop",
        p.at
    );
    for (key, want, cur) in [
        ("maxUnavailable", p.max_unavailable, unavailable),
        ("maxSurge", p.max_surge, surge),
    ] {
        if let Some(want) = want
            && cur != Some(want)
        {
            log.set(
                doc,
                &format!("/spec/strategy/rollingUpdate/{key}"),
                value(want),
                &why,
            );
        }
    }
}

/// Pods a budget lets go at once, with `replicas` running (percentages round up, as the
/// disruption controller rounds them).
fn allowed(pdb: &PdbPolicy, replicas: i64) -> i64 {
    match pdb {
        PdbPolicy::MinAvailable(v) => replicas - v.resolve(replicas, true),
        PdbPolicy::MaxUnavailable(v) => v.resolve(replicas, true),
    }
}

/// A new PodDisruptionBudget for the workload, unless one already covers its pods.
fn budget(
    docs: &[Document],
    index: &Index,
    doc: &Document,
    pdb: &PdbPolicy,
    replicas: i64,
    log: &mut PassLog,
) -> Option<Document> {
    let who = display(&doc.id());
    if let Some(existing) = index.budget_of(docs, doc) {
        if let Some(note) = blocking_note(existing, doc, replicas) {
            log.note(note);
        }
        return None;
    }
    if allowed(pdb, replicas) < 1 {
        log.note(format!("{who}: a PodDisruptionBudget as the policy gives it would block every eviction at {replicas} pods; none added"));
        return None;
    }
    let selector = doc.root.path(&["spec", "selector"])?.clone();
    let taken = |n: &str| index.budgets(docs, doc.namespace()).any(|d| d.name() == n);
    let name = [doc.name().to_string(), format!("{}-pdb", doc.name())]
        .into_iter()
        .find(|n| !taken(n))?;
    let mut meta = vec![("name", Node::string(name))];
    if !doc.namespace().is_empty() {
        meta.push(("namespace", Node::string(doc.namespace())));
    }
    let rule = match pdb {
        PdbPolicy::MinAvailable(v) => ("minAvailable", value(*v)),
        PdbPolicy::MaxUnavailable(v) => ("maxUnavailable", value(*v)),
    };
    let root = map(vec![
        ("apiVersion", Node::string("policy/v1")),
        ("kind", Node::string("PodDisruptionBudget")),
        ("metadata", map(meta)),
        ("spec", map(vec![rule, ("selector", selector)])),
    ]);
    Some(Document {
        origin: None,
        source: doc.source.clone(),
        index: doc.index,
        item: None,
        root,
    })
}

fn anti_affinity(doc: &mut Document, replicas: i64, p: &RolloutPolicy, log: &mut PassLog) {
    let Some(spec) = pod_spec_pointer(doc) else {
        return;
    };
    let at = format!("{spec}/affinity/podAntiAffinity");
    if doc.at(&at).is_some() {
        return;
    }
    let labels = match doc
        .root
        .path(&["spec", "selector", "matchLabels"])
        .and_then(Node::as_map)
    {
        Some(m) if !m.is_empty() => Node::new(crate::doc::Value::Map(m.clone())),
        _ => return,
    };
    let term = map(vec![
        ("weight", int(100)),
        (
            "podAffinityTerm",
            map(vec![
                ("labelSelector", map(vec![("matchLabels", labels)])),
                ("topologyKey", Node::string("kubernetes.io/hostname")),
            ]),
        ),
    ]);
    let value = map(vec![(
        "preferredDuringSchedulingIgnoredDuringExecution",
        seq(vec![term]),
    )]);
    let why = format!(
        "spreads the {replicas}+ pods over nodes, so losing one node does not take them all (rollout policy at {})",
        p.at
    );
    log.set(doc, &at, value, &why);
}
