//! A linear model over encoded inputs, with an identity (regression) or logit (binary) link.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    Identity,
    Logit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    pub link: Link,
}

impl LinearModel {
    /// `intercept + Σ coefficient·x`, summed in input order (so every caller gets the same bits).
    #[inline]
    pub fn linear_predictor(&self, x: &[f64]) -> f64 {
        let mut z = self.intercept;
        for (c, v) in self.coefficients.iter().zip(x) {
            z += c * v;
        }
        z
    }

    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        let z = self.linear_predictor(x);
        match self.link {
            Link::Identity => z,
            Link::Logit => sigmoid(z),
        }
    }
}

/// The logistic function, stable for large |z|.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(3.0) + sigmoid(-3.0) - 1.0).abs() < 1e-15);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
    }

    #[test]
    fn predicts_with_link() {
        let m = LinearModel { intercept: 1.0, coefficients: vec![2.0, -1.0], link: Link::Identity };
        assert_eq!(m.predict(&[1.0, 3.0]), 0.0);
        let m = LinearModel { link: Link::Logit, ..m };
        assert_eq!(m.predict(&[1.0, 3.0]), 0.5);
    }
}
