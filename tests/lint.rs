//! `kfold lint` end to end: findings attributed through kustomize overlays, every reporter,
//! suppression by config, exit codes, and Secret values never printed.

use std::path::Path;
use std::process::Command;

fn kfold(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kfold"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .output()
        .expect("kfold runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/lint", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

const TREE: &str = "testdata/lint/tree";

#[test]
fn a_base_finding_is_reported_once_at_the_base_line_with_the_overlays_it_affects() {
    let (code, out, _) = kfold(&["lint", "--format", "json", TREE]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    let latest: Vec<_> = findings
        .iter()
        .filter(|f| {
            f["rule"] == "image-tag-latest"
                && f["file"]
                    .as_str()
                    .unwrap()
                    .ends_with("base/deployment.yaml")
        })
        .collect();
    assert_eq!(latest.len(), 1, "{out}");
    assert_eq!(latest[0]["line"], 16);
    assert_eq!(latest[0]["roots"].as_array().unwrap().len(), 2);
    let hpa = findings
        .iter()
        .find(|f| f["rule"] == "hpa-min-above-max")
        .expect("hpa finding");
    assert!(
        hpa["file"]
            .as_str()
            .unwrap()
            .ends_with("overlays/prod/hpa-patch.yaml"),
        "{hpa}"
    );
    assert_eq!(hpa["line"], 6);
    for f in findings {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "rule", "code", "severity", "message", "file", "line", "column", "pointer", "resource",
            "help", "fix",
        ] {
            assert!(keys.contains(&k), "missing {k} in {f}");
        }
    }
}

#[test]
fn every_reporter_is_pinned() {
    for format in ["human", "json", "sarif", "github"] {
        let (code, out, _) = kfold(&["lint", "--format", format, TREE]);
        assert_eq!(code, 1, "{format}");
        snap!(format!("tree-{format}"), out);
    }
}

#[test]
fn sarif_has_what_github_code_scanning_needs() {
    let (_, out, _) = kfold(&["lint", "--format", "sarif", TREE]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().all(|r| r["id"].is_string()
        && r["help"]["text"].is_string()
        && r["defaultConfiguration"]["level"].is_string()));
    for r in run["results"].as_array().expect("results") {
        assert!(r["ruleId"].is_string() && r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            !loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
        let region = &loc["region"];
        assert!(
            region["startLine"].as_u64().unwrap() > 1,
            "field lines, not line 1: {r}"
        );
        assert!(region["endColumn"].as_u64() > region["startColumn"].as_u64());
        assert!(r["partialFingerprints"]["kfold/v1"].is_string());
    }
}

#[test]
fn fail_on_and_config_change_the_outcome() {
    let (code, _, _) = kfold(&["lint", "--fail-on", "info", "testdata/lint/tree/standalone"]);
    assert_eq!(code, 1);
    let (code, _, _) = kfold(&["lint", "testdata/lint/tree/standalone"]);
    assert_eq!(code, 0, "warnings do not fail by default");
    let (code, out, _) = kfold(&[
        "lint",
        "--config",
        "testdata/lint/config/.kfold.yaml",
        "--format",
        "json",
        TREE,
    ]);
    assert_eq!(code, 1);
    assert!(
        !out.contains("hpa-min-above-max"),
        "ignored by config: {out}"
    );
    assert!(
        out.contains("\"severity\": \"error\""),
        "severity raised by config"
    );
    let (code, _, err) = kfold(&[
        "lint",
        "--config",
        "testdata/lint/config/bad.kfold.yaml",
        TREE,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.kfold.yaml:3:5") && err.contains("image-tag-latests"),
        "{err}"
    );
}

#[test]
fn secret_values_never_appear_in_any_format() {
    for format in ["human", "json", "sarif", "github"] {
        let (_, out, err) = kfold(&[
            "lint",
            "--fail-on",
            "info",
            "--format",
            format,
            "testdata/lint/tree/standalone",
        ]);
        assert!(
            !out.contains("q7Zr93") && !err.contains("q7Zr93"),
            "{format} leaks a secret"
        );
    }
}

#[test]
fn rules_and_explain() {
    let (code, out, _) = kfold(&["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let first = &v.as_array().expect("array")[0];
    for k in [
        "name", "code", "severity", "category", "kinds", "summary", "fix",
    ] {
        assert!(!first[k].is_null(), "rules json lacks {k}");
    }
    let (code, out, _) = kfold(&["explain", "KF140"]);
    assert_eq!(code, 0);
    assert!(out.contains("# image-tag-latest (KF140)") && out.contains("## Why is this bad?"));
    assert_eq!(kfold(&["explain", "no-such-rule"]).0, 2);
}

/// lint → fix → lint converges: a second `--fix` run applies nothing, every file still
/// loads, and no finding that offered a fix is left.
#[test]
fn fixes_converge_in_one_run_and_the_files_still_parse() {
    let dir = std::env::temp_dir().join(format!("kfold-fix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules");
    for entry in std::fs::read_dir(&rules).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        std::fs::copy(
            entry.path().join("invalid.yaml"),
            dir.join(format!("{name}.yaml")),
        )
        .unwrap();
    }
    let d = dir.to_str().unwrap();
    let (code, _, err) = kfold(&[
        "lint",
        "-v",
        "--fix",
        "--unsafe-fixes",
        "--format",
        "json",
        d,
    ]);
    assert_ne!(code, 2, "{err}");
    let first: usize = err
        .split_whitespace()
        .zip(err.split_whitespace().skip(1))
        .find(|(_, b)| b.starts_with("fix(es)"))
        .and_then(|(a, _)| a.parse().ok())
        .expect("fix count");
    assert!(first > 20, "only {first} fixes applied");
    let (code, out, err) = kfold(&[
        "lint",
        "-v",
        "--fix",
        "--unsafe-fixes",
        "--format",
        "json",
        d,
    ]);
    assert_ne!(code, 2, "{err}");
    assert!(err.contains("0 fix(es) applied"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let left: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["fix"].is_null())
        .collect();
    assert!(left.is_empty(), "findings with fixes remain: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--fix` edits in place: the comments and flow mappings around a fix stay.
#[test]
fn fix_keeps_comments_and_formatting() {
    let dir = std::env::temp_dir().join(format!("kfold-fix-keep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = "# The API.\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api  # public\n  labels: {app: api}\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.0   # pinned by CI\n          securityContext:\n            allowPrivilegeEscalation: true  # was needed once\n";
    let file = dir.join("api.yaml");
    std::fs::write(&file, manifest).unwrap();
    let f = file.to_str().unwrap();
    let (code, _, err) = kfold(&["lint", "-v", "--fix", "--format", "json", f]);
    assert_ne!(code, 2, "{err}");
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(
        fixed.starts_with("# The API.\n")
            && fixed.contains("  name: api  # public\n  labels: {app: api}\n")
            && fixed.contains("image: ghcr.io/acme/api:1.0   # pinned by CI\n")
            && fixed.contains("            allowPrivilegeEscalation: false  # was needed once\n"),
        "{fixed}"
    );
    let (_, _, err) = kfold(&["lint", "-v", "--fix", "--format", "json", f]);
    assert!(err.contains("0 fix(es) applied"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The human report goes to stdout, so its colour follows stdout: written to a file from
/// a terminal (stderr still on the terminal) it has no escape codes, and on the terminal
/// it has them. util-linux's `script` runs kfold on a pseudo-terminal.
#[test]
fn report_colour_follows_stdout() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed; it provides the terminal");
        return;
    }
    let dir = std::env::temp_dir().join(format!("kfold-lint-colour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let report = dir.join("report.txt");
    let lint = format!(
        "'{}' lint testdata/rules/pdb-missing/invalid.yaml",
        env!("CARGO_BIN_EXE_kfold")
    );
    let on_terminal = |command: &str| {
        let out = Command::new("script")
            .args(["-qec", command, "/dev/null"])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .env_remove("NO_COLOR")
            .output()
            .expect("script runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = on_terminal(&lint);
    assert!(
        shown.contains("pdb-missing") && shown.contains('\u{1b}'),
        "{shown}"
    );
    on_terminal(&format!("{lint} > '{}'", report.display()));
    let written = std::fs::read_to_string(&report).expect("report written");
    assert!(written.contains("pdb-missing"), "{written}");
    assert!(
        !written.contains('\u{1b}'),
        "escape codes in the file: {written:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
