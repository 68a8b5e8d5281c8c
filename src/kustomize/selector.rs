//! Patch targets: group/version/kind, name and namespace as anchored regular expressions
//! (kustomize uses Go's regexp, which the `regex` crate matches for these patterns), and
//! Kubernetes label and annotation selectors.

use super::{Resource, same_namespace};
use crate::doc::{Node, split_api_version};
use regex::Regex;

#[derive(Debug)]
pub struct Target {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| format!("invalid pattern `{pattern}`: {e}"))
}

impl Target {
    pub fn from_node(node: &Node) -> Result<Target, String> {
        let s = |k: &str| {
            node.get(k)
                .and_then(Node::scalar_text)
                .filter(|s| !s.is_empty())
        };
        Ok(Target {
            group: s("group").map(|p| anchored(&p)).transpose()?,
            version: s("version").map(|p| anchored(&p)).transpose()?,
            kind: s("kind").map(|p| anchored(&p)).transpose()?,
            name: s("name").map(|p| anchored(&p)).transpose()?,
            namespace: s("namespace").map(|p| anchored(&p)).transpose()?,
            labels: s("labelSelector")
                .map(|p| LabelSelector::parse(&p))
                .transpose()?,
            annotations: s("annotationSelector")
                .map(|p| LabelSelector::parse(&p))
                .transpose()?,
        })
    }

    /// As kustomize's `Select`: the original or the current name and namespace may match.
    pub fn matches(&self, r: &Resource) -> bool {
        let root = &r.doc.root;
        let (group, version) = split_api_version(root.str_at(&["apiVersion"]).unwrap_or(""));
        let kind = root.str_at(&["kind"]).unwrap_or("");
        let eq = |want: &Option<Regex>, have: &str| want.as_ref().is_none_or(|w| w.is_match(have));
        if !eq(&self.group, group) || !eq(&self.version, version) || !eq(&self.kind, kind) {
            return false;
        }
        let (org_ns, org_name) = r.original();
        let effective = |ns: &str| {
            if ns.is_empty() {
                "default".to_string()
            } else {
                ns.to_string()
            }
        };
        if let Some(re) = &self.namespace
            && !re.is_match(&effective(&org_ns))
            && !re.is_match(&effective(r.doc.namespace()))
        {
            return false;
        }
        if let Some(re) = &self.name
            && !re.is_match(&org_name)
            && !re.is_match(r.doc.name())
        {
            return false;
        }
        let map_matches = |sel: &Option<LabelSelector>, field: &str| {
            sel.as_ref()
                .is_none_or(|s| s.matches(root.path(&["metadata", field])))
        };
        map_matches(&self.labels, "labels") && map_matches(&self.annotations, "annotations")
    }
}

/// Matches by any identity the resource has had (kustomize's `GetMatchingResourcesByAnyId`).
pub fn matches_any_id(r: &Resource, kind: &str, group: &str, name: &str, namespace: &str) -> bool {
    let (g, _) = split_api_version(r.doc.api_version());
    (group.is_empty() || g == group)
        && r.doc.kind() == kind
        && r.all_names()
            .any(|(ns, n)| n == name && same_namespace(ns, namespace))
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelSelector {
    reqs: Vec<(String, Op)>,
}

fn split_top(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

impl LabelSelector {
    /// Kubernetes selector syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut reqs = Vec::new();
        for part in split_top(text)
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let set = |rest: &str| -> Result<Vec<String>, String> {
                let inner = rest
                    .trim()
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| format!("bad set in selector `{part}`"))?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            let req = if let Some(k) = part.strip_prefix('!') {
                (k.trim().to_string(), Op::NotExists)
            } else if let Some((k, v)) = part.split_once("!=") {
                (k.trim().to_string(), Op::NotEq(v.trim().to_string()))
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (k.trim().to_string(), Op::Eq(v.trim().to_string()))
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                (k.trim().to_string(), Op::NotIn(set(rest)?))
            } else if let Some((k, rest)) = part.split_once(" in ") {
                (k.trim().to_string(), Op::In(set(rest)?))
            } else if part
                .chars()
                .all(|c| c.is_alphanumeric() || "-_./".contains(c))
            {
                (part.to_string(), Op::Exists)
            } else {
                return Err(format!("cannot read selector `{part}`"));
            };
            reqs.push(req);
        }
        Ok(LabelSelector { reqs })
    }

    pub fn matches(&self, labels: Option<&Node>) -> bool {
        let value = |k: &str| labels.and_then(|l| l.get(k)).and_then(Node::scalar_text);
        self.reqs.iter().all(|(k, op)| {
            let v = value(k);
            match op {
                Op::Eq(want) => v.as_deref() == Some(want),
                Op::NotEq(want) => v.as_deref() != Some(want),
                Op::In(set) => v.is_some_and(|v| set.contains(&v)),
                Op::NotIn(set) => v.is_none_or(|v| !set.contains(&v)),
                Op::Exists => v.is_some(),
                Op::NotExists => v.is_none(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    #[test]
    fn label_selectors_follow_kubernetes_syntax() {
        let labels = parse_str("tier: frontend\nenv: prod\n").unwrap().remove(0);
        let yes = [
            "tier in (frontend,edge),env!=dev",
            "tier=frontend",
            "tier==frontend",
            "env",
            "!missing",
            "env notin (dev)",
        ];
        for s in yes {
            assert!(
                LabelSelector::parse(s).unwrap().matches(Some(&labels)),
                "{s}"
            );
        }
        for s in [
            "tier=edge",
            "env!=prod",
            "!env",
            "missing",
            "tier in (edge)",
        ] {
            assert!(
                !LabelSelector::parse(s).unwrap().matches(Some(&labels)),
                "{s}"
            );
        }
        assert!(LabelSelector::parse("a in x").is_err());
    }
}
