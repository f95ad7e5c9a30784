//! Platt scaling: the sigmoid `P(positive | f) = 1 / (1 + exp(A f + B))` fitted to decision
//! values by Newton's method with a backtracking line search (Lin, Lin and Weng 2007, the
//! algorithm of libsvm's `sigmoid_train` and linfa's `platt_newton_method`), with Platt's
//! smoothed targets `(N₊ + 1) / (N₊ + 2)` and `1 / (N₋ + 2)`.

use crate::error::{AimassError, Result};

const MAX_ITERATIONS: usize = 100;
const MIN_STEP: f64 = 1e-10;
/// The Hessian's ridge, against a singular Hessian.
const SIGMA: f64 = 1e-12;

/// `ln(1 + exp(−t))`-type terms of the cross-entropy at `f_apb = A f + B`, without overflow.
fn loss(f_apb: f64, t: f64) -> f64 {
    if f_apb >= 0.0 {
        t * f_apb + (-f_apb).exp().ln_1p()
    } else {
        (t - 1.0) * f_apb + f_apb.exp().ln_1p()
    }
}

/// (A, B) for the decision values `f` of rows labelled `positive`.
pub fn fit(f: &[f64], positive: &[bool]) -> Result<(f64, f64)> {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    let (hi, lo) = ((n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0));
    let t: Vec<f64> = positive.iter().map(|&p| if p { hi } else { lo }).collect();
    let objective = |a: f64, b: f64| f.iter().zip(&t).map(|(&v, &t)| loss(v * a + b, t)).sum::<f64>();
    let (mut a, mut b) = (0.0, ((n_neg + 1.0) / (n_pos + 1.0)).ln());
    let mut value = objective(a, b);
    let tolerance = 1e-5 * f.len() as f64;
    for _ in 0..MAX_ITERATIONS {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (SIGMA, SIGMA, 0.0, 0.0, 0.0);
        for (&v, &t) in f.iter().zip(&t) {
            let f_apb = v * a + b;
            let (p, q) = if f_apb >= 0.0 {
                let e = (-f_apb).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = f_apb.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += v * v * d2;
            h22 += d2;
            h21 += v * d2;
            let d1 = t - p;
            g1 += v * d1;
            g2 += d1;
        }
        if g1.abs() < tolerance && g2.abs() < tolerance {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let (da, db) = (-(h22 * g1 - h21 * g2) / det, -(-h21 * g1 + h11 * g2) / det);
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        loop {
            let (na, nb) = (a + step * da, b + step * db);
            let next = objective(na, nb);
            if next < value + 1e-4 * step * gd {
                (a, b, value) = (na, nb, next);
                break;
            }
            step /= 2.0;
            if step < MIN_STEP {
                return Err(AimassError::data("svm: the Platt calibration's line search failed")
                    .with_hint("The decision values may be constant: check the features, or raise c."));
            }
        }
    }
    if !a.is_finite() || !b.is_finite() {
        return Err(AimassError::data("svm: the Platt calibration did not give finite coefficients"));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_decision_values_get_higher_probabilities() {
        let f: Vec<f64> = (0..200).map(|i| i as f64 / 20.0 - 5.0).collect();
        // Positive mostly above 0, with some overlap.
        let positive: Vec<bool> = (0..200).map(|i| (i * 37 % 200) as f64 / 40.0 - 2.5 < f[i]).collect();
        let (a, b) = fit(&f, &positive).unwrap();
        assert!(a < 0.0, "A = {a}");
        let p = |v: f64| 1.0 / (1.0 + (a * v + b).exp());
        assert!(p(3.0) > 0.8 && p(-3.0) < 0.2 && (p(0.0) - 0.5).abs() < 0.2);
    }
}
