//! JSON pointers (RFC 6901) over the value tree, and the one patch mechanism every edit goes
//! through: RFC 6902 operations that leave untouched nodes (and their positions) alone.

use super::value::{Node, Value};
use std::fmt;

pub fn escape_into(token: &str, out: &mut String) {
    let mut rest = token;
    while let Some(i) = rest.find(['~', '/']) {
        out.push_str(&rest[..i]);
        out.push_str(if rest.as_bytes()[i] == b'~' {
            "~0"
        } else {
            "~1"
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

pub fn escape(token: &str) -> String {
    let mut s = String::with_capacity(token.len());
    escape_into(token, &mut s);
    s
}

/// Splits `/a/b~1c/0` into `["a", "b/c", "0"]`; the empty pointer is the whole document.
pub fn parse(pointer: &str) -> Result<Vec<String>, PatchError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PatchError::BadPointer(pointer.to_string()));
    };
    Ok(rest.split('/').map(|t| unescape(t).into_owned()).collect())
}

/// A reference token with `~1` and `~0` decoded.
pub fn unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

pub fn join(tokens: &[impl AsRef<str>]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push('/');
        escape_into(t.as_ref(), &mut s);
    }
    s
}

fn index(token: &str, len: usize, allow_end: bool) -> Option<usize> {
    if token == "-" {
        return allow_end.then_some(len);
    }
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    let i: usize = token.parse().ok()?;
    (i < len || (allow_end && i == len)).then_some(i)
}

/// Pointers of the nodes where two trees differ, as deep as both sides share a shape
/// (maps by key, lists of equal length by index), the first `limit` of them.
pub fn differences(a: &Node, b: &Node, limit: usize) -> Vec<String> {
    fn walk(a: &Node, b: &Node, at: &str, limit: usize, out: &mut Vec<String>) {
        if a == b || out.len() >= limit {
            return;
        }
        match (&a.value, &b.value) {
            (Value::Map(x), Value::Map(y)) => {
                for e in &y.entries {
                    let path = format!("{at}/{}", escape(&e.key));
                    match x.get(&e.key) {
                        Some(v) => walk(v, &e.value, &path, limit, out),
                        None if out.len() < limit => out.push(path),
                        None => {}
                    }
                }
                for e in x.entries.iter().filter(|e| !y.contains_key(&e.key)) {
                    if out.len() < limit {
                        out.push(format!("{at}/{}", escape(&e.key)));
                    }
                }
            }
            (Value::Seq(x), Value::Seq(y)) if x.len() == y.len() => {
                for (i, (v, w)) in x.iter().zip(y).enumerate() {
                    walk(v, w, &format!("{at}/{i}"), limit, out);
                }
            }
            _ => out.push(if at.is_empty() { "/".into() } else { at.into() }),
        }
    }
    let mut out = Vec::new();
    walk(a, b, "", limit, &mut out);
    out
}

pub fn get<'a>(root: &'a Node, tokens: &[impl AsRef<str>]) -> Option<&'a Node> {
    let mut node = root;
    for t in tokens {
        let t = t.as_ref();
        node = match &node.value {
            Value::Map(m) => m.get(t)?,
            Value::Seq(items) => &items[index(t, items.len(), false)?],
            _ => return None,
        };
    }
    Some(node)
}

pub fn get_mut<'a>(root: &'a mut Node, tokens: &[impl AsRef<str>]) -> Option<&'a mut Node> {
    let mut node = root;
    for t in tokens {
        let t = t.as_ref();
        node = match &mut node.value {
            Value::Map(m) => m.get_mut(t)?,
            Value::Seq(items) => {
                let i = index(t, items.len(), false)?;
                &mut items[i]
            }
            _ => return None,
        };
    }
    Some(node)
}

/// One RFC 6902 operation. Paths are JSON pointers.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Add { path: String, value: Node },
    Remove { path: String },
    Replace { path: String, value: Node },
    Move { from: String, path: String },
    Copy { from: String, path: String },
    Test { path: String, value: Node },
}

impl Op {
    pub fn path(&self) -> &str {
        match self {
            Op::Add { path, .. }
            | Op::Remove { path }
            | Op::Replace { path, .. }
            | Op::Move { path, .. }
            | Op::Copy { path, .. }
            | Op::Test { path, .. } => path,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchError {
    BadPointer(String),
    NoSuchPath(String),
    NotAContainer(String),
    TestFailed(String),
    MoveIntoChild(String),
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchError::BadPointer(p) => write!(f, "`{p}` is not a JSON pointer"),
            PatchError::NoSuchPath(p) => write!(f, "no value at `{p}`"),
            PatchError::NotAContainer(p) => {
                write!(f, "`{p}`: the parent is neither a mapping nor a list")
            }
            PatchError::TestFailed(p) => write!(f, "test failed: the value at `{p}` differs"),
            PatchError::MoveIntoChild(p) => write!(f, "cannot move `{p}` into itself"),
        }
    }
}

impl std::error::Error for PatchError {}

fn split_last(path: &str) -> Result<(Vec<String>, String), PatchError> {
    let mut tokens = parse(path)?;
    let last = tokens
        .pop()
        .ok_or_else(|| PatchError::NoSuchPath(path.to_string()))?;
    Ok((tokens, last))
}

fn add(root: &mut Node, path: &str, value: Node) -> Result<(), PatchError> {
    if path.is_empty() {
        *root = value;
        return Ok(());
    }
    let (parent, last) = split_last(path)?;
    let parent = get_mut(root, &parent).ok_or_else(|| PatchError::NoSuchPath(path.to_string()))?;
    match &mut parent.value {
        Value::Map(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Seq(items) => {
            let i = index(&last, items.len(), true)
                .ok_or_else(|| PatchError::NoSuchPath(path.to_string()))?;
            items.insert(i, value);
            Ok(())
        }
        _ => Err(PatchError::NotAContainer(path.to_string())),
    }
}

fn remove(root: &mut Node, path: &str) -> Result<Node, PatchError> {
    let (parent, last) = split_last(path)?;
    let missing = || PatchError::NoSuchPath(path.to_string());
    let parent = get_mut(root, &parent).ok_or_else(missing)?;
    match &mut parent.value {
        Value::Map(m) => m.remove(&last).ok_or_else(missing),
        Value::Seq(items) => {
            let i = index(&last, items.len(), false).ok_or_else(missing)?;
            Ok(items.remove(i))
        }
        _ => Err(missing()),
    }
}

/// Applies one operation. On error the document is unchanged.
pub fn apply_op(root: &mut Node, op: &Op) -> Result<(), PatchError> {
    match op {
        Op::Add { path, value } => add(root, path, value.clone()),
        Op::Remove { path } => remove(root, path).map(drop),
        Op::Replace { path, value } => {
            let target =
                get_mut(root, &parse(path)?).ok_or_else(|| PatchError::NoSuchPath(path.clone()))?;
            *target = value.clone();
            Ok(())
        }
        Op::Move { from, path } => {
            if path.starts_with(&format!("{from}/")) {
                return Err(PatchError::MoveIntoChild(from.clone()));
            }
            if from == path {
                return get(root, &parse(from)?)
                    .map(drop)
                    .ok_or_else(|| PatchError::NoSuchPath(from.clone()));
            }
            let mut scratch = root.clone();
            let value = remove(&mut scratch, from)?;
            add(&mut scratch, path, value)?;
            *root = scratch;
            Ok(())
        }
        Op::Copy { from, path } => {
            let value = get(root, &parse(from)?)
                .ok_or_else(|| PatchError::NoSuchPath(from.clone()))?
                .clone();
            add(root, path, value)
        }
        Op::Test { path, value } => {
            let found =
                get(root, &parse(path)?).ok_or_else(|| PatchError::NoSuchPath(path.clone()))?;
            if found == value {
                Ok(())
            } else {
                Err(PatchError::TestFailed(path.clone()))
            }
        }
    }
}

/// Applies operations in order, all or nothing.
pub fn apply(root: &mut Node, ops: &[Op]) -> Result<(), PatchError> {
    let mut work = root.clone();
    for op in ops {
        apply_op(&mut work, op)?;
    }
    *root = work;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::value::Pos;
    use super::*;
    use crate::load::parse::parse_str;

    fn doc(s: &str) -> Node {
        parse_str(s).unwrap().remove(0)
    }

    #[test]
    fn differences_name_the_deepest_shared_shape_and_stop_at_the_limit() {
        let a = doc("a: {b: 1, c: [1, 2]}\nd/e: x\n");
        let b = doc("a: {b: 2, c: [1, 3, 4]}\nd/e: y\nf: 1\n");
        assert_eq!(
            differences(&a, &b, usize::MAX),
            vec!["/a/b", "/a/c", "/d~1e", "/f"]
        );
        assert_eq!(differences(&a, &b, 1), vec!["/a/b"]);
        assert!(differences(&a, &a, usize::MAX).is_empty());
    }

    #[test]
    fn pointer_escapes_round_trip() {
        assert_eq!(parse("/a~1b/c~0d/0").unwrap(), vec!["a/b", "c~d", "0"]);
        assert_eq!(join(&["a/b", "c~d"]), "/a~1b/c~0d");
        assert!(parse("a").is_err());
    }

    #[test]
    fn edits_keep_positions_of_untouched_nodes() {
        let mut d = doc("kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n");
        let before = get(&d, &parse("/spec/containers/0/name").unwrap())
            .unwrap()
            .pos;
        apply(
            &mut d,
            &[Op::Replace {
                path: "/spec/containers/0/image".into(),
                value: Node::string("y"),
            }],
        )
        .unwrap();
        let after = get(&d, &parse("/spec/containers/0/name").unwrap())
            .unwrap()
            .pos;
        assert_eq!(before, after);
        assert_eq!(before, Pos::new(4, 11));
        assert_eq!(d.str_at(&["spec"]), None);
        let img = get(&d, &parse("/spec/containers/0/image").unwrap()).unwrap();
        assert_eq!(img.as_str(), Some("y"));
    }

    #[test]
    fn failed_patch_leaves_document_unchanged() {
        let mut d = doc("a: 1\nb: [1, 2]\n");
        let orig = d.clone();
        let err = apply(
            &mut d,
            &[
                Op::Remove { path: "/a".into() },
                Op::Test {
                    path: "/b/0".into(),
                    value: Node::new(Value::Int(5)),
                },
            ],
        )
        .unwrap_err();
        assert_eq!(err, PatchError::TestFailed("/b/0".into()));
        assert_eq!(d, orig);
    }

    #[test]
    fn add_move_copy_follow_rfc6902() {
        let mut d = doc("a: [1, 2]\nb: {}\n");
        apply(
            &mut d,
            &[
                Op::Add {
                    path: "/a/-".into(),
                    value: Node::new(Value::Int(3)),
                },
                Op::Add {
                    path: "/a/0".into(),
                    value: Node::new(Value::Int(0)),
                },
                Op::Copy {
                    from: "/a".into(),
                    path: "/b/c".into(),
                },
                Op::Move {
                    from: "/a/3".into(),
                    path: "/b/last".into(),
                },
            ],
        )
        .unwrap();
        let ints = |p: &str| -> Vec<i64> {
            get(&d, &parse(p).unwrap())
                .unwrap()
                .as_seq()
                .unwrap()
                .iter()
                .filter_map(Node::as_i64)
                .collect()
        };
        assert_eq!(ints("/a"), vec![0, 1, 2]);
        assert_eq!(ints("/b/c"), vec![0, 1, 2, 3]);
        assert_eq!(
            get(&d, &parse("/b/last").unwrap()).unwrap().as_i64(),
            Some(3)
        );
        assert!(apply(&mut d, &[Op::Remove { path: "/zz".into() }]).is_err());
        assert!(
            apply(
                &mut d,
                &[Op::Add {
                    path: "/a/7".into(),
                    value: Node::null()
                }]
            )
            .is_err()
        );
    }
}
