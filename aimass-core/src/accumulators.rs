//! Accumulators behind the metric aggregates (`aimass.auc`, `ks`, `gini`, `iv`, `psi`, `log_loss`,
//! `brier`): each can add a row, merge with another (parallel workers), round-trip through bytes,
//! and give its metric. Rows with a NULL label (or NULL flag) are skipped.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::binning;
use crate::metrics::auc_ks;
use crate::stability::{psi_counts, psi_numeric};
use crate::woe::{information_value, BinCounts};

/// Every (value, flag) pair: scores with labels, or values with a reference flag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pairs {
    pub values: Vec<f64>,
    pub flags: Vec<bool>,
}

impl Pairs {
    /// Adds a row; a NULL value is kept as NaN (it has a bin of its own in IV and PSI).
    pub fn add(&mut self, value: Option<f64>, flag: bool) {
        self.values.push(value.unwrap_or(f64::NAN));
        self.flags.push(flag);
    }

    /// About the bytes the state holds.
    pub fn bytes(&self) -> u128 {
        (self.values.capacity() * 8 + self.flags.capacity()) as u128
    }

    pub fn merge(&mut self, other: Pairs) {
        self.values.extend(other.values);
        self.flags.extend(other.flags);
    }

    /// The pairs as slices, which the metrics read.
    pub fn view(&self) -> PairsView<'_> {
        PairsView { values: &self.values, flags: &self.flags }
    }

    pub fn auc(&self) -> Option<f64> {
        self.view().auc()
    }

    pub fn ks(&self) -> Option<f64> {
        self.view().ks()
    }

    pub fn gini(&self) -> Option<f64> {
        self.view().gini()
    }

    pub fn iv(&self) -> Option<f64> {
        self.view().iv()
    }

    pub fn psi(&self) -> Option<f64> {
        self.view().psi()
    }
}

/// (value, flag) pairs held elsewhere (the extension keeps its aggregate states in PostgreSQL
/// memory): the metrics of [`Pairs`], read from slices of equal length. Serializes as [`Pairs`]
/// does.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PairsView<'a> {
    pub values: &'a [f64],
    pub flags: &'a [bool],
}

impl PairsView<'_> {
    /// (scores, labels) of the rows with a score.
    fn scored(&self) -> (Vec<f64>, Vec<f64>) {
        self.values
            .iter()
            .zip(self.flags)
            .filter(|(v, _)| !v.is_nan())
            .map(|(&v, &f)| (v, f as u8 as f64))
            .unzip()
    }

    pub fn auc(&self) -> Option<f64> {
        let (s, y) = self.scored();
        Some(auc_ks(&s, &y).0).filter(|x| !x.is_nan())
    }

    pub fn ks(&self) -> Option<f64> {
        let (s, y) = self.scored();
        Some(auc_ks(&s, &y).1).filter(|x| !x.is_nan())
    }

    pub fn gini(&self) -> Option<f64> {
        self.auc().map(|a| 2.0 * a - 1.0)
    }

    /// IV of the values against the flags as labels, over the default bins of the values.
    pub fn iv(&self) -> Option<f64> {
        let mut sorted: Vec<f64> = self.values.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let edges = binning::decile_edges(&sorted);
        let mut bins = vec![BinCounts::default(); binning::bin_count(&edges)];
        for (&v, &bad) in self.values.iter().zip(self.flags) {
            let b = &mut bins[binning::bin_of(&edges, v)];
            if bad {
                b.bad += 1.0
            } else {
                b.good += 1.0
            }
        }
        Some(information_value(&bins)).filter(|x| !x.is_nan())
    }

    /// PSI of the non-reference rows against the reference rows.
    pub fn psi(&self) -> Option<f64> {
        Some(psi_numeric(self.values, self.flags)).filter(|x| !x.is_nan())
    }
}

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_halves_equal_the_whole() {
        let mut whole = Pairs::default();
        let (mut a, mut b) = (Pairs::default(), Pairs::default());
        for i in 0..100 {
            let v = Some(((i * 37) % 100) as f64);
            let f = (i * 7) % 3 == 0;
            whole.add(v, f);
            if i < 40 {
                a.add(v, f)
            } else {
                b.add(v, f)
            }
        }
        a.merge(b);
        assert_eq!(a.auc(), whole.auc());
        assert_eq!(a.iv(), whole.iv());
        assert!((whole.gini().unwrap() - (2.0 * whole.auc().unwrap() - 1.0)).abs() < 1e-15);
        let bytes = postcard::to_allocvec(&a).unwrap();
        assert_eq!(postcard::from_bytes::<Pairs>(&bytes).unwrap(), a);
        // A view writes the same bytes (the extension's parallel workers send views).
        assert_eq!(postcard::to_allocvec(&a.view()).unwrap(), bytes);
    }

    #[test]
    fn probability_sums() {
        let mut s = ProbabilitySums::default();
        s.add(0.8, true);
        s.add(0.3, false);
        let ll = -((0.8f64).ln() + (0.7f64).ln()) / 2.0;
        assert!((s.log_loss().unwrap() - ll).abs() < 1e-15);
        assert!((s.brier().unwrap() - (0.04 + 0.09) / 2.0).abs() < 1e-15);
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
