//! `linear`: ordinary least squares, for numeric targets.
//!
//! One-hot groups are fitted in reference coding (their first column and any column that is
//! constant in the training rows get coefficient 0), so the design matrix has full rank.
//! No hyperparameters yet.
//!
//! Solved by the normal equations of the centred inputs, `XcᵀXc β = Xcᵀ(y − ȳ)`, built in blocks
//! of rows (GEMM) and solved by Cholesky after scaling to unit diagonal; the intercept is then
//! `ȳ − x̄·β`. Centring and scaling keep the condition number that of the inputs' correlations,
//! not of their raw magnitudes. Every block and every Cholesky column checks for interrupts.
//! (linfa-linear's least squares, used before, could not be stopped.)

use ndarray::{s, Array1, Array2, Axis};
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
        let params = least_squares(xs, y)?;
        let mut coefficients = vec![0.0; x.ncols()];
        let Some((intercept, params)) = params else { return Err(collinear()) };
        for (&j, &c) in kept.iter().zip(&params) {
            coefficients[j] = c;
        }
        let model = LinearModel { intercept, coefficients, link: Link::Identity };
        if !model.intercept.is_finite() || model.coefficients.iter().any(|c| !c.is_finite()) {
            return Err(collinear());
        }
        Ok(FittedModel::Linear(model))
    }
}

fn collinear() -> AimassError {
    AimassError::data("linear regression gave non-finite coefficients")
        .with_detail("Two or more features are probably collinear.")
        .with_hint("Exclude redundant features.")
}

/// Rows and columns of one GEMM tile of the Gram matrix: about 10⁹ multiply-adds, a fraction of
/// a second, between two interrupt checks.
const TILE_ROWS: usize = 4096;
const TILE_COLUMNS: usize = 512;

/// (intercept, coefficients) of the least-squares fit of `y` on `x`; `None` when `x` does not
/// have full rank (after centring: a column constant or a combination of others).
fn least_squares(mut x: Array2<f64>, y: &Array1<f64>) -> Result<Option<(f64, Vec<f64>)>> {
    let (n, p) = x.dim();
    if n == 0 {
        return Ok(None);
    }
    crate::memory::reserve(
        crate::memory::bytes_of(p as u128 * p as u128, 8),
        &format!("the normal equations of {p} inputs"),
        "Use fewer features or fewer hashing buckets.",
    )?;
    let mean = x.mean_axis(Axis(0)).expect("rows");
    let y_mean = y.mean().expect("rows");
    let mut rhs = vec![0.0; p];
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        if i % TILE_ROWS == 0 {
            crate::interrupt::check()?;
        }
        let yi = y[i] - y_mean;
        for ((v, mu), r) in row.iter_mut().zip(&mean).zip(rhs.iter_mut()) {
            *v -= mu;
            *r += *v * yi;
        }
    }
    // G = XcᵀXc by tiles of its upper triangle, each summed over blocks of rows.
    let mut gram = Array2::<f64>::zeros((p, p));
    for c0 in (0..p).step_by(TILE_COLUMNS) {
        let c1 = (c0 + TILE_COLUMNS).min(p);
        for r0 in (0..=c0).step_by(TILE_COLUMNS) {
            let r1 = (r0 + TILE_COLUMNS).min(p);
            for start in (0..n).step_by(TILE_ROWS) {
                crate::interrupt::check()?;
                let end = (start + TILE_ROWS).min(n);
                let left = x.slice(s![start..end, r0..r1]);
                let right = x.slice(s![start..end, c0..c1]);
                let mut out = gram.slice_mut(s![r0..r1, c0..c1]);
                ndarray::linalg::general_mat_mul(1.0, &left.t(), &right, 1.0, &mut out);
            }
        }
    }
    for i in 0..p {
        for j in 0..i {
            gram[[i, j]] = gram[[j, i]];
        }
    }
    // Scale to unit diagonal: β = D⁻¹ solve(D⁻¹ G D⁻¹, D⁻¹ r), D = sqrt(diag G).
    let d: Vec<f64> = (0..p).map(|j| gram[[j, j]].sqrt()).collect();
    if d.iter().any(|v| *v <= 0.0 || !v.is_finite()) {
        return Ok(None);
    }
    for i in 0..p {
        for j in 0..p {
            gram[[i, j]] /= d[i] * d[j];
        }
    }
    let scaled: Vec<f64> = rhs.iter().zip(&d).map(|(r, d)| r / d).collect();
    // On the unit diagonal a pivot is 1 − R² of its column on the columns before it: below
    // 1e-10 the column is a combination of the others up to rounding.
    let Some(z) = super::newton::cholesky_solve(gram, &scaled, 1e-10)? else { return Ok(None) };
    let beta: Vec<f64> = z.iter().zip(&d).map(|(z, d)| z / d).collect();
    let intercept = y_mean - beta.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>();
    Ok(Some((intercept, beta)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::Recipe;

    #[test]
    fn collinear_columns_are_refused_and_large_magnitudes_are_exact() {
        let recipe = Recipe { steps: vec![] };
        // Column 1 is twice column 0.
        let x = Array2::from_shape_fn((50, 2), |(i, j)| (i % 7) as f64 * (j + 1) as f64);
        let y = Array1::from_shape_fn(50, |i| i as f64);
        assert!(Linear.fit(&x, &y, &FitContext::new(&recipe)).is_err());
        // Inputs around 1e9 with a spread of a few units: centring keeps the fit exact.
        let x = Array2::from_shape_fn((60, 2), |(i, j)| 1e9 + ((i * (j + 3)) % 11) as f64);
        let y =
            Array1::from_iter(x.rows().into_iter().map(|r| 5.0 + 3.0 * (r[0] - 1e9) - 2.0 * (r[1] - 1e9)));
        let FittedModel::Linear(m) = Linear.fit(&x, &y, &FitContext::new(&recipe)).unwrap() else { panic!() };
        assert!((m.coefficients[0] - 3.0).abs() < 1e-6 && (m.coefficients[1] + 2.0).abs() < 1e-6, "{m:?}");
        assert!((m.predict(&[1e9 + 1.0, 1e9 + 2.0]) - 4.0).abs() < 1e-3, "{m:?}");
    }

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
