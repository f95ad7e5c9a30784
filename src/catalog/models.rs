//! `aimass.models` and `aimass.snapshots`.

use pgrx::JsonB;
use serde_json::Value;

use crate::core::artifact;
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::model::Model;
use crate::core::task::Task;
use crate::error::OrRaise;

/// What is written for a new model.
pub struct NewModel<'a> {
    pub project_id: i64,
    pub model: &'a Model,
    pub hyperparams: Value,
    pub features: Value,
    pub metrics: Value,
    pub training_args: Value,
    /// Training distributions of the raw features and the score (drift monitoring).
    pub reference: Value,
    pub snapshot: NewSnapshot,
}

pub struct NewSnapshot {
    pub relation: String,
    pub columns: Value,
    pub row_count: i64,
    pub train_rows: i64,
    pub test_rows: i64,
    pub split: Value,
    pub content_hash: String,
}

fn json(v: &impl serde::Serialize) -> Result<JsonB> {
    serde_json::to_value(v).map(JsonB).map_err(|e| AimassError::internal(format!("cannot encode JSON: {e}")))
}

/// Inserts the snapshot and the model; returns the model id.
pub fn insert(m: NewModel<'_>) -> Result<i64> {
    let bytes = artifact::encode(m.model)?;
    let s = m.snapshot;
    let snapshot_id = super::get_one::<i64>(
        "INSERT INTO aimass.snapshots (relation, columns, row_count, train_rows, test_rows, split, content_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            s.relation.into(),
            JsonB(s.columns).into(),
            s.row_count.into(),
            s.train_rows.into(),
            s.test_rows.into(),
            JsonB(s.split).into(),
            s.content_hash.into(),
        ],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("snapshot insert returned no id"))?;
    let target = json(&m.model.target)?;
    let recipe = json(&m.model.recipe)?;
    super::get_one::<i64>(
        "INSERT INTO aimass.models (project_id, algorithm, task, hyperparams, preprocessing, features, target,
                                    metrics, snapshot_id, training_args, artifact, artifact_format, reference, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        &[
            m.project_id.into(),
            m.model.algorithm.as_str().into(),
            m.model.task().as_str().into(),
            JsonB(m.hyperparams).into(),
            recipe.into(),
            JsonB(m.features).into(),
            target.into(),
            JsonB(m.metrics).into(),
            snapshot_id.into(),
            JsonB(m.training_args).into(),
            bytes.into(),
            (artifact::FORMAT_VERSION as i32).into(),
            JsonB(m.reference).into(),
            super::owner::caller_name().into(),
        ],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("model insert returned no id"))
}

/// A model's project id and artifact.
pub fn load(model_id: i64) -> Result<(i64, Model)> {
    load_sized(model_id).map(|(project_id, model, _)| (project_id, model))
}

/// As [`load`], with the artifact's size in bytes (what the scoring cache counts a model by).
pub fn load_sized(model_id: i64) -> Result<(i64, Model, usize)> {
    let row = super::first_two::<i64, Vec<u8>>(
        "SELECT project_id, artifact FROM aimass.models WHERE id = $1",
        &[model_id.into()],
    );
    match row {
        Some((Some(project_id), Some(bytes))) => Ok((project_id, artifact::decode(&bytes)?, bytes.len())),
        _ => Err(AimassError::new(ErrorKind::UndefinedObject, format!("model {model_id} does not exist"))),
    }
}

/// The training arguments of the project's latest model, to reuse in the next training.
pub fn latest_training_args(project_id: i64) -> Option<Value> {
    super::get_one::<JsonB>(
        "SELECT training_args FROM aimass.models WHERE project_id = $1 ORDER BY id DESC LIMIT 1",
        &[project_id.into()],
    )
    .ok()
    .flatten()
    .map(|j| j.0)
}

/// A model's test-split headline metric (see [`Task::headline_metric`]), if recorded.
pub fn headline(model_id: i64, task: Task) -> Option<f64> {
    super::get_one::<f64>(
        "SELECT (metrics -> 'test' ->> $2)::float8 FROM aimass.models WHERE id = $1",
        &[model_id.into(), task.headline_metric().into()],
    )
    .ok()
    .flatten()
}

/// Everything a model card shows from the catalog, as one JSON object: the model's columns,
/// its project, snapshot and the project's deployment history (`None`: no such model).
pub fn card_json(model_id: i64) -> Option<Value> {
    super::get_one::<JsonB>(
        "SELECT jsonb_build_object(
                'project', p.name, 'algorithm', m.algorithm, 'task', m.task,
                'created_at', m.created_at::text, 'created_by', m.created_by,
                'snapshot', to_jsonb(s) || jsonb_build_object('created_at', s.created_at::text),
                'features', m.features, 'preprocessing', m.preprocessing, 'hyperparams', m.hyperparams,
                'target', m.target, 'metrics', m.metrics, 'generated_at', now()::text,
                'deployments', coalesce((
                    SELECT jsonb_agg(jsonb_build_object('at', d.deployed_at::text, 'by', d.deployed_by,
                                                        'model_id', d.model_id, 'strategy', d.strategy,
                                                        'role', d.role, 'share', d.share) ORDER BY d.id)
                      FROM aimass.deployments d WHERE d.project_id = m.project_id), '[]'))
           FROM aimass.models m
           JOIN aimass.projects p ON p.id = m.project_id
           JOIN aimass.snapshots s ON s.id = m.snapshot_id
          WHERE m.id = $1",
        &[model_id.into()],
    )
    .ok()
    .flatten()
    .map(|j| j.0)
}
