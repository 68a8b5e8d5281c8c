//! Writes trees for timing kfold against kubectl kustomize:
//!
//!     cargo run --release --example gen_tree -- /tmp/tree-1k 1000           # flat, one resource per file
//!     cargo run --release --example gen_tree -- /tmp/k-150 150 --kustomize  # base + overlay of 150 services
//!     cargo run --release --example gen_tree -- /tmp/opt-10k 10000 --example # the example base, copied

#[path = "../benches/tree.rs"]
mod tree;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next().and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen_tree DIR COUNT [--kustomize | --example]");
        std::process::exit(2);
    };
    let dir_path = std::path::Path::new(&dir);
    let written = match args.next().as_deref() {
        Some("--kustomize") => tree::write_kustomize_tree(dir_path, n),
        Some("--example") => tree::write_example_copies(dir_path, n),
        _ => tree::write_tree(dir_path, n),
    };
    if let Err(e) = written {
        eprintln!("{dir}: {e}");
        std::process::exit(2);
    }
}
