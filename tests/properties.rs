//! Properties of the optimize passes on real trees (every `rendered/*.yaml` of
//! ../shared/corpus, skipped with the reason where it is absent) and on the example:
//! every edit a pass makes is one it recorded (it touches nothing outside the fields it
//! logs), the default policy keeps every resource, and a second run changes nothing.

use kfold::doc::{Document, Node, ResId};
use kfold::passes::{self, ChangeLog, PASSES};
use kfold::policy::Policy;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_renders() -> Option<Vec<PathBuf>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        println!("skipped: {} is absent", corpus.display());
        return None;
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&corpus)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| {
            e.path().parent().and_then(Path::file_name) == Some("rendered".as_ref())
                && e.path().extension().is_some_and(|x| x == "yaml")
        })
        .map(|e| e.into_path())
        .collect();
    files.sort();
    Some(files)
}

fn load(path: &Path) -> Vec<Document> {
    let loaded = kfold::load::load_paths(&[path.to_path_buf()], &mut std::io::empty());
    assert!(
        loaded.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        loaded.errors
    );
    loaded.docs.docs
}

/// Every edit between `before` and `after` is covered by a change the log recorded for that
/// resource: at the same field, inside it, or around it (a whole block set at once).
fn assert_every_edit_recorded(
    name: &str,
    before: &[Document],
    after: &[Document],
    log: &ChangeLog,
) -> usize {
    let mut edits = 0;
    let by_id = |docs: &[Document]| -> BTreeMap<ResId, Node> {
        docs.iter().map(|d| (d.id(), d.root.clone())).collect()
    };
    let (old, new) = (by_id(before), by_id(after));
    let recorded = |id: &ResId, pointer: &str| {
        log.changes.iter().any(|c| {
            (c.resource.kind == id.kind && c.resource.name == id.name)
                && (c.pointer.is_empty()
                    || pointer == c.pointer
                    || pointer.starts_with(&format!("{}/", c.pointer))
                    || c.pointer.starts_with(&format!("{pointer}/")))
        })
    };
    for (id, root) in &new {
        match old.get(id) {
            None => assert!(recorded(id, ""), "{name}: {id} added without a record"),
            Some(was) => {
                let diffs = kfold::doc::pointer::differences(was, root, usize::MAX);
                edits += diffs.len();
                for p in diffs {
                    // An autoscaling upgrade renames the resource's apiVersion: recorded there.
                    assert!(
                        recorded(id, &p),
                        "{name}: {id} {p} changed without a record\n{log:#?}"
                    );
                }
            }
        }
    }
    for id in old.keys().filter(|id| !new.contains_key(id)) {
        assert!(
            log.changes
                .iter()
                .any(|c| c.resource.kind == id.kind && c.resource.name == id.name),
            "{name}: {id} removed without a record"
        );
    }
    edits
}

fn default_policy() -> Policy {
    let text = include_str!("../templates/policy-init.yaml");
    let source = kfold::doc::Source::new("policy-init.yaml", text.to_string());
    Policy::parse(&source).unwrap_or_else(|e| panic!("{e}"))
}

fn policy(name: &str) -> Policy {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/policy")
        .join(name);
    Policy::from_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Each pass alone, then all together twice, on one set of documents.
fn check_properties(
    name: &str,
    docs: &[Document],
    policy: &Policy,
    keeps_resources: bool,
) -> usize {
    let mut edits = 0;
    for pass in PASSES {
        let mut after = docs.to_vec();
        let mut log = ChangeLog::default();
        pass.apply(&mut after, policy, &mut log);
        assert!(
            log.changes.iter().all(|c| c.pass == pass.name()),
            "{name}: {} recorded another pass's change",
            pass.name()
        );
        edits +=
            assert_every_edit_recorded(&format!("{name} [{}]", pass.name()), docs, &after, &log);
    }
    let mut once = docs.to_vec();
    passes::run(&mut once, policy);
    if keeps_resources {
        for d in docs {
            assert!(
                once.iter().any(|o| o.id() == d.id()),
                "{name}: the default policy removed {}",
                d.id()
            );
        }
    }
    let mut twice = once.clone();
    let again = passes::run(&mut twice, policy);
    assert!(
        again.changes.is_empty(),
        "{name}: not idempotent: {:#?}",
        again.changes
    );
    edits
}

#[test]
fn passes_on_the_corpus_record_every_edit_keep_every_resource_and_are_idempotent() {
    let Some(files) = corpus_renders() else {
        return;
    };
    assert!(files.len() >= 70, "{} renders", files.len());
    let (default, full) = (default_policy(), policy("full.yaml"));
    let mut edits = 0;
    for f in &files {
        let docs = load(f);
        let name = f.display().to_string();
        edits += check_properties(&name, &docs, &default, true);
        edits += check_properties(&name, &docs, &full, false);
    }
    assert!(
        edits >= 1000,
        "the policies edit the corpus: {edits} edits checked"
    );
}

#[test]
fn passes_on_the_example_record_every_edit() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example/deployments/kubernetes/base");
    let docs = load(&dir);
    let edits = check_properties("example", &docs, &policy("example.yaml"), false);
    assert!(
        edits >= 10,
        "the example policy edits the example: {edits} edits checked"
    );
    check_properties("example", &docs, &default_policy(), true);
    check_properties("example", &docs, &policy("full.yaml"), false);
}
