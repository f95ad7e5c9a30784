//! A monitor's check of a Citus distributed table from the workers' counts (issue 19). Each
//! worker counts its shards' rows of the window in the reference's bins, feature by feature (a
//! GROUP BY on the bin, which Citus pushes down and whose counts it adds), scores its rows in the
//! shard queries (`aimass._drift_score`, NaN and infinities read as missing as the check reads
//! them) and counts the scores in the score's bins; for performance it sends its labelled rows'
//! scores counted by label (`aimass._value_counts`, pushed down with its bytea state). What
//! reaches the coordinator is a count per bin and feature (per category of a text feature) and
//! the counts of the distinct labelled scores, never the rows.
//!
//! The findings are those of the same check of a local copy of the window's rows: every
//! statistic is of whole-number counts, which add up the same in any order. Every row of the
//! window is counted: `sample_rows`, which bounds what a check of a local table reads, does not
//! apply.

use pgrx::spi::quote_identifier;

use crate::catalog::relation::{read_expr, Relation};
use crate::core::data::ColumnKind;
use crate::core::drift::Reference;
use crate::core::error::{AimassError, Result};
use crate::core::model::Model;
use crate::core::monitoring::{feature_reference, ModelReference};
use crate::scoring::batch::feature_read_as;

/// The window's rows counted per feature in the reference's bins.
pub struct FeatureCounts {
    pub rows: i64,
    /// Per raw feature, in the model's order: its name, its counts, its NaN and infinite values.
    pub features: Vec<(String, Vec<f64>, usize)>,
}

fn spi_error(e: pgrx::spi::Error) -> AimassError {
    AimassError::internal(format!("monitoring a distributed table: {e}"))
}

/// `(bin, rows)` of a pushed-down `SELECT bin, count(*) … GROUP BY 1` (a NULL bin as `None`).
fn grouped_numbers(query: &str) -> Result<Vec<(Option<i64>, i64)>> {
    pgrx::Spi::connect(|c| {
        let mut out = Vec::new();
        for row in c.select(query, None, &[])? {
            out.push((row.get::<i32>(1)?.map(i64::from), row.get::<i64>(2)?.unwrap_or(0)));
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .map_err(spi_error)
}

/// Numbers counted in the bins of `edges` (as `binning::bin_of`): NULL, NaN and ±Infinity in
/// the NULL bin after them, and how many were NaN or infinite.
fn count_numbers(relation: &Relation, filter: &str, expr: &str, edges: &[f64]) -> Result<(Vec<f64>, usize)> {
    const NON_FINITE: i32 = -1;
    let null = edges.len() + 1;
    let query = format!(
        "SELECT CASE WHEN {expr} IS NULL THEN {null}
                     WHEN {expr} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) THEN {NON_FINITE}
                     ELSE width_bucket({expr}, {}) END, count(*)
           FROM {} t {filter} GROUP BY 1",
        float8_array(edges),
        relation.sql_name
    );
    let mut counts = vec![0.0; crate::core::binning::bin_count(edges)];
    let mut non_finite = 0usize;
    for (bin, n) in grouped_numbers(&query)? {
        let at = match bin {
            Some(b) if b == NON_FINITE as i64 => {
                non_finite += n as usize;
                null
            }
            Some(b) => usize::try_from(b).ok().filter(|&b| b <= null).ok_or_else(|| {
                AimassError::internal(format!("a worker counted bin {b} of {} bins", counts.len()))
            })?,
            None => null,
        };
        counts[at] += n as f64;
    }
    Ok((counts, non_finite))
}

fn float8_array(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|&v| crate::api::train::distributed::float_sql(v)).collect();
    format!("ARRAY[{}]::float8[]", items.join(", "))
}

/// Text counted by category (a pushed-down GROUP BY: one row per distinct category).
fn count_categories(relation: &Relation, filter: &str, expr: &str, r: &Reference) -> Result<Vec<f64>> {
    let query = format!("SELECT {expr}, count(*) FROM {} t {filter} GROUP BY 1", relation.sql_name);
    pgrx::Spi::connect(|c| {
        let rows = c.select(&query, None, &[])?;
        let mut listed: Vec<(Option<String>, f64)> = Vec::with_capacity(rows.len());
        for row in rows {
            listed.push((row.get::<String>(1)?, row.get::<i64>(2)?.unwrap_or(0) as f64));
        }
        Ok::<_, pgrx::spi::Error>(r.count_categories(listed.iter().map(|(c, n)| (c.as_deref(), *n))))
    })
    .map_err(spi_error)
}

/// The window's rows (`filter`: its WHERE clause) counted per raw feature in the reference's
/// bins, as `Reference::count` counts a column read leniently.
pub fn feature_counts(
    model: &Model,
    reference: &ModelReference,
    relation: &Relation,
    filter: &str,
) -> Result<FeatureCounts> {
    let rows = pgrx::Spi::get_one::<i64>(&format!("SELECT count(*) FROM {} t {filter}", relation.sql_name))
        .map_err(spi_error)?
        .unwrap_or(0);
    let mut features = Vec::with_capacity(model.features().len());
    for step in model.features() {
        let name = step.name();
        let r = feature_reference(reference, name)?;
        let (expr, kind) = read_expr(name, feature_read_as(relation, name, step.kind())?)?;
        let (counts, non_finite) = match (r, kind) {
            (Reference::Numeric { edges, .. }, ColumnKind::Numeric | ColumnKind::Boolean) => {
                count_numbers(relation, filter, &expr, edges)?
            }
            (Reference::Categorical { .. }, ColumnKind::Categorical) => {
                (count_categories(relation, filter, &expr, r)?, 0)
            }
            // Values of a kind the reference cannot count: NULL, as a local check counts them.
            _ => (r.all_null(rows as f64), 0),
        };
        crate::core::interrupt::check()?;
        features.push((name.to_owned(), counts, non_finite));
    }
    Ok(FeatureCounts { rows, features })
}

/// The model's scores of the window's rows, scored on the workers, in the score reference's bins.
pub fn score_counts(
    model_id: i64,
    reference: &ModelReference,
    relation: &Relation,
    filter: &str,
) -> Result<Vec<f64>> {
    let Reference::Numeric { edges, .. } = &reference.score else {
        return Err(AimassError::internal("the score's drift reference is not numeric"));
    };
    let score = format!("aimass._drift_score({model_id}::bigint, t)");
    let query = format!(
        "SELECT width_bucket({score}, {}), count(*) FROM {} t {filter} GROUP BY 1",
        float8_array(edges),
        relation.sql_name
    );
    let null = edges.len() + 1;
    let mut counts = vec![0.0; crate::core::binning::bin_count(edges)];
    for (bin, n) in grouped_numbers(&query)? {
        let at = bin.and_then(|b| usize::try_from(b).ok()).unwrap_or(null).min(null);
        counts[at] += n as f64;
    }
    Ok(counts)
}

/// The model's scores of the window's labelled rows, scored on the workers, counted by label
/// (per distinct score, ascending: negatives, positives). `label` is the label column, read as
/// the model reads its target.
pub fn labelled_score_counts(
    model_id: i64,
    model: &Model,
    relation: &Relation,
    filter: &str,
    label: &str,
) -> Result<Vec<[u64; 2]>> {
    let column = relation.column(label)?;
    let positive = model.target.positive.clone().unwrap_or_default();
    let y = crate::api::train::distributed::label_sql(label, column.read_as, &positive);
    let query = format!(
        "SELECT aimass._value_counts(aimass._drift_score({model_id}::bigint, t), {y} = 1)
           FROM {} t {filter} AND {y} IS NOT NULL",
        relation.sql_name
    );
    let state = pgrx::Spi::get_one::<Vec<u8>>(&query).map_err(spi_error)?;
    let counts =
        state.map(|s| crate::core::counted_values::growing::read(&s)).transpose()?.unwrap_or_default();
    Ok(counts.counts)
}

/// Whether a check of `relation` counts on the workers: a distributed table once the catalog
/// (the model the workers score with) is on every node.
pub fn applies(relation: &Relation) -> bool {
    crate::catalog::counted_columns::is_distributed(relation) && crate::catalog::citus::catalog_distributed()
}

/// The WHERE clause of a window over `ts` (every row without one).
pub fn window_filter(ts: Option<&str>, window: Option<&(String, String)>) -> String {
    match (ts, window) {
        (Some(ts), Some((start, end))) => {
            let q = quote_identifier(ts);
            format!(
                "WHERE {q} >= {} AND {q} < {}",
                pgrx::spi::quote_literal(start),
                pgrx::spi::quote_literal(end)
            )
        }
        _ => "WHERE true".to_owned(),
    }
}
