//! `kfold optimize`: the example policy on the example tree (every figure it promises),
//! each pass on its fixtures (`testdata/passes/<pass>/<case>/{input,policy}.yaml`, one
//! snapshot each), idempotence, unknown fields, policy errors, and the command itself.

mod common;

use common::{copy_dir, scratch as tmp};
use kfold::doc::Document;
use kfold::passes::{self, ChangeLog, display};
use kfold::policy::Policy;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLE: &str = "testdata/example/deployments/kubernetes/base";
const EXAMPLE_POLICY: &str = "testdata/policy/example.yaml";

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/optimize", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

fn load(path: &str) -> Vec<Document> {
    let loaded = kfold::load::load_paths(&[PathBuf::from(path)], &mut std::io::empty());
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.docs.docs
}

fn policy(path: &str) -> Policy {
    Policy::from_file(Path::new(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn show(log: &ChangeLog) -> String {
    let mut out = String::new();
    for c in &log.changes {
        let old = c.old.as_deref().unwrap_or("(none)");
        let new = c.new.as_deref().unwrap_or("(removed)");
        out.push_str(&format!(
            "{} {}: {old} → {new}\n    [{}] {}\n",
            display(&c.resource),
            c.field,
            c.pass,
            c.reason
        ));
    }
    for n in &log.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

fn find<'a>(docs: &'a [Document], kind: &str, name: &str) -> &'a Document {
    docs.iter()
        .find(|d| d.kind() == kind && d.name() == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn text(doc: &Document, pointer: &str) -> Option<String> {
    doc.at(pointer).and_then(|n| n.scalar_text())
}

fn kfold(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfold"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kfold runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("kfold ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_example_policy_gives_the_promised_figures() {
    let mut docs = load(EXAMPLE);
    let log = passes::run(&mut docs, &policy(EXAMPLE_POLICY));
    let container = "/spec/template/spec/containers/0";
    let api = find(&docs, "Deployment", "acme-api");
    assert_eq!(
        text(api, &format!("{container}/resources/requests/cpu")).as_deref(),
        Some("250m")
    );
    assert_eq!(
        text(api, &format!("{container}/resources/requests/memory")).as_deref(),
        Some("384Mi")
    );
    assert_eq!(
        text(api, &format!("{container}/resources/limits/memory")).as_deref(),
        Some("1Gi"),
        "limits not given stay"
    );
    let pg = find(&docs, "StatefulSet", "postgres");
    assert_eq!(
        text(pg, &format!("{container}/resources/requests/cpu")).as_deref(),
        Some("100m")
    );
    assert_eq!(
        text(pg, &format!("{container}/resources/requests/memory")).as_deref(),
        Some("256Mi")
    );
    assert_eq!(
        text(
            pg,
            "/spec/volumeClaimTemplates/0/spec/resources/requests/storage"
        )
        .as_deref(),
        Some("2Gi")
    );
    let redis = find(&docs, "Deployment", "redis");
    assert_eq!(
        text(redis, &format!("{container}/resources/requests/cpu")).as_deref(),
        Some("50m")
    );
    assert_eq!(
        text(redis, &format!("{container}/resources/requests/memory")).as_deref(),
        Some("128Mi")
    );
    assert_eq!(
        text(redis, "/spec/template/spec/volumes/0/emptyDir/sizeLimit").as_deref(),
        Some("1Gi")
    );
    assert!(
        redis
            .at("/spec/template/spec/volumes/0/persistentVolumeClaim")
            .is_none()
    );
    assert!(
        !docs
            .iter()
            .any(|d| d.kind() == "PersistentVolumeClaim" && d.name() == "redis-data"),
        "orphaned claim removed"
    );
    assert!(
        log.changes
            .iter()
            .any(|c| c.new.is_none() && c.pointer.is_empty() && c.resource.name == "redis-data"),
        "and recorded"
    );
    let hpa = find(&docs, "HorizontalPodAutoscaler", "acme-api");
    assert_eq!(text(hpa, "/spec/minReplicas").as_deref(), Some("2"));
    assert!(
        api.at("/spec/replicas").is_none(),
        "the HPA owns the replica count"
    );
    for name in ["acme-api", "keycloak"] {
        let d = find(&docs, "Deployment", name);
        assert!(
            d.at("/spec/template/spec/initContainers").is_none(),
            "{name}: wait removed"
        );
        assert_eq!(
            text(d, &format!("{container}/startupProbe/failureThreshold")).as_deref(),
            Some("60"),
            "{name}"
        );
    }
    assert_eq!(
        text(api, &format!("{container}/startupProbe/httpGet/path")).as_deref(),
        Some("/healthz")
    );
    let kc = find(&docs, "Deployment", "keycloak");
    assert_eq!(
        text(kc, &format!("{container}/startupProbe/tcpSocket/port")).as_deref(),
        Some("8080")
    );
    // openfga's wait guards its migration init container.
    let fga = find(&docs, "Deployment", "openfga");
    assert_eq!(
        fga.at("/spec/template/spec/initContainers")
            .and_then(|n| n.as_seq())
            .map(<[_]>::len),
        Some(2)
    );
    assert!(
        log.notes.iter().any(|n| n.contains("cannot shrink")),
        "{:?}",
        log.notes
    );
    // The lower floor meets the existing PodDisruptionBudget's minAvailable: 2.
    assert!(log.notes.iter().any(
        |n| n.starts_with("PodDisruptionBudget acme/acme-api") && n.contains("none be evicted")
    ));
    snap!("example-changes", show(&log));
}

#[test]
fn every_pass_is_idempotent_on_the_example() {
    let p = policy(EXAMPLE_POLICY);
    let mut docs = load(EXAMPLE);
    passes::run(&mut docs, &p);
    let again = passes::run(&mut docs, &p);
    assert!(again.changes.is_empty(), "{}", show(&again));
}

/// `testdata/passes/<pass>/<case>/`: each pass alone on its fixture.
#[test]
fn pass_fixtures() {
    let mut cases = Vec::new();
    for pass in std::fs::read_dir("testdata/passes")
        .expect("fixtures")
        .flatten()
    {
        for case in std::fs::read_dir(pass.path()).expect("cases").flatten() {
            cases.push(case.path());
        }
    }
    cases.sort();
    assert!(cases.len() >= 7, "{cases:?}");
    for case in cases {
        let pass_name = case
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let pass = passes::find(&pass_name).unwrap_or_else(|| panic!("no pass {pass_name}"));
        let input = case.join("input.yaml");
        let p = policy(&case.join("policy.yaml").display().to_string());
        let mut docs = load(&input.display().to_string());
        let mut log = ChangeLog::default();
        pass.apply(&mut docs, &p, &mut log);
        assert!(!log.changes.is_empty(), "{}: no change", case.display());
        let out = kfold::render::render_all(docs.iter()).expect("renders");
        let original = std::fs::read_to_string(&input).expect("input");
        assert_eq!(
            original.matches("x-unknown").count(),
            out.matches("x-unknown").count(),
            "{}: unknown fields must survive",
            case.display()
        );
        let mut again = ChangeLog::default();
        pass.apply(&mut docs, &p, &mut again);
        assert!(
            again.changes.is_empty(),
            "{}: a second run changed\n{}",
            case.display(),
            show(&again)
        );
        let name = format!(
            "{pass_name}-{}",
            case.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        snap!(name, format!("{}\n==> output <==\n{out}", show(&log)));
    }
}

#[test]
fn policy_errors_name_the_file_and_line() {
    let mut files: Vec<PathBuf> = std::fs::read_dir("testdata/policy/errors")
        .expect("errors")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        assert_policy_error(&f, |at| format!("{}:{at}", f.display()));
    }
}

/// A policy whose first line says `# expect: WHERE message` fails to parse with that
/// message at the location `located` makes of WHERE.
fn assert_policy_error(f: &Path, located: impl Fn(&str) -> String) {
    let text = std::fs::read_to_string(f).expect("read");
    let expect = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect: "))
        .expect("an expect line");
    let (at, message) = expect.split_once(' ').expect("WHERE message");
    let err = Policy::from_file(f).expect_err("must not parse");
    assert_eq!(
        err.location(),
        Some(located(at)),
        "{}: {}",
        f.display(),
        err.message
    );
    assert!(
        err.message.contains(message),
        "{}: {}",
        f.display(),
        err.message
    );
}

#[test]
fn policy_init_is_a_valid_policy_that_only_fixes_structure() {
    let (code, out, err) = kfold(&["policy", "init"], None);
    assert_eq!(code, 0, "{err}");
    let source = kfold::doc::Source::new("policy-init.yaml", out);
    let p = Policy::parse(&source).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.resources.is_empty() && p.storage.is_empty() && p.images.is_empty());
    let mut docs = load(EXAMPLE);
    let before = docs.len();
    let log = passes::run(&mut docs, &p);
    assert!(docs.len() >= before, "never removes a resource");
    assert!(
        log.changes.iter().all(|c| c.new.is_some()),
        "removes nothing: {}",
        show(&log)
    );
    assert!(
        log.changes
            .iter()
            .all(|c| matches!(c.pass, "tune-hpa" | "zero-downtime-rollout")),
        "{}",
        show(&log)
    );
}

#[test]
fn a_kustomize_root_among_other_files_is_refused_with_the_way_round() {
    let (code, _, err) = kfold(
        &[
            "optimize",
            "testdata/example/deployments/kustomize",
            EXAMPLE,
            "--policy",
            EXAMPLE_POLICY,
        ],
        None,
    );
    assert_eq!(code, 2);
    let err = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        err.contains("a kustomize root among other files: optimize it on its own"),
        "{err}"
    );
    let (code, _, err) = kfold(
        &[
            "optimize",
            EXAMPLE,
            "--policy",
            EXAMPLE_POLICY,
            "--into",
            "base",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--into is for a kustomize root"), "{err}");
}

fn build(root: &Path) -> Vec<Document> {
    kfold::kustomize::build::Builder::new(Default::default())
        .build(root)
        .unwrap_or_else(|e| panic!("{e}"))
        .resources
}

/// What the passes make of a root's build, canonical and in a stable order.
fn optimized_build(root: &Path, policy_file: &Path) -> Vec<(String, String)> {
    let mut docs = build(root);
    passes::run(&mut docs, &Policy::from_file(policy_file).expect("policy"));
    kfold::consolidate::canonical_set(&docs)
}

#[test]
fn a_kustomize_root_takes_the_changes_as_patches_proven_by_building_it() {
    let dir = tmp("root-overlay");
    copy_dir(Path::new("testdata/optimize-root"), &dir);
    let (overlay, base, policy) = (
        dir.join("overlay"),
        dir.join("base"),
        dir.join("policy.yaml"),
    );
    let want = optimized_build(&overlay, &policy);
    let base_before = kfold::consolidate::canonical_set(&build(&base));
    let args = |extra: &[&str]| {
        let mut a = vec![
            "optimize".to_string(),
            overlay.display().to_string(),
            "--policy".into(),
            policy.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        kfold(&a.iter().map(String::as_str).collect::<Vec<_>>(), None)
    };
    let (code, out, err) = run(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("+$patch: delete"), "{out}");
    assert!(out.contains("Dry run: nothing written"), "{out}");
    assert!(!overlay.join("kfold-optimize.yaml").exists());
    let (code, out, err) = run(&["--write"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("builds to the optimized result"), "{out}");
    // The new budget passes through the root's own labels transformer.
    let got: Vec<(String, String)> = kfold::consolidate::canonical_set(&build(&overlay))
        .into_iter()
        .map(|(id, text)| {
            let text = if id.starts_with("PodDisruptionBudget") {
                text.replace("  labels:\n    env: prod\n", "")
            } else {
                text
            };
            (id, text)
        })
        .collect();
    assert_eq!(got, want, "the root builds to what the passes made of it");
    assert_eq!(
        kfold::consolidate::canonical_set(&build(&base)),
        base_before,
        "the base, and every other root on it, is unaffected"
    );
    let k = std::fs::read_to_string(overlay.join("kustomization.yaml")).expect("read");
    assert!(
        k.contains("  - ../base # everything\n  - kfold-optimize-resources.yaml\n"),
        "{k}"
    );
    assert!(
        k.contains("# Production: the shared base"),
        "comments stay: {k}"
    );
    assert!(k.contains("- path: kfold-optimize.yaml\n"), "{k}");
    assert!(
        k.contains("kind: HorizontalPodAutoscaler\n    name: api\n    version: v2beta2"),
        "the apiVersion change goes by JSON patch: {k}"
    );
    let (code, out, _) = run(&["--write"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("No changes"), "idempotent: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn into_base_edits_the_files_the_resources_come_from() {
    let dir = tmp("root-base");
    copy_dir(Path::new("testdata/optimize-root"), &dir);
    let (overlay, policy) = (dir.join("overlay"), dir.join("policy-base.yaml"));
    let want = optimized_build(&overlay, &policy);
    let k_before = std::fs::read_to_string(overlay.join("kustomization.yaml")).expect("read");
    let o = overlay.display().to_string();
    let p = policy.display().to_string();
    let (code, out, err) = kfold(
        &["optimize", &o, "--policy", &p, "--into", "base", "--write"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("builds to the optimized result"), "{out}");
    assert_eq!(kfold::consolidate::canonical_set(&build(&overlay)), want);
    assert_eq!(
        std::fs::read_to_string(overlay.join("kustomization.yaml")).expect("read"),
        k_before
    );
    let app = std::fs::read_to_string(dir.join("base/app.yaml")).expect("read");
    assert!(
        app.contains("apiVersion: autoscaling/v2\n") && app.contains("cpu: 120m"),
        "{app}"
    );
    // Edited in place: the flow mappings and list indentation of the base stay.
    assert!(
        app.contains("  labels: {app: api}\n") && app.contains("\n        - name: sidecar\n"),
        "{app}"
    );
    let cache = std::fs::read_to_string(dir.join("base/cache.yaml")).expect("read");
    assert!(!cache.contains("PersistentVolumeClaim"), "{cache}");
    let (code, out, _) = kfold(
        &["optimize", &o, "--policy", &p, "--into", "base", "--write"],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("No changes"), "{out}");
    // A new resource has no place in a shared base.
    let (code, _, err) = kfold(
        &[
            "optimize",
            &o,
            "--policy",
            &dir.join("policy.yaml").display().to_string(),
            "--into",
            "base",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("is new"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn into_base_refuses_a_field_a_patch_sets() {
    let (code, _, err) = kfold(
        &[
            "optimize",
            "testdata/example/deployments/kustomize/overlays/dev",
            "--policy",
            EXAMPLE_POLICY,
            "--into",
            "base",
            "--write",
        ],
        None,
    );
    assert_eq!(code, 2);
    let err = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("");
    assert!(
        err.contains("overlays/dev/deployment-patch.yaml:14:20,notin"),
        "{err}"
    );
}

#[test]
fn a_root_that_undoes_its_patches_is_restored_and_explained() {
    // The dev overlay's `replicas:` entry puts back the spec.replicas the HPA rule drops.
    let dir = tmp("root-undo");
    copy_dir(Path::new("testdata/example/deployments/kustomize"), &dir);
    let dev = dir.join("overlays/dev");
    let k_before = std::fs::read_to_string(dev.join("kustomization.yaml")).expect("read");
    let (code, _, err) = kfold(
        &[
            "optimize",
            &dev.display().to_string(),
            "--policy",
            EXAMPLE_POLICY,
            "--write",
        ],
        None,
    );
    assert_eq!(code, 2);
    let err = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("");
    assert!(err.contains("at/spec/replicas"), "{err}");
    assert!(err.contains("dropReplicas:false"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dev.join("kustomization.yaml")).expect("read"),
        k_before
    );
    assert!(!dev.join("kfold-optimize.yaml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dry_run_prints_changes_and_diffs_and_writes_nothing() {
    let dir = tmp("dry");
    copy_dir(Path::new(EXAMPLE), &dir);
    let before = std::fs::read_to_string(dir.join("redis.yaml")).expect("read");
    let (code, out, err) = kfold(
        &[
            "optimize",
            &dir.display().to_string(),
            "--policy",
            EXAMPLE_POLICY,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("requests.cpu: 500m → 250m"), "{out}");
    // The diff is of the files as written, indentation and all.
    assert!(
        out.contains(
            "-              cpu: 500m\n-              memory: 512Mi\n+              cpu: 250m"
        ),
        "{out}"
    );
    assert!(
        out.contains("--write edits the 5 file(s) above in place"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("redis.yaml")).expect("read"),
        before
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_rewrites_changed_files_once() {
    let dir = tmp("write");
    copy_dir(Path::new(EXAMPLE), &dir);
    let untouched = std::fs::read_to_string(dir.join("ingress.yaml")).expect("read");
    let d = dir.display().to_string();
    let (code, out, err) = kfold(
        &["optimize", &d, "--policy", EXAMPLE_POLICY, "--write"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Wrote 5 file(s)"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("ingress.yaml")).expect("read"),
        untouched,
        "unchanged files are left alone"
    );
    let redis = std::fs::read_to_string(dir.join("redis.yaml")).expect("read");
    assert!(
        redis.contains("sizeLimit: 1Gi") && !redis.contains("PersistentVolumeClaim"),
        "{redis}"
    );
    assert!(
        !std::fs::read_dir(&dir)
            .expect("dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with('.')),
        "no temporary files left"
    );
    let (code, out, _) = kfold(&["optimize", &d, "--policy", EXAMPLE_POLICY], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("No changes"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn secret_values_never_reach_the_output() {
    let dir = tmp("secret");
    let manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2-not-for-print\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector: {matchLabels: {app: app}}\n  template:\n    metadata: {labels: {app: app}}\n    spec:\n      containers: [{name: app, image: app:1}]\n";
    std::fs::write(dir.join("app.yaml"), manifest).expect("write");
    let policy = "apiVersion: kfold.dev/v1alpha1\nkind: Policy\nimages: [{match: {image: app}, tag: \"2.0\"}]\n";
    std::fs::write(dir.join("policy.yaml"), policy).expect("write");
    let p = dir.join("policy.yaml").display().to_string();
    let (code, out, err) = kfold(
        &[
            "optimize",
            &dir.join("app.yaml").display().to_string(),
            "--policy",
            &p,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("app:1 → app:2.0"), "{out}");
    assert!(
        !out.contains("hunter2") && !err.contains("hunter2"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stdin_with_write_streams_the_result() {
    let built = std::fs::read_to_string(format!("{EXAMPLE}/hpa.yaml")).expect("read");
    let (code, out, err) = kfold(
        &["optimize", "-", "--policy", EXAMPLE_POLICY, "--write"],
        Some(&built),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("minReplicas: 2") && out.starts_with("apiVersion: autoscaling/v2"),
        "{out}"
    );
    assert!(err.contains("spec.minReplicas: 3 → 2"), "{err}");
}

#[test]
fn a_bad_policy_is_an_input_error() {
    let (code, _, err) = kfold(
        &[
            "optimize",
            EXAMPLE,
            "--policy",
            "testdata/policy/errors/unknown-section.yaml",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown-section.yaml:4:1"), "{err}");
}

/// `testdata/policy/usage-errors/<case>/policy.yaml` starts `# expect: FILE:LINE:COL text`,
/// FILE being the policy or the usage file beside it.
#[test]
fn usage_errors_name_the_usage_file_and_line() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir("testdata/policy/usage-errors")
        .expect("cases")
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{cases:?}");
    for case in cases {
        assert_policy_error(&case.join("policy.yaml"), |at| {
            format!("{}/{at}", case.display())
        });
    }
}

#[test]
fn measured_usage_beats_scaling_within_floors_and_ceilings() {
    let case = "testdata/passes/right-size-resources/usage-csv";
    let p = policy(&format!("{case}/policy.yaml"));
    let mut docs = load(&format!("{case}/input.yaml"));
    let log = passes::run(&mut docs, &p);
    let c = |doc: &Document, i: usize, field: &str| {
        text(
            doc,
            &format!("/spec/template/spec/containers/{i}/resources/{field}"),
        )
    };
    let api = find(&docs, "Deployment", "api");
    // The prod row, not the staging one: 120m × 1.2, and 300Mi × 1.15 rounded up to a Mi.
    assert_eq!(c(api, 0, "requests/cpu").as_deref(), Some("144m"));
    assert_eq!(c(api, 0, "requests/memory").as_deref(), Some("345Mi"));
    assert_eq!(c(api, 0, "limits/memory").as_deref(), Some("345Mi"));
    assert_eq!(c(api, 0, "limits/cpu"), None, "no CPU limit by default");
    assert_eq!(
        c(api, 1, "requests/cpu").as_deref(),
        Some("100m"),
        "a rule that sets nothing keeps usage off"
    );
    assert_eq!(
        c(api, 2, "requests/cpu").as_deref(),
        Some("100m"),
        "no row: the scale rule"
    );
    let worker = find(&docs, "Deployment", "worker");
    assert_eq!(
        c(worker, 0, "requests/cpu").as_deref(),
        Some("100m"),
        "60m raised to the floor"
    );
    assert_eq!(
        c(worker, 0, "requests/memory").as_deref(),
        Some("256Mi"),
        "345Mi capped"
    );
    assert!(
        worker
            .at("/spec/template/spec/containers/0/resources/limits/cpu")
            .is_none()
    );
    let pinned = find(&docs, "Deployment", "pinned");
    assert_eq!(c(pinned, 0, "requests/cpu").as_deref(), Some("1800m"));
    assert_eq!(
        c(pinned, 0, "requests/memory").as_deref(),
        Some("1Gi"),
        "a value given outright beats usage"
    );
    let reason = |field: &str| {
        log.changes
            .iter()
            .find(|ch| ch.resource.name == "api" && ch.field.ends_with(field))
            .map(|ch| ch.reason.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("[app].resources.requests.cpu").ends_with("metrics.csv:3: cpu p95 120m × 1.2"),
        "{}",
        reason("[app].resources.requests.cpu")
    );
    assert!(
        reason("[app].resources.requests.memory").contains("memory max 300Mi × 1.15"),
        "{}",
        show(&log)
    );
}

#[test]
fn a_bad_usage_file_is_an_input_error() {
    let case = "testdata/policy/usage-errors/bad-quantity";
    let (code, _, err) = kfold(
        &[
            "optimize",
            EXAMPLE,
            "--policy",
            &format!("{case}/policy.yaml"),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{case}/metrics.csv:3:")), "{err}");
}

/// The documents of a file as the passes left them equal what the written file holds.
fn assert_written_as_optimized(original: &str, written: &Path, policy_file: &Path) {
    let dir = tmp(&format!(
        "orig-{}",
        written.file_name().unwrap().to_string_lossy()
    ));
    let file = dir.join(written.file_name().unwrap());
    std::fs::write(&file, original).expect("write");
    let mut docs = load(&file.display().to_string());
    passes::run(&mut docs, &policy(&policy_file.display().to_string()));
    let got = load(&written.display().to_string());
    assert_eq!(docs.len(), got.len());
    for (want, got) in docs.iter().zip(&got) {
        assert!(
            kfold::diff::same(&want.root, &got.root),
            "{} differs",
            display(&want.id())
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const SMALL_POLICY: &str = "apiVersion: kfold.dev/v1alpha1\nkind: Policy\nresources:\n  - match: {}\n    scale: {cpu: 0.5, memory: 0.75}\nimages: [{match: {image: nginx}, tag: \"1.27\"}]\nhpa:\n  - match: {name: web}\n    minReplicas: 2\nstorage:\n  - match: {claim: \"*cache*\"}\n    emptyDir: {sizeLimit: 1Gi}\n";

#[test]
fn write_keeps_comments_and_formatting_outside_the_changed_fields() {
    let dir = tmp("keep");
    let manifest = r#"# Web tier: comments here must survive.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the name
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      # the containers
      containers:
        - name: web
          image: "nginx:latest"   # floating
          resources:
            requests: {cpu: 400m, memory: 256Mi}  # sized in 2023
            limits:
              memory: 512Mi
      volumes:
        - name: cache
          persistentVolumeClaim: {claimName: web-cache}
---
# Scales the web tier.
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3   # floor
  maxReplicas: 10
---
# Untouched.
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports: [{port: 80}]   # http
"#;
    let file = dir.join("web.yaml");
    std::fs::write(&file, manifest).expect("write");
    let policy_file = dir.join("policy.yaml");
    std::fs::write(&policy_file, SMALL_POLICY).expect("write");
    let (f, p) = (
        file.display().to_string(),
        policy_file.display().to_string(),
    );
    let (code, out, err) = kfold(&["optimize", &f, "--policy", &p, "--write"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Wrote 1 file(s)"), "{out}");
    let written = std::fs::read_to_string(&file).expect("read");
    snap!("write_keeps_comments", written.as_str());
    assert_written_as_optimized(manifest, &file, &policy_file);
    let (code, out, _) = kfold(&["optimize", &f, "--policy", &p, "--write"], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("No changes"), "idempotent: {out}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), written);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn what_cannot_be_edited_in_place_is_rendered_canonically_and_still_correct() {
    let dir = tmp("fallback");
    // A multi-line flow mapping is re-rendered as a block; a JSON-style document whole;
    // the comment and the document between them stay.
    let manifest = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {
  selector: {matchLabels: {app: web}},
  template: {metadata: {labels: {app: web}},
    spec: {containers: [{name: web, image: "nginx:latest"}]}}
}
---
# between
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1"}
---
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
 "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "nginx:1.0"}]}}}}
"#;
    let file = dir.join("web.yaml");
    std::fs::write(&file, manifest).expect("write");
    let policy_file = dir.join("policy.yaml");
    std::fs::write(&policy_file, SMALL_POLICY).expect("write");
    let (f, p) = (
        file.display().to_string(),
        policy_file.display().to_string(),
    );
    let (code, out, err) = kfold(&["optimize", &f, "--policy", &p, "--write"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Wrote 1 file(s)"), "{out}");
    let written = std::fs::read_to_string(&file).expect("read");
    snap!("fallback_stays_correct", written.as_str());
    assert_written_as_optimized(manifest, &file, &policy_file);
    let (code, out, _) = kfold(&["optimize", &f, "--policy", &p], None);
    assert_eq!(code, 0);
    assert!(out.starts_with("No changes"), "idempotent: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn in_a_kustomize_root_a_policy_matches_the_name_the_base_gives() {
    let dir = tmp("root-original-name");
    copy_dir(Path::new("testdata/optimize-root"), &dir);
    // The overlay renames `api` to `prod-api`; the policy names the base's `api` exactly.
    let policy = dir.join("by-name.yaml");
    std::fs::write(
        &policy,
        "apiVersion: kfold.dev/v1alpha1\nkind: Policy\nhpa:\n  - match: {kind: Deployment, name: api}\n    minReplicas: 4\n    dropReplicas: false\n",
    )
    .unwrap();
    let overlay = dir.join("overlay");
    let (code, out, err) = kfold(
        &[
            "optimize",
            overlay.to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("prod-api"), "{out}");
    assert!(
        out.contains("/spec/minReplicas") || out.contains("spec.minReplicas"),
        "{out}"
    );
    // In plain files there is no earlier name: `api` matches `api` only.
    let plain = dir.join("plain.yaml");
    let (_, built, _) = kfold(&["build", overlay.to_str().unwrap()], None);
    std::fs::write(&plain, built).unwrap();
    let (code, out, _) = kfold(
        &[
            "optimize",
            plain.to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(!out.contains("minReplicas"), "{out}");
}

#[test]
fn optimize_prices_what_it_changes() {
    let (code, out, _) = kfold(&["optimize", EXAMPLE, "--policy", EXAMPLE_POLICY], None);
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "Monthly cost (requests × replicas, OpenCost's default prices): $71.44 → $39.75 (−$31.69, −44.4%); at maximum replicas $163.04 → $95.18 (−$67.86, −41.6%)"
        ),
        "{out}"
    );
    // Nothing changed, nothing priced.
    let dir = tmp("priced");
    let policy = dir.join("none.yaml");
    std::fs::write(
        &policy,
        "apiVersion: kfold.dev/v1alpha1\nkind: Policy\nimages: [{match: {image: matches-nothing}, tag: \"1\"}]\n",
    )
    .unwrap();
    let (code, out, _) = kfold(
        &["optimize", EXAMPLE, "--policy", policy.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0);
    assert!(!out.contains("Monthly cost"), "{out}");
}
