//! `kfold build` against kustomize: the recorded conformance corpus, the shared corpus of
//! real trees, and live differential runs of `kubectl kustomize` on conformance cases and
//! generated trees.

use kfold::kustomize::{BuildOptions, Builder};
use kfold::render::render_all;
use std::path::{Path, PathBuf};
use std::process::Command;

fn build(root: &Path) -> Result<String, String> {
    let out = Builder::new(BuildOptions::default())
        .build(root)
        .map_err(|d| d.to_string())?;
    render_all(out.resources.iter()).map_err(|d| d.to_string())
}

fn first_difference(want: &str, got: &str) -> String {
    let line = want
        .lines()
        .zip(got.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(want.lines().count().min(got.lines().count()));
    format!(
        "first difference at line {}:\n  want: {:?}\n  got:  {:?}",
        line + 1,
        want.lines().nth(line),
        got.lines().nth(line)
    )
}

fn conformance_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance/kustomize");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("testdata/conformance/kustomize")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("in").is_dir())
        .collect();
    cases.sort();
    cases
}

#[test]
fn conformance_corpus_builds_byte_for_byte() {
    let mut failures = Vec::new();
    let cases = conformance_cases();
    assert!(cases.len() >= 92, "only {} cases", cases.len());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy();
        let got = build(&case.join("in"));
        match std::fs::read_to_string(case.join("expected.yaml")) {
            Ok(want) => match got {
                Ok(got) if got == want => {}
                Ok(got) => failures.push(format!("{name}: {}", first_difference(&want, &got))),
                Err(e) => failures.push(format!("{name}: failed: {e}")),
            },
            Err(_) => {
                if got.is_ok() {
                    failures.push(format!("{name}: built, but kustomize fails on it"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `rendered/a__b__c.yaml` holds `kubectl kustomize a/b/c`.
fn corpus_roots() -> Option<Vec<(PathBuf, PathBuf)>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let trees = std::fs::read_dir(&corpus).ok()?;
    let mut roots = Vec::new();
    for tree in trees.flatten() {
        let Ok(rendered) = std::fs::read_dir(tree.path().join("rendered")) else {
            continue;
        };
        for f in rendered.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name
                .strip_suffix(".yaml")
                .filter(|s| !s.starts_with("helm__"))
            {
                roots.push((tree.path().join(stem.replace("__", "/")), f.path()));
            }
        }
    }
    roots.sort();
    Some(roots)
}

#[test]
fn corpus_roots_build_like_kubectl_recorded_them() {
    let Some(roots) = corpus_roots() else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let mut failures = Vec::new();
    for (root, rendered) in &roots {
        let want = std::fs::read_to_string(rendered).expect("rendered file");
        match build(root) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!(
                "{}: {}",
                root.display(),
                first_difference(&want, &got)
            )),
            Err(e) => failures.push(format!("{}: failed: {e}", root.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus roots differ:\n{}",
        failures.len(),
        roots.len(),
        failures.join("\n")
    );
}

fn kubectl_kustomize(root: &Path) -> Option<Result<String, String>> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(root)
        .output()
        .ok()?;
    Some(if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

fn kubectl_available() -> bool {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: kubectl is not on PATH (CI requires it)");
    }
    ok
}

#[test]
fn conformance_cases_match_live_kubectl() {
    if !kubectl_available() {
        return;
    }
    let mut failures = Vec::new();
    for case in conformance_cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("remote") {
            continue; // depends on the network, not on kustomize
        }
        let Some(want) = kubectl_kustomize(&case.join("in")) else {
            continue;
        };
        match (want, build(&case.join("in"))) {
            (Ok(w), Ok(g)) if w == g => {}
            (Err(_), Err(_)) => {}
            (Ok(w), Ok(g)) => failures.push(format!("{name}: {}", first_difference(&w, &g))),
            (Ok(_), Err(e)) => {
                failures.push(format!("{name}: kubectl builds it, kfold fails: {e}"))
            }
            (Err(e), Ok(_)) => {
                failures.push(format!("{name}: kfold builds it, kubectl fails: {e}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small deterministic generator (xorshift), so generated trees are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A base of services and an overlay using a random mix of kustomize features.
fn generate_tree(dir: &Path, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let base = dir.join("base");
    let overlay = dir.join("overlay");
    std::fs::create_dir_all(&base)?;
    std::fs::create_dir_all(&overlay)?;
    let services = 1 + rng.below(4);
    let mut resources = String::from("resources:\n");
    for i in 0..services {
        let name = format!("svc{i}");
        let file = format!("{name}.yaml");
        resources.push_str(&format!("- {file}\n"));
        let port = 8000 + rng.below(1000);
        let image = [
            "nginx:1.25",
            "ghcr.io/acme/api:1.0",
            "redis",
            "localhost:5000/app:v2",
        ][rng.below(4) as usize];
        let env = if rng.chance(50) {
            format!("        envFrom:\n        - configMapRef:\n            name: {name}-config\n")
        } else {
            String::new()
        };
        std::fs::write(
            base.join(&file),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  replicas: {r}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: main\n        image: {image}\n        ports:\n        - containerPort: {port}\n{env}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n  - port: 80\n    targetPort: {port}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\ndata:\n  PORT: \"{port}\"\n",
                r = 1 + rng.below(3),
            ),
        )?;
    }
    std::fs::write(base.join("kustomization.yaml"), resources)?;
    let mut k = String::from("resources:\n- ../base\n");
    if rng.chance(60) {
        k.push_str(&format!("namespace: ns{}\n", rng.below(3)));
    }
    if rng.chance(60) {
        k.push_str("namePrefix: pre-\n");
    }
    if rng.chance(30) {
        k.push_str("nameSuffix: -suf\n");
    }
    if rng.chance(50) {
        k.push_str("commonLabels:\n  team: core\n");
    }
    if rng.chance(50) {
        k.push_str("labels:\n- pairs:\n    env: test\n  includeTemplates: true\n");
    }
    if rng.chance(40) {
        k.push_str("commonAnnotations:\n  owner: \"42\"\n");
    }
    if rng.chance(50) {
        k.push_str("images:\n- name: nginx\n  newTag: \"1.27\"\n- name: redis\n  newName: ghcr.io/mirror/redis\n  newTag: \"7\"\n");
    }
    if rng.chance(50) {
        k.push_str(&format!(
            "replicas:\n- name: svc0\n  count: {}\n",
            2 + rng.below(5)
        ));
    }
    if rng.chance(50) {
        k.push_str("patches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /spec/template/metadata/annotations\n      value:\n        patched: \"yes\"\n");
    }
    std::fs::write(overlay.join("kustomization.yaml"), k)
}

#[test]
fn generated_trees_match_live_kubectl() {
    if !kubectl_available() {
        return;
    }
    let tmp = std::env::temp_dir().join(format!("kfold-gen-{}", std::process::id()));
    let mut failures = Vec::new();
    for seed in 1..=40 {
        let dir = tmp.join(seed.to_string());
        generate_tree(&dir, seed).expect("write tree");
        let overlay = dir.join("overlay");
        let Some(want) = kubectl_kustomize(&overlay) else {
            continue;
        };
        match (want, build(&overlay)) {
            (Ok(w), Ok(g)) if w == g => {}
            (Err(_), Err(_)) => {}
            (w, g) => failures.push(format!(
                "seed {seed}: kubectl {:?} vs kfold {:?}",
                w.map(|s| s.len()),
                g.map(|s| s.len())
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_overlay_listing_only_its_base_builds_to_the_base_and_builds_are_deterministic() {
    let tmp = std::env::temp_dir().join(format!("kfold-prop-{}", std::process::id()));
    for seed in 1..=10 {
        let dir = tmp.join(seed.to_string());
        generate_tree(&dir, seed).expect("write tree");
        let thin = dir.join("thin");
        std::fs::create_dir_all(&thin).expect("mkdir");
        std::fs::write(thin.join("kustomization.yaml"), "resources:\n- ../base\n").expect("write");
        let base = build(&dir.join("base")).expect("base builds");
        assert_eq!(build(&thin).expect("thin builds"), base, "seed {seed}");
        let overlay = build(&dir.join("overlay"));
        assert_eq!(
            build(&dir.join("overlay")),
            overlay,
            "seed {seed}: not deterministic"
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
