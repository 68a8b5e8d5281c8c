//! `kfold render`: print loaded resources in canonical form.

use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::load::{load_paths, parallel_map};
use crate::render::{legacy_sort, render_document};
use std::io::Write;
use std::path::PathBuf;

pub fn run(settings: &Settings, paths: &[PathBuf], sort: bool) -> i32 {
    let mut loaded = load_paths(paths, &mut std::io::stdin().lock());
    if sort {
        legacy_sort(&mut loaded.docs.docs);
    }
    let mut out = String::new();
    let mut diags = std::mem::take(&mut loaded.errors);
    let docs: Vec<_> = loaded.docs.iter().collect();
    for rendered in parallel_map(docs, render_document) {
        match rendered {
            Ok(text) => {
                if !out.is_empty() {
                    out.push_str("---\n");
                }
                out.push_str(&text);
            }
            Err(d) => diags.push(d),
        }
    }
    diags.append(&mut loaded.notes);
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    if lock
        .write_all(out.as_bytes())
        .and_then(|_| lock.flush())
        .is_err()
    {
        return exit::ERROR;
    }
    let code = if report(settings, &diags) {
        exit::ERROR
    } else {
        exit::OK
    };
    // Freeing tens of thousands of small nodes costs more than the process exit that
    // reclaims them anyway.
    std::mem::forget(loaded.docs);
    code
}
