// TEMPORARY stub.
use crate::doc::Node;
pub struct Unmatched {
    pub index: usize,
    pub description: String,
}
#[derive(Debug)]
pub struct ReplError(String);
impl std::fmt::Display for ReplError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
pub fn apply_replacements(_r: &mut [Node], _p: &[Node]) -> Result<Vec<Unmatched>, ReplError> {
    Err(ReplError("not yet".into()))
}
