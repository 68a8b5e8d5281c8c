//! Small helpers shared by rules.

use crate::doc::Document;
use crate::doc::views::{Container, PodSpec, Workload};

pub fn pod_spec(doc: &Document) -> Option<PodSpec<'_>> {
    Workload::of(doc)?.pod_spec()
}

/// Init, regular and ephemeral containers of a workload, with their pointers.
pub fn all_containers(doc: &Document) -> Vec<Container<'_>> {
    pod_spec(doc)
        .map(|s| s.all_containers())
        .unwrap_or_default()
}

/// The long-running containers only (no init or ephemeral ones).
pub fn containers(doc: &Document) -> Vec<Container<'_>> {
    pod_spec(doc).map(|s| s.containers()).unwrap_or_default()
}
