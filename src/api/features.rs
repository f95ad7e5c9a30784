//! `aimass.model_features` and `aimass.coefficients`: a model's fitted preprocessing recipe and,
//! for linear models, its coefficients, as tables a person can read.

use pgrx::prelude::*;
use pgrx::JsonB;

use crate::core::algorithms::FittedModel;
use crate::core::error::{AimassError, ErrorKind};
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

/// The intercept and the coefficient of every model input (after preprocessing, in the names of
/// `model_features.inputs`) of a logistic, linear or scorecard model.
#[pg_extern(stable, parallel_safe)]
fn coefficients(
    model_id: i64,
) -> TableIterator<'static, (name!(position, i32), name!(input, String), name!(coefficient, f64))> {
    let m = cache::by_id(model_id).or_raise();
    let linear = match &m.model.fitted {
        FittedModel::Linear(l) => l,
        FittedModel::Scorecard(s) => &s.linear,
        _ => crate::error::raise(AimassError::new(
            ErrorKind::FeatureNotSupported,
            format!("model {model_id} ({}) has no coefficients", m.model.algorithm),
        )),
    };
    let mut rows = vec![(0, "(intercept)".to_owned(), linear.intercept)];
    rows.extend(
        m.model
            .recipe
            .input_names()
            .into_iter()
            .zip(&linear.coefficients)
            .enumerate()
            .map(|(i, (name, &c))| (i as i32 + 1, name, c)),
    );
    TableIterator::new(rows)
}
