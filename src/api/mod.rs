//! The SQL surface: thin `#[pg_extern]` wrappers that check arguments, call the catalog and the
//! core, and raise errors with SQLSTATEs. One file per concept.

pub mod aggregates;
pub mod batch;
pub mod bin;
pub mod clean;
pub mod curves;
pub mod deploy;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod hyperparameters;
pub mod log_prediction;
pub mod model_card;
pub mod monitor;
pub mod monitor_on_workers;
pub mod predict;
pub mod profile;
pub mod removed_symbols;
pub mod select_features;
pub mod train;
