//! What a scoring call reads its features from (a row, a jsonb object, a float8[]), and which of
//! a project's deployed models serves it (the champion, or a challenger for its share).

use std::rc::Rc;

use pgrx::AnyElement;
use serde_json::Value;

use crate::core::data::{ColumnKind, RawValue};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::scoring::cache::{self, LoadedModel};
use crate::scoring::row::{column_text, with_row_values};

/// A scoring call's input: a row, a jsonb object, or numbers in the model's feature order.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    Row(&'a AnyElement),
    Json(&'a Value),
    Array(&'a [Option<f64>]),
}

/// Calls `f` with the model's raw feature values read from `input`.
pub fn with_values<R>(
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

/// The model that serves a project's call: the champion, or the challenger for the share of
/// calls routed to it by the row's key column (without one, by the champion's feature values).
pub fn serving(project: &str, input: Input<'_>) -> Result<Rc<LoadedModel>> {
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
