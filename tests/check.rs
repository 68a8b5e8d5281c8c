//! `kfold check`: passes on a fresh consolidation, fails (exit 1) after a hand edit of a
//! generated file, a change of a source, a stale rendered snapshot, lint findings over the
//! threshold, or, once the sources are retired, a patch every overlay repeats.

mod common;

use common::{copy_dir, kfold_in as kfold};
use std::path::{Path, PathBuf};

/// A scratch folder holding a copy of the example sources (`src/`) consolidated into `k8s/`.
fn consolidated(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kfold-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example/deployments"),
        &dir.join("src"),
    );
    let (code, _, err) = kfold(&["consolidate", "src", "--out", "k8s"], &dir);
    assert_eq!(code, 0, "{err}");
    dir
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/check", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn a_fresh_consolidation_passes_from_any_directory() {
    let dir = consolidated("fresh");
    let (code, out, err) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    snap!("fresh", out);
    // Paths in kfold.yaml are relative to the tree, not to where consolidate ran.
    let (code, out, _) = kfold(&["check", "."], &dir.join("k8s"));
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_hand_edit_of_a_generated_file_is_drift() {
    let dir = consolidated("edit");
    let k = dir.join("k8s/overlays/production/kustomization.yaml");
    let text = std::fs::read_to_string(&k).unwrap();
    std::fs::write(&k, text.replace("count: 3", "count: 5")).unwrap();
    std::fs::write(dir.join("k8s/overlays/dev/extra.yaml"), "# added by hand\n").unwrap();
    let (code, out, _) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 1, "{out}");
    snap!("hand-edit", out);
    let (code, out, _) = kfold(&["check", "k8s", "--format", "github"], &dir);
    assert_eq!(code, 1);
    assert!(
        out.contains("::error file=k8s/overlays/production/kustomization.yaml,title=kfold check%3A sources::edited by hand"),
        "{out}"
    );
    let (_, out, _) = kfold(&["check", "k8s", "--format", "json"], &dir);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["drift"], true);
    assert_eq!(v["checks"][0]["status"], "fail");
    assert_eq!(v["checks"][0]["problems"].as_array().unwrap().len(), 2);
}

#[test]
fn a_change_of_a_source_is_drift_and_secrets_stay_masked() {
    let dir = consolidated("source");
    // The base the kustomize overlays use (kubernetes/base is an unused copy).
    let secret = dir.join("src/kustomize/base/postgres-secret.yaml");
    let text = std::fs::read_to_string(&secret).unwrap();
    let value_line = text
        .lines()
        .skip_while(|l| !l.starts_with("stringData"))
        .nth(1)
        .expect("a value");
    let (key, value) = value_line.split_once(':').expect("key: value");
    let changed = format!("{key}: rotated-value-9f8e7d");
    std::fs::write(&secret, text.replace(value_line, &changed)).unwrap();
    let (code, out, err) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAIL  sources"), "{out}");
    let value = value.trim().trim_matches('"');
    assert!(
        !out.contains("rotated-value-9f8e7d") && !out.contains(value),
        "{out}"
    );
}

#[test]
fn stale_rendered_snapshots_and_lint_over_the_threshold_fail() {
    let dir = consolidated("rendered");
    let k8s = dir.join("k8s");
    std::fs::create_dir_all(k8s.join("rendered")).unwrap();
    for env in ["dev", "production", "staging"] {
        let (code, out, _) = kfold(&["build", &format!("k8s/overlays/{env}")], &dir);
        assert_eq!(code, 0);
        std::fs::write(k8s.join(format!("rendered/{env}.yaml")), out).unwrap();
    }
    let (code, out, _) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok    rendered"), "{out}");
    let prod = k8s.join("rendered/production.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(&prod, text.replacen("replicas: 3", "replicas: 2", 1)).unwrap();
    let (code, out, _) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  rendered"), "{out}");
    assert!(
        out.contains("-  replicas: 2") && out.contains("+  replicas: 3"),
        "{out}"
    );

    // Lint is off in a fresh kfold.yaml; turned on, the example's findings fail the check.
    std::fs::write(&prod, text).unwrap();
    let record = k8s.join("kfold.yaml");
    let yaml = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, yaml.replace("lint: off", "lint: warning")).unwrap();
    // kfold.yaml is generated too: editing its check settings is not drift.
    let (code, out, _) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  lint"), "{out}");
    assert!(!out.contains("FAIL  sources"), "{out}");
}

#[test]
fn retired_sources_leave_the_debt_check() {
    let dir = consolidated("debt");
    std::fs::remove_dir_all(dir.join("src")).unwrap();
    let (code, out, _) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("skip  sources   sources retired"), "{out}");
    assert!(out.contains("ok    debt"), "{out}");
    let patch = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: redis\nspec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: 5\n";
    for env in ["dev", "production", "staging"] {
        let p = dir.join(format!("k8s/overlays/{env}/patches.yaml"));
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text + patch).unwrap();
    }
    let (code, out, _) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("a patch to Deployment redis is the same in every overlay (dev, production, staging): it belongs in the base"),
        "{out}"
    );
}

#[test]
fn errors_exit_2_with_file_and_line() {
    let dir = consolidated("errors");
    let record = dir.join("k8s/kfold.yaml");
    let yaml = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, yaml.replace("check:\n", "check:\n  lnit: error\n")).unwrap();
    let (code, _, err) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("unknown key `check.lnit`"), "{err}");
    assert!(err.contains("kfold.yaml"), "{err}");
    let (code, _, err) = kfold(&["check", "nowhere"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn an_optimized_consolidation_of_named_environments_is_regenerated_with_its_policy() {
    let dir = consolidated("policy");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("testdata/policy/example.yaml"),
        dir.join("policy.yaml"),
    )
    .unwrap();
    let (code, _, err) = kfold(
        &[
            "consolidate",
            "--env",
            "dev=src/kustomize/overlays/dev",
            "--env",
            "prod=src/kustomize/overlays/production",
            "--out",
            "opt",
            "--optimize",
            "policy.yaml",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let record = std::fs::read_to_string(dir.join("opt/kfold.yaml")).unwrap();
    assert!(record.contains("  optimize: ../policy.yaml\n"), "{record}");
    assert!(
        record.contains("  - dev=../src/kustomize/overlays/dev\n"),
        "{record}"
    );
    let (code, out, _) = kfold(&["check", "opt"], &dir);
    assert_eq!(code, 0, "{out}");
    // A policy change is a source change: the tree no longer is what it would give.
    let policy = std::fs::read_to_string(dir.join("policy.yaml")).unwrap();
    std::fs::write(
        dir.join("policy.yaml"),
        policy.replacen("minReplicas: 2", "minReplicas: 3", 1),
    )
    .unwrap();
    let (code, out, _) = kfold(&["check", "opt"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  sources"), "{out}");
}
