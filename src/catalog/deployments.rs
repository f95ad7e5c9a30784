//! `aimass.deployments`: the history; a project's latest row names the model that scores.

use serde_json::json;

use super::audit::{self, Action};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::task::Task;
use crate::error::OrRaise;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    pub id: i64,
    pub model_id: i64,
}

/// The current deployment of a project by name, in one query (the scoring hot path).
pub fn current_by_project_name(project: &str) -> Option<Deployment> {
    let row = super::first_two::<i64, i64>(
        "SELECT d.id, d.model_id FROM aimass.deployments d
           JOIN aimass.projects p ON p.id = d.project_id
          WHERE p.name = $1 ORDER BY d.id DESC LIMIT 1",
        &[project.into()],
    );
    match row {
        Some((Some(id), Some(model_id))) => Some(Deployment { id, model_id }),
        _ => None,
    }
}

pub fn no_deployment(project: &str) -> AimassError {
    AimassError::new(
        ErrorKind::NotInPrerequisiteState,
        format!("project \"{project}\" has no deployed model"),
    )
    .with_hint(format!("Deploy one with SELECT * FROM aimass.deploy('{project}');"))
}

/// Records a deployment (and its audit row) and returns its id.
pub fn insert(project_id: i64, project: &str, model_id: i64, strategy: &str) -> Result<i64> {
    let id = super::get_one::<i64>(
        "INSERT INTO aimass.deployments (project_id, model_id, strategy, deployed_by) VALUES ($1, $2, $3, $4) RETURNING id",
        &[project_id.into(), model_id.into(), strategy.into(), super::owner::caller_name().into()],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("deployment insert returned no id"))?;
    crate::scoring::cache::invalidate_everywhere();
    let action = if strategy == "rollback" { Action::Rollback } else { Action::Deploy };
    audit::record(action, Some(project), Some(model_id), json!({"strategy": strategy, "deployment_id": id}));
    Ok(id)
}

/// The model with the best test headline metric in the project.
pub fn best_model(project_id: i64, task: Task) -> Option<i64> {
    let order = if task.is_better(1.0, 0.0) { "DESC" } else { "ASC" };
    super::get_one::<i64>(
        &format!(
            "SELECT id FROM aimass.models WHERE project_id = $1
              ORDER BY (metrics -> 'test' ->> $2)::float8 {order} NULLS LAST, id DESC
              LIMIT 1"
        ),
        &[project_id.into(), task.headline_metric().into()],
    )
    .ok()
    .flatten()
}

/// The project's most recently trained model.
pub fn most_recent_model(project_id: i64) -> Option<i64> {
    super::get_one::<i64>(
        "SELECT id FROM aimass.models WHERE project_id = $1 ORDER BY id DESC LIMIT 1",
        &[project_id.into()],
    )
    .ok()
    .flatten()
}

/// The model deployed before the current one (skipping redeployments of the current model).
pub fn previous_model(project_id: i64) -> Option<i64> {
    super::get_one::<i64>(
        "WITH h AS (SELECT id, model_id FROM aimass.deployments WHERE project_id = $1)
         SELECT model_id FROM h
          WHERE model_id <> (SELECT model_id FROM h ORDER BY id DESC LIMIT 1)
          ORDER BY id DESC LIMIT 1",
        &[project_id.into()],
    )
    .ok()
    .flatten()
}
