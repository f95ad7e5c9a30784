//! `aimass.predict_proba` and `aimass.predict`: score inline in any SELECT, by project (its
//! deployed model) or by model id, on a table row, a jsonb object or a float8[] in the model's
//! feature order. STABLE (a deployment changes the answer) and PARALLEL SAFE.

use std::cell::RefCell;

use pgrx::prelude::*;
use pgrx::AnyElement;

use crate::core::data::RawValue;
use crate::core::error::{AimassError, Result};
use crate::core::model::Model;
use crate::error::OrRaise;
use crate::json_arg::JsonArg;
use crate::scoring::cache::{self, LoadedModel};
use crate::scoring::input::{serving, with_values, Input};

thread_local! {
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Probability of the positive class (binary models only).
    Proba,
    /// Class 0/1 (binary) or value (regression).
    Predict,
}

fn finish(model: &Model, raw: &[RawValue<'_>], want: Want) -> Result<f64> {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        match want {
            Want::Proba => {
                if !model.task().scores_in_unit_interval() {
                    return Err(AimassError::invalid_parameter(format!(
                        "predict_proba applies to binary classification and anomaly models, not to a {} model",
                        model.task().as_str()
                    ))
                    .with_hint("Use aimass.predict for regression and clustering models."));
                }
                model.score(raw, &mut s)
            }
            Want::Predict => model.predict(raw, &mut s),
        }
    })
}

fn score(m: &LoadedModel, input: Input<'_>, want: Want) -> f64 {
    with_values(m, input, |raw| finish(&m.model, raw, want)).or_raise()
}

fn by_project(project: &str, input: Input<'_>, want: Want) -> f64 {
    score(&serving(project, input).or_raise(), input, want)
}

fn by_id(model_id: i64, input: Input<'_>, want: Want) -> f64 {
    score(&cache::by_id(model_id).or_raise(), input, want)
}

/// Probability of the positive class for a table row, by the project's deployed model (or its
/// challenger, for the share of rows routed to it).
#[pg_extern(stable, parallel_safe, name = "predict_proba")]
fn predict_proba(project_name: &str, row: AnyElement) -> f64 {
    by_project(project_name, Input::Row(&row), Want::Proba)
}

/// Probability of the positive class for a table row, by a model id.
#[pg_extern(stable, parallel_safe, name = "predict_proba")]
fn predict_proba_model(model_id: i64, row: AnyElement) -> f64 {
    by_id(model_id, Input::Row(&row), Want::Proba)
}

/// Internal (monitoring on a distributed table): the score a monitor's check gives a row, which
/// reads NaN and infinite numbers as missing (and counts them) where inline scoring refuses
/// them. Citus runs it in the shard queries.
#[pg_extern(stable, parallel_safe, name = "_drift_score")]
fn drift_score(model_id: i64, row: AnyElement) -> f64 {
    let m = cache::by_id(model_id).or_raise();
    with_values(&m, Input::Row(&row), |raw| {
        let finite: Vec<RawValue<'_>> = raw
            .iter()
            .map(|v| match *v {
                RawValue::Number(x) if !x.is_finite() => RawValue::Null,
                v => v,
            })
            .collect();
        SCRATCH.with(|s| m.model.score(&finite, &mut s.borrow_mut()))
    })
    .or_raise()
}

/// Probability of the positive class for a jsonb object of feature values.
#[pg_extern(stable, parallel_safe, name = "predict_proba")]
fn predict_proba_jsonb(project_name: &str, features: JsonArg) -> f64 {
    by_project(project_name, Input::Json(&features.value("features")), Want::Proba)
}

#[pg_extern(stable, parallel_safe, name = "predict_proba")]
fn predict_proba_model_jsonb(model_id: i64, features: JsonArg) -> f64 {
    by_id(model_id, Input::Json(&features.value("features")), Want::Proba)
}

/// Probability of the positive class for numeric features in the model's feature order.
#[pg_extern(stable, parallel_safe, name = "predict_proba")]
fn predict_proba_array(project_name: &str, features: Vec<Option<f64>>) -> f64 {
    by_project(project_name, Input::Array(&features), Want::Proba)
}

#[pg_extern(stable, parallel_safe, name = "predict_proba")]
fn predict_proba_model_array(model_id: i64, features: Vec<Option<f64>>) -> f64 {
    by_id(model_id, Input::Array(&features), Want::Proba)
}

/// The predicted class (0/1) of a binary model or the value of a regression, for a table row.
#[pg_extern(stable, parallel_safe, name = "predict")]
fn predict(project_name: &str, row: AnyElement) -> f64 {
    by_project(project_name, Input::Row(&row), Want::Predict)
}

#[pg_extern(stable, parallel_safe, name = "predict")]
fn predict_model(model_id: i64, row: AnyElement) -> f64 {
    by_id(model_id, Input::Row(&row), Want::Predict)
}

#[pg_extern(stable, parallel_safe, name = "predict")]
fn predict_jsonb(project_name: &str, features: JsonArg) -> f64 {
    by_project(project_name, Input::Json(&features.value("features")), Want::Predict)
}

#[pg_extern(stable, parallel_safe, name = "predict")]
fn predict_model_jsonb(model_id: i64, features: JsonArg) -> f64 {
    by_id(model_id, Input::Json(&features.value("features")), Want::Predict)
}

#[pg_extern(stable, parallel_safe, name = "predict")]
fn predict_array(project_name: &str, features: Vec<Option<f64>>) -> f64 {
    by_project(project_name, Input::Array(&features), Want::Predict)
}

#[pg_extern(stable, parallel_safe, name = "predict")]
fn predict_model_array(model_id: i64, features: Vec<Option<f64>>) -> f64 {
    by_id(model_id, Input::Array(&features), Want::Predict)
}

/// The id of the model that serves this row for the project: the champion, or the challenger
/// when the row is routed to it.
#[pg_extern(stable, parallel_safe, name = "served_model")]
fn served_model(project_name: &str, row: AnyElement) -> i64 {
    serving(project_name, Input::Row(&row)).or_raise().id
}

/// Queues the invalidation of every backend's scoring cache at commit; called by the statement
/// trigger on aimass.projects, aimass.models and aimass.deployments.
#[pg_extern(volatile, parallel_unsafe, name = "_invalidate_scoring_cache")]
fn invalidate_scoring_cache() {
    cache::invalidate_everywhere();
}
