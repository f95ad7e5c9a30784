//! The training pipeline on columns already read from a table: target encoding, split,
//! preprocessing, fit, and metrics on both parts computed by the same row-by-row scoring path that
//! `aimass.predict_proba` uses, so stored metrics and inline scores agree to the last bit.

use serde_json::{json, Value};

use crate::algorithms;
use crate::curves;
use crate::data::{Column, RawValue};
use crate::drift;
use crate::error::{AimassError, Result};
use crate::fitting::{self, metrics_json, score_rows};
use crate::model::Model;
use crate::preprocess::{PreprocessOptions, Recipe, StoredBinnings};
use crate::search;
use crate::split::{self, SplitSpec};
use crate::task::{TargetEncoding, Task};

pub struct TrainRequest<'a> {
    pub features: Vec<&'a Column>,
    /// The target (`None` for algorithms trained without one).
    pub target: Option<&'a Column>,
    /// The column `split` names (`column:` / `time:`), read alongside.
    pub split_column: Option<&'a Column>,
    pub split: SplitSpec,
    pub test_size: f64,
    pub seed: u64,
    pub task: Option<Task>,
    pub positive: Option<&'a str>,
    pub algorithm: &'a str,
    pub hyperparams: &'a Value,
    pub preprocess: &'a Value,
    /// Stored binnings the preprocessing options name (loaded by the caller).
    pub stored_binnings: &'a StoredBinnings,
    /// Sample weights (`weight_column`), one per row.
    pub weights: Option<&'a Column>,
    /// Hyperparameter search (`None`: fit `hyperparams` as given).
    pub search: Option<search::Method>,
    pub search_params: &'a Value,
    /// k-fold cross-validation on the training rows (5 with a search).
    pub folds: Option<usize>,
    /// The metric a search optimizes (default: AUC / RMSE).
    pub metric: Option<&'a str>,
    /// Threads the fit may use.
    pub threads: usize,
    /// Progress and cancellation hook of iterative fits (see [`algorithms::FitContext`]).
    pub on_round: &'a dyn Fn(&algorithms::Progress<'_>) -> Result<()>,
}

pub struct TrainOutcome {
    pub model: Model,
    /// Hyperparameters in force, defaults filled in.
    pub hyperparams: Value,
    /// `{"train": {...}, "test": {...}}`.
    pub metrics: Value,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Rows left out because their target is NULL.
    pub null_target_rows: usize,
    /// Training distributions of the raw features and of the score (see [`crate::drift`]).
    pub reference: Value,
    /// Seconds spent preparing (split, search, preprocessing recipe), fitting, and scoring both
    /// parts for the metrics: the host logs them (DEBUG1), and the training benchmark compares
    /// the fit with other libraries' fit times.
    pub timings: Timings,
}

/// Where a training call's time went, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub prepare: f64,
    pub fit: f64,
    pub score: f64,
}

pub fn train(req: &TrainRequest<'_>) -> Result<TrainOutcome> {
    let started = std::time::Instant::now();
    split::check_test_size(req.test_size)?;
    if req.features.is_empty() {
        return Err(AimassError::invalid_parameter("no usable feature columns")
            .with_hint("Features may be numeric, boolean or text columns other than the target."));
    }
    let n_rows = req.features[0].len();
    if n_rows == 0 {
        return Err(AimassError::data("the relation has no rows").with_detail("Training needs data."));
    }
    let mut preprocess = PreprocessOptions::from_json(req.preprocess)?;
    if algorithms::registration(req.algorithm).is_some_and(|r| r.bins_every_feature) {
        preprocess.bin_everything_by_default();
    }
    let encoding = target_encoding(req)?;
    let mut algorithm = algorithms::build(req.algorithm, encoding.task, req.hyperparams)?;
    if req.search.is_none() && req.search_params.as_object().is_some_and(|m| !m.is_empty()) {
        return Err(AimassError::invalid_parameter("search_params needs search => 'grid' or 'random'"));
    }
    let cv = cross_validation_plan(req, encoding.task)?;
    // Without labels (unsupervised, no target) every row counts as class 0.
    let labels = match req.target {
        Some(t) if encoding.task.supervised() || encoding.positive.is_some() => encoding.labels(t)?,
        _ => vec![0.0; n_rows],
    };
    let labelled_binary = encoding.task == Task::Binary || encoding.positive.is_some();

    let (train_idx, test_idx, null_target_rows) = split_rows(req, &labels, labelled_binary, encoding.task)?;

    let train_cols: Vec<Column> = req.features.iter().map(|c| c.take(&train_idx)).collect();
    let train_refs: Vec<&Column> = train_cols.iter().collect();
    let y: Vec<f64> = train_idx.iter().map(|&i| labels[i]).collect();
    let train_weights = match req.weights {
        Some(w) => Some(sample_weights(w, &train_idx, algorithm.as_ref())?),
        None => None,
    };
    let mut search_report = None;
    if let Some((method, k, (metric, higher_is_better), configs)) = cv {
        let data = search::CvData {
            fit: fitting::FitData {
                features: &train_refs,
                labels: &y,
                encoding: &encoding,
                preprocess: &preprocess,
                stored_binnings: req.stored_binnings,
            },
            weights: train_weights.as_deref(),
        };
        let recipe = Recipe { steps: vec![] };
        let ctx = algorithms::FitContext {
            recipe: &recipe,
            weights: None,
            threads: req.threads.max(1),
            on_round: req.on_round,
        };
        let (trials, best) =
            search::run(&data, req.algorithm, configs, k, req.seed, metric, higher_is_better, &ctx)?;
        algorithm = algorithms::build(req.algorithm, encoding.task, &trials[best].hyperparams)?;
        search_report = Some(search::report(method, k, metric, &trials, best));
    }
    // The training rows' copies are not needed past the features' drift reference: freed
    // before the fit copies what its recipe needs and builds its inputs from the full columns.
    let feature_reference = feature_references(&train_refs, req.threads.max(1));
    drop(train_refs);
    drop(train_cols);
    let data = fitting::FitData {
        features: &req.features,
        labels: &labels,
        encoding: &encoding,
        preprocess: &preprocess,
        stored_binnings: req.stored_binnings,
    };
    let (model, fit_started) = fitting::fit_rows(
        algorithm.as_ref(),
        &data,
        &train_idx,
        train_weights.as_deref(),
        req.threads.max(1),
        req.on_round,
    )?;
    let fitted_at = std::time::Instant::now();

    // The training rows' scores serve the metrics and the drift reference.
    let threads = req.threads.max(1);
    let train_scores = score_rows(&model, &req.features, &train_idx, threads)?;
    let test_scores = score_rows(&model, &req.features, &test_idx, threads)?;
    let mut metrics =
        measure(&model, req, &labels, (&train_idx, &y, &train_scores), (&test_idx, &test_scores))?;
    if let Some(r) = search_report {
        metrics[if req.search.is_some() { "search" } else { "cv" }] = r;
    }
    if let algorithms::FittedModel::Trees(t) = &model.fitted {
        // Early stopping decides how many trees a model keeps.
        metrics["trees"] = json!(t.trees.len());
    }
    let reference = json!({"features": feature_reference, "score": drift::Reference::numeric(&train_scores)});
    let timings = Timings {
        prepare: fit_started.duration_since(started).as_secs_f64(),
        fit: fitted_at.duration_since(fit_started).as_secs_f64(),
        score: fitted_at.elapsed().as_secs_f64(),
    };
    Ok(TrainOutcome {
        timings,
        reference,
        hyperparams: algorithm.hyperparams(),
        model,
        metrics,
        train_rows: train_idx.len(),
        test_rows: test_idx.len(),
        null_target_rows,
    })
}

/// The metrics of both parts (with the model card's curves for a binary target, and the
/// inertia of a clustering), from the rows' scores.
fn measure(
    model: &Model,
    req: &TrainRequest<'_>,
    labels: &[f64],
    (train_idx, y, train_scores): (&[usize], &[f64], &[f64]),
    (test_idx, test_scores): (&[usize], &[f64]),
) -> Result<Value> {
    let test_y: Vec<f64> = test_idx.iter().map(|&i| labels[i]).collect();
    let mut metrics = measure_parts(model.task(), (train_scores, y), (test_scores, &test_y))?;
    if let algorithms::FittedModel::KMeans(k) = &model.fitted {
        for (part, rows) in [("train", train_idx), ("test", test_idx)] {
            metrics[part]["inertia"] = json!(inertia(model, k, &req.features, rows)?);
        }
    }
    Ok(metrics)
}

/// The metrics of both parts from their scores and labels, with the model card's curves for a
/// binary target (on the test rows, or the training rows when none were held out). Also the
/// metrics of a training on a distributed table, whose scores come back from the workers.
pub fn measure_parts(
    task: Task,
    (train_scores, y): (&[f64], &[f64]),
    (test_scores, test_y): (&[f64], &[f64]),
) -> Result<Value> {
    let mut metrics = json!({
        "train": metrics_json(task, train_scores, y, 0.5)?,
        "test": metrics_json(task, test_scores, test_y, 0.5)?,
    });
    if task == Task::Binary {
        let (part, scores, ys) =
            if test_scores.is_empty() { ("train", train_scores, y) } else { ("test", test_scores, test_y) };
        let positive: Vec<bool> = ys.iter().map(|&v| v > 0.5).collect();
        metrics["curves"] = serde_json::to_value(curves::summary(part, scores, &positive, 101))
            .map_err(|e| AimassError::internal(format!("cannot encode curves: {e}")))?;
    }
    Ok(metrics)
}

/// What a search or cross-validation will run: the method, k, the metric and whether higher is
/// better, and the configurations (each validated before any is fitted); `None` without either.
type CvPlan = (Option<search::Method>, usize, (&'static str, bool), Vec<Value>);

fn cross_validation_plan(req: &TrainRequest<'_>, task: Task) -> Result<Option<CvPlan>> {
    Ok(match (req.search, req.folds, req.metric) {
        (None, None, Some(_)) => {
            return Err(AimassError::invalid_parameter(
                "metric ranks configurations: give search or folds too",
            ))
        }
        (None, None, None) => None,
        (method, folds, metric) => {
            let k = folds.unwrap_or(5);
            if !(2..=20).contains(&k) {
                return Err(AimassError::invalid_parameter(format!("folds must be 2 – 20, not {k}")));
            }
            let configs = match method {
                Some(m) => search::candidates(m, req.hyperparams, req.search_params, req.seed)?,
                None => vec![req.hyperparams.clone()],
            };
            // Every configuration must be valid before any is fitted.
            for c in &configs {
                algorithms::build(req.algorithm, task, c)?;
            }
            Some((method, k, search::metric(task, metric)?, configs))
        }
    })
}

/// The training and test rows, and how many rows were left out for a NULL target.
fn split_rows(
    req: &TrainRequest<'_>,
    labels: &[f64],
    labelled_binary: bool,
    task: Task,
) -> Result<(Vec<usize>, Vec<usize>, usize)> {
    let is_test_all = match &req.split {
        SplitSpec::Random => split::random(labels.len(), req.test_size, req.seed),
        SplitSpec::Stratified if labelled_binary => split::stratified(labels, req.test_size, req.seed),
        SplitSpec::Stratified => split::random(labels.len(), req.test_size, req.seed),
        SplitSpec::Column(_) | SplitSpec::Time(_) => {
            let col = req.split_column.ok_or_else(|| AimassError::internal("split column not read"))?;
            match &req.split {
                SplitSpec::Column(_) => split::by_column(col)?,
                _ => match &col.data {
                    crate::data::ColumnData::Numeric(order) => split::by_time(order, req.test_size),
                    _ => return Err(AimassError::internal("time split column not numeric")),
                },
            }
        }
    };
    // Rows with a NULL target take no part; with random/stratified splits they were drawn among
    // the rest anyway (labels NaN fall in no stratum), so drop them from both parts here.
    let mut train_idx = Vec::new();
    let mut test_idx = Vec::new();
    let mut null_target_rows = 0;
    for (i, &y) in labels.iter().enumerate() {
        if y.is_nan() {
            null_target_rows += 1;
        } else if is_test_all[i] {
            test_idx.push(i);
        } else {
            train_idx.push(i);
        }
    }
    if train_idx.is_empty() || test_idx.is_empty() {
        return Err(AimassError::data(format!(
            "the split leaves {} training and {} test rows",
            train_idx.len(),
            test_idx.len()
        ))
        .with_detail(format!("Split \"{}\" must give rows to both parts.", req.split.as_string()))
        .with_hint("For split => 'column:<name>', mark test rows with the value 'test'."));
    }
    if task == Task::Binary {
        let pos = train_idx.iter().filter(|&&i| labels[i] == 1.0).count();
        if pos == 0 || pos == train_idx.len() {
            return Err(AimassError::data("the training rows hold only one class")
                .with_hint("Use split => 'stratified' or more data."));
        }
    }
    Ok((train_idx, test_idx, null_target_rows))
}

/// The target encoding: inferred from the target for supervised algorithms; for those trained
/// without a target, their task, with a binary target's encoding when one is given to measure
/// an anomaly score.
fn target_encoding(req: &TrainRequest<'_>) -> Result<TargetEncoding> {
    let Some(task) = algorithms::unsupervised_task(req.algorithm) else {
        let target = req.target.ok_or_else(|| {
            AimassError::invalid_parameter(format!("algorithm \"{}\" needs a target", req.algorithm))
        })?;
        return TargetEncoding::infer(target, req.task, req.positive);
    };
    if req.task.is_some_and(|t| t != task) {
        return Err(AimassError::invalid_parameter(format!(
            "algorithm \"{}\" makes {} models",
            req.algorithm,
            task.as_str()
        )));
    }
    let labelled = match (req.target, task) {
        (None, _) => None,
        (Some(t), Task::Anomaly) => Some(TargetEncoding::infer(t, Some(Task::Binary), req.positive)?),
        (Some(_), _) => {
            return Err(AimassError::invalid_parameter(format!(
                "algorithm \"{}\" is trained without a target",
                req.algorithm
            ))
            .with_hint("Leave target NULL."))
        }
    };
    Ok(TargetEncoding::unsupervised(task, labelled))
}

/// The training rows' sample weights: numbers, none NULL, negative or infinite, not all zero.
fn sample_weights(
    column: &Column,
    rows: &[usize],
    algorithm: &dyn algorithms::Algorithm,
) -> Result<Vec<f64>> {
    if !algorithm.takes_weights() {
        return Err(AimassError::new(
            crate::error::ErrorKind::FeatureNotSupported,
            format!("algorithm \"{}\" does not take sample weights", algorithm.name()),
        )
        .with_hint("gradient_boosting, random_forest, decision_tree and mlp do."));
    }
    let crate::data::ColumnData::Numeric(values) = &column.data else {
        return Err(AimassError::new(
            crate::error::ErrorKind::DatatypeMismatch,
            format!("weight column \"{}\" must be numeric", column.name),
        ));
    };
    let w: Vec<f64> = rows.iter().map(|&i| values[i]).collect();
    if let Some(bad) = w.iter().find(|v| !v.is_finite() || **v < 0.0) {
        return Err(AimassError::data(format!(
            "weight column \"{}\" holds {}; weights must be finite and not negative",
            column.name,
            if bad.is_nan() { "NULL".to_owned() } else { bad.to_string() }
        )));
    }
    if w.iter().sum::<f64>() <= 0.0 {
        return Err(AimassError::data(format!(
            "weight column \"{}\" weighs the training rows 0",
            column.name
        )));
    }
    Ok(w)
}

/// The drift reference of the features: each raw feature's histogram on the training rows (the
/// model's reference adds the score's).
fn feature_references(train: &[&Column], threads: usize) -> serde_json::Map<String, Value> {
    let references = crate::parallel::map(train.to_vec(), threads, drift::Reference::of_column);
    train.iter().zip(references).map(|(c, r)| (c.name.clone(), json!(r))).collect()
}

/// Sum of squared distances of the rows to their nearest cluster centres.
fn inertia(
    model: &Model,
    k: &algorithms::kmeans::KMeansModel,
    features: &[&Column],
    rows: &[usize],
) -> Result<f64> {
    let mut raw: Vec<RawValue<'_>> = Vec::with_capacity(features.len());
    let mut x = vec![0.0; model.recipe.width()];
    let mut total = 0.0;
    for &i in rows {
        raw.clear();
        raw.extend(features.iter().map(|c| c.raw(i)));
        model.recipe.encode_row(&raw, &mut x)?;
        total += k.nearest(&x).1;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnBuilder, ColumnKind};

    /// y = 1 is likelier for large x and for category "b".
    fn data(n: usize) -> (Column, Column, Column) {
        let mut rng = split::SplitMix64::new(7);
        let mut x = ColumnBuilder::new("x", ColumnKind::Numeric);
        let mut c = ColumnBuilder::new("c", ColumnKind::Categorical);
        let mut y = ColumnBuilder::new("y", ColumnKind::Categorical);
        for i in 0..n {
            let xv = (rng.below(1000) as f64) / 100.0 - 5.0;
            let cv = if rng.below(2) == 0 { "a" } else { "b" };
            let z = xv + if cv == "b" { 1.5 } else { -1.5 };
            let p = 1.0 / (1.0 + (-z).exp());
            let bad = (rng.below(10_000) as f64) / 10_000.0 < p;
            x.push_number(if i % 17 == 0 { None } else { Some(xv) }).unwrap();
            c.push_text((i % 23 != 0).then_some(cv));
            y.push_text(Some(if bad { "bad" } else { "good" }));
        }
        (x.finish(), c.finish(), y.finish())
    }

    /// Trains with the defaults of everything not named.
    #[allow(clippy::too_many_arguments)]
    fn train_with(
        features: Vec<&Column>,
        target: &Column,
        algorithm: &str,
        hyperparams: Value,
        split: SplitSpec,
        test_size: f64,
        seed: u64,
        threads: usize,
    ) -> Result<TrainOutcome> {
        train(&TrainRequest {
            features,
            target: Some(target),
            split_column: None,
            split,
            test_size,
            seed,
            task: None,
            positive: None,
            algorithm,
            hyperparams: &hyperparams,
            preprocess: &json!({}),
            stored_binnings: &StoredBinnings::new(),
            weights: None,
            search: None,
            search_params: &Value::Null,
            folds: None,
            metric: None,
            threads,
            on_round: &|_| Ok(()),
        })
    }

    #[test]
    fn logistic_learns_and_test_metrics_are_reported() {
        let (x, c, y) = data(2000);
        let out =
            train_with(vec![&x, &c], &y, "logistic", json!({}), SplitSpec::Stratified, 0.25, 42, 1).unwrap();
        // 20 % of each class, each rounded: 500 ± 1.
        assert!((499..=501).contains(&out.test_rows), "{} test rows", out.test_rows);
        assert_eq!(out.model.target.positive.as_deref(), Some("bad"));
        let auc = out.metrics["test"]["auc"].as_f64().unwrap();
        assert!(auc > 0.85, "test AUC {auc}");
    }

    #[test]
    fn fits_on_rows_encoded_on_demand_equal_fits_on_the_matrix() {
        use crate::inputs::Inputs;
        use crate::preprocess::EncodedRows;
        let (x, c, y) = data(3000);
        let labels: Vec<f64> =
            (0..3000).map(|i| matches!(y.raw(i), RawValue::Text("bad")) as u8 as f64).collect();
        // Training rows in a shuffled order, across several blocks.
        let rows: Vec<usize> = (0..2500).map(|i| (i * 7919) % 3000).collect();
        let yr = ndarray::Array1::from_iter(rows.iter().map(|&i| labels[i]));
        let columns = [&x, &c];
        for (algorithm, hyperparams, keep_missing) in [
            ("logistic", json!({}), false),
            ("gradient_boosting", json!({"n_estimators": 20, "early_stopping_rounds": 3}), true),
            ("svm", json!({}), false),
        ] {
            let mut options = PreprocessOptions::from_json(&json!({})).unwrap();
            if keep_missing {
                options.keep_missing_by_default();
            }
            let picked: Vec<Column> = columns.iter().map(|col| col.take(&rows)).collect();
            let picked: Vec<&Column> = picked.iter().collect();
            let recipe =
                Recipe::fit(&picked, yr.as_slice().unwrap(), Task::Binary, &options, &StoredBinnings::new())
                    .unwrap();
            let encoded = EncodedRows::new(&recipe, &columns, &rows, None);
            // The matrix row by row through the recipe (no up-front text encodings).
            let mut matrix = ndarray::Array2::zeros((rows.len(), recipe.width()));
            for (&i, mut out) in rows.iter().zip(matrix.rows_mut()) {
                let raw: Vec<RawValue<'_>> = columns.iter().map(|col| col.raw(i)).collect();
                recipe.encode_row(&raw, out.as_slice_mut().unwrap()).unwrap();
            }
            let bits = |m: &ndarray::Array2<f64>| m.mapv(f64::to_bits);
            assert_eq!(bits(&encoded.to_matrix().unwrap()), bits(&matrix));
            let a = algorithms::build(algorithm, Task::Binary, &hyperparams).unwrap();
            let ctx = algorithms::FitContext::new(&recipe);
            assert_eq!(
                a.fit_inputs(&encoded, &yr, &ctx).unwrap(),
                a.fit(&matrix, &yr, &ctx).unwrap(),
                "{algorithm}"
            );
        }
        // Missing inputs for an algorithm that cannot take them: the error names it.
        let mut options = PreprocessOptions::from_json(&json!({})).unwrap();
        options.keep_missing_by_default();
        let recipe = Recipe::fit(&[&x], &labels, Task::Binary, &options, &StoredBinnings::new()).unwrap();
        let all: Vec<usize> = (0..3000).collect();
        let only_x = [&x];
        let encoded = EncodedRows::new(&recipe, &only_x, &all, Some("logistic"));
        let a = algorithms::build("logistic", Task::Binary, &json!({})).unwrap();
        let e = a.fit_inputs(&encoded, &ndarray::Array1::from(labels), &algorithms::FitContext::new(&recipe));
        assert_eq!(e.unwrap_err().message, "algorithm \"logistic\" cannot take missing values");
    }

    #[test]
    fn models_and_scores_do_not_depend_on_the_thread_count() {
        // Enough rows that a histogram pass is cut into parts and a partition into shares.
        let n = 150_000;
        let (x, c, y) = data(n);
        let fit = |threads| {
            let hyperparams = json!({"n_estimators": 10});
            train_with(vec![&x, &c], &y, "gradient_boosting", hyperparams, SplitSpec::Random, 0.2, 3, threads)
                .unwrap()
        };
        let (on_one, on_three) = (fit(1), fit(3));
        let rows: Vec<usize> = (0..n).rev().collect();
        let one = score_rows(&on_one.model, &[&x, &c], &rows, 1).unwrap();
        let three = score_rows(&on_three.model, &[&x, &c], &rows, 3).unwrap();
        assert_eq!(one.len(), n);
        assert_eq!(
            one.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            three.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(one.iter().all(|p| (0.0..=1.0).contains(p)) && one[0] != one[1]);
    }

    #[test]
    fn unknown_algorithm_is_an_error() {
        let (x, _, y) = data(50);
        let e = train_with(vec![&x], &y, "xgboost", json!({}), SplitSpec::Random, 0.2, 1, 1).err().unwrap();
        assert!(e.message.contains("unknown algorithm"));
    }
}
