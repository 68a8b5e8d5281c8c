use super::support_b::{embedded_password, literal_value, secret_like_name};
use crate::declare_rule;
use crate::doc::views::ConfigMap;
use crate::lint::Check;
use regex::Regex;
use std::sync::LazyLock;

/// Credentials recognisable by their shape, with what to call them.
static TOKENS: LazyLock<Vec<(&str, Regex)>> = LazyLock::new(|| {
    [
        (
            "a private key",
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----",
        ),
        ("an AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "a GitHub token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})\b",
        ),
        ("a Slack token", r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("a Stripe secret key", r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"),
        (
            "a JSON Web Token",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ),
    ]
    .into_iter()
    .map(|(what, re)| (what, Regex::new(re).expect("valid regex")))
    .collect()
});

/// `key: value` or `key=value` lines of a config file held in the ConfigMap.
static PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*(.*?)\s*$"#)
        .expect("valid regex")
});

declare_rule! {
    /// ## What it does
    /// Flags ConfigMap `data` entries that look like credentials: values containing a
    /// private key, an AWS access key, a GitHub, Slack, Google or Stripe key, a JSON Web
    /// Token or a connection string with an embedded password; keys named like a credential
    /// (`password`, `token`, `api-key`, ...) with a non-empty value; and, inside config
    /// files, lines that set such a key (`spring.datasource.password=...`). Placeholders
    /// (`${DB_PASSWORD}`, `{{ .token }}`) are not reported. Findings never repeat the value.
    ///
    /// ## Why is this bad?
    /// ConfigMaps are meant to be read: they show up in `kubectl describe`, dashboards, logs
    /// and Git, and RBAC rules commonly grant read access to them while guarding Secrets.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api
    /// data:
    ///   LOG_LEVEL: info
    ///   API_TOKEN: 8f14e45fceea167a5a36dedd4bea2543
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api
    /// data:
    ///   LOG_LEVEL: info
    ///   API_TOKEN_FILE: /var/run/secrets/api/token
    /// ```
    ///
    /// ## Fix
    /// Move the value to a Secret (and rotate it, since it has been exposed); reference it
    /// from the workload with `secretKeyRef` or a Secret volume.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF220",
        name: "secret-in-configmap",
        category: Security,
        severity: Error,
        kinds: &["ConfigMap"],
        check: check,
    }
}

fn check(c: &mut Check) {
    let Some(data) = ConfigMap::of(c.doc).and_then(|cm| cm.get("data")) else {
        return;
    };
    for (key, field) in data.entries() {
        let Some(value) = field.text() else { continue };
        let Some(what) = describe(key, value) else {
            continue;
        };
        c.report(field.pointer(), format!("key `{key}` {what}"))
            .with_help(
                "move it to a Secret (and rotate it); ConfigMaps are not protected like Secrets",
            );
    }
}

/// All token patterns at once: most values match none, and one pass answers that.
static ANY_TOKEN: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new(TOKENS.iter().map(|(_, re)| re.as_str())).expect("valid regexes")
});

fn describe(key: &str, value: &str) -> Option<String> {
    // One pass answers "none" for most values; only a match asks which pattern it was.
    if ANY_TOKEN.is_match(value)
        && let Some(i) = ANY_TOKEN.matches(value).iter().next()
    {
        return Some(format!("holds what looks like {}", TOKENS[i].0));
    }
    if embedded_password(value) {
        return Some("holds a connection string with an embedded password".into());
    }
    if secret_like_name(key) && literal_value(value) {
        return Some("is named like a credential and holds a literal value".into());
    }
    if !value.contains('\n') {
        return None;
    }
    // Every secret-like name (see `secret_like_name`) contains one of these words; text
    // with none of them has no credential property, and needs no line-by-line look.
    static HINT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new("(?i)pass|pwd|secret|token|key|credential|dsn|auth").expect("valid regex")
    });
    if !HINT.is_match(value) {
        return None;
    }
    PROPERTY.captures_iter(value).find_map(|cap| {
        let name = &cap[1];
        let last = name.rsplit('.').next().unwrap_or(name);
        (secret_like_name(last) && literal_value(&cap[2]))
            .then(|| format!("sets `{name}` to a literal value"))
    })
}
