//! tune-hpa: HorizontalPodAutoscalers from the policy's `hpa` rules (matched against the
//! workload they scale). A matched autoscaler moves to autoscaling/v2 (v2beta1 and v2beta2
//! were removed in Kubernetes 1.25 and 1.26), its metrics converted; then the replica
//! bounds, utilization and Pods metrics and scaling behavior the rule gives are set, and
//! the workload's own `spec.replicas`, which fights the autoscaler on every apply, goes.

use super::{
    ChangeLog, Index, Pass, PassLog, blocking_note, display, int, map, seq, workload_subject,
};
use crate::doc::{Document, Node, Value};
use crate::policy::{HpaRule, Policy, ScalingRules, Subject};

pub struct TuneHpa;

impl Pass for TuneHpa {
    fn name(&self) -> &'static str {
        "tune-hpa"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        if policy.hpa.is_empty() {
            return;
        }
        let mut log = log.pass(self.name());
        let index = Index::new(docs);
        for h in 0..docs.len() {
            if docs[h].kind() != "HorizontalPodAutoscaler" {
                continue;
            }
            let target = index.hpa_target(&docs[h]);
            let rule = {
                let hpa = &docs[h];
                let subject = match target {
                    Some(t) => workload_subject(&docs[t]),
                    None => Subject {
                        kind: hpa
                            .root
                            .str_at(&["spec", "scaleTargetRef", "kind"])
                            .unwrap_or(""),
                        name: hpa
                            .root
                            .str_at(&["spec", "scaleTargetRef", "name"])
                            .unwrap_or(""),
                        namespace: hpa.namespace(),
                        ..Subject::default()
                    },
                };
                policy.hpa.iter().find(|r| r.when.matches(&subject))
            };
            let Some(rule) = rule else { continue };
            let reason = format!("hpa rule at {} {}", rule.at, rule.when.describe());
            let hpa = &mut docs[h];
            upgrade(hpa, &mut log);
            bounds(hpa, rule, &reason, &mut log);
            metrics(hpa, rule, &reason, &mut log);
            for (key, rules) in [("scaleUp", &rule.scale_up), ("scaleDown", &rule.scale_down)] {
                if let Some(rules) = rules {
                    behavior(hpa, key, rules, &reason, &mut log);
                }
            }
            let hpa_name = docs[h].name().to_string();
            if let (Some(min), Some(t)) = (rule.min_replicas, target)
                && let Some(note) = index
                    .budget_of(docs, &docs[t])
                    .and_then(|b| blocking_note(b, &docs[t], min))
            {
                log.note(note);
            }
            if let Some(t) = target.filter(|_| rule.drop_replicas) {
                let w = &mut docs[t];
                let Some(replicas) = w
                    .root
                    .path(&["spec", "replicas"])
                    .and_then(Node::scalar_text)
                else {
                    continue;
                };
                let why = format!(
                    "the HPA {hpa_name} owns the replica count; a fixed spec.replicas resets it on every apply"
                );
                if log.remove(w, "/spec/replicas", &why) {
                    let id = w.id();
                    let ns = if id.namespace.is_empty() {
                        String::new()
                    } else {
                        format!(" -n {}", id.namespace)
                    };
                    log.note(format!(
                        "{}: spec.replicas ({replicas}) removed. Before the next `kubectl apply`, run `kubectl apply edit-last-applied {}/{}{ns}` and delete spec.replicas there (or use server-side apply); otherwise that apply scales it to 1 replica until the HPA catches up.",
                        display(&id),
                        id.kind.to_lowercase(),
                        id.name
                    ));
                }
            }
        }
    }
}

fn upgrade(hpa: &mut Document, log: &mut PassLog) {
    let version = hpa.api_version().to_string();
    if !matches!(
        version.as_str(),
        "autoscaling/v1" | "autoscaling/v2beta1" | "autoscaling/v2beta2"
    ) {
        return;
    }
    let removed = if version == "autoscaling/v2beta2" {
        "Kubernetes 1.26"
    } else {
        "Kubernetes 1.25"
    };
    let why = if version == "autoscaling/v1" {
        "autoscaling/v2 is the stable API with memory, Pods and behavior settings".to_string()
    } else {
        format!("{version} was removed in {removed}")
    };
    log.set(hpa, "/apiVersion", Node::string("autoscaling/v2"), &why);
    if version == "autoscaling/v1" {
        if let Some(pct) = hpa
            .root
            .path(&["spec", "targetCPUUtilizationPercentage"])
            .and_then(Node::as_i64)
        {
            let why = "autoscaling/v2 writes targetCPUUtilizationPercentage as a Resource metric";
            log.patch(
                hpa,
                vec![
                    crate::doc::pointer::Op::Remove {
                        path: "/spec/targetCPUUtilizationPercentage".into(),
                    },
                    crate::doc::pointer::Op::Add {
                        path: "/spec/metrics".into(),
                        value: seq(vec![resource_metric("cpu", pct)]),
                    },
                ],
                why,
            );
        }
    } else if version == "autoscaling/v2beta1" {
        let items = hpa
            .root
            .path(&["spec", "metrics"])
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .to_vec();
        for (i, item) in items.iter().enumerate() {
            if let Some(v2) = convert_v2beta1(item) {
                log.set(
                    hpa,
                    &format!("/spec/metrics/{i}"),
                    v2,
                    "autoscaling/v2 nests metric names and targets",
                );
            }
        }
    }
}

fn target(kind: &str, key: &str, value: Node) -> Node {
    map(vec![("type", Node::string(kind)), (key, value)])
}

fn resource_metric(name: &str, pct: i64) -> Node {
    map(vec![
        ("type", Node::string("Resource")),
        (
            "resource",
            map(vec![
                ("name", Node::string(name)),
                (
                    "target",
                    target("Utilization", "averageUtilization", int(pct)),
                ),
            ]),
        ),
    ])
}

/// A v2beta1 metric in v2 shape; fields it does not know stay where they were.
fn convert_v2beta1(item: &Node) -> Option<Node> {
    let kind = item.str_at(&["type"])?;
    let key = match kind {
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        "Pods" => "pods",
        "Object" => "object",
        "External" => "external",
        _ => return None,
    };
    let mut src = item.get(key)?.as_map()?.clone();
    let take = |src: &mut crate::doc::Map, k: &str| src.remove(k);
    let new_target = if let Some(u) = take(&mut src, "targetAverageUtilization") {
        Some(target("Utilization", "averageUtilization", u))
    } else if let Some(v) =
        take(&mut src, "targetAverageValue").or_else(|| take(&mut src, "averageValue"))
    {
        Some(target("AverageValue", "averageValue", v))
    } else {
        take(&mut src, "targetValue").map(|v| target("Value", "value", v))
    };
    if let Some(name) = take(&mut src, "metricName") {
        let mut metric = vec![("name", name)];
        let selector = take(&mut src, "selector").or_else(|| take(&mut src, "metricSelector"));
        if let Some(sel) = selector {
            metric.push(("selector", sel));
        }
        src.insert("metric", map(metric));
    }
    if key == "object"
        && let Some(described) = take(&mut src, "target")
    {
        src.insert("describedObject", described);
    }
    let new_target = new_target?;
    src.insert("target", new_target);
    let mut out = item.as_map()?.clone();
    out.insert(key, Node::new(Value::Map(src)));
    Some(Node::new(Value::Map(out)))
}

fn bounds(hpa: &mut Document, rule: &HpaRule, reason: &str, log: &mut PassLog) {
    let get = |k: &str| hpa.root.path(&["spec", k]).and_then(Node::as_i64);
    let (cur_min, cur_max) = (get("minReplicas"), get("maxReplicas"));
    let min = rule.min_replicas.or(cur_min).unwrap_or(1);
    if let Some(max) = rule.max_replicas.or(cur_max)
        && min > max
    {
        log.note(format!(
            "{}: minReplicas {min} would be above maxReplicas {max}; bounds left alone",
            display(&hpa.id())
        ));
        return;
    }
    for (key, value, cur) in [
        ("minReplicas", rule.min_replicas, cur_min),
        ("maxReplicas", rule.max_replicas, cur_max),
    ] {
        if let Some(v) = value
            && cur != Some(v)
        {
            log.set(hpa, &format!("/spec/{key}"), int(v), reason);
        }
    }
}

fn metrics(hpa: &mut Document, rule: &HpaRule, reason: &str, log: &mut PassLog) {
    for (name, pct) in [("cpu", rule.metrics.cpu), ("memory", rule.metrics.memory)] {
        let Some(pct) = pct else { continue };
        let found = metric_items(hpa).iter().position(|m| {
            m.str_at(&["type"]) == Some("Resource") && m.str_at(&["resource", "name"]) == Some(name)
        });
        match found {
            Some(i) => {
                let at = format!("/spec/metrics/{i}/resource/target");
                let t = hpa.at(&at).cloned();
                if t.as_ref().and_then(|t| t.str_at(&["type"])) == Some("Utilization") {
                    log.set(hpa, &format!("{at}/averageUtilization"), int(pct), reason);
                } else {
                    log.set(
                        hpa,
                        &at,
                        target("Utilization", "averageUtilization", int(pct)),
                        reason,
                    );
                }
            }
            None => append_metric(hpa, resource_metric(name, pct), reason, log),
        }
    }
    for p in &rule.metrics.pods {
        let value = Node::string(p.average_value.to_string());
        let found = metric_items(hpa).iter().position(|m| {
            m.str_at(&["type"]) == Some("Pods")
                && m.str_at(&["pods", "metric", "name"]) == Some(p.name.as_str())
        });
        match found {
            Some(i) => {
                let at = format!("/spec/metrics/{i}/pods/target");
                let same = hpa.at(&at).is_some_and(|t| {
                    t.str_at(&["type"]) == Some("AverageValue")
                        && t.get("averageValue")
                            .and_then(Node::scalar_text)
                            .and_then(|v| v.parse().ok())
                            == Some(p.average_value)
                });
                if !same {
                    log.set(
                        hpa,
                        &at,
                        target("AverageValue", "averageValue", value),
                        reason,
                    );
                }
            }
            None => {
                let metric = map(vec![
                    ("type", Node::string("Pods")),
                    (
                        "pods",
                        map(vec![
                            ("metric", map(vec![("name", Node::string(p.name.as_str()))])),
                            ("target", target("AverageValue", "averageValue", value)),
                        ]),
                    ),
                ]);
                append_metric(hpa, metric, reason, log);
            }
        }
    }
}

fn metric_items(hpa: &Document) -> Vec<Node> {
    hpa.root
        .path(&["spec", "metrics"])
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .to_vec()
}

fn append_metric(hpa: &mut Document, metric: Node, reason: &str, log: &mut PassLog) {
    if hpa.at("/spec/metrics").and_then(Node::as_seq).is_some() {
        let op = crate::doc::pointer::Op::Add {
            path: "/spec/metrics/-".into(),
            value: metric,
        };
        log.patch(hpa, vec![op], reason);
    } else {
        log.set(hpa, "/spec/metrics", seq(vec![metric]), reason);
    }
}

fn behavior(hpa: &mut Document, key: &str, rules: &ScalingRules, reason: &str, log: &mut PassLog) {
    let base = format!("/spec/behavior/{key}");
    if let Some(s) = rules.stabilization_window_seconds {
        log.set(
            hpa,
            &format!("{base}/stabilizationWindowSeconds"),
            int(s),
            reason,
        );
    }
    if let Some(s) = &rules.select_policy {
        log.set(
            hpa,
            &format!("{base}/selectPolicy"),
            Node::string(s.as_str()),
            reason,
        );
    }
    let period = rules.period_seconds.unwrap_or(60);
    let policy = |kind: &str, value: i64| {
        map(vec![
            ("type", Node::string(kind)),
            ("value", int(value)),
            ("periodSeconds", int(period)),
        ])
    };
    let policies: Vec<Node> = [("Percent", rules.percent), ("Pods", rules.pods)]
        .into_iter()
        .filter_map(|(k, v)| Some(policy(k, v?)))
        .collect();
    if !policies.is_empty() {
        log.set(hpa, &format!("{base}/policies"), seq(policies), reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    #[test]
    fn v2beta1_metrics_take_the_v2_shape() {
        let item = parse_str(
            "type: Pods\npods:\n  metricName: qlen\n  targetAverageValue: 10\n  extra: kept\n",
        )
        .unwrap()
        .remove(0);
        let v2 = convert_v2beta1(&item).unwrap();
        let out = crate::render::emit::emit(&v2).unwrap();
        assert_eq!(
            out,
            "pods:\n  extra: kept\n  metric:\n    name: qlen\n  target:\n    averageValue: 10\n    type: AverageValue\ntype: Pods\n"
        );
        let obj = parse_str("type: Object\nobject:\n  target: {kind: Service, name: web}\n  metricName: rps\n  targetValue: 100\n").unwrap().remove(0);
        let v2 = convert_v2beta1(&obj).unwrap();
        assert_eq!(
            v2.str_at(&["object", "describedObject", "name"]),
            Some("web")
        );
        assert_eq!(v2.str_at(&["object", "target", "type"]), Some("Value"));
    }
}
