//! Every rule against its fixtures: `testdata/rules/<name>/invalid.yaml` must produce
//! findings of that rule (pinned by a snapshot with lines and columns), `valid.yaml` none.

use kfold::lint::lint_text;
use kfold::rules::RULES;
use std::path::Path;

fn render(findings: &[kfold::lint::Finding], name: &str) -> String {
    findings
        .iter()
        .filter(|f| f.rule.name == name)
        .map(|f| {
            let fix = f.fix.as_ref().map_or(String::new(), |x| {
                format!(
                    "\n    fix ({}): {}",
                    if x.safe { "safe" } else { "unsafe" },
                    x.title
                )
            });
            format!(
                "{}:{}:{} {} {} {}/{} {}: {}{fix}\n",
                Path::new(&f.file())
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy(),
                f.pos.line,
                f.pos.col,
                f.severity,
                f.resource.kind,
                f.resource.namespace,
                f.resource.name,
                f.pointer,
                f.message
            )
        })
        .collect()
}

#[test]
fn every_rule_has_fixtures_that_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules");
    let mut problems = Vec::new();
    for rule in RULES {
        let dir = root.join(rule.name);
        for (file, want_findings) in [("invalid.yaml", true), ("valid.yaml", false)] {
            let path = dir.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                problems.push(format!("{}: missing {}", rule.name, path.display()));
                continue;
            };
            let findings = match lint_text(&path.display().to_string(), &text, &[rule]) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(format!("{}: {file} does not load: {e}", rule.name));
                    continue;
                }
            };
            let out = render(&findings, rule.name);
            if want_findings && out.is_empty() {
                problems.push(format!("{}: invalid.yaml yields no finding", rule.name));
            }
            if !want_findings && !out.is_empty() {
                problems.push(format!("{}: valid.yaml yields findings:\n{out}", rule.name));
            }
            if want_findings {
                insta::with_settings!({snapshot_path => "../snapshots/rules", prepend_module_to_snapshot => false, omit_expression => true}, {
                    insta::assert_snapshot!(rule.name, out);
                });
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
