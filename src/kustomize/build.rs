//! The build pipeline, in kustomize's order. Per kustomization, recursively: resources →
//! generators → components → transformers (patchesStrategicMerge, patches, namespace,
//! prefix/suffix, labels, annotations, patchesJson6902, replicas, images, replacements).
//! Once at the top: hash suffixes → name references → vars → local-config → sort.

use super::fieldspec::{self, FieldSpec, NameRef};
use super::selector::{Target, matches_any_id};
use super::transform::{self, ImageEntry};
use super::{GenInfo, Resource, generators, replacements, smp, vars};
use crate::doc::pointer::{self, Op};
use crate::doc::{Document, Map, Node, Pos, ResId, Source, Value};
use crate::error::Diag;
use crate::load::{load_resources, parse::parse_str};
use crate::render::legacy_sort_key_with;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// Fields kfold recognises but does not build; with `--kustomize-fallback` such roots go to
/// `kubectl kustomize`.
const UNSUPPORTED_FIELDS: &[&str] = &[
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "generators",
    "validators",
    "openapi",
];

#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Entries that match nothing are errors, not warnings.
    pub strict: bool,
}

/// What a build produced.
#[derive(Debug)]
pub struct Output {
    pub resources: Vec<Document>,
    /// Each resource's (namespace, name) before any kustomization renamed or moved it,
    /// parallel to `resources`: how environments built from one base are matched.
    pub originals: Vec<(String, String)>,
    pub warnings: Vec<Diag>,
}

impl Output {
    /// The resources, each renamed one carrying the name its base gave it.
    pub fn documents_with_origins(self) -> Vec<Document> {
        self.resources
            .into_iter()
            .zip(self.originals)
            .map(|(mut d, (_, name))| {
                if d.name() != name {
                    d.origin = Some(name.into());
                }
                d
            })
            .collect()
    }
}

/// Field specs a kustomization (and its `configurations:`) contributes.
#[derive(Clone, Debug, Default)]
struct Configs {
    labels: Vec<FieldSpec>,
    annotations: Vec<FieldSpec>,
    images: Vec<FieldSpec>,
    name_refs: Vec<NameRef>,
    var_refs: Vec<FieldSpec>,
}

impl Configs {
    fn extend(&mut self, other: &Configs) {
        self.labels.extend(other.labels.iter().cloned());
        self.annotations.extend(other.annotations.iter().cloned());
        self.images.extend(other.images.iter().cloned());
        self.name_refs.extend(other.name_refs.iter().cloned());
        self.var_refs.extend(other.var_refs.iter().cloned());
    }
}

#[derive(Clone, Debug, Default)]
struct Acc {
    resources: Vec<Resource>,
    vars: Vec<Node>,
    configs: Configs,
    /// The resources' ids, for duplicate checks; `None` after anything that may rename or
    /// remove resources.
    ids: Option<HashSet<ResId>>,
    /// Resource indexes by every name they have had, for patches that name their target.
    by_name: Option<HashMap<String, Vec<usize>>>,
}

/// A parsed kustomization file.
struct Kustomization {
    dir: PathBuf,
    source: Arc<Source>,
    root: Node,
}

impl Kustomization {
    fn get(&self, key: &str) -> Option<&Node> {
        self.root.get(key)
    }

    fn list(&self, key: &str) -> &[Node] {
        self.get(key).and_then(Node::as_seq).unwrap_or_default()
    }

    fn is_component(&self) -> bool {
        self.root.str_at(&["kind"]) == Some("Component")
    }

    fn err(&self, message: impl Into<String>, pos: Pos) -> Diag {
        Diag::new(message).at(&self.source, pos)
    }
}

/// `a/b/../c` → `a/c`, without touching the file system, so messages show readable paths.
pub fn clean_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(".."),
            },
            c => out.push(c),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| entry.starts_with(h))
}

pub fn find_kustomization(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Builds kustomize roots; keeps what it accumulated per folder so a base shared by many
/// roots is read and built once.
pub struct Builder {
    opts: BuildOptions,
    /// The root being built, for paths in buildMetadata annotations.
    root: Option<PathBuf>,
    warnings: Vec<Diag>,
    stack: Vec<PathBuf>,
    cache: HashMap<PathBuf, Acc>,
}

impl Builder {
    pub fn new(opts: BuildOptions) -> Builder {
        Builder {
            opts,
            root: None,
            warnings: Vec::new(),
            stack: Vec::new(),
            cache: HashMap::new(),
        }
    }

    /// Builds one root as `kubectl kustomize ROOT` would.
    pub fn build(&mut self, root: &Path) -> Result<Output, Diag> {
        self.warnings.clear();
        self.stack.clear();
        self.root = Some(root.to_path_buf());
        let k = self.load_kustomization(root)?;
        if k.is_component() {
            return Err(Diag::new(
                "this is a kustomize Component; list it under `components:` of a kustomization",
            )
            .in_file(k.source.name()));
        }
        let mut acc = self.accumulate(root)?;
        self.finish(&k, &mut acc)?;
        let original: HashMap<ResId, (String, String)> = acc
            .resources
            .iter()
            .map(|r| (r.id(), r.original()))
            .collect();
        let mut resources: Vec<Document> = acc.resources.into_iter().map(|r| r.doc).collect();
        sort(&k, &mut resources);
        let originals = resources
            .iter()
            .map(|d| {
                original
                    .get(&d.id())
                    .cloned()
                    .unwrap_or_else(|| (d.namespace().to_string(), d.name().to_string()))
            })
            .collect();
        Ok(Output {
            resources,
            originals,
            warnings: std::mem::take(&mut self.warnings),
        })
    }

    fn load_kustomization(&self, dir: &Path) -> Result<Kustomization, Diag> {
        let file = find_kustomization(dir).ok_or_else(|| {
            Diag::new(format!(
                "no kustomization.yaml, kustomization.yml or Kustomization in {}",
                dir.display()
            ))
        })?;
        let text = std::fs::read_to_string(&file).map_err(|e| {
            Diag::new(format!("cannot read: {e}")).in_file(file.display().to_string())
        })?;
        let source = Source::new(&file, text);
        let root = source
            .parse()
            .map(|docs| docs.into_iter().filter_map(|d| d.root).collect::<Vec<_>>())
            .map_err(|e| Diag::new(format!("invalid YAML: {}", e.message)).at(&source, e.pos))?
            .into_iter()
            .next()
            .unwrap_or_else(Node::map);
        let k = Kustomization {
            dir: dir.to_path_buf(),
            source,
            root,
        };
        let Some(map) = k.root.as_map() else {
            return Err(k.err("a kustomization must be a mapping", k.root.pos));
        };
        for e in &map.entries {
            if !KNOWN_FIELDS.contains(&e.key.as_str()) {
                return Err(k.err(
                    format!("unknown field `{}` in a kustomization", e.key),
                    e.key_pos,
                ));
            }
            if UNSUPPORTED_FIELDS.contains(&e.key.as_str()) {
                return Err(unsupported(&k, &format!("`{}`", e.key), e.key_pos));
            }
        }
        Ok(k)
    }

    /// Resources, generators, components and transformers of the kustomization in `dir`.
    fn accumulate(&mut self, dir: &Path) -> Result<Acc, Diag> {
        let key = canonical(dir);
        if let Some(acc) = self.cache.get(&key) {
            return Ok(acc.clone());
        }
        if let Some(i) = self.stack.iter().position(|p| p == &key) {
            let chain: Vec<String> = self.stack[i..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|p| p.display().to_string())
                .collect();
            return Err(Diag::new(format!(
                "kustomization cycle: {}",
                chain.join(" -> ")
            )));
        }
        self.stack.push(key.clone());
        let k = self.load_kustomization(dir)?;
        let mut acc = Acc::default();
        let result = self.accumulate_into(&k, &mut acc);
        self.stack.pop();
        result?;
        self.cache.insert(key, acc.clone());
        Ok(acc)
    }

    fn accumulate_into(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), Diag> {
        self.load_configurations(k, &mut acc.configs)?;
        if let Some(crds) = k.root.as_map().and_then(|m| m.entry("crds")) {
            // kustomize reads name-reference hints (x-kubernetes-object-ref-*) from these CRD
            // schemas; kfold does not yet, so say so rather than build silently.
            self.warnings.push(
                Diag::warning(
                    "`crds`: references declared in these CRD schemas are not followed by kfold",
                )
                .at(&k.source, crds.key_pos)
                .with_help("use `configurations:` nameReference entries, or --kustomize-fallback"),
            );
        }
        for entry in k.list("resources").iter().chain(k.list("bases")) {
            self.add_resource_entry(k, entry, acc)?;
        }
        self.generate(k, acc)?;
        for entry in k.list("components") {
            let path = self.entry_path(k, entry)?;
            if !path.is_dir() {
                return Err(k.err(
                    format!("component `{}` is not a folder", path.display()),
                    entry.pos,
                ));
            }
            let ck = self.load_kustomization(&path)?;
            if !ck.is_component() {
                return Err(k.err(
                    format!(
                        "`{}` is listed under components but is not a kind: Component",
                        path.display()
                    ),
                    entry.pos,
                ));
            }
            let key = canonical(&path);
            if self.stack.contains(&key) {
                return Err(k.err("component cycle", entry.pos));
            }
            self.stack.push(key);
            let r = self.accumulate_into(&ck, acc);
            self.stack.pop();
            r?;
        }
        self.transform(k, acc)?;
        acc.vars.extend(k.list("vars").iter().cloned());
        Ok(())
    }

    fn entry_path(&self, k: &Kustomization, entry: &Node) -> Result<PathBuf, Diag> {
        let Some(rel) = entry.as_str() else {
            return Err(k.err("expected a path", entry.pos));
        };
        if is_remote(rel) {
            return Err(k
                .err(
                    format!("remote resource `{rel}` is not supported"),
                    entry.pos,
                )
                .with_help("use --kustomize-fallback to hand this root to kubectl kustomize"));
        }
        let path = clean_path(&k.dir.join(rel));
        if !path.exists() {
            return Err(k.err(format!("`{rel}` does not exist"), entry.pos));
        }
        Ok(path)
    }

    /// kustomize's default load restrictor: files come from the kustomization's own tree.
    fn read_restricted(&self, k: &Kustomization, path: &Path, pos: Pos) -> Result<Vec<u8>, Diag> {
        let root = canonical(&k.dir);
        let file = canonical(path);
        if !file.starts_with(&root) {
            return Err(k.err(
                format!(
                    "security: `{}` is not in or below `{}` (kustomize's load restrictor)",
                    path.display(),
                    k.dir.display()
                ),
                pos,
            ));
        }
        std::fs::read(path)
            .map_err(|e| k.err(format!("cannot read `{}`: {e}", path.display()), pos))
    }

    fn add_resource_entry(
        &mut self,
        k: &Kustomization,
        entry: &Node,
        acc: &mut Acc,
    ) -> Result<(), Diag> {
        let path = self.entry_path(k, entry)?;
        if path.is_dir() {
            if find_kustomization(&path).is_none() {
                return Err(k.err(
                    format!("`{}` has no kustomization.yaml to build", path.display()),
                    entry.pos,
                ));
            }
            if self.load_kustomization(&path)?.is_component() {
                return Err(k.err(
                    format!(
                        "`{}` is a Component: list it under components, not resources",
                        path.display()
                    ),
                    entry.pos,
                ));
            }
            let child = self.accumulate(&path)?;
            for r in child.resources {
                add_unique(k, acc, r, entry.pos)?;
            }
            acc.vars.extend(child.vars);
            acc.configs.extend(&child.configs);
            return Ok(());
        }
        let bytes = self.read_restricted(k, &path, entry.pos)?;
        for doc in load_resources(&path, bytes)? {
            add_unique(k, acc, Resource::new(doc), entry.pos)?;
        }
        Ok(())
    }

    fn load_configurations(&self, k: &Kustomization, configs: &mut Configs) -> Result<(), Diag> {
        for entry in k.list("configurations") {
            let path = self.entry_path(k, entry)?;
            let bytes = self.read_restricted(k, &path, entry.pos)?;
            let text = String::from_utf8_lossy(&bytes);
            let node = parse_str(&text)
                .map_err(|e| k.err(format!("{}: {}", path.display(), e.message), entry.pos))?
                .into_iter()
                .next()
                .unwrap_or_else(Node::map);
            let specs = |key: &str| node.get(key).map(fieldspec::parse_list).unwrap_or_default();
            configs.labels.extend(specs("commonLabels"));
            configs.annotations.extend(specs("commonAnnotations"));
            configs.images.extend(specs("images"));
            configs.var_refs.extend(specs("varReference"));
            if let Some(n) = node.get("nameReference") {
                configs.name_refs.extend(fieldspec::parse_name_refs(n));
            }
        }
        Ok(())
    }

    fn generate(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), Diag> {
        let options = generators::GeneratorOptions::from_node(k.get("generatorOptions"));
        let read = |p: &Path| self.read_restricted(k, p, Pos::NONE).map_err(|d| d.message);
        for (field, kind) in [
            ("configMapGenerator", generators::GenKind::ConfigMap),
            ("secretGenerator", generators::GenKind::Secret),
        ] {
            for entry in k.list(field) {
                let generated = generators::generate(kind, entry, &options, &k.dir, &read)
                    .map_err(|e| k.err(e.to_string(), entry.pos))?;
                let doc = Document {
                    origin: None,
                    source: k.source.clone(),
                    index: 0,
                    item: None,
                    root: generated.resource,
                };
                let mut r = Resource::new(doc);
                r.generated = Some(GenInfo {
                    hash: generated.hash,
                });
                match generated.behavior {
                    generators::Behavior::Create => add_unique(k, acc, r, entry.pos)?,
                    behavior => {
                        let id = r.id();
                        let existing = acc
                            .resources
                            .iter_mut()
                            .find(|e| {
                                e.doc.kind() == id.kind
                                    && e.original().1 == id.name
                                    && super::same_namespace(e.doc.namespace(), &id.namespace)
                            })
                            .ok_or_else(|| {
                                k.err(
                                    format!(
                                        "no {} named `{}` to {:?} with",
                                        id.kind, id.name, behavior
                                    )
                                    .to_lowercase(),
                                    entry.pos,
                                )
                            })?;
                        generators::merge_into(&mut existing.doc.root, &r.doc.root, behavior)
                            .map_err(|e| k.err(e.to_string(), entry.pos))?;
                        if let Some(g) = &mut existing.generated {
                            g.hash &= generated.hash;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The text of a patch: inline (`patch:`) or from a file (`path:`).
    /// The patches of an entry: inline (`patch:`, positioned at the entry) or from a file
    /// (`path:`, positioned in that file).
    fn patches(&self, k: &Kustomization, entry: &Node) -> Result<Vec<Node>, Diag> {
        if let Some(inline) = entry.get("patch").and_then(Node::as_str) {
            return parse_patch(k, inline, entry.pos);
        }
        let Some(rel) = entry.get("path") else {
            return Err(k.err("a patch needs `path` or `patch`", entry.pos));
        };
        let path = self.entry_path(k, rel)?;
        let bytes = self.read_restricted(k, &path, rel.pos)?;
        let text =
            String::from_utf8(bytes).map_err(|_| k.err("patch file is not UTF-8", rel.pos))?;
        let source = Source::new(&path, text);
        let docs = source
            .parse()
            .map_err(|e| Diag::new(format!("invalid patch: {}", e.message)).at(&source, e.pos))?;
        Ok(docs.into_iter().filter_map(|d| d.root).collect())
    }

    fn transform(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), Diag> {
        acc.ids = None;
        acc.by_name = None;
        let track = self.tracking(k);
        let before = snapshot(&track, acc);
        for entry in k.list("patchesStrategicMerge") {
            self.patch_strategic_merge(k, acc, entry)?;
        }
        record(&track, acc, before, "PatchStrategicMergeTransformer");
        let before = snapshot(&track, acc);
        for entry in k.list("patches") {
            self.patch(k, acc, entry)?;
        }
        record(&track, acc, before, "PatchTransformer");
        let before = snapshot(&track, acc);
        if let Some(ns) = k
            .get("namespace")
            .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
        {
            transform::namespace(&mut acc.resources, ns);
        }
        record(&track, acc, before, "NamespaceTransformer");
        let before = snapshot(&track, acc);
        transform::prefix_suffix(&mut acc.resources, k.get("namePrefix"), None);
        record(&track, acc, before, "PrefixTransformer");
        let before = snapshot(&track, acc);
        transform::prefix_suffix(&mut acc.resources, None, k.get("nameSuffix"));
        record(&track, acc, before, "SuffixTransformer");
        let before = snapshot(&track, acc);
        if let Some(m) = k.get("commonLabels").and_then(Node::as_map) {
            let specs: Vec<FieldSpec> = fieldspec::common_labels()
                .iter()
                .chain(&acc.configs.labels)
                .cloned()
                .collect();
            transform::add_map_entries(&mut acc.resources, &specs, m);
        }
        for entry in k.list("labels") {
            let Some(pairs) = entry.get("pairs").and_then(Node::as_map) else {
                continue;
            };
            let flag = |f: &str| entry.get(f).and_then(Node::as_bool).unwrap_or(false);
            let mut specs: Vec<FieldSpec> = if flag("includeSelectors") {
                fieldspec::common_labels()
                    .iter()
                    .chain(&acc.configs.labels)
                    .cloned()
                    .collect()
            } else {
                let mut s = if flag("includeTemplates") {
                    fieldspec::template_labels().to_vec()
                } else {
                    Vec::new()
                };
                s.push(metadata_spec("labels"));
                s
            };
            if let Some(fields) = entry.get("fields") {
                specs.extend(fieldspec::parse_list(fields));
            }
            transform::add_map_entries(&mut acc.resources, &specs, pairs);
        }
        record(&track, acc, before, "LabelTransformer");
        let before = snapshot(&track, acc);
        if let Some(m) = k.get("commonAnnotations").and_then(Node::as_map) {
            let specs: Vec<FieldSpec> = fieldspec::common_annotations()
                .iter()
                .chain(&acc.configs.annotations)
                .cloned()
                .collect();
            transform::add_map_entries(&mut acc.resources, &specs, m);
        }
        record(&track, acc, before, "AnnotationsTransformer");
        let before = snapshot(&track, acc);
        for entry in k.list("patchesJson6902") {
            self.patch_json6902(k, acc, entry)?;
        }
        record(&track, acc, before, "PatchJson6902Transformer");
        let before = snapshot(&track, acc);
        for entry in k.list("replicas") {
            self.replicas(k, acc, entry, fieldspec::replicas())?;
        }
        record(&track, acc, before, "ReplicaCountTransformer");
        let before = snapshot(&track, acc);
        for entry in k.list("images") {
            let extra = acc.configs.images.clone();
            self.image(k, acc, entry, &extra)?;
        }
        record(&track, acc, before, "ImageTagTransformer");
        let mut repl = Vec::new();
        for entry in k.list("replacements") {
            match entry.get("path") {
                Some(rel) => {
                    let path = self.entry_path(k, rel)?;
                    let text = String::from_utf8_lossy(&self.read_restricted(k, &path, rel.pos)?)
                        .into_owned();
                    for d in parse_str(&text).map_err(|e| k.err(e.message, rel.pos))? {
                        match d.value {
                            Value::Seq(items) => repl.extend(items),
                            _ => repl.push(d),
                        }
                    }
                }
                None => repl.push(entry.clone()),
            }
        }
        self.replacements(k, acc, &repl)?;
        // Names have changed since the patches ran.
        acc.by_name = None;
        for entry in k.list("transformers") {
            for config in self.plugin_configs(k, entry)? {
                self.builtin_transformer(k, acc, &config)?;
            }
        }
        Ok(())
    }

    fn patch_strategic_merge(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        entry: &Node,
    ) -> Result<(), Diag> {
        let patches = match entry.as_str() {
            Some(s) if s.contains('\n') || !k.dir.join(s).is_file() => {
                parse_patch(k, s, entry.pos)?
            }
            _ => {
                let mut as_path = Map::default();
                as_path.insert("path", entry.clone());
                self.patches(k, &Node::at(Value::Map(as_path), entry.pos))?
            }
        };
        for patch in patches {
            self.smp_by_id(k, acc, &patch, entry.pos)?;
        }
        Ok(())
    }

    /// One `patches:` entry: strategic merge or JSON 6902, with or without a target.
    fn patch(&mut self, k: &Kustomization, acc: &mut Acc, entry: &Node) -> Result<(), Diag> {
        let patches = self.patches(k, entry)?;
        let target = entry
            .get("target")
            .map(Target::from_node)
            .transpose()
            .map_err(|e| k.err(e, entry.pos))?;
        let is_json = patches.first().is_some_and(|p| p.as_seq().is_some());
        let Some(t) = target else {
            if is_json {
                return Err(k.err("a JSON 6902 patch needs a `target`", entry.pos));
            }
            for p in &patches {
                self.smp_by_id(k, acc, p, entry.pos)?;
            }
            return Ok(());
        };
        let mut hits = 0;
        let mut deleted = HashSet::new();
        for (i, r) in acc.resources.iter_mut().enumerate() {
            if !t.matches(r) {
                continue;
            }
            hits += 1;
            for p in &patches {
                if is_json {
                    apply_json6902(k, &mut r.doc.root, p, entry.pos)?;
                } else if smp::is_delete_patch(p) {
                    deleted.insert(i);
                } else {
                    let mut p = p.clone();
                    // With a target, the patch's own name does not matter.
                    if let Some(meta) = p.get_mut("metadata").and_then(Node::as_map_mut) {
                        meta.remove("name");
                        meta.remove("namespace");
                    }
                    apply_smp(k, r, &p, entry.pos)?;
                }
            }
        }
        if !deleted.is_empty() {
            acc.by_name = None;
        }
        remove_indexes(&mut acc.resources, &deleted);
        if hits == 0 {
            self.unmatched(k, "this patch's target matches no resource", entry.pos)?;
        }
        Ok(())
    }

    fn patch_json6902(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        entry: &Node,
    ) -> Result<(), Diag> {
        let patches = self.patches(k, entry)?;
        let t = entry
            .get("target")
            .ok_or_else(|| k.err("patchesJson6902 needs a target", entry.pos))?;
        let s = |f: &str| t.str_at(&[f]).unwrap_or("").to_string();
        let mut hits = 0;
        for r in acc.resources.iter_mut() {
            if matches_any_id(r, &s("kind"), &s("group"), &s("name"), &s("namespace")) {
                hits += 1;
                for p in &patches {
                    apply_json6902(k, &mut r.doc.root, p, entry.pos)?;
                }
            }
        }
        if hits == 0 {
            self.unmatched(k, "this patch's target matches no resource", entry.pos)?;
        }
        Ok(())
    }

    fn replicas(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        entry: &Node,
        specs: &[FieldSpec],
    ) -> Result<(), Diag> {
        let (Some(name), Some(count)) = (entry.str_at(&["name"]), entry.get("count")) else {
            return Err(k.err("a replicas entry needs `name` and `count`", entry.pos));
        };
        if transform::replicas(&mut acc.resources, name, count, specs) == 0 {
            return Err(k.err(
                format!("replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named `{name}`"),
                entry.pos,
            ));
        }
        Ok(())
    }

    fn image(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        entry: &Node,
        extra: &[FieldSpec],
    ) -> Result<(), Diag> {
        let Some(image) = ImageEntry::from_node(entry) else {
            return Err(k.err("an images entry needs `name`", entry.pos));
        };
        if transform::images(&mut acc.resources, &image, extra) == 0 {
            self.unmatched(
                k,
                &format!("images: no container uses `{}`", image.name),
                entry.pos,
            )?;
        }
        Ok(())
    }

    fn replacements(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        repl: &[Node],
    ) -> Result<(), Diag> {
        if repl.is_empty() {
            return Ok(());
        }
        let pos = repl[0].pos;
        let unmatched = replacements::apply_replacements_to(&mut acc.resources, repl)
            .map_err(|e| k.err(e.to_string(), pos))?;
        for u in unmatched {
            let at = repl.get(u.index).map_or(pos, |n| n.pos);
            self.unmatched(
                k,
                &format!("replacement target matches nothing: {}", u.description),
                at,
            )?;
        }
        Ok(())
    }

    /// The configs a `transformers:` entry names: a file, or inline YAML.
    fn plugin_configs(&self, k: &Kustomization, entry: &Node) -> Result<Vec<Node>, Diag> {
        let text = match entry.as_str() {
            Some(s) if s.contains('\n') => s.to_string(),
            _ => {
                let path = self.entry_path(k, entry)?;
                if path.is_dir() {
                    return Err(unsupported(
                        k,
                        "a folder of transformer configs under `transformers`",
                        entry.pos,
                    ));
                }
                String::from_utf8_lossy(&self.read_restricted(k, &path, entry.pos)?).into_owned()
            }
        };
        parse_str(&text).map_err(|e| {
            k.err(
                format!("invalid transformer config: {}", e.message),
                entry.pos,
            )
        })
    }

    /// kustomize's built-in transformers configured by file (`apiVersion: builtin`).
    fn builtin_transformer(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        c: &Node,
    ) -> Result<(), Diag> {
        let kind = c.str_at(&["kind"]).unwrap_or("");
        if c.str_at(&["apiVersion"]) != Some("builtin") {
            return Err(unsupported(
                k,
                &format!("the transformer plugin `{kind}`"),
                c.pos,
            ));
        }
        let specs = c.get("fieldSpecs").map(fieldspec::parse_list);
        match kind {
            "LabelTransformer" | "AnnotationsTransformer" => {
                let (field, default) = if kind == "LabelTransformer" {
                    ("labels", fieldspec::common_labels())
                } else {
                    ("annotations", fieldspec::common_annotations())
                };
                if let Some(m) = c.get(field).and_then(Node::as_map) {
                    let specs = specs.unwrap_or_else(|| default.to_vec());
                    transform::add_map_entries(&mut acc.resources, &specs, m);
                }
            }
            "PrefixSuffixTransformer" => {
                transform::prefix_suffix(&mut acc.resources, c.get("prefix"), c.get("suffix"))
            }
            "NamespaceTransformer" => {
                if let Some(ns) = c.path(&["metadata", "namespace"]) {
                    transform::namespace(&mut acc.resources, ns);
                }
            }
            "ImageTagTransformer" => {
                if let Some(tag) = c.get("imageTag") {
                    self.image(k, acc, tag, &specs.unwrap_or_default())?;
                }
            }
            "ReplicaCountTransformer" => {
                if let Some(r) = c.get("replica") {
                    let specs = specs.unwrap_or_else(|| fieldspec::replicas().to_vec());
                    self.replicas(k, acc, r, &specs)?;
                }
            }
            "PatchTransformer" => self.patch(k, acc, c)?,
            "PatchJson6902Transformer" => {
                let mut entry = c.clone();
                if let (Some(m), Some(op)) = (entry.as_map_mut(), c.get("jsonOp")) {
                    m.insert("patch", op.clone());
                }
                self.patch_json6902(k, acc, &entry)?
            }
            "PatchStrategicMergeTransformer" => {
                for p in c.get("paths").and_then(Node::as_seq).unwrap_or_default() {
                    self.patch_strategic_merge(k, acc, p)?;
                }
                if let Some(inline) = c.get("patches").and_then(Node::as_str) {
                    for patch in parse_patch(k, inline, c.pos)? {
                        self.smp_by_id(k, acc, &patch, c.pos)?;
                    }
                }
            }
            "ReplacementTransformer" => {
                let repl = c
                    .get("replacements")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .to_vec();
                self.replacements(k, acc, &repl)?;
            }
            other => {
                return Err(unsupported(
                    k,
                    &format!("the builtin transformer `{other}`"),
                    c.pos,
                ));
            }
        }
        Ok(())
    }

    fn unmatched(&mut self, k: &Kustomization, message: &str, pos: Pos) -> Result<(), Diag> {
        let d = Diag::warning(message.to_string()).at(&k.source, pos);
        if self.opts.strict {
            return Err(Diag {
                level: crate::error::Level::Error,
                ..d
            });
        }
        self.warnings.push(d);
        Ok(())
    }

    /// A strategic merge patch without a target applies to the resource it names.
    fn smp_by_id(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
        patch: &Node,
        pos: Pos,
    ) -> Result<(), Diag> {
        let kind = patch.str_at(&["kind"]).unwrap_or("");
        let name = patch.str_at(&["metadata", "name"]).unwrap_or("");
        let ns = patch.str_at(&["metadata", "namespace"]).unwrap_or("");
        let (group, _) = crate::doc::split_api_version(patch.str_at(&["apiVersion"]).unwrap_or(""));
        let resources = &acc.resources;
        let by_name = acc.by_name.get_or_insert_with(|| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, r) in resources.iter().enumerate() {
                for (_, n) in r.all_names() {
                    let slot = index.entry(n.to_string()).or_default();
                    if slot.last() != Some(&i) {
                        slot.push(i);
                    }
                }
            }
            index
        });
        let found: Vec<usize> = by_name
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| matches_any_id(&acc.resources[i], kind, group, name, ns))
            .collect();
        let [i] = found.as_slice() else {
            let what = if found.is_empty() {
                "no resource matches"
            } else {
                "several resources match"
            };
            return Err(k.err(
                format!("{what} the strategic merge patch for {kind} `{name}`"),
                pos,
            ));
        };
        if smp::is_delete_patch(patch) {
            acc.resources.remove(*i);
            acc.by_name = None;
            return Ok(());
        }
        apply_smp(k, &mut acc.resources[*i], patch, pos)
    }

    /// `configuredIn` of a kustomization whose buildMetadata asks for transformer annotations.
    fn tracking(&self, k: &Kustomization) -> Option<String> {
        let wanted = k
            .list("buildMetadata")
            .iter()
            .any(|n| n.as_str() == Some("transformerAnnotations"));
        let root = self.root.as_deref()?;
        wanted.then(|| relative(root, &k.source.path))
    }

    /// The steps kustomize runs once, at the top.
    fn finish(&mut self, k: &Kustomization, acc: &mut Acc) -> Result<(), Diag> {
        for r in acc.resources.iter_mut() {
            if r.generated.as_ref().is_some_and(|g| g.hash) {
                let hash = generators::content_hash(&r.doc.root)
                    .map_err(|e| k.err(e.to_string(), Pos::NONE))?;
                let pos = r
                    .doc
                    .root
                    .path(&["metadata", "name"])
                    .map_or(Pos::NONE, |n| n.pos);
                r.rename(|current| format!("{current}-{hash}"), pos);
            }
        }
        let table: Vec<NameRef> = fieldspec::name_references()
            .iter()
            .chain(&acc.configs.name_refs)
            .cloned()
            .collect();
        transform::fix_name_references(&mut acc.resources, &table)
            .map_err(|e| k.err(e, Pos::NONE))?;
        if !acc.vars.is_empty() {
            let vars = acc.vars.clone();
            let refs: Vec<FieldSpec> = vars::default_var_references()
                .iter()
                .chain(&acc.configs.var_refs)
                .cloned()
                .collect();
            vars::resolve_vars_in(&mut acc.resources, &vars, &refs)
                .map_err(|e| k.err(e.to_string(), k.get("vars").map_or(Pos::NONE, |n| n.pos)))?;
        }
        acc.resources.retain(|r| {
            r.doc.root.str_at(&[
                "metadata",
                "annotations",
                "config.kubernetes.io/local-config",
            ]) != Some("true")
        });
        let build_metadata = |what: &str| {
            k.list("buildMetadata")
                .iter()
                .any(|n| n.as_str() == Some(what))
        };
        let origin = build_metadata("originAnnotations");
        if let Some(root) = self.root.clone() {
            for r in acc.resources.iter_mut() {
                let mut pairs = Map::default();
                if origin {
                    let text = match &r.generated {
                        Some(_) => format!(
                            "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {}Generator\n",
                            relative(&root, &r.doc.source.path),
                            r.doc.kind()
                        ),
                        None => format!("path: {}\n", relative(&root, &r.doc.source.path)),
                    };
                    pairs.insert("config.kubernetes.io/origin", Node::string(text));
                }
                if !r.transformations.is_empty() {
                    pairs.insert(
                        "alpha.config.kubernetes.io/transformations",
                        Node::string(r.transformations.concat()),
                    );
                }
                if !pairs.is_empty() {
                    transform::add_map_entries(
                        std::slice::from_mut(r),
                        &[metadata_spec("annotations")],
                        &pairs,
                    );
                }
            }
        }
        if build_metadata("managedByLabel") {
            let mut pairs = Map::default();
            pairs.insert(
                "app.kubernetes.io/managed-by",
                Node::string("kustomize-(devel)"),
            );
            transform::add_map_entries(&mut acc.resources, &[metadata_spec("labels")], &pairs);
        }
        Ok(())
    }
}

/// The transformations annotation entry of a kustomization that asks for it.
fn snapshot(track: &Option<String>, acc: &Acc) -> Option<Vec<Node>> {
    track.as_ref()?;
    Some(acc.resources.iter().map(|r| r.doc.root.clone()).collect())
}

fn record(track: &Option<String>, acc: &mut Acc, before: Option<Vec<Node>>, kind: &str) {
    let (Some(configured_in), Some(before)) = (track, before) else {
        return;
    };
    if before.len() != acc.resources.len() {
        return;
    }
    for (r, b) in acc.resources.iter_mut().zip(before) {
        if r.doc.root != b {
            r.transformations.push(format!(
                "- configuredIn: {configured_in}\n  configuredBy:\n    apiVersion: builtin\n    kind: {kind}\n"
            ));
        }
    }
}

/// `to` relative to the folder `from`, with `..` where needed.
fn relative(from: &Path, to: &Path) -> String {
    let from = clean_path(&std::path::absolute(from).unwrap_or_else(|_| from.to_path_buf()));
    let to = clean_path(&std::path::absolute(to).unwrap_or_else(|_| to.to_path_buf()));
    let common = from
        .components()
        .zip(to.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = from.components().count() - common;
    let mut out: Vec<String> = vec!["..".to_string(); ups];
    out.extend(
        to.components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    out.join("/")
}

fn remove_indexes(resources: &mut Vec<Resource>, indexes: &HashSet<usize>) {
    if indexes.is_empty() {
        return;
    }
    let mut i = 0;
    resources.retain(|_| {
        i += 1;
        !indexes.contains(&(i - 1))
    });
}

fn norm_id(id: &ResId) -> ResId {
    let mut id = id.clone();
    if id.namespace.is_empty() {
        id.namespace = "default".into();
    }
    id
}

fn add_unique(k: &Kustomization, acc: &mut Acc, r: Resource, pos: Pos) -> Result<(), Diag> {
    let id = norm_id(&r.id());
    let resources = &acc.resources;
    let ids = acc
        .ids
        .get_or_insert_with(|| resources.iter().map(|e| norm_id(&e.id())).collect());
    if !ids.insert(id) {
        return Err(k.err(
            format!("{} is defined more than once in this build", r.id()),
            pos,
        ));
    }
    acc.resources.push(r);
    Ok(())
}

fn metadata_spec(field: &str) -> FieldSpec {
    FieldSpec {
        gvk: Default::default(),
        path: vec!["metadata".into(), field.into()],
        create: true,
    }
}

fn unsupported(k: &Kustomization, what: &str, pos: Pos) -> Diag {
    k.err(format!("{what} is not supported by kfold's build"), pos)
        .with_help("use --kustomize-fallback to hand this root to kubectl kustomize")
}

/// An inline patch: its nodes take the position of the kustomization entry holding it.
fn parse_patch(k: &Kustomization, text: &str, pos: Pos) -> Result<Vec<Node>, Diag> {
    let mut docs =
        parse_str(text).map_err(|e| k.err(format!("invalid patch: {}", e.message), pos))?;
    for d in &mut docs {
        restamp(d, pos);
    }
    Ok(docs)
}

fn restamp(node: &mut Node, pos: Pos) {
    node.pos = pos;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| restamp(i, pos)),
        Value::Map(m) => m.entries.iter_mut().for_each(|e| {
            e.key_pos = pos;
            restamp(&mut e.value, pos)
        }),
        _ => {}
    }
}

/// kustomize merges with the patch's apiVersion set to the target's, then puts the
/// target's kind, name and namespace back (a patch selected by target may name another).
fn apply_smp(k: &Kustomization, r: &mut Resource, patch: &Node, pos: Pos) -> Result<(), Diag> {
    let schema = smp::schema_for(r.doc.api_version(), r.doc.kind());
    let mut patch = patch.clone();
    if let (Some(m), Some(v)) = (patch.as_map_mut(), r.doc.root.get("apiVersion"))
        && m.contains_key("apiVersion")
    {
        m.insert("apiVersion", v.clone());
    }
    let keep: Vec<(&[&str], Option<Node>)> = [
        &["kind"][..],
        &["metadata", "name"],
        &["metadata", "namespace"],
    ]
    .into_iter()
    .map(|p| (p, r.doc.root.path(p).cloned()))
    .collect();
    smp::strategic_merge(&mut r.doc.root, &patch, schema)
        .map_err(|e| k.err(format!("patch failed: {e}"), pos))?;
    for (path, value) in keep {
        let parent = match path {
            [_] => Some(&mut r.doc.root),
            [first, _] => r.doc.root.get_mut(first),
            _ => None,
        };
        let (Some(parent), Some(last)) = (parent.and_then(Node::as_map_mut), path.last()) else {
            continue;
        };
        match value {
            Some(v) => {
                parent.insert(*last, v);
            }
            None => {
                parent.remove(last);
            }
        }
    }
    Ok(())
}

/// kustomize's JSON 6902: a `replace` of a missing field adds it.
fn apply_json6902(k: &Kustomization, root: &mut Node, ops: &Node, pos: Pos) -> Result<(), Diag> {
    let mut parsed = Vec::new();
    for op in ops.as_seq().unwrap_or_default() {
        let s = |f: &str| op.str_at(&[f]).unwrap_or("").to_string();
        let value = || op.get("value").cloned().unwrap_or_else(Node::null);
        parsed.push(match s("op").as_str() {
            "add" => Op::Add {
                path: s("path"),
                value: value(),
            },
            "remove" => Op::Remove { path: s("path") },
            "replace" => {
                let exists = pointer::parse(&s("path"))
                    .ok()
                    .and_then(|t| pointer::get(root, &t))
                    .is_some();
                if exists {
                    Op::Replace {
                        path: s("path"),
                        value: value(),
                    }
                } else {
                    Op::Add {
                        path: s("path"),
                        value: value(),
                    }
                }
            }
            "move" => Op::Move {
                from: s("from"),
                path: s("path"),
            },
            "copy" => Op::Copy {
                from: s("from"),
                path: s("path"),
            },
            "test" => Op::Test {
                path: s("path"),
                value: value(),
            },
            other => return Err(k.err(format!("unknown JSON patch op `{other}`"), op.pos)),
        });
    }
    // kustomize's JSON patch library creates the missing mappings on the way to an `add`.
    for op in &parsed {
        if let Op::Add { path, .. } = op {
            let Ok(tokens) = pointer::parse(path) else {
                continue;
            };
            for n in 1..tokens.len() {
                if pointer::get(root, &tokens[..n]).is_none()
                    && let Some(parent) =
                        pointer::get_mut(root, &tokens[..n - 1]).and_then(Node::as_map_mut)
                {
                    parent.insert(tokens[n - 1].clone(), Node::map());
                }
            }
        }
    }
    pointer::apply(root, &parsed).map_err(|e| k.err(format!("JSON patch failed: {e}"), pos))
}

fn sort(k: &Kustomization, resources: &mut [Document]) {
    let options = k.get("sortOptions");
    if options.and_then(|o| o.str_at(&["order"])) == Some("fifo") {
        return;
    }
    let list = |key: &str| -> Option<Vec<String>> {
        let l = options?.path(&["legacySortOptions", key])?.as_seq()?;
        Some(
            l.iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
        )
    };
    match (list("orderFirst"), list("orderLast")) {
        (None, None) => crate::render::legacy_sort(resources),
        (first, last) => {
            let (first, last) = (first.unwrap_or_default(), last.unwrap_or_default());
            resources.sort_by_cached_key(|d| legacy_sort_key_with(d, &first, &last));
        }
    }
}

/// Is this folder a kustomize root (or component)?
pub fn is_root(dir: &Path) -> bool {
    dir.is_dir() && find_kustomization(dir).is_some()
}
