// TEMPORARY stub.
use super::fieldspec::FieldSpec;
use crate::doc::Node;
#[derive(Debug)]
pub struct VarsError(String);
impl std::fmt::Display for VarsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
pub fn default_var_references() -> &'static [FieldSpec] {
    &[]
}
pub fn resolve_vars(_r: &mut [Node], _v: &[Node], _f: &[FieldSpec]) -> Result<(), VarsError> {
    Err(VarsError("not yet".into()))
}
