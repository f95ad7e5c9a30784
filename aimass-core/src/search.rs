//! Hyperparameter search and k-fold cross-validation on the training rows.
//!
//! `search_params` maps hyperparameter names to a list of values (grid and random search) or,
//! for random search, to a range `{"min": a, "max": b}` (add `"log": true` to draw on a log
//! scale, `"integer": true` for whole numbers); `"n_iter"` (random search, default 10) is how many
//! configurations are drawn. Every configuration is scored by k-fold cross-validation (stratified
//! for binary targets): in each fold the preprocessing recipe and the model are fitted on the
//! other folds and scored on the fold through the same path as `aimass.predict_proba`. The best
//! mean score of the chosen metric wins (AUC by default for binary targets, RMSE for numeric
//! ones); every configuration and its fold scores are kept in the model's metrics.

use serde_json::{json, Map, Value};

use crate::algorithms::{self, FitContext, Progress};
use crate::error::{AimassError, ErrorKind, Result};
use crate::fitting::{self, FitData};
use crate::split::{self, SplitMix64};
use crate::task::Task;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Grid,
    Random,
}

impl Method {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "grid" => Ok(Method::Grid),
            "random" => Ok(Method::Random),
            other => Err(AimassError::invalid_parameter(format!("unknown search \"{other}\""))
                .with_hint("Use search => 'grid' or 'random'.")),
        }
    }
}

/// The metrics a search may optimize, and whether higher is better.
const METRICS: &[(&str, bool, Task)] = &[
    ("auc", true, Task::Binary),
    ("ks", true, Task::Binary),
    ("gini", true, Task::Binary),
    ("log_loss", false, Task::Binary),
    ("brier", false, Task::Binary),
    ("accuracy", true, Task::Binary),
    ("f1", true, Task::Binary),
    ("rmse", false, Task::Regression),
    ("mae", false, Task::Regression),
    ("r2", true, Task::Regression),
];

/// Checks `metric` for the task (default: the task's headline metric); returns it and whether
/// higher is better.
pub fn metric(task: Task, metric: Option<&str>) -> Result<(&'static str, bool)> {
    let name = metric.unwrap_or(task.headline_metric());
    METRICS.iter().find(|(n, _, t)| *n == name && *t == task).map(|(n, up, _)| (*n, *up)).ok_or_else(|| {
        let names: Vec<&str> = METRICS.iter().filter(|m| m.2 == task).map(|m| m.0).collect();
        AimassError::invalid_parameter(format!("metric \"{name}\" cannot rank {} models", task.as_str()))
            .with_hint(format!("Use one of: {}.", names.join(", ")))
    })
}

/// The hyperparameter configurations to try: `base` overlaid with each combination.
pub fn candidates(method: Method, base: &Value, search_params: &Value, seed: u64) -> Result<Vec<Value>> {
    let Value::Object(params) = search_params else {
        return Err(AimassError::invalid_parameter(format!(
            "search_params must be a JSON object of hyperparameter names, not {search_params}"
        )));
    };
    let mut params = params.clone();
    let n_iter = match params.remove("n_iter") {
        None => 10,
        Some(v) if method == Method::Random => match v.as_u64() {
            Some(n @ 1..=1000) => n as usize,
            _ => {
                return Err(AimassError::invalid_parameter(format!(
                    "search_params \"n_iter\" must be 1 – 1000, not {v}"
                )))
            }
        },
        Some(_) => {
            return Err(AimassError::invalid_parameter("search_params \"n_iter\" is for random search"))
        }
    };
    if params.is_empty() {
        return Err(AimassError::invalid_parameter("search_params names no hyperparameter to search"));
    }
    let overlay = |choice: Vec<(&String, Value)>| {
        let mut h = base.as_object().cloned().unwrap_or_default();
        for (k, v) in choice {
            h.insert(k.clone(), v);
        }
        Value::Object(h)
    };
    match method {
        Method::Grid => {
            let mut grid: Vec<Vec<(&String, Value)>> = vec![vec![]];
            for (k, v) in &params {
                let Value::Array(values) = v else {
                    return Err(AimassError::invalid_parameter(format!(
                        "grid search needs a list of values for \"{k}\", not {v}"
                    )));
                };
                if values.is_empty() {
                    return Err(AimassError::invalid_parameter(format!(
                        "search_params \"{k}\" lists no value"
                    )));
                }
                // The size is checked before the grid is built.
                if grid.len().saturating_mul(values.len()) > 1000 {
                    return Err(AimassError::new(
                        ErrorKind::LimitExceeded,
                        "the grid holds more than 1000 configurations",
                    )
                    .with_hint("Use search => 'random' with n_iter."));
                }
                grid = grid
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |x| {
                            let mut c = c.clone();
                            c.push((k, x.clone()));
                            c
                        })
                    })
                    .collect();
            }
            Ok(grid.into_iter().map(overlay).collect())
        }
        Method::Random => {
            let mut rng = SplitMix64::new(seed);
            let mut out = Vec::with_capacity(n_iter);
            for _ in 0..n_iter {
                let mut choice = Vec::with_capacity(params.len());
                for (k, v) in &params {
                    choice.push((k, draw(k, v, &mut rng)?));
                }
                out.push(overlay(choice));
            }
            Ok(out)
        }
    }
}

fn draw(k: &str, v: &Value, rng: &mut SplitMix64) -> Result<Value> {
    match v {
        Value::Array(values) if !values.is_empty() => {
            Ok(values[rng.below(values.len() as u64) as usize].clone())
        }
        Value::Object(r) => {
            let get = |name: &str| r.get(name).and_then(Value::as_f64);
            let (Some(lo), Some(hi)) = (get("min"), get("max")) else {
                return Err(range_error(k, v));
            };
            let log = r.get("log").and_then(Value::as_bool).unwrap_or(false);
            let integer = r.get("integer").and_then(Value::as_bool).unwrap_or(false);
            if r.keys().any(|key| !["min", "max", "log", "integer"].contains(&key.as_str()))
                || lo > hi
                || (log && lo <= 0.0)
            {
                return Err(range_error(k, v));
            }
            let u = rng_unit(rng);
            let x = if log { (lo.ln() + u * (hi.ln() - lo.ln())).exp() } else { lo + u * (hi - lo) };
            Ok(if integer { json!(x.round() as i64) } else { json!(x) })
        }
        _ => Err(range_error(k, v)),
    }
}

fn rng_unit(rng: &mut SplitMix64) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn range_error(k: &str, v: &Value) -> AimassError {
    AimassError::invalid_parameter(format!(
        "search_params \"{k}\" must be a list of values or {{\"min\": a, \"max\": b, \"log\": bool, \"integer\": bool}}, not {v}"
    ))
}

/// What cross-validation needs: the training rows' columns and labels and how to preprocess
/// them, and their sample weights.
pub struct CvData<'a> {
    pub fit: FitData<'a>,
    pub weights: Option<&'a [f64]>,
}

/// The fold scores of one configuration; inner progress is reported under `label`.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    label: &str,
    data: &CvData<'_>,
    algorithm_name: &str,
    hyperparams: &Value,
    fold_of: &[usize],
    k: usize,
    metric: &str,
    ctx: &FitContext<'_>,
) -> Result<Vec<f64>> {
    let algorithm = algorithms::build(algorithm_name, data.fit.encoding.task, hyperparams)?;
    let fit_data = &data.fit;
    let mut scores = Vec::with_capacity(k);
    for f in 0..k {
        let (fit_rows, val_rows): (Vec<usize>, Vec<usize>) =
            (0..fit_data.labels.len()).partition(|&i| fold_of[i] != f);
        // Inner rounds report as part of the search (and keep cancel prompt).
        let stage = format!("{label}, fold {} of {k}: {}", f + 1, algorithm.name());
        let inner = |p: &Progress<'_>| (ctx.on_round)(&Progress { stage: &stage, ..*p });
        let fold_weights: Option<Vec<f64>> = data.weights.map(|w| fit_rows.iter().map(|&i| w[i]).collect());
        let (model, _) = fitting::fit_rows(
            algorithm.as_ref(),
            fit_data,
            &fit_rows,
            fold_weights.as_deref(),
            ctx.threads,
            &inner,
        )?;
        let m =
            fitting::score_metrics(&model, fit_data.features, fit_data.labels, &val_rows, 0.5, ctx.threads)?;
        scores.push(m[metric].as_f64().unwrap_or(f64::NAN));
    }
    Ok(scores)
}

/// One configuration's result.
#[derive(Debug, Clone)]
pub struct Trial {
    pub hyperparams: Value,
    pub scores: Vec<f64>,
    pub mean: f64,
    pub std: f64,
}

/// Runs the search; returns every trial and the index of the best one.
#[allow(clippy::too_many_arguments)]
pub fn run(
    data: &CvData<'_>,
    algorithm_name: &str,
    configs: Vec<Value>,
    k: usize,
    seed: u64,
    metric: &str,
    higher_is_better: bool,
    ctx: &FitContext<'_>,
) -> Result<(Vec<Trial>, usize)> {
    let binary = data.fit.encoding.task == Task::Binary;
    if data.fit.labels.len() < k {
        return Err(AimassError::data(format!("{k} folds need at least {k} training rows")));
    }
    let fold_of = split::folds(data.fit.labels, k, binary, seed);
    let mut trials: Vec<Trial> = Vec::with_capacity(configs.len());
    let mut best: Option<usize> = None;
    let total = configs.len();
    let metric_label = format!("cv {metric}");
    for (c, hyperparams) in configs.into_iter().enumerate() {
        let label = format!("search: configuration {} of {total}", c + 1);
        let scores = cross_validate(&label, data, algorithm_name, &hyperparams, &fold_of, k, metric, ctx)?;
        let mean = scores.iter().sum::<f64>() / k as f64;
        let std = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / k as f64).sqrt();
        let better = |b: &Trial| if higher_is_better { mean > b.mean } else { mean < b.mean };
        if mean.is_finite() && best.is_none_or(|b| better(&trials[b])) {
            best = Some(c);
        }
        trials.push(Trial { hyperparams, scores, mean, std });
        let best_mean = best.map(|b| trials[b].mean);
        (ctx.on_round)(&Progress {
            stage: "search",
            round: c + 1,
            total,
            metric: &metric_label,
            score: Some(mean),
            best: best_mean,
        })?;
    }
    let best =
        best.ok_or_else(|| AimassError::data("no configuration gave a finite cross-validation score"))?;
    Ok((trials, best))
}

/// The search's record for the model's metrics.
pub fn report(method: Option<Method>, k: usize, metric: &str, trials: &[Trial], best: usize) -> Value {
    let results: Vec<Value> = trials
        .iter()
        .map(|t| json!({"hyperparams": t.hyperparams, "cv_mean": t.mean, "cv_std": t.std, "fold_scores": t.scores}))
        .collect();
    let mut m = Map::new();
    if let Some(method) = method {
        m.insert("method".into(), json!(if method == Method::Grid { "grid" } else { "random" }));
    }
    m.insert("folds".into(), json!(k));
    m.insert("metric".into(), json!(metric));
    m.insert("best".into(), json!(best));
    m.insert("results".into(), Value::Array(results));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_is_every_combination_over_the_base() {
        let c = candidates(
            Method::Grid,
            &json!({"n_estimators": 50}),
            &json!({"num_leaves": [7, 15], "learning_rate": [0.05, 0.1, 0.2]}),
            1,
        )
        .unwrap();
        assert_eq!(c.len(), 6);
        assert!(c.iter().all(|h| h["n_estimators"] == 50));
        assert!(c.contains(&json!({"n_estimators": 50, "num_leaves": 15, "learning_rate": 0.2})));
    }

    #[test]
    fn random_draws_stay_in_their_ranges() {
        let p = json!({"n_iter": 50, "learning_rate": {"min": 0.01, "max": 0.3, "log": true}, "num_leaves": {"min": 4, "max": 64, "integer": true}, "max_bins": [63, 255]});
        let c = candidates(Method::Random, &json!({}), &p, 9).unwrap();
        assert_eq!(c.len(), 50);
        for h in &c {
            let lr = h["learning_rate"].as_f64().unwrap();
            assert!((0.01..=0.3).contains(&lr));
            assert!(h["num_leaves"].is_i64() && (4..=64).contains(&h["num_leaves"].as_i64().unwrap()));
            assert!(h["max_bins"] == 63 || h["max_bins"] == 255);
        }
        assert_eq!(c, candidates(Method::Random, &json!({}), &p, 9).unwrap(), "deterministic under the seed");
    }

    #[test]
    fn bad_search_params() {
        for (m, p) in [
            (Method::Grid, json!({"num_leaves": 7})),
            (Method::Grid, json!({"num_leaves": []})),
            (Method::Grid, json!({})),
            (Method::Grid, json!({"n_iter": 5, "a": [1]})),
            (Method::Random, json!({"a": {"min": 2, "max": 1}})),
            (Method::Random, json!({"a": {"min": 0, "max": 1, "log": true}})),
            (Method::Random, json!({"a": {"low": 0, "max": 1}})),
            (Method::Random, json!({"n_iter": 0, "a": [1]})),
            (Method::Grid, json!([1])),
        ] {
            assert!(candidates(m, &json!({}), &p, 1).is_err(), "{p}");
        }
        assert!(metric(Task::Binary, Some("rmse")).is_err());
        assert_eq!(metric(Task::Regression, None).unwrap(), ("rmse", false));
    }
}
