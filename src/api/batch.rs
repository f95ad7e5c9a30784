//! `aimass.predict_batch`: score a whole relation in one columnar pass, for large offline scoring.

use pgrx::prelude::*;
use pgrx::PgRelation;

use crate::catalog::relation::{ReadAs, Relation};
use serde_json::json;

use crate::catalog::{audit, deployments, projects};
use crate::core::data::RawValue;
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::fitting::score_rows;
use crate::error::OrRaise;
use crate::scoring::batch;
use crate::scoring::cache::{self, LoadedModel};

/// Scores every row of `relation_name` with the project's deployed model: `(id, score)` where
/// `id` is the row's integer key from `id_column` and `score` what `predict_proba` (binary) or
/// `predict` (regression) would return for the row.
#[pg_extern(volatile, parallel_unsafe, name = "predict_batch")]
fn predict_batch(
    project_name: &str,
    relation_name: PgRelation,
    id_column: &str,
) -> TableIterator<'static, (name!(id, Option<i64>), name!(score, f64))> {
    let project = projects::get(project_name).or_raise();
    let d = deployments::current_by_project_name(&project.name)
        .ok_or_else(|| deployments::no_deployment(project_name))
        .or_raise();
    let m = cache::by_id(d.model_id).or_raise();
    TableIterator::new(run(&m, Some(&project.name), relation_name.oid(), id_column).or_raise())
}

/// Scores every row of `relation_name` with a model given by id.
#[pg_extern(volatile, parallel_unsafe, name = "predict_batch")]
fn predict_batch_model(
    model_id: i64,
    relation_name: PgRelation,
    id_column: &str,
) -> TableIterator<'static, (name!(id, Option<i64>), name!(score, f64))> {
    let m = cache::by_id(model_id).or_raise();
    TableIterator::new(run(&m, None, relation_name.oid(), id_column).or_raise())
}

fn run(
    m: &LoadedModel,
    project: Option<&str>,
    relation_oid: pg_sys::Oid,
    id_column: &str,
) -> Result<Vec<(Option<i64>, f64)>> {
    let relation = Relation::describe(relation_oid);
    let id = relation.column(id_column)?;
    if !matches!(id.type_name.as_str(), "smallint" | "integer" | "bigint") {
        return Err(AimassError::new(
            ErrorKind::DatatypeMismatch,
            format!("id_column \"{id_column}\" has type {}; it must be an integer column", id.type_name),
        ));
    }
    let (features, mut extra) = batch::read(&m.model, &relation, &[(id_column.to_owned(), ReadAs::Text)])?;
    let ids = extra.pop().ok_or_else(|| AimassError::internal("id column not read"))?;
    let refs: Vec<_> = features.iter().collect();
    let rows: Vec<usize> = (0..ids.len()).collect();
    let scores = score_rows(&m.model, &refs, &rows, crate::gucs::threads())?;
    let arguments = json!({"relation": relation.sql_name, "id_column": id_column, "rows": rows.len()});
    audit::log_bulk_read("predict_batch", project, m.id, &arguments);
    audit::record(audit::Action::PredictBatch, project, Some(m.id), arguments);
    Ok(rows
        .iter()
        .zip(scores)
        .map(|(&i, s)| {
            let id = match ids.raw(i) {
                RawValue::Text(t) => t.parse().ok(),
                _ => None,
            };
            (id, s)
        })
        .collect())
}
