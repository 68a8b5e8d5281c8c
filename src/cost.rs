//! Monthly cost from what manifests request: CPU and memory requests × replicas × hours a
//! month, plus persistent storage. Requests stay exact (millicores, bytes) until priced.

use crate::doc::quantity::Quantity;
use crate::doc::views::{Container, Field, Hpa, PodSpec, Pvc, Workload, WorkloadKind};
use crate::doc::{Document, Source, Value};
use crate::error::Diag;
use crate::kustomize::same_namespace;
use std::path::Path;
use std::sync::Arc;

const GIB: f64 = (1u64 << 30) as f64;

/// Dollar prices. The defaults are OpenCost's: `configs/default.json` of opencost/opencost
/// ("Default prices based on GCP us-central1"), read 2026-11-29 at commit 0d1f69c. OpenCost
/// prices storage per GiB-hour (0.00005479452); × 730 hours that is $0.04 per GiB-month.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prices {
    pub cpu_hour: f64,
    pub memory_gib_hour: f64,
    pub storage_gib_month: f64,
    pub hours_per_month: f64,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            cpu_hour: 0.031611,
            memory_gib_hour: 0.004237,
            storage_gib_month: 0.04,
            hours_per_month: 730.0,
        }
    }
}

impl Prices {
    pub const KEYS: [&'static str; 4] = [
        "cpuHour",
        "memoryGiBHour",
        "storageGiBMonth",
        "hoursPerMonth",
    ];

    pub fn from_file(path: &Path) -> Result<Prices, Diag> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diag::new(format!("cannot read: {e}")).in_file(path.display().to_string())
        })?;
        Prices::parse(&Source::new(path, text))
    }

    /// A YAML mapping of any of [`Prices::KEYS`]; the others keep their defaults.
    pub fn parse(source: &Arc<Source>) -> Result<Prices, Diag> {
        let mut prices = Prices::default();
        let Some(root) = source.first_root()? else {
            return Ok(prices);
        };
        let Some(map) = root.as_map() else {
            return Err(Diag::new("a price file must be a mapping").at(source, root.pos));
        };
        for e in &map.entries {
            let slot = match e.key.as_str() {
                "cpuHour" => &mut prices.cpu_hour,
                "memoryGiBHour" => &mut prices.memory_gib_hour,
                "storageGiBMonth" => &mut prices.storage_gib_month,
                "hoursPerMonth" => &mut prices.hours_per_month,
                key => {
                    return Err(Diag::new(format!("unknown key `{key}`"))
                        .at(source, e.key_pos)
                        .with_help(format!("the keys are {}", Prices::KEYS.join(", "))));
                }
            };
            *slot = match e.value.as_f64() {
                Some(v) if v.is_finite() && v >= 0.0 && (v > 0.0 || e.key != "hoursPerMonth") => v,
                _ => {
                    let what = if e.key == "hoursPerMonth" {
                        "a positive number"
                    } else {
                        "a number, 0 or more"
                    };
                    return Err(
                        Diag::new(format!("`{}` must be {what}", e.key)).at(source, e.value.pos)
                    );
                }
            };
        }
        Ok(prices)
    }
}

/// How a row's replica count was arrived at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// `spec.replicas` (1 when absent) or a lone Pod.
    Replicas,
    /// An HPA's minReplicas..maxReplicas.
    Autoscaled,
    /// A DaemonSet: one pod on each node, priced for one node.
    PerNode,
    /// A Job or CronJob: priced as one pod running all month.
    Job,
    /// A PersistentVolumeClaim.
    Claim,
}

impl Basis {
    pub fn note(self) -> Option<&'static str> {
        match self {
            Basis::PerNode => Some("per node"),
            Basis::Job => Some("one pod, all month"),
            _ => None,
        }
    }
}

/// One workload or claim in one environment. Requests are per pod; a claim's storage is
/// its own, a StatefulSet's is its volumeClaimTemplates per replica.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub environment: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// (min, max): equal unless an HPA scales the workload.
    pub replicas: (i64, i64),
    pub basis: Basis,
    pub cpu_millis: i128,
    pub memory_bytes: i128,
    pub storage_bytes: i128,
}

impl Row {
    /// Dollars a month with `replicas` pods, to the cent.
    pub fn monthly_at(&self, replicas: i64, p: &Prices) -> f64 {
        let n = i128::from(replicas);
        let cores = n.saturating_mul(self.cpu_millis) as f64 / 1000.0;
        let gib = |bytes: i128| n.saturating_mul(bytes) as f64 / GIB;
        cents(
            p.hours_per_month * (cores * p.cpu_hour + gib(self.memory_bytes) * p.memory_gib_hour)
                + gib(self.storage_bytes) * p.storage_gib_month,
        )
    }

    pub fn monthly(&self, p: &Prices) -> f64 {
        self.monthly_at(self.replicas.0, p)
    }

    pub fn monthly_max(&self, p: &Prices) -> f64 {
        self.monthly_at(self.replicas.1, p)
    }
}

/// Rows are rounded to the cent before they are summed, so printed rows add up to the total.
pub fn cents(dollars: f64) -> f64 {
    (dollars * 100.0).round() / 100.0
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub monthly: f64,
    pub monthly_max: f64,
}

pub fn totals<'a>(rows: impl IntoIterator<Item = &'a Row>, p: &Prices) -> Totals {
    let (min, max) = rows.into_iter().fold((0.0, 0.0), |(a, b), r| {
        (a + r.monthly(p), b + r.monthly_max(p))
    });
    Totals {
        monthly: cents(min),
        monthly_max: cents(max),
    }
}

/// The change from `before` to `after`, and as a percentage of `before` (none from zero).
pub fn delta(before: f64, after: f64) -> (f64, Option<f64>) {
    let d = cents(after - before);
    (
        d,
        (before != 0.0).then(|| (d / before * 1000.0).round() / 10.0),
    )
}

/// A running container (regular or sidecar) without a CPU or memory request.
#[derive(Clone, Debug, PartialEq)]
pub struct Missing {
    pub environment: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub container: String,
    pub resources: Vec<&'static str>,
}

/// Rows for every environment added, what they lack, and the values that could not be read.
#[derive(Debug, Default)]
pub struct Estimate {
    pub rows: Vec<Row>,
    pub missing: Vec<Missing>,
    pub errors: Vec<Diag>,
}

impl Estimate {
    pub fn add(&mut self, environment: &str, docs: &[Document]) {
        let hpas: Vec<Hpa> = docs.iter().filter_map(Hpa::of).collect();
        for doc in docs {
            let row = |replicas, basis| Row {
                environment: environment.to_string(),
                kind: doc.kind().to_string(),
                namespace: doc.namespace().to_string(),
                name: doc.name().to_string(),
                replicas,
                basis,
                cpu_millis: 0,
                memory_bytes: 0,
                storage_bytes: 0,
            };
            if let Some(pvc) = Pvc::of(doc) {
                let storage_bytes = self.storage(doc, &pvc);
                self.rows.push(Row {
                    storage_bytes,
                    ..row((1, 1), Basis::Claim)
                });
                continue;
            }
            let Some(w) = Workload::of(doc) else { continue };
            let (replicas, basis) = match w.kind() {
                WorkloadKind::DaemonSet => ((1, 1), Basis::PerNode),
                WorkloadKind::Job | WorkloadKind::CronJob => ((1, 1), Basis::Job),
                WorkloadKind::Pod => ((1, 1), Basis::Replicas),
                _ => match hpas.iter().find(|h| targets(h, doc)) {
                    Some(h) => (hpa_range(h), Basis::Autoscaled),
                    None => {
                        let n = self.replicas(doc, &w);
                        ((n, n), Basis::Replicas)
                    }
                },
            };
            let mut r = row(replicas, basis);
            if let Some(spec) = w.pod_spec() {
                (r.cpu_millis, r.memory_bytes) = self.pod_requests(&r, doc, &spec);
            }
            r.storage_bytes = w
                .volume_claim_templates()
                .iter()
                .fold(0, |sum, t| sum.saturating_add(self.storage(doc, t)));
            self.rows.push(r);
        }
    }

    fn replicas(&mut self, doc: &Document, w: &Workload) -> i64 {
        match w.at(&["spec", "replicas"]) {
            None => 1,
            Some(f) if f.node.is_null() => 1,
            Some(f) => match f.as_i64().filter(|n| *n >= 0) {
                Some(n) => n,
                None => {
                    self.errors.push(
                        Diag::new("`replicas` must be a whole number, 0 or more")
                            .at_doc(doc, &f.pointer()),
                    );
                    1
                }
            },
        }
    }

    fn storage(&mut self, doc: &Document, pvc: &Pvc) -> i128 {
        self.quantity(doc, pvc.storage_request())
            .map_or(0, Quantity::as_value)
    }

    /// Kubernetes' effective pod request, per resource: the larger of what the running
    /// containers need together and the peak while init containers run one by one, sidecars
    /// (`restartPolicy: Always` init containers) counting from their start on. Without
    /// sidecars that is max(max(init), sum(regular)).
    fn pod_requests(&mut self, row: &Row, doc: &Document, spec: &PodSpec) -> (i128, i128) {
        let mut sidecars = (0i128, 0i128);
        let mut init_peak = (0i128, 0i128);
        for c in spec.init_containers() {
            let sidecar = c.str(&["restartPolicy"]) == Some("Always");
            let (cpu, mem) = self.container_requests(row, doc, &c, sidecar);
            if sidecar {
                sidecars = (
                    sidecars.0.saturating_add(cpu),
                    sidecars.1.saturating_add(mem),
                );
            }
            let (cpu, mem) = if sidecar {
                sidecars
            } else {
                (
                    cpu.saturating_add(sidecars.0),
                    mem.saturating_add(sidecars.1),
                )
            };
            init_peak = (init_peak.0.max(cpu), init_peak.1.max(mem));
        }
        let running = spec.containers().iter().fold(sidecars, |(cpu, mem), c| {
            let (c_cpu, c_mem) = self.container_requests(row, doc, c, true);
            (cpu.saturating_add(c_cpu), mem.saturating_add(c_mem))
        });
        (running.0.max(init_peak.0), running.1.max(init_peak.1))
    }

    /// (millicores, bytes). A resource with a limit and no request is requested at its
    /// limit, as the API server defaults it; one with neither counts as zero and, for a
    /// container that keeps running, is recorded as missing.
    fn container_requests(
        &mut self,
        row: &Row,
        doc: &Document,
        c: &Container,
        running: bool,
    ) -> (i128, i128) {
        let res = c.resources();
        let mut absent = Vec::new();
        let mut get = |name: &'static str| {
            let field = |list: &str| {
                res.as_ref()?
                    .at(&[list, name])
                    .filter(|f| !f.node.is_null())
            };
            let field = field("requests").or_else(|| field("limits"));
            if field.is_none() {
                absent.push(name);
            }
            self.quantity(doc, field)
        };
        let (cpu, mem) = (get("cpu"), get("memory"));
        if running && !absent.is_empty() {
            self.missing.push(Missing {
                environment: row.environment.clone(),
                kind: row.kind.clone(),
                namespace: row.namespace.clone(),
                name: row.name.clone(),
                container: c.name().unwrap_or("").to_string(),
                resources: absent,
            });
        }
        (
            cpu.map_or(0, Quantity::as_milli),
            mem.map_or(0, Quantity::as_value),
        )
    }

    /// A quantity as the API server reads it; `None` when absent or unreadable (recorded).
    fn quantity(&mut self, doc: &Document, field: Option<Field>) -> Option<Quantity> {
        let f = field.filter(|f| !f.node.is_null())?;
        let parsed = match &f.node.value {
            Value::String(s) => Quantity::from_string_value(s).map_err(|e| e.to_string()),
            Value::Int(_) | Value::UInt(_) | Value::Float(_) => {
                Quantity::from_yaml_scalar(&f.node.scalar_text()?).map_err(|e| e.to_string())
            }
            _ => Err("expected a quantity such as 500m or 1Gi".to_string()),
        };
        match parsed {
            Ok(q) if q.signum() >= 0 => Some(q),
            Ok(_) => {
                self.errors
                    .push(Diag::new("a request may not be negative").at_doc(doc, &f.pointer()));
                None
            }
            Err(e) => {
                self.errors.push(Diag::new(e).at_doc(doc, &f.pointer()));
                None
            }
        }
    }
}

fn targets(hpa: &Hpa, doc: &Document) -> bool {
    hpa.scale_target_ref()
        .is_some_and(|t| t.kind() == Some(doc.kind()) && t.name() == Some(doc.name()))
        && same_namespace(
            hpa.str(&["metadata", "namespace"]).unwrap_or(""),
            doc.namespace(),
        )
}

/// minReplicas defaults to 1; a max below the min (which the API server rejects) reads as the min.
fn hpa_range(hpa: &Hpa) -> (i64, i64) {
    let min = hpa.min_replicas().unwrap_or(1).max(0);
    (min, hpa.max_replicas().unwrap_or(min).max(min))
}

/// Pairs baseline rows with current ones: by (environment, kind, namespace, name), then rows
/// of environments only one side has by (kind, namespace, name) where that is unambiguous.
/// Current rows come in order, each with its baseline; baseline rows left over follow.
pub fn compare<'a>(before: &'a [Row], after: &'a [Row]) -> Vec<(Option<&'a Row>, Option<&'a Row>)> {
    fn key(r: &Row) -> (&str, &str, &str) {
        (&r.kind, &r.namespace, &r.name)
    }
    let mut used = vec![false; before.len()];
    let mut pairs: Vec<(Option<usize>, &Row)> = after
        .iter()
        .map(|a| {
            let i = before
                .iter()
                .enumerate()
                .position(|(i, b)| !used[i] && b.environment == a.environment && key(b) == key(a));
            if let Some(i) = i {
                used[i] = true;
            }
            (i, a)
        })
        .collect();
    let only_after = |r: &Row| !before.iter().any(|b| b.environment == r.environment);
    let only_before = |r: &Row| !after.iter().any(|a| a.environment == r.environment);
    let lone_after: Vec<usize> = (0..pairs.len())
        .filter(|&i| pairs[i].0.is_none() && only_after(pairs[i].1))
        .collect();
    for &p in &lone_after {
        let k = key(pairs[p].1);
        let candidates: Vec<usize> = (0..before.len())
            .filter(|&i| !used[i] && only_before(&before[i]) && key(&before[i]) == k)
            .collect();
        let rivals = lone_after.iter().filter(|&&q| key(pairs[q].1) == k).count();
        if let ([i], 1) = (candidates.as_slice(), rivals) {
            used[*i] = true;
            pairs[p].0 = Some(*i);
        }
    }
    let mut out: Vec<_> = pairs
        .into_iter()
        .map(|(i, a)| (i.map(|i| &before[i]), Some(a)))
        .collect();
    out.extend(
        before
            .iter()
            .zip(used)
            .filter(|(_, u)| !u)
            .map(|(b, _)| (Some(b), None)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    fn docs(text: &str) -> Vec<Document> {
        let source = Source::new("test.yaml", text.to_string());
        parse_str(text)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(index, root)| Document {
                origin: None,
                source: source.clone(),
                index,
                item: None,
                root,
            })
            .collect()
    }

    fn estimate(text: &str) -> Estimate {
        let mut e = Estimate::default();
        e.add("prod", &docs(text));
        e
    }

    fn deployment(replicas: &str, pod: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: shop}}\nspec:\n{replicas}  template:\n    spec:\n{pod}"
        )
    }

    const TWO_CONTAINERS: &str = "      containers:\n      - {name: a, resources: {requests: {cpu: 250m, memory: 256Mi}}}\n      - {name: b, resources: {requests: {cpu: \"0.5\", memory: 1Gi}}}\n";

    #[test]
    fn requests_are_summed_exactly_and_priced_per_replica() {
        let e = estimate(&deployment("  replicas: 3\n", TWO_CONTAINERS));
        assert!(e.errors.is_empty() && e.missing.is_empty());
        let r = &e.rows[0];
        assert_eq!(
            (r.cpu_millis, r.memory_bytes, r.replicas, r.basis),
            (750, 1280 << 20, (3, 3), Basis::Replicas)
        );
        let p = Prices::default();
        // 3 × (0.75 × 0.031611 + 1.25 × 0.004237) × 730 = 63.51...
        let expected = cents(3.0 * (0.75 * 0.031611 + 1.25 * 0.004237) * 730.0);
        assert_eq!(r.monthly(&p), expected);
        assert_eq!(expected, 63.52);
        let one = Prices {
            cpu_hour: 1.0,
            memory_gib_hour: 1.0,
            storage_gib_month: 1.0,
            hours_per_month: 1.0,
        };
        assert_eq!(r.monthly(&one), 6.0);
    }

    #[test]
    fn absent_replicas_mean_one_and_zero_is_free() {
        assert_eq!(
            estimate(&deployment("", TWO_CONTAINERS)).rows[0].replicas,
            (1, 1)
        );
        let zero = &estimate(&deployment("  replicas: 0\n", TWO_CONTAINERS)).rows[0];
        assert_eq!(zero.monthly(&Prices::default()), 0.0);
        assert_eq!(
            estimate(&deployment("  replicas: many\n", TWO_CONTAINERS))
                .errors
                .len(),
            1
        );
    }

    #[test]
    fn an_hpa_gives_a_range_from_min_to_max() {
        let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n";
        let e = estimate(&format!(
            "{}{hpa}  minReplicas: 2\n  maxReplicas: 10\n",
            deployment("  replicas: 3\n", TWO_CONTAINERS)
        ));
        let r = &e.rows[0];
        assert_eq!((r.replicas, r.basis), ((2, 10), Basis::Autoscaled));
        let p = Prices::default();
        assert_eq!(r.monthly_max(&p), r.monthly_at(10, &p));
        assert_eq!(
            totals(&e.rows, &p),
            Totals {
                monthly: r.monthly_at(2, &p),
                monthly_max: r.monthly_at(10, &p)
            }
        );
        // minReplicas defaults to 1; an HPA in another namespace targets something else.
        let e = estimate(&format!(
            "{}{hpa}  maxReplicas: 4\n",
            deployment("", TWO_CONTAINERS)
        ));
        assert_eq!(e.rows[0].replicas, (1, 4));
        let elsewhere = hpa.replace("namespace: shop", "namespace: other");
        let e = estimate(&format!(
            "{}{elsewhere}  maxReplicas: 4\n",
            deployment("  replicas: 3\n", TWO_CONTAINERS)
        ));
        assert_eq!(e.rows[0].replicas, (3, 3));
    }

    #[test]
    fn init_containers_count_when_they_need_more_than_the_regular_ones() {
        let init = |cpu: &str, mem: &str| {
            format!(
                "      initContainers:\n      - {{name: migrate, resources: {{requests: {{cpu: {cpu}, memory: {mem}}}}}}}\n{TWO_CONTAINERS}"
            )
        };
        let r = &estimate(&deployment("", &init("2", "128Mi"))).rows[0];
        assert_eq!((r.cpu_millis, r.memory_bytes), (2000, 1280 << 20));
        let r = &estimate(&deployment("", &init("100m", "4Gi"))).rows[0];
        assert_eq!((r.cpu_millis, r.memory_bytes), (750, 4 << 30));
        // A sidecar runs alongside everything after it: 1 + 0.75 regular, and init peaks at 1 + 1.5.
        let pod = format!(
            "      initContainers:\n      - {{name: proxy, restartPolicy: Always, resources: {{requests: {{cpu: \"1\", memory: 1Gi}}}}}}\n      - {{name: warm, resources: {{requests: {{cpu: 1500m, memory: 1Gi}}}}}}\n{TWO_CONTAINERS}"
        );
        let r = &estimate(&deployment("", &pod)).rows[0];
        assert_eq!(
            (r.cpu_millis, r.memory_bytes),
            (2500, (2 << 30) + (256 << 20))
        );
    }

    #[test]
    fn missing_requests_count_as_zero_and_are_listed_and_limits_stand_in() {
        let pod = "      containers:\n      - {name: a, resources: {limits: {cpu: \"1\", memory: 1Gi}}}\n      - {name: b, resources: {requests: {cpu: 100m}}}\n      - {name: c}\n";
        let e = estimate(&deployment("", pod));
        assert_eq!(
            (e.rows[0].cpu_millis, e.rows[0].memory_bytes),
            (1100, 1 << 30)
        );
        let missing: Vec<(&str, &[&str])> = e
            .missing
            .iter()
            .map(|m| (m.container.as_str(), m.resources.as_slice()))
            .collect();
        assert_eq!(
            missing,
            [("b", &["memory"][..]), ("c", &["cpu", "memory"][..])]
        );
    }

    #[test]
    fn bad_quantities_are_errors_at_their_line() {
        let pod = "      containers:\n      - {name: a, resources: {requests: {cpu: 1 core, memory: -1Gi}}}\n";
        let e = estimate(&deployment("", pod));
        let errors: Vec<String> = e.errors.iter().map(|d| format!("{}", d)).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with("test.yaml:8:47:")
                && errors[0].contains("invalid quantity \"1 core\""),
            "{errors:?}"
        );
        assert!(errors[1].contains("negative"), "{errors:?}");
        assert!(e.missing.is_empty());
    }

    #[test]
    fn statefulset_claims_are_multiplied_by_replicas_and_pvcs_are_rows() {
        let text = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers: [{name: pg, resources: {requests: {cpu: \"1\", memory: 2Gi}}}]\n  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {resources: {requests: {storage: 20Gi}}}\n  - metadata: {name: wal}\n    spec: {resources: {requests: {storage: 5Gi}}}\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: cache}\nspec: {resources: {requests: {storage: 10Gi}}}\n";
        let e = estimate(text);
        let storage_only = Prices {
            cpu_hour: 0.0,
            memory_gib_hour: 0.0,
            ..Prices::default()
        };
        assert_eq!(
            (e.rows[0].storage_bytes, e.rows[0].replicas),
            (25 << 30, (3, 3))
        );
        assert_eq!(e.rows[0].monthly(&storage_only), 3.0);
        assert_eq!(
            (
                e.rows[1].kind.as_str(),
                e.rows[1].basis,
                e.rows[1].monthly(&storage_only)
            ),
            ("PersistentVolumeClaim", Basis::Claim, 0.4)
        );
    }

    #[test]
    fn daemonsets_and_jobs_count_one_pod() {
        let text = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec: {template: {spec: {containers: [{name: a, resources: {requests: {cpu: 100m, memory: 64Mi}}}]}}}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: backup}\nspec: {jobTemplate: {spec: {parallelism: 4, template: {spec: {containers: [{name: b, resources: {requests: {cpu: \"2\", memory: 1Gi}}}]}}}}}\n";
        let e = estimate(text);
        let got: Vec<_> = e
            .rows
            .iter()
            .map(|r| (r.basis, r.replicas, r.cpu_millis))
            .collect();
        assert_eq!(
            got,
            [(Basis::PerNode, (1, 1), 100), (Basis::Job, (1, 1), 2000)]
        );
        assert_eq!(Basis::PerNode.note(), Some("per node"));
    }

    #[test]
    fn deltas_and_percentages() {
        assert_eq!(delta(3125.0, 900.0), (-2225.0, Some(-71.2)));
        assert_eq!(delta(0.0, 10.0), (10.0, None));
        assert_eq!(delta(0.1 + 0.2, 0.3), (0.0, Some(0.0)));
    }

    fn row(env: &str, name: &str) -> Row {
        Row {
            environment: env.into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: name.into(),
            replicas: (1, 1),
            basis: Basis::Replicas,
            cpu_millis: 0,
            memory_bytes: 0,
            storage_bytes: 0,
        }
    }

    #[test]
    fn rows_match_by_environment_then_by_name_across_environments_only_one_side_has() {
        let before = [
            row("prod", "api"),
            row("prod", "old"),
            row("-", "web"),
            row("-", "twin"),
            row("-", "twin"),
        ];
        let after = [
            row("prod", "api"),
            row("prod", "web"),
            row("main", "web"),
            row("main", "twin"),
            row("main", "new"),
        ];
        let got: Vec<(Option<String>, Option<String>)> = compare(&before, &after)
            .into_iter()
            .map(|(b, a)| {
                (
                    b.map(|r| format!("{}/{}", r.environment, r.name)),
                    a.map(|r| format!("{}/{}", r.environment, r.name)),
                )
            })
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            [
                (s("prod/api"), s("prod/api")),
                // prod exists on both sides: its new `web` is not the plain files' `web`.
                (None, s("prod/web")),
                (s("-/web"), s("main/web")),
                // Two `twin`s before: which one it was is anyone's guess.
                (None, s("main/twin")),
                (None, s("main/new")),
                (s("prod/old"), None),
                (s("-/twin"), None),
                (s("-/twin"), None),
            ]
        );
    }

    #[test]
    fn price_files_override_defaults_and_reject_unknown_keys_at_their_line() {
        let parse = |text: &str| Prices::parse(&Source::new("prices.yaml", text.to_string()));
        let p = parse("cpuHour: 0.05\nhoursPerMonth: 720\n").unwrap();
        assert_eq!(
            p,
            Prices {
                cpu_hour: 0.05,
                hours_per_month: 720.0,
                ..Prices::default()
            }
        );
        assert_eq!(parse("").unwrap(), Prices::default());
        let err = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            err("cpuHour: 0.05\nramHour: 1\n"),
            "prices.yaml:2:1: unknown key `ramHour`"
        );
        assert_eq!(
            err("memoryGiBHour: cheap\n"),
            "prices.yaml:1:16: `memoryGiBHour` must be a number, 0 or more"
        );
        assert_eq!(
            err("storageGiBMonth: -1\n"),
            "prices.yaml:1:18: `storageGiBMonth` must be a number, 0 or more"
        );
        assert_eq!(
            err("hoursPerMonth: 0\n"),
            "prices.yaml:1:16: `hoursPerMonth` must be a positive number"
        );
        assert_eq!(
            err("[1, 2]\n"),
            "prices.yaml:1:1: a price file must be a mapping"
        );
        assert!(err("cpuHour: [\n").starts_with("prices.yaml:"));
    }
}
