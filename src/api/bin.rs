//! `aimass.bin`: supervised binning of columns against a binary target, with WOE and IV per bin;
//! the result is stored in `aimass.binnings`.

use pgrx::prelude::*;
use pgrx::PgRelation;

use crate::catalog::relation::{ReadAs, Relation};
use crate::catalog::{binnings, counted_columns};
use crate::core::data::{Column, ColumnData, ColumnKind};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::task::{TargetEncoding, Task};
use crate::core::woe_binning::{self, BinKind, BinningOptions, ColumnBinning, Method};
use crate::error::{notice, required, OrRaise};
use crate::json_arg::JsonArg;

type BinRow = (
    i64,
    String,
    i32,
    String,
    Option<f64>,
    Option<f64>,
    Option<Vec<String>>,
    Option<f64>,
    i64,
    i64,
    i64,
    f64,
    f64,
    f64,
    f64,
);

/// Bins `columns` (default: every numeric, boolean and text column but the target) of
/// `relation_name` against the binary `target`; one row per bin.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe)]
fn bin(
    relation_name: Option<PgRelation>,
    target: Option<&str>,
    columns: default!(Option<Vec<Option<String>>>, "NULL"),
    method: default!(Option<&str>, "'tree'"),
    options: default!(Option<JsonArg>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(binning_id, i64),
        name!(column_name, String),
        name!(bin, i32),
        name!(label, String),
        name!(lower, Option<f64>),
        name!(upper, Option<f64>),
        name!(categories, Option<Vec<String>>),
        name!(special, Option<f64>),
        name!(count, i64),
        name!(bads, i64),
        name!(goods, i64),
        name!(bad_rate, f64),
        name!(woe, f64),
        name!(iv, f64),
        name!(total_iv, f64),
    ),
> {
    let relation_name = required(relation_name, "relation_name");
    let options = required(options, "options").value("options");
    let columns =
        columns.map(|c| c.into_iter().map(|n| required(n, "columns (an element)")).collect::<Vec<String>>());
    TableIterator::new(
        run(relation_name.oid(), required(target, "target"), columns, required(method, "method"), &options)
            .or_raise(),
    )
}

/// The columns read for binning, the labels, and each column's binning (`None` for a column with
/// fewer than two distinct values, skipped with a NOTICE when it was not named).
pub(crate) struct Binned {
    pub columns: Vec<Column>,
    pub binnings: Vec<Option<ColumnBinning>>,
}

pub(crate) fn read_and_bin(
    relation: &Relation,
    target: &str,
    columns: Option<Vec<String>>,
    method: Method,
    options: &BinningOptions,
) -> Result<Binned> {
    let (mut wanted, named) = wanted_columns(relation, target, columns, options)?;
    wanted.push((target.to_owned(), relation.column(target)?.read_as));
    let mut read = relation.read(&wanted)?;
    let tcolumn = read.pop().ok_or_else(|| AimassError::internal("target not read"))?;
    let labels = TargetEncoding::infer(&tcolumn, Some(Task::Binary), None)?.labels(&tcolumn)?;
    let binnings = read
        .iter()
        .map(|col| bin_column(col, &labels, named, method, options))
        .collect::<Result<Vec<_>>>()?;
    Ok(Binned { columns: read, binnings })
}

/// The columns to bin (named, or every feature column but the target), checked, and whether
/// they were named.
fn wanted_columns(
    relation: &Relation,
    target: &str,
    columns: Option<Vec<String>>,
    options: &BinningOptions,
) -> Result<(Vec<(String, ReadAs)>, bool)> {
    let named = columns.is_some();
    let names: Vec<String> = match columns {
        Some(c) if c.is_empty() => {
            return Err(AimassError::invalid_parameter("columns must name at least one column"))
        }
        Some(c) => c,
        None => relation
            .columns
            .iter()
            .filter(|c| c.name != target && matches!(c.read_as, ReadAs::Feature(_)))
            .map(|c| c.name.clone())
            .collect(),
    };
    for n in options.breaks.keys() {
        if !names.contains(n) {
            return Err(AimassError::invalid_parameter(format!(
                "binning breaks name \"{n}\", which is not binned"
            )));
        }
    }
    let mut wanted = Vec::new();
    for n in &names {
        let c = relation.column(n)?;
        if n == target {
            return Err(AimassError::invalid_parameter(format!("the target \"{n}\" cannot also be binned")));
        }
        let ReadAs::Feature(_) = c.read_as else {
            return Err(AimassError::new(
                ErrorKind::DatatypeMismatch,
                format!("column \"{n}\" has type {}, which cannot be binned", c.type_name),
            ));
        };
        wanted.push((n.clone(), c.read_as));
    }
    relation.column(target)?;
    Ok((wanted, named))
}

/// One column's binning against `labels` (0/1, NaN unknown, one a row); `None` for a column with
/// fewer than two distinct values, skipped with a NOTICE when it was not named.
fn bin_column(
    col: &Column,
    labels: &[f64],
    named: bool,
    method: Method,
    options: &BinningOptions,
) -> Result<Option<ColumnBinning>> {
    let present = col.distinct_present();
    if present < 2 {
        let what = if present == 0 { "only NULL values" } else { "a single value" };
        if named {
            return Err(AimassError::data(format!(
                "column \"{}\" has {what}; there is nothing to bin",
                col.name
            )));
        }
        notice(format!("aimass: column \"{}\" has {what} and is not binned", col.name));
        return Ok(None);
    }
    Ok(Some(match (&col.data, col.kind) {
        (ColumnData::Numeric(v), _) => woe_binning::bin_numeric(&col.name, v, labels, method, options)?,
        (ColumnData::Categorical { .. }, ColumnKind::Categorical) => {
            let values = col.text_values().unwrap_or_default();
            woe_binning::bin_categorical(&col.name, &values, labels, method, options)?
        }
        _ => return Err(AimassError::internal("unexpected column kind")),
    }))
}

/// [`read_and_bin`]'s binnings on a Citus distributed table, from each column's counts by label
/// sent by the workers ([`counted_columns`]): the coordinator bins the rows listed again from the
/// counts as on one node, so the bins are the local copy's; what moves grows with the distinct
/// values, not the rows.
fn bin_on_the_workers(
    relation: &Relation,
    target: &str,
    columns: Option<Vec<String>>,
    method: Method,
    options: &BinningOptions,
) -> Result<Vec<Option<ColumnBinning>>> {
    let (wanted, named) = wanted_columns(relation, target, columns, options)?;
    let y = crate::api::train::distributed::binary_label_sql(relation, target)?;

    let mut out = Vec::with_capacity(wanted.len());
    for (name, read_as) in &wanted {
        let (column, labels) = counted_columns::listed(relation, name, *read_as, Some(&y), false)?;
        out.push(bin_column(&column, &labels, named, method, options)?);
    }
    Ok(out)
}

fn run(
    oid: pg_sys::Oid,
    target: &str,
    columns: Option<Vec<String>>,
    method: &str,
    options_json: &serde_json::Value,
) -> Result<Vec<BinRow>> {
    let method_v = Method::parse(method)?;
    let options = BinningOptions::from_json(options_json)?;
    let relation = Relation::describe(oid);
    let binnings = if counted_columns::is_distributed(&relation) {
        bin_on_the_workers(&relation, target, columns, method_v, &options)?
    } else {
        read_and_bin(&relation, target, columns, method_v, &options)?.binnings
    };
    let result: Vec<ColumnBinning> = binnings.into_iter().flatten().collect();
    if result.is_empty() {
        return Err(AimassError::data("no column could be binned"));
    }
    let id = binnings::insert(&relation.sql_name, target, method, options_json, &result)?;
    let mut rows = Vec::new();
    for cb in &result {
        for (i, b) in cb.bins.iter().enumerate() {
            let (lower, upper, cats, special) = match &b.kind {
                BinKind::Range { lower, upper } => (*lower, *upper, None, None),
                BinKind::Special { value } => (None, None, None, Some(*value)),
                BinKind::Categories { values } => (None, None, Some(values.clone()), None),
                BinKind::Missing => (None, None, None, None),
            };
            rows.push((
                id,
                cb.column.clone(),
                i as i32 + 1,
                b.label(),
                lower,
                upper,
                cats,
                special,
                b.count as i64,
                b.bads as i64,
                b.goods as i64,
                b.bad_rate(),
                b.woe,
                b.iv,
                cb.iv,
            ));
        }
    }
    Ok(rows)
}
