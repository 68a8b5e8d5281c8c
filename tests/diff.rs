//! `kfold diff`: semantic differences between two trees, in every format, with Secret values
//! never shown; `--git`, `--envs` and `--exit-code`.

mod common;

use common::{kfold_in as kfold, scratch as tmp};
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/diff", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

const BEFORE: &str = "testdata/diff/before.yaml";
const AFTER: &str = "testdata/diff/after.yaml";
const SECRETS: [&str; 3] = ["hunter2-old", "s3cr3t-rotated", "tok-unchanged-1234"];

#[test]
fn text_diff_shows_changes_moves_and_masks_secrets() {
    let (code, out, err) = kfold(&["diff", BEFORE, AFTER], root());
    assert_eq!(
        code, 0,
        "without --exit-code a difference is not a failure: {err}"
    );
    snap!("text", out);
}

#[test]
fn json_diff_lists_added_removed_and_changed_paths() {
    let (code, out, _) = kfold(&["diff", BEFORE, AFTER, "--format", "json"], root());
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["added"][0]["kind"], "ServiceMonitor");
    assert_eq!(v["removed"][0]["name"], "api-legacy-flags");
    let deploy = v["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"]["kind"] == "Deployment")
        .expect("deployment changed");
    assert_eq!(
        deploy["paths"],
        serde_json::json!([
            "spec.replicas",
            "spec.template.spec.containers[name=app].image"
        ])
    );
    snap!("json", out);
}

#[test]
fn stat_has_one_line_per_resource() {
    let (code, out, _) = kfold(&["diff", BEFORE, AFTER, "--stat"], root());
    assert_eq!(code, 0);
    snap!("stat", out);
}

#[test]
fn secret_values_never_appear_in_any_format() {
    for extra in [&[][..], &["--format", "json"], &["--stat"]] {
        let mut args = vec!["diff", BEFORE, AFTER];
        args.extend_from_slice(extra);
        let (_, out, err) = kfold(&args, root());
        for s in SECRETS {
            assert!(
                !out.contains(s) && !err.contains(s),
                "{s} printed with {extra:?}"
            );
        }
    }
    // A Secret only one side has is listed by name only.
    let (_, out, _) = kfold(&["diff", "testdata/diff/reformatted.yaml", AFTER], root());
    assert!(SECRETS.iter().all(|s| !out.contains(s)), "{out}");
}

#[test]
fn exit_code_says_whether_the_trees_differ() {
    let same = kfold(
        &[
            "diff",
            BEFORE,
            "testdata/diff/reformatted.yaml",
            "--exit-code",
        ],
        root(),
    );
    assert_eq!(
        same.0, 0,
        "formatting, order and comments are no difference: {}",
        same.1
    );
    assert!(
        same.1.contains("no differences (4 resources)"),
        "{}",
        same.1
    );
    let differ = kfold(&["diff", BEFORE, AFTER, "--exit-code"], root());
    assert_eq!(differ.0, 1);
    let missing = kfold(&["diff", BEFORE, "testdata/diff/absent.yaml"], root());
    assert_eq!(missing.0, 2, "{}", missing.2);
    assert!(missing.2.contains("absent.yaml"), "{}", missing.2);
}

#[test]
fn a_kustomize_root_is_built_before_comparing() {
    let overlay = "testdata/example/deployments/kustomize/overlays/production";
    let rendered = tmp("built");
    let (code, out, _) = kfold(&["build", overlay], root());
    assert_eq!(code, 0);
    let file = rendered.join("prod.yaml");
    std::fs::write(&file, out.replace("replicas: 3", "replicas: 4")).unwrap();
    let (code, out, _) = kfold(
        &["diff", overlay, file.to_str().unwrap(), "--exit-code"],
        root(),
    );
    assert_eq!(code, 1);
    assert!(out.contains("+  replicas: 4"), "{out}");
    assert!(out.contains("1 changed, 0 added, 0 removed"), "{out}");
}

#[test]
fn git_revision_against_the_working_tree() {
    let dir = tmp("git");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .map(|o| o.status.success())
    };
    if git(&["init", "-q"]).is_err() {
        println!("skipped: git is not on PATH");
        return;
    }
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::copy(root().join(BEFORE), dir.join("k8s/app.yaml")).unwrap();
    assert_eq!(git(&["add", "."]).ok(), Some(true));
    assert_eq!(git(&["commit", "-q", "-m", "before"]).ok(), Some(true));
    std::fs::copy(root().join(AFTER), dir.join("k8s/app.yaml")).unwrap();
    let (code, out, err) = kfold(
        &["diff", "--git", "HEAD", "k8s", "--stat", "--exit-code"],
        &dir,
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("Deployment.apps shop/api"), "{out}");
    assert!(out.contains("2 changed, 1 added, 1 removed"), "{out}");
    let (code, _, err) = kfold(&["diff", "--git", "no-such-rev", "k8s"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-rev"), "{err}");
}

#[test]
fn environments_of_a_consolidated_tree_as_a_table() {
    let out_dir = tmp("envs").join("k8s");
    let (code, _, err) = kfold(
        &[
            "consolidate",
            "testdata/example/deployments",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        root(),
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = kfold(&["diff", "--envs", "k8s"], out_dir.parent().unwrap());
    assert_eq!(code, 0);
    snap!("envs", out);
    let (_, json, _) = kfold(
        &["diff", "--envs", "k8s", "--format", "json"],
        out_dir.parent().unwrap(),
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let replicas = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "spec.replicas")
        .expect("replicas row");
    assert_eq!(
        replicas["values"],
        serde_json::json!({"dev": "1", "production": "3", "staging": "2"})
    );
    let (code, _, err) = kfold(
        &["diff", "--envs", "k8s", "other"],
        out_dir.parent().unwrap(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--envs DIR takes no other paths"), "{err}");
}
