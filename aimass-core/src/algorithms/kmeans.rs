//! `kmeans`: customer segmentation, trained without a target. Lloyd's algorithm from k-means++
//! seeds (Arthur & Vassilvitskii 2007), the best of `n_init` runs by inertia (the sum of squared
//! distances to the nearest centre), on the preprocessed inputs (standardized numbers, one-hot
//! categories by default). `aimass.predict` gives a row's cluster, 0 .. n_clusters − 1.
//!
//! Hyperparameters: [`PARAMS`], one spec each (name, range, default, doc).

use ndarray::{Array1, Array2, ArrayView1};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Algorithm, FitContext, FittedModel, Progress};
use crate::error::{AimassError, Result};
use crate::json_options::{Options, Param};
use crate::split::SplitMix64;

pub const NAME: &str = "kmeans";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansModel {
    /// One centre per cluster, each of the recipe's width.
    pub centers: Vec<Vec<f64>>,
}

fn distance2(a: &[f64], b: ArrayView1<'_, f64>) -> f64 {
    a.iter().zip(b).map(|(a, b)| (a - b) * (a - b)).sum()
}

impl KMeansModel {
    /// The nearest centre and the squared distance to it.
    pub fn nearest(&self, x: &[f64]) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for (k, c) in self.centers.iter().enumerate() {
            let d: f64 = c.iter().zip(x).map(|(c, x)| (c - x) * (c - x)).sum();
            if d < best.1 {
                best = (k, d);
            }
        }
        best
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        self.nearest(x).0 as f64
    }

    /// Sum of squared distances of the rows of `x` to their nearest centres.
    pub fn inertia(&self, x: &Array2<f64>) -> f64 {
        x.rows().into_iter().map(|r| self.nearest(&r.to_vec()).1).sum()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    pub n_clusters: usize,
    pub n_init: usize,
    pub max_iterations: usize,
    pub tolerance: f64,
    pub seed: u64,
}

const N_CLUSTERS: Param = Param::integer("n_clusters", 1, 1000, 8, "Clusters.");
const N_INIT: Param =
    Param::integer("n_init", 1, 100, 4, "Runs from different seeds; the lowest inertia wins.");
const MAX_ITERATIONS: Param = Param::integer("max_iterations", 1, 100_000, 300, "Lloyd iterations per run.");
const TOLERANCE: Param = Param::number(
    "tolerance",
    0.0,
    1.0,
    1e-4,
    "Stop when no centre moves more than this (squared, relative to the data's variance).",
);
const SEED: Param = Param::integer("seed", i64::MIN, i64::MAX, 42, "Seeds.");
pub const PARAMS: &[Param] = &[N_CLUSTERS, N_INIT, MAX_ITERATIONS, TOLERANCE, SEED];

impl KMeans {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let p = Self {
            n_clusters: o.int(&N_CLUSTERS)? as usize,
            n_init: o.int(&N_INIT)? as usize,
            max_iterations: o.int(&MAX_ITERATIONS)? as usize,
            tolerance: o.num(&TOLERANCE)?,
            seed: o.int(&SEED)? as u64,
        };
        o.finish()?;
        Ok(p)
    }

    /// k-means++: the first centre uniformly, each next one with probability ∝ squared distance.
    fn seeds(&self, x: &Array2<f64>, rng: &mut SplitMix64) -> Result<Vec<Vec<f64>>> {
        let n = x.nrows();
        let mut centers = vec![x.row(rng.below(n as u64) as usize).to_vec()];
        let mut d2: Vec<f64> = x.rows().into_iter().map(|r| distance2(&centers[0], r)).collect();
        while centers.len() < self.n_clusters {
            crate::interrupt::check()?;
            let total: f64 = d2.iter().sum();
            let next = if total <= 0.0 {
                rng.below(n as u64) as usize
            } else {
                let mut u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
                let mut pick = n - 1;
                for (i, d) in d2.iter().enumerate() {
                    if u < *d {
                        pick = i;
                        break;
                    }
                    u -= d;
                }
                pick
            };
            let c = x.row(next).to_vec();
            for (d, r) in d2.iter_mut().zip(x.rows()) {
                *d = d.min(distance2(&c, r));
            }
            centers.push(c);
        }
        Ok(centers)
    }

    fn run(&self, x: &Array2<f64>, rng: &mut SplitMix64, scale: f64) -> Result<(KMeansModel, f64)> {
        let (n, w) = x.dim();
        let mut model = KMeansModel { centers: self.seeds(x, rng)? };
        let mut assign = vec![0usize; n];
        for _ in 0..self.max_iterations {
            crate::interrupt::check()?;
            for (a, r) in assign.iter_mut().zip(x.rows()) {
                *a = model.nearest(r.as_slice().unwrap_or(&r.to_vec())).0;
            }
            let mut sums = vec![vec![0.0; w]; self.n_clusters];
            let mut counts = vec![0usize; self.n_clusters];
            for (&a, r) in assign.iter().zip(x.rows()) {
                counts[a] += 1;
                for (s, v) in sums[a].iter_mut().zip(r) {
                    *s += v;
                }
            }
            let mut shift: f64 = 0.0;
            for k in 0..self.n_clusters {
                if counts[k] == 0 {
                    continue; // an empty cluster keeps its centre
                }
                let c: Vec<f64> = sums[k].iter().map(|s| s / counts[k] as f64).collect();
                shift = shift.max(c.iter().zip(&model.centers[k]).map(|(a, b)| (a - b) * (a - b)).sum());
                model.centers[k] = c;
            }
            if shift <= self.tolerance * scale {
                break;
            }
        }
        let inertia = model.inertia(x);
        Ok((model, inertia))
    }
}

impl Algorithm for KMeans {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        json!({"n_clusters": self.n_clusters, "n_init": self.n_init, "max_iterations": self.max_iterations,
               "tolerance": self.tolerance, "seed": self.seed})
    }

    fn fit(&self, x: &Array2<f64>, _y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.nrows() < self.n_clusters {
            return Err(AimassError::data(format!(
                "{} clusters need at least as many rows; the training rows are {}",
                self.n_clusters,
                x.nrows()
            )));
        }
        // Tolerance relative to the mean variance of the inputs, as scikit-learn.
        let scale = x.var_axis(ndarray::Axis(0), 0.0).mean().unwrap_or(1.0).max(1e-300);
        let mut rng = SplitMix64::new(self.seed);
        let mut best: Option<(KMeansModel, f64)> = None;
        for run in 0..self.n_init {
            let (m, inertia) = self.run(x, &mut rng, scale)?;
            if best.as_ref().is_none_or(|b| inertia < b.1) {
                best = Some((m, inertia));
            }
            let p = Progress {
                stage: NAME,
                round: run + 1,
                total: self.n_init,
                metric: "inertia",
                score: Some(inertia),
                best: best.as_ref().map(|b| b.1),
            };
            (ctx.on_round)(&p)?;
        }
        let (model, _) = best.ok_or_else(|| AimassError::internal("no k-means run"))?;
        Ok(FittedModel::KMeans(model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::Recipe;

    #[test]
    fn finds_three_separated_groups() {
        let mut rng = SplitMix64::new(1);
        let centres = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
        let x = Array2::from_shape_fn((600, 2), |(i, j)| {
            let c = centres[i % 3];
            (if j == 0 { c.0 } else { c.1 }) + rng.below(1000) as f64 / 1000.0 - 0.5
        });
        let recipe = Recipe { steps: vec![] };
        let k = KMeans::from_json(&json!({"n_clusters": 3})).unwrap();
        let FittedModel::KMeans(m) = k.fit(&x, &Array1::zeros(600), &FitContext::new(&recipe)).unwrap()
        else {
            panic!()
        };
        // Rows of the same group share a cluster, groups differ.
        let label: Vec<usize> = x.rows().into_iter().map(|r| m.predict(&r.to_vec()) as usize).collect();
        for i in 3..600 {
            assert_eq!(label[i], label[i % 3]);
        }
        assert_ne!(label[0], label[1]);
        assert_ne!(label[1], label[2]);
        assert_ne!(label[0], label[2]);
        assert!(m.inertia(&x) / 600.0 < 0.2);
    }
}
