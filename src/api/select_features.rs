//! `aimass.select_features`: which columns to keep for a scorecard, and why each other one goes.

use pgrx::prelude::*;
use pgrx::PgRelation;

use crate::api::bin::read_and_bin;
use crate::catalog::relation::Relation;
use crate::core::data::ColumnData;
use crate::core::error::{AimassError, Result};
use crate::core::feature_selection::{select, Candidate, Decision};
use crate::core::woe_binning::{BinningOptions, Method};
use crate::error::OrRaise;

/// Kept and dropped columns with the reason for each: NULL fraction above `max_missing`, IV
/// (tree binning, default options) below `min_iv`, or |Pearson r| above `max_correlation` with a
/// numeric column of higher IV.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_unsafe)]
fn select_features(
    relation_name: PgRelation,
    target: &str,
    min_iv: default!(f64, 0.02),
    max_missing: default!(f64, 0.95),
    max_correlation: default!(f64, 0.7),
) -> TableIterator<
    'static,
    (
        name!(column_name, String),
        name!(kept, bool),
        name!(reason, String),
        name!(iv, Option<f64>),
        name!(missing_fraction, f64),
        name!(correlated_with, Option<String>),
        name!(correlation, Option<f64>),
    ),
> {
    let rows = run(relation_name.oid(), target, min_iv, max_missing, max_correlation).or_raise();
    TableIterator::new(rows.into_iter().map(|d| {
        (
            d.name,
            d.kept,
            d.reason,
            Some(d.iv).filter(|v| v.is_finite()),
            d.missing_fraction,
            d.correlated_with,
            d.correlation,
        )
    }))
}

fn run(
    oid: pg_sys::Oid,
    target: &str,
    min_iv: f64,
    max_missing: f64,
    max_correlation: f64,
) -> Result<Vec<Decision>> {
    if !(min_iv >= 0.0 && min_iv.is_finite()) {
        return Err(AimassError::invalid_parameter(format!(
            "min_iv must be a number of at least 0, not {min_iv}"
        )));
    }
    for (name, v) in [("max_missing", max_missing), ("max_correlation", max_correlation)] {
        if !(0.0..=1.0).contains(&v) {
            return Err(AimassError::invalid_parameter(format!("{name} must be between 0 and 1, not {v}")));
        }
    }
    let binned =
        read_and_bin(&Relation::describe(oid), target, None, Method::Tree, &BinningOptions::default())?;
    let candidates: Vec<Candidate> = binned
        .columns
        .iter()
        .zip(&binned.binnings)
        .map(|(c, b)| {
            let missing = c.null_count();
            let values = match &c.data {
                ColumnData::Numeric(v) => Some(v.clone()),
                ColumnData::Categorical { .. } => None,
            };
            Candidate {
                name: c.name.clone(),
                iv: b.as_ref().map_or(0.0, |b| b.iv),
                missing_fraction: missing as f64 / c.len().max(1) as f64,
                values,
            }
        })
        .collect();
    Ok(select(&candidates, min_iv, max_missing, max_correlation))
}
