//! A column of a Citus distributed table read as counts: each worker counts its shards' rows by
//! distinct value and label, Citus combines the counts on the coordinator, and the coordinator
//! lists the (value, label) rows again from them. What moves grows with the distinct values, not
//! the rows; the listed rows are the column's own in another order, so whatever depends only on
//! a column's values and their labels (binning, a profile's figures, IV and AUC) comes out as on
//! a local copy. The coordinator holds one listed column at a time (memory O(rows)).
//!
//! Numbers, booleans and times are counted by `aimass._value_counts` (pushed down with its bytea
//! state), text (and any other type, by its text form) by a pushed-down `GROUP BY`.

use crate::catalog::relation::{read_expr, ReadAs, Relation};
use crate::core::counted_values::{growing, ValueCounts};
use crate::core::data::{Column, ColumnBuilder, ColumnKind};
use crate::core::error::{AimassError, Result};

/// Column `name` of `relation` read as `how`, listed from the workers' counts, with each row's
/// label: 1 or 0 from `label` (SQL that is 1, 0 or NULL per row), NaN where it is NULL or there
/// is no label. Lenient as `Relation::read_lenient` (a NaN or infinite number is counted as
/// non-finite) or strict as `Relation::read` (an error).
pub fn listed(
    relation: &Relation,
    name: &str,
    how: ReadAs,
    label: Option<&str>,
    lenient: bool,
) -> Result<(Column, Vec<f64>)> {
    let (expr, kind) = read_expr(name, how)?;
    let y = label.unwrap_or("NULL::float8");
    let builder = if lenient { ColumnBuilder::lenient(name, kind) } else { ColumnBuilder::new(name, kind) };
    let out = if kind == ColumnKind::Categorical {
        categories(relation, builder, &expr, y)?
    } else {
        numbers(relation, builder, &expr, y)?
    };
    crate::core::interrupt::check()?;
    Ok(out)
}

fn spi_error(e: pgrx::spi::Error) -> AimassError {
    AimassError::internal(format!("reading a distributed column's counts: {e}"))
}

/// Two counts of the values: by label over the labelled rows, and the unlabelled rows' (the
/// labelled ones only count, as NULL values, there). A NaN becomes Infinity on the workers, so
/// that it is non-finite here as it is when read (the counts take NaN for NULL).
fn numbers(
    relation: &Relation,
    mut builder: ColumnBuilder,
    expr: &str,
    y: &str,
) -> Result<(Column, Vec<f64>)> {
    let x = format!("(CASE WHEN {expr} = 'NaN'::float8 THEN 'Infinity'::float8 ELSE {expr} END)");
    let query = format!(
        "SELECT aimass._value_counts({x}, {y} = 1),
                aimass._value_counts(CASE WHEN {y} IS NULL THEN {x} ELSE 'NaN'::float8 END, {y} IS NULL)
           FROM {} t",
        relation.sql_name
    );
    let (labelled, unlabelled) = pgrx::Spi::connect(|c| {
        let row = c.select(&query, Some(1), &[])?.first();
        Ok::<_, pgrx::spi::Error>((row.get::<Vec<u8>>(1)?, row.get::<Vec<u8>>(2)?))
    })
    .map_err(spi_error)?;
    let read = |s: Option<Vec<u8>>| s.map(|s| growing::read(&s)).transpose().map(Option::unwrap_or_default);
    let (labelled, unlabelled) = (read(labelled)?, read(unlabelled)?);
    // The unlabelled rows: flag true (the labelled ones are NULLs with flag false).
    let unlabelled = ValueCounts {
        counts: unlabelled.counts.iter().map(|c| [0, c[1]]).collect(),
        values: unlabelled.values,
        missing: [0, unlabelled.missing[1]],
    };
    let rows = labelled.rows() + unlabelled.rows();
    crate::core::memory::reserve(
        rows as u128 * 16,
        "a distributed column listed from its counts",
        "Read fewer rows.",
    )?;
    let (mut values, mut labels) = (Vec::new(), Vec::new());
    labelled.list_rows(&mut values, &mut labels);
    let first = labels.len();
    unlabelled.list_rows(&mut values, &mut labels);
    labels[first..].fill(f64::NAN);
    for &v in &values {
        builder.push_number((!v.is_nan()).then_some(v))?;
    }
    Ok((builder.finish(), labels))
}

/// The categories' rows by label (1, 0, none), from a pushed-down GROUP BY.
fn categories(
    relation: &Relation,
    mut builder: ColumnBuilder,
    expr: &str,
    y: &str,
) -> Result<(Column, Vec<f64>)> {
    let query = format!(
        "SELECT {expr}, count(*) FILTER (WHERE {y} = 1), count(*) FILTER (WHERE {y} = 0),
                count(*) FILTER (WHERE {y} IS NULL)
           FROM {} t GROUP BY 1 ORDER BY 1",
        relation.sql_name
    );
    let mut labels = Vec::new();
    pgrx::Spi::connect(|c| {
        for row in c.select(&query, None, &[])? {
            let value = row.get::<String>(1)?;
            for (label, at) in [(1.0, 2), (0.0, 3), (f64::NAN, 4)] {
                for _ in 0..row.get::<i64>(at)?.unwrap_or(0) {
                    builder.push_text(value.as_deref());
                    labels.push(label);
                }
            }
        }
        Ok::<_, pgrx::spi::Error>(())
    })
    .map_err(spi_error)?;
    Ok((builder.finish(), labels))
}

/// Whether the relation is a Citus distributed table (read it with [`listed`]).
pub fn is_distributed(relation: &Relation) -> bool {
    matches!(
        crate::catalog::citus::placement(relation.oid),
        crate::catalog::citus::Placement::Distributed { .. }
    )
}
