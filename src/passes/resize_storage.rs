//! resize-storage: claim sizes from the policy's `storage` rules, for PersistentVolumeClaim
//! documents and StatefulSet volumeClaimTemplates; a rule with `emptyDir` turns the
//! matched volumes (a cache's data claim, say) into emptyDirs and removes claims nothing
//! mounts any more. Kubernetes cannot shrink a bound claim nor change the templates of a
//! StatefulSet, so each such edit comes with a migration note.

use super::{ChangeLog, Pass, PassLog, base_subject, display, map, seq, workload_subject};
use crate::doc::pointer::Op;
use crate::doc::quantity::Quantity;
use crate::doc::views::Workload;
use crate::doc::{Document, Node, Value};
use crate::policy::{Policy, StorageAction, StorageRule, Subject};
use std::collections::{BTreeSet, HashMap, HashSet};

pub struct ResizeStorage;

/// What a workload mounts: a volume backed by a claim, or a claim template.
struct Claim {
    /// Pointer of the volume or template item.
    pointer: String,
    volume: String,
    /// The claim's name (for a template, the template's name).
    claim: String,
    template: bool,
}

impl Pass for ResizeStorage {
    fn name(&self) -> &'static str {
        "resize-storage"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        if policy.storage.is_empty() {
            return;
        }
        let mut log = log.pass(self.name());
        let mut handled: HashSet<(String, String)> = HashSet::new();
        let mut emptied: Vec<(String, String)> = Vec::new();
        // Looked up once per mounted claim: a scan each time is quadratic in a large tree.
        // Documents are only removed at the end, so the positions hold until then.
        let mut pvcs: HashMap<(String, String), usize> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            if d.kind() == "PersistentVolumeClaim" {
                let key = (d.namespace().to_string(), d.name().to_string());
                pvcs.entry(key).or_insert(i);
            }
        }
        for w in 0..docs.len() {
            let claims = claims(&docs[w]);
            // Templates are removed by index, so the last goes first.
            for c in claims.iter().rev() {
                let ns = docs[w].namespace().to_string();
                let pvc = (!c.template)
                    .then(|| pvcs.get(&(ns.clone(), c.claim.clone())).copied())
                    .flatten();
                let rule = {
                    let mut subject = workload_subject(&docs[w]);
                    subject.claims = vec![c.claim.clone()];
                    if c.template {
                        subject
                            .claims
                            .push(format!("{}-{}", c.claim, docs[w].name()));
                    }
                    let pvc_subject = pvc.map(|p| pvc_subject(&docs[p]));
                    policy.storage.iter().find(|r| {
                        r.when.matches(&subject)
                            || pvc_subject.as_ref().is_some_and(|s| r.when.matches(s))
                    })
                };
                let Some(rule) = rule else { continue };
                let reason = format!("storage rule at {} {}", rule.at, rule.when.describe());
                match (&rule.action, c.template, pvc) {
                    (StorageAction::Size(size), true, _) => {
                        let at = format!("{}/spec/resources/requests/storage", c.pointer);
                        resize(&mut docs[w], &at, *size, Some(&c.claim), &reason, &mut log);
                    }
                    (StorageAction::Size(size), false, Some(p)) => {
                        if handled.insert((ns.clone(), c.claim.clone())) {
                            resize(
                                &mut docs[p],
                                "/spec/resources/requests/storage",
                                *size,
                                None,
                                &reason,
                                &mut log,
                            );
                        }
                    }
                    (StorageAction::Size(_), false, None) => log.note(format!(
                        "{}: the claim {} is not defined in these files; resize it where it is",
                        display(&docs[w].id()),
                        c.claim
                    )),
                    (StorageAction::EmptyDir { size_limit }, _, _) => {
                        if to_empty_dir(&mut docs[w], c, *size_limit, rule, &reason, &mut log)
                            && !c.template
                        {
                            handled.insert((ns.clone(), c.claim.clone()));
                            emptied.push((ns, c.claim.clone()));
                        }
                    }
                }
            }
        }
        for d in docs.iter_mut() {
            if d.kind() != "PersistentVolumeClaim"
                || handled.contains(&(d.namespace().to_string(), d.name().to_string()))
            {
                continue;
            }
            let Some(rule) = policy
                .storage
                .iter()
                .find(|r| r.when.matches(&pvc_subject(d)))
            else {
                continue;
            };
            match &rule.action {
                StorageAction::Size(size) => {
                    let reason = format!("storage rule at {} {}", rule.at, rule.when.describe());
                    resize(d, "/spec/resources/requests/storage", *size, None, &reason, &mut log);
                }
                StorageAction::EmptyDir { .. } => log.note(format!(
                    "{}: matched the emptyDir rule at {}, but nothing in these files mounts it; left alone",
                    display(&d.id()),
                    rule.at
                )),
            }
        }
        if emptied.is_empty() {
            return;
        }
        let mut mounted: HashSet<(String, String)> = HashSet::new();
        for d in docs.iter() {
            for c in claims(d).into_iter().filter(|c| !c.template) {
                mounted.insert((d.namespace().to_string(), c.claim));
            }
        }
        let mut orphans = BTreeSet::new();
        for key in emptied {
            if mounted.contains(&key) {
                continue;
            }
            if let Some(&p) = pvcs.get(&key)
                && orphans.insert(p)
            {
                log.removed(
                    &docs[p],
                    "nothing in these files mounts it any more: its volume became an emptyDir",
                );
            }
        }
        let mut i = 0;
        docs.retain(|_| {
            i += 1;
            !orphans.contains(&(i - 1))
        });
    }
}

fn claims(doc: &Document) -> Vec<Claim> {
    let Some(w) = Workload::of(doc) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for v in w.pod_spec().map(|s| s.volumes()).unwrap_or_default() {
        if let (Some(volume), Some(claim)) = (v.name(), v.claim_name()) {
            out.push(Claim {
                pointer: v.pointer().to_string(),
                volume: volume.into(),
                claim: claim.into(),
                template: false,
            });
        }
    }
    for t in w.volume_claim_templates() {
        if let Some(name) = t.name() {
            out.push(Claim {
                pointer: t.pointer().to_string(),
                volume: name.into(),
                claim: name.into(),
                template: true,
            });
        }
    }
    out
}

fn pvc_subject(doc: &Document) -> Subject<'_> {
    let mut s = base_subject(doc);
    s.claims = vec![doc.name().to_string()];
    s
}

fn ns_flag(doc: &Document) -> String {
    match doc.namespace() {
        "" => String::new(),
        ns => format!(" -n {ns}"),
    }
}

/// Sets a claim's size; `template` names the volumeClaimTemplate when it is one.
fn resize(
    doc: &mut Document,
    at: &str,
    size: Quantity,
    template: Option<&str>,
    reason: &str,
    log: &mut PassLog,
) {
    let node = doc.at(at);
    let current = node.and_then(Node::scalar_text);
    let parsed = current.as_deref().map(Quantity::from_string_value);
    if let Some(Ok(cur)) = parsed
        && cur == size
    {
        return;
    }
    if let (Some(text), Some(Err(_))) = (&current, &parsed) {
        log.note(format!(
            "{}: storage `{text}` is not a quantity; left alone",
            display(&doc.id())
        ));
        return;
    }
    if !log.set(doc, at, Node::string(size.to_string()), reason) {
        return;
    }
    let Some(Ok(cur)) = parsed else { return };
    let (who, ns) = (display(&doc.id()), ns_flag(doc));
    let change = format!("{cur} → {size}");
    log.note(match (template, size < cur) {
        (None, true) => format!(
            "{who}: {change} is a shrink, which Kubernetes refuses for a bound claim. Migrate: back up the data, scale the workload using it to 0, `kubectl delete pvc {}{ns}`, apply (a new {size} claim is created), restore the data, scale back up.",
            doc.name()
        ),
        (None, false) => format!("{who}: {change} needs a StorageClass with allowVolumeExpansion: true"),
        (Some(t), true) => format!(
            "{who}: volumeClaimTemplate {t} {change}. A StatefulSet's claim templates cannot change and a bound claim cannot shrink. Migrate: back up the data, `kubectl delete statefulset {}{ns} --cascade=orphan`, delete its pods and their claims ({t}-{}-N), apply (new {size} claims are created), restore the data.",
            doc.name(),
            doc.name()
        ),
        (Some(t), false) => format!(
            "{who}: volumeClaimTemplate {t} {change}. A StatefulSet's claim templates cannot change: `kubectl delete statefulset {}{ns} --cascade=orphan` and apply; grow each existing claim {t}-{}-N by editing its storage request (needs allowVolumeExpansion: true).",
            doc.name(),
            doc.name()
        ),
    });
}

fn empty_dir(size_limit: Option<Quantity>) -> Node {
    match size_limit {
        Some(q) => map(vec![("sizeLimit", Node::string(q.to_string()))]),
        None => Node::map(),
    }
}

fn to_empty_dir(
    doc: &mut Document,
    c: &Claim,
    size_limit: Option<Quantity>,
    rule: &StorageRule,
    reason: &str,
    log: &mut PassLog,
) -> bool {
    let (who, ns) = (display(&doc.id()), ns_flag(doc));
    let limit = size_limit.map_or(String::new(), |q| format!(" (sizeLimit {q})"));
    let lost =
        "what it holds is lost whenever the pod is replaced, which suits a cache and nothing else";
    if !c.template {
        let Some(item) = doc.at(&c.pointer).and_then(Node::as_map) else {
            return false;
        };
        let mut volume = item.clone();
        volume.remove("persistentVolumeClaim");
        volume.insert("emptyDir", empty_dir(size_limit));
        if !log.set(doc, &c.pointer, Node::new(Value::Map(volume)), reason) {
            return false;
        }
        log.note(format!(
            "{who}: volume {} is now an emptyDir{limit} instead of the claim {}: {lost}. Removing the claim from these files does not delete it from the cluster: `kubectl delete pvc {}{ns}` once the new pods run.",
            c.volume, c.claim, c.claim
        ));
        return true;
    }
    let Some(spec) = super::pod_spec_pointer(doc) else {
        return false;
    };
    let volume = map(vec![
        ("name", Node::string(c.volume.as_str())),
        ("emptyDir", empty_dir(size_limit)),
    ]);
    let templates = doc
        .at("/spec/volumeClaimTemplates")
        .and_then(Node::as_seq)
        .map_or(0, <[Node]>::len);
    let mut ops = vec![(
        Op::Remove {
            path: c.pointer.clone(),
        },
        true,
    )];
    if templates == 1 {
        // The list itself, emptied by the removal above.
        ops.push((
            Op::Remove {
                path: "/spec/volumeClaimTemplates".into(),
            },
            false,
        ));
    }
    let add = if doc
        .at(&format!("{spec}/volumes"))
        .and_then(Node::as_seq)
        .is_some()
    {
        Op::Add {
            path: format!("{spec}/volumes/-"),
            value: volume,
        }
    } else {
        Op::Add {
            path: format!("{spec}/volumes"),
            value: seq(vec![volume]),
        }
    };
    ops.push((add, true));
    if !log.apply(doc, ops, reason) {
        return false;
    }
    log.note(format!(
        "{who}: volumeClaimTemplate {} is now an emptyDir{limit} ({}): {lost}. A StatefulSet's claim templates cannot change: `kubectl delete statefulset {}{ns} --cascade=orphan`, apply, then delete the old claims {}-{}-N.",
        c.volume,
        rule.at,
        doc.name(),
        c.volume,
        doc.name()
    ));
    true
}
