//! Accumulators behind the metric aggregates of text values (`aimass.iv`, `psi`) and of
//! probabilities (`log_loss`, `brier`): each can add a row, merge with another (parallel
//! workers), round-trip through bytes, and give its metric. Rows with a NULL label (or NULL flag)
//! are skipped. Numeric values are counted by [`crate::counted_values`].

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::error::{AimassError, Result};
use crate::stability::psi_counts;
use crate::woe::{information_value, BinCounts};

/// Counts per category (NULL a category of its own) and flag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryCounts {
    /// category → [count with flag false, count with flag true]
    pub counts: HashMap<Option<String>, [f64; 2]>,
}

impl CategoryCounts {
    pub fn add(&mut self, value: Option<&str>, flag: bool) {
        match self.counts.get_mut(&value.map(str::to_owned)) {
            Some(c) => c[flag as usize] += 1.0,
            None => {
                let mut c = [0.0; 2];
                c[flag as usize] += 1.0;
                self.counts.insert(value.map(str::to_owned), c);
            }
        }
    }

    /// About the bytes the state holds (each category's text, its key and counts, and the
    /// table's own overhead).
    pub fn bytes(&self) -> u128 {
        self.counts.keys().map(|k| k.as_ref().map_or(0, String::len) as u128 + 64).sum()
    }

    pub fn merge(&mut self, other: CategoryCounts) {
        for (k, v) in other.counts {
            let e = self.counts.entry(k).or_insert([0.0; 2]);
            e[0] += v[0];
            e[1] += v[1];
        }
    }

    /// Categories in a fixed order, so sums do not depend on hashing.
    fn sorted(&self) -> Vec<[f64; 2]> {
        let mut keys: Vec<&Option<String>> = self.counts.keys().collect();
        keys.sort();
        keys.into_iter().map(|k| self.counts[k]).collect()
    }

    pub fn iv(&self) -> Option<f64> {
        let bins: Vec<BinCounts> =
            self.sorted().into_iter().map(|c| BinCounts { bad: c[1], good: c[0] }).collect();
        Some(information_value(&bins)).filter(|x| !x.is_nan())
    }

    /// PSI of the flag-false rows (actual) against the flag-true rows (reference).
    pub fn psi(&self) -> Option<f64> {
        let (r, a): (Vec<f64>, Vec<f64>) = self.sorted().into_iter().map(|c| (c[1], c[0])).unzip();
        Some(psi_counts(&r, &a)).filter(|x| !x.is_nan())
    }
}

/// Sums for log loss and Brier score of probabilities against labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbabilitySums {
    pub log_loss: f64,
    pub brier: f64,
    pub n: f64,
}

impl ProbabilitySums {
    /// Probabilities are clipped to [1e-15, 1 − 1e-15] for the log loss, as scikit-learn does.
    pub fn add(&mut self, p: f64, label: bool) {
        let y = label as u8 as f64;
        let q = p.clamp(1e-15, 1.0 - 1e-15);
        self.log_loss -= y * q.ln() + (1.0 - y) * (1.0 - q).ln();
        self.brier += (p - y).powi(2);
        self.n += 1.0;
    }

    pub fn merge(&mut self, other: ProbabilitySums) {
        self.log_loss += other.log_loss;
        self.brier += other.brier;
        self.n += other.n;
    }

    pub fn log_loss(&self) -> Option<f64> {
        (self.n > 0.0).then(|| self.log_loss / self.n)
    }

    pub fn brier(&self) -> Option<f64> {
        (self.n > 0.0).then(|| self.brier / self.n)
    }

    /// The sums as 24 bytes (log loss, Brier, rows; little-endian): the aggregates' `bytea` state.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut out = [0u8; 24];
        for (i, x) in [self.log_loss, self.brier, self.n].iter().enumerate() {
            out[8 * i..8 * i + 8].copy_from_slice(&x.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<ProbabilitySums> {
        if bytes.len() != 24 {
            return Err(AimassError::internal("an aimass aggregate state is malformed"));
        }
        let at = |i: usize| f64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
        Ok(ProbabilitySums { log_loss: at(0), brier: at(1), n: at(2) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_sums() {
        let mut s = ProbabilitySums::default();
        s.add(0.8, true);
        s.add(0.3, false);
        let ll = -((0.8f64).ln() + (0.7f64).ln()) / 2.0;
        assert!((s.log_loss().unwrap() - ll).abs() < 1e-15);
        assert!((s.brier().unwrap() - (0.04 + 0.09) / 2.0).abs() < 1e-15);
        assert_eq!(ProbabilitySums::from_bytes(&s.to_bytes()).unwrap(), s);
        assert!(ProbabilitySums::from_bytes(&[0u8; 23]).is_err());
    }

    #[test]
    fn category_counts() {
        let mut c = CategoryCounts::default();
        for (v, f) in [(Some("a"), true), (Some("a"), false), (Some("b"), false), (None, true)] {
            c.add(v, f);
        }
        let bins = [
            BinCounts { bad: 1.0, good: 0.0 },
            BinCounts { bad: 1.0, good: 1.0 },
            BinCounts { bad: 0.0, good: 1.0 },
        ];
        assert!((c.iv().unwrap() - information_value(&bins)).abs() < 1e-12);
    }
}
