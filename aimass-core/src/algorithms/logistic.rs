//! `logistic`: L2-regularized logistic regression, for binary targets: Newton's method
//! ([`super::newton`]) up to 1024 inputs, linfa-logistic's L-BFGS beyond (or when the Hessian is
//! singular: no ridge and collinear inputs).
//!
//! Hyperparameters: [`PARAMS`], one spec each (name, range, default, doc).

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
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

const ALPHA: Param =
    Param::number("alpha", 0.0, 1e12, 1.0, "L2 penalty on the coefficients (scikit-learn's 1 / C).");
const MAX_ITERATIONS: Param =
    Param::integer("max_iterations", 1, 100_000, 500, "Newton (or L-BFGS) iterations.");
const TOLERANCE: Param = Param::number(
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
        let x = x.to_matrix()?;
        let labels: Array1<bool> = y.mapv(|v| v > 0.5);
        let dataset = Dataset::new(x, labels);
        let params = LogisticRegression::default()
            .alpha(self.alpha)
            .max_iterations(self.max_iterations)
            .gradient_tolerance(self.tolerance);
        // linfa's L-BFGS has no hook to stop it: see interrupt::on_own_thread.
        let fitted =
            crate::interrupt::on_own_thread(move || params.fit(&dataset).map_err(|e| e.to_string()))?
                .map_err(|e| AimassError::data(format!("logistic regression failed: {e}")))?;
        // linfa's "positive" class is the more frequent one; its probabilities are P(that class).
        // Flip the signs when that is `false`, so the model always gives P(y = 1).
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        let model = LinearModel {
            intercept: sign * fitted.intercept(),
            coefficients: fitted.params().iter().map(|c| sign * c).collect(),
            link: Link::Logit,
        };
        finite(model)
    }
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
        // A rare positive class (linfa's majority class is then `false`) still gives P(y = 1).
        let m = Logistic::default().fit(&x, &rare, &FitContext::new(&recipe)).unwrap();
        assert!(m.predict(&[3.0]) > m.predict(&[-3.0]));
        assert!(m.predict(&[-3.0]) < 0.1);
    }

    #[test]
    fn rejects_unknown_and_out_of_range_hyperparams() {
        assert!(Logistic::from_json(&json!({"alpah": 1})).unwrap_err().message.contains("alpah"));
        assert!(Logistic::from_json(&json!({"alpha": -1})).is_err());
        assert_eq!(Logistic::from_json(&json!({"alpha": 0.5})).unwrap().alpha, 0.5);
    }
}
