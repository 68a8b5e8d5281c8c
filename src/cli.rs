//! Command line: flags resolve into settings, commands run, outcomes map to exit codes.

use crate::commands;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: i32 = 0;
    /// Findings, differences or drift.
    pub const FINDINGS: i32 = 1;
    /// Usage or input errors.
    pub const ERROR: i32 = 2;
}

#[derive(Parser, Debug)]
#[command(
    name = "kfold",
    version,
    about = "Load, build, consolidate, optimize and lint Kubernetes manifest trees",
    after_help = "Examples:\n  kfold render deploy/                 print every resource in canonical (kubectl kustomize) form\n  helm template my-chart | kfold render -\n  kfold completions bash > /etc/bash_completion.d/kfold\n\nExit codes: 0 success, 1 findings or differences, 2 usage or input errors."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output (never with NO_COLOR set).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Also report files that were recognised and skipped.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print resources in canonical YAML, byte-identical to what kubectl kustomize writes.
    #[command(
        after_help = "Examples:\n  kfold render deploy/base deploy/extra.yaml\n  kfold render --sort k8s/\n  helm template . | kfold render -"
    )]
    Render {
        /// Files, folders, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Sort in kustomize's legacy kind order instead of input order.
        #[arg(long)]
        sort: bool,
    },
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  kfold completions zsh > ~/.zfunc/_kfold")]
    Completions { shell: clap_complete::Shell },
}

/// Resolved output settings every command uses.
pub struct Settings {
    pub color: bool,
    pub verbose: bool,
}

impl Settings {
    fn resolve(cli: &Cli) -> Settings {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = !no_color
            && match cli.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::stderr().is_terminal(),
            };
        Settings {
            color,
            verbose: cli.verbose,
        }
    }
}

/// Runs kfold with these arguments and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
        }
    };
    let settings = Settings::resolve(&cli);
    match cli.command {
        Command::Render { paths, sort } => commands::render::run(&settings, &paths, sort),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kfold", &mut std::io::stdout());
            exit::OK
        }
    }
}
