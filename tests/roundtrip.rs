//! Proof of the renderer: kustomize's own output, loaded and rendered again, comes back
//! byte for byte.

use kfold::load::load_paths;
use kfold::render::render_all;
use std::path::{Path, PathBuf};

fn round_trip(path: &Path) -> Result<(), String> {
    let expected = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let loaded = load_paths(&[path.to_path_buf()], &mut std::io::empty());
    if let Some(e) = loaded.errors.first() {
        return Err(format!("{}: load error {e}", path.display()));
    }
    let got = render_all(loaded.docs.iter()).map_err(|e| e.to_string())?;
    if got == expected {
        return Ok(());
    }
    let first = got
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(got.lines().count().min(expected.lines().count()));
    Err(format!(
        "{}: differs at line {}:\n  want: {:?}\n  got:  {:?}",
        path.display(),
        first + 1,
        expected.lines().nth(first),
        got.lines().nth(first)
    ))
}

fn check_all(files: &[PathBuf]) {
    let failures: Vec<String> = files.iter().filter_map(|f| round_trip(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} files do not round-trip:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_conformance_expected_yaml_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/conformance/kustomize");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("testdata/conformance/kustomize exists")
        .filter_map(|e| Some(e.ok()?.path().join("expected.yaml")))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 79,
        "only {} expected.yaml files",
        files.len()
    );
    check_all(&files);
}

#[test]
fn every_corpus_kustomize_render_round_trips() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(trees) = std::fs::read_dir(&corpus) else {
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    };
    let mut files = Vec::new();
    for tree in trees.flatten() {
        let Ok(rendered) = std::fs::read_dir(tree.path().join("rendered")) else {
            continue;
        };
        for f in rendered.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            // helm__*.yaml are Helm's output, not kustomize's: comments and key order differ.
            if name.ends_with(".yaml") && !name.starts_with("helm__") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no rendered files under {}",
        corpus.display()
    );
    check_all(&files);
}
