//! `configMapGenerator` and `secretGenerator` as kustomize v5.5 runs them: the generated
//! object, its merge into a base's (`behavior: merge | replace`) and the content hash that
//! becomes its name suffix.

use crate::doc::{Entry, Map, Node, Pos, Value};
use std::collections::{BTreeMap, HashSet};
use std::fmt::{self, Write};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenKind {
    ConfigMap,
    Secret,
}

impl GenKind {
    /// The kustomization field the entries are listed under.
    pub fn field(self) -> &'static str {
        match self {
            GenKind::ConfigMap => "configMapGenerator",
            GenKind::Secret => "secretGenerator",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            GenKind::ConfigMap => "ConfigMap",
            GenKind::Secret => "Secret",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behavior {
    Create,
    Merge,
    Replace,
}

/// The generated object, before any name suffix.
#[derive(Clone, Debug)]
pub struct Generated {
    pub resource: Node,
    pub behavior: Behavior,
    /// A content-hash suffix is to be appended to the name at the end of the build.
    pub hash: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GenError {
    pub message: String,
    /// The kustomization node at fault, when known.
    pub pos: Pos,
}

impl GenError {
    fn new(message: impl Into<String>, pos: Pos) -> GenError {
        GenError {
            message: message.into(),
            pos,
        }
    }
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GenError {}

/// `generatorOptions` of a kustomization, or `options` of one generator entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GeneratorOptions {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub disable_name_suffix_hash: bool,
    pub immutable: bool,
}

impl GeneratorOptions {
    /// Like `parse`, with a malformed node read as no options.
    pub fn from_node(node: Option<&Node>) -> GeneratorOptions {
        node.and_then(|n| GeneratorOptions::parse(n).ok())
            .unwrap_or_default()
    }

    pub fn parse(node: &Node) -> Result<GeneratorOptions, GenError> {
        let mut opts = GeneratorOptions::default();
        if node.is_null() {
            return Ok(opts);
        }
        let map = node
            .as_map()
            .ok_or_else(|| GenError::new("generator options must be a mapping", node.pos))?;
        for e in &map.entries {
            let v = &e.value;
            match e.key.as_str() {
                "labels" => opts.labels = string_map(v, "labels")?,
                "annotations" => opts.annotations = string_map(v, "annotations")?,
                "disableNameSuffixHash" => opts.disable_name_suffix_hash = flag(v, &e.key)?,
                "immutable" => opts.immutable = flag(v, &e.key)?,
                other => {
                    return Err(GenError::new(
                        format!("unknown field `{other}` in generator options"),
                        e.key_pos,
                    ));
                }
            }
        }
        Ok(opts)
    }

    /// kustomize's `MergeGlobalOptionsIntoLocal`: the entry's labels and annotations win
    /// over the kustomization's, and a `true` flag at either level wins (a false cannot be
    /// told from an unset one).
    pub fn merged_with(&self, global: &GeneratorOptions) -> GeneratorOptions {
        let merge = |local: &BTreeMap<String, String>, global: &BTreeMap<String, String>| {
            global
                .iter()
                .chain(local)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        GeneratorOptions {
            labels: merge(&self.labels, &global.labels),
            annotations: merge(&self.annotations, &global.annotations),
            disable_name_suffix_hash: self.disable_name_suffix_hash
                || global.disable_name_suffix_hash,
            immutable: self.immutable || global.immutable,
        }
    }
}

fn string_map(node: &Node, what: &str) -> Result<BTreeMap<String, String>, GenError> {
    if node.is_null() {
        return Ok(BTreeMap::new());
    }
    let map = node
        .as_map()
        .ok_or_else(|| GenError::new(format!("`{what}` must be a mapping"), node.pos))?;
    map.entries
        .iter()
        .map(|e| {
            Ok((
                e.key.clone(),
                scalar(&e.value, &format!("{what}.{}", e.key))?,
            ))
        })
        .collect()
}

fn flag(node: &Node, what: &str) -> Result<bool, GenError> {
    // kustomize reads its kustomization as YAML 1.1, where `yes`, `on` and `y` are booleans.
    match (&node.value, node.as_str()) {
        (Value::Bool(b), _) => Ok(*b),
        (Value::Null, _) => Ok(false),
        (_, Some("y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON")) => Ok(true),
        (_, Some("n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF")) => Ok(false),
        _ => Err(GenError::new(
            format!("`{what}` must be true or false"),
            node.pos,
        )),
    }
}

/// A string field. kustomize decodes its kustomization through JSON, so a number or bool
/// there is an error and null the empty string; a string keeps its source text (an
/// unquoted date stays as written).
fn scalar(node: &Node, what: &str) -> Result<String, GenError> {
    match node.value {
        Value::Null => Ok(String::new()),
        Value::String(_) => Ok(node.scalar_text().unwrap_or_default()),
        _ => Err(GenError::new(
            format!("`{what}` must be a string"),
            node.pos,
        )),
    }
}

/// A string of the entry with the position it was written at.
struct Text {
    text: String,
    pos: Pos,
}

fn text(node: &Node, what: &str) -> Result<Text, GenError> {
    Ok(Text {
        text: scalar(node, what)?,
        pos: node.pos,
    })
}

fn texts(node: Option<&Node>, what: &str) -> Result<Vec<Text>, GenError> {
    match node.map(|n| &n.value) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Seq(items)) => items.iter().map(|n| text(n, what)).collect(),
        Some(_) => Err(GenError::new(
            format!("`{what}` must be a list of strings"),
            node.map_or(Pos::NONE, |n| n.pos),
        )),
    }
}

struct Pair {
    key: String,
    value: Vec<u8>,
    pos: Pos,
}

/// Builds the object a generator entry describes. Files are read through `read_file`
/// (which enforces the load restrictor), relative to `dir`; a callback that returns the
/// raw bytes lets non-UTF-8 files go to `binaryData` as kustomize does.
pub fn generate<B: AsRef<[u8]>>(
    kind: GenKind,
    entry: &Node,
    options: &GeneratorOptions,
    dir: &Path,
    read_file: &dyn Fn(&Path) -> Result<B, String>,
) -> Result<Generated, GenError> {
    let field = kind.field();
    let map = entry
        .as_map()
        .ok_or_else(|| GenError::new(format!("a {field} entry must be a mapping"), entry.pos))?;
    for e in &map.entries {
        match e.key.as_str() {
            "name" | "namespace" | "behavior" | "literals" | "files" | "envs" | "env"
            | "options" => {}
            "type" if kind == GenKind::Secret => {}
            other => {
                return Err(GenError::new(
                    format!("unknown field `{other}` in a {field} entry"),
                    e.key_pos,
                ));
            }
        }
    }
    let get = |key: &str| map.get(key).map(|n| text(n, key)).transpose();
    let name = get("name")?
        .filter(|n| !n.text.is_empty())
        .ok_or_else(|| GenError::new(format!("a {field} entry needs a `name`"), entry.pos))?;
    let fail =
        |pos: Pos, msg: String| GenError::new(format!("{field} `{}`: {msg}", name.text), pos);
    let in_entry = |e: GenError| fail(e.pos, e.message);
    let opt = |key: &str| get(key).map_err(in_entry);
    let namespace = opt("namespace")?.filter(|n| !n.text.is_empty());
    let behavior = match opt("behavior")?.as_ref().map(|b| b.text.as_str()) {
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        // kustomize treats any other value as unspecified, which acts as create.
        _ => Behavior::Create,
    };
    let options = match map.get("options") {
        Some(n) => GeneratorOptions::parse(n).map_err(in_entry)?,
        None => GeneratorOptions::default(),
    }
    .merged_with(options);

    let read = |file: &Text| {
        read_file(&dir.join(&file.text))
            .map(|b| b.as_ref().to_vec())
            .map_err(|e| fail(file.pos, format!("`{}`: {e}", file.text)))
    };
    // kustomize's order: env files (`envs`, then the legacy `env`), literals, files.
    let mut pairs = Vec::new();
    let mut envs = texts(map.get("envs"), "envs").map_err(in_entry)?;
    envs.extend(opt("env")?);
    for file in &envs {
        let lines = parse_env(&read(file)?)
            .map_err(|e| fail(file.pos, format!("env file `{}`: {e}", file.text)))?;
        pairs.extend(lines.into_iter().map(|(key, value)| Pair {
            key,
            value: value.into_bytes(),
            pos: file.pos,
        }));
    }
    for lit in texts(map.get("literals"), "literals").map_err(in_entry)? {
        let (key, value) = parse_literal(&lit.text).map_err(|e| fail(lit.pos, e))?;
        pairs.push(Pair {
            key,
            value: value.into_bytes(),
            pos: lit.pos,
        });
    }
    for src in texts(map.get("files"), "files").map_err(in_entry)? {
        let (key, path) = parse_file_source(&src.text).map_err(|e| fail(src.pos, e))?;
        let path = Text {
            text: path,
            pos: src.pos,
        };
        pairs.push(Pair {
            key,
            value: read(&path)?,
            pos: src.pos,
        });
    }
    // Keys are not validated: kustomize 5.5's validator accepts anything (see `key_problem`).
    let mut seen = HashSet::new();
    for p in &pairs {
        if !seen.insert(p.key.as_str()) {
            return Err(fail(p.pos, format!("the key `{}` is given twice", p.key)));
        }
    }
    pairs.sort_by(|a, b| a.key.cmp(&b.key));

    let at = |value: Value, pos: Pos| Node::at(value, pos);
    let string = |s: &str, pos: Pos| at(Value::String(s.to_string()), pos);
    let (mut data, mut binary) = (Map::default(), Map::default());
    for p in pairs {
        let (target, value) = match kind {
            GenKind::Secret => (&mut data, base64_wrapped(&p.value)),
            GenKind::ConfigMap => match String::from_utf8(p.value) {
                Ok(s) => (&mut data, s),
                Err(e) => (&mut binary, base64_wrapped(e.as_bytes())),
            },
        };
        target.entries.push(Entry {
            key: p.key,
            key_pos: p.pos,
            key_typed: false,
            value: at(Value::String(value), p.pos),
        });
    }
    let string_map_node = |m: &BTreeMap<String, String>| {
        let mut out = Map::default();
        for (k, v) in m {
            out.insert(k.clone(), string(v, entry.pos));
        }
        at(Value::Map(out), entry.pos)
    };
    let mut meta = Map::default();
    meta.insert("name", string(&name.text, name.pos));
    if let Some(ns) = &namespace {
        meta.insert("namespace", string(&ns.text, ns.pos));
    }
    if !options.labels.is_empty() {
        meta.insert("labels", string_map_node(&options.labels));
    }
    if !options.annotations.is_empty() {
        meta.insert("annotations", string_map_node(&options.annotations));
    }
    let mut root = Map::default();
    root.insert("apiVersion", string("v1", entry.pos));
    root.insert("kind", string(kind.kind(), entry.pos));
    root.insert("metadata", at(Value::Map(meta), entry.pos));
    if kind == GenKind::Secret {
        let ty = opt("type")?.filter(|t| !t.text.is_empty());
        let (ty, pos) = ty.map_or(("Opaque".to_string(), entry.pos), |t| (t.text, t.pos));
        root.insert("type", string(&ty, pos));
    }
    // A Secret always gets `data` (kyaml creates the mapping before filling it).
    if !data.is_empty() || kind == GenKind::Secret {
        root.insert("data", at(Value::Map(data), entry.pos));
    }
    if !binary.is_empty() {
        root.insert("binaryData", at(Value::Map(binary), entry.pos));
    }
    if options.immutable {
        root.insert("immutable", at(Value::Bool(true), entry.pos));
    }
    Ok(Generated {
        resource: at(Value::Map(root), entry.pos),
        behavior,
        hash: !options.disable_name_suffix_hash,
    })
}

/// A `KEY=VALUE` literal: split at the first `=`, one level of matching quotes removed.
fn parse_literal(source: &str) -> Result<(String, String), String> {
    match source.split_once('=') {
        Some((key, value)) if !key.is_empty() => {
            let quoted = value.len() >= 2
                && (value.starts_with('"') && value.ends_with('"')
                    || value.starts_with('\'') && value.ends_with('\''));
            let value = if quoted {
                &value[1..value.len() - 1]
            } else {
                value
            };
            Ok((key.to_string(), value.to_string()))
        }
        _ => Err(format!("invalid literal `{source}`, expected KEY=VALUE")),
    }
}

/// A `files` entry: `path` (the key is its base name) or `key=path`.
fn parse_file_source(source: &str) -> Result<(String, String), String> {
    match source.split('=').collect::<Vec<_>>()[..] {
        [path] => Ok((go_path_base(path).to_string(), path.to_string())),
        ["", path] => Err(format!(
            "missing key name for file path `{path}` in `{source}`"
        )),
        [key, ""] => Err(format!(
            "missing file path for key name `{key}` in `{source}`"
        )),
        [key, path] => Ok((key.to_string(), path.to_string())),
        _ => Err(format!(
            "the key name or file path of `{source}` contains `=`"
        )),
    }
}

/// Go's `path.Base`.
fn go_path_base(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// An env file as kustomize reads it: lines split as Go's `bufio.ScanLines` does (a final
/// `\r` dropped), a BOM dropped from the first line, leading whitespace trimmed, blank and
/// `#` lines skipped. `KEY=VALUE` is split at the first `=`, the value kept as written
/// (quotes included); a bare `KEY` gets the empty string (kustomize 5.5 no longer reads the
/// process environment), and a line with an empty key is skipped like a comment.
fn parse_env(content: &[u8]) -> Result<Vec<(String, String)>, String> {
    let body = content.strip_suffix(b"\n").unwrap_or(content);
    let mut pairs = Vec::new();
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line =
            std::str::from_utf8(line).map_err(|_| format!("line {} is not valid UTF-8", i + 1))?;
        let line = if i == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, value.to_string()),
            None => (line, String::new()),
        };
        if !key.is_empty() {
            pairs.push((key.to_string(), value));
        }
    }
    Ok(pairs)
}

/// What the API server (`IsConfigMapKey`) would object to in a data key, for linting:
/// kustomize 5.5 generates such keys without complaint, so `generate` does too.
pub fn key_problem(key: &str) -> Option<&'static str> {
    if key.is_empty() || key.len() > 253 {
        Some("a key must be 1 to 253 characters long")
    } else if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Some("a key may only hold letters, digits, `-`, `_` and `.`")
    } else if key == "." || key.starts_with("..") {
        Some("a key must not be `.` or start with `..`")
    } else {
        None
    }
}

/// Applies an overlay's generator with `behavior: merge` or `replace` to the base's object
/// of the same name, as kustomize does: the generated object takes the place of the
/// existing one, keeping the existing name and namespace, with labels and annotations
/// merged (the generated ones win) and, for merge, `data` and `binaryData` merged too.
pub fn merge_into(
    existing: &mut Node,
    generated: &Node,
    behavior: Behavior,
) -> Result<(), GenError> {
    let name = existing.str_at(&["metadata", "name"]).unwrap_or_default();
    let (old_kind, new_kind) = (existing.str_at(&["kind"]), generated.str_at(&["kind"]));
    if behavior == Behavior::Create || old_kind != new_kind {
        return Err(GenError::new(
            format!(
                "{} `{name}` already exists: behavior must be merge or replace",
                new_kind.unwrap_or("object")
            ),
            generated.pos,
        ));
    }
    let mut merged = generated.clone();
    let Some(meta) = merged.get_mut("metadata").and_then(Node::as_map_mut) else {
        return Err(GenError::new(
            "a generated object has no metadata",
            generated.pos,
        ));
    };
    for field in ["labels", "annotations"] {
        let entries = merge_string_maps(
            existing.path(&["metadata", field]),
            generated.path(&["metadata", field]),
        );
        set_or_remove(meta, field, entries, generated.pos);
    }
    for field in ["name", "namespace"] {
        match existing
            .path(&["metadata", field])
            .filter(|n| n.as_str() != Some(""))
        {
            Some(n) => {
                meta.insert(field, n.clone());
            }
            None => {
                meta.remove(field);
            }
        }
    }
    if let (Behavior::Merge, Some(root)) = (behavior, merged.as_map_mut()) {
        for field in ["data", "binaryData"] {
            let entries = merge_string_maps(existing.get(field), generated.get(field));
            set_or_remove(root, field, entries, generated.pos);
        }
    }
    *existing = merged;
    Ok(())
}

/// Both maps' entries as strings (kyaml reads them as `map[string]string`), the second's
/// winning, in key order.
fn merge_string_maps(old: Option<&Node>, new: Option<&Node>) -> Map {
    let mut out = BTreeMap::new();
    for e in [old, new]
        .into_iter()
        .flatten()
        .filter_map(Node::as_map)
        .flat_map(|m| &m.entries)
    {
        let value = Node::at(
            Value::String(e.value.scalar_text().unwrap_or_default()),
            e.value.pos,
        );
        out.insert(e.key.clone(), Entry { value, ..e.clone() });
    }
    Map {
        entries: out.into_values().collect(),
    }
}

fn set_or_remove(map: &mut Map, field: &str, entries: Map, pos: Pos) {
    if entries.is_empty() {
        map.remove(field);
    } else {
        map.insert(field, Node::at(Value::Map(entries), pos));
    }
}

/// kustomize's name suffix for a generated ConfigMap or Secret (api/hasher): a JSON object
/// of the kind, the name (always empty, see below), `data` and `binaryData` (ConfigMap) or
/// `type`, `data` and `stringData` (Secret), sha256, the first 10 hex digits with 0, 1, 3,
/// a, e mapped to g, h, k, m, t.
pub fn content_hash(resource: &Node) -> Result<String, GenError> {
    // Each field as kustomize's getNodeValues reads it: absent as "", a scalar as its text,
    // a mapping as JSON; a list fails to decode into a map and so is null.
    let value = |node: Option<&Node>| -> Result<String, GenError> {
        let mut out = String::new();
        match node {
            None => out.push_str("\"\""),
            Some(n) => match &n.value {
                Value::Map(_) => json(n, &mut out)?,
                Value::Seq(_) => out.push_str("null"),
                _ => json_str(&n.scalar_text().unwrap_or_default(), &mut out),
            },
        }
        Ok(out)
    };
    let kind = resource.str_at(&["kind"]).unwrap_or_default();
    let mut fields = vec![("kind", value(Some(&Node::string(kind)))?)];
    // kustomize looks `metadata/name` up as a single field name, which no object has, so
    // the name always hashes as "".
    fields.push(("name", value(None)?));
    let (optional, more): (&str, &[&str]) = match kind {
        "ConfigMap" => ("binaryData", &["data"]),
        "Secret" => ("stringData", &["data", "type"]),
        _ => {
            return Err(GenError::new(
                format!(
                    "cannot hash a {kind}: only generated ConfigMaps and Secrets get a hash suffix"
                ),
                resource.pos,
            ));
        }
    };
    for field in more {
        fields.push((field, value(resource.get(field))?));
    }
    // The optional field is only hashed when it decodes into a map.
    if let Some(n) = resource
        .get(optional)
        .filter(|n| matches!(n.value, Value::Map(_) | Value::Seq(_)))
    {
        fields.push((optional, value(Some(n))?));
    }
    fields.sort_by_key(|(k, _)| *k);
    let mut text = String::from("{");
    for (key, value) in &fields {
        if text.len() > 1 {
            text.push(',');
        }
        json_str(key, &mut text);
        text.push(':');
        text.push_str(value);
    }
    text.push('}');
    let hex: String = sha256(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(hex[..10]
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect())
}

/// A value as Go's `encoding/json` writes it after a round trip through `interface{}`:
/// keys sorted by bytes, every number a float64.
fn json(node: &Node, out: &mut String) -> Result<(), GenError> {
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => json_float(*i as f64, out, node.pos)?,
        Value::UInt(u) => json_float(*u as f64, out, node.pos)?,
        Value::Float(f) => json_float(*f, out, node.pos)?,
        Value::String(s) => json_str(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            let mut entries: Vec<&Entry> = m.entries.iter().collect();
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(&e.key, out);
                out.push(':');
                json(&e.value, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go's float64 encoding: shortest digits, exponent form below 1e-6 and from 1e21.
fn json_float(f: f64, out: &mut String, pos: Pos) -> Result<(), GenError> {
    if !f.is_finite() {
        return Err(GenError::new(format!("cannot hash the value {f}"), pos));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let sci = format!("{f:e}");
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        match exp.strip_prefix('-') {
            Some(neg) => write!(out, "{mantissa}e-{neg}"),
            None => write!(out, "{mantissa}e+{exp:0>2}"),
        }
        .ok();
    } else {
        write!(out, "{f}").ok();
    }
    Ok(())
}

/// Go's JSON string escaping, HTML-safe as `json.Marshal` is.
fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                write!(out, "\\u{:04x}", c as u32).ok();
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// kyaml's `encodeBase64`: once the encoding reaches 70 characters it is cut into lines of
/// 70, each ending in a newline (so the emitter writes it as a `|` block).
fn base64_wrapped(data: &[u8]) -> String {
    const LINE: usize = 70;
    let encoded = base64(data);
    if encoded.len() < LINE {
        return encoded;
    }
    let mut out = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for chunk in encoded.as_bytes().chunks(LINE) {
        out.extend(chunk.iter().map(|&b| b as char));
        out.push('\n');
    }
    out
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    msg.resize(data.len() + 1 + (119 - data.len() % 64) % 64, 0);
    msg.extend_from_slice(&(data.len() as u64).wrapping_mul(8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut s = h;
        for i in 0..64 {
            let [a, b, c, d, e, f, g, hh] = s;
            let t1 = hh
                .wrapping_add(e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25))
                .wrapping_add((e & f) ^ (!e & g))
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let t2 = (a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22))
                .wrapping_add((a & b) ^ (a & c) ^ (b & c));
            s = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
        }
        for (x, y) in h.iter_mut().zip(s) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;
    use crate::render::emit::emit_object;
    use std::path::PathBuf;

    fn node(text: &str) -> Node {
        parse_str(text).unwrap().remove(0)
    }

    fn gen_in(kind: GenKind, entry: &str, files: &[(&str, &[u8])]) -> Result<Generated, GenError> {
        let read = |p: &Path| {
            files
                .iter()
                .find(|(name, _)| Path::new("/k").join(name) == p)
                .map(|(_, content)| content.to_vec())
                .ok_or_else(|| format!("no file {}", p.display()))
        };
        generate(
            kind,
            &node(entry),
            &GeneratorOptions::default(),
            Path::new("/k"),
            &read,
        )
    }

    fn render(r: &Node) -> String {
        emit_object(r, String::new()).unwrap()
    }

    /// Every ConfigMap and Secret a kustomization tree generates, with merge/replace entries
    /// applied to their base's object, and whether each gets a hash suffix (kubectl keeps
    /// one only when both the base and the overlay entry want it).
    fn build(dir: &Path, out: &mut Vec<(Node, bool)>) {
        let k = node(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap());
        for res in k
            .get("resources")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let sub = dir.join(res.as_str().unwrap());
            if sub.join("kustomization.yaml").exists() {
                build(&sub, out);
            }
        }
        let options =
            GeneratorOptions::parse(k.get("generatorOptions").unwrap_or(&Node::null())).unwrap();
        let read = |p: &Path| std::fs::read(p).map_err(|e| e.to_string());
        for kind in [GenKind::ConfigMap, GenKind::Secret] {
            for entry in k
                .get(kind.field())
                .and_then(Node::as_seq)
                .unwrap_or_default()
            {
                let g = generate(kind, entry, &options, dir, &read).unwrap();
                if g.behavior == Behavior::Create {
                    out.push((g.resource, g.hash));
                    continue;
                }
                let name = g.resource.str_at(&["metadata", "name"]);
                let (existing, hash) = out
                    .iter_mut()
                    .find(|(r, _)| r.str_at(&["metadata", "name"]) == name)
                    .unwrap();
                merge_into(existing, &g.resource, g.behavior).unwrap();
                *hash &= g.hash;
            }
        }
    }

    fn check_case(case: &str) {
        check_dir(&format!("testdata/conformance/kustomize/{case}"));
    }

    /// Renders what the tree in `case`/in (or `case` itself) generates and compares it with
    /// the matching documents of `case`/expected.yaml.
    fn check_dir(case: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(case);
        let expected = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
        let wanted: Vec<String> = expected
            .split("\n---\n")
            .map(|d| format!("{}\n", d.trim_end_matches('\n')))
            .filter(|d| d.contains("\nkind: ConfigMap\n") || d.contains("\nkind: Secret\n"))
            .collect();
        let mut generated = Vec::new();
        let input = Some(dir.join("in")).filter(|d| d.is_dir());
        build(&input.unwrap_or_else(|| dir.clone()), &mut generated);
        assert_eq!(generated.len(), wanted.len(), "{case}: generated objects");
        for (mut r, hash) in generated {
            if hash {
                let suffix = content_hash(&r).unwrap();
                let name = r
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("name"))
                    .unwrap();
                name.value = Value::String(format!("{}-{suffix}", name.as_str().unwrap()));
            }
            let text = render(&r);
            assert!(
                wanted.contains(&text),
                "{case}: not expected:\n{text}\nexpected one of:\n{}",
                wanted.join("---\n")
            );
        }
    }

    #[test]
    fn conformance_literals_and_hash() {
        check_case("027-configmapgen-literals-hash");
    }

    #[test]
    fn conformance_files_envs_and_binary() {
        check_case("028-configmapgen-files-envs");
    }

    #[test]
    fn conformance_merge_and_replace_overlay() {
        check_case("029-configmapgen-behavior-overlay");
    }

    #[test]
    fn conformance_entry_options() {
        check_case("030-configmapgen-options");
    }

    #[test]
    fn conformance_secrets() {
        check_case("031-secretgen-types");
    }

    #[test]
    fn conformance_kustomization_options() {
        check_case("032-generatoroptions");
    }

    #[test]
    fn conformance_file_contents_as_block_scalars() {
        check_case("092-yaml-block-scalars-in-workloads");
    }

    #[test]
    fn fixtures_checked_against_kubectl() {
        check_dir("testdata/generators/escapes");
        check_dir("testdata/generators/env-literals-keys");
    }

    #[test]
    fn literals_split_at_the_first_equals_and_lose_one_level_of_matching_quotes() {
        let ok = |s: &str| parse_literal(s).unwrap();
        let kv = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(ok("K=v"), kv("K", "v"));
        assert_eq!(ok("K="), kv("K", ""));
        assert_eq!(ok("K=a=b=c"), kv("K", "a=b=c"));
        assert_eq!(ok("K= spaced "), kv("K", " spaced "));
        assert_eq!(ok("K=\"quoted\""), kv("K", "quoted"));
        assert_eq!(ok("K='single'"), kv("K", "single"));
        assert_eq!(ok("K=\"\"\"\""), kv("K", "\"\""));
        assert_eq!(ok("K=\"mixed'"), kv("K", "\"mixed'"));
        assert_eq!(ok("K=\"open"), kv("K", "\"open"));
        assert_eq!(ok("K=\""), kv("K", "\""));
        assert_eq!(ok("K=\"é\""), kv("K", "é"));
        assert!(parse_literal("=v").is_err());
        assert!(parse_literal("no-equals").is_err());
    }

    #[test]
    fn env_files_skip_comments_and_blanks_and_keep_values_verbatim() {
        // Checked against kubectl kustomize 5.5, also with BARE set in the environment.
        let text = "\u{feff}# comment\n\n  \t INDENTED=x\nQUOTED=\"q\" \nEMPTY=\nEQ=a=b\r\n=skipped\nBARE\nBARE_SPACED  \n\u{a0}NBSP=1\n   # indented comment\nLAST=no newline";
        let pairs = parse_env(text.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("INDENTED", "x"),
                ("QUOTED", "\"q\" "),
                ("EMPTY", ""),
                ("EQ", "a=b"),
                ("BARE", ""),
                ("BARE_SPACED  ", ""),
                ("NBSP", "1"),
                ("LAST", "no newline"),
            ]
        );
        assert!(parse_env(b"").unwrap().is_empty());
        assert!(parse_env(b"\n\n").unwrap().is_empty());
        let e = parse_env(b"A=1\nB=\xff\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn file_sources_take_the_base_name_or_an_explicit_key() {
        let kv = |k: &str, v: &str| Ok((k.to_string(), v.to_string()));
        assert_eq!(
            parse_file_source("conf/nginx.conf"),
            kv("nginx.conf", "conf/nginx.conf")
        );
        assert_eq!(
            parse_file_source("mime=conf/mime.types"),
            kv("mime", "conf/mime.types")
        );
        assert_eq!(parse_file_source("dir/"), kv("dir", "dir/"));
        for bad in ["=path", "key=", "a=b=c"] {
            assert!(parse_file_source(bad).is_err(), "{bad}");
        }
        assert_eq!(
            (go_path_base(""), go_path_base("//"), go_path_base("a//b//")),
            (".", "/", "b")
        );
    }

    #[test]
    fn keys_kubernetes_would_refuse_are_generated_as_kustomize_does() {
        for good in ["a", "A-b_c.d", ".hidden", "a..b", &"k".repeat(253)] {
            assert_eq!(key_problem(good), None, "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "..x",
            "has space",
            "a/b",
            "ключ",
            &"k".repeat(254),
        ] {
            assert!(key_problem(bad).is_some(), "{bad}");
        }
        // kubectl kustomize 5.5 prints these keys as they are.
        let entry = "name: cm\nliterals: [\"bad key=1\", ключ=2, ..x=3, a/b=4]";
        let g = gen_in(GenKind::ConfigMap, entry, &[]).unwrap();
        assert_eq!(
            render(&g.resource),
            "apiVersion: v1\ndata:\n  ..x: \"3\"\n  a/b: \"4\"\n  bad key: \"1\"\n  ключ: \"2\"\nkind: ConfigMap\nmetadata:\n  name: cm\n"
        );
        assert_eq!(content_hash(&g.resource).unwrap(), "5cb7mggft7");
    }

    #[test]
    fn duplicate_keys_across_sources_are_errors() {
        let entry = "name: cm\nliterals: [app.conf=x]\nfiles: [conf/app.conf]";
        let e = gen_in(GenKind::ConfigMap, entry, &[("conf/app.conf", b"y")]).unwrap_err();
        assert!(e.message.contains("`app.conf` is given twice"), "{e}");
        let e = gen_in(GenKind::ConfigMap, "name: cm\nliterals: [A=1, A=2]", &[]).unwrap_err();
        assert!(e.message.contains("`A` is given twice"), "{e}");
    }

    #[test]
    fn errors_name_the_entry_and_the_file() {
        let e = gen_in(GenKind::ConfigMap, "name: cm\nfiles: [missing.txt]", &[]).unwrap_err();
        assert_eq!(
            e.message,
            "configMapGenerator `cm`: `missing.txt`: no file /k/missing.txt"
        );
        assert_eq!(e.pos.line, 2);
        let e = gen_in(
            GenKind::Secret,
            "name: s\nenv: bad.env",
            &[("bad.env", b"\xfe=1")],
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("secretGenerator `s`: env file `bad.env`: line 1"),
            "{e}"
        );
        let e = gen_in(GenKind::ConfigMap, "name: cm\ntype: Opaque", &[]).unwrap_err();
        assert!(e.message.contains("unknown field `type`"), "{e}");
        let e = gen_in(GenKind::ConfigMap, "literals: [A=1]", &[]).unwrap_err();
        assert!(e.message.contains("needs a `name`"), "{e}");
        let e = gen_in(GenKind::ConfigMap, "name: cm\noptions: {labels: [x]}", &[]).unwrap_err();
        assert!(
            e.message
                .starts_with("configMapGenerator `cm`: `labels` must be a mapping"),
            "{e}"
        );
        let e = gen_in(GenKind::ConfigMap, "name: cm\nliterals: A=1", &[]).unwrap_err();
        assert!(e.message.contains("`literals` must be a list"), "{e}");
        // kustomize reads the kustomization through JSON: numbers are not strings.
        let e = gen_in(GenKind::ConfigMap, "name: 123", &[]).unwrap_err();
        assert!(e.message.contains("`name` must be a string"), "{e}");
        let e = gen_in(
            GenKind::ConfigMap,
            "name: cm\noptions: {labels: {n: 1}}",
            &[],
        )
        .unwrap_err();
        assert!(e.message.contains("`labels.n` must be a string"), "{e}");
        let e = gen_in(GenKind::ConfigMap, "name: cm\nliterals: [8080]", &[]).unwrap_err();
        assert!(e.message.contains("`literals` must be a string"), "{e}");
    }

    #[test]
    fn generated_objects_carry_namespace_type_behavior_and_options() {
        let entry = "name: s\nnamespace: prod\nbehavior: merge\ntype: kubernetes.io/tls\nenvs: [a.env]\nenv: b.env\noptions: {immutable: true, disableNameSuffixHash: yes, labels: {tier: \"1\"}}";
        let g = gen_in(
            GenKind::Secret,
            entry,
            &[("a.env", b"A=1\n"), ("b.env", b"B=2\n")],
        )
        .unwrap();
        assert_eq!((g.behavior, g.hash), (Behavior::Merge, false));
        assert_eq!(
            render(&g.resource),
            "apiVersion: v1\ndata:\n  A: MQ==\n  B: Mg==\nimmutable: true\nkind: Secret\nmetadata:\n  labels:\n    tier: \"1\"\n  name: s\n  namespace: prod\ntype: kubernetes.io/tls\n"
        );
        // An empty Secret still has `data`; an empty ConfigMap has none. Unknown behaviors create.
        let g = gen_in(GenKind::Secret, "name: s\nbehavior: Merge", &[]).unwrap();
        assert_eq!(g.behavior, Behavior::Create);
        assert_eq!(
            render(&g.resource),
            "apiVersion: v1\ndata: {}\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\n"
        );
        let g = gen_in(GenKind::ConfigMap, "name: c", &[]).unwrap();
        assert_eq!(
            render(&g.resource),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
        );
    }

    #[test]
    fn entry_options_override_and_extend_the_kustomization_options() {
        let global = GeneratorOptions::parse(&node(
            "labels: {a: g, b: g}\nannotations: {x: g}\ndisableNameSuffixHash: true",
        ))
        .unwrap();
        let local = GeneratorOptions::parse(&node(
            "labels: {b: l, c: l}\ndisableNameSuffixHash: false\nimmutable: true",
        ))
        .unwrap();
        let merged = local.merged_with(&global);
        let pairs = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(&merged.labels), ["a=g", "b=l", "c=l"]);
        assert_eq!(pairs(&merged.annotations), ["x=g"]);
        assert!(merged.disable_name_suffix_hash && merged.immutable);
        assert!(GeneratorOptions::parse(&node("disableNameSuffixHash: \"true\"")).is_err());
        assert!(GeneratorOptions::parse(&node("prefix: x")).is_err());
        assert_eq!(
            GeneratorOptions::from_node(Some(&node("prefix: x"))),
            GeneratorOptions::default()
        );
        assert_eq!(
            GeneratorOptions::from_node(None),
            GeneratorOptions::default()
        );
    }

    #[test]
    fn merge_keeps_the_base_name_and_merges_data_and_metadata() {
        let mut base = node(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-cm\n  namespace: base-ns\n  labels: {a: base, b: base}\ndata: {A: '1', B: 2}\nbinaryData: {bin: AA==}\nimmutable: true\n",
        );
        let overlay = gen_in(
            GenKind::ConfigMap,
            "name: cm\nbehavior: merge\nliterals: [B=3, C=4]\noptions: {labels: {b: overlay}}",
            &[],
        )
        .unwrap();
        let mut replaced = base.clone();
        merge_into(&mut base, &overlay.resource, Behavior::Merge).unwrap();
        assert_eq!(
            render(&base),
            "apiVersion: v1\nbinaryData:\n  bin: AA==\ndata:\n  A: \"1\"\n  B: \"3\"\n  C: \"4\"\nkind: ConfigMap\nmetadata:\n  labels:\n    a: base\n    b: overlay\n  name: p-cm\n  namespace: base-ns\n"
        );
        merge_into(&mut replaced, &overlay.resource, Behavior::Replace).unwrap();
        assert_eq!(
            render(&replaced),
            "apiVersion: v1\ndata:\n  B: \"3\"\n  C: \"4\"\nkind: ConfigMap\nmetadata:\n  labels:\n    a: base\n    b: overlay\n  name: p-cm\n  namespace: base-ns\n"
        );
        assert!(merge_into(&mut replaced, &overlay.resource, Behavior::Create).is_err());
        let secret = gen_in(GenKind::Secret, "name: cm\nbehavior: merge", &[]).unwrap();
        assert!(merge_into(&mut replaced, &secret.resource, Behavior::Merge).is_err());
    }

    #[test]
    fn overlay_merge_and_replace_match_kubectl() {
        // Outputs of kubectl kustomize 5.5 for the same base and overlay entries: the hash
        // suffix stays only when both sides want it, and a merged Secret takes the
        // overlay's type.
        let make = |kind, entry: &str| gen_in(kind, entry, &[]).unwrap();
        let mut objects = [
            make(GenKind::ConfigMap, "name: hashed\nliterals: [A=1]"),
            make(
                GenKind::ConfigMap,
                "name: plain\nliterals: [A=1]\noptions: {disableNameSuffixHash: true, labels: {keep: base, over: base}}",
            ),
            make(
                GenKind::Secret,
                "name: tls\ntype: kubernetes.io/tls\nliterals: [tls.crt=x, tls.key=y]",
            ),
        ];
        let overlays = [
            make(
                GenKind::ConfigMap,
                "name: hashed\nbehavior: merge\nliterals: [B=2]\noptions: {disableNameSuffixHash: true}",
            ),
            make(
                GenKind::ConfigMap,
                "name: plain\nbehavior: replace\nliterals: [C=3]\noptions: {labels: {over: overlay}}",
            ),
            make(
                GenKind::Secret,
                "name: tls\nbehavior: merge\nliterals: [extra=z]",
            ),
        ];
        let mut out = Vec::new();
        for (base, overlay) in objects.iter_mut().zip(overlays) {
            merge_into(&mut base.resource, &overlay.resource, overlay.behavior).unwrap();
            if base.hash && overlay.hash {
                let hash = content_hash(&base.resource).unwrap();
                let name = base
                    .resource
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("name"))
                    .unwrap();
                name.value = Value::String(format!("{}-{hash}", name.as_str().unwrap()));
            }
            out.push(render(&base.resource));
        }
        assert_eq!(
            out.join("---\n"),
            "apiVersion: v1\ndata:\n  A: \"1\"\n  B: \"2\"\nkind: ConfigMap\nmetadata:\n  name: hashed\n---\n\
             apiVersion: v1\ndata:\n  C: \"3\"\nkind: ConfigMap\nmetadata:\n  labels:\n    keep: base\n    over: overlay\n  name: plain\n---\n\
             apiVersion: v1\ndata:\n  extra: eg==\n  tls.crt: eA==\n  tls.key: eQ==\nkind: Secret\nmetadata:\n  name: tls-46t899hhtg\ntype: Opaque\n"
        );
    }

    #[test]
    fn hash_ignores_the_name_and_covers_data_binary_data_and_type() {
        let cm = |extra: &str| {
            content_hash(&node(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{extra}"
            )))
            .unwrap()
        };
        // Values from the conformance corpus (kustomize v5.5).
        assert_eq!(cm("data:\n  OWNER: sre\n"), "mf88d4t5hh");
        assert_eq!(
            cm("binaryData:\n  logo.bin: iVBORw0KGgoAAf7/\n"),
            "g9th8db845"
        );
        let renamed =
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  OWNER: sre\n";
        assert_eq!(content_hash(&node(renamed)).unwrap(), "mf88d4t5hh");
        assert_ne!(cm("data:\n  OWNER: sre\nbinaryData: {}\n"), "mf88d4t5hh");
        let secret = |ty: &str| {
            content_hash(&node(&format!("kind: Secret\ntype: {ty}\ndata:\n  password: cEBzcyB3MHJkIQ==\n  username: YWRtaW4=\n"))).unwrap()
        };
        assert_eq!(secret("Opaque"), "7279gdk74b");
        assert_ne!(secret("kubernetes.io/basic-auth"), "7279gdk74b");
        assert!(content_hash(&node("kind: Deployment\n")).is_err());
    }

    #[test]
    fn json_is_written_as_go_writes_it() {
        let mut out = String::new();
        json_str("a\"\\<>&\u{2028}\u{8}\u{c}\n\r\t\u{1}\u{7f}é😀", &mut out);
        assert_eq!(
            out,
            "\"a\\\"\\\\\\u003c\\u003e\\u0026\\u2028\\b\\f\\n\\r\\t\\u0001\u{7f}é😀\""
        );
        let mut out = String::new();
        json(&node("{b: [1, 2.5, true, null], a: 1e21, c: 0.0000001, d: 123456789, e: 12345678901234567890}"), &mut out).unwrap();
        assert_eq!(
            out,
            "{\"a\":1e+21,\"b\":[1,2.5,true,null],\"c\":1e-7,\"d\":123456789,\"e\":12345678901234567000}"
        );
    }

    #[test]
    fn base64_matches_rfc_4648_and_wraps_at_70_columns() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
        // Encodings are multiples of 4 long: 68 stays one line, 72 and more are wrapped.
        assert_eq!(base64_wrapped(&[0; 51]), "A".repeat(68));
        assert_eq!(
            base64_wrapped(&[0; 52]),
            format!("{}\n==\n", "A".repeat(70))
        );
        assert_eq!(
            base64_wrapped(&[0; 105]),
            format!("{0}\n{0}\n", "A".repeat(70))
        );
    }

    #[test]
    fn sha256_matches_known_vectors() {
        let hex = |d: &[u8]| {
            sha256(d)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert_eq!(
            hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex(&[b'a'; 1_000_000]),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        // Lengths around the padding boundary.
        assert_eq!(
            hex(&[b'a'; 55]),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"
        );
        assert_eq!(
            hex(&[b'a'; 56]),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"
        );
        assert_eq!(
            hex(&[b'a'; 64]),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"
        );
    }
}
