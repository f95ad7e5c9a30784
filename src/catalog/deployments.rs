//! `aimass.deployments`: the history; a project's latest row names the model that scores.

use serde_json::json;

use super::audit::{self, Action};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::routing::Route;
use crate::core::task::Task;
use crate::error::OrRaise;

/// A project's current deployment: the champion, and a challenger deployed after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub id: i64,
    pub model_id: i64,
    pub challenger: Option<Challenger>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Challenger {
    pub model_id: i64,
    pub route: Route,
}

/// The current deployment of a project by name (`aimass.current_deployments`), in one query (the
/// scoring cache's fill).
pub fn current_by_project_name(project: &str) -> Option<Deployment> {
    let row = super::connect(|client| {
        let t = client.select(
            "SELECT deployment_id, model_id, challenger_deployment_id, challenger_model_id, challenger_share,
                    challenger_key_column
               FROM aimass.current_deployments WHERE project = $1",
            Some(1),
            &[project.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let r = t.first();
        let challenger = match (r.get::<i64>(3)?, r.get::<i64>(4)?, r.get::<f64>(5)?) {
            (Some(deployment_id), Some(model_id), Some(share)) => Some(Challenger {
                model_id,
                route: Route { deployment_id, share, key_column: r.get::<String>(6)? },
            }),
            _ => None,
        };
        Ok(match (r.get::<i64>(1)?, r.get::<i64>(2)?) {
            (Some(id), Some(model_id)) => Some(Deployment { id, model_id, challenger }),
            _ => None,
        })
    });
    row.ok().flatten()
}

pub fn no_deployment(project: &str) -> AimassError {
    AimassError::new(
        ErrorKind::NotInPrerequisiteState,
        format!("project \"{project}\" has no deployed model"),
    )
    .with_hint(format!("Deploy one with SELECT * FROM aimass.deploy('{project}');"))
}

/// Records a champion deployment (and its audit row) and returns its id.
pub fn insert(project_id: i64, project: &str, model_id: i64, strategy: &str) -> Result<i64> {
    insert_with_role(project_id, project, model_id, strategy, None)
}

/// Records a deployment, a challenger's when `challenge` gives its share and key column.
pub fn insert_with_role(
    project_id: i64,
    project: &str,
    model_id: i64,
    strategy: &str,
    challenge: Option<(f64, Option<&str>)>,
) -> Result<i64> {
    let role = if challenge.is_some() { "challenger" } else { "champion" };
    let id = super::get_one::<i64>(
        "INSERT INTO aimass.deployments (project_id, model_id, strategy, role, share, key_column, deployed_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            project_id.into(),
            model_id.into(),
            strategy.into(),
            role.into(),
            challenge.map(|c| c.0).into(),
            challenge.and_then(|c| c.1).into(),
            super::owner::caller_name().into(),
        ],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("deployment insert returned no id"))?;
    if let Some(changed) = ON_CHANGE.get() {
        changed();
    }
    let action = if strategy == "rollback" { Action::Rollback } else { Action::Deploy };
    let mut args = json!({"strategy": strategy, "deployment_id": id, "role": role});
    if let Some((share, key)) = challenge {
        args["share"] = json!(share);
        args["key_column"] = json!(key);
    }
    audit::record(action, Some(project), Some(model_id), args);
    Ok(id)
}

/// What runs after each deployment row is written: the scoring cache's invalidation, registered
/// from `_PG_init` so that the catalog needs no knowledge of scoring. (The tables' statement
/// trigger covers changes made by hand; it does not fire for these SPI writes.)
static ON_CHANGE: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

/// Registers what runs after each deployment row is written (once per backend).
pub fn on_change(f: fn()) {
    let _ = ON_CHANGE.set(f);
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
        "WITH h AS (SELECT id, model_id FROM aimass.deployments WHERE project_id = $1 AND role = 'champion')
         SELECT model_id FROM h
          WHERE model_id <> (SELECT model_id FROM h ORDER BY id DESC LIMIT 1)
          ORDER BY id DESC LIMIT 1",
        &[project_id.into()],
    )
    .ok()
    .flatten()
}
