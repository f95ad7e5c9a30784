//! `aimass.roc_curve`, `aimass.lift_table` and `aimass.calibration_table`: set-returning
//! companions of the metric aggregates over arrays of scores and labels, e.g.
//! `SELECT l.* FROM (SELECT array_agg(p) p, array_agg(bad) y FROM scored) s, aimass.lift_table(s.p, s.y) l`.

use pgrx::prelude::*;

use crate::core::curves;
use crate::core::error::{AimassError, Result};
use crate::error::OrRaise;

/// The (score, label) pairs where neither is NULL nor the score NaN.
fn pairs(scores: Vec<Option<f64>>, labels: Vec<Option<bool>>) -> Result<(Vec<f64>, Vec<bool>)> {
    if scores.len() != labels.len() {
        return Err(AimassError::invalid_parameter(format!(
            "scores and labels have different lengths ({} and {})",
            scores.len(),
            labels.len()
        )));
    }
    let (s, y): (Vec<f64>, Vec<bool>) =
        scores.into_iter().zip(labels).filter_map(|(s, y)| Some((s.filter(|v| !v.is_nan())?, y?))).unzip();
    if !y.contains(&true) || !y.contains(&false) {
        return Err(AimassError::data("the labels hold only one class (or none)")
            .with_detail("Curves and tables need both bad and good rows."));
    }
    Ok((s, y))
}

fn check_buckets(buckets: i32) -> Result<usize> {
    if !(1..=1000).contains(&buckets) {
        return Err(AimassError::invalid_parameter(format!(
            "buckets must be between 1 and 1000, not {buckets}"
        )));
    }
    Ok(buckets as usize)
}

/// The ROC curve: one point per distinct score, from (+∞, 0, 0) to (lowest score, 1, 1).
#[pg_extern(immutable, parallel_safe)]
fn roc_curve(
    scores: Vec<Option<f64>>,
    labels: Vec<Option<bool>>,
) -> TableIterator<'static, (name!(threshold, f64), name!(fpr, f64), name!(tpr, f64))> {
    let (s, y) = pairs(scores, labels).or_raise();
    TableIterator::new(curves::roc_curve(&s, &y).into_iter().map(|p| (p.threshold, p.fpr, p.tpr)))
}

/// The gains/lift table by score buckets, riskiest first, with the KS per bucket.
#[allow(clippy::type_complexity)]
#[pg_extern(immutable, parallel_safe)]
fn lift_table(
    scores: Vec<Option<f64>>,
    labels: Vec<Option<bool>>,
    buckets: default!(i32, 10),
) -> TableIterator<
    'static,
    (
        name!(bucket, i32),
        name!(rows, i64),
        name!(min_score, f64),
        name!(max_score, f64),
        name!(bads, i64),
        name!(bad_rate, f64),
        name!(cum_rows, i64),
        name!(cum_bads, i64),
        name!(cum_bad_rate, f64),
        name!(capture_rate, f64),
        name!(cum_good_rate, f64),
        name!(lift, f64),
        name!(cum_lift, f64),
        name!(ks, f64),
    ),
> {
    let b = check_buckets(buckets).or_raise();
    let (s, y) = pairs(scores, labels).or_raise();
    TableIterator::new(curves::lift_table(&s, &y, b).into_iter().map(|r| {
        (
            r.bucket as i32,
            r.rows as i64,
            r.min_score,
            r.max_score,
            r.bads as i64,
            r.bad_rate,
            r.cum_rows as i64,
            r.cum_bads as i64,
            r.cum_bad_rate,
            r.capture_rate,
            r.cum_good_rate,
            r.lift,
            r.cum_lift,
            r.ks,
        )
    }))
}

/// The calibration table: predicted probability against the observed bad rate, by buckets of
/// equal size from the lowest probabilities up.
#[allow(clippy::type_complexity)]
#[pg_extern(immutable, parallel_safe)]
fn calibration_table(
    p: Vec<Option<f64>>,
    labels: Vec<Option<bool>>,
    buckets: default!(i32, 10),
) -> TableIterator<
    'static,
    (
        name!(bucket, i32),
        name!(rows, i64),
        name!(min_predicted, f64),
        name!(max_predicted, f64),
        name!(mean_predicted, f64),
        name!(observed_rate, f64),
    ),
> {
    let b = check_buckets(buckets).or_raise();
    let (s, y) = pairs(p, labels).or_raise();
    TableIterator::new(curves::calibration_table(&s, &y, b).into_iter().map(|r| {
        (r.bucket as i32, r.rows as i64, r.min_predicted, r.max_predicted, r.mean_predicted, r.observed_rate)
    }))
}
