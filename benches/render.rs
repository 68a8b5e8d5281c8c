//! Library-level costs of `kfold render` (parsing into documents, emitting them) and of
//! reporting lint findings from one long stream.

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
                origin: None,
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
    // One stream, as `helm template | kfold lint -` gives: every finding's position turns
    // into a line and a snippet; this was quadratic in the stream's length.
    let findings = kfold::lint::run(
        &docs,
        kfold::rules::RULES,
        &kfold::lint::config::LintSettings::default(),
    );
    let mut g = c.benchmark_group("1000 resources in one stream");
    g.sample_size(10);
    g.bench_function("lint report human", |b| {
        b.iter(|| kfold::lint::report::human(&findings, false))
    });
    g.bench_function("lint report sarif", |b| {
        b.iter(|| kfold::lint::report::sarif(&findings, kfold::rules::RULES))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
