//! A fitted support vector classifier as aimass stores it (format version 4): the kernel, the
//! separating boundary (a weight vector for the linear kernel, support vectors with their signed
//! coefficients otherwise), the offset and the Platt coefficients.
//!
//! Version 3 stored linfa-svm 0.8's own struct; [`super::v3`] reads those artifacts and
//! upgrades them here ([`SvmModel::from_linfa_v3`]). Every sum below is taken in the order and
//! the grouping linfa took it, so an upgraded model gives the very same scores, bit for bit (the
//! golden artifacts pin it).

use serde::{Deserialize, Serialize};

/// `k(a, b)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// `exp(−‖a − b‖² / width)`: width is 1 / gamma.
    Rbf { width: f64 },
    /// `a · b`.
    Linear,
    /// `(a · b + coef0)^degree`.
    Polynomial { coef0: f64, degree: f64 },
}

impl Kernel {
    #[inline]
    pub fn eval(&self, a: &[f64], b: &[f64]) -> f64 {
        match *self {
            Kernel::Rbf { width } => {
                let distance = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
                (-distance / width).exp()
            }
            Kernel::Linear => product_sum(a, b),
            Kernel::Polynomial { coef0, degree } => (product_sum(a, b) + coef0).powf(degree),
        }
    }
}

/// `Σ a_i b_i`, grouped as ndarray 0.16 sums a contiguous array (eight running sums, then the
/// rest), which is how linfa-svm's models computed it: the same bits.
#[inline]
pub fn product_sum(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut p = [0.0f64; 8];
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (ca, cb) in (&mut chunks_a).zip(&mut chunks_b) {
        for k in 0..8 {
            p[k] += ca[k] * cb[k];
        }
    }
    let mut acc = 0.0;
    acc += p[0] + p[4];
    acc += p[1] + p[5];
    acc += p[2] + p[6];
    acc += p[3] + p[7];
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        acc += x * y;
    }
    acc
}

/// What separates the classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Boundary {
    /// The linear kernel's hyperplane `w` (the support vectors summed once at training).
    Linear { weights: Vec<f64> },
    /// `Σ coefficient_i · k(vector_i, x)`: the support vectors, row after row, and `α_i y_i`.
    SupportVectors { vectors: Vec<f64>, coefficients: Vec<f64> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvmModel {
    pub n_inputs: usize,
    pub kernel: Kernel,
    pub boundary: Boundary,
    /// The decision value is `Σ … − rho`.
    pub rho: f64,
    /// Platt's sigmoid: P(positive) = 1 / (1 + exp(a · decision + b)).
    pub platt: (f64, f64),
    /// The sigmoid is taken in f32, as linfa did: true for models upgraded from format 3 only, so
    /// they score as they always did; models trained now use f64 throughout.
    pub platt_in_f32: bool,
}

impl SvmModel {
    /// The decision value `Σ coefficient · k(vector, x) − rho` (positive: the positive class).
    pub fn decision(&self, x: &[f64]) -> f64 {
        let sum = match &self.boundary {
            Boundary::Linear { weights } => product_sum(weights, x),
            Boundary::SupportVectors { vectors, coefficients } => vectors
                .chunks_exact(self.n_inputs.max(1))
                .zip(coefficients)
                .map(|(v, a)| self.kernel.eval(v, x) * a)
                .sum::<f64>(),
        };
        sum - self.rho
    }

    /// The Platt-scaled probability of the positive class. A non-finite decision value (an input
    /// of ±Infinity or NaN) gives NaN, 0 or 1.
    pub fn predict(&self, x: &[f64]) -> f64 {
        let (a, b) = self.platt;
        let f = a * self.decision(x) + b;
        if self.platt_in_f32 {
            let f = f as f32;
            let p = if f >= 0.0 { (-f).exp() / (1.0 + (-f).exp()) } else { 1.0 / (1.0 + f.exp()) };
            return p as f64;
        }
        if f >= 0.0 {
            (-f).exp() / (1.0 + (-f).exp())
        } else {
            1.0 / (1.0 + f.exp())
        }
    }

    /// Whether a stored SVM can score rows of `n_inputs`: finite Platt coefficients, a boundary
    /// of that width and one coefficient per support vector (an artifact from elsewhere may be
    /// inconsistent; the fuzzer found payloads without Platt coefficients).
    pub fn is_consistent(&self) -> bool {
        let (a, b) = self.platt;
        if !a.is_finite() || !b.is_finite() || self.n_inputs == 0 {
            return false;
        }
        match &self.boundary {
            Boundary::Linear { weights } => weights.len() == self.n_inputs,
            Boundary::SupportVectors { vectors, coefficients } => {
                coefficients.len().checked_mul(self.n_inputs) == Some(vectors.len())
            }
        }
    }
}

/// The SVM of the payload being decoded: version 3's layout (upgraded), or the current one.
pub fn read_any_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<SvmModel>, D::Error> {
    if crate::format_version::reading_version() == 3 {
        let old = super::v3::SvmV3::deserialize(d)?;
        return old.upgrade().map(Box::new).map_err(serde::de::Error::custom);
    }
    SvmModel::deserialize(d).map(Box::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::SplitMix64;

    #[test]
    fn product_sum_has_the_bits_of_ndarrays_sum() {
        let mut rng = SplitMix64::new(9);
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|_| rng.below(1 << 20) as f64 / 7919.0 - 60.0).collect();
            let b: Vec<f64> = (0..n).map(|_| rng.below(1 << 20) as f64 / 104_729.0 - 5.0).collect();
            let nd = (&ndarray::Array1::from(a.clone()) * &ndarray::Array1::from(b.clone())).sum();
            assert_eq!(product_sum(&a, &b).to_bits(), nd.to_bits(), "length {n}");
        }
    }
}
