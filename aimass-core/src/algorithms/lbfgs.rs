//! Limited-memory BFGS (Nocedal and Wright, algorithm 7.4 with the two-loop recursion) with a
//! backtracking line search on the Armijo condition: the solver of `logistic` beyond 1024 inputs,
//! or when Newton's Hessian is singular.
//!
//! aimass's own (it replaced linfa-logistic's argmin L-BFGS) so that it stops when asked: the
//! objective is evaluated by passes over the rows that check for interrupts, and a pair (s, y)
//! whose curvature `sᵀy` is not positive is not stored, so the inverse-Hessian estimate stays
//! positive definite without a Wolfe line search.

use std::collections::VecDeque;

use crate::error::Result;

/// Pairs kept (argmin's and scikit-learn's default is 10 as well).
const MEMORY: usize = 10;
/// Armijo's sufficient-decrease constant.
const C1: f64 = 1e-4;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimizes `objective` (which returns the value and the gradient at a point) from `start`,
/// until the gradient's norm is at most `tolerance`, `max_iterations` are done, or no step along
/// the search direction decreases the value any more.
pub fn minimize(
    mut objective: impl FnMut(&[f64]) -> Result<(f64, Vec<f64>)>,
    start: Vec<f64>,
    max_iterations: u64,
    tolerance: f64,
) -> Result<Vec<f64>> {
    let mut x = start;
    let (mut f, mut g) = objective(&x)?;
    let mut pairs: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY);
    for _ in 0..max_iterations {
        let gnorm = dot(&g, &g).sqrt();
        if gnorm <= tolerance || gnorm.is_nan() {
            break;
        }
        // d = −H g by the two-loop recursion; H₀ = (sᵀy / yᵀy) I from the newest pair.
        let mut q = g.clone();
        let mut a = Vec::with_capacity(pairs.len());
        for (s, y, rho) in pairs.iter().rev() {
            let ai = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qj, yj)| *qj -= ai * yj);
            a.push(ai);
        }
        let h0 = pairs.back().map_or(1.0 / gnorm, |(s, y, _)| dot(s, y) / dot(y, y));
        q.iter_mut().for_each(|v| *v *= h0);
        for ((s, y, rho), ai) in pairs.iter().zip(a.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qj, sj)| *qj += (ai - b) * sj);
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &d);
        if slope >= 0.0 || slope.is_nan() {
            // Not a descent direction (rounding): restart from the gradient.
            pairs.clear();
            d = g.iter().map(|v| -v / gnorm).collect();
            slope = -gnorm;
        }
        let mut t = 1.0;
        let mut next = None;
        for _ in 0..50 {
            let trial: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi + t * di).collect();
            let (ft, gt) = objective(&trial)?;
            if ft <= f + C1 * t * slope {
                next = Some((trial, ft, gt));
                break;
            }
            t *= 0.5;
        }
        let Some((trial, ft, gt)) = next else { break };
        let s: Vec<f64> = trial.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gt.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if pairs.len() == MEMORY {
                pairs.pop_front();
            }
            pairs.push_back((s, y, 1.0 / sy));
        }
        let stalled = (f - ft) <= 1e-15 * f.abs().max(1.0);
        (x, f, g) = (trial, ft, gt);
        if stalled {
            break;
        }
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrocks_valley() {
        let rosenbrock = |v: &[f64]| -> Result<(f64, Vec<f64>)> {
            let (x, y) = (v[0], v[1]);
            let f = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
            Ok((f, vec![-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]))
        };
        let x = minimize(rosenbrock, vec![-1.2, 1.0], 1000, 1e-10).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6, "{x:?}");
    }
}
