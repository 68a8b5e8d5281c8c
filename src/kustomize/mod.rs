//! A native kustomize engine: `kustomization.yaml` → resources, byte-identical to
//! `kubectl kustomize` (v5.5).

pub mod build;
pub mod fieldspec;
pub mod generators;
pub mod replacements;
pub mod selector;
pub mod smp;
pub mod transform;
pub mod vars;

pub use build::{BuildOptions, Builder, Output};

use crate::doc::{Document, ResId};

/// A resource during a build: its current content and every identity it has had, so that
/// patches and references written against an earlier name still find it.
#[derive(Clone, Debug)]
pub struct Resource {
    pub doc: Document,
    /// (namespace, name) pairs this resource had before, the original first.
    pub prev: Vec<(String, String)>,
    /// Set for ConfigMaps and Secrets made by a generator.
    pub generated: Option<GenInfo>,
    /// Built-in transformers that changed it, for `buildMetadata: [transformerAnnotations]`.
    pub transformations: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct GenInfo {
    /// A content-hash suffix is appended to the name at the end of the build.
    pub hash: bool,
}

impl Resource {
    pub fn new(doc: Document) -> Resource {
        Resource {
            doc,
            prev: Vec::new(),
            generated: None,
            transformations: Vec::new(),
        }
    }

    pub fn id(&self) -> ResId {
        self.doc.id()
    }

    pub fn original(&self) -> (String, String) {
        self.prev.first().cloned().unwrap_or_else(|| {
            (
                self.doc.namespace().to_string(),
                self.doc.name().to_string(),
            )
        })
    }

    /// Every (namespace, name) the resource has had, the current one included.
    pub fn all_names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.prev
            .iter()
            .map(|(ns, n)| (ns.as_str(), n.as_str()))
            .chain(std::iter::once((self.doc.namespace(), self.doc.name())))
    }

    /// Renames the resource (remembering the old name), the new name positioned at `pos`.
    pub fn rename(&mut self, name: impl FnOnce(&str) -> String, pos: crate::doc::Pos) {
        self.remember_id();
        if let Some(node) = self
            .doc
            .root
            .get_mut("metadata")
            .and_then(|m| m.get_mut("name"))
        {
            let current = node.scalar_text().unwrap_or_default();
            *node = crate::doc::Node::at(crate::doc::Value::String(name(&current)), pos);
        }
    }

    /// Records the current identity before a rename or a namespace change.
    pub fn remember_id(&mut self) {
        let current = (
            self.doc.namespace().to_string(),
            self.doc.name().to_string(),
        );
        if self.prev.last() != Some(&current) {
            self.prev.push(current);
        }
    }
}

/// kustomize treats an empty namespace and `default` as the same.
pub fn same_namespace(a: &str, b: &str) -> bool {
    let norm = |s: &str| if s.is_empty() { "default" } else { s }.to_string();
    norm(a) == norm(b)
}
