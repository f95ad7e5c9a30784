//! `aimass.profile`: one row per column of a relation with its data-quality figures and, given a
//! binary target, its univariate IV and AUC.

use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::{json, Map, Value};

use crate::catalog::relation::{ReadAs, Relation};
use crate::core::error::{AimassError, Result};
use crate::core::profile::{self, ColumnProfile, QUANTILES};
use crate::core::task::{TargetEncoding, Task};
use crate::error::{required, OrRaise};

type ProfileRow = (
    String,
    String,
    i64,
    i64,
    Option<f64>,
    i64,
    i64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<JsonB>,
    Option<i64>,
    Option<i64>,
    Option<JsonB>,
    Option<f64>,
    Option<f64>,
);

/// Profiles every column of `relation_name`. See the README's "Data quality" section.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_unsafe)]
fn profile(
    relation_name: Option<PgRelation>,
    target: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(column_name, String),
        name!(data_type, String),
        name!(rows, i64),
        name!(nulls, i64),
        name!(null_fraction, Option<f64>),
        name!(non_finite, i64),
        name!(distinct_values, i64),
        name!(min, Option<f64>),
        name!(max, Option<f64>),
        name!(mean, Option<f64>),
        name!(stddev, Option<f64>),
        name!(quantiles, Option<JsonB>),
        name!(outliers_iqr, Option<i64>),
        name!(zeros, Option<i64>),
        name!(top_values, Option<JsonB>),
        name!(iv, Option<f64>),
        name!(auc, Option<f64>),
    ),
> {
    TableIterator::new(run(required(relation_name, "relation_name").oid(), target).or_raise())
}

fn run(oid: pg_sys::Oid, target: Option<&str>) -> Result<Vec<ProfileRow>> {
    let relation = Relation::describe(oid);
    if let Some(t) = target {
        let c = relation.column(t)?;
        if !matches!(c.read_as, ReadAs::Feature(_)) {
            return Err(AimassError::new(
                crate::core::error::ErrorKind::DatatypeMismatch,
                format!("target \"{t}\" has type {}, which cannot be a binary target", c.type_name),
            ));
        }
    }
    let wanted: Vec<(String, ReadAs)> = relation
        .columns
        .iter()
        .map(|c| {
            let how = match c.read_as {
                ReadAs::Feature(k) => ReadAs::Feature(k),
                _ => ReadAs::Text,
            };
            (c.name.clone(), how)
        })
        .collect();
    if wanted.is_empty() {
        return Err(AimassError::invalid_parameter(format!("relation {} has no columns", relation.sql_name)));
    }
    if crate::catalog::counted_columns::is_distributed(&relation) {
        return on_the_workers(&relation, &wanted, target);
    }
    let columns = relation.read_lenient(&wanted)?;
    let labels = match target {
        Some(t) => {
            let col = columns
                .iter()
                .find(|c| c.name == t)
                .ok_or_else(|| AimassError::internal("target not read"))?;
            let enc = TargetEncoding::infer(col, Some(Task::Binary), None)?;
            Some(enc.labels(col)?)
        }
        None => None,
    };
    let (with_target, target_col): (Vec<_>, Vec<_>) =
        columns.iter().enumerate().partition(|(_, c)| Some(c.name.as_str()) != target);
    let threads = crate::gucs::threads();
    let refs: Vec<_> = with_target.iter().map(|(_, c)| *c).collect();
    let mut profiles: Vec<(usize, ColumnProfile)> = with_target
        .iter()
        .map(|(i, _)| *i)
        .zip(profile::profile(&refs, labels.as_deref(), threads))
        .collect();
    for (i, c) in target_col {
        profiles.push((i, profile::profile_column(c, None)));
    }
    profiles.sort_by_key(|(i, _)| *i);
    Ok(profiles.into_iter().map(|(i, p)| row(p, &relation.columns[i].type_name)).collect())
}

/// [`run`] on a Citus distributed table: each column's figures from its counts by value and label
/// sent by the workers ([`crate::catalog::counted_columns`]), profiled on the coordinator as on
/// one node, so the figures are the local copy's (means and deviations to rounding: their sums
/// are added in another order); what moves grows with each column's distinct values.
fn on_the_workers(
    relation: &Relation,
    wanted: &[(String, ReadAs)],
    target: Option<&str>,
) -> Result<Vec<ProfileRow>> {
    let label = target.map(|t| crate::api::train::distributed::binary_label_sql(relation, t)).transpose()?;
    let mut rows = Vec::with_capacity(wanted.len());
    for (i, (name, how)) in wanted.iter().enumerate() {
        let is_target = Some(name.as_str()) == target;
        let y = if is_target { None } else { label.as_deref() };
        let (column, labels) = crate::catalog::counted_columns::listed(relation, name, *how, y, true)?;
        let p = profile::profile_column(&column, y.map(|_| labels.as_slice()));
        rows.push(row(p, &relation.columns[i].type_name));
    }
    Ok(rows)
}

fn row(p: ColumnProfile, data_type: &str) -> ProfileRow {
    let quantiles = p.quantiles.map(|q| {
        let m: Map<String, Value> =
            QUANTILES.iter().zip(q).map(|(f, v)| (format!("p{}", (f * 100.0).round()), json!(v))).collect();
        JsonB(Value::Object(m))
    });
    let top = p
        .top_values
        .map(|t| JsonB(Value::Array(t.into_iter().map(|(v, n)| json!({"value": v, "count": n})).collect())));
    (
        p.name,
        data_type.to_owned(),
        p.rows as i64,
        p.nulls as i64,
        (p.rows > 0).then(|| p.nulls as f64 / p.rows as f64),
        p.non_finite as i64,
        p.distinct as i64,
        p.min,
        p.max,
        p.mean,
        p.stddev,
        quantiles,
        p.outliers_iqr.map(|n| n as i64),
        p.zeros.map(|n| n as i64),
        top,
        p.iv,
        p.auc,
    )
}
