//! A tree written beside its destination first and swapped in whole, so that a failed proof
//! or a failed write leaves the destination as it was. Dropped without `commit`, the staged
//! copy is removed.

use crate::error::Diag;
use std::path::{Path, PathBuf};

pub struct Staged {
    pub dir: PathBuf,
    parent: PathBuf,
    tag: &'static str,
}

impl Staged {
    /// Writes `files` (paths relative to the tree) into `.kfold-<tag>-<pid>` beside `out`.
    pub fn write(
        out: &Path,
        tag: &'static str,
        files: &[(PathBuf, String)],
    ) -> Result<Staged, Diag> {
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let staged = Staged {
            dir: parent.join(format!(".kfold-{tag}-{}", std::process::id())),
            parent,
            tag,
        };
        let _ = std::fs::remove_dir_all(&staged.dir);
        let write = || -> std::io::Result<()> {
            for (rel, text) in files {
                let path = staged.dir.join(rel);
                if let Some(p) = path.parent() {
                    std::fs::create_dir_all(p)?;
                }
                std::fs::write(path, text)?;
            }
            Ok(())
        };
        write().map_err(|e| Diag::new(format!("cannot write {}: {e}", staged.dir.display())))?;
        Ok(staged)
    }

    /// Replaces `out` with the staged tree: the old tree moves aside first and comes back if
    /// the rename fails.
    pub fn commit(self, out: &Path) -> Result<(), Diag> {
        let backup = self
            .parent
            .join(format!(".kfold-{}-old-{}", self.tag, std::process::id()));
        let _ = std::fs::remove_dir_all(&backup);
        if out.exists() {
            std::fs::rename(out, &backup)
                .map_err(|e| Diag::new(format!("cannot replace {}: {e}", out.display())))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, out) {
            let _ = std::fs::rename(&backup, out);
            return Err(Diag::new(format!("cannot write {}: {e}", out.display())));
        }
        let _ = std::fs::remove_dir_all(&backup);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Replaces one file atomically (a temporary file beside it, renamed over it), keeping its
/// permissions.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.kfold-{}", std::process::id()));
    let attempt = std::fs::write(&tmp, text)
        .and_then(|()| match std::fs::metadata(path) {
            Ok(meta) => std::fs::set_permissions(&tmp, meta.permissions()),
            Err(_) => Ok(()),
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if attempt.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    attempt
}
