//! `passes::run` with the example policy over 10,000 resources: copies of the example
//! base, so every pass has work on every copy. The target is under a second for the whole
//! `kfold optimize` process (see the README for the hyperfine figure).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use kfold::doc::Document;
use kfold::passes;
use kfold::policy::Policy;
use std::path::Path;

#[allow(dead_code)]
#[path = "tree.rs"]
mod tree;

fn documents(n: usize) -> Vec<Document> {
    let mut docs = Vec::new();
    for (path, text) in tree::example_copies(n).expect("the example tree") {
        docs.extend(
            kfold::load::load_resources(Path::new(&path), text.into_bytes()).expect("valid"),
        );
    }
    docs.truncate(n);
    docs
}

fn bench(c: &mut Criterion) {
    let policy = Policy::from_file(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policy/example.yaml"),
    )
    .expect("the example policy");
    let docs = documents(10_000);
    assert_eq!(docs.len(), 10_000);
    let changes = passes::run(&mut docs.clone(), &policy).changes.len();
    assert!(
        changes > 5_000,
        "the policy must have work: {changes} changes"
    );
    let mut g = c.benchmark_group("optimize 10000 resources");
    g.sample_size(10);
    g.bench_function("passes::run, example policy", |b| {
        b.iter_batched(
            || docs.clone(),
            |mut docs| passes::run(&mut docs, &policy),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
