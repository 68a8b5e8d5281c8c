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
    after_help = "Examples:\n  kfold render deploy/                 print every resource in canonical (kubectl kustomize) form\n  helm template my-chart | kfold render -\n  kfold helm consolidated/ --out chart/       a Helm chart proven equal to the overlays\n  kfold completions bash > /etc/bash_completion.d/kfold\n\nExit codes: 0 success, 1 findings or differences, 2 usage or input errors."
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
    /// Build kustomize roots natively, byte-identical to `kubectl kustomize`.
    #[command(
        after_help = "Examples:\n  kfold build overlays/prod\n  kfold build overlays/* --out-dir rendered/     one file per root, a shared base parsed once\n  kfold build --strict overlays/prod              patches and images that match nothing are errors"
    )]
    Build {
        /// Kustomize roots (folders holding a kustomization.yaml).
        #[arg(required = true)]
        roots: Vec<PathBuf>,
        /// Write each root's output to DIR/<root path with / as __>.yaml instead of stdout.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Fail when a patch, replacement or images entry matches nothing.
        #[arg(long)]
        strict: bool,
        /// Hand roots using features kfold does not build (helmCharts, remote resources,
        /// plugins) to `kubectl kustomize`.
        #[arg(long)]
        kustomize_fallback: bool,
        /// Print one built resource (KIND/NAME or KIND/NAMESPACE/NAME) with the file and
        /// line that set each value.
        #[arg(long, value_name = "KIND/NAME")]
        explain: Option<String>,
    },
    /// Lint manifests; kustomize roots are built and findings point at the line that set the value.
    #[command(
        after_help = "Examples:\n  kfold lint deploy/                       every root built, plain files linted as files\n  kfold lint --format sarif deploy/ > kfold.sarif\n  helm template chart | kfold lint -\n  kfold lint chart/ --values chart/values-dev.yaml --values chart/values-prod.yaml\n\nSuppress: `# kfold:ignore RULE -- reason` on or above a line, the `kfold.dev/ignore: RULE` annotation, or .kfold.yaml."
    )]
    Lint {
        /// Files, folders, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = crate::lint::report::Format::Human)]
        format: crate::lint::report::Format,
        /// Exit 1 when a finding is at or above this severity (default: error).
        #[arg(long, value_parser = ["error", "warning", "info"])]
        fail_on: Option<String>,
        /// The configuration file (default: .kfold.yaml here or in a parent folder).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Apply the safe fixes rules offer to plain files (edited in place; comments and
        /// formatting outside the fixed fields are kept). Kustomize roots are reported, not
        /// rewritten.
        #[arg(long)]
        fix: bool,
        /// With --fix, also apply fixes marked unsafe (each rule's docs say which).
        #[arg(long, requires = "fix")]
        unsafe_fixes: bool,
        /// For a Helm chart path: render it with each values file (`helm template`) and
        /// lint every rendering.
        #[arg(long = "values", value_name = "FILE")]
        values: Vec<PathBuf>,
    },
    /// Turn per-environment copies into base/ + overlays/<env>/, proven to rebuild each environment.
    #[command(
        after_help = "Examples:\n  kfold consolidate deployments/ --out consolidated/\n  kfold consolidate --env dev=k8s/dev --env prod=rendered/prod.yaml --out k8s-new/ --report report.json\n  kfold consolidate deployments/ --out new/ --dry-run"
    )]
    Consolidate {
        /// Folders to search for environments (kustomize roots, env-named folders).
        sources: Vec<PathBuf>,
        /// An environment: NAME=PATH (a kustomize root, a folder, or a rendered file).
        #[arg(long = "env", value_name = "NAME=PATH")]
        envs: Vec<String>,
        /// Where to write the consolidated tree.
        #[arg(long)]
        out: PathBuf,
        /// Write a JSON report.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Write a Markdown report for the migration's pull request.
        #[arg(long)]
        report_md: Option<PathBuf>,
        /// Print the plan and the files; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace a non-empty --out.
        #[arg(long)]
        force: bool,
        /// After writing, move the sources to DEPRECATED/<timestamp>/ (prints the rollback).
        #[arg(long, conflicts_with = "dry_run")]
        in_place: bool,
        /// Optimize every environment by this policy (see `kfold optimize`) before consolidating.
        #[arg(long, value_name = "POLICY")]
        optimize: Option<PathBuf>,
    },
    /// Generate a Helm chart from a consolidated tree, proven to render what every overlay builds.
    #[command(
        after_help = "Examples:\n  kfold consolidate deployments/ --out k8s/ && kfold helm k8s/ --out chart/\n  helm template my-release chart/ -f chart/values-production.yaml\n  kfold helm k8s/ --out chart/ --chart-labels --name acme\n  kfold lint chart/ --values chart/values-dev.yaml --values chart/values-production.yaml\n\nThe proof renders the chart per environment with `helm template` (helm on PATH) and\ncompares it with `kfold build overlays/<env>`; without helm it is skipped.\nRegenerating refuses to replace files edited by hand (see CHART/.kfold-chart.json) unless --force.\n\nExit codes: 0 chart written, 1 the proof failed (nothing written), 2 input errors or hand edits."
    )]
    Helm {
        /// A consolidated tree (kfold.yaml, base/, overlays/<env>/).
        dir: PathBuf,
        /// The chart folder to write.
        #[arg(long, value_name = "CHART")]
        out: PathBuf,
        /// Add Helm's usual helm.sh/chart and app.kubernetes.io/managed-by labels.
        #[arg(long)]
        chart_labels: bool,
        /// Overwrite files edited by hand since kfold last wrote them.
        #[arg(long)]
        force: bool,
        /// The chart's name (default: DIR's folder name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Estimate monthly cost from CPU and memory requests × replicas, plus storage, per workload and environment.
    #[command(
        after_help = "Examples:\n  kfold cost deploy/                  each top-level kustomize root an environment, plain files as `-`\n  kfold cost overlays/prod --baseline ../main/overlays/prod\n  kfold cost deploy/ --prices prices.yaml --format json\n\nReplicas: spec.replicas, or an HPA's minReplicas..maxReplicas as a range.\nDaemonSets are priced per node, Jobs and CronJobs as one pod running all month.\nDefault prices (OpenCost's): $0.031611 per vCPU-hour, $0.004237 per GiB-hour of memory,\n$0.04 per GiB-month of storage, 730 hours a month. A --prices file sets any of cpuHour,\nmemoryGiBHour, storageGiBMonth, hoursPerMonth.\n\nExit codes: 0 success, 2 input errors."
    )]
    Cost {
        /// A kustomize root, a folder, a file, or - for stdin.
        path: PathBuf,
        /// Compare with this tree: before, after, delta and percentage per workload.
        #[arg(long, value_name = "PATH")]
        baseline: Option<PathBuf>,
        /// A YAML price file (cpuHour, memoryGiBHour, storageGiBMonth, hoursPerMonth).
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
        /// A table per environment, or JSON for scripts.
        #[arg(long, value_enum, default_value_t = crate::commands::cost::Format::Human)]
        format: crate::commands::cost::Format,
    },
    /// Apply a policy to manifests or a kustomize root: resources, autoscalers, storage, probes, rollouts, security, images.
    #[command(
        after_help = "Examples:\n  kfold policy init > policy.yaml\n  kfold optimize deploy/ --policy policy.yaml             every change with its reason, and a diff per file\n  kfold optimize deploy/ --policy policy.yaml --write     edit the changed files in place, comments kept\n  kfold optimize overlays/prod --policy policy.yaml --write   the changes as patches in that overlay, proven by building it\n  kfold build overlays/prod | kfold optimize - --policy policy.yaml --write > prod.yaml"
    )]
    Optimize {
        /// Files, folders of plain manifests, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The policy file (start from `kfold policy init`).
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// Print the changes and a diff per file; write nothing (the default).
        #[arg(long, conflicts_with = "write")]
        dry_run: bool,
        /// Edit each changed file in place atomically, keeping comments and formatting outside
        /// the changed fields; with -, print the optimized stream to stdout and the changes
        /// to stderr.
        #[arg(long)]
        write: bool,
        /// For a kustomize root: `overlay` (the default) writes the changes as patches in
        /// that root, `base` into the files the resources come from.
        #[arg(long, value_enum, value_name = "WHERE")]
        into: Option<crate::commands::optimize::Into>,
    },
    /// Compare two trees resource by resource: formatting, key order and comments never count.
    #[command(
        after_help = "Examples:\n  kfold diff overlays/prod rendered/prod.yaml       a kustomize root is built first\n  kfold diff old-tree/ new-tree/ --stat            each kustomize root in a folder compared as its own\n  kfold diff --git main overlays/prod --exit-code   the working tree against a revision\n  helm template chart | kfold diff - overlays/prod\n  kfold diff --envs consolidated/                  what each environment differs in\n\nSecret values are never printed: a changed value shows as '*** (before)' / '*** (after)'.\nExit codes: 0 (or 1 with --exit-code when different), 2 input errors."
    )]
    Diff {
        /// A and B: files, folders, kustomize roots, or - for stdin; with --git, one path (default .).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = crate::commands::diff::Format::Text)]
        format: crate::commands::diff::Format,
        /// One line per resource with the size of its change.
        #[arg(long)]
        stat: bool,
        /// Exit 1 when the trees differ, 0 when they are the same.
        #[arg(long)]
        exit_code: bool,
        /// Compare PATH in the working tree with PATH at this git revision.
        #[arg(long, value_name = "REV")]
        git: Option<String>,
        /// A consolidated tree: a table of what each environment differs in from the others.
        #[arg(long, value_name = "DIR", conflicts_with = "git")]
        envs: Option<PathBuf>,
    },
    /// The CI drift check of a consolidated tree: exit 0 when it holds, 1 on drift.
    #[command(
        after_help = "Examples:\n  kfold check k8s/                     after kfold consolidate --out k8s/\n  kfold check k8s/ --format github     annotations on the pull request\n\nChecks: the tree equals consolidating its recorded sources again (while they exist), every\noverlay builds, rendered/<env>.yaml snapshots equal the builds, lint at check.lint's threshold,\na generated chart renders what the overlays build, and (once the sources are retired) nothing\nis repeated in every overlay. Settings live in DIR/kfold.yaml.\n\nExit codes: 0 no drift, 1 drift, 2 errors."
    )]
    Check {
        /// A tree written by `kfold consolidate` (holding kfold.yaml), or any base/ + overlays/ tree.
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = crate::commands::check::Format::Text)]
        format: crate::commands::check::Format,
    },
    /// Optimization policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// List the lint rules.
    Rules {
        #[arg(long, value_enum, default_value_t = crate::commands::lint::RulesFormat::Text)]
        format: crate::commands::lint::RulesFormat,
    },
    /// Print a rule's documentation.
    #[command(after_help = "Examples:\n  kfold explain image-tag-latest\n  kfold explain KF140")]
    Explain {
        /// Rule name or code.
        rule: String,
    },
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  kfold completions zsh > ~/.zfunc/_kfold")]
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Print a commented default policy that is safe on any tree (structural fixes only).
    #[command(
        after_help = "Example:\n  kfold policy init > policy.yaml && kfold optimize deploy/ --policy policy.yaml"
    )]
    Init,
}

/// Resolved output settings every command uses.
pub struct Settings {
    pub color: bool,
    /// Colour for what goes to stdout (diffs), decided by stdout's terminal.
    pub color_stdout: bool,
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
        let color_stdout = !no_color
            && match cli.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::stdout().is_terminal(),
            };
        Settings {
            color,
            color_stdout,
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
        Command::Build {
            roots,
            out_dir,
            strict,
            kustomize_fallback,
            explain,
        } => commands::build::run(
            &settings,
            commands::build::Args {
                roots: &roots,
                out_dir: out_dir.as_deref(),
                strict,
                fallback: kustomize_fallback,
                explain: explain.as_deref(),
            },
        ),
        Command::Lint {
            paths,
            format,
            fail_on,
            config,
            fix,
            unsafe_fixes: _,
            values,
        } if !values.is_empty() => commands::lint::run_chart_lint(
            &settings,
            commands::lint::Args {
                paths: &paths,
                fix,
                unsafe_fixes: false,
                format,
                fail_on: fail_on.as_deref().and_then(crate::lint::Severity::parse),
                config: config.as_deref(),
            },
            &values,
        ),
        Command::Lint {
            paths,
            format,
            fail_on,
            config,
            fix,
            unsafe_fixes,
            values: _,
        } => commands::lint::run_lint(
            &settings,
            commands::lint::Args {
                paths: &paths,
                fix,
                unsafe_fixes,
                format,
                fail_on: fail_on.as_deref().and_then(crate::lint::Severity::parse),
                config: config.as_deref(),
            },
        ),
        Command::Consolidate {
            sources,
            envs,
            out,
            report,
            report_md,
            dry_run,
            force,
            in_place,
            optimize,
        } => commands::consolidate::run(
            &settings,
            commands::consolidate::Args {
                sources: &sources,
                envs: &envs,
                out: &out,
                report: report.as_deref(),
                report_md: report_md.as_deref(),
                dry_run,
                force,
                in_place,
                optimize: optimize.as_deref(),
            },
        ),
        Command::Helm {
            dir,
            out,
            chart_labels,
            force,
            name,
        } => commands::helm::run(
            &settings,
            commands::helm::Args {
                dir: &dir,
                out: &out,
                chart_labels,
                force,
                name: name.as_deref(),
            },
        ),
        Command::Cost {
            path,
            baseline,
            prices,
            format,
        } => commands::cost::run(
            &settings,
            commands::cost::Args {
                path: &path,
                baseline: baseline.as_deref(),
                prices: prices.as_deref(),
                format,
            },
        ),
        Command::Optimize {
            paths,
            policy,
            dry_run: _,
            write,
            into,
        } => commands::optimize::run(
            &settings,
            commands::optimize::Args {
                paths: &paths,
                policy: &policy,
                write,
                into,
            },
        ),
        Command::Diff {
            paths,
            format,
            stat,
            exit_code,
            git,
            envs,
        } => commands::diff::run(
            &settings,
            commands::diff::Args {
                paths: &paths,
                format,
                stat,
                exit_code,
                git: git.as_deref(),
                envs: envs.as_deref(),
            },
        ),
        Command::Check { dir, format } => commands::check::run(&settings, &dir, format),
        Command::Policy {
            command: PolicyCommand::Init,
        } => commands::optimize::run_policy_init(),
        Command::Rules { format } => commands::lint::run_rules(format),
        Command::Explain { rule } => commands::lint::run_explain(&settings, &rule),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "kfold", &mut std::io::stdout());
            exit::OK
        }
    }
}
