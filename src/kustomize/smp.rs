//! Strategic merge patches as kustomize 5.5 applies them: kyaml's `merge2` walker with
//! list prepending, not apimachinery's strategic merge. Output must match kustomize byte
//! for byte, so this follows kyaml step by step, quirks included:
//!
//! - the whole resource is walked, so an empty null (`key:`) anywhere in a mapping of the
//!   base is dropped (a written one, `~` or `null`, is kept), as are null and `{}`
//!   elements of merge-keyed lists;
//! - a merge-keyed list comes out as the patch's elements (in patch order, merged with
//!   their base match) followed by the base-only ones; a `$patch: replace` on one element
//!   is undone by that reordering, and with two merge keys (`containerPort`, `protocol`)
//!   a patch element the base has under the first key only is dropped;
//! - a scalar replacing a quoted string takes its quotes, so `2` over `"1"` gives `"2"`;
//! - `$setElementOrder/…`, `$retainKeys` and `$deleteFromPrimitiveList/…` are ordinary
//!   fields;
//! - which lists merge, and by which keys, comes from the Kubernetes v1.21.2 schema kyaml
//!   ships (`merge_keys.yaml`); anything else has no schema: maps merge, lists are replaced.
//!
//! One known difference: kyaml can put the same element into a list twice (when merge-key
//! values are empty), and later patches then change both copies; here they are copies.

use crate::doc::pointer;
use crate::doc::{Entry, Map, Node, Pos, Value};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

const DIRECTIVE: &str = "$patch";
const MERGE_KEYS: &str = include_str!("merge_keys.yaml");

/// The schema a strategic merge patch follows: a built-in Kubernetes kind's (lists merge
/// by their merge keys) or none (custom resources: maps merge, lists are replaced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    Builtin(KindSchema),
    None,
}

/// Which built-in kind's schema (opaque).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindSchema(usize);

impl Schema {
    pub fn is_builtin(self) -> bool {
        self != Schema::None
    }

    fn sch(self) -> Sch {
        match self {
            Schema::Builtin(KindSchema(t)) => Sch::Type(t),
            Schema::None => Sch::None,
        }
    }
}

/// The schema kustomize uses for a kind; `Schema::None` for kinds it does not know.
pub fn schema_for(api_version: &str, kind: &str) -> Schema {
    tables()
        .kinds
        .get(api_version)
        .and_then(|kinds| kinds.get(kind))
        .map_or(Schema::None, |&t| Schema::Builtin(KindSchema(t)))
}

/// A patch that is a top-level `$patch: delete`: the caller removes the whole resource.
pub fn is_delete_patch(patch: &Node) -> bool {
    patch.get(DIRECTIVE).is_some_and(|v| text(v) == "delete")
}

/// Merges `patch` into `base`. `schema` is the target kind's; where it is `None`, the kind
/// named by the base (or else the patch) is looked up, as kyaml does at every level. kyaml
/// leaves identity to its caller: kustomize restores the base's name, namespace and kind
/// afterwards. A top-level `$patch: delete` leaves a null (see `is_delete_patch`). On error
/// `base` is unchanged.
pub fn strategic_merge(base: &mut Node, patch: &Node, schema: Schema) -> Result<(), SmpError> {
    let mut dest = base.clone();
    let mut origin = patch.clone();
    let out = walk(Some(&mut dest), Some(&mut origin), schema.sch(), Path::ROOT)?;
    match out {
        Out::Dest => *base = dest,
        // kustomize keeps the resource it walked, not the patch a root `$patch: replace`
        // hands back, so that directive changes nothing.
        Out::New(_) => {}
        Out::Clear => *base = Node::null(),
    }
    Ok(())
}

/// Why a patch cannot be applied, and where (a JSON pointer into the resource).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmpError {
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for SmpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "`{}`: {}", self.pointer, self.message)
        }
    }
}

impl std::error::Error for SmpError {}

// ---- schema ----------------------------------------------------------------------------

/// What kyaml knows about a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sch {
    /// No schema: a custom resource, or a field the schema lacks.
    None,
    /// A known field with no merge-keyed list below it.
    Leaf,
    /// An object type: index into `Tables::types`.
    Type(usize),
    /// A merge-keyed list: index into `Tables::lists`.
    List(usize),
}

impl Sch {
    fn field(self, key: &str) -> Sch {
        match self {
            Sch::Type(t) => tables()
                .types
                .get(t)
                .and_then(|fields| fields.iter().find(|(k, _)| k == key))
                .map_or(Sch::Leaf, |&(_, s)| s),
            Sch::Leaf => Sch::Leaf,
            Sch::None | Sch::List(_) => Sch::None,
        }
    }

    /// Merge keys (empty for a list of primitives) and the element schema of a list that
    /// merges; `None` for one that is replaced.
    fn list(self) -> Option<(&'static [String], Sch)> {
        match self {
            Sch::List(l) => tables().lists.get(l).map(|(k, s)| (k.as_slice(), *s)),
            _ => None,
        }
    }

    /// kyaml looks a kind up wherever it has no schema yet: an object embedded in a custom
    /// resource merges by the embedded kind's keys.
    fn or_embedded(self, nodes: [Option<&Node>; 2]) -> Sch {
        if self != Sch::None {
            return self;
        }
        nodes
            .into_iter()
            .flatten()
            .find_map(|n| {
                let field = |k| n.get(k).map(key_text).filter(|s| !s.is_empty());
                let s = schema_for(&field("apiVersion")?, &field("kind")?).sch();
                (s != Sch::None).then_some(s)
            })
            .unwrap_or(Sch::None)
    }
}

#[derive(Default)]
struct Tables {
    /// apiVersion → kind → index of its type.
    kinds: HashMap<String, HashMap<String, usize>>,
    types: Vec<Vec<(String, Sch)>>,
    lists: Vec<(Vec<String>, Sch)>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    // The data is ours and a test parses it, so a failure here cannot come from input.
    TABLES.get_or_init(|| Tables::load(MERGE_KEYS).unwrap_or_default())
}

impl Tables {
    fn load(text: &str) -> Result<Tables, String> {
        let docs = crate::load::parse::parse_str(text).map_err(|e| e.to_string())?;
        let root = docs.first().ok_or("no document")?;
        let section = |name: &str| {
            root.get(name)
                .and_then(Node::as_map)
                .ok_or(format!("no `{name}` mapping"))
        };
        let types = section("types")?;
        // Named types take the first indexes so that fields can name types defined later.
        let names: HashMap<&str, usize> =
            types.iter().enumerate().map(|(i, (k, _))| (k, i)).collect();
        let mut t = Tables {
            types: vec![Vec::new(); names.len()],
            ..Tables::default()
        };
        for (i, (_, def)) in types.iter().enumerate() {
            t.types[i] = t.fields(def, &names)?;
        }
        for (api_version, kinds) in section("kinds")?.iter() {
            let kinds = kinds
                .as_map()
                .ok_or(format!("`{api_version}` is not a mapping"))?;
            let mut by_kind = HashMap::new();
            for (kind, ty) in kinds.iter() {
                let Sch::Type(i) = t.resolve(ty, &names)? else {
                    return Err(format!("`{kind}` is not an object type"));
                };
                by_kind.insert(kind.to_string(), i);
            }
            t.kinds.insert(api_version.to_string(), by_kind);
        }
        Ok(t)
    }

    fn fields(
        &mut self,
        def: &Node,
        names: &HashMap<&str, usize>,
    ) -> Result<Vec<(String, Sch)>, String> {
        let map = def.as_map().ok_or("a type is a mapping of fields")?;
        map.iter()
            .map(|(k, v)| Ok((k.to_string(), self.resolve(v, names)?)))
            .collect()
    }

    /// A type name, an inline type, or a list `{merge: [keys], items: type}`.
    fn resolve(&mut self, def: &Node, names: &HashMap<&str, usize>) -> Result<Sch, String> {
        if let Some(name) = def.as_str() {
            return names
                .get(name)
                .map(|&i| Sch::Type(i))
                .ok_or(format!("unknown type `{name}`"));
        }
        let Some(keys) = def.get("merge") else {
            let fields = self.fields(def, names)?;
            self.types.push(fields);
            return Ok(Sch::Type(self.types.len() - 1));
        };
        let keys = keys
            .as_seq()
            .ok_or("`merge` is a list of keys")?
            .iter()
            .map(|k| {
                k.as_str()
                    .map(str::to_string)
                    .ok_or("a merge key is a string")
            })
            .collect::<Result<_, _>>()?;
        let items = match def.get("items") {
            Some(items) => self.resolve(items, names)?,
            None => Sch::Leaf,
        };
        self.lists.push((keys, items));
        Ok(Sch::List(self.lists.len() - 1))
    }
}

// ---- the walk ---------------------------------------------------------------------------

/// Where a walk is, kept as a chain so that a pointer is only built for an error.
#[derive(Clone, Copy)]
struct Path<'a>(Option<(&'a Path<'a>, Step<'a>)>);

#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path(None);

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path(Some((self, Step::Key(key))))
    }

    fn index(&'a self, i: usize) -> Path<'a> {
        Path(Some((self, Step::Index(i))))
    }

    fn err(self, message: impl Into<String>) -> SmpError {
        let mut steps = Vec::new();
        let mut at = self;
        while let Some((parent, step)) = at.0 {
            steps.push(step);
            at = *parent;
        }
        let mut ptr = String::new();
        for step in steps.iter().rev() {
            ptr.push('/');
            match step {
                Step::Key(k) => pointer::escape_into(k, &mut ptr),
                Step::Index(i) => ptr.push_str(&i.to_string()),
            }
        }
        SmpError {
            pointer: ptr,
            message: message.into(),
        }
    }
}

/// What a walk leaves in place of the destination: the destination itself (changed in
/// place), a node made from the patch, or nothing.
enum Out {
    Dest,
    New(Node),
    Clear,
}

impl Out {
    fn from_patch(node: &Node) -> Out {
        if node.is_null() {
            Out::Clear
        } else {
            Out::New(node.clone())
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

/// Merges `origin` (the patch) into `dest` (the resource), kyaml's `Walker.Walk` with both
/// sources. The patch is mutable because kyaml strips directives from it as it goes, and
/// later lookups see that.
fn walk(
    dest: Option<&mut Node>,
    origin: Option<&mut Node>,
    sch: Sch,
    path: Path,
) -> Result<Out, SmpError> {
    let dest = match (dest, origin.is_some()) {
        (Some(d), _) if !d.is_null() => d,
        // kyaml keeps a null the patch does not mention when it was written out (`~`,
        // `null`), and drops an empty one (`key:`).
        (Some(d), false) => {
            return Ok(if text(d).is_empty() {
                Out::Clear
            } else {
                Out::Dest
            });
        }
        _ => {
            return match origin {
                Some(o) => adopt(o, sch, path),
                None => Ok(Out::Clear),
            };
        }
    };
    if let Some(o) = origin.as_deref().filter(|o| !o.is_null())
        && kind(o) != kind(dest)
    {
        let (o, d) = (kind(o), kind(dest));
        return Err(path.err(format!("the patch has a {o} where the resource has a {d}")));
    }
    match &dest.value {
        Value::Map(_) => merge_map(dest, origin, sch, path),
        Value::Seq(_) => match sch.list() {
            Some((keys, items)) => merge_list(dest, origin, keys, items, path),
            None => Ok(origin.map_or(Out::Dest, |o| Out::from_patch(o))),
        },
        _ => Ok(origin.map_or(Out::Dest, |o| Out::from_patch(o))),
    }
}

fn merge_map(
    dest: &mut Node,
    origin: Option<&mut Node>,
    sch: Sch,
    path: Path,
) -> Result<Out, SmpError> {
    let sch = sch.or_embedded([Some(&*dest), origin.as_deref()]);
    let Some(origin) = origin else {
        return merge_fields(dest, None, sch, path);
    };
    if origin.is_null() {
        return Ok(Out::Clear);
    }
    match map_directive(origin, true, path)? {
        Directive::Delete => Ok(Out::Clear),
        Directive::Replace => {
            adopt_fields(origin, sch, path)?;
            Ok(Out::New(origin.clone()))
        }
        Directive::Merge => merge_fields(dest, Some(origin), sch, path),
    }
}

/// Every field of either side, in kyaml's (sorted) order, so new keys append in it too.
fn merge_fields(
    dest: &mut Node,
    origin: Option<&mut Node>,
    sch: Sch,
    path: Path,
) -> Result<Out, SmpError> {
    let Value::Map(d) = &mut dest.value else {
        return Ok(Out::Dest);
    };
    let mut o = origin.and_then(Node::as_map_mut);
    let mut keys: Vec<String> = d.entries.iter().map(|e| e.key.clone()).collect();
    keys.extend(
        o.iter()
            .flat_map(|o| o.entries.iter().map(|e| e.key.clone())),
    );
    keys.sort();
    keys.dedup();
    for key in &keys {
        let mut from = o
            .as_deref_mut()
            .and_then(|o| o.entries.iter_mut().find(|e| &e.key == key));
        let out = walk(
            d.get_mut(key),
            from.as_deref_mut().map(|e| &mut e.value),
            sch.field(key),
            path.key(key),
        )?;
        set_field(d, key, out, from.as_deref());
    }
    Ok(Out::Dest)
}

/// kyaml's `FieldSetter`: nothing or null removes the key; a new key is appended.
fn set_field(map: &mut Map, key: &str, out: Out, from: Option<&Entry>) {
    match out {
        Out::Dest => {}
        Out::New(node) if !node.is_null() => match map.get_mut(key) {
            // kyaml gives the new value the old one's style: a number or bool replacing a
            // quoted string comes out quoted, a string.
            Some(slot)
                if quoted(slot)
                    && !matches!(node.value, Value::String(_) | Value::Seq(_) | Value::Map(_)) =>
            {
                *slot = Node::at(Value::String(text(&node)), node.pos);
            }
            Some(slot) => *slot = node,
            None => map.entries.push(Entry {
                key: key.to_string(),
                key_pos: from.map_or(Pos::NONE, |e| e.key_pos),
                key_typed: from.is_some_and(|e| e.key_typed),
                value: node,
            }),
        },
        _ => {
            map.remove(key);
        }
    }
}

/// The patch's node where the resource has none: kyaml walks it against itself, which
/// drops its nulls and applies its directives (leniently at this first level).
fn adopt(origin: &mut Node, sch: Sch, path: Path) -> Result<Out, SmpError> {
    if origin.is_null() {
        return Ok(Out::Clear);
    }
    if origin.as_map().is_some() {
        let sch = sch.or_embedded([Some(&*origin), None]);
        if map_directive(origin, false, path)? == Directive::Delete {
            return Ok(Out::Clear);
        }
        adopt_fields(origin, sch, path)?;
    } else if let (Some((keys, items)), Value::Seq(list)) = (sch.list(), &mut origin.value) {
        // No list directive here: kyaml takes a list the resource lacks as it is.
        merge_elements(list, Other::Same, keys, items, path)?;
    }
    Ok(Out::New(origin.clone()))
}

fn adopt_fields(node: &mut Node, sch: Sch, path: Path) -> Result<(), SmpError> {
    let Value::Map(m) = &mut node.value else {
        return Ok(());
    };
    let mut keys: Vec<String> = m.entries.iter().map(|e| e.key.clone()).collect();
    keys.sort();
    for key in &keys {
        let keep = match m.get_mut(key) {
            Some(v) => walk_self(v, sch.field(key), path.key(key))?,
            None => continue,
        };
        if !keep {
            m.remove(key);
        }
    }
    Ok(())
}

/// kyaml's walk of a node that is both destination and patch; false when it goes away.
fn walk_self(node: &mut Node, sch: Sch, path: Path) -> Result<bool, SmpError> {
    match &node.value {
        Value::Null => Ok(false),
        Value::Map(_) => {
            let sch = sch.or_embedded([Some(&*node), None]);
            if map_directive(node, true, path)? == Directive::Delete {
                return Ok(false);
            }
            adopt_fields(node, sch, path)?;
            Ok(true)
        }
        Value::Seq(_) => {
            let (Some((keys, items)), Value::Seq(list)) = (sch.list(), &mut node.value) else {
                return Ok(true);
            };
            if list_directive(list, path)? == Directive::Delete {
                return Ok(false);
            }
            merge_elements(list, Other::Same, keys, items, path)?;
            Ok(true)
        }
        _ => Ok(true),
    }
}

fn merge_list(
    dest: &mut Node,
    origin: Option<&mut Node>,
    keys: &[String],
    items: Sch,
    path: Path,
) -> Result<Out, SmpError> {
    let Value::Seq(d) = &mut dest.value else {
        return Ok(Out::Dest);
    };
    let Some(origin) = origin else {
        merge_elements(d, Other::None, keys, items, path)?;
        return Ok(Out::Dest);
    };
    let Value::Seq(o) = &mut origin.value else {
        return Ok(Out::Clear); // a null patch value
    };
    match list_directive(o, path)? {
        Directive::Delete => Ok(Out::Clear),
        Directive::Replace => {
            merge_elements(o, Other::Same, keys, items, path)?;
            Ok(Out::New(origin.clone()))
        }
        Directive::Merge => {
            merge_elements(d, Other::Patch(o), keys, items, path)?;
            Ok(Out::Dest)
        }
    }
}

/// The other side of a list merge: none, the patch's list, or the destination itself.
enum Other<'a> {
    None,
    Patch(&'a mut Vec<Node>),
    Same,
}

/// kyaml's `setAssociativeSequenceElements`, prepending: each element value (the patch's
/// first) is walked against its match on either side into a new list, then the
/// destination's elements are set into that list by key.
fn merge_elements(
    dest: &mut Vec<Node>,
    mut other: Other,
    keys: &[String],
    items: Sch,
    path: Path,
) -> Result<(), SmpError> {
    let sources: Vec<&[Node]> = match &other {
        Other::Patch(o) => vec![o.as_slice(), dest.as_slice()],
        _ => vec![dest.as_slice()],
    };
    let primitive = keys.is_empty();
    let keys: Vec<String> = if primitive {
        vec![String::new()]
    } else {
        keys.to_vec()
    };
    let mut values: Vec<Vec<String>> = Vec::new();
    for e in sources.into_iter().flatten() {
        let v = if primitive {
            vec![text(e)]
        } else {
            let field = |k: &String| e.get(k).map_or(String::new(), key_text);
            keys.iter().map(field).collect()
        };
        if !values.contains(&v) {
            values.push(v);
        }
    }
    if keys.len() > 1 {
        merge_values(&mut values);
    }

    let mut merged: Vec<Node> = Vec::new();
    let mut last_keys = keys.clone();
    for v in &values {
        let (vk, vv) = valid_keys(&values, v, &keys);
        let (lk, lv) = valid_keys(std::slice::from_ref(&vv), &vv, &vk);
        let di = find(dest, &lk, &lv);
        let at = path.index(di.unwrap_or(0));
        let val = match &mut other {
            Other::Same => match di {
                Some(i) if walk_self(&mut dest[i], items, at)? => Some(dest[i].clone()),
                _ => None,
            },
            Other::Patch(o) => {
                let oi = find(o.as_slice(), &lk, &lv);
                let d = di.and_then(|i| dest.get_mut(i));
                match walk(d, oi.and_then(|i| o.get_mut(i)), items, at)? {
                    Out::Dest => di.map(|i| dest[i].clone()),
                    Out::New(n) => Some(n),
                    Out::Clear => None,
                }
            }
            Other::None => match walk(di.and_then(|i| dest.get_mut(i)), None, items, at)? {
                Out::Dest => di.map(|i| dest[i].clone()),
                Out::New(n) => Some(n),
                Out::Clear => None,
            },
        };
        last_keys = vk.clone();
        match val.filter(|n| !n.is_null() && n.as_map().is_none_or(|m| !m.is_empty())) {
            None => set_element(dest, None, &vk, &vv, path)?,
            Some(mut n) => {
                for (k, v) in vk.iter().zip(&vv) {
                    if let Value::Map(m) = &mut n.value
                        && !k.is_empty()
                        && !v.is_empty()
                        && !m.contains_key(k)
                    {
                        m.insert(k.clone(), plain(v));
                    }
                }
                set_element(&mut merged, Some(n), &vk, &vv, path)?;
            }
        }
    }
    if !values.is_empty() {
        append_elements(&mut merged, std::mem::take(dest), &last_keys, path)?;
        *dest = merged;
    }
    Ok(())
}

/// kyaml's `mergeValues`: with several keys, values that agree where both are set (a port
/// with and one without a protocol) become one.
fn merge_values(values: &mut [Vec<String>]) {
    for i in 0..values.len() {
        let a = values[i].clone();
        for j in 0..values.len() {
            if let Some(m) = agree(&a, &values[j]) {
                values[i] = m.clone();
                values[j] = m;
            }
        }
    }
}

fn agree(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else {
            out.push(if x.is_empty() { y.clone() } else { x.clone() });
        }
    }
    common.then_some(out)
}

/// kyaml's `validateKeys`: the keys some value sets, and this value's entries for them.
fn valid_keys(
    all: &[Vec<String>],
    values: &[String],
    keys: &[String],
) -> (Vec<String>, Vec<String>) {
    let set: HashSet<&str> = all
        .iter()
        .flat_map(|vs| {
            vs.iter()
                .zip(keys)
                .filter(|(v, _)| !v.is_empty())
                .map(|(_, k)| k.as_str())
        })
        .collect();
    if set.is_empty() {
        return (keys.to_vec(), values.to_vec());
    }
    let vk = keys
        .iter()
        .filter(|k| set.contains(k.as_str()))
        .cloned()
        .collect();
    let vv = values
        .iter()
        .zip(keys)
        .filter(|(v, k)| !v.is_empty() || set.contains(k.as_str()))
        .map(|(v, _)| v.clone())
        .collect();
    (vk, vv)
}

/// kyaml's `ElementMatcher`: the first element whose fields all equal the values (a
/// primitive list matches on the element's own text).
fn find(list: &[Node], keys: &[String], values: &[String]) -> Option<usize> {
    let first = |s: &[String]| s.first().cloned().unwrap_or_default();
    if first(keys).is_empty() {
        let want = first(values);
        return list.iter().position(|e| text(e) == want);
    }
    if keys.len() != values.len() {
        return None;
    }
    list.iter().position(|e| {
        e.as_map().is_some_and(|m| {
            keys.iter()
                .zip(values)
                .all(|(k, v)| m.get(k).is_some_and(|f| text(f) == *v))
        })
    })
}

/// kyaml's `ElementSetter`: replaces every element matching all (key, value) pairs with
/// `element`, or removes them when there is none, and appends `element` when nothing
/// matched. Like kyaml it drops null and `{}` elements, and an empty value matches any.
fn set_element(
    list: &mut Vec<Node>,
    element: Option<Node>,
    keys: &[String],
    values: &[String],
    path: Path,
) -> Result<(), SmpError> {
    let blank = [String::new()];
    let keys = if keys.is_empty() { &blank[..] } else { keys };
    let mapping = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
    let mut matched = false;
    let mut kept = Vec::with_capacity(list.len());
    for (i, e) in std::mem::take(list).into_iter().enumerate() {
        if e.is_null() || e.as_map().is_some_and(Map::is_empty) {
            continue;
        }
        if mapping && e.as_map().is_none() {
            kept.push(e);
            continue;
        }
        let mut hit = false;
        let mut found = true;
        for (j, key) in keys.iter().enumerate() {
            if let Some(want) = values.get(j) {
                hit = has_field(&e, key, want, path.index(i))?;
            }
            if !hit {
                found = false;
                break;
            }
        }
        if !found {
            if !values.is_empty() {
                kept.push(e);
            }
            continue;
        }
        matched = true;
        kept.extend(element.clone());
    }
    *list = kept;
    if let Some(e) = element.filter(|e| !matched && !e.is_null()) {
        list.push(e);
    }
    Ok(())
}

/// kyaml's `FieldMatcher` on an element: has field `key` with text `want` (any text when
/// `want` is empty); with no key, the element's own text.
fn has_field(e: &Node, key: &str, want: &str, path: Path) -> Result<bool, SmpError> {
    if e.is_null() {
        return Ok(false);
    }
    if key.is_empty() {
        return match e.value {
            Value::Map(_) | Value::Seq(_) => {
                Err(path.err(format!("expected a scalar, found a {}", kind(e))))
            }
            _ => Ok(text(e) == want),
        };
    }
    let Some(m) = e.as_map() else {
        return Err(path.err(format!("expected a mapping, found a {}", kind(e))));
    };
    Ok(m.get(key)
        .is_some_and(|v| want.is_empty() || text(v) == want))
}

/// kyaml's `appendListNode` (prepending): sets each destination element into `merged` by
/// its key values. An element without a key is appended and then, matching nothing with
/// no values, replaces the whole list, as in kyaml.
fn append_elements(
    merged: &mut Vec<Node>,
    src: Vec<Node>,
    keys: &[String],
    path: Path,
) -> Result<(), SmpError> {
    for (i, elem) in src.into_iter().enumerate() {
        if keys.first().is_none_or(String::is_empty) {
            let v = [text(&elem)];
            set_element(merged, Some(elem), &[String::new()], &v, path)?;
            continue;
        }
        let mut values = Vec::new();
        for key in keys {
            let field = match &elem.value {
                Value::Null => None,
                Value::Map(m) => m.get(key),
                _ => {
                    return Err(path
                        .index(i)
                        .err(format!("expected a mapping, found a {}", kind(&elem))));
                }
            };
            match field {
                Some(f) => values.push(text(f)),
                None => merged.push(elem.clone()),
            }
        }
        if keys.len() > 1 {
            set_element(merged, None, keys, &values, path)?;
        }
        set_element(merged, Some(elem), keys, &values, path)?;
    }
    Ok(())
}

/// A mapping's `$patch`, removed from it when known. Unknown values are an error when
/// `strict`, and otherwise stay in the output.
fn map_directive(node: &mut Node, strict: bool, path: Path) -> Result<Directive, SmpError> {
    let Some(m) = node.as_map_mut() else {
        return Ok(Directive::Merge);
    };
    let Some(v) = m.get(DIRECTIVE).map(text) else {
        return Ok(Directive::Merge);
    };
    match directive(&v) {
        Some(d) => {
            m.remove(DIRECTIVE);
            Ok(d)
        }
        None if strict => Err(path.err(format!("unknown patch strategy `{v}`"))),
        None => Ok(Directive::Merge),
    }
}

/// A list's `$patch` element (`- $patch: replace`, alone in its mapping), removed when
/// known. Elements with `$patch` and other fields are element directives.
fn list_directive(list: &mut Vec<Node>, path: Path) -> Result<Directive, SmpError> {
    let Some(m) = list
        .iter()
        .filter_map(Node::as_map)
        .find(|m| m.contains_key(DIRECTIVE))
    else {
        return Ok(Directive::Merge);
    };
    if m.len() > 1 {
        return Ok(Directive::Merge);
    }
    let v = m.get(DIRECTIVE).map(text).unwrap_or_default();
    let d = directive(&v).ok_or_else(|| path.err(format!("unknown patch strategy `{v}`")))?;
    set_element(list, None, &[DIRECTIVE.to_string()], &[v], path)?;
    Ok(d)
}

fn directive(v: &str) -> Option<Directive> {
    match v {
        "merge" => Some(Directive::Merge),
        "replace" => Some(Directive::Replace),
        "delete" => Some(Directive::Delete),
        _ => None,
    }
}

/// A scalar's text as written (yaml.v3's `Node.Value`); empty for collections.
fn text(n: &Node) -> String {
    n.scalar_text().unwrap_or_default()
}

/// A field's text as kyaml reads merge-key values: empty for null and empty collections.
fn key_text(n: &Node) -> String {
    if n.is_null() { String::new() } else { text(n) }
}

/// A string that was quoted (or a block scalar) where it was written, as far as its text
/// tells: one that a plain scalar cannot spell.
fn quoted(n: &Node) -> bool {
    let Value::String(s) = &n.value else {
        return false;
    };
    const NEVER_FIRST: &[char] = &[
        '[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
    ];
    n.raw.is_none()
        && (!matches!(crate::scalar::resolve_plain(s), Value::String(t) if t == *s)
            || s.trim() != s
            || s.contains(['\n', '\t'])
            || s.contains(": ")
            || s.contains(" #")
            || s.ends_with(':')
            || s.starts_with(NEVER_FIRST)
            || ["- ", "? ", ": "].iter().any(|p| s.starts_with(p)))
}

/// A plain scalar as kyaml writes it, typed the way kustomize reads it back.
fn plain(s: &str) -> Node {
    let value = crate::scalar::resolve_plain(s);
    let raw = (!matches!(value, Value::String(_))).then(|| s.into());
    Node {
        value,
        pos: Pos::NONE,
        raw,
    }
}

fn kind(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "mapping",
        Value::Seq(_) => "list",
        Value::Null => "null",
        _ => "scalar",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse::parse_str;
    use crate::render::emit::emit_object;

    fn one(text: &str) -> Node {
        parse_str(text).unwrap().remove(0)
    }

    fn merge(base: &mut Node, patch: &Node) -> Result<(), SmpError> {
        let schema = schema_of(base);
        strategic_merge(base, patch, schema)
    }

    fn schema_of(n: &Node) -> Schema {
        schema_for(
            n.str_at(&["apiVersion"]).unwrap_or(""),
            n.str_at(&["kind"]).unwrap_or(""),
        )
    }

    /// Applies a patch as kustomize's `ApplySmPatch` does: a top-level delete removes the
    /// resource; the patch takes the target's apiVersion, and the target keeps its kind,
    /// name and namespace.
    fn apply(resources: &mut Vec<Node>, patch: &Node, matches: impl Fn(&Node) -> bool) {
        let mut kept = Vec::new();
        for mut r in resources.drain(..) {
            if matches(&r) {
                if is_delete_patch(patch) {
                    continue;
                }
                let mut p = patch.clone();
                if let (Some(av), Some(m)) = (r.get("apiVersion").cloned(), p.as_map_mut()) {
                    m.insert("apiVersion", av);
                }
                let kept_fields = [
                    vec!["kind"],
                    vec!["metadata", "name"],
                    vec!["metadata", "namespace"],
                ]
                .map(|path| (r.path(&path).cloned(), path));
                merge(&mut r, &p).unwrap();
                for (value, path) in kept_fields {
                    let (last, parent) = path.split_last().unwrap();
                    let Some(m) = pointer::get_mut(&mut r, parent).and_then(Node::as_map_mut)
                    else {
                        continue;
                    };
                    match value {
                        Some(v) => m.insert(*last, v),
                        None => m.remove(last),
                    };
                }
            }
            kept.push(r);
        }
        *resources = kept;
    }

    fn same_id(patch: &Node) -> impl Fn(&Node) -> bool + '_ {
        |r: &Node| {
            r.str_at(&["kind"]) == patch.str_at(&["kind"])
                && r.str_at(&["metadata", "name"]) == patch.str_at(&["metadata", "name"])
        }
    }

    fn case_file(case: &str, file: &str) -> String {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/conformance/kustomize"
        );
        std::fs::read_to_string(format!("{dir}/{case}/{file}")).unwrap()
    }

    /// Builds a conformance case's resources with its strategic merge patches (files under
    /// `in/`, or inline text) and compares every object with `expected.yaml`, byte for byte.
    /// kustomize's output order comes from its sorting, so objects are compared as a set.
    fn check_case(case: &str, resources: &[&str], patches: &[&str]) {
        let mut docs: Vec<Node> = resources
            .iter()
            .flat_map(|f| parse_str(&case_file(case, &format!("in/{f}"))).unwrap())
            .collect();
        for p in patches {
            let text = if p.contains('\n') {
                p.to_string()
            } else {
                case_file(case, &format!("in/{p}"))
            };
            let patch = one(&text);
            apply(&mut docs, &patch, same_id(&patch));
        }
        let mut got: Vec<String> = docs
            .iter()
            .map(|d| emit_object(d, String::new()).unwrap())
            .collect();
        let expected = case_file(case, "expected.yaml");
        let mut want: Vec<&str> = expected.split("---\n").collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{case}");
    }

    fn merged(base: &str, patch: &str) -> String {
        let mut b = one(base);
        merge(&mut b, &one(patch)).unwrap();
        emit_object(&b, String::new()).unwrap()
    }

    #[test]
    fn merge_keys_data_parses_and_follows_the_schema() {
        let t = Tables::load(MERGE_KEYS).unwrap();
        assert!(t.kinds.values().map(HashMap::len).sum::<usize>() > 80);
        let keys = |s: Sch| s.list().map(|(k, _)| k.join(","));
        let deploy = schema_for("apps/v1", "Deployment").sch();
        let pod = deploy.field("spec").field("template").field("spec");
        let (k, container) = pod.field("containers").list().unwrap();
        assert_eq!(k, ["name"]);
        assert_eq!(
            keys(container.field("ports")).as_deref(),
            Some("containerPort,protocol")
        );
        assert_eq!(keys(container.field("env")).as_deref(), Some("name"));
        assert_eq!(
            keys(container.field("volumeMounts")).as_deref(),
            Some("mountPath")
        );
        assert_eq!(keys(pod.field("volumes")).as_deref(), Some("name"));
        assert_eq!(keys(pod.field("hostAliases")).as_deref(), Some("ip"));
        assert_eq!(
            keys(deploy.field("metadata").field("finalizers")).as_deref(),
            Some("")
        );
        assert_eq!(
            keys(deploy.field("metadata").field("ownerReferences")).as_deref(),
            Some("uid")
        );
        // Atomic lists, fields newer than v1.21, and unknown fields are replaced.
        for field in [
            "tolerations",
            "schedulingGates",
            "resourceClaims",
            "$setElementOrder/containers",
        ] {
            assert_eq!(pod.field(field).list(), None, "{field}");
        }
        let cron = schema_for("batch/v1", "CronJob").sch();
        let cron_pod = ["spec", "jobTemplate", "spec", "template", "spec"]
            .iter()
            .fold(cron, |s, k| s.field(k));
        assert_eq!(
            keys(cron_pod.field("initContainers")).as_deref(),
            Some("name")
        );
        let svc = schema_for("v1", "Service").sch();
        assert_eq!(
            keys(svc.field("spec").field("ports")).as_deref(),
            Some("port,protocol")
        );
        let hook = schema_for(
            "admissionregistration.k8s.io/v1",
            "MutatingWebhookConfiguration",
        )
        .sch();
        assert_eq!(keys(hook.field("webhooks")).as_deref(), Some("name"));
        assert!(schema_for("networking.k8s.io/v1", "Ingress").is_builtin());
        assert!(schema_for("rbac.authorization.k8s.io/v1", "ClusterRole").is_builtin());
        assert!(!schema_for("autoscaling/v2", "HorizontalPodAutoscaler").is_builtin());
        assert!(!schema_for("cert-manager.io/v1", "Certificate").is_builtin());
        assert!(Tables::load("types: {A: {x: B}}\nkinds: {}\n").is_err());
    }

    #[test]
    fn conformance_cases_match_kustomize_byte_for_byte() {
        check_case(
            "033-patches-smp-file",
            &["deployment.yaml"],
            &["increase-resources.yaml"],
        );
        check_case(
            "039-legacy-patchesstrategicmerge",
            &["base/frontend.yaml"],
            &[
                "memory-limits.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: frontend\nspec:\n  type: LoadBalancer\n",
            ],
        );
        check_case("041-smp-merge-keys", &["deployment.yaml"], &["patch.yaml"]);
        check_case(
            "042-smp-volumes-volumemounts",
            &["deployment.yaml"],
            &["storage-patch.yaml"],
        );
        check_case(
            "043-smp-patch-delete",
            &["app.yaml"],
            &[
                "remove-debug.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-debug\n$patch: delete\n",
            ],
        );
        check_case(
            "044-smp-patch-replace",
            &["deployment.yaml"],
            &["replace.yaml"],
        );
        check_case(
            "045-smp-setelementorder",
            &["deployment.yaml"],
            &["order.yaml"],
        );
        check_case("046-smp-retainkeys", &["deployment.yaml"], &["retain.yaml"]);
        check_case(
            "047-smp-null-deletes-field",
            &["deployment.yaml"],
            &["nulls.yaml"],
        );
        check_case(
            "048-smp-primitive-list-replaced",
            &["deployment.yaml"],
            &["args.yaml"],
        );
        check_case(
            "072-smp-custom-resource",
            &["certificate.yaml"],
            &["certificate-patch.yaml"],
        );
        check_case(
            "075-smp-add-sidecar-order",
            &["deployment.yaml"],
            &["add-sidecar.yaml"],
        );
    }

    #[test]
    fn conformance_case_with_a_target_and_a_json_patch() {
        // 038: one patch for every apps/v1 Deployment and StatefulSet.
        let case = "038-patches-multi-target-smp";
        let mut docs = parse_str(&case_file(case, "in/workloads.yaml")).unwrap();
        let patch = one(&case_file(case, "in/security-context.yaml"));
        apply(&mut docs, &patch, |r| {
            r.str_at(&["apiVersion"]) == Some("apps/v1")
        });
        let got: Vec<String> = docs
            .iter()
            .map(|d| emit_object(d, String::new()).unwrap())
            .collect();
        assert_eq!(got.join("---\n"), case_file(case, "expected.yaml"));

        // 034: the strategic merge part, then the JSON 6902 part.
        let case = "034-patches-inline-smp-and-json6902";
        let mut d = one(&case_file(case, "in/deployment.yaml"));
        let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      nodeSelector:\n        cloud.google.com/gke-nodepool: web-pool\n";
        merge(&mut d, &one(patch)).unwrap();
        let ops = [
            pointer::Op::Replace {
                path: "/spec/template/spec/containers/0/image".into(),
                value: Node::string("example/web:2.0"),
            },
            pointer::Op::Add {
                path: "/spec/template/spec/containers/0/args".into(),
                value: one("[\"--port=8080\"]"),
            },
        ];
        pointer::apply(&mut d, &ops).unwrap();
        assert_eq!(
            emit_object(&d, String::new()).unwrap(),
            case_file(case, "expected.yaml")
        );
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";

    #[test]
    fn patch_elements_come_first_then_base_only_ones() {
        let base = format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      containers:\n      - {{name: a, image: x}}\n      - {{name: b, image: y}}\n"
        );
        let patch = format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      containers:\n      - {{name: c, image: z}}\n      - {{name: b, image: w}}\n"
        );
        let out = merged(&base, &patch);
        let names: Vec<&str> = out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("name: "))
            .collect();
        assert_eq!(names, ["d", "c", "b", "a"]);
        assert!(out.contains("image: w\n        name: b"), "{out}");
        // Primitive merge lists (finalizers) too; on a custom resource the list is replaced.
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, finalizers: [a, b, c]}\n";
        let out = merged(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, finalizers: [d, b]}\n",
        );
        assert!(
            out.contains("finalizers:\n  - d\n  - b\n  - a\n  - c\n"),
            "{out}"
        );
        let cr = "apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t, finalizers: [a, b, c]}\n";
        let out = merged(
            cr,
            "apiVersion: x.io/v1\nkind: Thing\nmetadata: {name: t, finalizers: [d, b]}\n",
        );
        assert!(out.contains("finalizers:\n  - d\n  - b\n  name"), "{out}");
    }

    #[test]
    fn nulls_delete_and_base_nulls_survive_when_written_out() {
        let base = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: ~\n  b:\n  c: null\n  d: \"1\"\n  e: \"2\"\n";
        let patch = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {gone: null}\ndata:\n  c: null\n  e: null\n  f: null\n";
        let out = merged(base, patch);
        assert_eq!(
            out,
            "apiVersion: v1\ndata:\n  a: null\n  d: \"1\"\nkind: ConfigMap\nmetadata:\n  labels: {}\n  name: cm\n"
        );
    }

    #[test]
    fn directives_follow_kyaml() {
        let base = format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      containers:\n      - {{name: a, image: x, args: [1]}}\n      - {{name: b, image: y}}\n"
        );
        // An element's `$patch: replace` is undone by the reordering; `delete` removes it.
        let patch = format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      containers:\n      - {{name: a, image: z, $patch: replace}}\n      - {{name: b, $patch: delete}}\n"
        );
        let out = merged(&base, &patch);
        assert!(
            out.contains(
                "containers:\n      - args:\n        - 1\n        image: x\n        name: a\n"
            ),
            "{out}"
        );
        assert!(!out.contains("name: b"), "{out}");
        // A root `$patch: replace` leaves the resource as it was.
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {x: \"1\"}\n";
        let replace = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n$patch: replace\ndata: {z: \"3\"}\n";
        assert_eq!(merged(cm, replace), merged(cm, "{}"));
        let delete = one("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n$patch: delete\n");
        assert!(is_delete_patch(&delete) && !is_delete_patch(&one(replace)));
        // Unknown directives are errors where the resource has the field.
        let mut b = one(&base);
        let bad = one(&format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      $patch: frobnicate\n"
        ));
        let before = b.clone();
        let err = merge(&mut b, &bad).unwrap_err();
        assert_eq!(err.pointer, "/spec/template/spec");
        assert!(err.to_string().contains("frobnicate"), "{err}");
        assert_eq!(b, before);
    }

    #[test]
    fn kind_mismatch_is_an_error_with_a_pointer() {
        let base = format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      containers:\n      - {{name: a}}\n"
        );
        let patch = one(&format!(
            "{DEPLOY}spec:\n  template:\n    spec:\n      containers: {{a: 1}}\n"
        ));
        let mut b = one(&base);
        let err = merge(&mut b, &patch).unwrap_err();
        assert_eq!(err.pointer, "/spec/template/spec/containers");
    }

    #[test]
    fn embedded_objects_of_custom_resources_merge_by_their_kind() {
        let base = "apiVersion: x.io/v1\nkind: Wrapper\nmetadata: {name: w}\nspec:\n  ports: [{port: 1}, {port: 2}]\n  manifest:\n    apiVersion: v1\n    kind: Service\n    metadata: {name: inner}\n    spec:\n      ports: [{port: 80, name: a}, {port: 81, name: b}]\n";
        let patch = "apiVersion: x.io/v1\nkind: Wrapper\nmetadata: {name: w}\nspec:\n  ports: [{port: 3}]\n  manifest:\n    spec:\n      ports: [{port: 81, name: c}]\n";
        let out = merged(base, patch);
        assert!(out.ends_with("      ports:\n      - name: c\n        port: 81\n      - name: a\n        port: 80\n  ports:\n  - port: 3\n"), "{out}");
    }

    #[test]
    fn merging_is_deterministic_and_keeps_positions() {
        let base = one(&case_file("041-smp-merge-keys", "in/deployment.yaml"));
        let patch = one(&case_file("041-smp-merge-keys", "in/patch.yaml"));
        let run = || {
            let mut b = base.clone();
            merge(&mut b, &patch).unwrap();
            b
        };
        let first = run();
        for _ in 0..20 {
            let again = run();
            assert_eq!(again, first);
            assert_eq!(
                emit_object(&again, String::new()).unwrap(),
                emit_object(&first, String::new()).unwrap()
            );
        }
        let c = |i: usize, f: &str| {
            pointer::get(
                &first,
                &pointer::parse(&format!("/spec/template/spec/containers/{i}/{f}")).unwrap(),
            )
            .unwrap()
            .pos
        };
        let b = |i: usize, f: &str| {
            pointer::get(
                &base,
                &pointer::parse(&format!("/spec/template/spec/containers/{i}/{f}")).unwrap(),
            )
            .unwrap()
            .pos
        };
        let p = |i: usize, f: &str| {
            pointer::get(
                &patch,
                &pointer::parse(&format!("/spec/template/spec/containers/{i}/{f}")).unwrap(),
            )
            .unwrap()
            .pos
        };
        // proxy (patch 0, base 1) has the patch's image and name; app (patch 1, base 0)
        // keeps the base's image.
        assert_eq!((c(0, "image"), c(0, "name")), (p(0, "image"), p(0, "name")));
        assert_eq!(c(1, "image"), b(0, "image"));
        // log-agent is new: every node from the patch.
        assert_eq!((c(2, "name"), c(2, "image")), (p(2, "name"), p(2, "image")));
        assert_eq!(
            first.path(&["spec", "selector"]).unwrap().pos,
            base.path(&["spec", "selector"]).unwrap().pos
        );
    }
}
