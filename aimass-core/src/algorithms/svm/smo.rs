//! The C-SVC dual solved by sequential minimal optimization, as libsvm solves it (Fan, Chen and
//! Lin 2005: the working pair chosen by second-order information):
//!
//! `min_α ½ αᵀQα − Σα  subject to  yᵀα = 0,  0 ≤ α_i ≤ C_i`,  `Q_ij = y_i y_j K_ij`.
//!
//! aimass's own (it replaced linfa-svm's solver) so that it stops when asked: the kernel matrix
//! is built row by row and the iterations run in steps, each followed by an interrupt check, so a
//! cancel ends the solve within milliseconds instead of leaving it to run in the background. The
//! kernel matrix is held whole (rows² numbers: the caller reserves it against
//! `aimass.max_memory`); there is no shrinking.

use ndarray::ArrayView2;

use super::model::Kernel;
use crate::error::Result;

/// libsvm's guard for a non-positive curvature along the chosen pair.
const TAU: f64 = 1e-12;
/// Iterations between two interrupt checks (each iteration is O(rows)).
const CHECK_EVERY: usize = 256;

pub struct Solution {
    /// The multipliers α_i (not signed by the labels).
    pub alpha: Vec<f64>,
    pub rho: f64,
}

/// The kernel matrix of the rows of `x`, one row at a time with an interrupt check after each.
pub fn kernel_matrix(x: ArrayView2<'_, f64>, kernel: &Kernel) -> Result<Vec<f64>> {
    let n = x.nrows();
    let mut k = crate::memory::vec_filled(
        n * n,
        0.0,
        &format!("the svm kernel matrix of {n} rows"),
        "Lower hyperparams max_rows or sample the table.",
    )?;
    let rows: Vec<&[f64]> =
        x.rows().into_iter().map(|r| r.to_slice().expect("a standard-layout matrix")).collect();
    for i in 0..n {
        for j in 0..=i {
            let v = kernel.eval(rows[i], rows[j]);
            k[i * n + j] = v;
            k[j * n + i] = v;
        }
        crate::interrupt::check()?;
    }
    Ok(k)
}

/// Solves the dual for labels `positive` (true: y = +1), the kernel matrix `k` (n × n, row-major)
/// and the bounds `c`, to the stopping tolerance `eps` (libsvm's: the maximal violating pair's
/// gap below eps).
pub fn solve(k: &[f64], positive: &[bool], c: &[f64], eps: f64) -> Result<Solution> {
    let n = positive.len();
    let y: Vec<f64> = positive.iter().map(|&p| if p { 1.0 } else { -1.0 }).collect();
    let mut alpha = vec![0.0; n];
    // G = Qα − 1, α = 0 at the start.
    let mut g = vec![-1.0; n];
    let max_iterations = (100 * n).max(10_000_000);
    let mut iterations = 0;
    let up = |a: f64, y: f64, c: f64| if y > 0.0 { a < c } else { a > 0.0 };
    let low = |a: f64, y: f64, c: f64| if y > 0.0 { a > 0.0 } else { a < c };
    while iterations < max_iterations {
        if iterations % CHECK_EVERY == 0 {
            crate::interrupt::check()?;
        }
        // i: the most violating index of I_up.
        let mut gmax = f64::NEG_INFINITY;
        let mut i = usize::MAX;
        for t in 0..n {
            if up(alpha[t], y[t], c[t]) && -y[t] * g[t] >= gmax {
                gmax = -y[t] * g[t];
                i = t;
            }
        }
        // j: of I_low, the one whose pair with i decreases the objective most.
        let mut gmax2 = f64::NEG_INFINITY;
        let mut j = usize::MAX;
        let mut best = f64::INFINITY;
        if i != usize::MAX {
            let ki = &k[i * n..(i + 1) * n];
            for t in 0..n {
                if !low(alpha[t], y[t], c[t]) {
                    continue;
                }
                let v = y[t] * g[t];
                gmax2 = gmax2.max(v);
                let diff = gmax + v;
                if diff > 0.0 {
                    let quad = ki[i] + k[t * n + t] - 2.0 * ki[t];
                    let obj = -(diff * diff) / if quad > 0.0 { quad } else { TAU };
                    if obj <= best {
                        best = obj;
                        j = t;
                    }
                }
            }
        }
        if gmax + gmax2 < eps || j == usize::MAX {
            break;
        }
        iterations += 1;
        update(k, n, &y, c, &mut alpha, &mut g, i, j);
    }
    // At the iteration cap the solution is kept as it is, as libsvm keeps it.
    Ok(Solution { rho: offset(&y, c, &alpha, &g), alpha })
}

/// Optimizes α_i and α_j analytically, clipped to the box and the equality constraint, and
/// updates the gradient.
#[allow(clippy::too_many_arguments)]
fn update(k: &[f64], n: usize, y: &[f64], c: &[f64], alpha: &mut [f64], g: &mut [f64], i: usize, j: usize) {
    let (ci, cj) = (c[i], c[j]);
    let (old_i, old_j) = (alpha[i], alpha[j]);
    let kij = k[i * n + j];
    let quad = k[i * n + i] + k[j * n + j] - 2.0 * kij;
    let quad = if quad > 0.0 { quad } else { TAU };
    let (mut ai, mut aj) = (old_i, old_j);
    if y[i] != y[j] {
        let delta = (-g[i] - g[j]) / quad;
        let diff = ai - aj;
        ai += delta;
        aj += delta;
        if diff > 0.0 {
            if aj < 0.0 {
                aj = 0.0;
                ai = diff;
            }
        } else if ai < 0.0 {
            ai = 0.0;
            aj = -diff;
        }
        if diff > ci - cj {
            if ai > ci {
                ai = ci;
                aj = ci - diff;
            }
        } else if aj > cj {
            aj = cj;
            ai = cj + diff;
        }
    } else {
        let delta = (g[i] - g[j]) / quad;
        let sum = ai + aj;
        ai -= delta;
        aj += delta;
        if sum > ci {
            if ai > ci {
                ai = ci;
                aj = sum - ci;
            }
        } else if aj < 0.0 {
            aj = 0.0;
            ai = sum;
        }
        if sum > cj {
            if aj > cj {
                aj = cj;
                ai = sum - cj;
            }
        } else if ai < 0.0 {
            ai = 0.0;
            aj = sum;
        }
    }
    alpha[i] = ai;
    alpha[j] = aj;
    // G_t += Q_ti Δα_i + Q_tj Δα_j, Q_ti = y_t y_i K_ti.
    let (di, dj) = (y[i] * (ai - old_i), y[j] * (aj - old_j));
    let (ki, kj) = (&k[i * n..(i + 1) * n], &k[j * n..(j + 1) * n]);
    for t in 0..n {
        g[t] += y[t] * (ki[t] * di + kj[t] * dj);
    }
}

/// The offset ρ: the mean of y_i G_i over the free multipliers, or the middle of the feasible
/// interval when none is free.
fn offset(y: &[f64], c: &[f64], alpha: &[f64], g: &[f64]) -> f64 {
    let (mut free, mut sum) = (0usize, 0.0);
    let (mut ub, mut lb) = (f64::INFINITY, f64::NEG_INFINITY);
    for t in 0..y.len() {
        let yg = y[t] * g[t];
        if alpha[t] >= c[t] {
            if y[t] > 0.0 {
                lb = lb.max(yg);
            } else {
                ub = ub.min(yg);
            }
        } else if alpha[t] <= 0.0 {
            if y[t] > 0.0 {
                ub = ub.min(yg);
            } else {
                lb = lb.max(yg);
            }
        } else {
            free += 1;
            sum += yg;
        }
    }
    if free > 0 {
        sum / free as f64
    } else {
        (ub + lb) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_points_meet_in_the_middle() {
        // x = −1 (negative) and x = 1 (positive), linear kernel: w = 1, ρ = 0, α = ½ each.
        let x = ndarray::Array2::from_shape_vec((2, 1), vec![-1.0, 1.0]).unwrap();
        let k = kernel_matrix(x.view(), &Kernel::Linear).unwrap();
        let s = solve(&k, &[false, true], &[10.0, 10.0], 1e-9).unwrap();
        assert!((s.alpha[0] - 0.5).abs() < 1e-12 && (s.alpha[1] - 0.5).abs() < 1e-12, "{:?}", s.alpha);
        assert!(s.rho.abs() < 1e-12);
    }
}
