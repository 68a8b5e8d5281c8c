//! kfold: load, build, consolidate, optimize and lint Kubernetes manifest trees.

pub mod cli;
pub mod commands;
pub mod consolidate;
pub mod cost;
pub mod diff;
pub mod doc;
pub mod error;
pub mod helm;
pub mod kustomize;
pub mod lint;
pub mod load;
pub mod passes;
pub mod policy;
pub mod render;
pub mod rules;
pub mod scalar;

pub use cli::run;
