//! The features' drift reference of a training on a distributed table: each raw feature's
//! histogram over the training rows in its decile bins, as the single-node training keeps it
//! (`drift::Reference::numeric`), without the rows. The deciles are exact order statistics from
//! the workers' bucket counts ([`super::order_statistics`]), the histogram one pushed-down
//! `GROUP BY` of every feature's bin (up to [`VALUES_AT_MOST`] features a scan); the coordinator
//! receives counts.

use std::cell::RefCell;

use serde_json::{json, Map, Value};

use super::{float_sql, numbers, order_statistics, value_sql, Sql, Target, Traffic, VALUES_AT_MOST};
use crate::core::binning;
use crate::core::drift::Reference;
use crate::core::error::{AimassError, Result};
use crate::core::stats::quantile_by_rank;
use crate::error::OrRaise;

/// Each feature's reference by name, over the training rows.
pub(super) fn features(sql: &Sql, traffic: &RefCell<Traffic>) -> Result<Map<String, Value>> {
    let train = sql.train_rows();
    let xs: Vec<String> = sql.columns.iter().map(|(name, boolean)| value_sql(name, *boolean)).collect();
    let ranges =
        xs.iter().map(|x| format!("count({x})::float8, min({x}), max({x})")).collect::<Vec<_>>().join(", ");
    let first = numbers(&format!("SELECT {ranges} FROM {} WHERE {train}", sql.relation), traffic)?;
    let present: Vec<usize> = (0..xs.len()).map(|k| first[3 * k].unwrap_or(0.0) as usize).collect();
    // The ranks the deciles need, as the single-node quantiles ask for them.
    let mut targets: Vec<Target> = Vec::new();
    for (k, &n) in present.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let (lo, hi) = (first[3 * k + 1].unwrap_or(0.0), first[3 * k + 2].unwrap_or(0.0));
        binning::decile_edges_by_rank(n, |rank| {
            if !targets.iter().any(|t| t.k == k && t.wanted == rank) {
                targets.push(Target::new(k, rank, lo, hi));
            }
            0.0
        });
    }
    let values = order_statistics(sql, &xs, &mut targets, traffic)?;
    let edges: Vec<Vec<f64>> = present
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            let at = |rank: usize| {
                values
                    .iter()
                    .find(|(tk, tr, _)| *tk == k && *tr == rank)
                    .map(|(_, _, v)| *v)
                    .ok_or_else(|| AimassError::internal("an order statistic was not found"))
            };
            // As binning::decile_edges_by_rank, whose ranks were asked for above.
            let mut e = Vec::with_capacity(9);
            for d in 1..10 {
                if n > 0 {
                    e.push(quantile_by_rank(n, d as f64 / 10.0, &at)?);
                }
            }
            e.dedup();
            Ok(e)
        })
        .collect::<Result<_>>()?;
    let mut counts: Vec<Vec<f64>> = edges.iter().map(|e| vec![0.0; binning::bin_count(e)]).collect();
    let mut received = 0u64;
    let features: Vec<usize> = (0..xs.len()).collect();
    for chunk in features.chunks(VALUES_AT_MOST) {
        let bins = chunk
            .iter()
            .map(|&k| {
                let e: Vec<String> = edges[k].iter().map(|&v| float_sql(v)).collect();
                let x = &xs[k];
                format!(
                    "({k}, CASE WHEN {x} IS NULL THEN -1 ELSE width_bucket({x}, ARRAY[{}]::float8[]) END)",
                    e.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let query = format!(
            "SELECT u.k, u.b, count(*) FROM {} t CROSS JOIN LATERAL (VALUES {bins}) AS u(k, b)
              WHERE {train} GROUP BY 1, 2",
            sql.relation
        );
        pgrx::Spi::connect(|c| {
            for row in c.select(&query, None, &[])? {
                let (k, b, n) = (row.get::<i32>(1)?, row.get::<i32>(2)?, row.get::<i64>(3)?);
                received += 1;
                let Some(of) = k.and_then(|k| counts.get_mut(k as usize)) else { continue };
                let null = of.len() - 1;
                let at = match b {
                    Some(b) if b >= 0 => (b as usize).min(null),
                    _ => null,
                };
                of[at] += n.unwrap_or(0) as f64;
            }
            Ok::<_, pgrx::spi::Error>(())
        })
        .or_raise();
        traffic.borrow_mut().queries += 1;
    }
    traffic.borrow_mut().bytes += 16 * received;
    Ok(sql
        .columns
        .iter()
        .zip(edges.into_iter().zip(counts))
        .map(|((name, _), (edges, counts))| (name.clone(), json!(Reference::Numeric { edges, counts })))
        .collect())
}
