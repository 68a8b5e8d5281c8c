//! The lint rules, one per file; `RULES` lists them in code order.

use crate::lint::Rule;

mod api_version_deprecated;
mod automount_service_account_token;
mod capabilities_not_dropped;
mod configmap_missing;
mod cpu_limit_missing;
mod cpu_request_missing;
mod cronjob_invalid_schedule;
mod cronjob_missing_deadline;
mod dangerous_capabilities_added;
mod default_namespace;
mod default_service_account;
mod deprecated_service_account_field;
mod docker_socket_mount;
mod duplicate_env_var;
mod ephemeral_storage_unbounded;
mod field_wrong_type;
mod host_ipc;
mod host_network;
mod host_path_mount;
mod host_pid;
mod host_port;
mod hpa_min_above_max;
mod hpa_min_replicas_low;
mod hpa_target_missing;
mod image_not_pinned_by_digest;
mod image_pull_policy_not_always;
mod image_tag_latest;
mod ingress_backend_missing;
mod ingress_nginx_snippet;
mod ingress_wildcard_host;
mod ingress_without_tls;
mod init_container_wait_loop;
mod job_without_ttl;
mod label_value_invalid;
mod liveness_equals_readiness;
mod liveness_probe_missing;
mod memory_limit_far_above_request;
mod memory_limit_missing;
mod memory_request_missing;
mod naked_pod;
mod network_policy_selects_nothing;
mod no_pod_anti_affinity;
mod pdb_blocks_evictions;
mod pdb_min_available_above_hpa_min;
mod pdb_missing;
mod pdb_unhealthy_eviction_policy_unset;
mod pod_without_network_policy;
mod port_name_invalid;
mod privilege_escalation_allowed;
mod privileged_container;
mod privileged_port;
mod probe_port_not_declared;
mod probe_timing_unsafe;
mod pvc_missing;
mod pvc_oversized;
mod rbac_cluster_admin_binding;
mod rbac_creates_pods_or_exec;
mod rbac_privilege_escalation;
mod rbac_reads_secrets;
mod rbac_wildcard;
mod readiness_probe_missing;
mod replicas_set_with_hpa;
mod request_above_limit;
mod restart_policy_invalid;
mod rollout_strategy_unsafe;
mod run_as_low_uid;
mod run_as_root;
mod seccomp_profile_missing;
mod secret_in_configmap;
mod secret_in_env_literal;
mod secret_missing;
mod secret_via_env;
mod security_context_missing;
mod selector_mismatches_template;
mod service_account_missing;
mod service_exposed_externally;
mod service_selects_nothing;
mod servicemonitor_selects_nothing;
mod single_replica;
mod slow_start_without_startup_probe;
mod ssh_port_exposed;
mod statefulset_service_missing;
mod support_a;
mod support_b;
mod support_c;
mod topology_spread_missing;
mod unmasked_proc_mount;
mod unsafe_sysctls;
pub mod util;
mod windows_host_process;
mod writable_root_filesystem;

/// What init-container-wait-loop flags, for the probes-over-init-waits pass to remove.
pub use support_a::wait_loop;

pub static RULES: &[&Rule] = &[
    &cpu_request_missing::RULE,
    &cpu_limit_missing::RULE,
    &memory_request_missing::RULE,
    &memory_limit_missing::RULE,
    &memory_limit_far_above_request::RULE,
    &request_above_limit::RULE,
    &ephemeral_storage_unbounded::RULE,
    &pvc_oversized::RULE,
    &liveness_probe_missing::RULE,
    &readiness_probe_missing::RULE,
    &liveness_equals_readiness::RULE,
    &probe_port_not_declared::RULE,
    &init_container_wait_loop::RULE,
    &slow_start_without_startup_probe::RULE,
    &probe_timing_unsafe::RULE,
    &image_tag_latest::RULE,
    &image_not_pinned_by_digest::RULE,
    &image_pull_policy_not_always::RULE,
    &privileged_container::RULE,
    &privilege_escalation_allowed::RULE,
    &run_as_root::RULE,
    &run_as_low_uid::RULE,
    &writable_root_filesystem::RULE,
    &dangerous_capabilities_added::RULE,
    &capabilities_not_dropped::RULE,
    &seccomp_profile_missing::RULE,
    &security_context_missing::RULE,
    &unmasked_proc_mount::RULE,
    &unsafe_sysctls::RULE,
    &host_network::RULE,
    &host_pid::RULE,
    &host_ipc::RULE,
    &host_port::RULE,
    &host_path_mount::RULE,
    &docker_socket_mount::RULE,
    &windows_host_process::RULE,
    &secret_in_env_literal::RULE,
    &secret_via_env::RULE,
    &secret_in_configmap::RULE,
    &automount_service_account_token::RULE,
    &default_service_account::RULE,
    &deprecated_service_account_field::RULE,
    &hpa_min_above_max::RULE,
    &hpa_min_replicas_low::RULE,
    &replicas_set_with_hpa::RULE,
    &single_replica::RULE,
    &pdb_missing::RULE,
    &pdb_blocks_evictions::RULE,
    &pdb_min_available_above_hpa_min::RULE,
    &pdb_unhealthy_eviction_policy_unset::RULE,
    &no_pod_anti_affinity::RULE,
    &topology_spread_missing::RULE,
    &rollout_strategy_unsafe::RULE,
    &service_exposed_externally::RULE,
    &ingress_without_tls::RULE,
    &ssh_port_exposed::RULE,
    &privileged_port::RULE,
    &ingress_nginx_snippet::RULE,
    &ingress_wildcard_host::RULE,
    &rbac_cluster_admin_binding::RULE,
    &rbac_wildcard::RULE,
    &rbac_reads_secrets::RULE,
    &rbac_creates_pods_or_exec::RULE,
    &rbac_privilege_escalation::RULE,
    &service_selects_nothing::RULE,
    &ingress_backend_missing::RULE,
    &hpa_target_missing::RULE,
    &servicemonitor_selects_nothing::RULE,
    &selector_mismatches_template::RULE,
    &network_policy_selects_nothing::RULE,
    &pod_without_network_policy::RULE,
    &configmap_missing::RULE,
    &secret_missing::RULE,
    &pvc_missing::RULE,
    &service_account_missing::RULE,
    &statefulset_service_missing::RULE,
    &port_name_invalid::RULE,
    &api_version_deprecated::RULE,
    &field_wrong_type::RULE,
    &duplicate_env_var::RULE,
    &naked_pod::RULE,
    &cronjob_missing_deadline::RULE,
    &cronjob_invalid_schedule::RULE,
    &job_without_ttl::RULE,
    &restart_policy_invalid::RULE,
    &label_value_invalid::RULE,
    &default_namespace::RULE,
];

pub fn find(name_or_code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.name == name_or_code || r.code.eq_ignore_ascii_case(name_or_code))
}

#[cfg(test)]
mod tests {
    use super::RULES;
    use crate::lint::{Category, doc_examples, lint_text};
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(
                r.code.len() == 5
                    && r.code.starts_with("KF")
                    && r.code[2..].chars().all(|c| c.is_ascii_digit()),
                "bad code {}",
                r.code
            );
            assert!(
                r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "name {} is not kebab-case",
                r.name
            );
            assert!(Category::ALL.contains(&r.category));
        }
        let mut sorted: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        sorted.sort();
        assert_eq!(
            sorted,
            RULES.iter().map(|r| r.code).collect::<Vec<_>>(),
            "RULES must be in code order"
        );
    }

    #[test]
    fn every_rule_documents_itself_and_its_examples_hold() {
        for r in RULES {
            for heading in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Fix",
                "## Options",
            ] {
                assert!(
                    r.docs().contains(heading),
                    "{}: missing `{heading}`",
                    r.name
                );
            }
            assert!(!r.summary().is_empty(), "{}: empty summary", r.name);
            let examples = doc_examples(r);
            assert!(
                examples.iter().any(|(bad, _)| *bad),
                "{}: no yaml,invalid example",
                r.name
            );
            assert!(
                examples.iter().any(|(bad, _)| !*bad),
                "{}: no yaml,valid example",
                r.name
            );
            for (invalid, text) in examples {
                let findings = lint_text("example.yaml", &text, &[r])
                    .unwrap_or_else(|e| panic!("{}: example does not load: {e}", r.name));
                let hits = findings.iter().filter(|f| f.rule.name == r.name).count();
                if invalid {
                    assert!(
                        hits > 0,
                        "{}: the invalid example yields no finding:\n{text}",
                        r.name
                    );
                } else {
                    assert_eq!(
                        hits, 0,
                        "{}: the valid example yields findings:\n{text}",
                        r.name
                    );
                }
            }
        }
    }
}
