//! `kfold consolidate` end to end: small environments with one kind of difference each
//! (snapshots of the generated tree), the example tree, safety and idempotence.

mod common;

use common::{kfold_in as kfold, scratch as tmp, tree, write};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn deployment(name: &str, replicas: u32, image: &str, env: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: {name}\n        image: {image}\n        env:\n        - name: MODE\n          value: {env}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n  - port: 80\n"
    )
}

/// All files of a tree, for snapshots and comparisons.
fn show(t: &BTreeMap<String, String>) -> String {
    t.iter()
        .filter(|(k, _)| k.as_str() != "README.md" && k.as_str() != "kfold.yaml")
        .map(|(k, v)| format!("==> {k} <==\n{v}"))
        .collect()
}

fn consolidate_case(name: &str, envs: &[(&str, String)]) -> BTreeMap<String, String> {
    let dir = tmp(name);
    let src = dir.join("src");
    for (env, text) in envs {
        write(&src, &[(&format!("{env}/app.yaml"), text.clone())]);
    }
    let (code, out, err) = kfold(&["consolidate", "src", "--out", "out"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("identical") && !out.contains("DIFFERS"),
        "{out}"
    );
    let t = tree(&dir.join("out"));
    let _ = std::fs::remove_dir_all(&dir);
    t
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/consolidate", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn environments_differing_only_by_replicas_get_a_replicas_entry() {
    let t = consolidate_case(
        "replicas",
        &[
            ("dev", deployment("api", 1, "nginx:1.25", "x")),
            ("prod", deployment("api", 3, "nginx:1.25", "x")),
        ],
    );
    assert!(
        !t.keys().any(|k| k.contains("patches")),
        "no patch needed: {t:?}"
    );
    snap!("replicas", show(&t));
}

#[test]
fn environments_differing_by_image_get_an_images_entry() {
    let t = consolidate_case(
        "image",
        &[
            ("dev", deployment("api", 2, "nginx:1.27", "x")),
            ("prod", deployment("api", 2, "nginx:1.25", "x")),
        ],
    );
    assert!(t.values().any(|v| v.contains("images:")));
    snap!("image", show(&t));
}

#[test]
fn an_env_var_difference_becomes_a_strategic_merge_patch() {
    let t = consolidate_case(
        "envvar",
        &[
            ("dev", deployment("api", 2, "nginx:1.25", "debug")),
            ("prod", deployment("api", 2, "nginx:1.25", "quiet")),
        ],
    );
    snap!("envvar", show(&t));
}

#[test]
fn a_resource_only_in_prod_goes_to_its_overlay_and_shared_ones_to_a_component() {
    let extra = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tuning\ndata:\n  workers: \"8\"\n";
    let monitor = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: monitoring\ndata:\n  scrape: \"yes\"\n";
    let t = consolidate_case(
        "partial",
        &[
            ("dev", deployment("api", 2, "nginx:1.25", "x")),
            ("staging", deployment("api", 2, "nginx:1.25", "x") + monitor),
            (
                "prod",
                deployment("api", 2, "nginx:1.25", "x") + monitor + extra,
            ),
        ],
    );
    assert!(t.keys().any(|k| k.starts_with("components/")), "{t:?}");
    snap!("partial", show(&t));
}

#[test]
fn prefixed_names_and_references_are_matched_across_environments() {
    let sa =
        |p: &str| format!("---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {p}api\n");
    let with_sa = |p: &str, r: u32| {
        deployment(&format!("{p}api"), r, "nginx:1.25", "x").replace(
            "      containers:",
            &format!("      serviceAccountName: {p}api\n      containers:"),
        ) + &sa(p)
    };
    let t = consolidate_case(
        "prefix",
        &[("dev", with_sa("dev-", 1)), ("prod", with_sa("prod-", 2))],
    );
    let prod = &t["overlays/prod/kustomization.yaml"];
    assert!(prod.contains("namePrefix: prod-"), "{prod}");
    assert!(
        t.values().any(|v| v.contains("serviceAccountName: api")),
        "references go back to base names"
    );
}

#[test]
fn the_example_tree_consolidates_into_at_most_30_files_and_is_idempotent() {
    let dir = tmp("example");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example/deployments");
    let before = tree(&example);
    let out = dir.join("out");
    let report = dir.join("report.json");
    let (code, stdout, err) = kfold(
        &[
            "consolidate",
            example.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stdout}\n{err}");
    assert_eq!(tree(&example), before, "sources must not change");
    let files = tree(&out);
    assert!(files.len() <= 30, "{} files", files.len());
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let envs = r["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 3);
    assert!(envs.iter().all(|e| e["verified"] == true));
    assert!(
        r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["file"].as_str().unwrap().ends_with("overlays/aws"))
    );
    assert!(
        !r["duplicates"].as_array().unwrap().is_empty(),
        "kubernetes/base and kustomize/base are copies"
    );
    // Consolidating the result (its overlays as environments) gives the same tree.
    let again = dir.join("again");
    let (code, stdout, err) = kfold(
        &[
            "consolidate",
            out.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stdout}\n{err}");
    let strip = |t: BTreeMap<String, String>| -> BTreeMap<String, String> {
        t.into_iter()
            .filter(|(k, _)| k != "README.md" && k != "kfold.yaml")
            .collect()
    };
    assert_eq!(strip(tree(&again)), strip(files));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dry_run_and_refusals_write_nothing() {
    let dir = tmp("safety");
    write(
        &dir,
        &[
            ("src/dev/app.yaml", deployment("api", 1, "nginx:1", "x")),
            ("src/prod/app.yaml", deployment("api", 2, "nginx:1", "x")),
        ],
    );
    let (code, out, _) = kfold(&["consolidate", "src", "--out", "out", "--dry-run"], &dir);
    assert_eq!(code, 0);
    assert!(
        out.contains("==> out/overlays/prod/kustomization.yaml <=="),
        "{out}"
    );
    assert!(!dir.join("out").exists(), "dry run wrote files");
    write(&dir, &[("taken/keep.txt", "mine")]);
    let (code, _, err) = kfold(&["consolidate", "src", "--out", "taken"], &dir);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("taken/keep.txt")).unwrap(),
        "mine"
    );
    let (code, _, _) = kfold(&["consolidate", "src", "--out", "taken", "--force"], &dir);
    assert_eq!(code, 0);
    assert!(dir.join("taken/base/kustomization.yaml").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".kfold"))
        .collect();
    assert!(leftovers.is_empty(), "temporary folders left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

fn yaml_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        })
        .count()
}

/// Each corpus project's rendered overlays, taken as the sprawl, consolidate into a tree
/// that rebuilds every one of them (kfold and kubectl) in no more YAML lines than the
/// project's own kustomize tree.
#[test]
fn corpus_projects_consolidate_no_larger_than_their_authors_trees() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(projects) = std::fs::read_dir(&corpus) else {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    };
    let dir = tmp("corpus");
    for project in projects
        .flatten()
        .filter(|p| p.path().join("rendered").is_dir())
    {
        let name = project.file_name().to_string_lossy().into_owned();
        let mut args = vec!["consolidate".to_string()];
        let mut rendered: Vec<PathBuf> = std::fs::read_dir(project.path().join("rendered"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                !p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("helm__")
            })
            .collect();
        rendered.sort();
        for f in &rendered {
            args.push("--env".into());
            args.push(format!(
                "{}={}",
                f.file_stem().unwrap().to_string_lossy(),
                f.display()
            ));
        }
        let out = dir.join(&name);
        args.extend(["--out".to_string(), out.display().to_string()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, err) = kfold(&refs, &dir);
        assert_eq!(code, 0, "{name}: {stdout}\n{err}");
        assert!(!stdout.contains("DIFFERS"), "{name}: {stdout}");
        let theirs: usize = walkdir::WalkDir::new(project.path())
            .into_iter()
            .filter_entry(|e| {
                let n = e.file_name().to_string_lossy();
                n != "rendered" && n != "templates" && !e.path().join("Chart.yaml").exists()
            })
            .flatten()
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml")
            })
            .map(|e| yaml_lines(e.path()))
            .sum();
        let ours: usize = walkdir::WalkDir::new(&out)
            .into_iter()
            .flatten()
            .filter(|e| {
                e.path().extension().is_some_and(|x| x == "yaml") && e.file_name() != "kfold.yaml"
            })
            .map(|e| yaml_lines(e.path()))
            .sum();
        eprintln!(
            "{name}: {ours} YAML lines against the authors' {theirs} (ratio {:.2})",
            ours as f64 / theirs as f64
        );
        assert!(ours <= theirs, "{name}: {ours} > {theirs}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_place_moves_the_sources_aside_and_prints_the_rollback() {
    let dir = tmp("inplace");
    write(
        &dir,
        &[
            ("src/dev/app.yaml", deployment("api", 1, "nginx:1", "x")),
            ("src/prod/app.yaml", deployment("api", 2, "nginx:1", "x")),
        ],
    );
    let (code, _, _) = kfold(
        &["consolidate", "src", "--out", "src/new", "--in-place"],
        &dir,
    );
    assert_eq!(code, 2, "--out inside the moved sources is refused");
    let (code, out, err) = kfold(&["consolidate", "src", "--out", "k8s", "--in-place"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!dir.join("src").exists() && dir.join("k8s/overlays/prod/kustomization.yaml").exists());
    let moved: Vec<_> = std::fs::read_dir(dir.join("DEPRECATED"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(moved.len(), 1);
    assert!(moved[0].path().join("src/prod/app.yaml").exists());
    assert!(
        out.contains("To roll back:") && out.contains("rm -rf k8s"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn consolidate_with_optimize_proves_the_overlays_against_the_optimized_environments() {
    let dir = tmp("optimize");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("testdata/example/deployments");
    let policy = root.join("testdata/policy/example.yaml");
    let out = dir.join("out");
    let (code, stdout, err) = kfold(
        &[
            "consolidate",
            example.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--optimize",
            policy.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(code, 0, "{stdout}\n{err}");
    assert!(
        stdout.contains("optimized by") && !stdout.contains("DIFFERS"),
        "{stdout}"
    );
    let all: String = tree(&out).into_values().collect();
    assert!(
        all.contains("cpu: 250m") && all.contains("memory: 384Mi"),
        "acme-api right-sized"
    );
    assert!(
        all.contains("failureThreshold: 60"),
        "startup probe instead of the wait loop"
    );
    assert!(
        !all.contains("until pg_isready"),
        "wait-for-postgres removed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
