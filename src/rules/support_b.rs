//! Helpers for the pod-security, secret and exposure rules.

use crate::doc::Document;
use crate::doc::pointer::{self, Op};
use crate::doc::value::{Node, Value};
use crate::doc::views::{Container, Field, PodSpec, SecurityContext};
use regex::Regex;
use std::sync::LazyLock;

/// A pod spec with its containers, each with the securityContext it effectively runs with.
pub struct Pod<'a> {
    pub spec: PodSpec<'a>,
    pub sc: Option<SecurityContext<'a>>,
    pub containers: Vec<(Container<'a>, Option<SecurityContext<'a>>)>,
}

impl<'a> Pod<'a> {
    pub fn of(doc: &'a Document) -> Option<Pod<'a>> {
        let spec = super::util::pod_spec(doc)?;
        let containers = spec
            .all_containers()
            .into_iter()
            .map(|c| {
                let sc = c.security_context();
                (c, sc)
            })
            .collect();
        Some(Pod {
            sc: spec.security_context(),
            spec,
            containers,
        })
    }

    /// Linux-only settings are rejected on Windows pods, so Linux hardening rules skip them.
    pub fn is_windows(&self) -> bool {
        self.spec.str(&["os", "name"]) == Some("windows")
            || self
                .sc
                .as_ref()
                .and_then(|s| s.bool(&["windowsOptions", "hostProcess"]))
                == Some(true)
    }

    /// The pointer where a pod-level securityContext field lives (present or not).
    pub fn sc_pointer(&self, path: &[&str]) -> String {
        let mut full = vec!["securityContext"];
        full.extend_from_slice(path);
        self.spec.pointer_to(&full)
    }
}

/// A field the container inherits from the pod unless it sets it itself
/// (runAsUser, runAsNonRoot, seccompProfile, ...).
pub fn effective<'a>(
    pod: Option<&SecurityContext<'a>>,
    container: Option<&SecurityContext<'a>>,
    path: &[&str],
) -> Option<Field<'a>> {
    container
        .and_then(|s| s.at(path))
        .or_else(|| pod.and_then(|s| s.at(path)))
}

pub fn container_name<'a>(c: &Container<'a>) -> &'a str {
    c.name().unwrap_or("?")
}

/// The pointer of a container's securityContext field (present or not).
pub fn csc_pointer(c: &Container, path: &[&str]) -> String {
    let mut full = vec!["securityContext"];
    full.extend_from_slice(path);
    c.pointer_to(&full)
}

pub fn bool_node(b: bool) -> Node {
    Node::new(Value::Bool(b))
}

/// Operations that set the value at `target`, creating missing mappings on the way; `None`
/// when something on the way is a list or a scalar other than null.
pub fn set_ops(doc: &Document, target: &str, value: Node) -> Option<Vec<Op>> {
    let tokens = pointer::parse(target).ok()?;
    let mut value = value;
    for depth in (0..tokens.len()).rev() {
        let parent = pointer::get(&doc.root, &tokens[..depth]);
        match parent.map(|n| &n.value) {
            Some(Value::Map(_)) => {
                let path = pointer::join(&tokens[..=depth]);
                return Some(vec![Op::Add { path, value }]);
            }
            Some(Value::Null) => {
                let path = pointer::join(&tokens[..depth]);
                return Some(vec![Op::Replace {
                    path,
                    value: nest(&tokens[depth], value),
                }]);
            }
            Some(_) => return None,
            None => value = nest(&tokens[depth], value),
        }
    }
    None
}

fn nest(key: &str, value: Node) -> Node {
    let mut map = Node::map();
    if let Some(m) = map.as_map_mut() {
        m.insert(key, value);
    }
    map
}

/// Container runtime sockets: mounting one hands over the node.
pub fn runtime_socket(path: &str) -> bool {
    const SOCKETS: &str = "docker.sock containerd.sock crio.sock cri-dockerd.sock podman.sock";
    const DIRS: &str = "/var/run/docker /run/docker /var/run/containerd /run/containerd \
        /var/run/crio /run/crio";
    let path = normalize_path(path);
    let file = path.rsplit('/').next().unwrap_or("");
    SOCKETS.split_whitespace().any(|s| s == file) || DIRS.split_whitespace().any(|d| d == path)
}

/// `//var/run/` → `/var/run`.
pub fn normalize_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// Words in a name (env var, ConfigMap key, camelCase too) that say it holds a credential.
const SECRET_WORDS: &str = "PASSWORD PASSWD PASSPHRASE PWD SECRET TOKEN APIKEY API_KEY PRIVATE_KEY \
    PRIVATEKEY ACCESS_KEY SECRET_KEY CLIENT_SECRET CREDENTIAL CREDENTIALS DSN AUTH_KEY \
    ENCRYPTION_KEY SIGNING_KEY MASTER_KEY BASIC_AUTH";

/// Suffixes that name where a secret is or how it behaves, not the secret itself.
const NOT_SECRET_SUFFIXES: &str = "FILE PATH DIR URL URI ENDPOINT HOST NAME ID KEY_ID REF TTL \
    TIMEOUT EXPIRY EXPIRATION LIFETIME SECONDS INTERVAL LENGTH HEADER ENABLED ENABLE AUDIENCE \
    ISSUER TYPE MOUNT LOCATION VERSION REGION SOURCE FORMAT ALGORITHM";

pub fn secret_like_name(name: &str) -> bool {
    let mut upper = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            upper.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        upper.push(match ch {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        });
    }
    // Words are `_`-separated runs; a (possibly multi-word) secret word must appear as whole
    // words, and a harmless suffix must follow at least one other word.
    static WORDS: LazyLock<[Vec<Vec<&str>>; 2]> = LazyLock::new(|| {
        let split = |list: &'static str| {
            let words = list.split_whitespace();
            words.map(|w| w.split('_').collect()).collect()
        };
        [split(SECRET_WORDS), split(NOT_SECRET_SUFFIXES)]
    });
    let [secret_words, suffixes] = &*WORDS;
    let tokens: Vec<&str> = upper.split('_').collect();
    let has_word = |w: &Vec<&str>| tokens.windows(w.len()).any(|win| win == w.as_slice());
    let ends_with_suffix = |s: &Vec<&str>| tokens.len() > s.len() && tokens.ends_with(s);
    // `PWD` alone is the shell's working directory.
    upper != "PWD" && secret_words.iter().any(has_word) && !suffixes.iter().any(ends_with_suffix)
}

/// `$(OTHER_VAR)`, `${VAR}` or a template: a reference, not a literal credential.
pub fn is_placeholder(value: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[^}]*\}|\{\{.*\}\})\s*$")
            .expect("valid regex")
    });
    RE.is_match(value)
}

/// A value worth reporting under a credential's name: not empty, not a flag, not a
/// placeholder or an interpolation, and not a file path (`/var/run/secrets/...` says where
/// the secret is).
pub fn literal_value(value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    let flag = "true false yes no null ~ none {} [] | >"
        .split_whitespace()
        .any(|f| v.eq_ignore_ascii_case(f));
    let path = v.starts_with('/') && !v.contains(char::is_whitespace);
    let interpolated = ["${", "$(", "{{", "%(", "ENC("]
        .iter()
        .any(|p| v.contains(p));
    !v.is_empty() && !flag && !path && !interpolated && !is_placeholder(v)
}

/// A connection string with a password that is not a placeholder: a URL
/// (`scheme://user:password@host`) or a key-value string (`Server=db;Password=...;`).
pub fn embedded_password(value: &str) -> bool {
    static URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@[^\s@]").expect("valid regex")
    });
    static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|;)\s*(?:password|pwd)\s*=\s*([^;]*[^;\s])").expect("valid regex")
    });
    let key_value = KEY_VALUE
        .captures_iter(value)
        .filter(|_| value.contains(';'));
    URL.captures_iter(value)
        .chain(key_value)
        .any(|c| !is_placeholder(&c[1]))
}

/// A capability as the runtimes read it: `cap_sys_admin` and `SYS_ADMIN` are the same, but
/// only a bare `ALL` means all of them.
pub fn capability(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(bare) if bare != "ALL" => bare.to_string(),
        _ => upper,
    }
}

/// Container names by the pointer of the field that concerns them, in first-seen order: a
/// pod-level setting several containers inherit is reported once, naming them all.
#[derive(Default)]
pub struct Groups(Vec<(String, Vec<String>)>);

impl Groups {
    pub fn add(&mut self, pointer: String, container: &Container) {
        let name = container_name(container).to_string();
        match self.0.iter_mut().find(|(p, _)| *p == pointer) {
            Some((_, names)) => names.push(name),
            None => self.0.push((pointer, vec![name])),
        }
    }

    pub fn into_vec(self) -> Vec<(String, Vec<String>)> {
        self.0
    }
}

/// "container `a`" or "containers `a`, `b`".
pub fn containers_phrase(names: &[String]) -> String {
    let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let s = if names.len() == 1 { "" } else { "s" };
    format!("container{s} {}", list.join(", "))
}

/// The verb ending that agrees with [`containers_phrase`]: "runs" or "run".
pub fn verb_s(names: &[String]) -> &'static str {
    if names.len() == 1 { "s" } else { "" }
}
