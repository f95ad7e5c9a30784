//! `aimass.bin`: supervised binning of columns against a binary target, with WOE and IV per bin;
//! the result is stored in `aimass.binnings`.

use pgrx::prelude::*;
use pgrx::PgRelation;

use crate::catalog::binnings;
use crate::catalog::relation::{ReadAs, Relation};
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
    oid: pg_sys::Oid,
    target: &str,
    columns: Option<Vec<String>>,
    method: Method,
    options: &BinningOptions,
) -> Result<Binned> {
    let relation = Relation::describe(oid);
    let (mut wanted, named) = wanted_columns(&relation, target, columns, options)?;
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

/// [`read_and_bin`]'s binnings on a Citus distributed table, from what the workers send: per
/// numeric or boolean column its distinct values with their bads and goods (the
/// `aimass._value_counts` aggregate, pushed down and combined), per text column its categories'
/// counts (a pushed-down GROUP BY). The coordinator lists each column's (value, label) rows again
/// from the counts and bins them as on one node, so the bins are the local copy's; what moves
/// grows with the distinct values, not the rows.
fn bin_on_the_workers(
    oid: pg_sys::Oid,
    target: &str,
    columns: Option<Vec<String>>,
    method: Method,
    options: &BinningOptions,
) -> Result<Vec<Option<ColumnBinning>>> {
    use pgrx::spi::quote_identifier;
    let relation = Relation::describe(oid);
    let (wanted, named) = wanted_columns(&relation, target, columns, options)?;
    let how = relation.column(target)?.read_as;
    let encoding =
        crate::api::train::distributed::infer_target(&relation, target, how, Some(Task::Binary), None)?;
    let y = crate::api::train::distributed::label_sql(
        target,
        how,
        encoding.positive.as_deref().unwrap_or_default(),
    );
    let mut out = Vec::with_capacity(wanted.len());
    for (name, read_as) in &wanted {
        let c = quote_identifier(name);
        let (mut values, mut labels) = (Vec::new(), Vec::new());
        let column = if *read_as == ReadAs::Feature(ColumnKind::Categorical) {
            let query = format!(
                "SELECT {c}::text, count(*) FILTER (WHERE {y} = 1), count(*) FILTER (WHERE {y} = 0)
                   FROM {} WHERE {y} IS NOT NULL GROUP BY 1 ORDER BY 1",
                relation.sql_name
            );
            let mut col = crate::core::data::ColumnBuilder::new(name.as_str(), ColumnKind::Categorical);
            pgrx::Spi::connect(|client| {
                for row in client.select(&query, None, &[])? {
                    let value = row.get::<String>(1)?;
                    for (label, n) in [(1.0, row.get::<i64>(2)?), (0.0, row.get::<i64>(3)?)] {
                        for _ in 0..n.unwrap_or(0) {
                            col.push_text(value.as_deref());
                            labels.push(label);
                        }
                    }
                }
                Ok::<_, pgrx::spi::Error>(())
            })
            .map_err(|e| AimassError::internal(format!("bin on the workers: {e}")))?;
            col.finish()
        } else {
            let x = if *read_as == ReadAs::Feature(ColumnKind::Boolean) {
                format!("{c}::int::float8")
            } else {
                format!("{c}::float8")
            };
            let state = pgrx::Spi::get_one::<Vec<u8>>(&format!(
                "SELECT aimass._value_counts({x}, {y} = 1) FROM {}",
                relation.sql_name
            ))
            .map_err(|e| AimassError::internal(format!("bin on the workers: {e}")))?;
            let counts = state
                .map(|s| crate::core::counted_values::growing::read(&s))
                .transpose()?
                .unwrap_or_default();
            crate::core::memory::reserve(
                counts.rows() as u128 * 16,
                "the values of a distributed column to bin",
                "Bin fewer rows.",
            )?;
            counts.list_rows(&mut values, &mut labels);
            let kind = match read_as {
                ReadAs::Feature(k) => *k,
                _ => ColumnKind::Numeric,
            };
            let mut col = crate::core::data::ColumnBuilder::new(name.as_str(), kind);
            for &v in &values {
                col.push_number((!v.is_nan()).then_some(v))?;
            }
            col.finish()
        };
        crate::core::interrupt::check()?;
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
    let binnings = match crate::catalog::citus::placement(oid) {
        crate::catalog::citus::Placement::Distributed { .. } => {
            bin_on_the_workers(oid, target, columns, method_v, &options)?
        }
        _ => read_and_bin(oid, target, columns, method_v, &options)?.binnings,
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
