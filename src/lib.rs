//! kfold: load, build, consolidate, optimize and lint Kubernetes manifest trees.

pub mod cli;
pub mod commands;
pub mod doc;
pub mod error;
pub mod load;
pub mod render;
pub mod scalar;

pub use cli::run;
