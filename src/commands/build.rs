//! `kfold build`: kustomize roots rendered natively, byte-identical to `kubectl kustomize`.

use crate::cli::{Settings, exit};
use crate::commands::report;
use crate::error::Diag;
use crate::kustomize::{BuildOptions, Builder};
use crate::render::render_all;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

pub struct Args<'a> {
    pub roots: &'a [PathBuf],
    pub out_dir: Option<&'a Path>,
    pub strict: bool,
    pub fallback: bool,
    pub explain: Option<&'a str>,
}

/// `overlays/prod` → `overlays__prod.yaml`, the corpus's naming of rendered roots.
pub fn output_name(root: &Path) -> String {
    let parts: Vec<String> = root
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        "root.yaml".to_string()
    } else {
        format!("{}.yaml", parts.join("__"))
    }
}

fn kubectl_kustomize(root: &Path) -> Result<String, Diag> {
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(root)
        .output()
        .map_err(|e| Diag::new(format!("--kustomize-fallback: cannot run kubectl: {e}")))?;
    if !out.status.success() {
        return Err(Diag::new(format!(
            "kubectl kustomize {} failed: {}",
            root.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    String::from_utf8(out.stdout).map_err(|_| Diag::new("kubectl kustomize printed invalid UTF-8"))
}

fn build_one(
    builder: &mut Builder,
    root: &Path,
    fallback: bool,
    diags: &mut Vec<Diag>,
) -> Option<String> {
    match builder.build(root) {
        Ok(out) => {
            diags.extend(out.warnings);
            match render_all(out.resources.iter()) {
                Ok(text) => Some(text),
                Err(d) => {
                    diags.push(d);
                    None
                }
            }
        }
        Err(d)
            if fallback
                && d.help
                    .as_deref()
                    .is_some_and(|h| h.contains("--kustomize-fallback")) =>
        {
            diags.push(Diag::note(format!(
                "{}; built with kubectl kustomize instead",
                d.message
            )));
            kubectl_kustomize(root).map_err(|e| diags.push(e)).ok()
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// `Deployment/api` or `Deployment/prod/api` (kind case-insensitive).
fn explain(settings: &Settings, builder: &mut Builder, roots: &[PathBuf], what: &str) -> i32 {
    let parts: Vec<&str> = what.split('/').collect();
    let (kind, ns, name) = match parts.as_slice() {
        [k, n] => (*k, None, *n),
        [k, ns, n] => (*k, Some(*ns), *n),
        _ => {
            report(
                settings,
                &[Diag::new(format!(
                    "`{what}`: expected KIND/NAME or KIND/NAMESPACE/NAME"
                ))],
            );
            return exit::ERROR;
        }
    };
    let mut diags = Vec::new();
    let mut out = String::new();
    for root in roots {
        match builder.build(root) {
            Ok(built) => {
                diags.extend(built.warnings);
                for d in built.resources.iter().filter(|d| {
                    d.kind().eq_ignore_ascii_case(kind)
                        && d.name() == name
                        && ns.is_none_or(|n| d.namespace() == n)
                }) {
                    out.push_str(&crate::render::explain::explain(d));
                }
            }
            Err(d) => diags.push(d),
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    let errors = report(settings, &diags);
    if out.is_empty() && !errors {
        report(settings, &[Diag::new(format!("no {what} in the build"))]);
        return exit::ERROR;
    }
    if errors { exit::ERROR } else { exit::OK }
}

pub fn run(settings: &Settings, args: Args) -> i32 {
    let mut builder = Builder::new(BuildOptions {
        strict: args.strict,
    });
    if let Some(what) = args.explain {
        return explain(settings, &mut builder, args.roots, what);
    }
    let mut diags = Vec::new();
    let mut outputs = Vec::new();
    let mut failed = false;
    for root in args.roots {
        match build_one(&mut builder, root, args.fallback, &mut diags) {
            Some(text) => outputs.push((root, text)),
            None => failed = true,
        }
    }
    if let Some(dir) = args.out_dir.filter(|_| !failed) {
        if let Err(e) = write_all_atomically(dir, &outputs) {
            diags.push(e);
            failed = true;
        }
    } else if !failed {
        let mut stdout = std::io::stdout().lock();
        let many = outputs.len() > 1;
        for (root, text) in &outputs {
            if many {
                let _ = writeln!(stdout, "# kfold build {}", root.display());
            }
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    let errors = report(settings, &diags);
    if failed || errors {
        exit::ERROR
    } else {
        exit::OK
    }
}

/// Everything is written to a temporary folder first and renamed into place, so a failed
/// run leaves nothing half-written.
fn write_all_atomically(dir: &Path, outputs: &[(&PathBuf, String)]) -> Result<(), Diag> {
    let fail = |e: std::io::Error, p: &Path| {
        Diag::new(format!("cannot write: {e}")).in_file(p.display().to_string())
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(e, dir))?;
    let tmp = dir.join(format!(".kfold-tmp-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| fail(e, &tmp))?;
    let result = (|| {
        for (root, text) in outputs {
            let p = tmp.join(output_name(root));
            std::fs::write(&p, text).map_err(|e| fail(e, &p))?;
        }
        for (root, _) in outputs {
            let name = output_name(root);
            std::fs::rename(tmp.join(&name), dir.join(&name))
                .map_err(|e| fail(e, &dir.join(&name)))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}
