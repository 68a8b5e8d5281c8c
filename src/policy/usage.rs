//! Measured usage for `usage:` in a policy: per-container CPU and memory figures, for
//! example exported from Prometheus, as CSV or JSON.
//!
//! CSV: a header, then one row per container. `kind`, `name` and `container` are required;
//! `namespace` is optional (blank matches any). Figure columns are `cpu_<stat>` and
//! `memory_<stat>`, `<stat>` being `max` or a percentile like `p95`; a blank cell is not
//! measured. Values are Kubernetes quantities (`0.12`, `120m`; `300Mi`, `314572800`). Lines
//! starting with `#` and blank lines are skipped.
//!
//! ```csv
//! namespace,kind,name,container,cpu_p95,cpu_max,memory_p95,memory_max
//! acme,Deployment,acme-api,acme-api,120m,0.4,300Mi,350Mi
//! ```
//!
//! JSON: an array of objects with the same keys, figures as strings or numbers (`null` is not
//! measured).

use crate::doc::quantity::Quantity;
use crate::doc::{Node, Pos, Source};
use crate::error::Diag;
use std::collections::HashMap;
use std::sync::Arc;

const IDENTITY: [&str; 4] = ["namespace", "kind", "name", "container"];

#[derive(Clone, Debug, PartialEq)]
pub struct UsageRow {
    /// `metrics.csv:3`, for change reasons.
    pub at: String,
    /// `None` matches any namespace.
    pub namespace: Option<String>,
    pub kind: String,
    pub name: String,
    pub container: String,
    /// `(column, value)`: `("cpu_p95", 120m)`.
    pub figures: Vec<(String, Quantity)>,
}

impl UsageRow {
    pub fn figure(&self, column: &str) -> Option<Quantity> {
        self.figures
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, q)| *q)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub file: String,
    pub rows: Vec<UsageRow>,
    /// Every figure column the file has.
    pub columns: Vec<String>,
    by_key: HashMap<(String, String, String), Vec<usize>>,
}

/// Whether `stat` names a figure: `max`, or a percentile `p1`..`p100` (decimals allowed,
/// `p99.9`).
pub fn is_stat(stat: &str) -> bool {
    stat == "max"
        || stat
            .strip_prefix('p')
            .and_then(|n| {
                let digits = n.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                (digits && !n.starts_with('.')).then(|| n.parse::<f64>().ok())?
            })
            .is_some_and(|p| p > 0.0 && p <= 100.0)
}

fn is_figure(column: &str) -> bool {
    column
        .strip_prefix("cpu_")
        .or_else(|| column.strip_prefix("memory_"))
        .is_some_and(is_stat)
}

impl Usage {
    /// The row for one container of a resource. A row naming the resource's namespace beats
    /// one leaving it blank; a resource without a namespace (set at apply time) takes a row
    /// of any namespace when only one fits. `Err` says why several fit.
    pub fn find(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
        container: &str,
    ) -> Result<Option<&UsageRow>, String> {
        let key = (kind.to_string(), name.to_string(), container.to_string());
        let Some(idx) = self.by_key.get(&key) else {
            return Ok(None);
        };
        let rows: Vec<&UsageRow> = idx.iter().map(|&i| &self.rows[i]).collect();
        if let Some(r) = rows
            .iter()
            .find(|r| r.namespace.as_deref() == Some(namespace))
        {
            return Ok(Some(r));
        }
        if let Some(r) = rows.iter().find(|r| r.namespace.is_none()) {
            return Ok(Some(r));
        }
        match rows.as_slice() {
            [one] if namespace.is_empty() => Ok(Some(one)),
            [_, _, ..] if namespace.is_empty() => Err(format!(
                "rows at {} all fit (the manifest sets no namespace); left to the resources rules",
                rows.iter()
                    .map(|r| r.at.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => Ok(None),
        }
    }

    /// Reads `source` as JSON when it is named `.json` or starts with `[`, else as CSV.
    pub fn parse(source: &Arc<Source>) -> Result<Usage, Diag> {
        let json = source
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || source.text.trim_start().starts_with('[');
        let mut usage = Usage {
            file: source.name().to_string(),
            ..Usage::default()
        };
        if json {
            usage.read_json(source)?;
        } else {
            usage.read_csv(source)?;
        }
        Ok(usage)
    }

    fn push(&mut self, source: &Arc<Source>, row: UsageRow, pos: Pos) -> Result<(), Diag> {
        let key = (row.kind.clone(), row.name.clone(), row.container.clone());
        let same = self.by_key.entry(key).or_default();
        if let Some(&first) = same
            .iter()
            .find(|&&i| self.rows[i].namespace == row.namespace)
        {
            return Err(Diag::new(format!(
                "a second row for {} {} container {}: the first is at {}",
                row.kind, row.name, row.container, self.rows[first].at
            ))
            .at(source, pos));
        }
        same.push(self.rows.len());
        self.rows.push(row);
        Ok(())
    }

    fn read_csv(&mut self, source: &Arc<Source>) -> Result<(), Diag> {
        let at = |line: usize, col: usize| Pos::new(line, col).in_file(source.id);
        let err = |msg: String, line: usize, col: usize| Diag::new(msg).at(source, at(line, col));
        let mut header: Option<Vec<String>> = None;
        for (i, line) in source.text.lines().enumerate() {
            let n = i + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let cells = split_csv(line).map_err(|col| {
                err(
                    "a quoted cell is not closed on this line".into(),
                    n,
                    col + 1,
                )
            })?;
            let Some(columns) = &header else {
                for (c, col) in &cells {
                    let known = IDENTITY.contains(&c.as_str()) || is_figure(c);
                    if !known {
                        return Err(err(format!("unknown column `{c}`"), n, col + 1).with_help(
                            "expected namespace, kind, name, container, and figures like cpu_p95, cpu_max, memory_p95, memory_max",
                        ));
                    }
                    if cells.iter().filter(|(other, _)| other == c).count() > 1 {
                        return Err(err(format!("column `{c}` appears twice"), n, col + 1));
                    }
                }
                let names: Vec<String> = cells.into_iter().map(|(c, _)| c).collect();
                for need in ["kind", "name", "container"] {
                    if !names.iter().any(|c| c == need) {
                        return Err(err(format!("no `{need}` column"), n, 1).with_help(
                            "the header needs kind, name and container (namespace is optional)",
                        ));
                    }
                }
                self.columns = names.iter().filter(|c| is_figure(c)).cloned().collect();
                header = Some(names);
                continue;
            };
            if cells.len() != columns.len() {
                return Err(err(
                    format!(
                        "{} cells where the header has {} columns",
                        cells.len(),
                        columns.len()
                    ),
                    n,
                    1,
                ));
            }
            let mut row = UsageRow {
                at: format!("{}:{n}", source.name()),
                namespace: None,
                kind: String::new(),
                name: String::new(),
                container: String::new(),
                figures: Vec::new(),
            };
            for (column, (value, col)) in columns.iter().zip(&cells) {
                let value = value.as_str();
                match column.as_str() {
                    "namespace" => row.namespace = (!value.is_empty()).then(|| value.to_string()),
                    "kind" | "name" | "container" => {
                        if value.is_empty() {
                            return Err(err(format!("`{column}` is blank"), n, col + 1));
                        }
                        let slot = match column.as_str() {
                            "kind" => &mut row.kind,
                            "name" => &mut row.name,
                            _ => &mut row.container,
                        };
                        *slot = value.to_string();
                    }
                    _ if value.is_empty() => {}
                    _ => {
                        let q = figure(Quantity::parse(value), value)
                            .map_err(|m| err(format!("`{column}`: {m}"), n, col + 1))?;
                        row.figures.push((column.clone(), q));
                    }
                }
            }
            self.push(source, row, at(n, 1))?;
        }
        if header.is_none() {
            return Err(Diag::new(
                "the usage file is empty: it needs a header like namespace,kind,name,container,cpu_p95,memory_max",
            )
            .in_file(source.name()));
        }
        Ok(())
    }

    fn read_json(&mut self, source: &Arc<Source>) -> Result<(), Diag> {
        let err = |msg: String, pos: Pos| Diag::new(msg).at(source, pos);
        let docs = source
            .parse()
            .map_err(|e| err(format!("invalid JSON: {}", e.message), e.pos))?;
        let root = docs.into_iter().find_map(|d| d.root);
        let Some(items) = root.as_ref().and_then(Node::as_seq) else {
            let pos = root.as_ref().map_or(Pos::NONE, |r| r.pos);
            return Err(err(
                "the usage file must be an array of objects like {\"kind\": \"Deployment\", \"name\": \"api\", \"container\": \"app\", \"cpu_p95\": \"120m\"}".into(),
                pos,
            )
            .in_file(source.name()));
        };
        for item in items {
            let map = item
                .as_map()
                .ok_or_else(|| err("each row must be an object".into(), item.pos))?;
            let mut row = UsageRow {
                at: format!("{}:{}", source.name(), item.pos.line),
                namespace: None,
                kind: String::new(),
                name: String::new(),
                container: String::new(),
                figures: Vec::new(),
            };
            for e in &map.entries {
                let key = e.key.as_str();
                let v = &e.value;
                if !(IDENTITY.contains(&key) || is_figure(key)) {
                    return Err(err(format!("unknown key `{key}`"), e.key_pos).with_help(
                        "expected namespace, kind, name, container, and figures like cpu_p95, cpu_max, memory_p95, memory_max",
                    ));
                }
                if !self.columns.iter().any(|c| c == key) && is_figure(key) {
                    self.columns.push(key.to_string());
                }
                if v.is_null() {
                    continue;
                }
                let text = match (v.as_map(), v.as_seq(), v.scalar_text()) {
                    (None, None, Some(t)) => t,
                    _ => return Err(err(format!("`{key}` must be a string or number"), v.pos)),
                };
                match key {
                    "namespace" => row.namespace = (!text.is_empty()).then_some(text),
                    "kind" => row.kind = text,
                    "name" => row.name = text,
                    "container" => row.container = text,
                    _ => {
                        let q = if v.as_str().is_some() {
                            Quantity::from_string_value(&text)
                        } else {
                            Quantity::from_yaml_scalar(&text)
                        };
                        let q =
                            figure(q, &text).map_err(|m| err(format!("`{key}`: {m}"), v.pos))?;
                        row.figures.push((key.to_string(), q));
                    }
                }
            }
            for (need, value) in [
                ("kind", &row.kind),
                ("name", &row.name),
                ("container", &row.container),
            ] {
                if value.is_empty() {
                    return Err(err(format!("this row has no `{need}`"), item.pos));
                }
            }
            self.push(source, row, item.pos)?;
        }
        Ok(())
    }
}

fn figure(
    q: Result<Quantity, crate::doc::quantity::QuantityError>,
    text: &str,
) -> Result<Quantity, String> {
    match q {
        Ok(q) if q.signum() < 0 => Err(format!("`{text}` is below zero")),
        Ok(q) => Ok(q),
        Err(e) => Err(e.to_string()),
    }
}

/// A CSV line's cells, trimmed, with the 0-based column where each starts. Quoted cells
/// take `""` for a quote. `Err` is the column of a quote left open.
fn split_csv(line: &str) -> Result<Vec<(String, usize)>, usize> {
    let chars: Vec<char> = line.trim_end_matches('\r').chars().collect();
    let mut cells = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let start = i;
        let mut cell = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(start),
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        cell.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        cell.push(c);
                        i += 1;
                    }
                }
            }
            while i < chars.len() && chars[i] != ',' {
                i += 1;
            }
        } else {
            while i < chars.len() && chars[i] != ',' {
                cell.push(chars[i]);
                i += 1;
            }
        }
        cells.push((cell.trim().to_string(), start));
        if i >= chars.len() {
            return Ok(cells);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Usage, Diag> {
        Usage::parse(&Source::new("m.csv", text.to_string()))
    }

    #[test]
    fn cells_split_on_commas_outside_quotes() {
        let cells = split_csv(r#"a, "b,c" ,"d""e",,"#).unwrap();
        let text: Vec<&str> = cells.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(text, ["a", "b,c", "d\"e", "", ""]);
        assert_eq!(cells[1].1, 3);
        assert_eq!(split_csv(r#"a,"b"#), Err(2));
    }

    #[test]
    fn stats_are_max_or_percentiles() {
        for ok in ["max", "p95", "p99.9", "p100", "p1"] {
            assert!(is_stat(ok), "{ok}");
        }
        for bad in ["p0", "p101", "p", "p.5", "avg", "P95", "p9x"] {
            assert!(!is_stat(bad), "{bad}");
        }
    }

    #[test]
    fn rows_prefer_their_namespace_then_a_blank_one() {
        let u = csv("namespace,kind,name,container,cpu_p95\nprod,Deployment,api,app,1\n,Deployment,api,app,2\nstaging,Deployment,web,app,3\ndev,Deployment,web,app,4\n").unwrap();
        let cpu = |ns: &str, name: &str| {
            u.find("Deployment", name, ns, "app")
                .map(|r| r.and_then(|r| r.figure("cpu_p95")).map(|q| q.to_string()))
        };
        assert_eq!(cpu("prod", "api"), Ok(Some("1".into())));
        assert_eq!(cpu("qa", "api"), Ok(Some("2".into())));
        assert_eq!(cpu("qa", "web"), Ok(None));
        assert!(cpu("", "web").unwrap_err().contains("m.csv:4, m.csv:5"));
        assert_eq!(cpu("dev", "web"), Ok(Some("4".into())));
    }
}
