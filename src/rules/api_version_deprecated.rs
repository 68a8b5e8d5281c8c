use crate::declare_rule;
use crate::doc::Node;
use crate::doc::pointer::Op;
use crate::doc::views::Pdb;
use crate::lint::{Check, Severity};
use std::sync::OnceLock;

/// The Kubernetes version checked against when `lint.kubernetesVersion` is not set.
const LATEST: (u32, u32) = (1, 32);

declare_rule! {
    /// ## What it does
    /// Flags objects written in a deprecated or removed API version (`extensions/v1beta1`
    /// Deployments and Ingresses, `policy/v1beta1` PodDisruptionBudgets and
    /// PodSecurityPolicies, `batch/v1beta1` CronJobs, `autoscaling/v2beta1` and `v2beta2`,
    /// RBAC, CRD and webhook `v1beta1`, and more), naming the replacement and the release
    /// that removed the old version. It is an error when the configured Kubernetes version
    /// (`lint.kubernetesVersion`, by default 1.32) no longer serves the version, and a warning
    /// when it is deprecated but still served.
    ///
    /// ## Why is this bad?
    /// The API server of a release that removed the version rejects the manifest
    /// (`no matches for kind "Ingress" in version "extensions/v1beta1"`): the apply, or the
    /// whole cluster upgrade, fails on it.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1beta1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 * * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers: [{name: report, image: ghcr.io/acme/report:1.0.0}]
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 * * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers: [{name: report, image: ghcr.io/acme/report:1.0.0}]
    /// ```
    ///
    /// ## Fix
    /// Move to the replacement API version. Where the replacement reads the same document
    /// the same way (`batch/v1beta1` → `batch/v1`, `autoscaling/v2beta2` → `autoscaling/v2`,
    /// RBAC `v1beta1` → `v1`, ...), the (unsafe) fix renames `apiVersion`; where the schema
    /// changed (Ingress, `autoscaling/v2beta1`, CRDs, webhooks, apps `v1beta*`), the help
    /// text says what to migrate and there is no fix.
    ///
    /// ## Options
    /// None; the Kubernetes version comes from `lint.kubernetesVersion` in `.kfold.yaml`.
    pub static RULE = {
        code: "KF600",
        name: "api-version-deprecated",
        category: Deprecation,
        severity: Error,
        kinds: &[],
        check: check,
    }
}

struct Entry {
    api_version: String,
    kinds: Vec<String>,
    deprecated: (u32, u32),
    removed: (u32, u32),
    /// When the replacement is served, if later than `deprecated`.
    available: Option<(u32, u32)>,
    replacement: Option<String>,
    fix: bool,
    note: Option<String>,
}

fn version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn entry(n: &Node) -> Option<Entry> {
    let text = |key: &str| n.get(key).and_then(Node::scalar_text);
    Some(Entry {
        api_version: text("apiVersion")?,
        kinds: n
            .get("kinds")?
            .as_seq()?
            .iter()
            .filter_map(Node::scalar_text)
            .collect(),
        deprecated: version(&text("deprecated")?)?,
        removed: version(&text("removed")?)?,
        available: text("available").and_then(|v| version(&v)),
        replacement: text("replacement"),
        fix: n.get("fix").and_then(Node::as_bool) == Some(true),
        note: text("note"),
    })
}

fn table() -> &'static [Entry] {
    static T: OnceLock<Vec<Entry>> = OnceLock::new();
    T.get_or_init(|| {
        let docs =
            crate::load::parse::parse_str(include_str!("deprecated_apis.yaml")).unwrap_or_default();
        let items = docs.first().and_then(Node::as_seq).unwrap_or_default();
        items.iter().filter_map(entry).collect()
    })
}

fn show((major, minor): (u32, u32)) -> String {
    format!("{major}.{minor}")
}

fn check(c: &mut Check) {
    let (api, kind) = (c.doc.api_version(), c.doc.kind());
    let Some(e) = table()
        .iter()
        .find(|e| e.api_version == api && e.kinds.iter().any(|k| k == kind))
    else {
        return;
    };
    let target = c.ctx.settings.kubernetes_version.unwrap_or(LATEST);
    if target < e.deprecated {
        return;
    }
    let removed = target >= e.removed;
    let instead = match (&e.replacement, e.available) {
        (Some(r), Some(a)) if target < a => format!("; use `{r}` (served from {})", show(a)),
        (Some(r), _) => format!("; use `{r}`"),
        (None, _) => "; it has no replacement".to_string(),
    };
    let message = if removed {
        format!(
            "`{api}` {kind} was removed in Kubernetes {}{instead}",
            show(e.removed)
        )
    } else {
        format!(
            "`{api}` {kind} is deprecated since Kubernetes {} and removed in {}{instead}",
            show(e.deprecated),
            show(e.removed)
        )
    };
    let checked = format!(
        "checked against Kubernetes {} (lint.kubernetesVersion)",
        show(target)
    );
    let help = match &e.note {
        Some(note) => format!("{note}; {checked}"),
        None => checked,
    };
    // policy/v1 reads an empty selector as "every pod": renaming would widen the budget.
    let selects_all = Pdb::of(c.doc)
        .and_then(|p| p.selector())
        .is_some_and(|s| s.is_empty());
    let fix = e
        .replacement
        .as_ref()
        .filter(|_| e.fix && !selects_all && target >= e.available.unwrap_or(e.deprecated));
    let f = c.report("/apiVersion", message);
    f.with_help(help);
    if !removed {
        f.severity = Severity::Warning;
    }
    if let Some(r) = fix {
        let op = Op::Replace {
            path: "/apiVersion".into(),
            value: Node::string(r.as_str()),
        };
        f.with_fix(format!("change apiVersion to {r}"), vec![op], false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::config::LintSettings;

    #[test]
    fn the_table_loads_completely() {
        let listed = include_str!("deprecated_apis.yaml")
            .matches("- apiVersion:")
            .count();
        assert_eq!(
            table().len(),
            listed,
            "an entry of deprecated_apis.yaml does not parse"
        );
        for e in table() {
            assert!(
                e.deprecated < e.removed && !e.kinds.is_empty(),
                "{}",
                e.api_version
            );
            assert!(!e.fix || e.replacement.is_some(), "{}", e.api_version);
        }
    }

    fn lint(text: &str, version: (u32, u32)) -> Vec<crate::lint::Finding> {
        let docs =
            crate::load::load_resources(std::path::Path::new("t.yaml"), text.as_bytes().to_vec())
                .unwrap();
        let mut settings = LintSettings::default();
        settings.kubernetes_version = Some(version);
        crate::lint::run(&docs, &[&RULE], &settings)
    }

    #[test]
    fn severity_follows_the_configured_version() {
        let hpa =
            "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\n";
        let f = lint(hpa, (1, 24));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message
                .contains("deprecated since Kubernetes 1.23 and removed in 1.26"),
            "{}",
            f[0].message
        );
        assert!(f[0].fix.is_some());
        let f = lint(hpa, (1, 26));
        assert_eq!(
            (
                f[0].severity,
                f[0].message.contains("was removed in Kubernetes 1.26")
            ),
            (Severity::Error, true)
        );
        assert!(lint(hpa, (1, 22)).is_empty(), "not deprecated yet");

        let ingress = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a}\n";
        let f = lint(ingress, (1, 16));
        assert!(
            f[0].message
                .ends_with("use `networking.k8s.io/v1` (served from 1.19)"),
            "{}",
            f[0].message
        );
        assert!(f[0].fix.is_none());
    }
}
