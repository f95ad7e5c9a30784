//! `linear`: ordinary least squares (linfa-linear), for numeric targets.
//!
//! One-hot groups are fitted in reference coding (their first column and any column that is
//! constant in the training rows get coefficient 0), so the design matrix has full rank.
//! No hyperparameters yet.

use linfa::prelude::*;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2, Axis};
use serde_json::{json, Value};

use super::{Algorithm, FitContext, FittedModel, LinearModel, Link};
use crate::error::{AimassError, Result};
use crate::json_options::Options;

pub const NAME: &str = "linear";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Linear;

impl Linear {
    pub fn from_json(value: &Value) -> Result<Self> {
        Options::new(value, "hyperparams")?.finish()?;
        Ok(Linear)
    }
}

impl Algorithm for Linear {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        json!({})
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        let mut keep = vec![true; x.ncols()];
        for group in ctx.recipe.one_hot_groups() {
            keep[group.start] = false;
        }
        for (j, column) in x.axis_iter(Axis(1)).enumerate() {
            let first = column[0];
            if column.iter().all(|&v| v == first) {
                keep[j] = false;
            }
        }
        let kept: Vec<usize> = (0..x.ncols()).filter(|&j| keep[j]).collect();
        let xs = x.select(Axis(1), &kept);
        let dataset = Dataset::new(xs, y.clone());
        // linfa's least squares have no hook to stop them: see interrupt::on_own_thread.
        let fitted = crate::interrupt::on_own_thread(move || {
            LinearRegression::new().fit(&dataset).map_err(|e| e.to_string())
        })?
        .map_err(|e| AimassError::data(format!("linear regression failed: {e}")))?;
        let mut coefficients = vec![0.0; x.ncols()];
        for (&j, &c) in kept.iter().zip(fitted.params()) {
            coefficients[j] = c;
        }
        let model = LinearModel { intercept: fitted.intercept(), coefficients, link: Link::Identity };
        if !model.intercept.is_finite() || model.coefficients.iter().any(|c| !c.is_finite()) {
            return Err(AimassError::data("linear regression gave non-finite coefficients")
                .with_detail("Two or more features are probably collinear.")
                .with_hint("Exclude redundant features."));
        }
        Ok(FittedModel::Linear(model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::Recipe;

    #[test]
    fn recovers_a_line_and_ignores_a_constant_column() {
        let x = Array2::from_shape_vec((4, 2), vec![0., 5., 1., 5., 2., 5., 3., 5.]).unwrap();
        let y = Array1::from(vec![1., 3., 5., 7.]);
        let recipe = Recipe { steps: vec![] };
        let FittedModel::Linear(m) = Linear.fit(&x, &y, &FitContext::new(&recipe)).unwrap() else {
            panic!("not linear")
        };
        assert!((m.intercept - 1.0).abs() < 1e-9);
        assert!((m.coefficients[0] - 2.0).abs() < 1e-9);
        assert_eq!(m.coefficients[1], 0.0);
    }
}
