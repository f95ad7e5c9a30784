//! `aimass.evaluate`: metrics of a model on any labelled relation, scored row by row through the
//! same path as inline `predict_proba`.

use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::json;

use crate::catalog::relation::Relation;
use crate::catalog::{deployments, projects};
use crate::core::data::Column;
use crate::core::error::{AimassError, Result};
use crate::core::fitting::{metrics_json, score_rows};
use crate::core::task::{TargetEncoding, Task};
use crate::error::{required, OrRaise};
use crate::scoring::batch;
use crate::scoring::cache::{self, LoadedModel};

/// Metrics of the project's deployed model on `relation_name` (binary: auc, ks, gini, log_loss,
/// brier, accuracy, precision, recall, f1, confusion matrix; regression: r2, rmse, mae).
#[pg_extern(stable, parallel_unsafe, name = "evaluate")]
fn evaluate(
    project_name: Option<&str>,
    relation_name: Option<PgRelation>,
    target: default!(Option<&str>, "NULL"),
    threshold: default!(Option<f64>, 0.5),
) -> JsonB {
    let project_name = required(project_name, "project_name");
    let relation_name = required(relation_name, "relation_name");
    let threshold = required(threshold, "threshold");
    let project = projects::get(project_name).or_raise();
    let d = deployments::current_by_project_name(&project.name)
        .ok_or_else(|| deployments::no_deployment(project_name))
        .or_raise();
    let m = cache::by_id(d.model_id).or_raise();
    JsonB(run(&m, Some(&project.name), relation_name.oid(), target, threshold).or_raise())
}

/// Metrics of a model, by id, on `relation_name`.
#[pg_extern(stable, parallel_unsafe, name = "evaluate")]
fn evaluate_model(
    model_id: Option<i64>,
    relation_name: Option<PgRelation>,
    target: default!(Option<&str>, "NULL"),
    threshold: default!(Option<f64>, 0.5),
) -> JsonB {
    let relation_name = required(relation_name, "relation_name");
    let threshold = required(threshold, "threshold");
    let m = cache::by_id(required(model_id, "model_id")).or_raise();
    JsonB(run(&m, None, relation_name.oid(), target, threshold).or_raise())
}

fn run(
    m: &LoadedModel,
    project: Option<&str>,
    relation_oid: pg_sys::Oid,
    target: Option<&str>,
    threshold: f64,
) -> Result<serde_json::Value> {
    if !(0.0..=1.0).contains(&threshold) {
        return Err(AimassError::invalid_parameter(format!(
            "threshold must be between 0 and 1, not {threshold}"
        )));
    }
    let model = &m.model;
    let relation = Relation::describe(relation_oid);
    let target = match target {
        Some(t) => t,
        None if model.target.name.is_empty() => {
            return Err(AimassError::invalid_parameter(format!(
                "the {} model was trained without a target: name the column to compare with",
                model.task().as_str()
            ))
            .with_hint("aimass.evaluate(model_id, relation, target => 'is_fraud')"))
        }
        None => &model.target.name,
    };
    let tcol = relation.column(target)?;
    let (columns, mut extra) = batch::read(model, &relation, &[(target.to_owned(), tcol.read_as)])?;
    let target_column: Column = extra.pop().ok_or_else(|| AimassError::internal("target not read"))?;
    // An anomaly model trained without labels is measured against any binary column.
    let encoding = match model.task() {
        Task::Anomaly if model.target.positive.is_none() => TargetEncoding::unsupervised(
            Task::Anomaly,
            Some(TargetEncoding::infer(&target_column, Some(Task::Binary), None)?),
        ),
        _ => model.target.clone(),
    };
    let labels = encoding.labels(&target_column)?;
    let rows: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i].is_nan()).collect();
    if rows.is_empty() {
        return Err(AimassError::data(format!(
            "relation {} has no rows with a known target",
            relation.sql_name
        )));
    }
    let features: Vec<&Column> = columns.iter().collect();
    let scores = score_rows(model, &features, &rows, crate::gucs::threads())?;
    let y: Vec<f64> = rows.iter().map(|&i| labels[i]).collect();
    let mut out = metrics_json(model.task(), &scores, &y, threshold)?;
    out["model_id"] = json!(m.id);
    out["null_target_rows"] = json!(labels.len() - rows.len());
    // evaluate is STABLE (it cannot write the audit table): its trace is the server log.
    crate::catalog::audit::log_bulk_read(
        "evaluate",
        project,
        m.id,
        &json!({"relation": relation.sql_name, "target": target, "rows": rows.len()}),
    );
    Ok(out)
}
