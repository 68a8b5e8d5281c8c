//! Documents: lossless value trees with their source file, index and positions.

pub mod edit;
pub mod pointer;
pub mod quantity;
pub mod value;
pub mod views;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use value::{Entry, Map, Node, Pos, Value};

/// A file (or stdin) that documents were read from. The text is kept for diagnostics.
#[derive(Debug)]
pub struct Source {
    /// The path as the user gave it (or as found by walking); `-` for stdin.
    pub path: PathBuf,
    pub text: String,
    /// Its number in the process-wide registry, which `Pos::file` refers to.
    pub id: u32,
    /// How messages name it (see `name`), made once: every finding in the file names it.
    name: String,
    /// The file's lines, kept only when it holds a `kfold:ignore` comment.
    suppressions: std::sync::OnceLock<Option<Vec<(usize, usize)>>>,
    /// Byte offset of each line's start, made when a position is first turned into an
    /// offset: a stream of thousands of documents (rendered Helm) has as many findings.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

/// Every source read in this process, so that a position can name its file (kfold is a
/// short-lived CLI: the texts are kept for diagnostics anyway).
static SOURCES: std::sync::RwLock<Vec<Arc<Source>>> = std::sync::RwLock::new(Vec::new());

/// The file a position is in: `near` (the document's own file) unless the position names
/// another one. Most positions are in their document's file, which needs no lookup.
pub fn source_at(pos: Pos, near: &Arc<Source>) -> Arc<Source> {
    if pos.file == 0 || pos.file == near.id {
        return near.clone();
    }
    source_by_id(pos.file).unwrap_or_else(|| near.clone())
}

/// The source a `Pos::file` refers to.
pub fn source_by_id(id: u32) -> Option<Arc<Source>> {
    let sources = SOURCES.read().unwrap_or_else(|e| e.into_inner());
    id.checked_sub(1)
        .and_then(|i| sources.get(i as usize))
        .cloned()
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Arc<Source> {
        let path: PathBuf = path.into();
        let name = if path.as_os_str() == "-" {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        };
        let mut sources = SOURCES.write().unwrap_or_else(|e| e.into_inner());
        let source = Arc::new(Source {
            path,
            name,
            text,
            id: u32::try_from(sources.len() + 1).unwrap_or(0),
            suppressions: std::sync::OnceLock::new(),
            line_starts: std::sync::OnceLock::new(),
        });
        sources.push(source.clone());
        source
    }

    /// Byte offsets where lines start (the first is 0).
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    fn line_spans(&self) -> Option<&[(usize, usize)]> {
        self.suppressions
            .get_or_init(|| {
                self.text.contains("kfold:ignore").then(|| {
                    let mut start = 0;
                    self.text
                        .split_inclusive('\n')
                        .map(|l| {
                            let span = (start, start + l.trim_end_matches(['\n', '\r']).len());
                            start += l.len();
                            span
                        })
                        .collect()
                })
            })
            .as_deref()
    }

    /// Whether the file holds a `kfold:ignore` comment (computed once).
    pub fn has_suppressions(&self) -> bool {
        self.line_spans().is_some()
    }

    /// Line `n` (1-based) of a file that holds suppression comments; `None` otherwise.
    pub fn suppression_line(&self, n: usize) -> Option<&str> {
        let &(a, b) = self.line_spans()?.get(n.checked_sub(1)?)?;
        Some(&self.text[a..b])
    }

    /// Parses this source's documents, their positions pointing back here.
    /// The first document of a configuration file (`None` when it has none), invalid YAML
    /// reported at its position.
    pub fn first_root(self: &Arc<Self>) -> Result<Option<Node>, crate::error::Diag> {
        let docs = self.parse().map_err(|e| {
            crate::error::Diag::new(format!("invalid YAML: {}", e.message)).at(self, e.pos)
        })?;
        Ok(docs.into_iter().find_map(|d| d.root))
    }

    pub fn parse(&self) -> Result<Vec<crate::load::parse::RawDoc>, crate::load::parse::ParseError> {
        crate::load::parse::parse_stream_in(&self.text, self.id)
    }

    /// The path as messages print it; `<stdin>` for `-`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Byte offset of a position, for diagnostics that underline source text.
    pub fn offset(&self, pos: Pos) -> Option<usize> {
        if !pos.is_known() {
            return None;
        }
        let line_start = *self.line_starts().get(pos.line as usize - 1)?;
        let line = &self.text[line_start..];
        let col = line
            .char_indices()
            .nth(pos.col.saturating_sub(1) as usize)
            .map_or(line.len(), |(i, _)| i);
        Some(line_start + col)
    }
}

/// Who a resource is: the key kustomize and Kubernetes use to tell objects apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResId {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ResId {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if !self.group.is_empty() {
            write!(f, ".{}", self.group)?;
        }
        write!(f, " ")?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}", self.name)
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// One Kubernetes object read from a file.
#[derive(Clone, Debug)]
pub struct Document {
    pub source: Arc<Source>,
    /// Index of the YAML document within its file (0-based, counting skipped empty ones).
    pub index: usize,
    /// For an item of a `kind: List`, its index in `items`.
    pub item: Option<usize>,
    pub root: Node,
    /// The name the resource had before a kustomize build renamed it (prefix, suffix, hash),
    /// so that policies can match it by the name its base gives.
    pub origin: Option<std::sync::Arc<str>>,
}

impl Document {
    pub fn api_version(&self) -> &str {
        self.root.str_at(&["apiVersion"]).unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        self.root.str_at(&["kind"]).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.root.str_at(&["metadata", "name"]).unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.root.str_at(&["metadata", "namespace"]).unwrap_or("")
    }

    pub fn id(&self) -> ResId {
        let (group, version) = split_api_version(self.api_version());
        ResId {
            group: group.to_string(),
            version: version.to_string(),
            kind: self.kind().to_string(),
            namespace: self.namespace().to_string(),
            name: self.name().to_string(),
        }
    }

    /// The node at a JSON pointer such as `/spec/template/spec/containers/0/image`.
    pub fn at(&self, pointer: &str) -> Option<&Node> {
        pointer::get(&self.root, &pointer::parse(pointer).ok()?)
    }

    /// Source position of the node at a pointer; for a missing node, the nearest ancestor
    /// that exists (so a finding about an absent field points at its parent).
    pub fn pos(&self, pointer: &str) -> Pos {
        let mut node = &self.root;
        let mut pos = node.pos;
        // Walked token by token without collecting them: rules ask for a position per finding.
        let Some(rest) = pointer.strip_prefix('/') else {
            return pos;
        };
        for token in rest.split('/').map(pointer::unescape) {
            let Some(next) = pointer::get(node, std::slice::from_ref(&token)) else {
                break;
            };
            node = next;
            if node.pos.is_known() {
                pos = node.pos;
            }
        }
        pos
    }

    /// `file:line:col` of a pointer, for messages: the file that set the value, which for
    /// a built resource may be a patch or a kustomization rather than the document's own.
    pub fn location(&self, pointer: &str) -> String {
        let pos = self.pos(pointer);
        let source = source_at(pos, &self.source);
        if pos.is_known() {
            format!("{}:{}", source.name(), pos)
        } else {
            source.name().to_string()
        }
    }

    pub fn patch(&mut self, ops: &[pointer::Op]) -> Result<(), pointer::PatchError> {
        pointer::apply(&mut self.root, ops)
    }
}

/// The documents of a tree, in the order they were read.
#[derive(Clone, Debug, Default)]
pub struct DocSet {
    pub docs: Vec<Document>,
}

impl DocSet {
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Document> {
        self.docs.iter()
    }

    pub fn find(&self, id: &ResId) -> Option<&Document> {
        self.docs.iter().find(|d| &d.id() == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;

    fn doc(text: &str) -> Document {
        let root = parse_str(text).unwrap().remove(0);
        Document {
            origin: None,
            source: Source::new("deploy.yaml", text.to_string()),
            index: 0,
            item: None,
            root,
        }
    }

    #[test]
    fn identity_from_api_version_kind_and_metadata() {
        let d = doc(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: prod\n",
        );
        let id = d.id();
        assert_eq!((id.group.as_str(), id.version.as_str()), ("apps", "v1"));
        assert_eq!(id.to_string(), "Deployment.apps prod/api");
        let core = doc("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n").id();
        assert_eq!(
            (core.group.as_str(), core.api_version().as_str()),
            ("", "v1")
        );
    }

    #[test]
    fn pointer_positions_point_at_the_value_or_nearest_parent() {
        let d = doc(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:latest\n",
        );
        assert_eq!(
            d.location("/spec/template/spec/containers/0/image"),
            "deploy.yaml:8:16"
        );
        assert_eq!(
            d.pos("/spec/template/spec/containers/0/resources"),
            Pos::new(7, 9)
        );
        assert_eq!(
            d.source.offset(Pos::new(8, 16)),
            Some(d.source.text.find("nginx").unwrap())
        );
    }
}
