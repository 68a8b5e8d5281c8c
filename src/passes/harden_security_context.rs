//! harden-security-context: from the policy's `security` section, per container
//! `runAsNonRoot`, `allowPrivilegeEscalation: false`, `readOnlyRootFilesystem` (with an
//! emptyDir on /tmp, which most programs expect to write) and `capabilities.drop: [ALL]`;
//! per pod the RuntimeDefault seccomp profile. Settings the API server would reject in
//! combination (no escalation for a privileged container) are left alone with a note.

use super::{
    ChangeLog, Pass, PassLog, boolean, container_subject, display, map, pod_containers,
    pod_spec_pointer, seq,
};
use crate::doc::pointer::Op;
use crate::doc::views::Workload;
use crate::doc::{Document, Node};
use crate::policy::{Policy, SecurityPolicy};

pub struct HardenSecurityContext;

enum Edit {
    Set(String, Node, &'static str),
    /// Appends to the list at the pointer, creating it when missing.
    Append(String, Node, &'static str),
}

impl Pass for HardenSecurityContext {
    fn name(&self) -> &'static str {
        "harden-security-context"
    }

    fn apply(&self, docs: &mut Vec<Document>, policy: &Policy, log: &mut ChangeLog) {
        let Some(p) = &policy.security else { return };
        let mut log = log.pass(self.name());
        for doc in docs.iter_mut() {
            let edits = plan(doc, p, &mut log);
            for edit in edits {
                match edit {
                    Edit::Set(at, value, why) => {
                        log.set(
                            doc,
                            &at,
                            value,
                            &format!("{why} (security policy at {})", p.at),
                        );
                    }
                    Edit::Append(at, value, why) => {
                        let why = format!("{why} (security policy at {})", p.at);
                        if doc.at(&at).and_then(Node::as_seq).is_some() {
                            log.patch(
                                doc,
                                vec![Op::Add {
                                    path: format!("{at}/-"),
                                    value,
                                }],
                                &why,
                            );
                        } else {
                            log.set(doc, &at, seq(vec![value]), &why);
                        }
                    }
                }
            }
        }
    }
}

fn plan(doc: &Document, p: &SecurityPolicy, log: &mut PassLog) -> Vec<Edit> {
    let mut edits = Vec::new();
    let Some(spec) = Workload::of(doc).and_then(|w| w.pod_spec()) else {
        return edits;
    };
    let pod = spec.security_context();
    let pod_value = |key: &str| pod.as_ref().and_then(|s| s.bool(&[key]));
    let pod_user = pod.as_ref().and_then(|s| s.run_as_user());
    let who = display(&doc.id());
    let (mut matched, mut rootless_unknown, mut read_only, mut tmp_mounts) =
        (false, Vec::new(), Vec::new(), Vec::new());
    for c in pod_containers(doc) {
        if !p.when.matches(&container_subject(doc, &c)) {
            continue;
        }
        matched = true;
        let name = c.name().unwrap_or("?").to_string();
        let sc = c.security_context();
        let own = |key: &str| sc.as_ref().and_then(|s| s.bool(&[key]));
        let at = |key: &str| c.pointer_to(&["securityContext", key]);
        if p.run_as_non_root && own("runAsNonRoot").or(pod_value("runAsNonRoot")) != Some(true) {
            let user = sc.as_ref().and_then(|s| s.run_as_user()).or(pod_user);
            if user == Some(0) {
                log.note(format!(
                    "{who} container {name}: runs as user 0 on purpose; runAsNonRoot left alone"
                ));
            } else {
                edits.push(Edit::Set(
                    at("runAsNonRoot"),
                    boolean(true),
                    "the kubelet refuses to start the container as root",
                ));
                if user.is_none() {
                    rootless_unknown.push(name.clone());
                }
            }
        }
        if p.no_privilege_escalation && own("allowPrivilegeEscalation") != Some(false) {
            let adds = sc
                .as_ref()
                .map(|s| s.capabilities_add())
                .unwrap_or_default();
            let sys_admin = adds
                .iter()
                .any(|a| matches!(*a, "SYS_ADMIN" | "CAP_SYS_ADMIN"));
            if own("privileged") == Some(true) || sys_admin {
                log.note(format!(
                    "{who} container {name}: privileged or with SYS_ADMIN, which always allows escalation; allowPrivilegeEscalation left alone"
                ));
            } else {
                let why = "no setuid binary or file capability can raise the process's privileges";
                edits.push(Edit::Set(
                    at("allowPrivilegeEscalation"),
                    boolean(false),
                    why,
                ));
            }
        }
        if p.read_only_root_filesystem && own("readOnlyRootFilesystem") != Some(true) {
            let why = "nothing can change the image's files at run time; /tmp stays writable through an emptyDir";
            edits.push(Edit::Set(at("readOnlyRootFilesystem"), boolean(true), why));
            read_only.push(name.clone());
            if !c.volume_mounts().iter().any(|m| {
                m.mount_path()
                    .is_some_and(|p| p.trim_end_matches('/') == "/tmp")
            }) {
                tmp_mounts.push(c.pointer_to(&["volumeMounts"]));
            }
        }
        if p.drop_all_capabilities {
            let drops = sc
                .as_ref()
                .map(|s| s.capabilities_drop())
                .unwrap_or_default();
            if !drops.iter().any(|d| d.eq_ignore_ascii_case("ALL")) {
                let at = c.pointer_to(&["securityContext", "capabilities", "drop"]);
                edits.push(Edit::Append(
                    at,
                    Node::string("ALL"),
                    "the process keeps no Linux capabilities; add back only those it needs",
                ));
            }
        }
    }
    let spec_at = pod_spec_pointer(doc).unwrap_or_default();
    if !tmp_mounts.is_empty() {
        let volumes = spec.volumes();
        let usable = |n: &str| {
            volumes
                .iter()
                .find(|v| v.name() == Some(n))
                .map(|v| v.source().is_some_and(|(k, _)| k == "emptyDir"))
        };
        // `tmp` unless that name is taken by something other than an emptyDir.
        let Some((volume, exists)) =
            ["tmp", "kfold-tmp"]
                .into_iter()
                .find_map(|n| match usable(n) {
                    None => Some((n, false)),
                    Some(true) => Some((n, true)),
                    Some(false) => None,
                })
        else {
            log.note(format!(
                "{who}: no free volume name for a /tmp emptyDir; add one by hand"
            ));
            return edits;
        };
        let why = "a writable /tmp under a read-only root filesystem";
        if !exists {
            let v = map(vec![
                ("name", Node::string(volume)),
                ("emptyDir", Node::map()),
            ]);
            edits.push(Edit::Append(format!("{spec_at}/volumes"), v, why));
        }
        for at in tmp_mounts {
            let m = map(vec![
                ("name", Node::string(volume)),
                ("mountPath", Node::string("/tmp")),
            ]);
            edits.push(Edit::Append(at, m, why));
        }
    }
    let seccomp = pod.as_ref().and_then(|s| s.seccomp_profile_type());
    if p.seccomp_runtime_default
        && matched
        && !matches!(seccomp, Some("RuntimeDefault" | "Localhost"))
    {
        let at = format!("{spec_at}/securityContext/seccompProfile");
        let why = "the container runtime's default seccomp profile blocks rarely needed, risky system calls";
        edits.push(Edit::Set(
            at,
            map(vec![("type", Node::string("RuntimeDefault"))]),
            why,
        ));
    }
    if !rootless_unknown.is_empty() {
        log.note(format!(
            "{who}: runAsNonRoot on {} with no runAsUser: the kubelet will not start a container whose image runs as root; check each image's USER or set runAsUser",
            rootless_unknown.join(", ")
        ));
    }
    if !read_only.is_empty() {
        log.note(format!(
            "{who}: read-only root filesystem for {}: anything they write outside /tmp needs its own emptyDir",
            read_only.join(", ")
        ));
    }
    edits
}
