use super::support_b::runtime_socket;
use crate::declare_rule;
use crate::lint::{Check, WORKLOADS};

declare_rule! {
    /// ## What it does
    /// Flags `hostPath` volumes that mount a container runtime socket (`docker.sock`,
    /// `containerd.sock`, `crio.sock`, `cri-dockerd.sock`, `podman.sock`) or the runtime's
    /// socket directory (`/var/run/docker`, `/run/containerd`, `/var/run/crio`, ...).
    ///
    /// ## Why is this bad?
    /// Whoever can talk to the runtime can start a privileged container with the host's
    /// root filesystem mounted: the socket is root on the node, and on every secret of
    /// every pod running there.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ci-runner
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: runner
    ///         image: ghcr.io/acme/runner:2.3.0
    ///         volumeMounts:
    ///         - {name: docker, mountPath: /var/run/docker.sock}
    ///       volumes:
    ///       - name: docker
    ///         hostPath: {path: /var/run/docker.sock, type: Socket}
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ci-runner
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: runner
    ///         image: ghcr.io/acme/runner:2.3.0
    ///         volumeMounts:
    ///         - {name: work, mountPath: /work}
    ///       volumes:
    ///       - name: work
    ///         emptyDir: {}
    /// ```
    ///
    /// ## Fix
    /// Build images without a daemon (BuildKit rootless, kaniko, buildah) and talk to the
    /// Kubernetes API rather than to the runtime.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF216",
        name: "docker-socket-mount",
        category: Security,
        severity: Error,
        kinds: WORKLOADS,
        check: check,
        kube_linter: "docker-sock",
    }
}

fn check(c: &mut Check) {
    let Some(spec) = super::util::pod_spec(c.doc) else {
        return;
    };
    for volume in spec.volumes() {
        let Some(path) = volume.host_path().filter(|p| runtime_socket(p)) else {
            continue;
        };
        let volume_name = volume.name().unwrap_or("?");
        c.report(
            volume.pointer_to(&["hostPath", "path"]),
            format!("volume `{volume_name}` mounts the container runtime socket `{path}`"),
        )
        .with_help("build without a daemon (rootless BuildKit, kaniko) and use the Kubernetes API");
    }
}
