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
