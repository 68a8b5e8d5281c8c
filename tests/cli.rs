//! The binary as users meet it: exit code, stdout and stderr for good and bad input.

use std::path::Path;
use std::process::{Command, Stdio};

fn kfold(args: &[&str], stdin: Option<&[u8]>) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_kfold"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kfold runs");
    {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(stdin.unwrap_or_default())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("kfold finishes");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots/cli", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn bad_input_is_reported_with_file_and_position_and_exit_2() {
    for case in [
        "malformed",
        "invalid-utf8",
        "binary",
        "scalar-doc",
        "list-doc",
        "no-kind",
        "duplicate-key",
        "alias-bomb",
        "deep-nesting",
        "non-string-key",
        "infinity",
    ] {
        let out = kfold(&["render", &format!("testdata/cli/{case}.yaml")], None);
        assert!(out.starts_with("exit: 2\n"), "{case}: {out}");
        snap!(format!("render-{case}"), out);
    }
}

#[test]
fn empty_and_comment_only_files_are_not_errors() {
    snap!(
        "render-empty-and-comment-only",
        kfold(
            &[
                "render",
                "testdata/cli/empty.yaml",
                "testdata/cli/comment-only.yaml"
            ],
            None
        )
    );
}

#[test]
fn a_helm_template_given_as_a_file_is_named_as_such() {
    snap!(
        "render-helm-template",
        kfold(
            &["render", "testdata/cli/helm-template/deployment.yaml"],
            None
        )
    );
}

#[test]
fn a_tree_with_one_broken_file_still_renders_the_others() {
    snap!(
        "render-mixed-tree",
        kfold(&["render", "testdata/cli/mixed-tree"], None)
    );
    snap!(
        "render-mixed-tree-verbose",
        kfold(&["render", "--verbose", "testdata/cli/mixed-tree"], None)
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let input = b"kind: Service\napiVersion: v1\nmetadata: {name: web, labels: {on: yes}}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n";
    snap!("render-stdin", kfold(&["render", "-"], Some(input)));
}

#[test]
fn sort_uses_kustomize_legacy_kind_order() {
    let input = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n";
    let out = kfold(&["render", "--sort", "-"], Some(input));
    let kinds: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    assert_eq!(kinds, ["Namespace", "Service", "Deployment"]);
}

#[test]
fn usage_errors_exit_2_and_help_has_examples() {
    assert!(kfold(&["render"], None).starts_with("exit: 2\n"));
    assert!(kfold(&["frobnicate"], None).starts_with("exit: 2\n"));
    let help = kfold(&["render", "--help"], None);
    assert!(
        help.starts_with("exit: 0\n") && help.contains("Examples:"),
        "{help}"
    );
}

#[test]
fn completions_are_generated() {
    let out = kfold(&["completions", "bash"], None);
    assert!(
        out.starts_with("exit: 0\n") && out.contains("_kfold()"),
        "{out}"
    );
}
