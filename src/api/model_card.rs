//! `aimass.model_card(model_id, format)`: a self-contained HTML (or markdown) document about one
//! model, for review and archiving (see `core::model_card`).

use pgrx::prelude::*;
use serde_json::Value;

use crate::catalog::models;
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::importance;
use crate::core::model_card::{self, Card, DeploymentEvent, Format};
use crate::error::OrRaise;
use crate::scoring::cache;

/// The model card of a model: `format => 'html'` (default; inline SVG charts, no external
/// asset) or `'markdown'`.
#[pg_extern(stable, parallel_safe)]
fn model_card(model_id: i64, format: default!(&str, "'html'")) -> String {
    run(model_id, format).or_raise()
}

fn run(model_id: i64, format: &str) -> Result<String> {
    let format = Format::parse(format).ok_or_else(|| {
        AimassError::invalid_parameter(format!("unknown model card format \"{format}\""))
            .with_hint("Use 'html' or 'markdown'.")
    })?;
    let j = models::card_json(model_id).ok_or_else(|| {
        AimassError::new(ErrorKind::UndefinedObject, format!("model {model_id} does not exist"))
    })?;
    let m = cache::by_id(model_id)?;
    let text = |k: &str| j.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let deployments = j
        .get("deployments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|d| DeploymentEvent {
            at: d.get("at").and_then(Value::as_str).unwrap_or_default().to_owned(),
            by: d.get("by").and_then(Value::as_str).unwrap_or_default().to_owned(),
            model_id: d.get("model_id").and_then(Value::as_i64).unwrap_or_default(),
            strategy: d.get("strategy").and_then(Value::as_str).unwrap_or_default().to_owned(),
            role: d.get("role").and_then(Value::as_str).unwrap_or_default().to_owned(),
            share: d.get("share").and_then(Value::as_f64),
        })
        .collect();
    let card = Card {
        model_id,
        project: text("project"),
        algorithm: text("algorithm"),
        task: text("task"),
        created_at: text("created_at"),
        created_by: text("created_by"),
        snapshot: j.get("snapshot").cloned().unwrap_or_default(),
        features: j.get("features").cloned().unwrap_or_default(),
        preprocessing: j.get("preprocessing").cloned().unwrap_or_default(),
        hyperparams: j.get("hyperparams").cloned().unwrap_or_default(),
        target: j.get("target").cloned().unwrap_or_default(),
        metrics: j.get("metrics").cloned().unwrap_or_default(),
        importance: importance::of(&m.model),
        deployments,
        generated_at: text("generated_at"),
    };
    Ok(model_card::render(&card, format))
}
