//! `aimass.train` on a Citus distributed table (issue 19): the training rows never leave their
//! workers. The coordinator sends queries whose aggregates Citus pushes down into every shard
//! and whose partial results it merges: counts, the features' order statistics (by histogram
//! refinement) and moments for the preprocessing recipe, then one Newton pass per iteration,
//! the gradient and Hessian sums of each shard (`aimass._newton_pass`, a bytea-state aggregate
//! with a combine function), added on the coordinator, which takes the step
//! ([`crate::core::algorithms::newton::fit_with`], the single-node solver's own loop). So what
//! reaches the coordinator grows with features² and passes, not with rows; the metrics then bring
//! back each part's distinct scores with their counts by label (`aimass._value_counts`), which
//! grow with the distinct scores (at most the rows, about 8 bytes each), not with the rows.
//!
//! What is built: `logistic` on numeric and boolean features with the default preprocessing
//! (NULL → median, standard scaling), a binary target and a `column:` split; gradient boosting
//! by merged histograms ([`boosting`]); one model per shard with `strategy => 'shard_ensemble'`.
//! Everything else on a distributed table is refused with 0A000 and a hint. Not yet built (issue
//! 19 stays open): text features, the other preprocessing options, early stopping and class
//! weights for boosting. The features' drift references come from the workers' counts
//! ([`drift_reference`]).

mod boosting;
mod drift_reference;

use std::cell::RefCell;

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{quote_identifier, quote_literal};
use serde_json::json;

use super::{ColumnPlan, Strategy, TrainArgs};
use crate::catalog::relation::{ReadAs, Relation};
use crate::core::algorithms::logistic::Logistic;
use crate::core::algorithms::newton::{self, PassSums};
use crate::core::algorithms::{FittedModel, LinearModel, Link};
use crate::core::data::RawValue;
use crate::core::data::{ColumnBuilder, ColumnKind};
use crate::core::distributed::{standardized_step, NewtonPoint, NumericSummary, ShardFit, SHARD_ALGORITHMS};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::model::Model;
use crate::core::preprocess::{FeatureStep, Recipe};
use crate::core::split::SplitSpec;
use crate::core::task::{TargetEncoding, Task};
use crate::core::train::{Timings, TrainOutcome};
use crate::core::training_args::Resolved;
use crate::error::OrRaise;

/// Buckets per level of the order-statistic search; a bucket of at most [`FETCH_AT_MOST`] rows
/// is read directly (that many values, never more, reach the coordinator).
const BUCKETS: i32 = 1024;
const FETCH_AT_MOST: i64 = 4096;

fn unsupported(what: impl Into<String>) -> AimassError {
    AimassError::new(ErrorKind::FeatureNotSupported, what.into()).with_hint(
        "On a distributed table aimass trains 'logistic' and 'gradient_boosting' on numeric and boolean features with the default preprocessing and split => 'column:<col>'; train on a local copy for anything else.",
    )
}

/// What the coordinator received, for the model's metrics (and the benchmark).
#[derive(Default)]
struct Traffic {
    queries: u64,
    bytes: u64,
}

/// The SQL pieces of one training: the relation, the label and the part of each row.
struct Sql {
    relation: String,
    /// The label, 1 or 0, NULL where the target is NULL.
    y: String,
    /// True for a test row.
    is_test: String,
    /// The feature values as one float8[] in recipe order.
    features: String,
    columns: Vec<(String, bool)>,
}

impl Sql {
    fn train_rows(&self) -> String {
        format!("{} IS NOT NULL AND NOT {}", self.y, self.is_test)
    }
}

/// The SQL of a row's label as `TargetEncoding::labels` reads the target on one node: 1 where
/// the target's text is `positive`, 0 elsewhere, NULL where the target is NULL (a float8).
pub(crate) fn label_sql(target: &str, read_as: ReadAs, positive: &str) -> String {
    let t = quote_identifier(target);
    let t_text = if read_as == ReadAs::Feature(ColumnKind::Numeric) {
        format!("{t}::float8::text")
    } else {
        format!("{t}::text")
    };
    format!(
        "(CASE WHEN {t} IS NULL THEN NULL WHEN {t_text} = {} THEN 1 ELSE 0 END)::float8",
        quote_literal(positive)
    )
}

/// Checks that this training can run on the workers; the distribution column must not be a
/// feature (it is an identifier: a model would learn the sharding).
fn check(
    a: &TrainArgs<'_>,
    args: &Resolved,
    plan: &ColumnPlan,
    relation: &Relation,
    column: &str,
) -> Result<()> {
    match a.strategy {
        Some(Strategy::ShardEnsemble) if !SHARD_ALGORITHMS.contains(&a.algorithm) => {
            return Err(unsupported(format!(
                "a shard ensemble fits one of {} on each shard, not \"{}\"",
                SHARD_ALGORITHMS.join(", "),
                a.algorithm
            )))
        }
        None if a.algorithm == crate::core::algorithms::gradient_boosting::NAME => boosting::check(a.hyperparams)?,
        None if a.algorithm != crate::core::algorithms::logistic::NAME => {
            return Err(unsupported(format!(
                "algorithm \"{}\" does not train on a distributed table yet",
                a.algorithm
            ))
            .with_hint(format!(
                "Train 'logistic' or 'gradient_boosting' exactly from the shards' sums and histograms, or fit one of {} per shard with strategy => 'shard_ensemble'.",
                SHARD_ALGORITHMS.join(", ")
            )))
        }
        _ => {}
    }
    if plan.features.iter().any(|f| f == column) {
        return Err(AimassError::invalid_parameter(format!(
            "the distribution column \"{column}\" of {} is a feature",
            relation.sql_name
        ))
        .with_detail(
            "A distribution column is a key: a model that learns from it learns how the rows are sharded.",
        )
        .with_hint(format!("Leave it out with exclude => ARRAY['{column}'].")));
    }
    if !matches!(args.split, SplitSpec::Column(_)) {
        return Err(unsupported("a distributed table is split by a column: split => 'column:<col>'")
            .with_detail("Random, stratified and time splits need the rows in one order on one node."));
    }
    if a.weight_column.is_some() || a.search.is_some() || a.folds.is_some() {
        return Err(unsupported("weights, search and folds do not train on a distributed table yet"));
    }
    if a.preprocess.as_object().is_some_and(|o| !o.is_empty()) {
        return Err(unsupported("preprocess options do not apply on a distributed table yet"));
    }
    for f in &plan.features {
        let c = relation.column(f)?;
        if !matches!(c.read_as, ReadAs::Feature(ColumnKind::Numeric | ColumnKind::Boolean)) {
            return Err(unsupported(format!(
                "feature \"{f}\" has type {}: text features do not train on a distributed table yet",
                c.type_name
            )));
        }
    }
    Ok(())
}

/// While alive, Citus runs each statement over one connection per worker (the workers still work
/// in parallel, a worker's shards one after another). A transaction whose statements used more
/// than one connection to a worker may not write a reference table with foreign keys afterwards,
/// which the training's catalog rows are; restored when dropped (and by PostgreSQL on an error).
struct OneConnectionPerWorker(i32);

impl OneConnectionPerWorker {
    fn enter() -> Self {
        // SAFETY: as a SET clause of a function: a new GUC nest level, restored on drop.
        unsafe {
            let nest = pg_sys::NewGUCNestLevel();
            crate::catalog::owner::set_saved(c"citus.max_adaptive_executor_pool_size", c"1");
            OneConnectionPerWorker(nest)
        }
    }
}

impl Drop for OneConnectionPerWorker {
    fn drop(&mut self) {
        // SAFETY: restores the nest level `enter` opened.
        unsafe { pg_sys::AtEOXact_GUC(!std::thread::panicking(), self.0) };
    }
}

/// The model and its measures, from statistics the workers computed.
pub(super) fn fit(
    a: &TrainArgs<'_>,
    args: &Resolved,
    plan: &ColumnPlan,
    relation: &Relation,
    column: &str,
) -> Result<(TrainOutcome, i64, String)> {
    let started = std::time::Instant::now();
    check(a, args, plan, relation, column)?;
    let _one_connection = OneConnectionPerWorker::enter();
    let (target, target_how) = plan.target.clone().ok_or_else(|| AimassError::internal("no target"))?;
    let split = args.split.column().ok_or_else(|| AimassError::internal("no split column"))?;
    let traffic = RefCell::new(Traffic::default());
    let encoding = target_encoding(relation, &target, target_how, args, &traffic)?;
    if encoding.task != Task::Binary {
        return Err(unsupported("only binary targets train on a distributed table yet"));
    }
    let positive = encoding.positive.clone().unwrap_or_default();
    let t = quote_identifier(&target);
    let columns: Vec<(String, bool)> = plan
        .features
        .iter()
        .map(|f| Ok((f.clone(), relation.column(f)?.read_as == ReadAs::Feature(ColumnKind::Boolean))))
        .collect::<Result<_>>()?;
    let sql = Sql {
        relation: relation.sql_name.clone(),
        y: label_sql(&target, target_how, &positive),
        is_test: format!("COALESCE({}::text = 'test', false)", quote_identifier(split)),
        features: format!(
            "ARRAY[{}]::float8[]",
            columns.iter().map(|(c, b)| value_sql(c, *b)).collect::<Vec<_>>().join(", ")
        ),
        columns,
    };

    // The parts: all rows, NULL targets, training rows and their positives, test rows.
    let counts = numbers(
        &format!(
            "SELECT count(*)::float8, count(*) FILTER (WHERE {y} IS NULL)::float8,
                    count(*) FILTER (WHERE {train})::float8, sum({y}) FILTER (WHERE {train}),
                    count(*) FILTER (WHERE {y} IS NOT NULL AND {test})::float8
               FROM {rel}",
            y = sql.y,
            train = sql.train_rows(),
            test = sql.is_test,
            rel = sql.relation
        ),
        &traffic,
    )?;
    let [Some(rows), Some(null_targets), Some(train_rows), positives, Some(test_rows)] = counts[..] else {
        return Err(AimassError::internal("counts"));
    };
    if train_rows == 0.0 || test_rows == 0.0 {
        return Err(AimassError::data(format!(
            "the split leaves {train_rows} training and {test_rows} test rows"
        ))
        .with_hint("Both parts need rows with a target."));
    }

    let gbdt = a.strategy.is_none() && a.algorithm == crate::core::algorithms::gradient_boosting::NAME;
    let recipe = if gbdt {
        // Boosting keeps NULLs as missing: its recipe needs no medians.
        Recipe { steps: Vec::new() }
    } else {
        Recipe {
            steps: summaries(&sql, train_rows, &traffic)?
                .iter()
                .map(|s| FeatureStep::Numeric(standardized_step(s)))
                .collect(),
        }
    };
    let fit_started = std::time::Instant::now();
    let (algorithm, hyperparams, recipe, fitted, how) = match a.strategy {
        None if gbdt => {
            let positives = positives.unwrap_or(0.0);
            let (recipe, hyperparams, fitted, how) =
                boosting::fit(relation, &sql, a.hyperparams, train_rows, positives, &traffic)?;
            (crate::core::algorithms::gradient_boosting::NAME.to_owned(), hyperparams, recipe, fitted, how)
        }
        None => {
            let logistic = Logistic::from_json(a.hyperparams)?;
            let base_rate = positives.unwrap_or(0.0) / train_rows;
            let (fitted, passes) = newton_fit(&logistic, &recipe, &sql, base_rate, &traffic)?;
            let hyperparams = crate::core::algorithms::Algorithm::hyperparams(&logistic);
            let how = json!({"method": "newton", "newton_passes": passes});
            (logistic_name(), hyperparams, recipe, fitted, how)
        }
        Some(Strategy::ShardEnsemble) => {
            let base = crate::core::algorithms::build(a.algorithm, Task::Binary, a.hyperparams)?;
            let fitted = shard_ensemble(relation, &sql, &recipe, a, &traffic)?;
            let FittedModel::Bag(members) = &fitted else {
                return Err(AimassError::internal("shard ensemble"));
            };
            let hyperparams = json!({
                "estimator": a.algorithm,
                "n_estimators": members.len(),
                "estimator_hyperparams": base.hyperparams(),
            });
            let how = json!({"method": "shard_ensemble", "members": members.len()});
            (crate::core::algorithms::ensemble::BAGGING.to_owned(), hyperparams, recipe, fitted, how)
        }
    };
    let fitted_at = std::time::Instant::now();
    let model = Model { algorithm, target: encoding, recipe, fitted };
    model.validate()?;
    let feature_reference = drift_reference::features(&sql, &traffic)?;

    // The scores of every labelled row, computed on the workers by the model itself (its
    // artifact sent along), for the metrics: each worker sends the counts of its distinct scores
    // by label and part (the `_value_counts` aggregate, pushed down and combined), and the
    // coordinator lists the scores again from the counts (the metrics' own order does not
    // matter: they sort the scores).
    let artifact = crate::core::artifact::encode(&model)?;
    let (mut train, mut test) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    let mut metrics_bytes = 0u64;
    let parts = pgrx::Spi::connect(|c| {
        let rows = c.select(
            &format!(
                "SELECT {} AS is_test, aimass._value_counts(aimass._score_model($1, {}), {} = 1)
                   FROM {} WHERE {} IS NOT NULL GROUP BY 1",
                sql.is_test, sql.features, sql.y, sql.relation, sql.y
            ),
            None,
            &[DatumWithOid::from(artifact.as_slice())],
        )?;
        rows.map(|row| Ok((row.get::<bool>(1)?, row.get::<Vec<u8>>(2)?)))
            .collect::<std::result::Result<Vec<_>, pgrx::spi::Error>>()
    })
    .or_raise();
    for (is_test, state) in parts {
        let Some(state) = state else { continue };
        metrics_bytes += state.len() as u64;
        let counts = crate::core::counted_values::growing::read(&state)?;
        let part = if is_test == Some(true) { &mut test } else { &mut train };
        crate::core::memory::reserve(
            counts.rows() as u128 * 16,
            "the scores of the distributed training's metrics",
            "Train on fewer rows.",
        )?;
        counts.list_rows(&mut part.0, &mut part.1);
    }
    {
        let mut t = traffic.borrow_mut();
        t.queries += 1;
        t.bytes += metrics_bytes;
    }
    let mut metrics =
        crate::core::train::measure_parts(Task::Binary, (&train.0, &train.1), (&test.0, &test.1))?;
    let traffic = traffic.into_inner();
    let mut distributed = json!({
        "engine": "citus",
        "distribution_column": column,
        "queries": traffic.queries,
        "bytes_to_coordinator": traffic.bytes,
        "metrics_bytes": metrics_bytes,
        "note": "the training moves sums (or one model per shard); the metrics move each part's distinct scores with their counts by label",
    });
    if let (Some(d), Some(h)) = (distributed.as_object_mut(), how.as_object()) {
        d.extend(h.clone());
    }
    metrics["distributed"] = distributed;
    let reference =
        json!({"features": feature_reference, "score": crate::core::drift::Reference::numeric(&train.0)});
    let hash = content_hash(&sql, &t)?;
    let outcome = TrainOutcome {
        timings: Timings {
            prepare: fit_started.duration_since(started).as_secs_f64(),
            fit: fitted_at.duration_since(fit_started).as_secs_f64(),
            score: fitted_at.elapsed().as_secs_f64(),
        },
        reference,
        hyperparams,
        model,
        metrics,
        train_rows: train_rows as usize,
        test_rows: test_rows as usize,
        null_target_rows: null_targets as usize,
    };
    Ok((outcome, rows as i64, hash))
}

/// Logistic regression by Newton's method, each pass the shards' sums at the current point;
/// returns the model and the number of passes.
fn newton_fit(
    logistic: &Logistic,
    recipe: &Recipe,
    sql: &Sql,
    base_rate: f64,
    traffic: &RefCell<Traffic>,
) -> Result<(FittedModel, u64)> {
    let mut passes = 0u64;
    let pass_sql = format!(
        "SELECT aimass._newton_pass($1, {}, {}) FROM {} WHERE {}",
        sql.features,
        sql.y,
        sql.relation,
        sql.train_rows()
    );
    let solved = newton::fit_with(
        recipe.width(),
        base_rate,
        logistic.max_iterations,
        logistic.tolerance,
        |beta, b| {
            passes += 1;
            let point = NewtonPoint { recipe: recipe.clone(), beta: beta.to_vec(), b }.to_bytes()?;
            let bytes = bytea(&pass_sql, &[DatumWithOid::from(point.as_slice())], traffic)?;
            Ok(PassSums::from_bytes(&bytes)?.into_pass(logistic.alpha, beta))
        },
    )?;
    let Some((intercept, coefficients)) = solved else {
        return Err(AimassError::data("the Hessian is singular: collinear features without a penalty")
            .with_hint("Set hyperparams => '{\"alpha\": 1}' or drop the collinear features."));
    };
    if !intercept.is_finite() || coefficients.iter().any(|c| !c.is_finite()) {
        return Err(AimassError::data("logistic regression did not converge to finite coefficients")
            .with_hint("Increase alpha or check the features for extreme values."));
    }
    Ok((FittedModel::Linear(LinearModel { intercept, coefficients, link: Link::Logit }), passes))
}

/// One model per shard, each fitted on its worker by `aimass._shard_fit` over the shard's
/// training rows (the shards' statements run in parallel), and their mean: only the members
/// reach the coordinator.
fn shard_ensemble(
    relation: &Relation,
    sql: &Sql,
    recipe: &Recipe,
    a: &TrainArgs<'_>,
    traffic: &RefCell<Traffic>,
) -> Result<FittedModel> {
    let spec = ShardFit {
        recipe: recipe.clone(),
        algorithm: a.algorithm.to_owned(),
        hyperparams: a.hyperparams.to_string(),
    }
    .to_bytes()?;
    let call = call_with_spec("_shard_fit", &spec, "f, y");
    // A shard without training rows fits nothing.
    let members: Vec<Vec<u8>> =
        on_every_shard(relation, sql, &call, Per::Shard, traffic)?.into_iter().flatten().collect();
    crate::core::distributed::shard_ensemble(&members)
}

/// Where an aggregate over the training rows runs: one statement per shard, or one per worker
/// over all of its shards (fewer connections and one result a worker).
#[derive(Clone, Copy, PartialEq)]
enum Per {
    Shard,
    Worker,
}

/// Runs `call`, an aimass aggregate over the training rows given as `f` (the features as
/// float8[]) and `y` (the label), on every shard of `relation` once (a shard with several
/// placements on the first), one statement per shard or per worker, all at once (Citus's
/// `master_run_on_worker`, as `run_command_on_shards` does); returns each statement's result
/// (`None` where it read no training rows) in shard order. A statement's failure is an error.
fn on_every_shard(
    relation: &Relation,
    sql: &Sql,
    call: &str,
    per: Per,
    traffic: &RefCell<Traffic>,
) -> Result<Vec<Option<Vec<u8>>>> {
    let group =
        if per == Per::Worker { "n.nodename, n.nodeport" } else { "s.shardid, n.nodename, n.nodeport" };
    let placements = format!(
        "SELECT n.nodename::text, n.nodeport, array_agg(pg_catalog.shard_name(s.logicalrelid, s.shardid) ORDER BY s.shardid)
           FROM (SELECT DISTINCT ON (s.shardid) s.logicalrelid, s.shardid, p.groupid
                   FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_dist_placement p USING (shardid)
                  WHERE s.logicalrelid = $1 AND p.shardstate = 1 ORDER BY s.shardid, p.groupid) s
           JOIN pg_catalog.pg_dist_node n ON n.groupid = s.groupid AND n.noderole = 'primary'
          GROUP BY {group} ORDER BY min(s.shardid)"
    );
    let (mut hosts, mut ports, mut commands) =
        (Vec::<String>::new(), Vec::<i32>::new(), Vec::<String>::new());
    let rows = format!("SELECT {} AS f, {} AS y FROM", sql.features, sql.y);
    pgrx::Spi::connect(|c| {
        for row in c.select(&placements, None, &[DatumWithOid::from(relation.oid)])? {
            let shards = row.get::<Vec<String>>(3)?.unwrap_or_default();
            let union = shards
                .iter()
                .map(|shard| format!("{rows} {shard} WHERE {}", sql.train_rows()))
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            hosts.push(row.get::<String>(1)?.unwrap_or_default());
            ports.push(row.get::<i32>(2)?.unwrap_or(0));
            commands.push(format!("SELECT encode({call}, 'base64') FROM ({union}) r"));
        }
        Ok::<_, pgrx::spi::Error>(())
    })
    .or_raise();
    let mut results = Vec::with_capacity(commands.len());
    pgrx::Spi::connect(|c| {
        let rows = c.select(
            "SELECT success, result FROM pg_catalog.master_run_on_worker($1, $2, $3, true) WITH ORDINALITY r ORDER BY ordinality",
            None,
            &[DatumWithOid::from(hosts), DatumWithOid::from(ports), DatumWithOid::from(commands)],
        )?;
        for row in rows {
            results.push((row.get::<bool>(1)?.unwrap_or(false), row.get::<String>(2)?.unwrap_or_default()));
        }
        Ok::<_, pgrx::spi::Error>(())
    })
    .or_raise();
    let mut t = traffic.borrow_mut();
    t.queries += 1;
    results
        .into_iter()
        .map(|(success, result)| {
            if !success {
                return Err(AimassError::data("a statement on a worker failed").with_detail(result));
            }
            t.bytes += result.len() as u64;
            Ok(base64_decode(&result))
        })
        .collect()
}

/// The aggregate call `aimass.name('\x<spec>'::bytea, <args>)` with its spec as a literal.
fn call_with_spec(name: &str, spec: &[u8], args: &str) -> String {
    let hex: String = spec.iter().map(|b| format!("{b:02x}")).collect();
    format!("aimass.{name}('\\x{hex}'::bytea, {args})")
}

/// PostgreSQL's base64 text (with its line breaks) as bytes; `None` when empty or not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

fn logistic_name() -> String {
    crate::core::algorithms::logistic::NAME.to_owned()
}

/// A feature's value as float8 (a boolean as 0 or 1).
fn value_sql(column: &str, boolean: bool) -> String {
    let c = quote_identifier(column);
    if boolean {
        format!("{c}::int::float8")
    } else {
        format!("{c}::float8")
    }
}

/// The target's encoding from its distinct values (at most three are read: more is refused by
/// the encoding as on one node).
fn target_encoding(
    relation: &Relation,
    target: &str,
    how: ReadAs,
    args: &Resolved,
    traffic: &RefCell<Traffic>,
) -> Result<TargetEncoding> {
    traffic.borrow_mut().queries += 1;
    infer_target(relation, target, how, args.task.or(Some(Task::Binary)), args.positive.as_deref())
}

/// The SQL of a row's label (1, 0, NULL) for a binary `target` of `relation`, its positive class
/// inferred as on one node.
pub(crate) fn binary_label_sql(relation: &Relation, target: &str) -> Result<String> {
    let how = relation.column(target)?.read_as;
    let encoding = infer_target(relation, target, how, Some(Task::Binary), None)?;
    Ok(label_sql(target, how, encoding.positive.as_deref().unwrap_or_default()))
}

/// The target's encoding as `TargetEncoding::infer` finds it on one node, from the target's
/// first three distinct values (enough to tell binary from not), read on the workers.
pub(crate) fn infer_target(
    relation: &Relation,
    target: &str,
    how: ReadAs,
    task: Option<Task>,
    positive: Option<&str>,
) -> Result<TargetEncoding> {
    let ReadAs::Feature(kind) = how else { return Err(AimassError::internal("target read")) };
    let t = quote_identifier(target);
    let mut col = ColumnBuilder::new(target, kind);
    let cast = match kind {
        ColumnKind::Categorical => "text",
        ColumnKind::Numeric => "float8",
        ColumnKind::Boolean => "int::float8",
    };
    let query =
        format!("SELECT DISTINCT {t}::{cast} FROM {} WHERE {t} IS NOT NULL LIMIT 3", relation.sql_name);
    pgrx::Spi::connect(|c| {
        for row in c.select(&query, None, &[])? {
            match kind {
                ColumnKind::Categorical => col.push_text(row.get::<String>(1)?.as_deref()),
                _ => col.push_number(row.get::<f64>(1)?).or_raise(),
            }
        }
        Ok::<_, pgrx::spi::Error>(())
    })
    .or_raise();
    TargetEncoding::infer(&col.finish(), task, positive)
}

/// Per feature: NULLs, median, and the mean and variance of the filled values on the training
/// rows, by pushed-down aggregates over all features at once: one scan for the counts and
/// ranges, a few for every median together ([`order_statistics`]), one for the sums and one for
/// the squared deviations.
fn summaries(sql: &Sql, train_rows: f64, traffic: &RefCell<Traffic>) -> Result<Vec<NumericSummary>> {
    let train = sql.train_rows();
    let xs: Vec<String> = sql.columns.iter().map(|(name, boolean)| value_sql(name, *boolean)).collect();
    let ranges =
        xs.iter().map(|x| format!("count({x})::float8, min({x}), max({x})")).collect::<Vec<_>>().join(", ");
    let first = numbers(&format!("SELECT {ranges} FROM {} WHERE {train}", sql.relation), traffic)?;
    let mut present = Vec::with_capacity(xs.len());
    let mut targets = Vec::new();
    for (k, (name, _)) in sql.columns.iter().enumerate() {
        let n = first[3 * k].unwrap_or(0.0) as usize;
        if n == 0 {
            return Err(AimassError::data(format!(
                "feature \"{name}\" has only NULL values in the training rows"
            ))
            .with_hint("Exclude it with exclude => ARRAY['...'] or fill it first."));
        }
        // The ranks the median needs, as the single-node quantile asks for them.
        let _ = crate::core::stats::quantile_by_rank(n, 0.5, |rank| {
            targets.push(Target::new(
                k,
                rank,
                first[3 * k + 1].unwrap_or(0.0),
                first[3 * k + 2].unwrap_or(0.0),
            ));
            Ok::<f64, AimassError>(0.0)
        });
        present.push(n);
    }
    let values = order_statistics(sql, &xs, &mut targets, traffic)?;
    let at = |k: usize, rank: usize| {
        values
            .iter()
            .find(|(tk, tr, _)| *tk == k && *tr == rank)
            .map(|(_, _, v)| *v)
            .ok_or_else(|| AimassError::internal("an order statistic was not found"))
    };
    let medians: Vec<f64> = (0..xs.len())
        .map(|k| crate::core::stats::quantile_by_rank(present[k], 0.5, |rank| at(k, rank)))
        .collect::<Result<_>>()?;
    let filled: Vec<String> =
        xs.iter().zip(&medians).map(|(x, m)| format!("COALESCE({x}, {})", float_sql(*m))).collect();
    let sums = numbers(
        &format!(
            "SELECT {} FROM {} WHERE {train}",
            filled.iter().map(|f| format!("sum({f})")).collect::<Vec<_>>().join(", "),
            sql.relation
        ),
        traffic,
    )?;
    let means: Vec<f64> = sums.iter().map(|s| s.unwrap_or(0.0) / train_rows).collect();
    let squares = numbers(
        &format!(
            "SELECT {} FROM {} WHERE {train}",
            filled
                .iter()
                .zip(&means)
                .map(|(f, m)| format!("sum(({f} - {})^2)", float_sql(*m)))
                .collect::<Vec<_>>()
                .join(", "),
            sql.relation
        ),
        traffic,
    )?;
    Ok(sql
        .columns
        .iter()
        .enumerate()
        .map(|(k, (name, boolean))| NumericSummary {
            name: name.clone(),
            boolean: *boolean,
            nulls: (train_rows as usize - present[k]) as u64,
            median: medians[k],
            mean: means[k],
            variance: squares[k].unwrap_or(0.0) / train_rows,
        })
        .collect())
}

/// One order statistic being searched for: the value of 0-based `rank` among feature `k`'s
/// present training values, known to lie in `[lo, hi]` among the rows `filter` keeps (a chain of
/// bucket conditions on the value `u.v`), `rank` counted from there.
struct Target {
    k: usize,
    wanted: usize,
    rank: i64,
    lo: f64,
    hi: f64,
    filter: String,
    /// Few enough values left to read them.
    fetch: bool,
}

impl Target {
    fn new(k: usize, rank: usize, lo: f64, hi: f64) -> Target {
        Target { k, wanted: rank, rank: rank as i64, lo, hi, filter: "true".into(), fetch: false }
    }

    fn bucket(&self) -> String {
        format!(
            "LEAST(width_bucket(u.v, {}, {}, {BUCKETS}), {BUCKETS})",
            float_sql(self.lo),
            float_sql(self.hi)
        )
    }
}

/// For each of `open`, the first of them whose rows are the same (the same feature, range and
/// bucket conditions): a scan asks once for the rows of targets that share them, as the ranks of
/// one feature's deciles do until their buckets part.
fn representatives(open: &[usize], targets: &[Target]) -> Vec<usize> {
    let same = |a: &Target, b: &Target| {
        a.k == b.k
            && a.lo.to_bits() == b.lo.to_bits()
            && a.hi.to_bits() == b.hi.to_bits()
            && a.filter == b.filter
    };
    open.iter().map(|&j| *open.iter().find(|&&i| same(&targets[i], &targets[j])).unwrap_or(&j)).collect()
}

/// The most targets one scan asks about: Citus pushes a `VALUES` list of more rows than
/// `citus.values_materialization_threshold` (100 by default) down to no shard.
const VALUES_AT_MOST: usize = 96;

/// Every target's value (as (feature, rank, value)): each round counts, on the workers, the
/// buckets of every unresolved target's range in one scan, and narrows each target to the
/// bucket that holds its rank, until the bucket holds one value or few enough rows to read (at
/// most [`FETCH_AT_MOST`] per target reach the coordinator, in one last scan).
fn order_statistics(
    sql: &Sql,
    xs: &[String],
    targets: &mut [Target],
    traffic: &RefCell<Traffic>,
) -> Result<Vec<(usize, usize, f64)>> {
    let mut found = Vec::with_capacity(targets.len());
    // The rows as one (target, value, range, kept) row per open target: `u.j` the target's
    // number, `u.v` its feature's value, `u.lo`/`u.hi` its range and `u.keep` whether the row is
    // still among its candidates (its bucket conditions, written on the feature's value).
    let rows_of = |open: &[usize], targets: &[Target]| {
        open.iter()
            .map(|&j| {
                let (t, x) = (&targets[j], &xs[targets[j].k]);
                format!(
                    "({j}, {x}, {}, {}, {})",
                    float_sql(t.lo),
                    float_sql(t.hi),
                    t.filter.replace("u.v", x)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    loop {
        crate::core::interrupt::check()?;
        for (j, t) in targets.iter_mut().enumerate() {
            if t.lo >= t.hi && !found.iter().any(|(i, _): &(usize, f64)| *i == j) {
                found.push((j, t.lo));
            }
        }
        let open: Vec<usize> = (0..targets.len())
            .filter(|&j| !targets[j].fetch && !found.iter().any(|(i, _)| *i == j))
            .collect();
        if open.is_empty() {
            break;
        }
        let rep = representatives(&open, targets);
        let asked: Vec<usize> = open.iter().zip(&rep).filter(|(j, r)| j == r).map(|(j, _)| *j).collect();
        let mut buckets: Vec<(usize, i32, i64, f64, f64)> = Vec::new();
        for open in asked.chunks(VALUES_AT_MOST) {
            let query = format!(
            "SELECT u.j, LEAST(width_bucket(u.v, u.lo, u.hi, {BUCKETS}), {BUCKETS}) AS b, count(*), min(u.v), max(u.v)
               FROM {} t CROSS JOIN LATERAL (VALUES {}) AS u(j, v, lo, hi, keep)
              WHERE {} AND u.v IS NOT NULL AND u.keep
              GROUP BY 1, 2 ORDER BY 1, 2",
            sql.relation,
            rows_of(open, targets),
            sql.train_rows(),
        );
            pgrx::Spi::connect(|c| {
                for row in c.select(&query, None, &[])? {
                    let j = row.get::<i32>(1)?.unwrap_or(-1);
                    buckets.push((
                        j as usize,
                        row.get::<i32>(2)?.unwrap_or(0),
                        row.get::<i64>(3)?.unwrap_or(0),
                        row.get::<f64>(4)?.unwrap_or(0.0),
                        row.get::<f64>(5)?.unwrap_or(0.0),
                    ));
                }
                Ok::<_, pgrx::spi::Error>(())
            })
            .or_raise();
            traffic.borrow_mut().queries += 1;
        }
        traffic.borrow_mut().bytes += 28 * buckets.len() as u64;
        for (&j, &r) in open.iter().zip(&rep) {
            let t = &mut targets[j];
            let mut below = 0i64;
            let chosen = buckets.iter().filter(|b| b.0 == r).find(|b| {
                let inside = t.rank < below + b.2;
                if !inside {
                    below += b.2;
                }
                inside
            });
            let Some(&(_, b, n, bmin, bmax)) = chosen else {
                return Err(AimassError::internal("an order statistic beyond the rows"));
            };
            t.filter = format!("{} AND {} = {b}", t.filter, t.bucket());
            t.rank -= below;
            (t.lo, t.hi) = (bmin, bmax);
            t.fetch = t.lo < t.hi && n <= FETCH_AT_MOST;
        }
    }
    let wanted: Vec<usize> = (0..targets.len()).filter(|&j| targets[j].fetch).collect();
    let rep = representatives(&wanted, targets);
    let asked: Vec<usize> = wanted.iter().zip(&rep).filter(|(j, r)| j == r).map(|(j, _)| *j).collect();
    for fetch in asked.chunks(VALUES_AT_MOST) {
        let query = format!(
            "SELECT u.j, u.v FROM {} t CROSS JOIN LATERAL (VALUES {}) AS u(j, v, lo, hi, keep)
              WHERE {} AND u.v IS NOT NULL AND u.keep ORDER BY 1, 2",
            sql.relation,
            rows_of(fetch, targets),
            sql.train_rows(),
        );
        let mut values: Vec<(usize, f64)> = Vec::new();
        pgrx::Spi::connect(|c| {
            for row in c.select(&query, None, &[])? {
                values.push((
                    row.get::<i32>(1)?.unwrap_or(-1) as usize,
                    row.get::<f64>(2)?.unwrap_or(f64::NAN),
                ));
            }
            Ok::<_, pgrx::spi::Error>(())
        })
        .or_raise();
        {
            let mut t = traffic.borrow_mut();
            t.queries += 1;
            t.bytes += 12 * values.len() as u64;
        }
        for (&j, &r) in wanted.iter().zip(&rep) {
            if !fetch.contains(&r) {
                continue;
            }
            let v = values
                .iter()
                .filter(|(i, _)| *i == r)
                .nth(targets[j].rank as usize)
                .ok_or_else(|| AimassError::internal("an order statistic was not read"))?;
            found.push((j, v.1));
        }
    }
    Ok(found.into_iter().map(|(j, v)| (targets[j].k, targets[j].wanted, v)).collect())
}

/// A float8 literal that reads back as the same number.
pub(crate) fn float_sql(v: f64) -> String {
    format!("'{}'::float8", crate::core::data::pg_float_text(v))
}

/// One row of float8 values (as the caller: the caller's table).
fn numbers(query: &str, traffic: &RefCell<Traffic>) -> Result<Vec<Option<f64>>> {
    let out = pgrx::Spi::connect(|c| {
        let t = c.select(query, Some(1), &[])?;
        let mut out = Vec::new();
        if let Some(row) = t.into_iter().next() {
            for i in 1..=row.columns() {
                out.push(row.get::<f64>(i)?);
            }
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .or_raise();
    let mut t = traffic.borrow_mut();
    t.queries += 1;
    t.bytes += 8 * out.len() as u64;
    Ok(out)
}

fn bytea(query: &str, args: &[DatumWithOid<'_>], traffic: &RefCell<Traffic>) -> Result<Vec<u8>> {
    let out = pgrx::Spi::get_one_with_args::<Vec<u8>>(query, args)
        .or_raise()
        .ok_or_else(|| AimassError::data("the training rows are empty"))?;
    let mut t = traffic.borrow_mut();
    t.queries += 1;
    t.bytes += out.len() as u64;
    Ok(out)
}

/// An order-independent hash of the features and target of every row, summed on the workers
/// (`citus:` and hex; not the single-node snapshot hash, which hashes the values as read).
fn content_hash(sql: &Sql, target: &str) -> Result<String> {
    let sum = pgrx::Spi::get_one::<String>(&format!(
        "SELECT (count(*) || ':' || coalesce(sum(hashtextextended(ROW({}, {target})::text, 0)::numeric), 0))::text FROM {}",
        sql.features, sql.relation
    ))
    .or_raise()
    .unwrap_or_default();
    Ok(format!("citus:{sum}"))
}

// The workers' side: the pass sums of a shard's rows at a point, and a row's score.

thread_local! {
    /// The last point decoded by this backend, with its bytes: every row of a pass brings the
    /// same point, which is decoded once.
    static POINT: Decoded<NewtonPoint> = const { RefCell::new(None) };
}

/// The last value decoded from some bytes, with those bytes.
type Decoded<T> = RefCell<Option<(Vec<u8>, std::rc::Rc<T>)>>;

fn point(bytes: &[u8]) -> std::rc::Rc<NewtonPoint> {
    decoded_once(&POINT, bytes, NewtonPoint::from_bytes)
}

/// The value `decode` makes of `bytes`, decoded once while the same bytes keep coming (every row
/// of a statement brings the same constant): the last one is kept in `slot` with its bytes.
fn decoded_once<T>(
    slot: &'static std::thread::LocalKey<Decoded<T>>,
    bytes: &[u8],
    decode: fn(&[u8]) -> Result<T>,
) -> std::rc::Rc<T> {
    slot.with(|p| {
        let mut p = p.borrow_mut();
        if let Some((b, value)) = p.as_ref() {
            if b.as_slice() == bytes {
                return value.clone();
            }
        }
        let value = std::rc::Rc::new(decode(bytes).or_raise());
        *p = Some((bytes.to_vec(), value.clone()));
        value
    })
}

fn raw_values(features: &pgrx::Array<'_, f64>) -> Vec<Option<f64>> {
    features.iter().collect()
}

#[pg_extern(immutable, parallel_safe, name = "_newton_pass_add")]
fn newton_pass_add(
    state: Option<&[u8]>,
    point_bytes: Option<&[u8]>,
    features: Option<pgrx::Array<'_, f64>>,
    label: Option<f64>,
) -> Option<Vec<u8>> {
    let (Some(point_bytes), Some(features), Some(label)) = (point_bytes, features, label) else {
        return state.map(<[u8]>::to_vec);
    };
    let point = point(point_bytes);
    let mut sums = match state {
        Some(s) => PassSums::from_bytes(s).or_raise(),
        None => PassSums::new(point.beta.len()),
    };
    let mut inputs = vec![0.0; point.beta.len()];
    point.add_row(&mut sums, &raw_values(&features), label, &mut inputs).or_raise();
    Some(sums.to_bytes())
}

#[pg_extern(immutable, parallel_safe, name = "_newton_pass_combine")]
fn newton_pass_combine(a: Option<&[u8]>, b: Option<&[u8]>) -> Option<Vec<u8>> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let mut sums = PassSums::from_bytes(a).or_raise();
            sums.merge(&PassSums::from_bytes(b).or_raise()).or_raise();
            Some(sums.to_bytes())
        }
        (a, b) => a.or(b).map(<[u8]>::to_vec),
    }
}

thread_local! {
    /// The last model decoded by `_score_model`, with its artifact's bytes.
    static MODEL: Decoded<Model> = const { RefCell::new(None) };
}

/// A row's score by a model not stored yet (a distributed training's, for its metrics), from its
/// artifact and the row's raw numeric features.
#[pg_extern(immutable, parallel_safe, name = "_score_model")]
fn score_model(artifact: &[u8], features: pgrx::Array<'_, f64>) -> f64 {
    let model = decoded_once(&MODEL, artifact, crate::core::artifact::decode);
    let raw: Vec<RawValue<'_>> =
        features.iter().map(|v| v.map_or(RawValue::Null, RawValue::Number)).collect();
    if raw.len() != model.features().len() {
        crate::error::raise(AimassError::invalid_parameter(format!(
            "a row of {} values for {} features",
            raw.len(),
            model.features().len()
        )));
    }
    model.score(&raw, &mut Vec::new()).or_raise()
}

/// A shard's training rows as they arrive (raw values row after row, and labels), with the
/// spec of the first row.
#[derive(Default)]
struct ShardRows {
    spec: Vec<u8>,
    raw: Vec<f64>,
    labels: Vec<f64>,
}

#[pg_extern(immutable, parallel_unsafe, name = "_shard_fit_add")]
fn shard_fit_add(
    mut state: pgrx::Internal,
    spec: Option<&[u8]>,
    features: Option<pgrx::Array<'_, f64>>,
    label: Option<f64>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> pgrx::Internal {
    let (Some(spec), Some(features), Some(label)) = (spec, features, label) else { return state };
    let held = crate::api::aggregates::state_made(&mut state, fcinfo, |_| ShardRows::default());
    if held.state.spec.is_empty() {
        held.state.spec = spec.to_vec();
    }
    let before = held.state.raw.capacity();
    held.state.raw.extend(features.iter().map(|v| v.unwrap_or(f64::NAN)));
    held.state.labels.push(label);
    if held.state.raw.capacity() != before {
        let bytes = 8 * (held.state.raw.capacity() + held.state.labels.capacity()) as u128;
        held.holds(bytes);
    }
    state
}

#[pg_extern(immutable, parallel_unsafe, name = "_shard_fit_final")]
fn shard_fit_final(state: pgrx::Internal) -> Option<Vec<u8>> {
    let rows = crate::api::aggregates::finished::<ShardRows>(&state)?;
    let fit = ShardFit::from_bytes(&rows.spec).or_raise();
    Some(fit.fit(&rows.raw, &rows.labels).or_raise())
}

pgrx::extension_sql!(
    r#"
CREATE AGGREGATE aimass._newton_pass(point bytea, features float8[], label float8) (
    SFUNC = aimass._newton_pass_add, STYPE = bytea, COMBINEFUNC = aimass._newton_pass_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE aimass._newton_pass(bytea, float8[], float8) IS 'Internal (distributed training): the gradient and Hessian sums of a logistic Newton pass over the rows, at a point; Citus pushes it down into every shard and combines the shards'' sums.';
"#,
    name = "newton_pass_aggregate",
    requires = [newton_pass_add, newton_pass_combine]
);

pgrx::extension_sql!(
    r#"
CREATE AGGREGATE aimass._shard_fit(spec bytea, features float8[], label float8) (
    SFUNC = aimass._shard_fit_add, STYPE = internal, FINALFUNC = aimass._shard_fit_final);
COMMENT ON AGGREGATE aimass._shard_fit(bytea, float8[], float8) IS 'Internal (shard ensembles): fits the spec''s base algorithm on the rows of one shard and returns the fitted member.';
"#,
    name = "shard_fit_aggregate",
    requires = [shard_fit_add, shard_fit_final]
);
