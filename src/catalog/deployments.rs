//! `aimass.deployments`: the history; a project's latest row names the model that scores.

use pgrx::prelude::*;

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

/// Records a deployment and returns its id.
pub fn insert(project_id: i64, model_id: i64, strategy: &str) -> Result<i64> {
    let id = Spi::get_one_with_args::<i64>(
        "INSERT INTO aimass.deployments (project_id, model_id, strategy) VALUES ($1, $2, $3) RETURNING id",
        &[project_id.into(), model_id.into(), strategy.into()],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("deployment insert returned no id"))?;
    crate::scoring::cache::invalidate_everywhere();
    Ok(id)
}

/// The model with the best test headline metric in the project.
pub fn best_model(project_id: i64, task: Task) -> Option<i64> {
    let order = if task.is_better(1.0, 0.0) { "DESC" } else { "ASC" };
    Spi::get_one_with_args::<i64>(
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
    Spi::get_one_with_args::<i64>(
        "SELECT id FROM aimass.models WHERE project_id = $1 ORDER BY id DESC LIMIT 1",
        &[project_id.into()],
    )
    .ok()
    .flatten()
}

/// The model deployed before the current one (skipping redeployments of the current model).
pub fn previous_model(project_id: i64) -> Option<i64> {
    Spi::get_one_with_args::<i64>(
        "WITH h AS (SELECT id, model_id FROM aimass.deployments WHERE project_id = $1)
         SELECT model_id FROM h
          WHERE model_id <> (SELECT model_id FROM h ORDER BY id DESC LIMIT 1)
          ORDER BY id DESC LIMIT 1",
        &[project_id.into()],
    )
    .ok()
    .flatten()
}
