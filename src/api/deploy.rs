//! `aimass.deploy`: choose the model that scores for a project. Every call adds a history row.

use pgrx::prelude::*;

use crate::catalog::{deployments, models, projects};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::error::OrRaise;

type DeployRow = (i64, String, i64, String);

/// Deploys a project's model chosen by `strategy`: `best_score` (best test AUC, or lowest RMSE),
/// `most_recent`, or `rollback` (the model deployed before the current one).
#[pg_extern(volatile, parallel_unsafe, name = "deploy")]
fn deploy(
    project_name: &str,
    strategy: default!(&str, "'best_score'"),
) -> TableIterator<
    'static,
    (name!(deployment_id, i64), name!(project, String), name!(model_id, i64), name!(strategy, String)),
> {
    TableIterator::once(deploy_by_strategy(project_name, strategy).or_raise())
}

/// Deploys the given model in its project.
#[pg_extern(volatile, parallel_unsafe, name = "deploy")]
fn deploy_model(
    model_id: i64,
) -> TableIterator<
    'static,
    (name!(deployment_id, i64), name!(project, String), name!(model_id, i64), name!(strategy, String)),
> {
    TableIterator::once(deploy_by_id(model_id).or_raise())
}

fn deploy_by_strategy(project_name: &str, strategy: &str) -> Result<DeployRow> {
    let project = projects::get(project_name)?;
    let model_id = match strategy {
        "best_score" => deployments::best_model(project.id, project.task),
        "most_recent" => deployments::most_recent_model(project.id),
        "rollback" => Some(deployments::previous_model(project.id).ok_or_else(|| {
            AimassError::new(
                ErrorKind::NotInPrerequisiteState,
                format!("project \"{project_name}\" has no earlier deployment to roll back to"),
            )
        })?),
        other => {
            return Err(AimassError::invalid_parameter(format!("unknown deployment strategy \"{other}\""))
                .with_hint("Use 'best_score', 'most_recent' or 'rollback', or deploy a model id."))
        }
    };
    let model_id = model_id.ok_or_else(|| {
        AimassError::new(
            ErrorKind::NotInPrerequisiteState,
            format!("project \"{project_name}\" has no models"),
        )
    })?;
    let id = deployments::insert(project.id, &project.name, model_id, strategy)?;
    Ok((id, project.name, model_id, strategy.to_owned()))
}

fn deploy_by_id(model_id: i64) -> Result<DeployRow> {
    let (project_id, _) = models::load(model_id)?;
    let name = crate::catalog::get_one::<String>(
        "SELECT name FROM aimass.projects WHERE id = $1",
        &[project_id.into()],
    )
    .or_raise()
    .unwrap_or_default();
    let id = deployments::insert(project_id, &name, model_id, "model_id")?;
    Ok((id, name, model_id, "model_id".to_owned()))
}
