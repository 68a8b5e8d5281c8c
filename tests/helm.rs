//! `kfold helm` and `kfold lint CHART --values`: charts generated from consolidated trees,
//! proven with real Helm (helm-python-sdk behind testdata/helm/helm), hand edits refused.
//!
//! Helm runs when an interpreter can import helm_python: $KFOLD_HELM_PYTHON (CI sets it,
//! and then it must work), else `python3`; otherwise those tests print why and skip.

mod common;

use common::{kfold_with_path as kfold_with, scratch as tmp, tree, write};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A folder holding a `helm` that runs the stand-in, or why there is none.
fn helm_dir() -> &'static Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        let explicit = std::env::var("KFOLD_HELM_PYTHON").ok();
        let python = explicit.clone().unwrap_or_else(|| "python3".into());
        let ok = Command::new(&python)
            .args(["-c", "import helm_python"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                explicit.is_none(),
                "KFOLD_HELM_PYTHON={python} cannot import helm_python"
            );
            return Err(format!(
                "{python} cannot import helm_python (pip install helm-python-sdk, or set KFOLD_HELM_PYTHON)"
            ));
        }
        let dir = std::env::temp_dir().join(format!("kfold-helm-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("bin dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/helm/helm");
        let wrapper = dir.join("helm");
        std::fs::write(
            &wrapper,
            format!("#!/bin/sh\nexec '{python}' '{}' \"$@\"\n", script.display()),
        )
        .expect("wrapper");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        // verify_chart, called in-process below, finds helm on this process's PATH.
        let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
        // SAFETY: set once, before any test reads PATH through this OnceLock.
        unsafe { std::env::set_var("PATH", &path) };
        Ok(dir)
    })
}

/// Skips the calling test (with the reason printed) when Helm cannot run here.
macro_rules! need_helm {
    () => {
        match helm_dir() {
            Ok(_) => {}
            Err(why) => {
                eprintln!("skipped: {why}");
                return;
            }
        }
    };
}

fn path_with_helm() -> String {
    match helm_dir() {
        Ok(_) => std::env::var("PATH").unwrap_or_default(),
        Err(_) => std::env::var("PATH").unwrap_or_default(),
    }
}

/// A PATH without helm (an empty folder).
fn path_without_helm() -> String {
    let dir = std::env::temp_dir().join(format!("kfold-no-helm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("empty dir");
    dir.display().to_string()
}

fn kfold(args: &[&str], cwd: &Path) -> (i32, String, String) {
    kfold_with(args, cwd, &path_with_helm())
}

/// Diagnostics as one line: miette wraps and frames them for the terminal.
fn flat(text: &str) -> String {
    text.replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn show(t: &BTreeMap<String, String>, only: impl Fn(&str) -> bool) -> String {
    t.iter()
        .filter(|(k, _)| only(k))
        .map(|(k, v)| format!("==> {k} <==\n{v}"))
        .collect()
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/helm", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// The example tree consolidated into `dir/k8s` (optimized by the example policy or not).
fn consolidated_example(dir: &Path, optimize: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("testdata/example/deployments");
    let policy = root.join("testdata/policy/example.yaml");
    let mut args = vec!["consolidate", example.to_str().unwrap(), "--out", "k8s"];
    if optimize {
        args.extend(["--optimize", policy.to_str().unwrap()]);
    }
    let (code, out, err) = kfold(&args, dir);
    assert_eq!(code, 0, "{out}\n{err}");
}

fn assert_identical(out: &str, envs: &[&str]) {
    for env in envs {
        assert!(
            out.lines()
                .any(|l| l.starts_with(env) && l.contains("identical")),
            "{env} not identical:\n{out}"
        );
    }
    assert!(!out.contains("DIFFERS") && !out.contains("FAILED"), "{out}");
}

const EXAMPLE_ENVS: &[&str] = &["dev", "production", "staging"];

#[test]
fn the_example_chart_renders_every_environment_as_its_overlay_builds() {
    need_helm!();
    for optimize in [false, true] {
        let dir = tmp(if optimize { "example-opt" } else { "example" });
        consolidated_example(&dir, optimize);
        let (code, out, err) = kfold(&["helm", "k8s", "--out", "chart"], &dir);
        assert_eq!(code, 0, "{out}\n{err}");
        assert_identical(&out, EXAMPLE_ENVS);
        let t = tree(&dir.join("chart"));
        if optimize {
            snap!(
                "example-optimized-values",
                show(&t, |k| k.starts_with("values"))
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_example_chart_is_pinned_and_generated_without_helm() {
    let dir = tmp("pinned");
    consolidated_example(&dir, false);
    let (code, out, err) = kfold_with(
        &["helm", "k8s", "--out", "chart"],
        &dir,
        &path_without_helm(),
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("skipped: helm is not on PATH") && out.contains("proof skipped"),
        "{out}"
    );
    let t = tree(&dir.join("chart"));
    // Everything that differs between environments is a value: no environment's literal
    // image tag, replica count or name prefix stays in a template.
    let templates = show(&t, |k| k.starts_with("templates/"));
    for literal in ["prod-", "staging-", "1.4.2", "premium-rwo"] {
        assert!(!templates.contains(literal), "{literal} in templates");
    }
    snap!("example-chart", show(&t, |k| k != ".kfold-chart.json"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A hand-written consolidated tree: base + dev/staging/prod overlays, with a key two
/// environments share and the third lacks, a resource only prod has, and a literal
/// string that looks like a Helm template.
fn small_tree(dir: &Path) {
    let deploy = |limits: &str, annotation: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n{annotation}spec:\n  template:\n    spec:\n      containers:\n      - name: api\n        args: [\"--greeting={{{{ .Values.greeting }}}}\"]\n        resources:\n          limits:\n{limits}"
        )
    };
    write(
        dir,
        &[
            (
                "k8s/base/kustomization.yaml",
                "resources:\n- deployment.yaml\n",
            ),
            (
                "k8s/base/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n        app: api\n    spec:\n      containers:\n      - name: api\n        image: nginx:1.25\n",
            ),
            (
                "k8s/overlays/dev/kustomization.yaml",
                "resources:\n- ../../base\nnamePrefix: dev-\npatches:\n- path: patch.yaml\n",
            ),
            (
                "k8s/overlays/dev/patch.yaml",
                &deploy(
                    "            cpu: 500m\n            memory: 1000000\n",
                    "  annotations:\n    team: web\n",
                ),
            ),
            (
                "k8s/overlays/staging/kustomization.yaml",
                "resources:\n- ../../base\nnamePrefix: staging-\npatches:\n- path: patch.yaml\n",
            ),
            (
                "k8s/overlays/staging/patch.yaml",
                &deploy(
                    "            cpu: \"1\"\n            memory: 1000000\n",
                    "  annotations:\n    team: web\n",
                ),
            ),
            (
                "k8s/overlays/prod/kustomization.yaml",
                "resources:\n- ../../base\n- pdb.yaml\nnamePrefix: prod-\nreplicas:\n- name: api\n  count: 3\npatches:\n- path: patch.yaml\n",
            ),
            (
                "k8s/overlays/prod/patch.yaml",
                &deploy("            cpu: \"2\"\n", ""),
            ),
            (
                "k8s/overlays/prod/pdb.yaml",
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: api\nspec:\n  minAvailable: 2\n  selector:\n    matchLabels:\n      app: api\n",
            ),
        ],
    );
}

#[test]
fn helm_expressions_survive_minijinja_and_literal_braces_stay_data() {
    let dir = tmp("braces");
    small_tree(&dir);
    let (code, out, err) = kfold(&["helm", "k8s", "--out", "chart"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    let t = tree(&dir.join("chart"));
    let helpers = &t["templates/_helpers.tpl"];
    assert!(helpers.contains("{{- define \"k8s.name\" -}}"), "{helpers}");
    assert!(helpers.contains("{{- end }}"), "{helpers}");
    let deploy = &t["templates/deployment-api.yaml"];
    assert!(
        deploy.contains("{{ include \"k8s.name\" (list . \"api\") }}"),
        "{deploy}"
    );
    assert!(
        deploy.contains("{{- if not (kindIs \"invalid\" "),
        "{deploy}"
    );
    // A literal `{{ .Values.greeting }}` in the manifests would be a template to Helm: it is
    // a value, printed with toJson, never template text.
    assert!(!deploy.contains("{{ .Values.greeting }}"), "{deploy}");
    assert!(t["values.yaml"].contains("--greeting={{ .Values.greeting }}"));
    snap!("small-chart", show(&t, |k| k != ".kfold-chart.json"));
    if helm_dir().is_ok() {
        assert_identical(&out, &["dev", "prod", "staging"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn values_files_override_defaults_exactly_with_nulls() {
    let dir = tmp("nulls");
    small_tree(&dir);
    let (code, out, err) = kfold(&["helm", "k8s", "--out", "chart"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    let t = tree(&dir.join("chart"));
    // dev and staging have a memory limit and an annotation; prod has neither: its values
    // file removes the defaults with nulls, and Helm must then render neither.
    let prod = &t["values-prod.yaml"];
    assert!(prod.contains("memory: null"), "{prod}");
    assert!(prod.contains("annotations: null"), "{prod}");
    assert!(
        t["values.yaml"].contains("memory: 1000000"),
        "{}",
        t["values.yaml"]
    );
    need_helm!();
    assert_identical(&out, &["dev", "prod", "staging"]);
    let helm = |values: &str| {
        let o = Command::new("helm")
            .args(["template", "r", "chart", "-f", values])
            .current_dir(&dir)
            .output()
            .expect("helm runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let prod = helm("chart/values-prod.yaml");
    assert!(!prod.contains("memory") && !prod.contains("team"), "{prod}");
    assert!(prod.contains("kind: PodDisruptionBudget"), "{prod}");
    let dev = helm("chart/values-dev.yaml");
    // toJson keeps numbers Helm holds as float64 integral: 1000000, not 1e+06.
    assert!(
        dev.contains("memory: 1000000") && dev.contains("team: web"),
        "{dev}"
    );
    assert!(!dev.contains("PodDisruptionBudget"), "{dev}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chart_labels_are_added_on_request_and_ignored_by_the_proof() {
    let dir = tmp("labels");
    small_tree(&dir);
    let (code, out, err) = kfold(&["helm", "k8s", "--out", "plain"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        !tree(&dir.join("plain"))
            .values()
            .any(|v| v.contains("helm.sh/chart:"))
    );
    let (code, out, err) = kfold(&["helm", "k8s", "--out", "chart", "--chart-labels"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    let t = tree(&dir.join("chart"));
    let deploy = &t["templates/deployment-api.yaml"];
    assert!(
        deploy.contains("helm.sh/chart: {{ include \"k8s.chart\" . | toJson }}")
            && deploy.contains("app.kubernetes.io/managed-by: {{ .Release.Service | toJson }}"),
        "{deploy}"
    );
    need_helm!();
    assert_identical(&out, &["dev", "prod", "staging"]);
    let o = Command::new("helm")
        .args(["template", "r", "chart", "-f", "chart/values-prod.yaml"])
        .current_dir(&dir)
        .output()
        .expect("helm runs");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("helm.sh/chart: \"k8s-0.1.0\"") && text.contains("managed-by: \"Helm\""),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn regenerating_refuses_to_replace_hand_edits_unless_forced() {
    let dir = tmp("edits");
    small_tree(&dir);
    let none = path_without_helm();
    let gen_ = |extra: &[&str]| {
        let mut args = vec!["helm", "k8s", "--out", "chart"];
        args.extend(extra);
        kfold_with(&args, &dir, &none)
    };
    let (code, out, err) = gen_(&[]);
    assert_eq!(code, 0, "{out}\n{err}");
    let before = tree(&dir.join("chart"));
    // Unchanged: regenerating is quiet and gives the same files.
    let (code, _, err) = gen_(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&dir.join("chart")), before);

    let file = dir.join("chart/templates/deployment-api.yaml");
    let edited = before["templates/deployment-api.yaml"]
        .replace("kind: Deployment", "kind: Deployment\n# tuned by hand");
    std::fs::write(&file, &edited).unwrap();
    std::fs::write(dir.join("chart/templates/extra.yaml"), "# mine\n").unwrap();
    let (code, out, err) = gen_(&[]);
    assert_eq!(code, 2, "{out}\n{err}");
    let e = flat(&err);
    assert!(
        e.contains(
            "chart/templates/deployment-api.yaml: edited by hand; regenerating would replace it"
        ) && err.contains("-# tuned by hand")
            && e.contains(
                "chart/templates/extra.yaml: added by hand; regenerating would remove it"
            ),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        edited,
        "left as it is"
    );

    let (code, _, err) = gen_(&["--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(&dir.join("chart")), before);

    // A folder kfold did not write is never replaced silently either.
    write(&dir, &[("other/Chart.yaml", "name: other\n")]);
    let (code, _, err) = kfold_with(&["helm", "k8s", "--out", "other"], &dir, &none);
    assert_eq!(code, 2);
    assert!(
        flat(&err).contains("was not written by kfold helm"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_chart_reports_what_differs_per_environment() {
    need_helm!();
    let dir = tmp("verify");
    small_tree(&dir);
    let (code, out, err) = kfold(&["helm", "k8s", "--out", "chart"], &dir);
    assert_eq!(code, 0, "{out}\n{err}");
    let values = dir.join("chart/values-prod.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    std::fs::write(&values, text.replace("replicas: 3", "replicas: 4")).unwrap();
    let envs = kfold::helm::environments(&dir.join("k8s")).expect("envs");
    let proofs = kfold::helm::verify_chart(&dir.join("chart"), &envs).expect("a chart");
    let by_env: BTreeMap<&str, &kfold::helm::Proof> =
        proofs.iter().map(|p| (p.env.as_str(), &p.proof)).collect();
    assert_eq!(
        by_env["dev"],
        &kfold::helm::Proof::Identical { resources: 1 }
    );
    let kfold::helm::Proof::Differs(msgs) = by_env["prod"] else {
        panic!("{proofs:?}");
    };
    assert!(
        msgs.len() == 1
            && msgs[0].starts_with("differs: Deployment.apps prod-api")
            && msgs[0].contains("-  replicas: 3\n+  replicas: 4"),
        "{msgs:?}"
    );
    assert!(kfold::helm::verify_chart(&dir.join("k8s"), &envs).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

const LINT_CHART: &[(&str, &str)] = &[
    (
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    ),
    ("chart/values.yaml", "tag: \"1.25\"\nbroken: false\n"),
    (
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      automountServiceAccountToken: false\n      serviceAccountName: web\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n      - name: web\n        image: nginx:{{ .Values.tag }}\n        securityContext:\n          allowPrivilegeEscalation: false\n          readOnlyRootFilesystem: true\n          capabilities:\n            drop: [ALL]\n        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n          limits: {cpu: 500m, memory: 128Mi}\n        readinessProbe:\n          httpGet: {path: /, port: 8080}\n        livenessProbe:\n          httpGet: {path: /, port: 8080}\n",
    ),
    (
        "chart/templates/configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n{{- if .Values.broken }}\n  mode: [unclosed\n{{- else }}\n  mode: fine\n{{- end }}\n",
    ),
    ("chart/values-dev.yaml", "tag: latest\n"),
    ("chart/values-prod.yaml", "tag: \"1.25.4\"\n"),
    ("chart/values-broken.yaml", "tag: latest\nbroken: true\n"),
];

#[test]
fn chart_lint_renders_each_values_file_and_names_it_in_every_finding() {
    need_helm!();
    let dir = tmp("lint");
    write(&dir, LINT_CHART);
    let args = [
        "lint",
        "chart",
        "--values",
        "chart/values-dev.yaml",
        "--values",
        "chart/values-broken.yaml",
        "--values",
        "chart/values-prod.yaml",
    ];
    let (code, out, err) = kfold(&args, &dir);
    // The broken rendering is an input error; the other two were still linted.
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        flat(&err).contains("chart/templates/configmap.yaml: rendered with chart/values-broken.yaml: Error: YAML parse error on web/templates/configmap.yaml"),
        "{err}"
    );
    assert!(out.contains("(values: chart/values-dev.yaml)"), "{out}");
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (_, json, _) = kfold(&json_args, &dir);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let msg = f["message"].as_str().unwrap();
        assert!(msg.contains("(values: chart/values-"), "{msg}");
        assert_eq!(f["file"], "chart/templates/deployment.yaml", "{f}");
    }
    assert!(
        findings.iter().any(|f| f["rule"] == "image-tag-latest"
            && f["message"]
                .as_str()
                .unwrap()
                .ends_with("(values: chart/values-dev.yaml)")),
        "{json}"
    );
    assert!(
        !findings.iter().any(
            |f| f["message"].as_str().unwrap().contains("values-prod.yaml")
                && f["rule"] == "image-tag-latest"
        ),
        "{json}"
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{json}");
    let mut github = args.to_vec();
    github.extend(["--format", "github"]);
    let (_, gh, _) = kfold(&github, &dir);
    snap!("chart-lint", format!("{gh}---- stderr (human) ----\n{err}"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chart_lint_without_helm_says_how_to_pipe_a_rendering_in() {
    let dir = tmp("lint-nohelm");
    write(&dir, LINT_CHART);
    let (code, out, err) = kfold_with(
        &["lint", "chart", "--values", "chart/values-dev.yaml"],
        &dir,
        &path_without_helm(),
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        flat(&err).contains("helm is not on PATH")
            && flat(&err).contains("helm template CHART -f values.yaml | kfold lint -"),
        "{err}"
    );
    let (code, _, err) = kfold_with(
        &[
            "lint",
            "chart/templates",
            "--values",
            "chart/values-dev.yaml",
        ],
        &dir,
        &path_without_helm(),
    );
    assert_eq!(code, 2);
    assert!(flat(&err).contains("has no Chart.yaml"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kfold_check_proves_the_chart_and_catches_a_hand_edit() {
    need_helm!();
    let dir = tmp("check");
    consolidated_example(&dir, true);
    let (code, out, err) = kfold(&["helm", "k8s", "--out", "k8s/chart"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = kfold(&["check", "k8s"], &dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok    chart     k8s/chart renders what every overlay builds"),
        "{out}"
    );
    let values = dir.join("k8s/chart/values-production.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    let edited = text.replacen("acme-api:1.4.2", "acme-api:1.4.9", 1);
    assert_ne!(edited, text, "production's values set the image:\n{text}");
    std::fs::write(&values, edited).unwrap();
    let (code, out, _) = kfold(&["check", "k8s", "--format", "github"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("::error file=k8s/chart/values-production.yaml,title=kfold check%3A chart::`production`: the chart renders other resources than the overlay builds"),
        "{out}"
    );
    // Without helm the chart is not verified, and check says so rather than failing.
    let (code, out, _) = kfold_with(&["check", "k8s"], &dir, &path_without_helm());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("skip  chart     k8s/chart: not verified: helm is not on PATH"),
        "{out}"
    );
}
