//! probes-over-init-waits: init containers that only wait for a dependency
//! (`until pg_isready -h db; do sleep 2; done`, as the init-container-wait-loop rule
//! detects them) are removed, and the main container gets a
//! startupProbe (or a longer one) so the app itself has time to come up once the
//! dependency does. A wait that guards a later init container (a migration, say) stays:
//! without it that container would crash-loop instead. Jobs and CronJobs keep theirs: a
//! run-to-completion container has no startup phase to probe.

use super::{ChangeLog, Pass, PassLog, display, int, map, workload_subject};
use crate::doc::pointer::Op;
use crate::doc::views::{Container, Probe, Workload, WorkloadKind};
use crate::doc::{Document, Node};
use crate::policy::{Policy, ProbePolicy};

pub struct ProbesOverInitWaits;

/// The wait's script on one line, for reasons.
fn wait_script(c: &Container) -> Option<String> {
    let script = crate::rules::wait_loop(c)?;
    Some(
        script
            .as_str()?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

impl Pass for ProbesOverInitWaits {
    fn name(&self) -> &'static str {
        "probes-over-init-waits"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        let Some(p) = policy
            .probes
            .as_ref()
            .filter(|p| p.remove_wait_init_containers)
        else {
            return;
        };
        let mut log = log.pass(self.name());
        for doc in docs.iter_mut() {
            if p.when.matches(&workload_subject(doc)) {
                replace_waits(doc, p, &mut log);
            }
        }
    }
}

/// What to do to one workload, read before anything is edited.
struct Plan {
    /// Pointer, name and check of each wait to remove.
    waits: Vec<(String, String, String)>,
    main: String,
    startup_at: String,
    /// The current startupProbe's failureThreshold and period, when there is one.
    existing: Option<(i64, i64)>,
    handler: Option<(&'static str, Node)>,
}

fn plan(doc: &Document, log: &mut PassLog) -> Option<Plan> {
    let workload = Workload::of(doc)?;
    if matches!(workload.kind(), WorkloadKind::Job | WorkloadKind::CronJob) {
        return None;
    }
    let spec = workload.pod_spec()?;
    let who = display(&doc.id());
    let inits = spec.init_containers();
    let checks: Vec<Option<String>> = inits.iter().map(wait_script).collect();
    // A wait guards every init container after it: keep it when one of them does real work.
    let last_real = checks.iter().rposition(Option::is_none);
    let mut waits = Vec::new();
    for (i, (c, check)) in inits.iter().zip(&checks).enumerate() {
        let (Some(check), name) = (check, c.name().unwrap_or("?")) else {
            continue;
        };
        match last_real.filter(|&r| r > i) {
            Some(r) => log.note(format!(
                "{who}: kept the init container {name}: it also makes the init container {} wait",
                inits[r].name().unwrap_or("?")
            )),
            None => waits.push((c.pointer().to_string(), name.to_string(), check.clone())),
        }
    }
    if waits.is_empty() {
        return None;
    }
    let containers = spec.containers();
    let main = containers
        .iter()
        .find(|c| c.name() == Some(doc.name()))
        .or(containers.first())?;
    Some(Plan {
        waits,
        main: main.name().unwrap_or("?").to_string(),
        startup_at: main.pointer_to(&["startupProbe"]),
        existing: main.startup_probe().map(|p| {
            (
                p.failure_threshold().unwrap_or(3),
                p.period_seconds().unwrap_or(10),
            )
        }),
        handler: handler(main),
    })
}

fn replace_waits(doc: &mut Document, p: &ProbePolicy, log: &mut PassLog) {
    let Some(plan) = plan(doc, log) else { return };
    let names: Vec<&str> = plan.waits.iter().map(|(_, n, _)| n.as_str()).collect();
    let names = names.join(", ");
    let threshold = p.startup_failure_threshold;
    let why = format!(
        "replaces the init wait ({names}) with time for the app itself to come up (probes rule at {})",
        p.at
    );
    let budget = match (plan.existing, plan.handler) {
        (Some((current, period)), _) => {
            if current < threshold {
                log.set(
                    doc,
                    &format!("{}/failureThreshold", plan.startup_at),
                    int(threshold),
                    &why,
                );
            }
            threshold.max(current) * period
        }
        (None, Some(handler)) => {
            let mut probe = vec![handler, ("failureThreshold", int(threshold))];
            if let Some(s) = p.startup_period_seconds {
                probe.push(("periodSeconds", int(s)));
            }
            log.set(doc, &plan.startup_at, map(probe), &why);
            threshold * p.startup_period_seconds.unwrap_or(10)
        }
        (None, None) => {
            log.note(format!(
                "{}: kept the init container(s) {names}: {} has no probe or port to build a startupProbe from",
                display(&doc.id()),
                plan.main
            ));
            return;
        }
    };
    finish(doc, plan.waits, &plan.main, budget, log);
}

/// The readiness (else liveness) probe's handler, else a TCP check of the first port.
fn handler(c: &Container) -> Option<(&'static str, Node)> {
    let from_probe = |p: Option<Probe>| {
        p.and_then(|p| p.handler())
            .map(|(h, f)| (h.key(), f.node.clone()))
    };
    if let Some(h) = from_probe(c.readiness_probe()).or_else(|| from_probe(c.liveness_probe())) {
        return Some(h);
    }
    let port = c.ports().first()?.container_port()?;
    Some(("tcpSocket", map(vec![("port", int(port))])))
}

fn finish(
    doc: &mut Document,
    waits: Vec<(String, String, String)>,
    main: &str,
    budget: i64,
    log: &mut PassLog,
) {
    let total = doc
        .at(&parent(&waits[0].0))
        .and_then(Node::as_seq)
        .map_or(0, <[Node]>::len);
    let all = total == waits.len();
    for (pointer, _, check) in waits.iter().rev() {
        let why = format!(
            "only waits for a dependency (`{check}`); the startupProbe on {main} covers startup instead"
        );
        log.remove(doc, pointer, &why);
    }
    if all {
        // The list itself, emptied by the removals above.
        log.apply(
            doc,
            vec![(
                Op::Remove {
                    path: parent(&waits[0].0),
                },
                false,
            )],
            "",
        );
    }
    let names: Vec<&str> = waits.iter().map(|(_, n, _)| n.as_str()).collect();
    log.note(format!(
        "{}: removed the init container(s) {}: {main} must now retry (or exit and be restarted) while its dependencies are down; its startupProbe allows {budget}s for that",
        display(&doc.id()),
        names.join(", ")
    ));
}

fn parent(pointer: &str) -> String {
    pointer
        .rsplit_once('/')
        .map_or(String::new(), |(p, _)| p.to_string())
}
