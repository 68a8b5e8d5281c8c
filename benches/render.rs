//! Library-level costs of `kfold render`: parsing into documents, and emitting them.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kfold::doc::{Document, Source};
use kfold::load::parse::parse_stream;
use kfold::render::render_all;

// The generator's file-writing half serves examples/gen_tree.rs only.
#[allow(dead_code)]
#[path = "tree.rs"]
mod tree;

fn stream(n: usize) -> String {
    (0..n).map(tree::resource).collect::<Vec<_>>().join("---\n")
}

fn documents(text: &str) -> Vec<Document> {
    let source = Source::new("bench.yaml", text.to_string());
    parse_stream(text)
        .expect("valid YAML")
        .into_iter()
        .filter_map(|d| {
            Some(Document {
                source: source.clone(),
                index: d.index,
                item: None,
                root: d.root?,
            })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let text = stream(1000);
    let docs = documents(&text);
    let mut g = c.benchmark_group("1000 resources");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| b.iter(|| parse_stream(&text).expect("valid")));
    g.bench_function("emit", |b| {
        b.iter(|| render_all(docs.iter()).expect("renders"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
