//! `aimass.deploy`: choose the model that scores for a project. Every call adds a history row.

use pgrx::prelude::*;

use crate::catalog::{deployments, models, projects};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::error::{required, OrRaise};

type DeployRow = (i64, String, i64, String);

/// Deploys a project's model chosen by `strategy`: `best_score` (best test AUC, or lowest RMSE),
/// `most_recent`, or `rollback` (the model deployed before the current one), as the champion.
///
/// Champion/challenger: `challenger` deploys `model_id` next to the champion, serving a `share`
/// of the calls (routed by a hash of `key_column`, or of the feature values without one;
/// `share => 0` is shadow mode: it scores in the prediction log only); `promote` makes the
/// challenger the champion; `end_challenge` keeps the champion and ends the challenge. Any new
/// champion ends a challenge.
#[pg_extern(volatile, parallel_unsafe, name = "deploy")]
fn deploy(
    project_name: Option<&str>,
    strategy: default!(Option<&str>, "'best_score'"),
    model_id: default!(Option<i64>, "NULL"),
    share: default!(Option<f64>, "NULL"),
    key_column: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (name!(deployment_id, i64), name!(project, String), name!(model_id, i64), name!(strategy, String)),
> {
    let challenge = Challenge { model_id, share, key_column };
    let (project_name, strategy) = (required(project_name, "project_name"), required(strategy, "strategy"));
    TableIterator::once(deploy_by_strategy(project_name, strategy, challenge).or_raise())
}

/// The challenger arguments of `deploy`.
struct Challenge<'a> {
    model_id: Option<i64>,
    share: Option<f64>,
    key_column: Option<&'a str>,
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

fn deploy_by_strategy(project_name: &str, strategy: &str, challenge: Challenge<'_>) -> Result<DeployRow> {
    let project = projects::get(project_name)?;
    let challenger_args =
        challenge.model_id.is_some() || challenge.share.is_some() || challenge.key_column.is_some();
    if challenger_args && strategy != "challenger" {
        return Err(AimassError::invalid_parameter(format!(
            "model_id, share and key_column apply to strategy 'challenger', not '{strategy}'"
        ))
        .with_hint("Deploy a model as the champion with SELECT * FROM aimass.deploy(model_id);"));
    }
    let current = deployments::current_by_project_name(&project.name);
    let model_id = match strategy {
        "challenger" => return deploy_challenger(&project, current, challenge),
        "promote" | "end_challenge" => {
            let Some(d) = current else { return Err(deployments::no_deployment(&project.name)) };
            let Some(c) = d.challenger else {
                return Err(AimassError::new(
                    ErrorKind::NotInPrerequisiteState,
                    format!("project \"{project_name}\" has no challenger"),
                ));
            };
            Some(if strategy == "promote" { c.model_id } else { d.model_id })
        }
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
                .with_hint("Use 'best_score', 'most_recent', 'rollback', 'challenger', 'promote' or 'end_challenge', or deploy a model id."))
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

fn deploy_challenger(
    project: &projects::Project,
    current: Option<deployments::Deployment>,
    c: Challenge<'_>,
) -> Result<DeployRow> {
    let Some(model_id) = c.model_id else {
        return Err(AimassError::invalid_parameter(
            "strategy 'challenger' needs model_id, the challenger model",
        ));
    };
    let share = c.share.ok_or_else(|| {
        AimassError::invalid_parameter(
            "strategy 'challenger' needs share, the share of calls it serves (0 for shadow)",
        )
    })?;
    if !(0.0..=1.0).contains(&share) {
        return Err(AimassError::invalid_parameter(format!("share must be between 0 and 1, not {share}")));
    }
    if c.key_column == Some("") {
        return Err(AimassError::invalid_parameter("key_column must not be empty"));
    }
    let (model_project, _) = models::load(model_id)?;
    if model_project != project.id {
        return Err(AimassError::invalid_parameter(format!(
            "model {model_id} belongs to another project than \"{}\"",
            project.name
        )));
    }
    let Some(current) = current else { return Err(deployments::no_deployment(&project.name)) };
    if current.model_id == model_id {
        return Err(AimassError::invalid_parameter(format!("model {model_id} is the champion already")));
    }
    let id = deployments::insert_with_role(
        project.id,
        &project.name,
        model_id,
        "challenger",
        Some((share, c.key_column)),
    )?;
    Ok((id, project.name.clone(), model_id, "challenger".to_owned()))
}

pgrx::extension_sql_file!(
    "../../sql/schema/challenger_report.sql",
    name = "challenger_report",
    requires = ["catalog", "metric_aggregates"]
);
