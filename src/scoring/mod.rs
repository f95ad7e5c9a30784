//! Inline scoring: the per-backend model cache and reading a table row's features.

pub mod batch;
pub mod cache;
pub mod row;
