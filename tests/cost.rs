//! `kfold cost` end to end: a before and an after tree (kustomize overlays, an HPA, a
//! StatefulSet's claims, plain files that move into a root), JSON, baselines, price files,
//! bad input, and the example tree's production overlay.

use std::path::Path;
use std::process::{Command, Stdio};

fn kfold(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfold"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kfold runs");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("kfold finishes");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn transcript(args: &[&str]) -> String {
    let (code, out, err) = kfold(args, b"");
    format!("exit: {code}\n--- stdout\n{out}--- stderr\n{err}")
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/cost", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

const BEFORE: &str = "testdata/cost/before";
const AFTER: &str = "testdata/cost/after";

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = kfold(args, b"");
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("json")
}

#[test]
fn each_tree_is_priced_per_environment() {
    snap!("before", transcript(&["cost", BEFORE]));
    snap!("after", transcript(&["cost", AFTER]));
}

#[test]
fn a_baseline_gives_before_after_and_the_change() {
    let out = transcript(&["cost", AFTER, "--baseline", BEFORE]);
    assert!(
        out.contains("Monthly: $1,044.84 → $308.32 (−$736.52, −70.5%)"),
        "{out}"
    );
    snap!("after-vs-before", out);
}

#[test]
fn json_has_rows_totals_and_the_delta() {
    let v = json(&["cost", AFTER, "--baseline", BEFORE, "--format", "json"]);
    let rows = v["workloads"].as_array().expect("workloads");
    let api = rows
        .iter()
        .find(|r| r["environment"] == "prod" && r["name"] == "api")
        .expect("prod api");
    // The HPA's 2..8; the init container's 1 CPU beats the app's 500m.
    assert_eq!(api["replicas"], serde_json::json!({"min": 2, "max": 8}));
    assert_eq!(
        (api["cpu"].as_f64(), api["memory"].as_f64()),
        (Some(1.0), Some(1.0))
    );
    let db = rows
        .iter()
        .find(|r| r["environment"] == "prod" && r["name"] == "db")
        .expect("db");
    assert_eq!(
        (db["replicas"]["min"].as_i64(), db["storage"].as_f64()),
        (Some(3), Some(50.0))
    );
    let agent = rows
        .iter()
        .find(|r| r["name"] == "node-agent")
        .expect("node-agent");
    assert_eq!(
        (agent["environment"].as_str(), agent["note"].as_str()),
        (Some("platform"), Some("per node"))
    );
    let sum: f64 = rows
        .iter()
        .map(|r| r["monthly"].as_f64().unwrap_or(0.0))
        .sum();
    assert!(
        (sum - v["totals"]["monthly"].as_f64().unwrap_or(0.0)).abs() < 0.005,
        "{v}"
    );
    assert_eq!(v["totals"]["monthly"], v["totals"]["monthly_min"]);
    assert_eq!(v["baseline"]["totals"]["monthly"], 1044.84);
    assert_eq!(
        v["delta"],
        serde_json::json!({"monthly": -736.52, "percent": -70.5})
    );
    snap!(
        "after-vs-before-json",
        serde_json::to_string_pretty(&v).expect("json")
    );

    let alone = json(&["cost", AFTER, "--format", "json"]);
    assert!(
        alone["baseline"].is_null() && alone["delta"].is_null(),
        "{alone}"
    );
}

#[test]
fn a_price_file_overrides_the_defaults() {
    let v = json(&[
        "cost",
        AFTER,
        "--prices",
        "testdata/cost/prices.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(v["prices"]["cpuHour"], 0.04);
    assert_eq!(v["prices"]["hoursPerMonth"], 730.0);
    let uploads = v["workloads"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "uploads")
        .expect("pvc");
    assert_eq!(uploads["monthly"], 10.0);
    snap!(
        "after-prices",
        transcript(&["cost", AFTER, "--prices", "testdata/cost/prices.yaml"])
    );
}

#[test]
fn bad_input_exits_2_with_file_and_line() {
    let out = transcript(&["cost", AFTER, "--prices", "testdata/cost/bad-prices.yaml"]);
    assert!(
        out.starts_with("exit: 2\n") && out.contains("bad-prices.yaml:2:1"),
        "{out}"
    );
    snap!("bad-prices", out);
    let out = transcript(&["cost", "testdata/cost/bad-quantity.yaml"]);
    assert!(
        out.starts_with("exit: 2\n") && out.contains("bad-quantity.yaml:13:20"),
        "{out}"
    );
    snap!("bad-quantity", out);
    assert!(transcript(&["cost", "testdata/cost/no-such-tree"]).starts_with("exit: 2\n"));
}

#[test]
fn stdin_and_single_files_are_plain_manifests() {
    let pod = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, resources: {requests: {cpu: \"1\", memory: 1Gi}}}]\n";
    let (code, out, _) = kfold(&["cost", "-"], pod);
    assert_eq!(code, 0);
    // (0.031611 + 0.004237) × 730
    assert!(
        out.contains("Environment - (plain manifests)") && out.contains("$26.17"),
        "{out}"
    );
}

#[test]
fn the_example_production_overlay() {
    snap!(
        "example-production",
        transcript(&[
            "cost",
            "testdata/example/deployments/kustomize/overlays/production"
        ])
    );
}

#[test]
fn help_documents_prices_and_examples() {
    let (code, out, _) = kfold(&["cost", "--help"], b"");
    assert_eq!(code, 0);
    for needle in [
        "Examples:",
        "0.031611",
        "per node",
        "--baseline",
        "--prices",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
}
