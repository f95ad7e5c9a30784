//! `aimass.predict_proba` and `aimass.predict`: score inline in any SELECT, by project (its
//! deployed model) or by model id, on a table row, a jsonb object or a float8[] in the model's
//! feature order. STABLE (a deployment changes the answer) and PARALLEL SAFE.

use std::cell::RefCell;
use std::rc::Rc;

use pgrx::prelude::*;
use pgrx::AnyElement;
use serde_json::Value;

use crate::core::data::{ColumnKind, RawValue};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::model::Model;
use crate::error::OrRaise;
use crate::json_arg::JsonArg;
use crate::scoring::cache::{self, LoadedModel};
use crate::scoring::row::{column_text, with_row_values};

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

/// A scoring call's input: a row, a jsonb object, or numbers in the model's feature order.
#[derive(Clone, Copy)]
enum Input<'a> {
    Row(&'a AnyElement),
    Json(&'a Value),
    Array(&'a [Option<f64>]),
}

/// Calls `f` with the model's raw feature values read from `input`.
fn with_values<R>(
    m: &LoadedModel,
    input: Input<'_>,
    f: impl FnOnce(&[RawValue<'_>]) -> Result<R>,
) -> Result<R> {
    match input {
        Input::Row(row) => {
            let mut maps = m.row_maps.borrow_mut();
            with_row_values(&m.model, &mut maps, row.datum(), row.oid(), f)
        }
        Input::Json(features) => with_json_values(m, features, f),
        Input::Array(features) => with_array_values(m, features, f),
    }
}

fn with_json_values<R>(
    m: &LoadedModel,
    features: &Value,
    f: impl FnOnce(&[RawValue<'_>]) -> Result<R>,
) -> Result<R> {
    let Value::Object(map) = features else {
        return Err(AimassError::invalid_parameter("features must be a JSON object of feature name → value"));
    };
    let mut texts: Vec<String> = Vec::new();
    let mut raw = Vec::with_capacity(m.model.features().len());
    // First pass: text forms that need owning (booleans given for text features).
    for step in m.model.features() {
        if let Some(Value::Bool(b)) = map.get(step.name()) {
            texts.push(b.to_string());
        }
    }
    let mut owned = texts.iter();
    for step in m.model.features() {
        let name = step.name();
        let v = map.get(name).ok_or_else(|| {
            AimassError::new(
                ErrorKind::UndefinedColumn,
                format!("features has no key \"{name}\", a feature of the model"),
            )
            .with_hint("Give every feature; use null for a missing value.")
        })?;
        let categorical = step.kind() == ColumnKind::Categorical;
        raw.push(match v {
            Value::Null => RawValue::Null,
            Value::Number(n) => RawValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::Bool(_) if categorical => {
                RawValue::Text(owned.next().map(String::as_str).unwrap_or_default())
            }
            Value::Bool(b) => RawValue::Number(*b as u8 as f64),
            Value::String(s) if categorical => RawValue::Text(s),
            Value::String(s) => RawValue::Number(s.trim().parse::<f64>().map_err(|_| {
                AimassError::new(
                    ErrorKind::InvalidText,
                    format!("feature \"{name}\" is numeric but was given \"{s}\""),
                )
            })?),
            other => {
                return Err(AimassError::new(
                    ErrorKind::DatatypeMismatch,
                    format!("feature \"{name}\" cannot take the JSON value {other}"),
                ))
            }
        });
    }
    f(&raw)
}

fn with_array_values<R>(
    m: &LoadedModel,
    features: &[Option<f64>],
    f: impl FnOnce(&[RawValue<'_>]) -> Result<R>,
) -> Result<R> {
    let steps = m.model.features();
    if features.len() != steps.len() {
        return Err(AimassError::invalid_parameter(format!(
            "the model has {} features, the array has {} elements",
            steps.len(),
            features.len()
        ))
        .with_detail(format!(
            "Feature order: {}.",
            steps.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(s) = steps.iter().find(|s| s.kind() == ColumnKind::Categorical) {
        return Err(AimassError::new(
            ErrorKind::DatatypeMismatch,
            format!("feature \"{}\" is text and cannot be given in a float8[]", s.name()),
        )
        .with_hint("Pass the row itself or a jsonb object."));
    }
    let raw: Vec<RawValue<'_>> =
        features.iter().map(|v| v.map_or(RawValue::Null, RawValue::Number)).collect();
    f(&raw)
}

fn score(m: &LoadedModel, input: Input<'_>, want: Want) -> f64 {
    with_values(m, input, |raw| finish(&m.model, raw, want)).or_raise()
}

/// The model that serves a project's call: the champion, or the challenger for the share of
/// calls routed to it by the row's key column (without one, by the champion's feature values).
fn serving(project: &str, input: Input<'_>) -> Result<Rc<LoadedModel>> {
    let served = cache::served(project)?;
    let Some((challenger, route)) = served.challenger else { return Ok(served.champion) };
    if route.share <= 0.0 {
        return Ok(served.champion);
    }
    let key = match (&route.key_column, input) {
        (Some(column), Input::Row(row)) => Some(column_text(row.datum(), column)?),
        (Some(column), Input::Json(Value::Object(map))) => Some(match map.get(column) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
        }),
        _ => None,
    };
    let to_challenger = match key {
        Some(k) => route.to_challenger(&[k.as_deref().map_or(RawValue::Null, RawValue::Text)]),
        None => with_values(&served.champion, input, |raw| Ok(route.to_challenger(raw)))?,
    };
    Ok(if to_challenger { challenger } else { served.champion })
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
