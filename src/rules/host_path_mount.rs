use super::support_b::{normalize_path, runtime_socket};
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

/// Host directories whose contents control or expose the node.
const SENSITIVE: &str = "/etc /var/run /run /proc /sys /root /var/lib/kubelet /boot /dev \
    /var/lib/docker /var/lib/containerd /home";

declare_rule! {
    /// ## What it does
    /// Flags `hostPath` volumes, saying when the path is sensitive (`/`, or at or under
    /// `/etc`, `/var/run`, `/run`, `/proc`, `/sys`, `/root`, `/var/lib/kubelet`, `/boot`,
    /// `/dev`, `/var/lib/docker`, `/var/lib/containerd`, `/home`) and when a container
    /// mounts it writable. Container runtime sockets are left to `docker-socket-mount`.
    ///
    /// ## Why is this bad?
    /// A host path ties the pod to one node's disk and gives it the node's files: a
    /// sensitive one hands over credentials (kubelet certificates, service account tokens
    /// of other pods) or the host itself, and a writable one lets the pod plant files the
    /// node will run.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: logs
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shipper
    ///         image: ghcr.io/acme/shipper:4.0.2
    ///         volumeMounts:
    ///         - {name: etc, mountPath: /host/etc}
    ///       volumes:
    ///       - name: etc
    ///         hostPath: {path: /etc}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: logs
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shipper
    ///         image: ghcr.io/acme/shipper:4.0.2
    ///         volumeMounts:
    ///         - {name: buffer, mountPath: /buffer}
    ///       volumes:
    ///       - name: buffer
    ///         emptyDir: {}
    /// ```
    ///
    /// ## Fix
    /// Use an `emptyDir`, a PersistentVolumeClaim, a ConfigMap or a projected volume
    /// instead; for node agents that need host files, mount the narrowest path `readOnly`
    /// and suppress with a reason.
    ///
    /// ## Options
    /// - `allowed` (default empty): comma-separated host paths not to report, each with
    ///   everything under it (e.g. `/var/log`).
    pub static RULE = {
        code: "KF215",
        name: "host-path-mount",
        category: Security,
        severity: Warning,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "sensitive-host-mounts",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    let under = |path: &str, dir: &str| path == dir || path.starts_with(&format!("{dir}/"));
    let allowed: Vec<String> = c
        .option("allowed")
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(normalize_path)
        .collect();
    for volume in spec.volumes() {
        let Some(raw) = volume.host_path().filter(|p| !p.trim().is_empty()) else {
            continue;
        };
        let path = normalize_path(raw);
        if runtime_socket(&path) || allowed.iter().any(|a| under(&path, a)) {
            continue;
        }
        let name = volume.name().unwrap_or("?");
        let writable = spec.all_containers().iter().any(|ctr| {
            ctr.volume_mounts()
                .iter()
                .any(|m| m.name() == Some(name) && m.read_only() != Some(true))
        });
        let sensitive = path == "/" || SENSITIVE.split_whitespace().any(|d| under(&path, d));
        let message = message(name, raw, sensitive, writable);
        c.report(volume.pointer_to(&["hostPath", "path"]), message)
            .with_help(
                "use an emptyDir, a PVC or a ConfigMap, or mount the narrowest host path readOnly",
            );
    }
}

fn message(volume: &str, path: &str, sensitive: bool, writable: bool) -> String {
    let kind = if sensitive {
        "sensitive host path"
    } else {
        "host path"
    };
    let access = if writable { ", mounted writable" } else { "" };
    format!("volume `{volume}` mounts the {kind} `{path}`{access}")
}
