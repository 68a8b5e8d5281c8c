//! right-size-resources: container requests and limits from the policy's `resources`
//! rules, absolute or scaled from the current requests (CPU rounded up to whole millicores,
//! memory to whole Mi, then held between floor and ceiling). Only the fields a rule gives
//! change; a change that would put a request above its limit is skipped with a note.
//!
//! Scaling is relative, so on its own it would compound on every run: the values it
//! produced are remembered in an annotation, and a request still at that value is not
//! scaled again (one edited by hand since is).

use super::{ChangeLog, Pass, PassLog, container_subject, pod_containers};
use crate::doc::pointer::escape;
use crate::doc::quantity::{Format, Quantity, Scale};
use crate::doc::{Document, Node};
use crate::policy::{Policy, ResourceRule};
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
        if policy.resources.is_empty() {
            return;
        }
        let mut log = log.pass(self.name());
        for doc in docs.iter_mut() {
            let (edits, scaled) = plan(doc, policy, &mut log);
            for (pointer, value, reason) in edits {
                log.set(doc, &pointer, value, &reason);
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

type Edit = (String, Node, String);

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
        let Some(rule) = policy.resources.iter().find(|r| r.when.matches(&subject)) else {
            continue;
        };
        let name = c.name().unwrap_or("").to_string();
        let what = format!("{who} container {name}");
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
            let done = recorded
                .get(&name)
                .and_then(|m| m.get(res))
                .and_then(|t| Quantity::parse(t).ok());
            let mut req = target_request(rule, res, cur_req, done);
            let lim = pick(rule.limits.cpu, rule.limits.memory, res);
            let eff_lim = lim.or(cur_lim);
            if let (Some((q, _)), Some(l)) = (&req, eff_lim)
                && *q > l
            {
                log.note(format!(
                    "{what}: requests.{res} {q} would be above limits.{res} {l}; left alone (give the rule at {} a limit too)",
                    rule.at
                ));
                req = None;
            }
            let eff_req = req.as_ref().map(|(q, _)| *q).or(cur_req);
            let lim = match (lim, eff_req) {
                (Some(l), Some(r)) if l < r => {
                    log.note(format!(
                        "{what}: limits.{res} {l} would be below requests.{res} {r}; left alone"
                    ));
                    None
                }
                (l, _) => l,
            };
            let base = format!("resources rule at {} {}", rule.at, rule.when.describe());
            if let Some((q, how)) = req
                && Some(q) != cur_req
            {
                if !how.is_empty() {
                    scaled
                        .entry(name.clone())
                        .or_default()
                        .insert(res.to_string(), q.to_string());
                }
                edits.push((
                    at("requests"),
                    Node::string(q.to_string()),
                    format!("{base}{how}"),
                ));
            }
            if let Some(q) = lim
                && Some(q) != cur_lim
            {
                edits.push((at("limits"), Node::string(q.to_string()), base));
            }
        }
    }
    (edits, (scaled != recorded).then_some(scaled))
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
