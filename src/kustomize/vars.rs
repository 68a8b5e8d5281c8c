//! The deprecated `vars`: `$(NAME)` in the fields of the varReference table becomes a field
//! of the resource the var names, as kustomize v5.5 expands it (api/filters/refvar and the
//! resource accumulator).

use super::Resource;
use super::fieldspec::{FieldSpec, Gvk, parse_list, visit};
use super::replacements::{
    atoi, current_id, effective_namespace, field, lookup, resid_string, resource_ids,
};
use crate::doc::{Node, ResId, Value, split_api_version};
use crate::load::parse::parse_str;
use crate::render::number::format_float;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarsError(pub String);

impl fmt::Display for VarsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VarsError {}

fn err<T>(message: impl Into<String>) -> Result<T, VarsError> {
    Err(VarsError(message.into()))
}

/// kustomize's builtin varReference table: where `$(VAR)` is expanded.
pub fn default_var_references() -> &'static [FieldSpec] {
    static T: OnceLock<Vec<FieldSpec>> = OnceLock::new();
    T.get_or_init(|| {
        parse_str(include_str!("fieldspecs/var_reference.yaml"))
            .ok()
            .and_then(|docs| docs.into_iter().next())
            .map(|n| parse_list(&n))
            .unwrap_or_default()
    })
}

/// Expands every var in the `var_refs` fields of all resources. A var's `objref` must name
/// exactly one resource, by its current identity; see `resolve_vars_in`.
pub fn resolve_vars(
    resources: &mut [Node],
    vars: &[Node],
    var_refs: &[FieldSpec],
) -> Result<(), VarsError> {
    let mut items: Vec<(&mut Node, &[(String, String)])> =
        resources.iter_mut().map(|n| (n, &[][..])).collect();
    resolve(&mut items, vars, var_refs).map(drop)
}

/// As `resolve_vars`, an `objref` also matching a name or namespace a resource had before a
/// prefix, suffix or namespace change (kustomize binds vars by any of them). Returns the
/// names of vars that were never used, which kustomize logs.
pub fn resolve_vars_in(
    resources: &mut [Resource],
    vars: &[Node],
    var_refs: &[FieldSpec],
) -> Result<Vec<String>, VarsError> {
    let mut items: Vec<(&mut Node, &[(String, String)])> = resources
        .iter_mut()
        .map(|r| (&mut r.doc.root, r.prev.as_slice()))
        .collect();
    resolve(&mut items, vars, var_refs)
}

struct Var {
    name: String,
    objref: ResId,
    field_path: String,
}

impl Var {
    fn from_node(node: &Node) -> Result<Var, VarsError> {
        let text = |n: Option<&Node>, key: &str| match n.and_then(|n| field(n, key)) {
            None => Ok(String::new()),
            Some(Node {
                value: Value::String(s),
                ..
            }) => Ok(s.clone()),
            Some(_) => err(format!("var field `{key}` must be a string")),
        };
        let objref = field(node, "objref");
        let api_version = text(objref, "apiVersion")?;
        let (group, version) = if api_version.is_empty() {
            (text(objref, "group")?, text(objref, "version")?)
        } else {
            let (g, v) = split_api_version(&api_version);
            (g.to_string(), v.to_string())
        };
        let field_path = text(field(node, "fieldref"), "fieldPath")?;
        Ok(Var {
            name: text(Some(node), "name")?,
            objref: ResId {
                group,
                version,
                kind: text(objref, "kind")?,
                namespace: text(objref, "namespace")?,
                name: text(objref, "name")?,
            },
            field_path: if field_path.is_empty() {
                "metadata.name".into()
            } else {
                field_path
            },
        })
    }

    /// kustomize's var binding: group, version, kind and name equal; the namespace too
    /// when the objref gives one.
    fn binds(&self, id: &ResId) -> bool {
        let o = &self.objref;
        (&o.group, &o.version, &o.kind, &o.name) == (&id.group, &id.version, &id.kind, &id.name)
            && (o.namespace.is_empty() || effective_namespace(o) == effective_namespace(id))
    }
}

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' ({}, fieldPath {})",
            self.name,
            resid_string(&self.objref),
            self.field_path
        )
    }
}

/// A var's value: scalars keep their type when a field is exactly `$(NAME)`.
#[derive(Clone, Debug, PartialEq)]
enum VarValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A mapping or a list, which kustomize leaves unexpanded.
    Other,
}

/// kyaml's `GetFieldValue`: `a.b[0].c` is `a.b.0.c`; scalars are typed by their tag, read
/// from their text with Go's parsers.
fn field_value(root: &Node, path: &str) -> Option<VarValue> {
    let mut parts = Vec::new();
    for p in path.split('.') {
        let indexed = p
            .strip_suffix(']')
            .and_then(|s| s.rsplit_once('['))
            .filter(|(_, i)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
        match indexed {
            Some((head, i)) => {
                if !head.is_empty() {
                    parts.push(head.to_string());
                }
                parts.push(i.to_string());
            }
            None => parts.push(p.to_string()),
        }
    }
    let node = lookup(root, &parts).ok()??;
    let text = node.scalar_text().unwrap_or_default();
    Some(match node.value {
        Value::Map(_) | Value::Seq(_) => VarValue::Other,
        Value::Int(_) | Value::UInt(_) => VarValue::Int(atoi(&text)?),
        Value::Float(_) => VarValue::Float(text.parse().ok()?),
        Value::Bool(b) => VarValue::Bool(b),
        _ => VarValue::Str(text),
    })
}

/// Go's `%v` of a float64.
fn go_float(f: f64) -> String {
    match f {
        f if f.is_nan() => "NaN".into(),
        f if f.is_infinite() => if f > 0.0 { "+Inf" } else { "-Inf" }.into(),
        f => format_float(f),
    }
}

/// What a field becomes: the var's own value when the field is exactly `$(NAME)`, else text.
enum Expanded {
    Whole(VarValue),
    Text(String),
}

/// kustomize's `DoReplacements`: `$(NAME)` becomes the var (or stays when there is none or
/// it is not a scalar), `$$` becomes `$`, anything else is copied.
fn expand(input: &str, mut value: impl FnMut(&str) -> Option<VarValue>) -> Expanded {
    let b = input.as_bytes();
    let mut out = String::new();
    let (mut cursor, mut checkpoint) = (0, 0);
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match b[cursor + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        let mapped = value(name).filter(|v| *v != VarValue::Other);
                        if input.len() == name.len() + 3 {
                            return match mapped {
                                Some(v) => Expanded::Whole(v),
                                None => Expanded::Text(input.to_string()),
                            };
                        }
                        match mapped {
                            Some(VarValue::Str(s)) => out.push_str(&s),
                            Some(VarValue::Int(i)) => out.push_str(&i.to_string()),
                            Some(VarValue::Float(f)) => out.push_str(&go_float(f)),
                            Some(VarValue::Bool(v)) => out.push_str(&v.to_string()),
                            _ => out.push_str(&format!("$({name})")),
                        }
                        close + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` and the character after it, copied as they are.
                    let c = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..c]);
                    c
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    Expanded::Text(out)
}

/// A string scalar as kustomize sees one (timestamps carry another tag).
fn is_string(n: &Node) -> bool {
    matches!(n.value, Value::String(_)) && n.raw.is_none()
}

/// kustomize's `updateNodeValue`.
fn set_scalar(node: &mut Node, expanded: Expanded) {
    let (value, raw) = match expanded {
        Expanded::Text(s) => (Value::String(s), None),
        Expanded::Whole(VarValue::Str(s)) => (Value::String(s), None),
        Expanded::Whole(VarValue::Int(i)) => (Value::Int(i), None),
        Expanded::Whole(VarValue::Bool(b)) => (Value::Bool(b), None),
        // The node's text is Go's `FormatFloat(f, 'f', -1, 64)`, which annotations show.
        Expanded::Whole(VarValue::Float(f)) => {
            let text = if f.is_finite() {
                format!("{f}")
            } else {
                go_float(f)
            };
            (Value::Float(f), Some(text.into()))
        }
        Expanded::Whole(VarValue::Other) => return,
    };
    node.value = value;
    node.raw = raw;
}

fn resolve(
    items: &mut [(&mut Node, &[(String, String)])],
    vars: &[Node],
    var_refs: &[FieldSpec],
) -> Result<Vec<String>, VarsError> {
    let mut values: BTreeMap<String, VarValue> = BTreeMap::new();
    let mut parsed: BTreeMap<String, Var> = BTreeMap::new();
    for node in vars {
        let var = Var::from_node(node)?;
        if parsed.contains_key(&var.name) {
            return err(format!("var '{}' already encountered", var.name));
        }
        parsed.insert(var.name.clone(), var);
    }
    for var in parsed.values() {
        let bound: Vec<&Node> = items
            .iter()
            .filter(|(root, prev)| resource_ids(root, prev).iter().any(|id| var.binds(id)))
            .map(|(root, _)| &**root)
            .collect();
        let root = match bound.as_slice() {
            [root] => *root,
            [] => {
                return err(format!(
                    "var {var} cannot be mapped to a field in the set of known resources"
                ));
            }
            many => {
                return err(format!(
                    "found {} resId matches for var {var} (unable to disambiguate)",
                    many.len()
                ));
            }
        };
        let Some(value) = field_value(root, &var.field_path) else {
            return err(format!(
                "field specified in var {var} not found in corresponding resource"
            ));
        };
        values.insert(var.name.clone(), value);
    }
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut used: BTreeMap<&str, bool> = values.keys().map(|k| (k.as_str(), false)).collect();
    let mut lookup_var = |name: &str| {
        let v = values.get(name)?;
        if let Some(u) = used.get_mut(name).filter(|_| *v != VarValue::Other) {
            *u = true;
        }
        Some(v.clone())
    };
    let mut specs: Vec<&FieldSpec> = Vec::new();
    for spec in var_refs {
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    for (root, _) in items.iter_mut() {
        let gvk = Gvk::of(root);
        let id = current_id(root);
        for spec in specs.iter().filter(|s| s.applies_to(&gvk)) {
            let mut failure = None;
            visit(root, &spec.path, false, &mut |node| {
                if failure.is_none() {
                    failure = expand_node(node, &mut lookup_var).err();
                }
            });
            if let Some(e) = failure {
                return err(format!(
                    "considering field '{}' of object {}: {e}",
                    spec.path.join("/"),
                    resid_string(&id)
                ));
            }
        }
    }
    Ok(used
        .into_iter()
        .filter(|(_, u)| !u)
        .map(|(k, _)| k.to_string())
        .collect())
}

/// kustomize's refvar `set`: a string, the string values of a mapping, or a list that must
/// hold only strings.
fn expand_node(
    node: &mut Node,
    value: &mut dyn FnMut(&str) -> Option<VarValue>,
) -> Result<(), String> {
    let mut one = |n: &mut Node| {
        if let Value::String(s) = &n.value {
            let expanded = expand(s, &mut *value);
            set_scalar(n, expanded);
        }
    };
    if is_string(node) {
        one(node);
        return Ok(());
    }
    match &mut node.value {
        Value::Map(m) => {
            for e in &mut m.entries {
                if e.key_typed {
                    return Err(format!("invalid map key: value='{}'", e.key));
                }
                if is_string(&e.value) {
                    one(&mut e.value);
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                if !is_string(item) {
                    return Err("invalid value type expect a string".into());
                }
                one(item);
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(s: &str) -> Vec<Node> {
        parse_str(s).unwrap()
    }

    fn text(e: Expanded) -> String {
        match e {
            Expanded::Text(s) => s,
            Expanded::Whole(v) => format!("{v:?}"),
        }
    }

    fn check(case: &str) {
        let mut case = crate::kustomize::replacements::fixtures::load(case);
        let vars = case.list("vars");
        let refs = default_var_references();
        assert!(resolve_vars_in(&mut case.resources, &vars, refs).is_ok());
        case.check();
    }

    #[test]
    fn conformance_052_vars_deprecated() {
        check("conformance/kustomize/052-vars-deprecated");
    }

    /// Typed whole references, Go float formatting, `$$`, unknown and non-scalar vars.
    #[test]
    fn typing_fixture() {
        check("replacements/vars-typing");
    }

    #[test]
    fn expansion_follows_kubernetes_syntax() {
        let vars = |name: &str| match name {
            "A" => Some(VarValue::Str("x".into())),
            "N" => Some(VarValue::Int(42)),
            "F" => Some(VarValue::Float(1e22)),
            "M" => Some(VarValue::Other),
            _ => None,
        };
        assert_eq!(text(expand("$(A)-$(N)-$(F)", vars)), "x-42-1e+22");
        assert_eq!(
            text(expand("$$(A) $$ $(NOPE) $( $(A", vars)),
            "$(A) $ $(NOPE) $( $(A"
        );
        assert_eq!(text(expand("$(N)", vars)), "Int(42)");
        assert_eq!(text(expand("$(M)", vars)), "$(M)");
        assert_eq!(text(expand("a$", vars)), "a$");
        assert_eq!(text(expand("$é$(A)", vars)), "$éx");
        assert_eq!(text(expand("", vars)), "");
    }

    #[test]
    fn default_table_loads() {
        let t = default_var_references();
        assert_eq!(t.len(), 72);
        assert!(
            t.iter()
                .any(|f| f.gvk.kind == "Ingress" && f.path == ["spec", "tls", "secretName"])
        );
        assert!(
            t.last()
                .is_some_and(|f| f.gvk == Gvk::default() && f.path == ["metadata", "annotations"])
        );
    }

    const RES: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns1\ndata:\n  port: \"5432\"\n  num: 42\n  flt: 1.50\n  hex: 0x1F\n  m: {a: 1}\n  when: 2001-12-14\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: $(NUM)-$(FLT)\nspec:\n  containers:\n  - name: c\n    args: [\"$(PORT)\", \"$(NUM)\", \"$(FLT)\", \"$(M)\", \"$(WHEN)\"]\n    env:\n    - {name: a, value: \"$(NUM)\"}\n    - {name: b, value: 7}\n";

    fn var(name: &str, path: &str) -> String {
        format!(
            "- {{name: {name}, objref: {{kind: ConfigMap, name: cm, apiVersion: v1}}, fieldref: {{fieldpath: {path}}}}}\n"
        )
    }

    fn run(res: &str, vars: &str) -> Result<Vec<Node>, VarsError> {
        let mut res = docs(res);
        let vars = docs(vars).remove(0);
        resolve_vars(&mut res, vars.as_seq().unwrap(), default_var_references())?;
        Ok(res)
    }

    #[test]
    fn whole_references_keep_the_type() {
        let vars: String = [
            ("PORT", "data.port"),
            ("NUM", "data.num"),
            ("FLT", "data.flt"),
            ("M", "data.m"),
            ("WHEN", "data.when"),
        ]
        .iter()
        .map(|(n, p)| var(n, p))
        .collect();
        let out = run(RES, &vars).unwrap();
        let c = out[1]
            .path(&["spec", "containers"])
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .clone();
        let args: Vec<Value> = c
            .get("args")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.value.clone())
            .collect();
        assert_eq!(
            args,
            [
                Value::String("5432".into()),
                Value::Int(42),
                Value::Float(1.5),
                Value::String("$(M)".into()),
                Value::String("2001-12-14".into()),
            ]
        );
        let env = c.get("env").unwrap().as_seq().unwrap();
        assert_eq!(env[0].get("value").unwrap().value, Value::Int(42));
        assert_eq!(
            out[1].str_at(&["metadata", "annotations", "a"]),
            Some("42-1.5")
        );
    }

    #[test]
    fn binding_and_errors() {
        let e = |vars: &str| run(RES, vars).unwrap_err().0;
        assert!(
            e(&(var("A", "data.port") + &var("A", "data.num")))
                .contains("var 'A' already encountered")
        );
        assert!(e(&var("A", "data.nope")).contains("not found in corresponding resource"));
        assert!(e(&var("A", "data.hex")).contains("not found"));
        assert!(e("- {name: A, objref: {kind: ConfigMap, name: cm}}").contains("cannot be mapped"));
        assert!(
            e("- {name: A, objref: {kind: ConfigMap, name: cm, version: v1, namespace: ns2}}")
                .contains("cannot be mapped")
        );
        assert!(
            run(
                RES,
                "- {name: A, objref: {kind: ConfigMap, name: cm, version: v1, namespace: ns1}}"
            )
            .is_ok()
        );
        let two = format!("{RES}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
        assert!(
            run(&two, &var("A", "data.port"))
                .unwrap_err()
                .0
                .contains("found 2 resId matches")
        );
        let bad = RES.replace("\"$(PORT)\", ", "1, ");
        assert_eq!(
            run(&bad, &var("PORT", "data.port")).unwrap_err().0,
            "considering field 'spec/containers/args' of object Pod.v1.[noGrp]/p.[noNs]: invalid value type expect a string"
        );
    }

    #[test]
    fn bound_by_earlier_names_and_reports_unused() {
        use crate::doc::{Document, Source};
        let mut resources: Vec<Resource> = docs(RES)
            .into_iter()
            .map(|root| {
                let mut r = Resource::new(Document {
                    origin: None,
                    source: Source::new("r.yaml", String::new()),
                    index: 0,
                    item: None,
                    root,
                });
                r.remember_id();
                if let Some(name) = r
                    .doc
                    .root
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("name"))
                {
                    *name = Node::string(format!("dev-{}", name.as_str().unwrap_or("")));
                }
                r
            })
            .collect();
        let vars = docs(&(var("PORT", "metadata.name") + &var("UNUSED", "data.port"))).remove(0);
        let unused = resolve_vars_in(
            &mut resources,
            vars.as_seq().unwrap(),
            default_var_references(),
        )
        .unwrap();
        assert_eq!(unused, ["UNUSED"]);
        let args = resources[1]
            .doc
            .root
            .path(&["spec", "containers"])
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .get("args")
            .unwrap();
        assert_eq!(args.as_seq().unwrap()[0].as_str(), Some("dev-cm"));
    }
}
