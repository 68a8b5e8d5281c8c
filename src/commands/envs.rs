//! `kfold diff --envs DIR`: what each environment of a consolidated tree differs in from the
//! others, one row a field. Resources are matched across environments by kind and the name
//! they had before the overlay's prefix, suffix and namespace (the namespace gets a row of its
//! own when each environment puts everything in one).

use crate::cli::{Settings, exit};
use crate::commands::diff::Format;
use crate::commands::report;
use crate::consolidate::record::{Record, resolve};
use crate::diff::leaves;
use crate::doc::Document;
use crate::kustomize::{BuildOptions, Builder, Output};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// (group, kind, name): who a resource is, whatever namespace an overlay puts it in.
type Who = (String, String, String);

pub struct Row {
    pub resource: Option<Who>,
    pub field: String,
    /// One value per environment, `None` where the field or resource is absent.
    pub values: Vec<Option<String>>,
}

pub fn run(settings: &Settings, dir: &Path, format: Format) -> i32 {
    let record = match Record::read(dir) {
        Ok(r) => r,
        Err(d) => {
            report(settings, &[d]);
            return exit::ERROR;
        }
    };
    let mut builder = Builder::new(BuildOptions::default());
    let mut builds = Vec::new();
    let mut diags = Vec::new();
    for e in &record.envs {
        match builder.build(&resolve(dir, &e.overlay)) {
            Ok(out) => builds.push(out),
            Err(d) => diags.push(d),
        }
    }
    if report(settings, &diags) {
        return exit::ERROR;
    }
    let names: Vec<String> = record.envs.iter().map(|e| e.name.clone()).collect();
    let rows = table(&builds);
    let out = match format {
        Format::Json => {
            let rows: Vec<_> = rows
                .iter()
                .map(|r| {
                    let values: serde_json::Map<String, serde_json::Value> = names
                        .iter()
                        .zip(&r.values)
                        .map(|(n, v)| (n.clone(), json!(v)))
                        .collect();
                    json!({
                        "resource": r.resource.as_ref().map(|(g, k, n)| json!({"group": g, "kind": k, "name": n})),
                        "field": r.field,
                        "values": values,
                    })
                })
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({"environments": names, "rows": rows}))
                    .unwrap_or_default()
            )
        }
        Format::Text => text(&names, &rows),
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    exit::OK
}

const SECRET_FIELDS: [&str; 2] = ["data", "stringData"];

/// The rows where environments disagree: a resource present in some only, or a field whose
/// value (or presence) differs. Secret values show only which environments share one.
pub fn table(builds: &[Output]) -> Vec<Row> {
    let n = builds.len();
    let mut rows = Vec::new();
    // The namespace most overlays set for everything: one row instead of one per resource.
    let namespaces: Vec<Option<String>> = builds
        .iter()
        .map(|b| {
            let set: BTreeSet<&str> = b.resources.iter().map(Document::namespace).collect();
            (set.len() == 1).then(|| set.into_iter().next().unwrap_or_default().to_string())
        })
        .collect();
    let shared_ns = namespaces.iter().all(Option::is_some);
    if shared_ns && namespaces.iter().collect::<BTreeSet<_>>().len() > 1 {
        rows.push(Row {
            resource: None,
            field: "metadata.namespace".into(),
            values: namespaces.clone(),
        });
    }
    // Each environment's name prefix and suffix, when its overlay renames everything alike.
    let affixes: Vec<Option<(String, String)>> = builds.iter().map(affix).collect();
    let renamed =
        affixes.iter().all(Option::is_some) && affixes.iter().collect::<BTreeSet<_>>().len() > 1;
    if renamed {
        rows.push(Row {
            resource: None,
            field: "metadata.name".into(),
            values: affixes
                .iter()
                .map(|a| a.as_ref().map(|(p, s)| format!("{p}*{s}")))
                .collect(),
        });
    }
    let mut by_who: BTreeMap<Who, Vec<Option<&Document>>> = BTreeMap::new();
    for (i, b) in builds.iter().enumerate() {
        for (d, (_, original)) in b.resources.iter().zip(&b.originals) {
            let id = d.id();
            by_who
                .entry((id.group, id.kind, original.clone()))
                .or_insert_with(|| vec![None; n])[i] = Some(d);
        }
    }
    for (who, docs) in by_who {
        if docs.iter().any(Option::is_none) {
            rows.push(Row {
                resource: Some(who.clone()),
                field: "(resource)".into(),
                values: docs.iter().map(|d| d.map(|_| "present".into())).collect(),
            });
        }
        let flat: Vec<Option<BTreeMap<String, String>>> = docs
            .iter()
            .map(|d| {
                d.map(|d| {
                    let mut m = BTreeMap::new();
                    leaves(&d.root, "", "", &mut m);
                    if shared_ns {
                        m.remove("metadata.namespace");
                    }
                    m
                })
            })
            .collect();
        let fields: BTreeSet<&String> = flat.iter().flatten().flat_map(|m| m.keys()).collect();
        let secret = who.0.is_empty() && who.1 == "Secret";
        for field in fields {
            let values: Vec<Option<String>> = flat
                .iter()
                .map(|m| m.as_ref().and_then(|m| m.get(field).cloned()))
                .collect();
            let present: Vec<&Option<String>> = values
                .iter()
                .zip(&docs)
                .filter(|(_, d)| d.is_some())
                .map(|(v, _)| v)
                .collect();
            if present.windows(2).all(|w| w[0] == w[1]) {
                continue;
            }
            // A name, or a reference to one, that differs only by the overlays' renaming.
            if renamed && follows_renaming(&values, &affixes) {
                continue;
            }
            let values = if secret && SECRET_FIELDS.iter().any(|f| field.starts_with(f)) {
                mask(&values)
            } else {
                values
            };
            rows.push(Row {
                resource: Some(who.clone()),
                field: field.clone(),
                values,
            });
        }
    }
    collapse(rows)
}

/// The (prefix, suffix) every resource of a build got from its overlay, if one pair fits all.
fn affix(b: &Output) -> Option<(String, String)> {
    let mut found: Option<(String, String)> = None;
    for (d, (_, original)) in b.resources.iter().zip(&b.originals) {
        let name = d.name();
        let at = name.find(original.as_str())?;
        let pair = (
            name[..at].to_string(),
            name[at + original.len()..].to_string(),
        );
        // Kinds kustomize does not rename (Namespace) and generated names (ending in a content
        // hash) say nothing about the overlay's affixes.
        if pair.0.is_empty() && pair.1.is_empty() {
            continue;
        }
        if found
            .as_ref()
            .is_some_and(|f| f.0 == pair.0 && f.1 != pair.1)
        {
            continue;
        }
        match &found {
            Some(f) if f.0 != pair.0 => return None,
            _ => found = Some(pair),
        }
    }
    found
}

fn follows_renaming(values: &[Option<String>], affixes: &[Option<(String, String)>]) -> bool {
    let stems: BTreeSet<Option<&str>> = values
        .iter()
        .zip(affixes)
        .filter_map(|(v, a)| {
            let (v, (p, s)) = (v.as_ref()?, a.as_ref()?);
            Some(
                v.strip_prefix(p.as_str())
                    .and_then(|v| v.strip_suffix(s.as_str())),
            )
        })
        .collect();
    stems.len() == 1 && !stems.contains(&None)
}

/// Rows that say the same of several resources (an `environment` label on each) become one.
fn collapse(rows: Vec<Row>) -> Vec<Row> {
    let mut count: BTreeMap<(String, Vec<Option<String>>), usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.resource.is_some()) {
        *count
            .entry((r.field.clone(), r.values.clone()))
            .or_default() += 1;
    }
    let mut out: Vec<Row> = Vec::new();
    let mut done = BTreeSet::new();
    for r in rows {
        let key = (r.field.clone(), r.values.clone());
        match count.get(&key) {
            Some(&n) if n > 1 && r.field != "(resource)" => {
                if done.insert(key) {
                    out.push(Row {
                        resource: Some((String::new(), format!("({n} resources)"), String::new())),
                        ..r
                    });
                }
            }
            _ => out.push(r),
        }
    }
    out
}

/// `***1`, `***2`…: equal values share a mark, nothing else is told.
fn mask(values: &[Option<String>]) -> Vec<Option<String>> {
    let mut seen: Vec<&String> = Vec::new();
    values
        .iter()
        .map(|v| {
            v.as_ref().map(|v| {
                let i = seen.iter().position(|s| *s == v).unwrap_or_else(|| {
                    seen.push(v);
                    seen.len() - 1
                });
                format!("***{}", i + 1)
            })
        })
        .collect()
}

/// Cut in the middle: a path's last keys and an image's tag are what tell rows apart.
fn cell(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width || width < 2 {
        return s.to_string();
    }
    let head = (width - 1) / 3;
    let tail = width - 1 - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

fn text(names: &[String], rows: &[Row]) -> String {
    if rows.is_empty() {
        return format!(
            "the {} environments build the same resources\n",
            names.len()
        );
    }
    let resource = |r: &Row| {
        r.resource
            .as_ref()
            .map_or("(every resource)".to_string(), |(_, k, n)| {
                if n.is_empty() {
                    k.clone()
                } else {
                    format!("{k}/{n}")
                }
            })
    };
    let w0 = rows
        .iter()
        .map(|r| resource(r).chars().count())
        .max()
        .unwrap_or(0);
    let w1 = rows
        .iter()
        .map(|r| r.field.chars().count())
        .max()
        .unwrap_or(0)
        .min(64);
    let wv = 24;
    let mut out = format!("{:<w0$}  {:<w1$}", "resource", "field");
    for n in names {
        out.push_str(&format!("  {:<wv$}", cell(n, wv)));
    }
    out = out.trim_end().to_string() + "\n";
    for r in rows {
        let mut line = format!("{:<w0$}  {:<w1$}", resource(r), cell(&r.field, w1));
        for v in &r.values {
            line.push_str(&format!("  {:<wv$}", cell(v.as_deref().unwrap_or("-"), wv)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} difference(s) across {} environments\n",
        rows.len(),
        names.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_become_marks_that_tell_only_equality() {
        let v = |s: &str| Some(s.to_string());
        assert_eq!(
            mask(&[v("hunter2"), None, v("s3cret"), v("hunter2")]),
            vec![v("***1"), None, v("***2"), v("***1")]
        );
    }
}
