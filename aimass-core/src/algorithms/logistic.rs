//! `logistic`: L2-regularized logistic regression, for binary targets: Newton's method
//! ([`super::newton`]) up to 1024 inputs, L-BFGS ([`super::lbfgs`]) beyond (or when the Hessian
//! is singular: no ridge and collinear inputs). Both minimize the same objective, by passes over
//! the rows that check for interrupts.
//!
//! Hyperparameters: [`PARAMS`], one spec each (name, range, default, doc).

use ndarray::{Array1, Array2};
use serde_json::{json, Value};

use super::{Algorithm, FitContext, FittedModel, Inputs, LinearModel, Link};
use crate::error::{AimassError, Result};
use crate::json_options::{Options, Param};

pub const NAME: &str = "logistic";

#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    pub alpha: f64,
    pub max_iterations: u64,
    pub tolerance: f64,
}

pub(crate) const ALPHA: Param =
    Param::number("alpha", 0.0, 1e12, 1.0, "L2 penalty on the coefficients (scikit-learn's 1 / C).");
pub(crate) const MAX_ITERATIONS: Param =
    Param::integer("max_iterations", 1, 100_000, 500, "Newton (or L-BFGS) iterations.");
pub(crate) const TOLERANCE: Param = Param::number(
    "tolerance",
    f64::MIN_POSITIVE,
    1.0,
    1e-4,
    "Newton stops when the gradient norm is below tolerance × 1e-3 (L-BFGS below tolerance).",
);
pub const PARAMS: &[Param] = &[ALPHA, MAX_ITERATIONS, TOLERANCE];

impl Default for Logistic {
    fn default() -> Self {
        Self::from_json(&Value::Null).expect("the defaults are valid")
    }
}

impl Logistic {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let p = Self {
            alpha: o.num(&ALPHA)?,
            max_iterations: o.int(&MAX_ITERATIONS)? as u64,
            tolerance: o.num(&TOLERANCE)?,
        };
        o.finish()?;
        Ok(p)
    }
}

impl Algorithm for Logistic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        json!({"alpha": self.alpha, "max_iterations": self.max_iterations, "tolerance": self.tolerance})
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        self.fit_inputs(x, y, ctx)
    }

    /// Newton's method reads the inputs in passes; L-BFGS (beyond 1024 inputs, or a singular
    /// Hessian) takes the whole matrix.
    fn fit_inputs(&self, x: &dyn Inputs, y: &Array1<f64>, _ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.ncols() <= super::newton::MAX_INPUTS {
            if let Some((intercept, coefficients)) =
                super::newton::fit(x, y, self.alpha, self.max_iterations, self.tolerance)?
            {
                return finite(LinearModel { intercept, coefficients, link: Link::Logit });
            }
        }
        let Some(y) = y.as_slice() else {
            return Err(AimassError::internal("logistic: the labels are not contiguous"));
        };
        let p = x.ncols();
        let all: Vec<usize> = (0..x.nrows()).collect();
        // The point is (β, b); it starts at 0, as linfa-logistic's L-BFGS did.
        let w = super::lbfgs::minimize(
            |w| objective(x, &all, y, self.alpha, w),
            vec![0.0; p + 1],
            self.max_iterations,
            self.tolerance,
        )?;
        finite(LinearModel { intercept: w[p], coefficients: w[..p].to_vec(), link: Link::Logit })
    }
}

/// The objective `Σ [ln(1 + e^{z_i}) − y_i z_i] + alpha/2 · ‖β‖²` (z = Xβ + b) and its gradient
/// at `w = (β, b)`, in one pass over the rows.
fn objective(x: &dyn Inputs, all: &[usize], y: &[f64], alpha: f64, w: &[f64]) -> Result<(f64, Vec<f64>)> {
    let p = x.ncols();
    let pass = super::newton::pass(x, all, y, alpha, (&w[..p], w[p]), false)?;
    Ok((pass.f, pass.g))
}

fn finite(model: LinearModel) -> Result<FittedModel> {
    if !model.intercept.is_finite() || model.coefficients.iter().any(|c| !c.is_finite()) {
        return Err(AimassError::data("logistic regression did not converge to finite coefficients")
            .with_hint("Increase alpha or check the features for extreme values."));
    }
    Ok(FittedModel::Linear(model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::linear_model::sigmoid;
    use crate::preprocess::Recipe;

    #[test]
    fn separates_a_simple_pattern() {
        let x = Array2::from_shape_vec((8, 1), vec![-3., -2., -1., -0.5, 0.5, 1., 2., 3.]).unwrap();
        let y = Array1::from(vec![0., 0., 0., 1., 0., 1., 1., 1.]);
        let rare = Array1::from(vec![0., 0., 0., 0., 0., 1., 0., 1.]);
        let recipe = Recipe { steps: vec![] };
        let m = Logistic::default().fit(&x, &y, &FitContext::new(&recipe)).unwrap();
        assert!(m.predict(&[3.0]) > 0.8);
        assert!(m.predict(&[-3.0]) < 0.2);
        // A rare positive class still gives P(y = 1).
        let m = Logistic::default().fit(&x, &rare, &FitContext::new(&recipe)).unwrap();
        assert!(m.predict(&[3.0]) > m.predict(&[-3.0]));
        assert!(m.predict(&[-3.0]) < 0.1);
    }

    #[test]
    fn lbfgs_reaches_newtons_solution() {
        let mut rng = crate::split::SplitMix64::new(3);
        let x = Array2::from_shape_fn((2000, 5), |_| rng.below(2000) as f64 / 1000.0 - 1.0);
        let y = Array1::from_iter(x.rows().into_iter().map(|r| {
            let z = 0.3 + 1.5 * r[0] - r[1] + 0.5 * r[4];
            ((rng.below(1_000_000) as f64 / 1e6) < sigmoid(z)) as u8 as f64
        }));
        let (b, beta) = super::super::newton::fit(&x, &y, 1.0, 100, 1e-6).unwrap().unwrap();
        let all: Vec<usize> = (0..2000).collect();
        let w = super::super::lbfgs::minimize(
            |w| objective(&x, &all, y.as_slice().unwrap(), 1.0, w),
            vec![0.0; 6],
            500,
            1e-6,
        )
        .unwrap();
        assert!((w[5] - b).abs() < 1e-5, "{w:?} against {b} {beta:?}");
        for j in 0..5 {
            assert!((w[j] - beta[j]).abs() < 1e-5, "{w:?} against {beta:?}");
        }
    }

    #[test]
    fn rejects_unknown_and_out_of_range_hyperparams() {
        assert!(Logistic::from_json(&json!({"alpah": 1})).unwrap_err().message.contains("alpah"));
        assert!(Logistic::from_json(&json!({"alpha": -1})).is_err());
        assert_eq!(Logistic::from_json(&json!({"alpha": 0.5})).unwrap().alpha, 0.5);
    }
}
