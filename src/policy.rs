//! The optimization policy read by `kfold optimize --policy FILE`: which passes change what,
//! for which resources. Every unknown key or bad value is an error at its line.
//!
//! ```yaml
//! apiVersion: kfold.dev/v1alpha1
//! kind: Policy
//! resources:                               # first matching rule wins, per container
//!   - match: {image: "postgres*"}
//!     requests: {cpu: 100m, memory: 256Mi}
//!     limits: {memory: 512Mi}              # only the fields given change
//!   - match: {}
//!     scale: {cpu: 0.5, memory: 0.75}      # relative to current requests
//!     floor: {cpu: 50m, memory: 64Mi}
//! usage: metrics.csv                       # measured usage (see `usage`), beats `scale`
//! usageStrategy: {cpuPercentile: p95, cpuHeadroom: 0.2, memoryPercentile: max, memoryHeadroom: 0.15, cpuLimit: remove}
//! hpa:
//!   - match: {name: "*api"}
//!     minReplicas: 2
//!     metrics: {cpu: 70, pods: [{name: queue_length, averageValue: "10"}]}
//!     behavior: {scaleDown: {percent: 50, periodSeconds: 60, stabilizationWindowSeconds: 300}}
//! storage:
//!   - match: {claim: "*postgres*"}
//!     size: 2Gi
//!   - match: {image: "redis*"}
//!     emptyDir: {sizeLimit: 1Gi}
//! probes: {removeWaitInitContainers: true, startupFailureThreshold: 60}
//! rollout: {maxUnavailable: 0, maxSurge: 1, pdb: {minAvailable: 1}, antiAffinity: preferred}
//! security: {runAsNonRoot: true, readOnlyRootFilesystem: true, dropAllCapabilities: true}
//! images: [{match: {image: "app"}, tag: "2.7.0"}]
//! ```

use crate::doc::quantity::Quantity;
use crate::doc::views::{ImageRef, IntOrPercent};
use crate::doc::{Map, Node, Pos, Source};
use crate::error::Diag;
use crate::lint::config::glob_match;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub mod usage;

pub use usage::{Usage, UsageRow};

pub const API_VERSION: &str = "kfold.dev/v1alpha1";

#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub resources: Vec<ResourceRule>,
    /// Measured usage read from the file `usage:` names.
    pub usage: Option<Usage>,
    pub usage_strategy: UsageStrategy,
    pub hpa: Vec<HpaRule>,
    pub storage: Vec<StorageRule>,
    pub probes: Option<ProbePolicy>,
    pub rollout: Option<RolloutPolicy>,
    pub security: Option<SecurityPolicy>,
    pub images: Vec<ImageRule>,
}

/// Which resources (and containers, claims) a rule applies to; absent keys match anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Match {
    pub kind: Option<String>,
    /// Glob on the resource name.
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Every pair must be among the resource's (or its pod template's) labels.
    pub labels: Vec<(String, String)>,
    /// Glob on the full reference or on the repository's last path element, each with or
    /// without tag: `postgres*`, `ghcr.io/acme/*`, `app`, `app:1.*`.
    pub image: Option<String>,
    /// Glob on the container name.
    pub container: Option<String>,
    /// Glob on a PVC name, a volume's claimName, or a volumeClaimTemplate name (also tried
    /// as `<template>-<statefulset>`, the prefix of the claims it creates).
    pub claim: Option<String>,
}

/// What a rule is matched against: a resource, the containers in question (one, for
/// per-container rules) and the claims in question (for storage rules).
#[derive(Clone, Debug, Default)]
pub struct Subject<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    /// The name before a kustomize build's prefix or suffix; `name` globs match either.
    pub original: Option<&'a str>,
    pub namespace: &'a str,
    pub labels: BTreeMap<&'a str, &'a str>,
    /// `(name, image)` pairs.
    pub containers: Vec<(&'a str, &'a str)>,
    pub claims: Vec<String>,
}

fn image_matches(pattern: &str, image: &str) -> bool {
    let mut candidates = vec![image.to_string()];
    if let Some(r) = ImageRef::parse(image) {
        let repo = match r.registry {
            Some(reg) => format!("{reg}/{}", r.repository),
            None => r.repository.to_string(),
        };
        let last = r.repository.rsplit('/').next().unwrap_or(r.repository);
        candidates.push(repo.clone());
        candidates.push(last.to_string());
        if let Some(tag) = r.tag {
            candidates.push(format!("{repo}:{tag}"));
            candidates.push(format!("{last}:{tag}"));
        }
    }
    candidates.iter().any(|c| glob_match(pattern, c))
}

impl Match {
    pub fn matches(&self, s: &Subject) -> bool {
        let glob = |p: &Option<String>, v: &str| p.as_deref().is_none_or(|p| glob_match(p, v));
        let container = |(name, image): &(&str, &str)| {
            glob(&self.container, name)
                && self
                    .image
                    .as_deref()
                    .is_none_or(|p| image_matches(p, image))
        };
        glob(&self.kind, s.kind)
            && (glob(&self.name, s.name) || s.original.is_some_and(|o| glob(&self.name, o)))
            && glob(&self.namespace, s.namespace)
            && self
                .labels
                .iter()
                .all(|(k, v)| s.labels.get(k.as_str()) == Some(&v.as_str()))
            && (self.image.is_none() && self.container.is_none()
                || s.containers.iter().any(container))
            && self
                .claim
                .as_deref()
                .is_none_or(|p| s.claims.iter().any(|c| glob_match(p, c)))
    }

    /// `{kind: StatefulSet, image: postgres*}`, for change reasons.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}: {v}"));
            }
        };
        put("kind", &self.kind);
        put("name", &self.name);
        put("namespace", &self.namespace);
        put("image", &self.image);
        put("container", &self.container);
        put("claim", &self.claim);
        if !self.labels.is_empty() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            parts.push(format!("labels: {{{}}}", labels.join(", ")));
        }
        format!("{{{}}}", parts.join(", "))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Amounts {
    pub cpu: Option<Quantity>,
    pub memory: Option<Quantity>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Factors {
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
}

/// A rule with nothing to set still matters: it stops later rules from matching, so
/// `- match: {container: istio-proxy}` leaves sidecars alone.
#[derive(Clone, Debug, Default)]
pub struct ResourceRule {
    pub when: Match,
    /// `file:line` of the rule, for change reasons.
    pub at: String,
    pub requests: Amounts,
    pub limits: Amounts,
    /// Multiplies current requests (for fields `requests` does not set).
    pub scale: Factors,
    pub floor: Amounts,
    pub ceiling: Amounts,
}

impl ResourceRule {
    /// A rule that sets nothing: it keeps the containers it matches as they are.
    pub fn sets_nothing(&self) -> bool {
        self.requests == Amounts::default()
            && self.limits == Amounts::default()
            && self.scale == Factors::default()
            && self.floor == Amounts::default()
            && self.ceiling == Amounts::default()
    }
}

/// What becomes of a CPU limit when measured usage sets the request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CpuLimit {
    /// No CPU limit (Robusta KRR's simple strategy): throttling costs latency, and the
    /// request already reserves the CPU.
    Remove,
    /// The current limit stays (a request that would exceed it is left alone).
    Keep,
    /// The request times this ratio.
    Ratio(f64),
}

/// How measured usage becomes requests and limits: CPU request = the CPU figure × (1 +
/// cpuHeadroom); memory request = limit = the memory figure × (1 + memoryHeadroom).
#[derive(Clone, Debug, PartialEq)]
pub struct UsageStrategy {
    /// The figure read: `p95` reads the `cpu_p95` column.
    pub cpu_stat: String,
    pub cpu_headroom: f64,
    pub memory_stat: String,
    pub memory_headroom: f64,
    pub cpu_limit: CpuLimit,
}

impl Default for UsageStrategy {
    fn default() -> UsageStrategy {
        UsageStrategy {
            cpu_stat: "p95".into(),
            cpu_headroom: 0.0,
            memory_stat: "max".into(),
            memory_headroom: 0.15,
            cpu_limit: CpuLimit::Remove,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodsMetric {
    pub name: String,
    pub average_value: Quantity,
}

#[derive(Clone, Debug, Default)]
pub struct HpaMetrics {
    /// Target average utilization, percent of requests.
    pub cpu: Option<i64>,
    pub memory: Option<i64>,
    pub pods: Vec<PodsMetric>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScalingRules {
    pub percent: Option<i64>,
    pub pods: Option<i64>,
    pub period_seconds: Option<i64>,
    pub stabilization_window_seconds: Option<i64>,
    pub select_policy: Option<String>,
}

/// Matched against the workload the autoscaler scales (or, when that is not among the
/// files, its `scaleTargetRef`). A matching rule also moves the HPA to autoscaling/v2.
#[derive(Clone, Debug, Default)]
pub struct HpaRule {
    pub when: Match,
    pub at: String,
    pub min_replicas: Option<i64>,
    pub max_replicas: Option<i64>,
    pub metrics: HpaMetrics,
    pub scale_up: Option<ScalingRules>,
    pub scale_down: Option<ScalingRules>,
    /// Remove `spec.replicas` from the scaled workload (default true).
    pub drop_replicas: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StorageAction {
    Size(Quantity),
    EmptyDir { size_limit: Option<Quantity> },
}

#[derive(Clone, Debug)]
pub struct StorageRule {
    pub when: Match,
    pub at: String,
    pub action: StorageAction,
}

#[derive(Clone, Debug, Default)]
pub struct ProbePolicy {
    pub when: Match,
    pub at: String,
    pub remove_wait_init_containers: bool,
    /// The least `failureThreshold` of the startupProbe that replaces a wait.
    pub startup_failure_threshold: i64,
    pub startup_period_seconds: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PdbPolicy {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
}

#[derive(Clone, Debug, Default)]
pub struct RolloutPolicy {
    pub when: Match,
    pub at: String,
    pub max_unavailable: Option<IntOrPercent>,
    pub max_surge: Option<IntOrPercent>,
    pub pdb: Option<PdbPolicy>,
    /// Preferred pod anti-affinity on `kubernetes.io/hostname`.
    pub anti_affinity: bool,
}

#[derive(Clone, Debug, Default)]
pub struct SecurityPolicy {
    pub when: Match,
    pub at: String,
    pub run_as_non_root: bool,
    pub no_privilege_escalation: bool,
    pub read_only_root_filesystem: bool,
    pub drop_all_capabilities: bool,
    pub seccomp_runtime_default: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ImageRule {
    pub when: Match,
    pub at: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Policy {
    pub fn from_file(path: &Path) -> Result<Policy, Diag> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diag::new(format!("cannot read the policy: {e}")).in_file(path.display().to_string())
        })?;
        Policy::parse(&Source::new(path, text))
    }

    pub fn parse(source: &Arc<Source>) -> Result<Policy, Diag> {
        let r = Reader {
            source: source.clone(),
        };
        let docs = source
            .parse()
            .map_err(|e| Diag::new(format!("invalid YAML: {}", e.message)).at(source, e.pos))?;
        let mut roots = docs.into_iter().filter_map(|d| d.root);
        let root = roots
            .next()
            .ok_or_else(|| Diag::new("the policy file is empty").in_file(source.name()))?;
        if let Some(extra) = roots.next() {
            return Err(r.err("one policy per file: this is a second document", extra.pos));
        }
        let top = r.fields(
            &root,
            "the policy",
            &[
                "apiVersion",
                "kind",
                "metadata",
                "resources",
                "usage",
                "usageStrategy",
                "hpa",
                "storage",
                "probes",
                "rollout",
                "security",
                "images",
            ],
        )?;
        match top.get("apiVersion") {
            Some(v) if v.as_str() == Some(API_VERSION) => {}
            Some(v) => return Err(r.err(format!("apiVersion must be {API_VERSION}"), v.pos)),
            None => return Err(r.err(format!("missing `apiVersion: {API_VERSION}`"), root.pos)),
        }
        match top.get("kind") {
            Some(v) if v.as_str() == Some("Policy") => {}
            Some(v) => return Err(r.err("kind must be Policy", v.pos)),
            None => return Err(r.err("missing `kind: Policy`", root.pos)),
        }
        let mut p = Policy::default();
        for e in &top.entries {
            let v = &e.value;
            match e.key.as_str() {
                "resources" => {
                    p.resources =
                        r.rules(v, "resources", |m, when, at| r.resource_rule(m, when, at))?
                }
                "hpa" => p.hpa = r.rules(v, "hpa", |m, when, at| r.hpa_rule(m, when, at))?,
                "storage" => {
                    p.storage = r.rules(v, "storage", |m, when, at| r.storage_rule(m, when, at))?
                }
                "images" => {
                    p.images = r.rules(v, "images", |m, when, at| r.image_rule(m, when, at))?
                }
                "usage" => p.usage = Some(r.usage(v)?),
                "usageStrategy" => p.usage_strategy = r.usage_strategy(v)?,
                "probes" => p.probes = Some(r.probes(v)?),
                "rollout" => p.rollout = Some(r.rollout(v)?),
                "security" => p.security = Some(r.security(v)?),
                _ => {}
            }
        }
        if let Some(usage) = &p.usage {
            r.check_columns(usage, &p.usage_strategy, top)?;
        } else if let Some(e) = top.entry("usageStrategy") {
            return Err(r.err(
                "`usageStrategy` without `usage`: there is nothing to apply it to",
                e.key_pos,
            ));
        }
        Ok(p)
    }
}

struct Reader {
    source: Arc<Source>,
}

impl Reader {
    fn err(&self, msg: impl Into<String>, pos: Pos) -> Diag {
        Diag::new(msg).at(&self.source, pos)
    }

    fn at(&self, node: &Node) -> String {
        format!("{}:{}", self.source.name(), node.pos.line)
    }

    /// The mapping at `node`, refusing keys not in `allowed`.
    fn fields<'n>(&self, node: &'n Node, what: &str, allowed: &[&str]) -> Result<&'n Map, Diag> {
        let map = node
            .as_map()
            .ok_or_else(|| self.err(format!("{what} must be a mapping"), node.pos))?;
        for e in &map.entries {
            if !allowed.contains(&e.key.as_str()) {
                return Err(self
                    .err(format!("unknown key `{}` in {what}", e.key), e.key_pos)
                    .with_help(format!("expected one of: {}", allowed.join(", "))));
            }
        }
        Ok(map)
    }

    /// A list of rules, each with a required `match`.
    fn rules<T>(
        &self,
        node: &Node,
        what: &str,
        rule: impl Fn(&Node, Match, String) -> Result<T, Diag>,
    ) -> Result<Vec<T>, Diag> {
        let items = node
            .as_seq()
            .ok_or_else(|| self.err(format!("`{what}` must be a list of rules"), node.pos))?;
        items
            .iter()
            .map(|item| {
                let map = item.as_map().ok_or_else(|| {
                    self.err(format!("a `{what}` rule must be a mapping"), item.pos)
                })?;
                let when = map.get("match").ok_or_else(|| {
                    self.err(
                        format!(
                            "this `{what}` rule has no `match` (`match: {{}}` matches everything)"
                        ),
                        item.pos,
                    )
                })?;
                rule(item, self.matcher(when)?, self.at(item))
            })
            .collect()
    }

    fn matcher(&self, node: &Node) -> Result<Match, Diag> {
        let keys = [
            "kind",
            "name",
            "namespace",
            "labels",
            "image",
            "container",
            "claim",
        ];
        let map = self.fields(node, "`match`", &keys)?;
        let mut m = Match::default();
        for e in &map.entries {
            let v = &e.value;
            let text = || self.text(v, &e.key);
            match e.key.as_str() {
                "kind" => m.kind = Some(text()?),
                "name" => m.name = Some(text()?),
                "namespace" => m.namespace = Some(text()?),
                "image" => m.image = Some(text()?),
                "container" => m.container = Some(text()?),
                "claim" => m.claim = Some(text()?),
                _ => {
                    let labels = v.as_map().ok_or_else(|| {
                        self.err("`labels` must be a mapping of label values", v.pos)
                    })?;
                    for l in &labels.entries {
                        m.labels.push((l.key.clone(), self.text(&l.value, &l.key)?));
                    }
                }
            }
        }
        Ok(m)
    }

    fn text(&self, node: &Node, what: &str) -> Result<String, Diag> {
        match node.scalar_text() {
            Some(t) if !node.is_null() => Ok(t),
            _ => Err(self.err(format!("`{what}` must be a string"), node.pos)),
        }
    }

    fn int(&self, node: &Node, what: &str, min: i64) -> Result<i64, Diag> {
        match node.as_i64() {
            Some(i) if i >= min => Ok(i),
            _ => Err(self.err(
                format!("`{what}` must be a whole number of at least {min}"),
                node.pos,
            )),
        }
    }

    fn boolean(&self, node: &Node, what: &str) -> Result<bool, Diag> {
        node.as_bool()
            .ok_or_else(|| self.err(format!("`{what}` must be true or false"), node.pos))
    }

    fn quantity(&self, node: &Node, what: &str) -> Result<Quantity, Diag> {
        let text = self.text(node, what)?;
        let q = if node.as_str().is_some() {
            Quantity::from_string_value(&text)
        } else {
            Quantity::from_yaml_scalar(&text)
        };
        match q {
            Ok(q) if q.signum() > 0 => Ok(q),
            Ok(_) => Err(self.err(format!("`{what}` must be above zero"), node.pos)),
            Err(e) => Err(self.err(format!("`{what}`: {e}"), node.pos)),
        }
    }

    fn int_or_percent(&self, node: &Node, what: &str) -> Result<IntOrPercent, Diag> {
        match IntOrPercent::of(node) {
            Some(v @ (IntOrPercent::Int(i) | IntOrPercent::Percent(i))) if i >= 0 => Ok(v),
            _ => Err(self.err(
                format!("`{what}` must be a number or a percentage like \"25%\""),
                node.pos,
            )),
        }
    }

    fn amounts(&self, node: &Node, what: &str) -> Result<Amounts, Diag> {
        let map = self.fields(node, &format!("`{what}`"), &["cpu", "memory"])?;
        let get = |k: &str| {
            map.get(k)
                .map(|v| self.quantity(v, &format!("{what}.{k}")))
                .transpose()
        };
        Ok(Amounts {
            cpu: get("cpu")?,
            memory: get("memory")?,
        })
    }

    fn resource_rule(&self, node: &Node, when: Match, at: String) -> Result<ResourceRule, Diag> {
        let keys = ["match", "requests", "limits", "scale", "floor", "ceiling"];
        let map = self.fields(node, "a `resources` rule", &keys)?;
        let mut rule = ResourceRule {
            when,
            at,
            ..ResourceRule::default()
        };
        for e in &map.entries {
            let v = &e.value;
            match e.key.as_str() {
                "requests" => rule.requests = self.amounts(v, "requests")?,
                "limits" => rule.limits = self.amounts(v, "limits")?,
                "floor" => rule.floor = self.amounts(v, "floor")?,
                "ceiling" => rule.ceiling = self.amounts(v, "ceiling")?,
                "scale" => {
                    let m = self.fields(v, "`scale`", &["cpu", "memory"])?;
                    let factor = |k: &str| {
                        m.get(k)
                            .map(|n| match n.as_f64() {
                                Some(f) if f > 0.0 && f.is_finite() => Ok(f),
                                _ => Err(self.err(
                                    format!("`scale.{k}` must be a number above zero, like 0.5"),
                                    n.pos,
                                )),
                            })
                            .transpose()
                    };
                    rule.scale = Factors {
                        cpu: factor("cpu")?,
                        memory: factor("memory")?,
                    };
                }
                _ => {}
            }
        }
        for (name, f, c) in [
            ("cpu", rule.floor.cpu, rule.ceiling.cpu),
            ("memory", rule.floor.memory, rule.ceiling.memory),
        ] {
            if let (Some(f), Some(c)) = (f, c)
                && f > c
            {
                return Err(self.err(format!("floor.{name} is above ceiling.{name}"), node.pos));
            }
        }
        Ok(rule)
    }

    fn scaling_rules(&self, node: &Node, what: &str) -> Result<ScalingRules, Diag> {
        let keys = [
            "percent",
            "pods",
            "periodSeconds",
            "stabilizationWindowSeconds",
            "selectPolicy",
        ];
        let map = self.fields(node, &format!("`{what}`"), &keys)?;
        let int = |k: &str, min| map.get(k).map(|v| self.int(v, k, min)).transpose();
        let rules = ScalingRules {
            percent: int("percent", 1)?,
            pods: int("pods", 1)?,
            period_seconds: int("periodSeconds", 1)?,
            stabilization_window_seconds: int("stabilizationWindowSeconds", 0)?,
            select_policy: match map.get("selectPolicy") {
                Some(v) => {
                    let s = self.text(v, "selectPolicy")?;
                    if !matches!(s.as_str(), "Max" | "Min" | "Disabled") {
                        return Err(self.err("`selectPolicy` must be Max, Min or Disabled", v.pos));
                    }
                    Some(s)
                }
                None => None,
            },
        };
        if (rules.percent.is_some() || rules.pods.is_some()) && rules.period_seconds.is_none() {
            return Err(self.err(
                format!("`{what}`: percent and pods need periodSeconds"),
                node.pos,
            ));
        }
        Ok(rules)
    }

    fn hpa_rule(&self, node: &Node, when: Match, at: String) -> Result<HpaRule, Diag> {
        let keys = [
            "match",
            "minReplicas",
            "maxReplicas",
            "metrics",
            "behavior",
            "dropReplicas",
        ];
        let map = self.fields(node, "an `hpa` rule", &keys)?;
        let mut rule = HpaRule {
            when,
            at,
            drop_replicas: true,
            ..HpaRule::default()
        };
        for e in &map.entries {
            let v = &e.value;
            match e.key.as_str() {
                "minReplicas" => rule.min_replicas = Some(self.int(v, "minReplicas", 1)?),
                "maxReplicas" => rule.max_replicas = Some(self.int(v, "maxReplicas", 1)?),
                "dropReplicas" => rule.drop_replicas = self.boolean(v, "dropReplicas")?,
                "metrics" => {
                    let m = self.fields(v, "`metrics`", &["cpu", "memory", "pods"])?;
                    let pct = |k: &str| m.get(k).map(|v| self.int(v, k, 1)).transpose();
                    rule.metrics.cpu = pct("cpu")?;
                    rule.metrics.memory = pct("memory")?;
                    if let Some(pods) = m.get("pods") {
                        let items = pods.as_seq().ok_or_else(|| {
                            self.err("`pods` must be a list of {name, averageValue}", pods.pos)
                        })?;
                        for item in items {
                            let f =
                                self.fields(item, "a `pods` metric", &["name", "averageValue"])?;
                            let need = |k: &str| {
                                f.get(k).ok_or_else(|| {
                                    self.err(format!("a `pods` metric needs `{k}`"), item.pos)
                                })
                            };
                            rule.metrics.pods.push(PodsMetric {
                                name: self.text(need("name")?, "name")?,
                                average_value: self
                                    .quantity(need("averageValue")?, "averageValue")?,
                            });
                        }
                    }
                }
                "behavior" => {
                    let b = self.fields(v, "`behavior`", &["scaleUp", "scaleDown"])?;
                    rule.scale_up = b
                        .get("scaleUp")
                        .map(|n| self.scaling_rules(n, "scaleUp"))
                        .transpose()?;
                    rule.scale_down = b
                        .get("scaleDown")
                        .map(|n| self.scaling_rules(n, "scaleDown"))
                        .transpose()?;
                }
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (rule.min_replicas, rule.max_replicas)
            && min > max
        {
            return Err(self.err(
                format!("minReplicas ({min}) is above maxReplicas ({max})"),
                node.pos,
            ));
        }
        Ok(rule)
    }

    fn storage_rule(&self, node: &Node, when: Match, at: String) -> Result<StorageRule, Diag> {
        let map = self.fields(node, "a `storage` rule", &["match", "size", "emptyDir"])?;
        let action = match (map.get("size"), map.get("emptyDir")) {
            (Some(size), None) => StorageAction::Size(self.quantity(size, "size")?),
            (None, Some(e)) => {
                let m = self.fields(e, "`emptyDir`", &["sizeLimit"])?;
                let size_limit = m
                    .get("sizeLimit")
                    .map(|v| self.quantity(v, "sizeLimit"))
                    .transpose()?;
                StorageAction::EmptyDir { size_limit }
            }
            _ => {
                return Err(self.err(
                    "a `storage` rule needs exactly one of `size` and `emptyDir`",
                    node.pos,
                ));
            }
        };
        Ok(StorageRule { when, at, action })
    }

    fn image_rule(&self, node: &Node, when: Match, at: String) -> Result<ImageRule, Diag> {
        let map = self.fields(node, "an `images` rule", &["match", "tag", "digest"])?;
        let tag = map.get("tag").map(|v| self.text(v, "tag")).transpose()?;
        let digest = map
            .get("digest")
            .map(|v| self.text(v, "digest"))
            .transpose()?;
        if let Some(d) = &digest
            && !d
                .split_once(':')
                .is_some_and(|(a, h)| !a.is_empty() && !h.is_empty())
        {
            return Err(self.err("`digest` must look like sha256:<hex>", node.pos));
        }
        if tag.is_none() && digest.is_none() {
            return Err(self.err("an `images` rule needs `tag` or `digest`", node.pos));
        }
        Ok(ImageRule {
            when,
            at,
            tag,
            digest,
        })
    }

    fn optional_match(&self, map: &Map) -> Result<Match, Diag> {
        map.get("match")
            .map_or_else(|| Ok(Match::default()), |m| self.matcher(m))
    }

    /// The usage file, relative to the policy file.
    fn usage(&self, node: &Node) -> Result<Usage, Diag> {
        let name = self.text(node, "usage")?;
        let dir = self.source.path.parent().unwrap_or(Path::new(""));
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            self.err(
                format!("cannot read the usage file {}: {e}", path.display()),
                node.pos,
            )
        })?;
        Usage::parse(&Source::new(path, text))
    }

    fn usage_strategy(&self, node: &Node) -> Result<UsageStrategy, Diag> {
        let keys = [
            "cpuPercentile",
            "cpuHeadroom",
            "memoryPercentile",
            "memoryHeadroom",
            "cpuLimit",
        ];
        let map = self.fields(node, "`usageStrategy`", &keys)?;
        let mut s = UsageStrategy::default();
        for e in &map.entries {
            let v = &e.value;
            let stat = || {
                let t = self.text(v, &e.key)?;
                if usage::is_stat(&t) {
                    Ok(t)
                } else {
                    Err(self.err(
                        format!("`{}` must be max or a percentile like p95", e.key),
                        v.pos,
                    ))
                }
            };
            let headroom = || match v.as_f64() {
                Some(f) if f >= 0.0 && f.is_finite() => Ok(f),
                _ => Err(self.err(
                    format!(
                        "`{}` must be a fraction of at least 0, like 0.15 for 15%",
                        e.key
                    ),
                    v.pos,
                )),
            };
            match e.key.as_str() {
                "cpuPercentile" => s.cpu_stat = stat()?,
                "memoryPercentile" => s.memory_stat = stat()?,
                "cpuHeadroom" => s.cpu_headroom = headroom()?,
                "memoryHeadroom" => s.memory_headroom = headroom()?,
                _ => {
                    s.cpu_limit = match (v.as_str(), v.as_f64()) {
                        (Some("remove"), _) => CpuLimit::Remove,
                        (Some("keep"), _) => CpuLimit::Keep,
                        (None, Some(r)) if r >= 1.0 && r.is_finite() => CpuLimit::Ratio(r),
                        _ => {
                            return Err(self.err(
                                "`cpuLimit` must be remove, keep, or a ratio to the request of at least 1, like 2",
                                v.pos,
                            ));
                        }
                    }
                }
            }
        }
        Ok(s)
    }

    /// A file with figures for a resource must have the one the strategy reads.
    fn check_columns(&self, usage: &Usage, s: &UsageStrategy, top: &Map) -> Result<(), Diag> {
        for (res, stat, key) in [
            ("cpu", &s.cpu_stat, "cpuPercentile"),
            ("memory", &s.memory_stat, "memoryPercentile"),
        ] {
            let column = format!("{res}_{stat}");
            let prefix = format!("{res}_");
            let has = |c: &String| c.starts_with(&prefix);
            if usage.columns.iter().any(has) && !usage.columns.contains(&column) {
                let pos = top
                    .get("usageStrategy")
                    .and_then(|n| n.get(key))
                    .or_else(|| top.get("usage"))
                    .map_or(Pos::NONE, |n| n.pos);
                let have: Vec<&str> = usage
                    .columns
                    .iter()
                    .filter(|c| has(c))
                    .map(String::as_str)
                    .collect();
                return Err(self.err(
                    format!(
                        "{} has no `{column}` figures (it has {}); set usageStrategy.{key} to one of those",
                        usage.file,
                        have.join(", ")
                    ),
                    pos,
                ));
            }
        }
        Ok(())
    }

    fn probes(&self, node: &Node) -> Result<ProbePolicy, Diag> {
        let keys = [
            "match",
            "removeWaitInitContainers",
            "startupFailureThreshold",
            "startupPeriodSeconds",
        ];
        let map = self.fields(node, "`probes`", &keys)?;
        let get = |k: &str| map.get(k);
        Ok(ProbePolicy {
            when: self.optional_match(map)?,
            at: self.at(node),
            remove_wait_init_containers: get("removeWaitInitContainers")
                .map(|v| self.boolean(v, "removeWaitInitContainers"))
                .transpose()?
                .unwrap_or(false),
            // 30 × the default 10 s period: five minutes for a dependency to come up.
            startup_failure_threshold: get("startupFailureThreshold")
                .map(|v| self.int(v, "startupFailureThreshold", 1))
                .transpose()?
                .unwrap_or(30),
            startup_period_seconds: get("startupPeriodSeconds")
                .map(|v| self.int(v, "startupPeriodSeconds", 1))
                .transpose()?,
        })
    }

    fn rollout(&self, node: &Node) -> Result<RolloutPolicy, Diag> {
        let keys = ["match", "maxUnavailable", "maxSurge", "pdb", "antiAffinity"];
        let map = self.fields(node, "`rollout`", &keys)?;
        let mut p = RolloutPolicy {
            when: self.optional_match(map)?,
            at: self.at(node),
            ..RolloutPolicy::default()
        };
        for e in &map.entries {
            let v = &e.value;
            match e.key.as_str() {
                "maxUnavailable" => {
                    p.max_unavailable = Some(self.int_or_percent(v, "maxUnavailable")?)
                }
                "maxSurge" => p.max_surge = Some(self.int_or_percent(v, "maxSurge")?),
                "pdb" => {
                    let m = self.fields(v, "`pdb`", &["minAvailable", "maxUnavailable"])?;
                    p.pdb = Some(match (m.get("minAvailable"), m.get("maxUnavailable")) {
                        (Some(n), None) => {
                            PdbPolicy::MinAvailable(self.int_or_percent(n, "minAvailable")?)
                        }
                        (None, Some(n)) => {
                            PdbPolicy::MaxUnavailable(self.int_or_percent(n, "maxUnavailable")?)
                        }
                        _ => {
                            return Err(self.err(
                                "`pdb` needs exactly one of minAvailable and maxUnavailable",
                                v.pos,
                            ));
                        }
                    });
                }
                "antiAffinity" => {
                    p.anti_affinity = match self.text(v, "antiAffinity")?.as_str() {
                        "preferred" => true,
                        "none" => false,
                        _ => {
                            return Err(self
                                .err("`antiAffinity` must be preferred or none", v.pos)
                                .with_help("required anti-affinity leaves pods Pending once replicas outnumber nodes"));
                        }
                    }
                }
                _ => {}
            }
        }
        let zero = |v: Option<IntOrPercent>| {
            matches!(v, Some(IntOrPercent::Int(0) | IntOrPercent::Percent(0)))
        };
        if zero(p.max_unavailable) && zero(p.max_surge) {
            return Err(self.err(
                "maxUnavailable and maxSurge cannot both be 0: the rollout could never start",
                node.pos,
            ));
        }
        Ok(p)
    }

    fn security(&self, node: &Node) -> Result<SecurityPolicy, Diag> {
        let keys = [
            "match",
            "runAsNonRoot",
            "allowPrivilegeEscalation",
            "readOnlyRootFilesystem",
            "dropAllCapabilities",
            "seccompProfile",
        ];
        let map = self.fields(node, "`security`", &keys)?;
        let flag = |k: &str| map.get(k).map(|v| self.boolean(v, k)).transpose();
        if let Some(v) = map.get("allowPrivilegeEscalation")
            && self.boolean(v, "allowPrivilegeEscalation")?
        {
            return Err(self.err(
                "`allowPrivilegeEscalation: true` hardens nothing; use false or leave it out",
                v.pos,
            ));
        }
        let seccomp = match map.get("seccompProfile") {
            Some(v) if self.text(v, "seccompProfile")? == "RuntimeDefault" => true,
            Some(v) => return Err(self.err("`seccompProfile` must be RuntimeDefault", v.pos)),
            None => false,
        };
        Ok(SecurityPolicy {
            when: self.optional_match(map)?,
            at: self.at(node),
            run_as_non_root: flag("runAsNonRoot")?.unwrap_or(false),
            no_privilege_escalation: map.contains_key("allowPrivilegeEscalation"),
            read_only_root_filesystem: flag("readOnlyRootFilesystem")?.unwrap_or(false),
            drop_all_capabilities: flag("dropAllCapabilities")?.unwrap_or(false),
            seccomp_runtime_default: seccomp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Policy, Diag> {
        Policy::parse(&Source::new("policy.yaml", text.to_string()))
    }

    const HEAD: &str = "apiVersion: kfold.dev/v1alpha1\nkind: Policy\n";

    #[test]
    fn images_match_by_reference_or_last_path_element() {
        assert!(image_matches("postgres*", "postgres:16.2"));
        assert!(image_matches("app", "registry.example.com/team/app:1.0"));
        assert!(image_matches(
            "app:1.*",
            "registry.example.com/team/app:1.0"
        ));
        assert!(image_matches(
            "ghcr.io/acme/*",
            "ghcr.io/acme/acme-api:1.4.2"
        ));
        assert!(!image_matches(
            "app",
            "registry.example.com/team/application:1.0"
        ));
        assert!(image_matches("redis*", "redis@sha256:abc"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors_at_their_line() {
        let e = parse(&format!(
            "{HEAD}resources:\n  - match: {{}}\n    request: {{cpu: 1}}\n"
        ))
        .unwrap_err();
        assert_eq!(e.location().as_deref(), Some("policy.yaml:5:5"));
        assert!(e.message.contains("unknown key `request`"), "{}", e.message);
        let e = parse(&format!("{HEAD}hpa:\n  - match: {{nam: x}}\n")).unwrap_err();
        assert_eq!(e.location().as_deref(), Some("policy.yaml:4:13"));
        let e = parse(&format!(
            "{HEAD}storage:\n  - match: {{}}\n    size: lots\n"
        ))
        .unwrap_err();
        assert_eq!(e.location().as_deref(), Some("policy.yaml:5:11"));
        assert!(parse("apiVersion: v1\nkind: Policy\n").is_err());
    }

    #[test]
    fn matches_use_every_key_given() {
        let p = parse(&format!(
            "{HEAD}resources:\n  - match: {{kind: Deploy*, labels: {{tier: web}}, container: app, image: nginx}}\n"
        ))
        .unwrap();
        let m = &p.resources[0].when;
        let mut s = Subject {
            kind: "Deployment",
            name: "web",
            labels: [("tier", "web")].into(),
            containers: vec![("app", "nginx:1.25")],
            ..Subject::default()
        };
        assert!(m.matches(&s));
        s.containers = vec![("sidecar", "nginx:1.25")];
        assert!(!m.matches(&s));
    }
}
