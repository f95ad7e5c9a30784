//! `aimass.model_features`: a model's fitted preprocessing recipe as a table a person can read.

use pgrx::prelude::*;
use pgrx::JsonB;

use crate::error::OrRaise;
use crate::scoring::cache;

/// One row per raw feature: its kind, the fitted transformation in words, the fitted statistics
/// and the model inputs it becomes.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn model_features(
    model_id: i64,
) -> TableIterator<
    'static,
    (
        name!(position, i32),
        name!(column_name, String),
        name!(kind, String),
        name!(transform, String),
        name!(statistics, JsonB),
        name!(inputs, Vec<String>),
    ),
> {
    let m = cache::by_id(model_id).or_raise();
    let rows: Vec<_> = m
        .model
        .features()
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (transform, stats) = step.describe();
            let kind = serde_json::to_value(step.kind()).ok().and_then(|v| v.as_str().map(str::to_owned));
            (
                i as i32 + 1,
                step.name().to_owned(),
                kind.unwrap_or_default(),
                transform,
                JsonB(stats),
                step.input_names(),
            )
        })
        .collect();
    TableIterator::new(rows)
}
