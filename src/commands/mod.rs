//! One module per subcommand; each does its I/O at the edges and returns an exit code.

pub mod build;
pub mod check;
pub mod consolidate;
pub mod cost;
pub mod diff;
pub mod envs;
pub mod helm;
pub mod lint;
pub mod optimize;
pub mod render;
pub mod staged;

use crate::cli::Settings;
use crate::error::{Diag, Level, format_diag};
use std::io::Write;

/// Prints diagnostics to stderr (notes only when verbose) and says whether any was an error.
pub fn report(settings: &Settings, diags: &[Diag]) -> bool {
    let mut stderr = std::io::stderr().lock();
    let mut errors = false;
    for d in diags {
        if d.level == Level::Note && !settings.verbose {
            continue;
        }
        errors |= d.level == Level::Error;
        let _ = stderr.write_all(format_diag(d, settings.color).as_bytes());
    }
    errors
}
