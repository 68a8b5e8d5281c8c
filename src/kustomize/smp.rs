// TEMPORARY stub until the real engine lands.
use crate::doc::{Node, Value};
#[derive(Clone, Copy, Debug)]
pub enum Schema {
    Builtin,
    None,
}
pub fn schema_for(_a: &str, _k: &str) -> Schema {
    Schema::None
}
pub fn is_delete_patch(p: &Node) -> bool {
    p.str_at(&["$patch"]) == Some("delete")
}
#[derive(Debug)]
pub struct SmpError(String);
impl std::fmt::Display for SmpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
pub fn strategic_merge(base: &mut Node, patch: &Node, _s: Schema) -> Result<(), SmpError> {
    match (&mut base.value, &patch.value) {
        (Value::Map(b), Value::Map(p)) => {
            for e in &p.entries {
                if e.value.is_null() {
                    b.remove(&e.key);
                    continue;
                }
                match b.get_mut(&e.key) {
                    Some(bv) => strategic_merge(bv, &e.value, _s)?,
                    None => {
                        b.insert(e.key.clone(), e.value.clone());
                    }
                }
            }
        }
        _ => *base = patch.clone(),
    }
    Ok(())
}
