//! `aimass.evaluate`: metrics of a model on any labelled relation, scored row by row through the
//! same path as inline `predict_proba`. On a Citus distributed table a binary model's metrics come
//! from the workers: each scores its shards' rows and sends the counts of its distinct scores by
//! label (the `aimass._value_counts` aggregate, which Citus pushes down and combines), not the
//! rows.

use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::json;

use crate::catalog::citus::{self, Placement};
use crate::catalog::relation::{ReadAs, Relation};
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
    if model.task() == Task::Binary {
        // The workers score with the model they read from the catalog: only once it is on every
        // node; before, the rows are read here as for a local table.
        if let Placement::Distributed { .. } = citus::placement(relation_oid) {
            if citus::catalog_distributed() {
                return on_the_workers(m, project, &relation, target, tcol.read_as, threshold);
            }
        }
    }
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

/// [`run`] for a binary model on a distributed table: the scores' counts by label from the
/// workers, the metrics from the counts (AUC, KS and the confusion matrix equal the local
/// copy's bit for bit; log loss and Brier to rounding).
fn on_the_workers(
    m: &LoadedModel,
    project: Option<&str>,
    relation: &Relation,
    target: &str,
    target_read_as: ReadAs,
    threshold: f64,
) -> Result<serde_json::Value> {
    let positive = m.model.target.positive.clone().unwrap_or_default();
    let y = crate::api::train::distributed::label_sql(target, target_read_as, &positive);
    let query = format!(
        "SELECT aimass._value_counts(aimass.predict_proba({}::bigint, t), {y} = 1),
                count(*) FILTER (WHERE {y} IS NULL)
           FROM {} t",
        m.id, relation.sql_name
    );
    let (state, null_rows) = pgrx::Spi::connect(|c| {
        let row = c.select(&query, Some(1), &[])?.first();
        Ok::<_, pgrx::spi::Error>((row.get::<Vec<u8>>(1)?, row.get::<i64>(2)?.unwrap_or(0)))
    })
    .map_err(|e| AimassError::internal(format!("evaluate on the workers: {e}")))?;
    let counts =
        state.map(|s| crate::core::counted_values::growing::read(&s)).transpose()?.unwrap_or_default();
    if counts.values.is_empty() {
        return Err(AimassError::data(format!(
            "relation {} has no rows with a known target",
            relation.sql_name
        )));
    }
    let metrics = crate::core::metrics::binary_of_counts(&counts.values, &counts.counts, threshold);
    let mut out = serde_json::to_value(&metrics)
        .map_err(|e| AimassError::internal(format!("cannot encode metrics: {e}")))?;
    out["model_id"] = json!(m.id);
    out["null_target_rows"] = json!(null_rows);
    out["distributed"] = json!({
        "engine": "citus",
        "distinct_scores": counts.values.len(),
        "note": "each worker scored its shards and sent its scores' counts by label",
    });
    crate::catalog::audit::log_bulk_read(
        "evaluate",
        project,
        m.id,
        &json!({"relation": relation.sql_name, "target": target, "rows": metrics.rows}),
    );
    Ok(out)
}
