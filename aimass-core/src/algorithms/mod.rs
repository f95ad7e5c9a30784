//! Learning algorithms behind one seam. Each algorithm is one module with its validated
//! hyperparameters and its fit; what a fit produces is a [`FittedModel`], which serializes into
//! the model artifact and scores one encoded row at a time. Adding an algorithm means one module,
//! one line in [`build`] and, if its fitted form is new, one [`FittedModel`] variant.

pub mod ensemble;
pub mod gradient_boosting;
pub mod histogram_tree;
pub mod isolation_forest;
pub mod kmeans;
pub mod lbfgs;
pub mod linear;
pub mod linear_model;
pub mod logistic;
pub mod mlp;
pub mod newton;
pub mod random_forest;
pub mod scorecard;
pub mod svm;
pub mod tree;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AimassError, ErrorKind, Result};
use crate::preprocess::Recipe;
use crate::task::Task;

pub use crate::inputs::Inputs;
pub use linear_model::{LinearModel, Link};

/// Which tasks an algorithm fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tasks {
    /// One task only.
    Only(Task),
    /// Binary classification and regression.
    Supervised,
}

impl Tasks {
    pub fn supports(self, task: Task) -> bool {
        match self {
            Tasks::Only(t) => t == task,
            Tasks::Supervised => task.supervised(),
        }
    }
}

/// One algorithm of `aimass.train`: its name, what it fits, how it is built from its
/// hyperparameters, and what the pipeline does differently for it. Adding an algorithm is one
/// module and one line in [`REGISTRY`].
pub struct Registration {
    pub name: &'static str,
    pub tasks: Tasks,
    /// Trained without a target (the task is then `tasks`' one task).
    pub unsupervised: bool,
    /// Every feature enters binned (WOE) unless the preprocessing options say otherwise.
    pub bins_every_feature: bool,
    pub build: fn(&Value, Task) -> Result<Box<dyn Algorithm>>,
    /// Its hyperparameters' specs. Not yet converted to specs (issue 18): the algorithms whose
    /// list is empty still read their options with inline ranges.
    pub params: &'static [crate::json_options::Param],
}

fn boxed<A: Algorithm + 'static>(a: Result<A>) -> Result<Box<dyn Algorithm>> {
    Ok(Box::new(a?))
}

const fn supervised(
    name: &'static str,
    tasks: Tasks,
    build: fn(&Value, Task) -> Result<Box<dyn Algorithm>>,
) -> Registration {
    Registration { name, tasks, unsupervised: false, bins_every_feature: false, build, params: &[] }
}

/// Every algorithm `aimass.train` accepts, in the order the hint lists them.
pub const REGISTRY: &[Registration] = &[
    Registration {
        params: logistic::PARAMS,
        ..supervised(logistic::NAME, Tasks::Only(Task::Binary), |h, _| {
            boxed(logistic::Logistic::from_json(h))
        })
    },
    supervised(linear::NAME, Tasks::Only(Task::Regression), |h, _| boxed(linear::Linear::from_json(h))),
    Registration {
        bins_every_feature: true,
        params: scorecard::PARAMS,
        ..supervised(scorecard::NAME, Tasks::Only(Task::Binary), |h, _| {
            boxed(scorecard::Scorecard::from_json(h))
        })
    },
    Registration {
        params: gradient_boosting::PARAMS,
        ..supervised(gradient_boosting::NAME, Tasks::Supervised, |h, t| {
            boxed(gradient_boosting::GradientBoosting::from_json(h, t))
        })
    },
    Registration {
        params: random_forest::FOREST_PARAMS,
        ..supervised(random_forest::NAME, Tasks::Supervised, |h, t| {
            boxed(random_forest::RandomForest::from_json(random_forest::NAME, h, t))
        })
    },
    Registration {
        params: random_forest::TREE_PARAMS,
        ..supervised(random_forest::TREE_NAME, Tasks::Supervised, |h, t| {
            boxed(random_forest::RandomForest::from_json(random_forest::TREE_NAME, h, t))
        })
    },
    Registration {
        params: ensemble::STACKING_PARAMS,
        ..supervised(ensemble::STACKING, Tasks::Supervised, |h, t| {
            boxed(ensemble::Ensemble::from_json(ensemble::STACKING, h, t))
        })
    },
    Registration {
        params: ensemble::BLENDING_PARAMS,
        ..supervised(ensemble::BLENDING, Tasks::Supervised, |h, t| {
            boxed(ensemble::Ensemble::from_json(ensemble::BLENDING, h, t))
        })
    },
    Registration {
        params: ensemble::BAGGING_PARAMS,
        ..supervised(ensemble::BAGGING, Tasks::Supervised, |h, t| {
            boxed(ensemble::Ensemble::from_json(ensemble::BAGGING, h, t))
        })
    },
    Registration {
        params: mlp::PARAMS,
        ..supervised(mlp::NAME, Tasks::Supervised, |h, t| boxed(mlp::Mlp::from_json(h, t)))
    },
    Registration {
        params: svm::PARAMS,
        ..supervised(svm::NAME, Tasks::Only(Task::Binary), |h, _| boxed(svm::Svm::from_json(h)))
    },
    Registration {
        unsupervised: true,
        params: isolation_forest::PARAMS,
        ..supervised(isolation_forest::NAME, Tasks::Only(Task::Anomaly), |h, _| {
            boxed(isolation_forest::IsolationForest::from_json(h))
        })
    },
    Registration {
        unsupervised: true,
        params: kmeans::PARAMS,
        ..supervised(kmeans::NAME, Tasks::Only(Task::Clustering), |h, _| boxed(kmeans::KMeans::from_json(h)))
    },
];

/// The registration of the algorithm called `name`.
pub fn registration(name: &str) -> Option<&'static Registration> {
    REGISTRY.iter().find(|r| r.name == name)
}

/// The algorithm names `aimass.train` accepts.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|r| r.name)
}

/// The task of an algorithm trained without a target, if it is one.
pub fn unsupervised_task(name: &str) -> Option<Task> {
    match registration(name)? {
        Registration { unsupervised: true, tasks: Tasks::Only(t), .. } => Some(*t),
        _ => None,
    }
}

/// A configured learning algorithm, ready to fit.
pub trait Algorithm {
    /// The name used in `aimass.train(..., algorithm => ...)`.
    fn name(&self) -> &'static str;
    /// The hyperparameters in force, defaults filled in (stored with the model).
    fn hyperparams(&self) -> Value;
    /// Fits on encoded inputs `x` (rows × recipe width) and targets `y` (0/1 for binary).
    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel>;
    /// Fits on inputs read block by block. The default builds the whole matrix and calls
    /// [`Algorithm::fit`]; algorithms that read their inputs in passes override it, so that the
    /// training call never holds the encoded matrix.
    fn fit_inputs(&self, x: &dyn Inputs, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        self.fit(&x.to_matrix()?, y, ctx)
    }
    /// Whether the algorithm takes missing (NaN) inputs itself.
    fn handles_missing(&self) -> bool {
        false
    }
    /// Whether the algorithm takes sample weights (`weight_column`).
    fn takes_weights(&self) -> bool {
        false
    }
}

/// What a fit may use besides the data: the preprocessing recipe (to map features to inputs),
/// the threads it may start, and a hook called on the calling thread after each round of an
/// iterative fit, for progress reports and cancellation (an error from it stops the fit; the
/// host's interrupt check may also unwind from it). Threads never call the hook.
pub struct FitContext<'a> {
    pub recipe: &'a Recipe,
    /// Sample weights of the rows of `x` (non-negative, finite), for algorithms that take them.
    pub weights: Option<&'a [f64]>,
    /// At least 1.
    pub threads: usize,
    pub on_round: &'a dyn Fn(&Progress<'_>) -> Result<()>,
}

impl FitContext<'_> {
    /// The weight of each row: the sample weights or 1.
    pub fn row_weights(&self, n: usize) -> Vec<f64> {
        self.weights.map_or_else(|| vec![1.0; n], <[f64]>::to_vec)
    }
}

/// Where an iterative fit stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress<'a> {
    pub stage: &'a str,
    pub round: usize,
    pub total: usize,
    /// What `score` measures (e.g. `validation log loss`).
    pub metric: &'a str,
    /// The validation score of the round and the best so far, when the fit watches one.
    pub score: Option<f64>,
    pub best: Option<f64>,
}

fn no_report(_: &Progress<'_>) -> Result<()> {
    Ok(())
}

impl<'a> FitContext<'a> {
    /// One thread, no reports.
    pub fn new(recipe: &'a Recipe) -> Self {
        Self { recipe, weights: None, threads: 1, on_round: &no_report }
    }
}

/// A fitted model as stored in the artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FittedModel {
    Linear(LinearModel),
    Scorecard(scorecard::ScorecardModel),
    Trees(tree::TreeEnsemble),
    Stack(ensemble::StackModel),
    /// Bagging: the mean of the members' predictions.
    Bag(Vec<FittedModel>),
    Mlp(mlp::MlpModel),
    /// Format 3 stored linfa-svm's struct here: [`svm::model::read_any_version`] reads both.
    #[serde(deserialize_with = "svm::model::read_any_version")]
    Svm(Box<svm::SvmModel>),
    Isolation(isolation_forest::IsolationModel),
    KMeans(kmeans::KMeansModel),
}

impl FittedModel {
    /// The prediction for one encoded row: the probability of the positive class for binary
    /// classification, the value for regression.
    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        match self {
            FittedModel::Linear(m) => m.predict(x),
            FittedModel::Scorecard(s) => s.linear.predict(x),
            FittedModel::Trees(t) => t.predict(x),
            FittedModel::Stack(s) => s.predict(x),
            FittedModel::Bag(members) => {
                members.iter().map(|m| m.predict(x)).sum::<f64>() / members.len().max(1) as f64
            }
            FittedModel::Mlp(m) => m.predict(x),
            FittedModel::Svm(m) => m.predict(x),
            FittedModel::Isolation(m) => m.predict(x),
            FittedModel::KMeans(m) => m.predict(x),
        }
    }

    /// Number of encoded inputs the model expects.
    pub fn n_inputs(&self) -> usize {
        match self {
            FittedModel::Linear(m) => m.coefficients.len(),
            FittedModel::Scorecard(s) => s.linear.coefficients.len(),
            FittedModel::Trees(t) => t.n_inputs,
            FittedModel::Stack(s) => s.bases.first().map_or(0, FittedModel::n_inputs),
            FittedModel::Bag(members) => members.first().map_or(0, FittedModel::n_inputs),
            FittedModel::Mlp(m) => m.n_inputs(),
            FittedModel::Svm(m) => m.n_inputs,
            FittedModel::Isolation(m) => m.forest.n_inputs,
            FittedModel::KMeans(m) => m.centers.first().map_or(0, Vec::len),
        }
    }

    /// Checks a stored model's structure (an artifact from elsewhere might be inconsistent).
    pub fn validate(&self) -> Result<()> {
        let corrupted = |what: &str| {
            Err(AimassError::new(ErrorKind::DataCorrupted, "model artifact is inconsistent")
                .with_detail(what.to_owned()))
        };
        let members = match self {
            FittedModel::Trees(t) => return t.validate(),
            FittedModel::Linear(_) | FittedModel::Scorecard(_) => return Ok(()),
            FittedModel::Svm(m) => {
                return if m.is_consistent() {
                    Ok(())
                } else {
                    corrupted("The SVM's support vectors or Platt coefficients do not fit its inputs.")
                }
            }
            FittedModel::Isolation(m) => return m.forest.validate(),
            FittedModel::Mlp(m) => {
                return if m.validate() {
                    Ok(())
                } else {
                    corrupted("The neural net's layers do not fit together.")
                }
            }
            FittedModel::KMeans(m) => {
                let w = self.n_inputs();
                return if m.centers.is_empty() || m.centers.iter().any(|c| c.len() != w) {
                    corrupted("The cluster centres disagree on their inputs.")
                } else {
                    Ok(())
                };
            }
            FittedModel::Stack(s) => {
                if s.meta.coefficients.len() != s.bases.len() {
                    return corrupted("The meta model does not match the base models.");
                }
                &s.bases
            }
            FittedModel::Bag(m) => m,
        };
        if members.is_empty() || members.iter().any(|m| m.n_inputs() != self.n_inputs()) {
            return corrupted("The members of an ensemble disagree on their inputs.");
        }
        members.iter().try_for_each(|m| match m {
            FittedModel::Stack(_) | FittedModel::Bag(_) => corrupted("Ensembles do not nest."),
            m => m.validate(),
        })
    }
}

/// The registration of the algorithm called `name`, or the error that names the ones there are.
pub fn registered(name: &str) -> Result<&'static Registration> {
    registration(name).ok_or_else(|| {
        let available: Vec<&str> = names().collect();
        AimassError::invalid_parameter(format!("unknown algorithm \"{name}\""))
            .with_hint(format!("Available algorithms: {}.", available.join(", ")))
    })
}

/// Looks up an algorithm by name and validates its hyperparameters for the task.
pub fn build(name: &str, task: Task, hyperparams: &Value) -> Result<Box<dyn Algorithm>> {
    let r = registered(name)?;
    if !r.tasks.supports(task) {
        return Err(AimassError::new(
            ErrorKind::InvalidParameter,
            format!("algorithm \"{name}\" does not support {} tasks", task.as_str()),
        )
        .with_hint(match task {
            Task::Binary => "Use algorithm => 'logistic' for a binary target.",
            Task::Regression => "Use algorithm => 'linear' for a numeric target.",
            Task::Anomaly => "Use algorithm => 'isolation_forest'.",
            Task::Clustering => "Use algorithm => 'kmeans'.",
        }));
    }
    (r.build)(hyperparams, task)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASKS: [Task; 4] = [Task::Binary, Task::Regression, Task::Anomaly, Task::Clustering];

    #[test]
    fn each_registered_algorithm_builds_for_its_tasks_only() {
        let mut seen = std::collections::HashSet::new();
        for r in REGISTRY {
            assert!(seen.insert(r.name), "{} registered twice", r.name);
            for task in TASKS {
                // Defaults may not suit every task (stacking's default bases are binary), so the
                // task refusal is told apart by its message.
                let refused = match build(r.name, task, &serde_json::json!({})) {
                    Ok(a) => {
                        assert_eq!(a.name(), r.name);
                        false
                    }
                    Err(e) => e.message.contains(&format!("algorithm \"{}\" does not support", r.name)),
                };
                assert_eq!(refused, !r.tasks.supports(task), "{} on {task:?}", r.name);
            }
            assert_eq!(unsupervised_task(r.name).is_some(), r.unsupervised, "{}", r.name);
        }
        assert_eq!(REGISTRY.len(), 13);
    }

    #[test]
    fn stored_hyperparameters_and_errors_follow_the_specs() {
        use crate::json_options::Kind;
        let task = |r: &Registration| match r.tasks {
            Tasks::Only(t) => t,
            Tasks::Supervised => Task::Binary,
        };
        for r in REGISTRY.iter().filter(|r| !r.params.is_empty()) {
            let stored = build(r.name, task(r), &serde_json::json!({})).unwrap().hyperparams();
            // Every stored hyperparameter has a spec.
            for k in stored.as_object().unwrap().keys() {
                assert!(r.params.iter().any(|p| p.name == k), "{}: {k} has no spec", r.name);
            }
            for p in r.params {
                // A shaped value is stored as resolved (an ensemble's bases with their own
                // hyperparameters); a kernel's own keys only with that kernel.
                if !matches!(p.kind, Kind::Shaped { .. }) && stored.get(p.name).is_some() {
                    assert_eq!(stored[p.name], p.default_value(), "{} {}", r.name, p.name);
                }
                // One past the range is refused with the spec's range in the message.
                let (past, range) = match p.kind {
                    Kind::Integer { min, max, .. } if max < i64::MAX => {
                        (serde_json::json!(max + 1), format!("between {min} and {max}"))
                    }
                    Kind::Number { min, max, .. } => {
                        (serde_json::json!(max * 2.0 + 1.0), format!("between {min} and {max}"))
                    }
                    _ => continue,
                };
                let e = build(r.name, task(r), &serde_json::json!({ p.name: past })).err().unwrap();
                assert!(e.message.contains(&range), "{}: {}", r.name, e.message);
            }
        }
        assert!(build("no_such", Task::Binary, &serde_json::json!({}))
            .is_err_and(|e| e.hint.as_deref().is_some_and(|h| h.contains("kmeans"))));
    }
}
