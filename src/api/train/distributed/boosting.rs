//! Gradient boosting on a distributed table by merged histograms (LightGBM's data-parallel
//! mode). Every worker summarizes its training rows' encoded values (`aimass._bin_summary`:
//! distinct values and counts, folded above [`remote::SUMMARY_ENTRIES`]), and the coordinator
//! places the bins from the merged summaries as the single-node fit does from the values. Then
//! each pass of [`remote::boost`] runs `aimass._boost_pass` on every worker over its shards (all
//! workers at once), and the coordinator adds the workers' histograms before it chooses the
//! splits. The training rows stay where they are: what reaches the coordinator is the value
//! summaries and, per pass and worker, the histograms asked for (their non-empty cells).
//!
//! Limits, measured and not yet lifted: each pass is a fresh connection per worker that keeps
//! nothing, so it sends the finished trees along and a worker scores its rows with all of them
//! again: a worker's work over a training grows with rows × trees². Early stopping and class
//! weights are refused.

use std::cell::RefCell;

use pgrx::prelude::*;
use serde_json::{json, Value};

use super::{
    call_with_spec, decoded_once, float_sql, numbers, on_every_shard, unsupported, Decoded, Per, Sql, Traffic,
};
use crate::catalog::relation::Relation;
use crate::core::algorithms::gradient_boosting::{self, GradientBoosting};
use crate::core::algorithms::histogram_tree::remote::{
    self, BinTree, BoostPass, PassHistograms, PreparedPass, SummarySpec, ValueSummary,
};
use crate::core::algorithms::tree::{Combine, TreeEnsemble};
use crate::core::algorithms::{Algorithm, FittedModel};
use crate::core::error::{AimassError, Result};
use crate::core::preprocess::{FeatureStep, NumericStep, Recipe};
use crate::core::task::Task;
use crate::error::OrRaise;

/// What distributed boosting cannot do yet, refused before any scan.
pub(super) fn check(hyperparams: &Value) -> Result<()> {
    let gb = GradientBoosting::from_json(hyperparams, Task::Binary)?;
    if gb.early_stopping_rounds > 0 {
        return Err(unsupported(
            "early_stopping_rounds does not apply to gradient boosting on a distributed table yet",
        )
        .with_hint("Leave early_stopping_rounds at 0 and choose n_estimators, or train on a local copy."));
    }
    if gb.balanced {
        return Err(unsupported(
            "class_weight does not apply to gradient boosting on a distributed table yet",
        )
        .with_hint("Leave class_weight at 'none', or train on a local copy."));
    }
    Ok(())
}

/// The boosted trees, their hyperparameters and how they were grown.
pub(super) fn fit(
    relation: &Relation,
    sql: &Sql,
    hyperparams: &Value,
    train_rows: f64,
    positives: f64,
    traffic: &RefCell<Traffic>,
) -> Result<(Recipe, Value, FittedModel, Value)> {
    let gb = GradientBoosting::from_json(hyperparams, Task::Binary)?;
    let (recipe, has_missing) = kept_missing_recipe(sql, train_rows, traffic)?;
    let summary = value_summary(relation, sql, &recipe, traffic)?;
    let mean = positives / train_rows;
    if mean <= 0.0 || mean >= 1.0 {
        return Err(AimassError::data("the training rows have one class only")
            .with_hint("Gradient boosting needs positive and negative training rows."));
    }
    let mut pass = BoostPass {
        upper: summary.edges(&has_missing, gb.max_bins),
        recipe: recipe.clone(),
        init: (mean / (1.0 - mean)).ln(),
        trees: Vec::new(),
        current: BinTree::default(),
        requests: Vec::new(),
    };
    drop(summary);
    let monotone = gradient_boosting::monotone_inputs(&recipe, &gb.monotone)?;
    let params = gb.tree_params(monotone, 1);
    let on_round = crate::progress::reporter();
    let (trees, passes) = remote::boost(
        &params,
        gb.n_estimators,
        &mut pass,
        |pass| merged_histograms(relation, sql, pass, traffic),
        &on_round,
    )?;
    let fitted = FittedModel::Trees(TreeEnsemble::new(recipe.width(), pass.init, true, Combine::Sum, trees));
    let how = json!({"method": "histograms", "passes": passes});
    Ok((recipe, gb.hyperparams(), fitted, how))
}

/// The tree models' recipe (NULL kept as missing, standard scaling of the present values) from
/// each feature's count, mean and variance over its present training values, and which
/// features have NULLs among the training rows.
fn kept_missing_recipe(
    sql: &Sql,
    train_rows: f64,
    traffic: &RefCell<Traffic>,
) -> Result<(Recipe, Vec<bool>)> {
    let train = sql.train_rows();
    let xs: Vec<String> =
        sql.columns.iter().map(|(name, boolean)| super::value_sql(name, *boolean)).collect();
    let firsts = xs.iter().map(|x| format!("count({x})::float8, sum({x})")).collect::<Vec<_>>().join(", ");
    let first = numbers(&format!("SELECT {firsts} FROM {} WHERE {train}", sql.relation), traffic)?;
    let mut means = Vec::with_capacity(xs.len());
    for (k, (name, _)) in sql.columns.iter().enumerate() {
        let n = first[2 * k].unwrap_or(0.0);
        if n == 0.0 {
            return Err(AimassError::data(format!(
                "feature \"{name}\" has only NULL values in the training rows"
            ))
            .with_hint("Exclude it with exclude => ARRAY['...'] or fill it first."));
        }
        means.push(first[2 * k + 1].unwrap_or(0.0) / n);
    }
    let squares = xs
        .iter()
        .zip(&means)
        .map(|(x, m)| format!("sum(({x} - {})^2)", float_sql(*m)))
        .collect::<Vec<_>>()
        .join(", ");
    let squares = numbers(&format!("SELECT {squares} FROM {} WHERE {train}", sql.relation), traffic)?;
    let mut steps = Vec::with_capacity(xs.len());
    let mut has_missing = Vec::with_capacity(xs.len());
    for (k, (name, boolean)) in sql.columns.iter().enumerate() {
        let n = first[2 * k].unwrap_or(0.0);
        let sd = (squares[k].unwrap_or(0.0) / n).sqrt();
        steps.push(FeatureStep::Numeric(NumericStep::kept_missing(name, *boolean, means[k], sd)));
        has_missing.push(n < train_rows);
    }
    Ok((Recipe { steps }, has_missing))
}

/// Every worker's summary of its training rows' encoded values (`aimass._bin_summary`), merged:
/// the distinct values with their counts, exact up to [`remote::SUMMARY_ENTRIES`] distinct
/// values a worker and input.
fn value_summary(
    relation: &Relation,
    sql: &Sql,
    recipe: &Recipe,
    traffic: &RefCell<Traffic>,
) -> Result<ValueSummary> {
    let spec = SummarySpec { recipe: recipe.clone() }.to_bytes()?;
    let call = call_with_spec("_bin_summary", &spec, "f");
    let width = recipe.steps.len();
    let mut merged = ValueSummary { inputs: vec![Vec::new(); width] };
    for bytes in on_every_shard(relation, sql, &call, Per::Worker, traffic)?.into_iter().flatten() {
        merged.merge(&ValueSummary::from_bytes(&bytes, width)?)?;
    }
    Ok(merged)
}

/// One pass over every worker: its histograms, added in worker order.
fn merged_histograms(
    relation: &Relation,
    sql: &Sql,
    pass: &BoostPass,
    traffic: &RefCell<Traffic>,
) -> Result<PassHistograms> {
    let call = call_with_spec("_boost_pass", &pass.to_bytes()?, "f, y");
    let mut total: Option<PassHistograms> = None;
    // A worker without training rows answers nothing.
    for bytes in on_every_shard(relation, sql, &call, Per::Worker, traffic)?.into_iter().flatten() {
        let h = PassHistograms::from_bytes(&bytes, pass)?;
        match total.as_mut() {
            Some(t) => t.merge(&h)?,
            None => total = Some(h),
        }
    }
    match total {
        Some(t) => Ok(t),
        None => Err(AimassError::data("no worker has training rows")),
    }
}

// The workers' side: one shard's histograms of a pass.

thread_local! {
    /// The last pass read by this backend, with its bytes: every row of a pass brings it.
    static PASS: Decoded<PreparedPass> = const { RefCell::new(None) };
}

/// A shard's histograms while its rows arrive.
struct ShardHistograms {
    pass: std::rc::Rc<PreparedPass>,
    histograms: PassHistograms,
    bins: Vec<u8>,
}

#[pg_extern(immutable, parallel_unsafe, name = "_boost_pass_add")]
fn boost_pass_add(
    mut state: pgrx::Internal,
    spec: Option<&[u8]>,
    features: Option<pgrx::Array<'_, f64>>,
    label: Option<f64>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> pgrx::Internal {
    let (Some(spec), Some(features), Some(label)) = (spec, features, label) else { return state };
    let fresh = !state.initialized();
    let held = crate::api::aggregates::state_made(&mut state, fcinfo, |_| {
        let pass = decoded_once(&PASS, spec, BoostPass::prepare);
        let histograms = pass.histograms().or_raise();
        ShardHistograms { pass, histograms, bins: Vec::new() }
    });
    if fresh {
        held.holds(held.state.pass.histogram_bytes());
    }
    let raw = super::raw_values(&features);
    let ShardHistograms { pass, histograms, bins } = &mut held.state;
    pass.add_row(histograms, &raw, label, bins).or_raise();
    state
}

#[pg_extern(immutable, parallel_unsafe, name = "_boost_pass_final")]
fn boost_pass_final(state: pgrx::Internal) -> Option<Vec<u8>> {
    let shard = crate::api::aggregates::finished::<ShardHistograms>(&state)?;
    Some(shard.histograms.to_bytes().or_raise())
}

thread_local! {
    /// The last summary spec read by this backend, with its bytes.
    static SUMMARY_SPEC: Decoded<SummarySpec> = const { RefCell::new(None) };
}

/// A worker's encoded values while its rows arrive.
struct WorkerValues {
    spec: std::rc::Rc<SummarySpec>,
    columns: Vec<Vec<f64>>,
    rows: usize,
}

#[pg_extern(immutable, parallel_unsafe, name = "_bin_summary_add")]
fn bin_summary_add(
    mut state: pgrx::Internal,
    spec: Option<&[u8]>,
    features: Option<pgrx::Array<'_, f64>>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> pgrx::Internal {
    let (Some(spec), Some(features)) = (spec, features) else { return state };
    let held = crate::api::aggregates::state_made(&mut state, fcinfo, |_| {
        let spec = decoded_once(&SUMMARY_SPEC, spec, SummarySpec::from_bytes);
        let columns = vec![Vec::new(); spec.recipe.steps.len()];
        WorkerValues { spec, columns, rows: 0 }
    });
    let WorkerValues { spec, columns, rows } = &mut held.state;
    spec.add_row(columns, &super::raw_values(&features)).or_raise();
    *rows += 1;
    if rows.is_power_of_two() {
        let bytes = 8 * columns.iter().map(|c| c.capacity() as u128).sum::<u128>();
        held.holds(bytes);
    }
    state
}

#[pg_extern(immutable, parallel_unsafe, name = "_bin_summary_final")]
fn bin_summary_final(mut state: pgrx::Internal) -> Option<Vec<u8>> {
    // SAFETY: as `finished`: this aggregate's own state.
    let values = unsafe { state.get_mut::<crate::api::aggregates::Held<WorkerValues>>() }?;
    let columns = std::mem::take(&mut values.state.columns);
    let summary = ValueSummary::of(columns, remote::SUMMARY_ENTRIES).or_raise();
    Some(summary.to_bytes().or_raise())
}

pgrx::extension_sql!(
    r#"
CREATE AGGREGATE aimass._bin_summary(spec bytea, features float8[]) (
    SFUNC = aimass._bin_summary_add, STYPE = internal, FINALFUNC = aimass._bin_summary_final);
COMMENT ON AGGREGATE aimass._bin_summary(bytea, float8[]) IS 'Internal (distributed gradient boosting): the distinct encoded values of each feature over the rows, with their counts, for the bins to be placed.';
"#,
    name = "bin_summary_aggregate",
    requires = [bin_summary_add, bin_summary_final]
);

pgrx::extension_sql!(
    r#"
CREATE AGGREGATE aimass._boost_pass(spec bytea, features float8[], label float8) (
    SFUNC = aimass._boost_pass_add, STYPE = internal, FINALFUNC = aimass._boost_pass_final);
COMMENT ON AGGREGATE aimass._boost_pass(bytea, float8[], float8) IS 'Internal (distributed gradient boosting): the histograms one boosting pass asks of the rows of one shard.';
"#,
    name = "boost_pass_aggregate",
    requires = [boost_pass_add, boost_pass_final]
);
