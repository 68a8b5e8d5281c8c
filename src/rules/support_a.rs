//! Helpers shared by the resource, probe, scaling and hygiene rules.

use crate::doc::pointer::Op;
use crate::doc::quantity::{Quantity, QuantityError};
use crate::doc::views::{Container, Field};
use crate::doc::{Document, Node, Value};
use crate::lint::effective_namespace;
use crate::lint::{Check, Ctx};
use std::collections::HashMap;

/// Kinds whose pods are meant to run forever (as opposed to Jobs and one-off Pods).
pub const LONG_RUNNING: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
];

/// Kinds with `spec.replicas` that an autoscaler can own.
pub const SCALABLE: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// A quantity as the API server reads it: quoted text is trimmed, unquoted numbers go through
/// YAML's number rules. `None` for null and collections.
pub fn quantity(field: &Field) -> Option<Result<Quantity, QuantityError>> {
    match &field.node.value {
        Value::String(s) => Some(Quantity::from_string_value(s)),
        Value::Null | Value::Seq(_) | Value::Map(_) => None,
        _ => Some(Quantity::from_yaml_scalar(field.text()?)),
    }
}

/// `resources.<list>.<resource>` of a container, if set to something other than null.
pub fn resource<'a>(c: &Container<'a>, list: &str, name: &str) -> Option<Field<'a>> {
    c.at(&["resources", list, name])
        .filter(|f| !f.node.is_null())
}

/// Reports regular and init containers without `resources.<list>.<name>`. A request
/// defaults to the limit, so it only counts as missing when the limit is missing too.
pub fn report_missing_resource(c: &mut Check, list: &str, name: &str, what: &str) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let mut containers = spec.init_containers();
    containers.extend(spec.containers());
    for container in containers {
        let present = resource(&container, list, name).is_some()
            || (list == "requests" && resource(&container, "limits", name).is_some());
        if !present {
            let container_name = container.name().unwrap_or("?");
            c.report(
                container.pointer_to(&["resources", list, name]),
                format!("container `{container_name}` has no {what}"),
            )
            .with_help(format!("set `resources.{list}.{name}`"));
        }
    }
}

/// The HorizontalPodAutoscaler (or KEDA ScaledObject, which makes one) scaling `doc`.
pub fn autoscaler<'a>(ctx: &Ctx<'a>, doc: &Document) -> Option<&'a Document> {
    let index = ctx.memo(|ctx| {
        let mut by_target: HashMap<(String, String, String), usize> = HashMap::new();
        for (i, a) in ctx.docs.iter().enumerate() {
            if !matches!(a.kind(), "HorizontalPodAutoscaler" | "ScaledObject") {
                continue;
            }
            let Some(t) = a.root.path(&["spec", "scaleTargetRef"]) else {
                continue;
            };
            // KEDA defaults the kind to Deployment.
            let kind = t
                .str_at(&["kind"])
                .or((a.kind() == "ScaledObject").then_some("Deployment"));
            if let (Some(kind), Some(name)) = (kind, t.str_at(&["name"])) {
                let key = (
                    kind.to_string(),
                    effective_namespace(a).to_string(),
                    name.to_string(),
                );
                by_target.entry(key).or_insert(i);
            }
        }
        ScalerIndex(by_target)
    });
    let key = (
        doc.kind().to_string(),
        effective_namespace(doc).to_string(),
        doc.name().to_string(),
    );
    index.0.get(&key).map(|&i| &ctx.docs[i])
}

/// Autoscalers by the (kind, namespace, name) they scale.
struct ScalerIndex(HashMap<(String, String, String), usize>);

/// Ops removing a list item, guarded by a test so that a shifted index removes nothing.
pub fn remove_item(field: &Field) -> Vec<Op> {
    vec![
        Op::Test {
            path: field.pointer().to_string(),
            value: field.node.clone(),
        },
        Op::Remove {
            path: field.pointer().to_string(),
        },
    ]
}

pub fn int_node(i: i64) -> Node {
    Node::new(Value::Int(i))
}

/// What a node is, for messages about wrong shapes.
pub fn shape(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::UInt(_) | Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

// ---------------------------------------------------------------------------------------
// Init containers that wait for a dependency

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh"];
const KEYWORDS: &[&str] = &[
    "until", "while", "do", "done", "then", "fi", "if", "elif", "else", "!", "{", "}", "(", ")",
];
/// Tools that check whether a dependency answers.
const PROBES: &[&str] = &[
    "nc",
    "ncat",
    "netcat",
    "pg_isready",
    "wget",
    "curl",
    "nslookup",
    "dig",
    "host",
    "getent",
    "ping",
    "mysqladmin",
    "redis-cli",
    "mongosh",
    "mongo",
];
/// Commands a wait loop uses around its probe.
const NEUTRAL: &[&str] = &[
    "echo", "printf", "sleep", "true", "false", "exit", "break", "continue", ":", "test", "[",
    "[[", "let", "expr",
];

/// The script of a container started as `sh -c '<script>'` (in `command`, `args` or across
/// both), with its field.
pub fn shell_script<'a>(c: &Container<'a>) -> Option<Field<'a>> {
    let argv: Vec<Field<'a>> = ["command", "args"]
        .iter()
        .flat_map(|k| c.get(k).map(|f| f.items()).unwrap_or_default())
        .collect();
    let shell = argv.iter().position(|f| {
        f.as_str()
            .is_some_and(|s| SHELLS.contains(&s.rsplit('/').next().unwrap_or(s)))
    })?;
    let flag = argv.get(shell + 1)?.as_str()?;
    if !(flag.starts_with('-') && flag.contains('c')) {
        return None;
    }
    argv.get(shell + 2)
        .filter(|f| f.as_str().is_some())
        .cloned()
}

/// Splits a shell script into simple commands at `;`, `&`, `|` and newlines outside quotes.
fn statements(script: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quote = None;
    for ch in script.chars() {
        match quote {
            None if matches!(ch, ';' | '&' | '|' | '\n') => {
                out.push(String::new());
                continue;
            }
            None if matches!(ch, '\'' | '"') => quote = Some(ch),
            Some(q) if q == ch => quote = None,
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(ch);
        }
    }
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn command_name(word: &str) -> &str {
    let word = word.trim_start_matches(['$', '(', '`', '"', '\'']);
    word.rsplit('/').next().unwrap_or(word)
}

fn is_probe(words: &[&str], i: usize) -> bool {
    let name = command_name(words[i]);
    PROBES.contains(&name)
        && (!matches!(name, "mysqladmin" | "redis-cli")
            || words[i + 1..]
                .iter()
                .any(|w| w.eq_ignore_ascii_case("ping")))
}

/// A script that does nothing but loop on a dependency check and sleep.
pub fn is_wait_script(script: &str) -> bool {
    let (mut looped, mut slept, mut probed) = (false, false, false);
    for statement in statements(script) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        looped |= words
            .iter()
            .any(|w| matches!(*w, "until" | "while" | "for"));
        let start = words.iter().position(|w| !KEYWORDS.contains(w));
        let Some(start) = start else { continue };
        // A probe runs as the command, or inside `$(...)`; not as a word of an echo.
        let substituted = |w: &str| w.trim_start_matches('"').starts_with(['$', '`']);
        probed |= (start..words.len())
            .any(|i| (i == start || substituted(words[i])) && is_probe(&words, i));
        let first = command_name(words[start]);
        slept |= first == "sleep";
        let allowed = first == "for"
            || NEUTRAL.contains(&first)
            || is_probe(&words, start)
            || (words.len() == start + 1
                && words[start].contains('=')
                && !words[start].starts_with('='));
        if !allowed {
            return false;
        }
    }
    looped && slept && probed
}

/// The script field of an init container that only waits for a dependency.
pub fn wait_loop<'a>(c: &Container<'a>) -> Option<Field<'a>> {
    shell_script(c).filter(|s| s.as_str().is_some_and(is_wait_script))
}

#[cfg(test)]
mod tests {
    use super::is_wait_script;

    #[test]
    fn wait_scripts() {
        for yes in [
            "until nslookup db.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc; do echo waiting; sleep 2; done",
            "while ! pg_isready -h db -p 5432; do sleep 1; done",
            "for i in $(seq 1 30); do nc -z db 5432 && exit 0; echo 'waiting; retrying'; sleep 2; done; exit 1",
            "until [ \"$(curl -s http://api/healthz)\" = ok ]\ndo\n  sleep 5\ndone",
            "until redis-cli -h cache ping; do sleep 1; done",
            "i=0\nuntil mysqladmin ping -h db; do\n  i=$((i+1))\n  sleep 2\ndone",
        ] {
            assert!(is_wait_script(yes), "{yes}");
        }
        for no in [
            "until nc -z db 5432; do sleep 1; done; ./migrate up",
            "until redis-cli -h cache set a b; do sleep 1; done",
            "nc -z db 5432",
            "while true; do sleep 3600; done",
            "cp /config/* /etc/app/",
            "until [ -f /shared/ready ]; do echo waiting for host; sleep 1; done",
        ] {
            assert!(!is_wait_script(no), "{no}");
        }
    }
}
