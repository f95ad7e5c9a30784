//! The pure engine: no pgrx here, so everything below is unit-tested and benchmarked without a
//! server. Data frames → target and split → preprocessing → algorithms → metrics → artifact.

pub mod accumulators;
pub mod algorithms;
pub mod artifact;
pub mod binning;
pub mod clean;
pub mod curves;
pub mod data;
pub mod drift;
pub mod error;
pub mod explain;
pub mod feature_selection;
pub mod fitting;
pub mod format_version;
pub mod hash;
pub mod importance;
pub mod inputs;
pub mod interrupt;
pub mod json_options;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod model_card;
pub mod monitoring;
pub mod parallel;
pub mod preprocess;
pub mod profile;
pub mod routing;
pub mod search;
pub mod split;
pub mod stability;
pub mod stats;
pub mod task;
pub mod train;
pub mod woe;
pub mod woe_binning;
