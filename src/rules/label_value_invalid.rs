use crate::declare_rule;
use crate::doc::views::{Field, Workload, WorkloadKind};
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags label keys and values that break Kubernetes' syntax, in `metadata.labels`, pod
    /// template labels and label selectors. A value has at most 63 characters, letters,
    /// digits, `-`, `_` and `.`, and starts and ends with a letter or digit (or is empty). A
    /// key is a name of the same form (non-empty), optionally after a DNS subdomain prefix
    /// and `/` (`app.kubernetes.io/name`).
    ///
    /// ## Why is this bad?
    /// The API server rejects the object. Values generated from versions, branch names or
    /// commit messages (`feature/login`, `v1.2.3+build`, a 64-character hash) are the usual
    /// culprits, and the failure only shows once the template is rendered.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   labels:
    ///     app.kubernetes.io/version: "1.4.2+build.7"
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    ///   labels:
    ///     app.kubernetes.io/version: "1.4.2-build.7"
    /// ```
    ///
    /// ## Fix
    /// Replace the offending characters (typically `/`, `+`, `:` and spaces) with `-` or
    /// `.`, shorten the value, or move free-form text to an annotation, which has no such
    /// limits.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF707",
        name: "label-value-invalid",
        category: Hygiene,
        severity: Error,
        kinds: &[],
        check: check,
    }
}

/// What is wrong with a label name or value (`[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`).
fn name_error(s: &str) -> Option<&'static str> {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if s.len() > 63 {
        Some("is longer than 63 characters")
    } else if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("may contain only letters, digits, `-`, `_` and `.`")
    } else if !(s.is_empty() || alnum(s.chars().next()) && alnum(s.chars().last())) {
        Some("must start and end with a letter or digit")
    } else {
        None
    }
}

fn key_error(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if prefix.len() > 253 || !prefix.split('.').all(label_ok) {
            return Some("has a prefix that is not a lowercase DNS subdomain");
        }
    }
    if name.is_empty() {
        return Some("has an empty name");
    }
    if name.contains('/') {
        return Some("may contain at most one `/`");
    }
    name_error(name)
}

fn labels(c: &mut Check, map: Option<Field>, what: &str) {
    for (key, value) in map.map(|m| m.entries()).unwrap_or_default() {
        if let Some(e) = key_error(key) {
            c.report(value.pointer(), format!("{what} key `{key}` {e}"));
        }
        // Non-strings are field-wrong-type's.
        if let Some(v) = value.as_str()
            && let Some(e) = name_error(v)
        {
            c.report(value.pointer(), format!("{what} `{key}` value `{v}` {e}"))
                .with_help("use letters, digits, `-`, `_` and `.`, at most 63, starting and ending with a letter or digit");
        }
    }
}

fn check(c: &mut Check) {
    let root = Field::root(&c.doc.root);
    labels(c, root.at(&["metadata", "labels"]), "label");
    if let Some(w) = Workload::of(c.doc) {
        let selector = match w.kind() {
            WorkloadKind::ReplicationController => root.at(&["spec", "selector"]),
            WorkloadKind::CronJob => {
                root.at(&["spec", "jobTemplate", "spec", "selector", "matchLabels"])
            }
            _ => root.at(&["spec", "selector", "matchLabels"]),
        };
        labels(c, selector, "selector label");
        let template = w.template().and_then(|t| t.at(&["metadata", "labels"]));
        labels(c, template, "pod template label");
    } else if c.doc.kind() == "Service" {
        labels(c, root.at(&["spec", "selector"]), "selector label");
    }
}
