//! `kfold render`: print loaded resources in canonical form.

use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::load::load_paths;
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
    for doc in loaded.docs.iter() {
        match render_document(doc) {
            Ok(text) => {
                if !out.is_empty() {
                    out.push_str("---\n");
                }
                out.push_str(&text);
            }
            Err(d) => diags.push(d),
        }
    }
    diags.extend(loaded.notes);
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    if lock
        .write_all(out.as_bytes())
        .and_then(|_| lock.flush())
        .is_err()
    {
        return exit::ERROR;
    }
    if report(settings, &diags) {
        exit::ERROR
    } else {
        exit::OK
    }
}
