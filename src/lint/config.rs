//! `.kfold.yaml`'s `lint:` section resolved into settings: which rules run at which
//! severity, rule options, excluded paths and per-object ignores.
//!
//! ```yaml
//! lint:
//!   kubernetesVersion: "1.29"       # for deprecated/removed API versions
//!   failOn: warning                  # default for --fail-on
//!   rules:                           # by name, code or category: off | info | warning | error
//!     image-tag-latest: error
//!     security: warning
//!     KF310: off
//!   options:
//!     pvc-oversized: {maxSize: 50Gi}
//!   exclude: ["vendor/**"]
//!   ignore:
//!     - {rules: [run-as-root], kind: Deployment, namespace: "kube-*", name: "legacy-*"}
//! ```

use super::{Rule, Severity};
use crate::doc::{Document, Node, Source};
use crate::error::Diag;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Clone)]
pub struct IgnoreEntry {
    pub rules: Vec<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct LintSettings {
    /// By rule name, code or category: `None` turns it off.
    levels: HashMap<String, Option<Severity>>,
    options: HashMap<String, HashMap<String, String>>,
    excludes: Vec<String>,
    ignores: Vec<IgnoreEntry>,
    pub kubernetes_version: Option<(u32, u32)>,
    pub fail_on: Option<Severity>,
}

/// `*` matches within a path segment, `**` across them, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) if rest.first() == Some(&'*') => {
                let rest = &rest[1..];
                let rest = rest.strip_prefix(&['/'][..]).unwrap_or(rest);
                (0..=t.len()).any(|i| go(rest, &t[i..]))
            }
            Some(('*', rest)) => (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != '/')
                .any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

impl LintSettings {
    fn level_for(&self, rule: &Rule) -> Option<Option<Severity>> {
        [rule.name, rule.code, rule.category.as_str()]
            .iter()
            .find_map(|k| self.levels.get(*k).copied())
    }

    pub fn enabled(&self, rule: &Rule) -> bool {
        self.level_for(rule) != Some(None)
    }

    pub fn severity(&self, rule: &Rule) -> Severity {
        self.level_for(rule).flatten().unwrap_or(rule.severity)
    }

    /// The severity the configuration sets for a rule, which overrides its findings' own.
    pub fn configured_severity(&self, rule: &Rule) -> Option<Severity> {
        self.level_for(rule).flatten()
    }

    pub fn option(&self, rule: &str, key: &str) -> Option<&str> {
        self.options.get(rule)?.get(key).map(String::as_str)
    }

    pub fn excluded(&self, doc: &Document) -> bool {
        let path = doc.source.name();
        self.excludes.iter().any(|g| glob_match(g, path))
    }

    pub fn ignored_object(&self, rule: &Rule, doc: &Document) -> bool {
        let field =
            |pat: &Option<String>, value: &str| pat.as_deref().is_none_or(|p| glob_match(p, value));
        self.ignores.iter().any(|i| {
            (i.rules.is_empty()
                || i.rules
                    .iter()
                    .any(|r| r == rule.name || r == rule.code || r == "all"))
                && field(&i.kind, doc.kind())
                && field(&i.namespace, doc.namespace())
                && field(&i.name, doc.name())
        })
    }

    /// Turns a rule off (`None`) or sets its severity, by name, code or category.
    pub fn set_level(&mut self, key: &str, level: Option<Severity>) {
        self.levels.insert(key.to_string(), level);
    }

    /// Reads `.kfold.yaml`; every unknown key or bad value is an error at its line.
    pub fn from_file(path: &Path, rules: &[&Rule]) -> Result<LintSettings, Diag> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diag::new(format!("cannot read: {e}")).in_file(path.display().to_string())
        })?;
        let source = Source::new(path, text);
        let root = source.first_root()?.unwrap_or_else(Node::map);
        let err = |msg: String, node: &Node| Diag::new(msg).at(&source, node.pos);
        let mut s = LintSettings::default();
        let Some(top) = root.as_map() else {
            return Err(err("the config must be a mapping".into(), &root));
        };
        for e in &top.entries {
            if !matches!(
                e.key.as_str(),
                "lint" | "consolidate" | "optimize" | "check" | "policy"
            ) {
                return Err(Diag::new(format!("unknown key `{}`", e.key)).at(&source, e.key_pos));
            }
        }
        let Some(lint) = top.get("lint") else {
            return Ok(s);
        };
        let Some(lint) = lint.as_map() else {
            return Err(err("`lint` must be a mapping".into(), lint));
        };
        let known = |key: &str| {
            rules.iter().any(|r| r.name == key || r.code == key)
                || super::Category::ALL.iter().any(|c| c.as_str() == key)
        };
        for e in &lint.entries {
            let v = &e.value;
            match e.key.as_str() {
                "kubernetesVersion" => {
                    let text = v.scalar_text().unwrap_or_default();
                    let parsed = text
                        .trim_start_matches('v')
                        .split_once('.')
                        .and_then(|(a, b)| {
                            Some((a.parse().ok()?, b.split('.').next()?.parse().ok()?))
                        });
                    s.kubernetes_version =
                        Some(parsed.ok_or_else(|| {
                            err(format!("`{text}` is not a version like 1.29"), v)
                        })?);
                }
                "failOn" => {
                    let text = v.scalar_text().unwrap_or_default();
                    s.fail_on = Some(Severity::parse(&text).ok_or_else(|| {
                        err(
                            format!("failOn must be error, warning or info, not `{text}`"),
                            v,
                        )
                    })?);
                }
                "rules" => {
                    for r in v.as_map().map(|m| m.entries.as_slice()).unwrap_or_default() {
                        if !known(&r.key) {
                            return Err(Diag::new(format!("unknown rule or category `{}`", r.key))
                                .at(&source, r.key_pos));
                        }
                        let level = r.value.scalar_text().unwrap_or_default();
                        let level = match level.as_str() {
                            "off" | "false" => None,
                            other => Some(Severity::parse(other).ok_or_else(|| {
                                err(
                                    format!("`{other}` is not off, info, warning or error"),
                                    &r.value,
                                )
                            })?),
                        };
                        s.levels.insert(r.key.clone(), level);
                    }
                }
                "options" => {
                    for r in v.as_map().map(|m| m.entries.as_slice()).unwrap_or_default() {
                        if !rules.iter().any(|x| x.name == r.key) {
                            return Err(Diag::new(format!("unknown rule `{}`", r.key))
                                .at(&source, r.key_pos));
                        }
                        let opts = s.options.entry(r.key.clone()).or_default();
                        for o in r
                            .value
                            .as_map()
                            .map(|m| m.entries.as_slice())
                            .unwrap_or_default()
                        {
                            opts.insert(o.key.clone(), o.value.scalar_text().unwrap_or_default());
                        }
                    }
                }
                "exclude" => {
                    s.excludes = v
                        .as_seq()
                        .ok_or_else(|| err("`exclude` must be a list of globs".into(), v))?
                        .iter()
                        .filter_map(Node::scalar_text)
                        .collect();
                }
                "ignore" => {
                    for item in v
                        .as_seq()
                        .ok_or_else(|| err("`ignore` must be a list".into(), v))?
                    {
                        let mut entry = IgnoreEntry::default();
                        for f in item
                            .as_map()
                            .map(|m| m.entries.as_slice())
                            .unwrap_or_default()
                        {
                            match f.key.as_str() {
                                "rule" => {
                                    entry.rules.push(f.value.scalar_text().unwrap_or_default())
                                }
                                "rules" => entry.rules.extend(
                                    f.value
                                        .as_seq()
                                        .unwrap_or_default()
                                        .iter()
                                        .filter_map(Node::scalar_text),
                                ),
                                "kind" => entry.kind = f.value.scalar_text(),
                                "namespace" => entry.namespace = f.value.scalar_text(),
                                "name" => entry.name = f.value.scalar_text(),
                                other => {
                                    return Err(Diag::new(format!(
                                        "unknown key `{other}` in an ignore entry"
                                    ))
                                    .at(&source, f.key_pos));
                                }
                            }
                        }
                        if let Some(bad) = entry.rules.iter().find(|r| *r != "all" && !known(r)) {
                            return Err(err(format!("unknown rule `{bad}`"), item));
                        }
                        s.ignores.push(entry);
                    }
                }
                other => {
                    return Err(
                        Diag::new(format!("unknown key `lint.{other}`")).at(&source, e.key_pos)
                    );
                }
            }
        }
        Ok(s)
    }
}

/// `.kfold.yaml` in the working directory or the nearest parent.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .map(|d| d.join(".kfold.yaml"))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_segments_and_deep_paths() {
        assert!(glob_match("legacy-*", "legacy-api"));
        assert!(!glob_match("legacy-*", "api"));
        assert!(glob_match("vendor/**", "vendor/a/b.yaml"));
        assert!(glob_match("**/gen.yaml", "x/y/gen.yaml"));
        assert!(!glob_match("*.yaml", "a/b.yaml"));
        assert!(glob_match("kube-?", "kube-1"));
    }
}
