//! `svm`: a support vector classifier (linfa-svm's SMO solver) with Platt-scaled probabilities,
//! for small data: the solver works on the full kernel matrix, so training rows are limited.
//!
//! | name | default | range | purpose |
//! |---|---|---|---|
//! | kernel | "rbf" | "rbf", "linear", "polynomial" | kernel |
//! | gamma | "scale" | "scale" or > 0 | rbf: `exp(−gamma·‖x − y‖²)`; "scale" is 1 / (inputs · variance of the inputs), as scikit-learn |
//! | degree, coef0 | 3, 1 | | polynomial kernel `(x·y + coef0)^degree` |

use linfa::dataset::Pr;
use linfa::prelude::*;
use linfa_svm::Svm as LinfaSvm;
use ndarray::{Array1, Array2, ArrayView1};
use serde_json::{json, Value};

use super::{Algorithm, FitContext, FittedModel};
use crate::error::{AimassError, ErrorKind, Result};
use crate::json_options::{Options, Param};

pub const NAME: &str = "svm";

/// A fitted classifier: linfa's model, which scores with its support vectors (and does not say
/// how many inputs it takes, so that is kept beside it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SvmModel {
    pub n_inputs: usize,
    pub model: LinfaSvm<f64, Pr>,
    /// The Platt coefficients (A, B), read once from the model (not stored: the artifact holds
    /// them inside linfa's model).
    #[serde(skip)]
    platt: std::sync::OnceLock<Option<(f64, f64)>>,
}

impl SvmModel {
    pub fn new(n_inputs: usize, model: LinfaSvm<f64, Pr>) -> Self {
        SvmModel { n_inputs, model, platt: std::sync::OnceLock::new() }
    }

    /// The Platt-scaled probability of the positive class: linfa's own computation (in f32, as
    /// linfa does), except that a non-finite decision value (an input of ±Infinity or NaN) gives
    /// NaN, 0 or 1 where linfa's `Pr::new` panics.
    pub fn predict(&self, x: &[f64]) -> f64 {
        let platt =
            self.platt.get_or_init(|| serde_json::to_value(&self.model).ok().and_then(|v| platt_of(&v)));
        let Some((a, b)) = *platt else { return f64::NAN };
        let decision = self.model.weighted_sum(&ArrayView1::from(x)) - self.model.rho;
        let f = (a * decision + b) as f32;
        let p = if f >= 0.0 { (-f).exp() / (1.0 + (-f).exp()) } else { 1.0 / (1.0 + f.exp()) };
        p as f64
    }

    /// Whether a stored SVM can score rows of `n_inputs` without panicking inside linfa: finite
    /// Platt coefficients, and a hyperplane (or support vectors) of that width. linfa keeps these
    /// fields private, so they are read from its serde form (found by fuzzing the artifact
    /// decoder: payloads without or with NaN Platt coefficients panicked at the first score).
    /// The one serde form read here also gives `predict` its Platt coefficients.
    pub fn is_consistent(&self) -> bool {
        let Ok(v) = serde_json::to_value(&self.model) else { return false };
        if self.platt.get_or_init(|| platt_of(&v)).is_none() {
            return false;
        }
        let dims =
            |a: &Value| -> Option<Vec<u64>> { a.get("dim")?.as_array()?.iter().map(Value::as_u64).collect() };
        let width = self.n_inputs as u64;
        match v.get("sep_hyperplane") {
            Some(Value::Object(o)) => match (o.get("Linear"), o.get("WeightedCombination")) {
                (Some(w), _) => dims(w) == Some(vec![width]),
                (_, Some(sv)) => dims(sv).is_some_and(|d| d.len() == 2 && d[1] == width),
                _ => false,
            },
            _ => false,
        }
    }
}

/// The finite Platt coefficients (A, B) from linfa's serde form (linfa keeps them private).
fn platt_of(model: &Value) -> Option<(f64, f64)> {
    let c = model.get("probability_coeffs")?.as_array()?;
    let (a, b) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
    (a.is_finite() && b.is_finite()).then_some((a, b))
}

#[derive(Debug, Clone, PartialEq)]
enum Kernel {
    Rbf(Option<f64>),
    Linear,
    Polynomial { degree: f64, coef0: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Svm {
    kernel: Kernel,
    c: f64,
    eps: f64,
    max_rows: usize,
}

const C: Param = Param::number("c", 1e-9, 1e6, 1.0, "Penalty of margin violations (both classes).");
const EPS: Param = Param::number("eps", 1e-12, 1.0, 1e-3, "Solver tolerance.");
const MAX_ROWS: Param = Param::integer(
    "max_rows",
    10,
    20_000,
    5000,
    "Refuse larger training sets (the kernel matrix is rows² numbers).",
);
/// The hyperparameters with a spec (the others are read apart).
pub const PARAMS: &[Param] = &[C, EPS, MAX_ROWS];

impl Svm {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let kernel_name = o.string("kernel")?.unwrap_or_else(|| "rbf".into());
        let gamma = match o.value("gamma") {
            None => None,
            Some(Value::String(s)) if s == "scale" => None,
            Some(v) => match v.as_f64() {
                Some(g) if g > 0.0 && g.is_finite() => Some(g),
                _ => {
                    return Err(AimassError::invalid_parameter(format!(
                        "hyperparams \"gamma\" must be \"scale\" or a positive number, not {v}"
                    )))
                }
            },
        };
        let degree = o.number("degree", 1.0, 10.0)?.unwrap_or(3.0);
        let coef0 = o.number("coef0", -1e6, 1e6)?.unwrap_or(1.0);
        let kernel = match kernel_name.as_str() {
            "rbf" => Kernel::Rbf(gamma),
            "linear" => Kernel::Linear,
            "polynomial" => Kernel::Polynomial { degree, coef0 },
            other => {
                return Err(AimassError::invalid_parameter(format!(
                    "hyperparams \"kernel\" must be \"rbf\", \"linear\" or \"polynomial\", not \"{other}\""
                )))
            }
        };
        let p = Self { kernel, c: o.num(&C)?, eps: o.num(&EPS)?, max_rows: o.int(&MAX_ROWS)? as usize };
        o.finish()?;
        Ok(p)
    }
}

impl Algorithm for Svm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        let mut h = json!({"c": self.c, "eps": self.eps, "max_rows": self.max_rows});
        match &self.kernel {
            Kernel::Rbf(g) => {
                h["kernel"] = json!("rbf");
                h["gamma"] = g.map_or(json!("scale"), |g| json!(g));
            }
            Kernel::Linear => h["kernel"] = json!("linear"),
            Kernel::Polynomial { degree, coef0 } => {
                h["kernel"] = json!("polynomial");
                h["degree"] = json!(degree);
                h["coef0"] = json!(coef0);
            }
        }
        h
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, _ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.nrows() > self.max_rows {
            return Err(AimassError::new(
                ErrorKind::LimitExceeded,
                format!("svm trains on at most {} rows; the training rows are {}", self.max_rows, x.nrows()),
            )
            .with_hint(
                "Raise hyperparams max_rows (up to 20000), sample the table, or use gradient_boosting.",
            ));
        }
        crate::memory::reserve(
            crate::memory::bytes_of(x.nrows() as u128 * x.nrows() as u128, 8),
            &format!("the svm kernel matrix of {} rows", x.nrows()),
            "Lower hyperparams max_rows or sample the table.",
        )?;
        let labels: Array1<bool> = y.mapv(|v| v > 0.5);
        let dataset = Dataset::new(x.clone(), labels);
        let params = LinfaSvm::<f64, Pr>::params().pos_neg_weights(self.c, self.c).eps(self.eps);
        let params = match &self.kernel {
            Kernel::Rbf(g) => {
                let gamma = g.unwrap_or_else(|| {
                    let var = x.var(0.0);
                    1.0 / (x.ncols() as f64 * if var > 0.0 { var } else { 1.0 })
                });
                params.gaussian_kernel(1.0 / gamma)
            }
            Kernel::Linear => params.linear_kernel(),
            Kernel::Polynomial { degree, coef0 } => params.polynomial_kernel(*coef0, *degree),
        };
        // linfa's solver has no hook to stop it: see interrupt::on_own_thread.
        let model = crate::interrupt::on_own_thread(move || params.fit(&dataset).map_err(|e| e.to_string()))?
            .map_err(|e| AimassError::data(format!("svm training failed: {e}")))?;
        Ok(FittedModel::Svm(Box::new(SvmModel::new(x.ncols(), model))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;
    use crate::preprocess::Recipe;
    use crate::split::SplitMix64;

    #[test]
    fn separates_a_ring_with_probabilities() {
        let mut rng = SplitMix64::new(4);
        let x = Array2::from_shape_fn((400, 2), |_| rng.below(4000) as f64 / 1000.0 - 2.0);
        let y =
            Array1::from_iter(x.rows().into_iter().map(|r| ((r[0] * r[0] + r[1] * r[1]) < 1.0) as u8 as f64));
        let recipe = Recipe { steps: vec![] };
        let FittedModel::Svm(m) =
            Svm::from_json(&json!({})).unwrap().fit(&x, &y, &FitContext::new(&recipe)).unwrap()
        else {
            panic!()
        };
        let p: Vec<f64> = x.rows().into_iter().map(|r| m.predict(r.as_slice().unwrap())).collect();
        assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!(auc_ks(&p, y.as_slice().unwrap()).0 > 0.95);
        assert!(m.is_consistent());
        let via_linfa: Vec<f64> = x.rows().into_iter().map(|r| *m.model.predict(r) as f64).collect();
        assert_eq!(p, via_linfa, "the same probabilities as linfa's own predict");
        assert!(m.predict(&[f64::INFINITY, 0.0]).is_finite() || m.predict(&[f64::INFINITY, 0.0]).is_nan());
        assert!(m.predict(&[f64::NAN, 0.0]).is_nan());
        let wrong_width = SvmModel::new(3, m.model.clone());
        assert!(!wrong_width.is_consistent());
        let mut form = serde_json::to_value(&m.model).unwrap();
        form["probability_coeffs"] = Value::Null;
        let no_platt = SvmModel::new(2, serde_json::from_value(form).unwrap());
        assert!(!no_platt.is_consistent());
        assert!(Svm::from_json(&json!({"max_rows": 100}))
            .unwrap()
            .fit(&x, &y, &FitContext::new(&recipe))
            .is_err());
    }
}
