//! L2-regularized logistic regression by Newton's method, the solver behind `logistic` (and the
//! scorecard and stacking fits that use it) up to 1024 inputs.
//!
//! It minimizes the same objective as scikit-learn (`C = 1/alpha`) and [`super::lbfgs`]:
//! `Σ_i [ln(1 + e^{z_i}) − y_i z_i] + alpha/2 · ‖β‖²`, `z = Xβ + b`, the intercept unpenalized.
//! Each iteration builds the gradient in one row-wise pass and the Hessian `[X 1]ᵀ W [X 1] +
//! alpha·I` (W = p(1 − p)) in blocks of rows with matrixmultiply's GEMM, then solves by Cholesky,
//! halving the step until the objective falls. Row-wise passes over the row-major matrix keep
//! memory access sequential: linfa-logistic's L-BFGS, used before, walked the transposed matrix
//! and took 106 s on 100k rows × 60 inputs, against about 1 s here.

use ndarray::{s, Array1, Array2};

use crate::inputs::{for_each_block, Inputs, BLOCK_ROWS};

use super::linear_model::sigmoid;
use crate::error::{AimassError, Result};

/// The largest Newton step (relative to the largest coefficient, plus one) that is taken without
/// a line search and ends the fit (see [`fit_with`]).
const FINAL_STEP: f64 = 1e-6;

/// Largest input count the Newton solver takes (its Hessian is (p + 1)² numbers).
pub const MAX_INPUTS: usize = 1024;

/// `ln(1 + e^z)` without overflow.
pub(crate) fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

struct State {
    beta: Vec<f64>,
    b: f64,
}

/// The objective, its gradient and (for Newton's method) its Hessian at one state, from one pass
/// over the rows.
pub struct Pass {
    pub f: f64,
    pub g: Vec<f64>,
    pub h: Option<Array2<f64>>,
}

/// One row's share of the objective at linear predictor `z`: the loss `ln(1 + e^z) − y z`, the
/// residual `σ(z) − y` (the gradient's factor) and the Hessian weight `σ(z)(1 − σ(z))`.
#[inline]
fn row_terms(z: f64, y: f64) -> (f64, f64, f64) {
    let pr = sigmoid(z);
    (softplus(z) - y * z, pr - y, (pr * (1.0 - pr)).max(1e-12))
}

impl Pass {
    /// Adds the L2 penalty `alpha/2 · ‖β‖²` (the intercept unpenalized) to the row sums.
    fn penalize(&mut self, alpha: f64, beta: &[f64]) {
        for (j, b) in beta.iter().enumerate() {
            self.g[j] += alpha * b;
            if let Some(h) = self.h.as_mut() {
                h[[j, j]] += alpha;
            }
        }
        self.f += 0.5 * alpha * beta.iter().map(|c| c * c).sum::<f64>();
    }
}

/// One row-wise pass at coefficients `beta` and intercept `b`: the objective and the gradient row
/// by row, and with `hessian` the Hessian by blocks of rows through GEMM. The one definition of
/// the objective, for Newton's method here and for L-BFGS.
pub(crate) fn pass(
    x: &dyn Inputs,
    all: &[usize],
    y: &[f64],
    alpha: f64,
    (beta, b): (&[f64], f64),
    hessian: bool,
) -> Result<Pass> {
    let p = x.ncols();
    let mut f = 0.0;
    let mut g = vec![0.0; p + 1];
    let mut h = hessian.then(|| Array2::<f64>::zeros((p + 1, p + 1)));
    let mut weighted =
        Array2::<f64>::zeros(if hessian { (BLOCK_ROWS.min(all.len()), p + 1) } else { (0, 0) });
    for_each_block(x, all, |start, rows| {
        let m = rows.nrows();
        for (k, row) in rows.rows().into_iter().enumerate() {
            let z = b + row.iter().zip(beta).map(|(a, c)| a * c).sum::<f64>();
            let (loss, r, w) = row_terms(z, y[start + k]);
            f += loss;
            for (gj, xj) in g.iter_mut().zip(row) {
                *gj += r * xj;
            }
            g[p] += r;
            if hessian {
                let w = w.sqrt();
                let mut out = weighted.row_mut(k);
                for (o, xj) in out.iter_mut().zip(row) {
                    *o = w * xj;
                }
                out[p] = w;
            }
        }
        if let Some(h) = h.as_mut() {
            let bv = weighted.slice(s![..m, ..]);
            ndarray::linalg::general_mat_mul(1.0, &bv.t(), &bv, 1.0, h);
        }
        Ok(())
    })?;
    let mut out = Pass { f, g, h };
    out.penalize(alpha, beta);
    Ok(out)
}

/// The sums of one Newton pass over some of the rows at one point, before the penalty: the
/// loss, the gradient and the upper triangle of the Hessian. They add up: a Citus worker sums its
/// shard's rows (`aimass._newton_pass`), the coordinator adds the shards' sums and takes the step,
/// so the rows never leave their node. Serialized as little-endian `f64`s.
#[derive(Debug, Clone, PartialEq)]
pub struct PassSums {
    pub rows: f64,
    pub f: f64,
    /// `p + 1` numbers, the intercept's last.
    pub g: Vec<f64>,
    /// `(p + 1)(p + 2)/2` numbers: the upper triangle, row by row.
    pub h: Vec<f64>,
}

impl PassSums {
    pub fn new(inputs: usize) -> PassSums {
        let n = inputs + 1;
        PassSums { rows: 0.0, f: 0.0, g: vec![0.0; n], h: vec![0.0; n * (n + 1) / 2] }
    }

    /// The number of inputs (without the intercept).
    pub fn inputs(&self) -> usize {
        self.g.len() - 1
    }

    /// Adds one row of inputs `x` with label `y` at `(beta, b)`.
    pub fn add_row(&mut self, x: &[f64], y: f64, (beta, b): (&[f64], f64)) {
        let z = b + x.iter().zip(beta).map(|(a, c)| a * c).sum::<f64>();
        let (loss, r, w) = row_terms(z, y);
        let p = x.len();
        self.rows += 1.0;
        self.f += loss;
        for (gj, xj) in self.g.iter_mut().zip(x) {
            *gj += r * xj;
        }
        self.g[p] += r;
        // The row with the intercept's 1 after it.
        let input = |i: usize| if i < p { x[i] } else { 1.0 };
        let mut at = 0;
        for j in 0..=p {
            let wj = w * input(j);
            for k in j..=p {
                self.h[at] += wj * input(k);
                at += 1;
            }
        }
    }

    /// Adds another part's sums (of the same inputs).
    pub fn merge(&mut self, other: &PassSums) -> Result<()> {
        if other.g.len() != self.g.len() || other.h.len() != self.h.len() {
            return Err(AimassError::internal("Newton pass sums of different widths"));
        }
        self.rows += other.rows;
        self.f += other.f;
        for (a, b) in self.g.iter_mut().zip(&other.g) {
            *a += b;
        }
        for (a, b) in self.h.iter_mut().zip(&other.h) {
            *a += b;
        }
        Ok(())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 * (2 + self.g.len() + self.h.len()));
        for v in [self.rows, self.f].iter().chain(&self.g).chain(&self.h) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads [`PassSums::to_bytes`]'s form back (of at most [`MAX_INPUTS`] inputs).
    pub fn from_bytes(bytes: &[u8]) -> Result<PassSums> {
        let size = |n: usize| 8 * (2 + (n + 1) + (n + 1) * (n + 2) / 2);
        let Some(inputs) =
            (0..=MAX_INPUTS).find(|&n| size(n) >= bytes.len()).filter(|&n| size(n) == bytes.len())
        else {
            return Err(AimassError::internal(format!("{} bytes are not Newton pass sums", bytes.len())));
        };
        let mut s = PassSums::new(inputs);
        let mut values = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")));
        s.rows = values.next().unwrap_or(0.0);
        s.f = values.next().unwrap_or(0.0);
        for v in s.g.iter_mut().chain(s.h.iter_mut()) {
            *v = values.next().unwrap_or(0.0);
        }
        Ok(s)
    }

    /// The pass these sums make at `beta`: the full Hessian, with the penalty.
    pub fn into_pass(self, alpha: f64, beta: &[f64]) -> Pass {
        let n = self.g.len();
        let mut h = Array2::<f64>::zeros((n, n));
        let mut at = 0;
        for j in 0..n {
            for k in j..n {
                h[[j, k]] = self.h[at];
                h[[k, j]] = self.h[at];
                at += 1;
            }
        }
        let mut out = Pass { f: self.f, g: self.g, h: Some(h) };
        out.penalize(alpha, beta);
        out
    }
}

/// Solves `a x = r` for a symmetric positive definite `a` (Cholesky); `None` if it is not, or if
/// a pivot is at most `min_pivot`. Checks for interrupts at every column (n³/3 operations in
/// all: seconds for a few thousand inputs).
pub(crate) fn cholesky_solve(mut a: Array2<f64>, r: &[f64], min_pivot: f64) -> Result<Option<Vec<f64>>> {
    let n = r.len();
    for j in 0..n {
        crate::interrupt::check()?;
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= a[[j, k]] * a[[j, k]];
        }
        if d <= min_pivot || !d.is_finite() {
            return Ok(None);
        }
        let d = d.sqrt();
        a[[j, j]] = d;
        for i in j + 1..n {
            let mut v = a[[i, j]];
            for k in 0..j {
                v -= a[[i, k]] * a[[j, k]];
            }
            a[[i, j]] = v / d;
        }
    }
    let mut z = r.to_vec();
    for i in 0..n {
        for k in 0..i {
            z[i] -= a[[i, k]] * z[k];
        }
        z[i] /= a[[i, i]];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            z[i] -= a[[k, i]] * z[k];
        }
        z[i] /= a[[i, i]];
    }
    Ok(Some(z))
}

/// Fits; returns (intercept, coefficients), or `None` when the Hessian is singular (no ridge
/// and collinear inputs): the caller then falls back to another solver. Each iteration is one
/// pass over the rows: the pass that evaluates a trial step also gives the gradient and Hessian
/// for the next one.
pub fn fit(
    x: &dyn Inputs,
    y: &Array1<f64>,
    alpha: f64,
    max_iterations: u64,
    tolerance: f64,
) -> Result<Option<(f64, Vec<f64>)>> {
    let (n, p) = (x.nrows(), x.ncols());
    let all: Vec<usize> = (0..n).collect();
    let Some(y) = y.as_slice() else { return Ok(None) };
    let mean = y.iter().sum::<f64>() / n as f64;
    fit_with(p, mean, max_iterations, tolerance, |beta, b| pass(x, &all, y, alpha, (beta, b), true))
}

/// Newton's method over passes made by `at(beta, b)` (each with its Hessian), from the base
/// rate `mean`'s log-odds: over local rows ([`fit`]), or over a distributed table's shards,
/// whose sums ([`PassSums`]) the coordinator adds up.
pub fn fit_with(
    p: usize,
    mean: f64,
    max_iterations: u64,
    tolerance: f64,
    mut at_point: impl FnMut(&[f64], f64) -> Result<Pass>,
) -> Result<Option<(f64, Vec<f64>)>> {
    let mean = mean.clamp(1e-12, 1.0 - 1e-12);
    let mut s = State { beta: vec![0.0; p], b: (mean / (1.0 - mean)).ln() };
    let mut at = at_point(&s.beta, s.b)?;
    for _ in 0..max_iterations {
        let gnorm = at.g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if gnorm <= tolerance * 1e-3 {
            break;
        }
        let hessian = at.h.clone().ok_or_else(|| AimassError::internal("Newton's pass without a Hessian"))?;
        let Some(step) = cholesky_solve(hessian, &at.g, 0.0)? else { return Ok(None) };
        // A step this small is inside the quadratic convergence region and below what the
        // objective's rounding can judge (a sum over all rows, in any order): it is taken whole,
        // unchecked, and ends the fit, leaving an error of about its square. So the fit ends at
        // the same point whatever order its sums were added in (one node's rows, or a
        // distributed table's shards).
        let size = 1.0 + s.beta.iter().chain([&s.b]).fold(0.0f64, |m, v| m.max(v.abs()));
        if step.iter().all(|d| d.abs() <= FINAL_STEP * size) {
            s.beta.iter_mut().zip(&step).for_each(|(b, d)| *b -= d);
            s.b -= step[p];
            break;
        }
        // Halve the step until the objective falls (Newton's step is usually taken whole).
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..40 {
            let trial = State {
                beta: s.beta.iter().zip(&step).map(|(b, d)| b - t * d).collect(),
                b: s.b - t * step[p],
            };
            let next = at_point(&trial.beta, trial.b)?;
            if next.f <= at.f {
                let small = (at.f - next.f) <= 1e-15 * at.f.abs().max(1.0);
                s = trial;
                at = next;
                improved = !small;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    Ok(Some((s.b, s.beta)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::SplitMix64;

    #[test]
    fn the_gradient_vanishes_at_the_solution() {
        let mut rng = SplitMix64::new(2);
        let n = 3000;
        let x = Array2::from_shape_fn((n, 4), |_| rng.below(2000) as f64 / 1000.0 - 1.0);
        let y = Array1::from_iter(x.rows().into_iter().map(|r| {
            let z = 0.5 + 2.0 * r[0] - r[1] + 0.3 * r[2];
            ((rng.below(1_000_000) as f64 / 1e6) < sigmoid(z)) as u8 as f64
        }));
        for alpha in [0.0, 1.0, 50.0] {
            let (b, beta) = fit(&x, &y, alpha, 100, 1e-4).unwrap().unwrap();
            // ∇ = Xᵀ(σ(z) − y) + alpha β, and Σ(σ(z) − y) for the intercept.
            let mut g = vec![0.0; 5];
            for (row, &yi) in x.rows().into_iter().zip(&y) {
                let r = sigmoid(b + row.iter().zip(&beta).map(|(a, c)| a * c).sum::<f64>()) - yi;
                for j in 0..4 {
                    g[j] += r * row[j];
                }
                g[4] += r;
            }
            for j in 0..4 {
                g[j] += alpha * beta[j];
            }
            assert!(g.iter().all(|v| v.abs() < 1e-6), "alpha {alpha}: {g:?}");
            assert!(beta[0] > 1.0 && beta[1] < -0.3 && beta[3].abs() < 0.3, "{beta:?}");
        }
    }

    #[test]
    fn pass_sums_of_two_parts_make_the_whole_pass() {
        let mut rng = SplitMix64::new(5);
        let n = 500;
        let x = Array2::from_shape_fn((n, 3), |_| rng.below(2000) as f64 / 1000.0 - 1.0);
        let y: Vec<f64> = (0..n).map(|i| (i % 3 == 0) as u8 as f64).collect();
        let (beta, b) = (vec![0.3, -0.2, 0.1], 0.05);
        let whole = pass(&x.view(), &(0..n).collect::<Vec<_>>(), &y, 2.0, (&beta, b), true).unwrap();
        let mut parts = [PassSums::new(3), PassSums::new(3)];
        for (i, row) in x.rows().into_iter().enumerate() {
            parts[i % 2].add_row(row.as_slice().unwrap(), y[i], (&beta, b));
        }
        let [mut a, other] = parts;
        a.merge(&PassSums::from_bytes(&other.to_bytes()).unwrap()).unwrap();
        assert_eq!(a.rows, n as f64);
        let merged = a.into_pass(2.0, &beta);
        assert!((merged.f - whole.f).abs() < 1e-9 * whole.f.abs());
        for (u, v) in merged.g.iter().zip(&whole.g) {
            assert!((u - v).abs() < 1e-9, "{u} {v}");
        }
        let (hm, hw) = (merged.h.unwrap(), whole.h.unwrap());
        assert!(hm.iter().zip(hw.iter()).all(|(u, v)| (u - v).abs() < 1e-9));
        assert!(PassSums::from_bytes(&[0; 8]).is_err());
    }

    #[test]
    fn collinear_inputs_without_a_ridge_are_refused() {
        let x = Array2::from_shape_fn((100, 2), |(i, _)| (i % 7) as f64);
        let y = Array1::from_shape_fn(100, |i| (i % 3 == 0) as u8 as f64);
        assert!(fit(&x, &y, 0.0, 50, 1e-4).unwrap().is_none());
        assert!(fit(&x, &y, 1.0, 50, 1e-4).unwrap().is_some());
    }
}
