//! Inline scoring: the per-backend model cache, reading a call's features, routing to a challenger.

pub mod batch;
pub mod cache;
pub mod input;
pub mod row;
