//! `aimass.predictions`: the prediction log written by the `aimass.log_prediction` trigger.

use pgrx::JsonB;
use serde_json::Value;

use crate::error::OrRaise;

/// One logged prediction, built by the trigger from the user's row.
pub struct Logged<'a> {
    pub project_id: i64,
    pub model_id: i64,
    pub row_key: Option<&'a str>,
    pub features: Value,
    pub score: Option<f64>,
    /// `champion` or `challenger`.
    pub role: &'static str,
    /// Whether this model's score is the one the row was served.
    pub served: bool,
}

/// Writes one logged prediction with the extension owner's rights (the values are plain numbers,
/// text and jsonb: nothing of the user's is evaluated).
pub fn insert(p: &Logged<'_>) {
    super::run(
        "INSERT INTO aimass.predictions (project_id, model_id, row_key, features, score, role, served)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            p.project_id.into(),
            p.model_id.into(),
            p.row_key.into(),
            JsonB(p.features.clone()).into(),
            p.score.into(),
            p.role.into(),
            p.served.into(),
        ],
    )
    .or_raise();
}
