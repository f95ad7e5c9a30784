//! `gradient_boosting`: histogram gradient-boosted decision trees, our own learner (pure Rust,
//! [`super::histogram_tree`]).
//!
//! As LightGBM does by default: inputs bucketed into at most `max_bins` histogram bins, trees
//! grown leaf-wise up to `num_leaves` leaves with at least `min_data_in_leaf` rows and
//! `min_sum_hessian` per leaf, L2 on leaf values. Binary targets use the log loss (starting from
//! the log-odds of the base rate), numeric targets the squared error (starting from the mean).
//!
//! | name | default | range | purpose |
//! |---|---|---|---|
//! | monotone_constraints | {} | feature → 1 or −1 | the prediction never falls (1) or never rises (−1) as the feature grows; numeric features only |
//! | class_weight | none | "balanced" | weight classes by total / (2 · class weight) (binary) |
//!
//! Sample weights (`weight_column`) scale each row's gradient and hessian; the validation loss of
//! early stopping is weighted too.
//!
//! Missing values: numeric NULLs stay missing by default (`impute` `keep`) and take a histogram
//! bin of their own below every value, so a split can send them left with the low values or
//! separate them (at prediction a missing value always goes left).
//!
use ndarray::{Array1, Array2};
use serde_json::{json, Map, Value};

use super::histogram_tree::{Binned, Gradient, Grower, TreeParams};
use super::tree::{Combine, TreeEnsemble};
use super::{Algorithm, FitContext, FittedModel, Inputs, Progress};
use crate::error::{AimassError, Result};
use crate::inputs::for_each_block;
use crate::json_options::{Options, Param};
use crate::preprocess::{FeatureStep, Recipe};
use crate::split::{self, SplitMix64};
use crate::task::Task;
use crate::{interrupt, memory};

pub const NAME: &str = "gradient_boosting";

/// Rows per share of the gradient computation.
const GRADIENT_CHUNK: usize = 1 << 16;

#[derive(Debug, Clone, PartialEq)]
pub struct GradientBoosting {
    pub task: Task,
    pub n_estimators: usize,
    pub learning_rate: f64,
    pub num_leaves: usize,
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian: f64,
    pub lambda_l2: f64,
    pub max_bins: usize,
    /// Feature name → +1 (rising) or −1 (falling), in the order given.
    pub monotone: Vec<(String, i8)>,
    pub early_stopping_rounds: usize,
    pub validation_fraction: f64,
    pub seed: u64,
    pub balanced: bool,
}

const N_ESTIMATORS: Param = Param::integer("n_estimators", 1, 100_000, 100, "Boosting rounds.");
const LEARNING_RATE: Param = Param::number("learning_rate", 1e-6, 1.0, 0.1, "Shrinkage.");
const NUM_LEAVES: Param = Param::integer("num_leaves", 2, 4096, 31, "Leaves per tree.");
const MAX_DEPTH: Param = Param::integer("max_depth", 0, 64, 0, "Depth limit, 0 for none.");
const MIN_DATA_IN_LEAF: Param = Param::integer("min_data_in_leaf", 1, 1_000_000_000, 20, "Rows per leaf.");
const MIN_SUM_HESSIAN: Param = Param::number("min_sum_hessian", 0.0, 1e12, 1e-3, "Hessian per leaf.");
const LAMBDA_L2: Param = Param::number("lambda_l2", 0.0, 1e12, 0.0, "L2 penalty on leaf values.");
const MAX_BINS: Param = Param::integer("max_bins", 2, 255, 255, "Histogram bins per input.");
const EARLY_STOPPING_ROUNDS: Param = Param::integer("early_stopping_rounds", 0, 10_000, 0, "Stop when the validation loss has not improved for this many rounds and keep the best round's trees (0: off).");
const VALIDATION_FRACTION: Param = Param::number(
    "validation_fraction",
    1e-6,
    0.5,
    0.1,
    "Share of the training rows held out (stratified for binary targets) for early stopping.",
);
const SEED: Param = Param::integer("seed", i64::MIN, i64::MAX, 42, "Draws the validation rows.");
const MONOTONE_CONSTRAINTS: Param = Param::shaped(
    "monotone_constraints",
    "object",
    "{feature: 1 (rising), -1 (falling) or 0}",
    "{}",
    "Numeric features the score must rise or fall with.",
);
pub const PARAMS: &[Param] = &[
    N_ESTIMATORS,
    LEARNING_RATE,
    NUM_LEAVES,
    MAX_DEPTH,
    MIN_DATA_IN_LEAF,
    MIN_SUM_HESSIAN,
    LAMBDA_L2,
    MAX_BINS,
    EARLY_STOPPING_ROUNDS,
    VALIDATION_FRACTION,
    SEED,
    MONOTONE_CONSTRAINTS,
    super::random_forest::CLASS_WEIGHT,
];

impl GradientBoosting {
    pub fn from_json(value: &Value, task: Task) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let p = Self {
            task,
            n_estimators: o.int(&N_ESTIMATORS)? as usize,
            learning_rate: o.num(&LEARNING_RATE)?,
            num_leaves: o.int(&NUM_LEAVES)? as usize,
            max_depth: o.int(&MAX_DEPTH)? as usize,
            min_data_in_leaf: o.int(&MIN_DATA_IN_LEAF)? as usize,
            min_sum_hessian: o.num(&MIN_SUM_HESSIAN)?,
            lambda_l2: o.num(&LAMBDA_L2)?,
            max_bins: o.int(&MAX_BINS)? as usize,
            monotone: monotone_from_json(&o.shaped(&MONOTONE_CONSTRAINTS))?,
            early_stopping_rounds: o.int(&EARLY_STOPPING_ROUNDS)? as usize,
            validation_fraction: o.num(&VALIDATION_FRACTION)?,
            seed: o.int(&SEED)? as u64,
            balanced: super::random_forest::class_weight_option(&mut o, task)?,
        };
        o.finish()?;
        Ok(p)
    }

    pub fn tree_params(&self, monotone: Vec<i8>, threads: usize) -> TreeParams {
        TreeParams {
            num_leaves: self.num_leaves,
            max_depth: self.max_depth,
            min_data_in_leaf: self.min_data_in_leaf,
            min_sum_hessian: self.min_sum_hessian,
            lambda_l2: self.lambda_l2,
            shrinkage: self.learning_rate,
            features_per_split: None,
            monotone,
            threads,
        }
    }

    fn loss(&self, raw: f64, y: f64) -> f64 {
        if self.task == Task::Binary {
            let p = super::linear_model::sigmoid(raw).clamp(1e-15, 1.0 - 1e-15);
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        } else {
            (raw - y) * (raw - y)
        }
    }
}

fn monotone_from_json(value: &Value) -> Result<Vec<(String, i8)>> {
    let map = value.as_object().ok_or_else(|| {
        AimassError::invalid_parameter(format!(
            "hyperparams \"monotone_constraints\" must be a JSON object, not {value}"
        ))
    })?;
    map.iter()
        .map(|(k, v)| match v.as_i64() {
            Some(c @ (-1 | 1)) => Ok((k.clone(), c as i8)),
            Some(0) => Ok((k.clone(), 0)),
            _ => Err(AimassError::invalid_parameter(format!(
                "monotone_constraints of \"{k}\" must be 1 (rising), -1 (falling) or 0, not {v}"
            ))),
        })
        .collect()
}

/// Per encoded input: the constraint of the numeric feature it encodes (monotone preprocessing:
/// imputing, clipping and positive scaling keep the order).
pub fn monotone_inputs(recipe: &Recipe, constraints: &[(String, i8)]) -> Result<Vec<i8>> {
    if constraints.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![0i8; recipe.width()];
    for (name, c) in constraints {
        let mut at = 0;
        let mut found = false;
        for step in &recipe.steps {
            if step.name() == name {
                if !matches!(step, FeatureStep::Numeric(_)) {
                    return Err(AimassError::invalid_parameter(format!(
                        "monotone_constraints: feature \"{name}\" is not encoded as a number"
                    ))
                    .with_hint("Constraints apply to numeric features without a text or WOE encoding."));
                }
                out[at] = *c;
                found = true;
            }
            at += step.width();
        }
        if !found {
            return Err(AimassError::invalid_parameter(format!(
                "monotone_constraints names \"{name}\", which is not a feature of the model"
            )));
        }
    }
    Ok(out)
}

impl Algorithm for GradientBoosting {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        let monotone: Map<String, Value> = self.monotone.iter().map(|(k, c)| (k.clone(), json!(c))).collect();
        json!({
            "n_estimators": self.n_estimators, "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "max_depth": self.max_depth, "min_data_in_leaf": self.min_data_in_leaf,
            "min_sum_hessian": self.min_sum_hessian, "lambda_l2": self.lambda_l2, "max_bins": self.max_bins,
            "monotone_constraints": monotone, "early_stopping_rounds": self.early_stopping_rounds,
            "validation_fraction": self.validation_fraction, "seed": self.seed,
            "class_weight": if self.balanced { "balanced" } else { "none" },
        })
    }

    fn handles_missing(&self) -> bool {
        true
    }

    fn takes_weights(&self) -> bool {
        true
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        self.fit_inputs(x, y, ctx)
    }

    /// Reads the inputs twice: once to bin the fitting rows, once for the validation rows.
    fn fit_inputs(&self, x: &dyn Inputs, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(AimassError::data("gradient boosting needs rows and inputs"));
        }
        let binary = self.task == Task::Binary;
        let monotone = monotone_inputs(ctx.recipe, &self.monotone)?;
        // With early stopping, a validation part of the training rows watches the loss.
        let (fit_rows, val_rows): (Vec<usize>, Vec<usize>) = if self.early_stopping_rounds > 0 {
            let y = y.as_slice().unwrap_or_default();
            let held = if binary {
                split::stratified(y, self.validation_fraction, self.seed)
            } else {
                split::random(y.len(), self.validation_fraction, self.seed)
            };
            (0..y.len()).partition(|&i| !held[i])
        } else {
            ((0..x.nrows()).collect(), Vec::new())
        };
        if fit_rows.is_empty() {
            return Err(AimassError::data("too few rows to hold out a validation part"));
        }
        // The trees (two nodes and two covers per leaf) and, at most, one histogram per open leaf.
        memory::reserve(
            memory::bytes_of(self.n_estimators as u128 * 2 * self.num_leaves as u128, 40),
            &format!("{} trees of {} leaves", self.n_estimators, self.num_leaves),
            "Lower n_estimators or num_leaves.",
        )?;
        let data = Binned::new(x, &fit_rows, self.max_bins, &ctx.recipe.one_hot_groups(), ctx.threads)?;
        memory::reserve(
            memory::bytes_of(self.num_leaves as u128 * data.histogram_cells() as u128, 24),
            &format!("the histograms of {} leaves", self.num_leaves),
            "Lower num_leaves or max_bins, or use fewer features.",
        )?;
        let yf: Vec<f64> = fit_rows.iter().map(|&i| y[i]).collect();
        let n = fit_rows.len();
        let w_all = super::random_forest::class_weighted(ctx.row_weights(x.nrows()), y, self.balanced);
        let wf: Vec<f64> = fit_rows.iter().map(|&i| w_all[i]).collect();
        let params = self.tree_params(monotone, ctx.threads);
        let grower = Grower { params: &params, data: &data };
        let mean = yf.iter().zip(&wf).map(|(y, w)| y * w).sum::<f64>() / wf.iter().sum::<f64>();
        let init = if binary { (mean / (1.0 - mean)).ln() } else { mean };
        let mut raw = vec![init; n];
        let mut val_raw = vec![init; val_rows.len()];
        let mut gh = vec![Gradient::default(); n];
        let mut trees = Vec::with_capacity(self.n_estimators);
        let mut rng = SplitMix64::new(self.seed);
        let mut val_x: Vec<Vec<f64>> = Vec::with_capacity(val_rows.len());
        for_each_block(x, &val_rows, |_, block| {
            val_x.extend(block.rows().into_iter().map(|r| r.to_vec()));
            Ok(())
        })?;
        let mut best: Option<(f64, usize)> = None;
        for round in 0..self.n_estimators {
            // Each row's gradient on its own, in chunks shared by the threads.
            let chunks: Vec<_> = gh
                .chunks_mut(GRADIENT_CHUNK)
                .zip(raw.chunks(GRADIENT_CHUNK))
                .zip(yf.chunks(GRADIENT_CHUNK))
                .zip(wf.chunks(GRADIENT_CHUNK))
                .collect();
            crate::parallel::map(chunks, ctx.threads, |(((gh, raw), y), w)| {
                for (((gh, &raw), &y), &w) in gh.iter_mut().zip(raw).zip(y).zip(w) {
                    *gh = if binary {
                        let p = super::linear_model::sigmoid(raw);
                        Gradient { g: w * (p - y), h: w * (p * (1.0 - p)).max(1e-16) }
                    } else {
                        Gradient { g: w * (raw - y), h: w }
                    };
                }
            });
            let tree = grower.grow((0..n as u32).collect(), &gh, &mut rng, Some(&mut raw));
            interrupt::check()?;
            let mut score = None;
            if !val_rows.is_empty() {
                let (mut loss, mut weight) = (0.0, 0.0);
                for (k, &i) in val_rows.iter().enumerate() {
                    val_raw[k] += tree.predict(&val_x[k]);
                    loss += w_all[i] * self.loss(val_raw[k], y[i]);
                    weight += w_all[i];
                }
                let loss = loss / weight.max(f64::MIN_POSITIVE);
                if best.is_none_or(|(b, _)| loss < b) {
                    best = Some((loss, round + 1));
                }
                score = Some(loss);
            }
            trees.push(tree);
            (ctx.on_round)(&Progress {
                stage: NAME,
                round: round + 1,
                total: self.n_estimators,
                metric: if binary { "validation log loss" } else { "validation MSE" },
                score,
                best: best.map(|b| b.0),
            })?;
            if let Some((_, at)) = best {
                if round + 1 - at >= self.early_stopping_rounds {
                    break;
                }
            }
        }
        if let Some((_, at)) = best {
            trees.truncate(at);
        }
        Ok(FittedModel::Trees(TreeEnsemble::new(x.ncols(), init, binary, Combine::Sum, trees)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;

    fn fit(gb: &GradientBoosting, x: &Array2<f64>, y: &Array1<f64>) -> TreeEnsemble {
        let recipe = Recipe { steps: vec![] };
        let FittedModel::Trees(m) = gb.fit(x, y, &FitContext::new(&recipe)).unwrap() else { panic!() };
        m
    }

    /// The fit on 800k rows × 27 features (20 numbers, 7 text one-hot): `FIT_THREADS=1 cargo test
    /// --lib fit_time -- --ignored --nocapture`, for profiling without a server (BENCHMARKS.md).
    #[test]
    #[ignore]
    fn fit_time_on_800k_rows() {
        use crate::data::{ColumnBuilder, ColumnKind};
        use crate::preprocess::{EncodedRows, PreprocessOptions, StoredBinnings};
        let n = 800_000;
        let mut rng = SplitMix64::new(11);
        let mut builders: Vec<ColumnBuilder> = (0..20)
            .map(|j| ColumnBuilder::new(format!("x{j}"), ColumnKind::Numeric))
            .chain((0..7).map(|j| ColumnBuilder::new(format!("c{j}"), ColumnKind::Categorical)))
            .collect();
        let mut y = Vec::with_capacity(n);
        let cats: Vec<String> = (0..9).map(|k| format!("k{k}")).collect();
        for _ in 0..n {
            let mut z = -2.5;
            for (j, b) in builders.iter_mut().enumerate() {
                if j < 20 {
                    let v = rng.below(1_000_000) as f64 / 1e5;
                    z += if j < 5 { 0.1 * v - 0.5 } else { 0.0 };
                    b.push_number((rng.below(50) != 0).then_some(v)).unwrap();
                } else {
                    let k = rng.below(9) as usize;
                    z += if j == 20 { 0.1 * k as f64 } else { 0.0 };
                    b.push_text(Some(&cats[k]));
                }
            }
            y.push(((rng.below(1_000_000) as f64 / 1e6) < 1.0 / (1.0 + (-z).exp())) as u8 as f64);
        }
        let columns: Vec<_> = builders.into_iter().map(ColumnBuilder::finish).collect();
        let refs: Vec<&_> = columns.iter().collect();
        let mut options = PreprocessOptions::from_json(&json!({})).unwrap();
        options.keep_missing_by_default();
        let recipe = Recipe::fit(&refs, &y, Task::Binary, &options, &StoredBinnings::new()).unwrap();
        let rows: Vec<usize> = (0..n).collect();
        let x = EncodedRows::new(&recipe, &refs, &rows, None);
        let gb = GradientBoosting::from_json(&json!({}), Task::Binary).unwrap();
        let mut ctx = FitContext::new(&recipe);
        ctx.threads = std::env::var("FIT_THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1);
        let start = std::time::Instant::now();
        let FittedModel::Trees(m) = gb.fit_inputs(&x, &Array1::from(y), &ctx).unwrap() else { panic!() };
        eprintln!(
            "fit: {:.2} s, {} trees, {} inputs",
            start.elapsed().as_secs_f64(),
            m.trees.len(),
            m.n_inputs
        );
    }

    fn xor(n: usize) -> (Array2<f64>, Array1<f64>) {
        let mut x = Array2::<f64>::zeros((n, 2));
        let mut y = Array1::<f64>::zeros(n);
        for i in 0..n {
            let a = ((i * 7919) % 1000) as f64 / 500.0 - 1.0;
            let b = ((i * 104729) % 997) as f64 / 498.5 - 1.0;
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            y[i] = ((a > 0.0) == (b > 0.0)) as u8 as f64;
        }
        (x, y)
    }

    #[test]
    fn learns_an_interaction_a_linear_model_cannot() {
        // y = 1 when x0 and x1 have the same sign (XOR): AUC near 1 for trees.
        let (x, y) = xor(2000);
        let gb = GradientBoosting::from_json(&json!({"n_estimators": 50}), Task::Binary).unwrap();
        let m = fit(&gb, &x, &y);
        let p: Vec<f64> = x.axis_iter(ndarray::Axis(0)).map(|r| m.predict(r.as_slice().unwrap())).collect();
        let (auc, _) = auc_ks(&p, y.as_slice().unwrap());
        assert!(auc > 0.98, "AUC {auc}");
        assert!(m.trees.iter().all(|t| t
            .nodes
            .iter()
            .filter(|n| matches!(n, super::super::tree::Node::Leaf { .. }))
            .count()
            <= 31));
    }

    #[test]
    fn early_stopping_keeps_the_best_round() {
        // Pure noise: the validation loss stops improving early.
        let n = 2000;
        let x = Array2::from_shape_fn((n, 3), |(i, j)| ((i * (j + 3) * 2654435761) % 1000) as f64);
        let y = Array1::from_shape_fn(n, |i| ((i * 40503) % 7 < 2) as u8 as f64);
        let gb = GradientBoosting::from_json(
            &json!({"n_estimators": 500, "early_stopping_rounds": 10}),
            Task::Binary,
        )
        .unwrap();
        let m = fit(&gb, &x, &y);
        assert!(m.trees.len() < 100, "{} trees", m.trees.len());
        // The same fit without early stopping keeps every round.
        let gb = GradientBoosting { early_stopping_rounds: 0, n_estimators: 30, ..gb };
        assert_eq!(fit(&gb, &x, &y).trees.len(), 30);
    }

    #[test]
    fn regression_reduces_the_error() {
        let n = 500;
        let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
        let y = Array1::from_shape_fn(n, |i| if i < 250 { 1.0 } else { 5.0 });
        let gb = GradientBoosting::from_json(&json!({}), Task::Regression).unwrap();
        let m = fit(&gb, &x, &y);
        assert!((m.predict(&[10.0]) - 1.0).abs() < 0.01 && (m.predict(&[400.0]) - 5.0).abs() < 0.01);
    }

    #[test]
    fn bad_hyperparameters() {
        for bad in [
            json!({"num_leaves": 1}),
            json!({"learning_rate": 0}),
            json!({"trees": 5}),
            json!({"max_bins": 300}),
            json!({"monotone_constraints": {"x": 2}}),
            json!({"monotone_constraints": [1]}),
        ] {
            assert!(GradientBoosting::from_json(&bad, Task::Binary).is_err(), "{bad}");
        }
    }
}
