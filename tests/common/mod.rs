//! Helpers the integration tests share: running the binary, scratch folders, trees of files.
// Each test crate uses some of these.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs kfold in `cwd` without colour: exit code, stdout, stderr.
pub fn kfold_in(args: &[&str], cwd: &Path) -> (i32, String, String) {
    run(Command::new(env!("CARGO_BIN_EXE_kfold"))
        .args(args)
        .current_dir(cwd))
}

/// The same with this PATH (to put a helm stand-in on it, or take everything off it).
pub fn kfold_with_path(args: &[&str], cwd: &Path, path: &str) -> (i32, String, String) {
    run(Command::new(env!("CARGO_BIN_EXE_kfold"))
        .args(args)
        .current_dir(cwd)
        .env("PATH", path))
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.env("NO_COLOR", "1").output().expect("kfold runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An empty scratch folder, unique to this test binary, process and name.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kfold-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Writes files (paths relative to `dir`), making their folders.
pub fn write(dir: &Path, files: &[(&str, impl AsRef<str>)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text.as_ref()).expect("write");
    }
}

/// Every file under `dir` by relative path, for snapshots and comparisons.
pub fn tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("inside");
            (
                rel.display().to_string(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

/// Copies a folder and everything under it.
pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().flatten() {
        let dest = to.join(e.path().strip_prefix(from).expect("inside"));
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}
