//! Ensembles of other algorithms: `stacking`, `blending` and `bagging`.
//!
//! - `stacking`: each base model's out-of-fold predictions (k folds, stratified for binary
//!   targets) feed a meta model — a logistic regression on the bases' log-odds for binary
//!   targets, a linear regression on their predictions for numeric ones; the bases are then
//!   refitted on all training rows. As scikit-learn's `StackingClassifier`.
//! - `blending`: the bases fit on a part of the training rows and the meta model on their
//!   predictions for the held-out rest (`holdout`); cheaper, one fit per base.
//! - `bagging`: one base algorithm fitted on `n_estimators` bootstrap samples, predictions
//!   averaged.
//!
//! Bases are named with their own hyperparameters: `{"estimators": [{"algorithm": "logistic"},
//! {"algorithm": "gradient_boosting", "hyperparams": {"num_leaves": 15}}]}`. They share the
//! model's preprocessing (missing values are imputed unless every base takes them). Ensembles do
//! not nest.
//!
//! | name | default | for | purpose |
//! |---|---|---|---|
//! | estimators | logistic and gradient_boosting | stacking, blending | base models |
//! | folds | 5 | stacking | out-of-fold predictions (2 – 20) |
//! | holdout | 0.2 | blending | share of training rows for the meta model |
//! | meta_alpha | 1.0 | stacking, blending | L2 penalty of the logistic meta model |
//! | estimator | decision_tree | bagging | the base model |
//! | n_estimators | 10 | bagging | bootstrap fits (1 – 1000) |
//! | max_samples | 1.0 | bagging | bootstrap size as a share of the rows |
//! | seed | 42 | all | folds, holdout and bootstrap draws |

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::linear_model::sigmoid;
use super::{build, Algorithm, FitContext, FittedModel, LinearModel, Link};
use crate::error::{AimassError, Result};
use crate::json_options::{Options, Param};
use crate::preprocess::Recipe;
use crate::split::{self, SplitMix64};
use crate::task::Task;

pub const STACKING: &str = "stacking";
pub const BLENDING: &str = "blending";
pub const BAGGING: &str = "bagging";

/// A fitted stack: the meta model over the bases' outputs (log-odds for binary targets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackModel {
    pub bases: Vec<FittedModel>,
    pub meta: LinearModel,
}

/// The meta model's input from a base's prediction.
#[inline]
fn meta_input(p: f64, binary: bool) -> f64 {
    if binary {
        let p = p.clamp(1e-12, 1.0 - 1e-12);
        (p / (1.0 - p)).ln()
    } else {
        p
    }
}

impl StackModel {
    fn binary(&self) -> bool {
        self.meta.link == Link::Logit
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        let binary = self.binary();
        let z: f64 = self
            .bases
            .iter()
            .zip(&self.meta.coefficients)
            .map(|(b, c)| c * meta_input(b.predict(x), binary))
            .sum::<f64>()
            + self.meta.intercept;
        if binary {
            sigmoid(z)
        } else {
            z
        }
    }
}

/// A base model named in hyperparams.
#[derive(Debug, Clone)]
struct Base {
    name: String,
    hyperparams: Value,
}

const FOLDS: Param =
    Param::integer("folds", 2, 20, 5, "Stacking: out-of-fold predictions (stratified) train the meta model.");
const HOLDOUT: Param = Param::number(
    "holdout",
    0.01,
    0.9,
    0.2,
    "Blending: share of the training rows the meta model is fitted on.",
);
const META_ALPHA: Param = Param::number(
    "meta_alpha",
    0.0,
    1e6,
    1.0,
    "L2 penalty of the meta logistic regression (on the bases' log-odds).",
);
const N_ESTIMATORS: Param = Param::integer(
    "n_estimators",
    1,
    1000,
    10,
    "Bagging: bootstrap fits of the base model; predictions averaged.",
);
const MAX_SAMPLES: Param =
    Param::number("max_samples", 1e-6, 1.0, 1.0, "Bagging: each fit's rows as a share of the training rows.");
const SEED: Param =
    Param::integer("seed", i64::MIN, i64::MAX, 42, "Folds, holdout rows and bootstrap draws.");
const ESTIMATORS: Param = Param::shaped(
    "estimators",
    "object list",
    "[{\"algorithm\": name, \"hyperparams\": {...}}, ...], no ensembles",
    r#"[{"algorithm": "logistic"}, {"algorithm": "gradient_boosting"}]"#,
    "Stacking, blending: the base models.",
);
const ESTIMATOR: Param = Param::shaped(
    "estimator",
    "object",
    "{\"algorithm\": name, \"hyperparams\": {...}}, not an ensemble",
    r#"{"algorithm": "decision_tree"}"#,
    "Bagging: the base model.",
);
pub const STACKING_PARAMS: &[Param] = &[ESTIMATORS, FOLDS, META_ALPHA, SEED];
pub const BLENDING_PARAMS: &[Param] = &[ESTIMATORS, HOLDOUT, META_ALPHA, SEED];
pub const BAGGING_PARAMS: &[Param] = &[ESTIMATOR, N_ESTIMATORS, MAX_SAMPLES, SEED];

impl Base {
    fn from_json(v: &Value, key: &str) -> Result<Base> {
        let bad = || {
            AimassError::invalid_parameter(format!(
                "hyperparams \"{key}\" must name base models as {{\"algorithm\": ..., \"hyperparams\": {{...}}}}, not {v}"
            ))
        };
        let mut o = Options::new(v, "base model").map_err(|_| bad())?;
        let name = o.string("algorithm")?.ok_or_else(bad)?;
        let hyperparams = o.value("hyperparams").cloned().unwrap_or(json!({}));
        o.finish()?;
        if [STACKING, BLENDING, BAGGING].contains(&name.as_str()) {
            return Err(AimassError::invalid_parameter(format!(
                "ensembles do not nest: \"{name}\" cannot be a base"
            )));
        }
        Ok(Base { name, hyperparams })
    }

    fn build(&self, task: Task) -> Result<Box<dyn Algorithm>> {
        build(&self.name, task, &self.hyperparams)
    }

    fn to_json(&self, algorithm: &dyn Algorithm) -> Value {
        json!({"algorithm": self.name, "hyperparams": algorithm.hyperparams()})
    }
}

pub struct Ensemble {
    kind: &'static str,
    task: Task,
    bases: Vec<(Base, Box<dyn Algorithm>)>,
    folds: usize,
    holdout: f64,
    meta_alpha: f64,
    n_estimators: usize,
    max_samples: f64,
    seed: u64,
}

impl Ensemble {
    pub fn from_json(kind: &'static str, value: &Value, task: Task) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let bases: Vec<Base> = if kind == BAGGING {
            vec![Base::from_json(&o.shaped(&ESTIMATOR), "estimator")?]
        } else {
            match o.shaped(&ESTIMATORS) {
                Value::Array(a) if !a.is_empty() => {
                    a.iter().map(|v| Base::from_json(v, "estimators")).collect::<Result<_>>()?
                }
                v => {
                    return Err(AimassError::invalid_parameter(format!(
                        "hyperparams \"estimators\" must be a non-empty list of base models, not {v}"
                    )))
                }
            }
        };
        let e = Ensemble {
            kind,
            task,
            bases: bases
                .into_iter()
                .map(|b| {
                    let a = b.build(task)?;
                    Ok((b, a))
                })
                .collect::<Result<_>>()?,
            folds: if kind == STACKING { o.int(&FOLDS)? as usize } else { 0 },
            holdout: if kind == BLENDING { o.num(&HOLDOUT)? } else { 0.0 },
            meta_alpha: if kind == BAGGING { 0.0 } else { o.num(&META_ALPHA)? },
            n_estimators: if kind == BAGGING { o.int(&N_ESTIMATORS)? as usize } else { 0 },
            max_samples: if kind == BAGGING { o.num(&MAX_SAMPLES)? } else { 0.0 },
            seed: o.int(&SEED)? as u64,
        };
        o.finish()?;
        Ok(e)
    }

    fn binary(&self) -> bool {
        self.task == Task::Binary
    }

    /// Fits the meta model on the bases' predictions `z` (rows × bases).
    fn fit_meta(&self, z: Array2<f64>, y: &Array1<f64>) -> Result<LinearModel> {
        let meta = if self.binary() {
            build("logistic", self.task, &json!({"alpha": self.meta_alpha}))?
        } else {
            build("linear", self.task, &json!({}))?
        };
        let empty = Recipe { steps: vec![] };
        match meta.fit(&z, y, &FitContext::new(&empty))? {
            FittedModel::Linear(m) => Ok(m),
            _ => Err(AimassError::internal("meta model is not linear")),
        }
    }

    fn fit_stack(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        let n = x.nrows();
        let binary = self.binary();
        let mut z = Array2::<f64>::zeros((n, self.bases.len()));
        let final_bases: Vec<FittedModel> = if self.kind == STACKING {
            let fold = split::folds(y.as_slice().unwrap_or_default(), self.folds, binary, self.seed);
            for (b, (_, algorithm)) in self.bases.iter().enumerate() {
                for f in 0..self.folds {
                    let (inside, outside): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| fold[i] != f);
                    let m = algorithm.fit(&x.select(Axis(0), &inside), &y.select(Axis(0), &inside), ctx)?;
                    for &i in &outside {
                        z[[i, b]] = meta_input(m.predict(&x.row(i).to_vec()), binary);
                    }
                }
            }
            self.bases.iter().map(|(_, a)| a.fit(x, y, ctx)).collect::<Result<_>>()?
        } else {
            let held = if binary {
                split::stratified(y.as_slice().unwrap_or_default(), self.holdout, self.seed)
            } else {
                split::random(n, self.holdout, self.seed)
            };
            let (outside, inside): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| held[i]);
            let (xi, yi) = (x.select(Axis(0), &inside), y.select(Axis(0), &inside));
            let bases: Vec<FittedModel> =
                self.bases.iter().map(|(_, a)| a.fit(&xi, &yi, ctx)).collect::<Result<_>>()?;
            let mut zo = Array2::<f64>::zeros((outside.len(), bases.len()));
            for (r, &i) in outside.iter().enumerate() {
                let row = x.row(i).to_vec();
                for (b, m) in bases.iter().enumerate() {
                    zo[[r, b]] = meta_input(m.predict(&row), binary);
                }
            }
            z = zo;
            let yo = y.select(Axis(0), &outside);
            let meta = self.fit_meta(z, &yo)?;
            return Ok(FittedModel::Stack(StackModel { bases, meta }));
        };
        let meta = self.fit_meta(z, y)?;
        Ok(FittedModel::Stack(StackModel { bases: final_bases, meta }))
    }

    fn fit_bag(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        let n = x.nrows();
        let size = ((n as f64 * self.max_samples).round() as usize).max(1);
        let mut rng = SplitMix64::new(self.seed);
        let algorithm = &self.bases[0].1;
        let mut members = Vec::with_capacity(self.n_estimators);
        for _ in 0..self.n_estimators {
            let rows: Vec<usize> = (0..size).map(|_| rng.below(n as u64) as usize).collect();
            let yb = y.select(Axis(0), &rows);
            if self.binary() && (yb.iter().all(|&v| v == 1.0) || yb.iter().all(|&v| v == 0.0)) {
                return Err(AimassError::data("a bootstrap sample holds only one class")
                    .with_hint("Raise max_samples or use more rows."));
            }
            members.push(algorithm.fit(&x.select(Axis(0), &rows), &yb, ctx)?);
        }
        Ok(FittedModel::Bag(members))
    }
}

impl Algorithm for Ensemble {
    fn name(&self) -> &'static str {
        self.kind
    }

    fn hyperparams(&self) -> Value {
        let seed = self.seed;
        match self.kind {
            BAGGING => json!({
                "estimator": self.bases[0].0.to_json(self.bases[0].1.as_ref()),
                "n_estimators": self.n_estimators, "max_samples": self.max_samples, "seed": seed,
            }),
            _ => {
                let mut h = json!({
                    "estimators": self.bases.iter().map(|(b, a)| b.to_json(a.as_ref())).collect::<Vec<_>>(),
                    "meta_alpha": self.meta_alpha, "seed": seed,
                });
                if self.kind == STACKING {
                    h["folds"] = json!(self.folds);
                } else {
                    h["holdout"] = json!(self.holdout);
                }
                h
            }
        }
    }

    fn handles_missing(&self) -> bool {
        self.bases.iter().all(|(_, a)| a.handles_missing())
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        if self.kind == BAGGING {
            self.fit_bag(x, y, ctx)
        } else {
            self.fit_stack(x, y, ctx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;

    /// A linear signal in x0 plus an XOR of x1 and x2: logistic regression sees the first, trees
    /// the second, the stack both.
    fn data(n: usize, seed: u64) -> (Array2<f64>, Array1<f64>) {
        let mut rng = SplitMix64::new(seed);
        let x = Array2::from_shape_fn((n, 3), |_| rng.below(2000) as f64 / 1000.0 - 1.0);
        let y = Array1::from_iter(x.rows().into_iter().map(|r| {
            let z = 2.0 * r[0] + if (r[1] > 0.0) == (r[2] > 0.0) { 1.5 } else { -1.5 };
            (rng.below(1000) as f64 / 1000.0 < sigmoid(z)) as u8 as f64
        }));
        (x, y)
    }

    fn auc(m: &FittedModel, x: &Array2<f64>, y: &Array1<f64>) -> f64 {
        let p: Vec<f64> = x.rows().into_iter().map(|r| m.predict(&r.to_vec())).collect();
        auc_ks(&p, y.as_slice().unwrap()).0
    }

    #[test]
    fn a_stack_beats_its_bases() {
        let (x, y) = data(3000, 1);
        let (xt, yt) = data(2000, 2);
        let recipe = Recipe { steps: vec![] };
        let ctx = FitContext::new(&recipe);
        let stack = Ensemble::from_json(STACKING, &json!({"folds": 3}), Task::Binary).unwrap();
        let m = stack.fit(&x, &y, &ctx).unwrap();
        m.validate().unwrap();
        let FittedModel::Stack(s) = &m else { panic!() };
        let bases: Vec<f64> = s.bases.iter().map(|b| auc(b, &xt, &yt)).collect();
        let stacked = auc(&m, &xt, &yt);
        assert!(bases.iter().all(|&b| stacked > b), "stack {stacked} vs bases {bases:?}");
        // Both bases carry weight in the meta model.
        assert!(s.meta.coefficients.iter().all(|&c| c > 0.1), "{:?}", s.meta.coefficients);
    }

    #[test]
    fn inconsistent_ensembles_are_refused() {
        let linear = |n: usize| {
            FittedModel::Linear(LinearModel { intercept: 0.0, coefficients: vec![1.0; n], link: Link::Logit })
        };
        assert!(FittedModel::Bag(vec![linear(2), linear(3)]).validate().is_err());
        assert!(FittedModel::Bag(vec![]).validate().is_err());
        assert!(FittedModel::Bag(vec![FittedModel::Bag(vec![linear(2)])]).validate().is_err());
        let meta = LinearModel { intercept: 0.0, coefficients: vec![1.0], link: Link::Logit };
        assert!(FittedModel::Stack(StackModel { bases: vec![linear(2), linear(2)], meta })
            .validate()
            .is_err());
    }
}
