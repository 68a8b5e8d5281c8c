//! right-size-resources: container requests and limits from the policy's `resources`
//! rules, absolute or scaled from the current requests (CPU rounded up to whole millicores,
//! memory to whole Mi, then held between floor and ceiling), or from measured usage. Only
//! the fields a rule gives change; a change that would put a request above its limit is
//! skipped with a note.
//!
//! Measured usage (`usage:`) beats a rule's scale factors, not the values it gives outright,
//! and the rule's floor and ceiling still hold: CPU request = the strategy's figure × (1 +
//! headroom), the CPU limit removed, kept or a ratio of the request; memory request = limit
//! = its figure × (1 + headroom). A rule that sets nothing keeps usage off its containers too.
//!
//! Scaling is relative, so on its own it would compound on every run: the values it
//! produced are remembered in an annotation, and a request still at that value is not
//! scaled again (one edited by hand since is). Usage gives absolute values and needs none.

use super::{ChangeLog, Pass, PassLog, container_subject, pod_containers};
use crate::doc::pointer::{Op, escape};
use crate::doc::quantity::{Format, Quantity, Scale};
use crate::doc::{Document, Node};
use crate::policy::{CpuLimit, Policy, ResourceRule, UsageRow};
use std::collections::BTreeMap;

pub struct RightSizeResources;

const ANNOTATION: &str = "kfold.dev/scaled-requests";
const RESOURCES: [&str; 2] = ["cpu", "memory"];

/// Container name → resource → the request scaling wrote.
type Scaled = BTreeMap<String, BTreeMap<String, String>>;

impl Pass for RightSizeResources {
    fn name(&self) -> &'static str {
        "right-size-resources"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        if policy.resources.is_empty() && policy.usage.is_none() {
            return;
        }
        let mut log = log.pass(self.name());
        for doc in docs.iter_mut() {
            let (edits, scaled) = plan(doc, policy, &mut log);
            let mut emptied = Vec::new();
            for (pointer, value, reason) in edits {
                match value {
                    Some(value) => {
                        log.set(doc, &pointer, value, &reason);
                    }
                    None => {
                        if log.remove(doc, &pointer, &reason) {
                            emptied.extend(pointer.rsplit_once('/').map(|(p, _)| p.to_string()));
                        }
                    }
                }
            }
            // `limits: {}` once its CPU limit is gone says nothing: drop it, unrecorded.
            for parent in emptied {
                if doc
                    .at(&parent)
                    .and_then(Node::as_map)
                    .is_some_and(|m| m.is_empty())
                {
                    let op = Op::Remove { path: parent };
                    log.apply(doc, vec![(op, false)], "");
                }
            }
            if let Some(scaled) = scaled {
                let value = serde_json::to_string(&scaled).unwrap_or_default();
                let pointer = format!("/metadata/annotations/{}", escape(ANNOTATION));
                let reason = "remembers what scaling produced, so running the policy again does not scale twice";
                log.set(doc, &pointer, Node::string(value), reason);
            }
        }
    }
}

fn quantity(node: &Node) -> Option<Result<Quantity, String>> {
    let text = node.scalar_text()?;
    let q = if node.as_str().is_some() {
        Quantity::from_string_value(&text)
    } else {
        Quantity::from_yaml_scalar(&text)
    };
    Some(q.map_err(|_| text))
}

fn rounded(resource: &str, q: Quantity) -> Option<Quantity> {
    if resource == "cpu" {
        return Some(q.round_up(Scale::MILLI)?.with_format(Format::DecimalSI));
    }
    const MI: i128 = 1_048_576 * 1_000_000_000;
    let mi = q.nanos().checked_add(MI - 1)? / MI;
    Some(Quantity::from_nanos(mi.checked_mul(MI)?, Format::BinarySI))
}

/// A pointer, and the value to set there or `None` to remove it, with the reason.
type Edit = (String, Option<Node>, String);

/// What one resource (`cpu` or `memory`) of one container should become.
#[derive(Default)]
struct Target {
    /// The request, why, and whether scaling made it (and so must be remembered).
    request: Option<(Quantity, String, bool)>,
    /// `Some(None)` removes the limit.
    limit: Option<(Option<Quantity>, String)>,
    /// Where a request above the limit should be fixed.
    fix_hint: String,
}

/// The edits for one document, and the updated scaling record when scaling changed one.
fn plan(doc: &Document, policy: &Policy, log: &mut PassLog) -> (Vec<Edit>, Option<Scaled>) {
    let recorded: Scaled = doc
        .root
        .path(&["metadata", "annotations", ANNOTATION])
        .and_then(Node::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let mut scaled = recorded.clone();
    let mut edits = Vec::new();
    let who = super::display(&doc.id());
    for c in pod_containers(doc) {
        let subject = container_subject(doc, &c);
        let rule = policy.resources.iter().find(|r| r.when.matches(&subject));
        if rule.is_some_and(ResourceRule::sets_nothing) {
            continue;
        }
        let name = c.name().unwrap_or("").to_string();
        let what = format!("{who} container {name}");
        let row = match &policy.usage {
            Some(u) => match u.find(doc.kind(), doc.name(), doc.namespace(), &name) {
                Ok(row) => row,
                Err(why) => {
                    log.note(format!("{what}: measured usage: {why}"));
                    None
                }
            },
            None => None,
        };
        if rule.is_none() && row.is_none() {
            continue;
        }
        for res in RESOURCES {
            let at = |kind: &str| c.pointer_to(&["resources", kind, res]);
            let current =
                |kind: &str| match c.node.path(&["resources", kind, res]).and_then(quantity) {
                    Some(Err(text)) => Err(text),
                    Some(Ok(q)) => Ok(Some(q)),
                    None => Ok(None),
                };
            let (cur_req, cur_lim) = match (current("requests"), current("limits")) {
                (Ok(r), Ok(l)) => (r, l),
                (Err(text), _) | (_, Err(text)) => {
                    log.note(format!(
                        "{what}: `{text}` is not a quantity; its {res} was left alone"
                    ));
                    continue;
                }
            };
            let measured = row.and_then(|row| measured_target(policy, rule, row, res, cur_lim));
            let target = match (measured, rule) {
                (Some(t), _) => t,
                (None, Some(rule)) => {
                    let done = recorded
                        .get(&name)
                        .and_then(|m| m.get(res))
                        .and_then(|t| Quantity::parse(t).ok());
                    rule_target(rule, res, cur_req, done)
                }
                (None, None) => continue,
            };
            let Target {
                mut request,
                limit,
                fix_hint,
            } = target;
            let eff_lim = match &limit {
                Some((l, _)) => *l,
                None => cur_lim,
            };
            if let (Some((q, ..)), Some(l)) = (&request, eff_lim)
                && *q > l
            {
                log.note(format!(
                    "{what}: requests.{res} {q} would be above limits.{res} {l}; left alone ({fix_hint})"
                ));
                request = None;
            }
            let eff_req = request.as_ref().map(|(q, ..)| *q).or(cur_req);
            let limit = match (limit, eff_req) {
                (Some((Some(l), _)), Some(r)) if l < r => {
                    log.note(format!(
                        "{what}: limits.{res} {l} would be below requests.{res} {r}; left alone"
                    ));
                    None
                }
                (l, _) => l,
            };
            if let Some((q, why, by_scaling)) = request
                && Some(q) != cur_req
            {
                if by_scaling {
                    scaled
                        .entry(name.clone())
                        .or_default()
                        .insert(res.to_string(), q.to_string());
                }
                edits.push((at("requests"), Some(Node::string(q.to_string())), why));
            }
            match limit {
                Some((Some(q), why)) if Some(q) != cur_lim => {
                    edits.push((at("limits"), Some(Node::string(q.to_string())), why));
                }
                Some((None, why)) if cur_lim.is_some() => edits.push((at("limits"), None, why)),
                _ => {}
            }
        }
    }
    (edits, (scaled != recorded).then_some(scaled))
}

/// Requests and limits from a rule's values and scale factors.
fn rule_target(
    rule: &ResourceRule,
    res: &str,
    current: Option<Quantity>,
    done: Option<Quantity>,
) -> Target {
    let base = format!("resources rule at {} {}", rule.at, rule.when.describe());
    Target {
        request: target_request(rule, res, current, done)
            .map(|(q, how)| (q, format!("{base}{how}"), !how.is_empty())),
        limit: pick(rule.limits.cpu, rule.limits.memory, res).map(|l| (Some(l), base)),
        fix_hint: format!("give the rule at {} a limit too", rule.at),
    }
}

/// Requests and limits from measured usage, when the row has the strategy's figure for
/// `res` and the rule (if any) gives no request for it outright.
fn measured_target(
    policy: &Policy,
    rule: Option<&ResourceRule>,
    row: &UsageRow,
    res: &str,
    cur_lim: Option<Quantity>,
) -> Option<Target> {
    if rule.is_some_and(|r| pick(r.requests.cpu, r.requests.memory, res).is_some()) {
        return None;
    }
    let s = &policy.usage_strategy;
    let (stat, headroom) = if res == "cpu" {
        (&s.cpu_stat, s.cpu_headroom)
    } else {
        (&s.memory_stat, s.memory_headroom)
    };
    let figure = row.figure(&format!("{res}_{stat}"))?;
    let factor = 1.0 + headroom;
    let mut q = rounded(res, figure.mul_f64(factor)?)?;
    let mut why = format!("measured usage at {}: {res} {stat} {figure}", row.at);
    if headroom > 0.0 {
        why.push_str(&format!(" × {factor}"));
    }
    let least = if res == "cpu" {
        Quantity::new_milli(1, Format::DecimalSI)
    } else {
        Quantity::new(1_048_576, Format::BinarySI)
    };
    if q < least {
        q = least;
        why.push_str(&format!(", raised to {least}"));
    }
    if let Some(rule) = rule {
        if let Some(floor) = pick(rule.floor.cpu, rule.floor.memory, res)
            && q < floor
        {
            q = floor;
            why.push_str(&format!(
                ", raised to the floor {floor} of the rule at {}",
                rule.at
            ));
        }
        if let Some(ceiling) = pick(rule.ceiling.cpu, rule.ceiling.memory, res)
            && q > ceiling
        {
            q = ceiling;
            why.push_str(&format!(
                ", capped at the ceiling {ceiling} of the rule at {}",
                rule.at
            ));
        }
    }
    let given = rule.and_then(|r| pick(r.limits.cpu, r.limits.memory, res));
    let limit = match (given, res) {
        (Some(l), _) => {
            let r = rule.map_or("", |r| r.at.as_str());
            Some((Some(l), format!("resources rule at {r}")))
        }
        (None, "memory") => Some((Some(q), format!("{why}; memory limit = request"))),
        (None, _) => match s.cpu_limit {
            CpuLimit::Remove => Some((
                None,
                format!(
                    "measured usage at {}: no CPU limit (usageStrategy.cpuLimit: remove)",
                    row.at
                ),
            )),
            CpuLimit::Keep => None,
            CpuLimit::Ratio(r) => {
                let l = rounded(res, q.mul_f64(r)?)?;
                Some((Some(l), format!("{why}; CPU limit = request × {r}")))
            }
        },
    };
    let fix_hint = match (res, s.cpu_limit, cur_lim) {
        ("cpu", CpuLimit::Keep, Some(_)) => {
            "usageStrategy.cpuLimit: keep holds the limit; raise it or use remove".to_string()
        }
        _ => format!("measured at {}", row.at),
    };
    Some(Target {
        request: Some((q, why, false)),
        limit,
        fix_hint,
    })
}

/// The request a rule asks for, with how it was computed (empty when given outright).
fn target_request(
    rule: &ResourceRule,
    res: &str,
    current: Option<Quantity>,
    done: Option<Quantity>,
) -> Option<(Quantity, String)> {
    if let Some(q) = pick(rule.requests.cpu, rule.requests.memory, res) {
        return Some((q, String::new()));
    }
    let factor = if res == "cpu" {
        rule.scale.cpu
    } else {
        rule.scale.memory
    }?;
    let current = current?;
    if done == Some(current) {
        return None;
    }
    let mut q = rounded(res, current.mul_f64(factor)?)?;
    let mut how = format!(": × {factor}");
    if let Some(floor) = pick(rule.floor.cpu, rule.floor.memory, res)
        && q < floor
    {
        q = floor;
        how.push_str(&format!(", raised to the floor {floor}"));
    }
    if let Some(ceiling) = pick(rule.ceiling.cpu, rule.ceiling.memory, res)
        && q > ceiling
    {
        q = ceiling;
        how.push_str(&format!(", capped at the ceiling {ceiling}"));
    }
    Some((q, how))
}

fn pick(cpu: Option<Quantity>, memory: Option<Quantity>, res: &str) -> Option<Quantity> {
    if res == "cpu" { cpu } else { memory }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_up_to_millicores_and_mebibytes() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        assert_eq!(rounded("cpu", q("333333u")).unwrap().to_string(), "334m");
        assert_eq!(rounded("cpu", q("1000m")).unwrap().to_string(), "1");
        assert_eq!(
            rounded("memory", q("384Mi").mul_f64(0.75).unwrap())
                .unwrap()
                .to_string(),
            "288Mi"
        );
        assert_eq!(rounded("memory", q("100M")).unwrap().to_string(), "96Mi");
        assert_eq!(
            rounded("memory", q("1536Mi").mul_f64(0.5).unwrap())
                .unwrap()
                .to_string(),
            "768Mi"
        );
    }
}
