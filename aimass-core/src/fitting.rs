//! One fit of the pipeline on some rows, and the scores of rows: what training and
//! cross-validation share, so that a search's folds are fitted exactly as the final model is.

use serde_json::{json, Value};

use crate::algorithms::{Algorithm, FitContext, Progress};
use crate::data::{Column, RawValue};
use crate::error::{AimassError, Result};
use crate::metrics;
use crate::model::Model;
use crate::preprocess::{EncodedRows, PreprocessOptions, Recipe, StoredBinnings};
use crate::task::{TargetEncoding, Task};

/// The columns a fit reads its rows from, and how to preprocess them.
pub struct FitData<'a> {
    pub features: &'a [&'a Column],
    /// One label per row of `features`.
    pub labels: &'a [f64],
    pub encoding: &'a TargetEncoding,
    pub preprocess: &'a PreprocessOptions,
    pub stored_binnings: &'a StoredBinnings,
}

/// Fits `algorithm` on the rows `rows` of `data` (with one weight per row of `rows`, if any):
/// the recipe on copies of those rows, freed before the fit reads its inputs encoded block by
/// block from the full columns (an algorithm that needs the whole matrix builds it). Returns the
/// model and when the fit itself started.
pub fn fit_rows(
    algorithm: &dyn Algorithm,
    data: &FitData<'_>,
    rows: &[usize],
    weights: Option<&[f64]>,
    threads: usize,
    on_round: &dyn Fn(&Progress<'_>) -> Result<()>,
) -> Result<(Model, std::time::Instant)> {
    let mut preprocess = data.preprocess.clone();
    if algorithm.handles_missing() {
        preprocess.keep_missing_by_default();
    }
    let y: Vec<f64> = rows.iter().map(|&i| data.labels[i]).collect();
    let recipe = {
        let cols: Vec<Column> = data.features.iter().map(|c| c.take(rows)).collect();
        let refs: Vec<&Column> = cols.iter().collect();
        Recipe::fit_threads(&refs, &y, data.encoding.task, &preprocess, data.stored_binnings, threads)?
    };
    release_free_memory();
    let refuse_missing = (!algorithm.handles_missing()).then(|| algorithm.name());
    let x = EncodedRows::new(&recipe, data.features, rows, refuse_missing);
    let ctx = FitContext { recipe: &recipe, weights, threads, on_round };
    let started = std::time::Instant::now();
    let fitted = algorithm.fit_inputs(&x, &ndarray::Array1::from(y), &ctx)?;
    let model =
        Model { algorithm: algorithm.name().to_owned(), target: data.encoding.clone(), recipe, fitted };
    Ok((model, started))
}

/// Scores the rows `rows` of `features` one by one and returns their metrics as JSON.
pub fn score_metrics(
    model: &Model,
    features: &[&Column],
    labels: &[f64],
    rows: &[usize],
    threshold: f64,
    threads: usize,
) -> Result<Value> {
    let scores = score_rows(model, features, rows, threads)?;
    let y: Vec<f64> = rows.iter().map(|&i| labels[i]).collect();
    metrics_json(model.task(), &scores, &y, threshold)
}

/// Scores the given rows through [`Model::score`], the path inline scoring takes, on up to
/// `threads` threads (each row's score alone: the same on any number of threads).
pub fn score_rows(model: &Model, features: &[&Column], rows: &[usize], threads: usize) -> Result<Vec<f64>> {
    const CHUNK: usize = 16_384;
    let score = |part: &[usize]| -> Result<Vec<f64>> {
        let mut raw: Vec<RawValue<'_>> = Vec::with_capacity(features.len());
        let mut scratch = Vec::new();
        part.iter()
            .enumerate()
            .map(|(k, &i)| {
                // Rows of a large ensemble can take a millisecond each: check every 256.
                if k % 256 == 0 {
                    crate::interrupt::check()?;
                }
                raw.clear();
                raw.extend(features.iter().map(|c| c.raw(i)));
                model.score(&raw, &mut scratch)
            })
            .collect()
    };
    let parts = crate::parallel::map(rows.chunks(CHUNK).collect(), threads, score);
    let mut out = Vec::with_capacity(rows.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// Hands freed heap pages back to the system. glibc keeps freed blocks below its mmap threshold
/// (such as a column of a million numbers) in the process, so without this the copies just freed
/// would still count in the backend's memory while the input matrix is built beside them.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases memory that is free.
        unsafe { malloc_trim(0) };
    }
}

pub fn metrics_json(task: Task, scores: &[f64], labels: &[f64], threshold: f64) -> Result<Value> {
    let enc = |e: serde_json::Error| AimassError::internal(format!("cannot encode metrics: {e}"));
    Ok(match task {
        Task::Binary => serde_json::to_value(metrics::binary(scores, labels, threshold)).map_err(enc)?,
        Task::Regression => serde_json::to_value(metrics::regression(scores, labels)).map_err(enc)?,
        Task::Anomaly => {
            // The score's distribution; with both classes labelled, how well it ranks the events.
            let mut v = serde_json::to_value(metrics::score_summary(scores)).map_err(enc)?;
            if labels.contains(&1.0) && labels.contains(&0.0) {
                let b = serde_json::to_value(metrics::binary(scores, labels, threshold)).map_err(enc)?;
                if let (Value::Object(v), Value::Object(b)) = (&mut v, b) {
                    v.extend(b);
                }
            }
            v
        }
        Task::Clustering => json!({"rows": scores.len(), "cluster_sizes": metrics::cluster_sizes(scores)}),
    })
}

/// What `aimass.train` returns of a model's metrics: each part's headline metrics
/// (`Task::headline_metrics`), the number of trees kept, the rows left out for a NULL target, and a
/// search's or cross-validation's metric and best configuration. The whole document, with the
/// model card's curves and every configuration tried, stays in `aimass.models.metrics`.
pub fn headline(task: Task, metrics: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for part in ["train", "test"] {
        let picked: serde_json::Map<String, Value> = task
            .headline_metrics()
            .iter()
            .filter_map(|&k| Some((k.to_owned(), metrics.get(part)?.get(k)?.clone())))
            .collect();
        out.insert(part.to_owned(), Value::Object(picked));
    }
    for key in ["trees", "null_target_rows"] {
        if let Some(v) = metrics.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    for key in ["search", "cv"] {
        let Some(report) = metrics.get(key) else { continue };
        let best =
            report.get("best").and_then(Value::as_u64).and_then(|b| report.get("results")?.get(b as usize));
        out.insert(
            key.to_owned(),
            json!({
                "metric": report.get("metric"),
                "folds": report.get("folds"),
                "best_hyperparams": best.and_then(|b| b.get("hyperparams")),
                "cv_mean": best.and_then(|b| b.get("cv_mean")),
            }),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_keeps_the_ranking_metrics_and_drops_the_curves_and_trials() {
        let full = json!({
            "train": {"auc": 0.9, "ks": 0.7, "gini": 0.8, "rows": 800, "log_loss": 0.3, "confusion_matrix": {"tp": 1}},
            "test": {"auc": 0.8, "ks": 0.5, "gini": 0.6, "rows": 200, "brier": 0.1},
            "curves": {"roc": [[0.0, 0.0], [1.0, 1.0]]},
            "trees": 120,
            "null_target_rows": 3,
            "search": {"method": "grid", "folds": 5, "metric": "auc", "best": 1,
                       "results": [{"hyperparams": {"alpha": 1}, "cv_mean": 0.7, "fold_scores": [0.7]},
                                   {"hyperparams": {"alpha": 2}, "cv_mean": 0.75, "fold_scores": [0.75]}]},
        });
        assert_eq!(
            headline(Task::Binary, &full),
            json!({
                "train": {"auc": 0.9, "ks": 0.7, "gini": 0.8, "rows": 800},
                "test": {"auc": 0.8, "ks": 0.5, "gini": 0.6, "rows": 200},
                "trees": 120,
                "null_target_rows": 3,
                "search": {"metric": "auc", "folds": 5, "best_hyperparams": {"alpha": 2}, "cv_mean": 0.75},
            })
        );
    }

    #[test]
    fn the_headline_of_each_task_names_its_own_metrics() {
        let full = json!({"test": {"rmse": 2.0, "mae": 1.5, "r2": 0.6, "rows": 10, "auc": 0.5}});
        assert_eq!(
            headline(Task::Regression, &full)["test"],
            json!({"rmse": 2.0, "mae": 1.5, "r2": 0.6, "rows": 10})
        );
        let full = json!({"train": {"rows": 50, "cluster_sizes": [20, 30], "inertia": 4.5}});
        assert_eq!(headline(Task::Clustering, &full)["train"], json!({"inertia": 4.5, "rows": 50}));
        // An unlabelled anomaly model has no AUC to show.
        let full = json!({"test": {"rows": 10, "mean_score": 0.4, "score_p99": 0.9}});
        assert_eq!(headline(Task::Anomaly, &full)["test"], json!({"mean_score": 0.4, "rows": 10}));
    }
}
