//! Writes a flat tree of N resources (one per file) and a kustomization listing them, for
//! timing kfold against kubectl kustomize:
//!
//!     cargo run --release --example gen_tree -- /tmp/tree-1k 1000

#[path = "../benches/tree.rs"]
mod tree;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next().and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen_tree DIR COUNT");
        std::process::exit(2);
    };
    if let Err(e) = tree::write_tree(std::path::Path::new(&dir), n) {
        eprintln!("{dir}: {e}");
        std::process::exit(2);
    }
}
