//! `isolation_forest`: anomaly scores for fraud screening, trained without a target (Liu, Ting &
//! Zhou 2008). Each tree isolates a subsample of `max_samples` rows by splitting on a random input
//! at a random value between the node's minimum and maximum, up to depth ⌈log2 max_samples⌉. A
//! row's path length `h(x)` is its leaf's depth plus `c(size)`, the average path length of an
//! unsuccessful search in a binary search tree over the rows left in the leaf. The anomaly score
//! is `2^(−E[h(x)] / c(max_samples))` in (0, 1]: near 1 for rows isolated quickly (anomalies),
//! about 0.5 or below for ordinary rows — as scikit-learn's `score_samples`, negated.
//!
//! Hyperparameters: [`PARAMS`], one spec each (name, range, default, doc).

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::random_forest::grow_parallel;
use super::tree::{Combine, Node, Tree, TreeEnsemble};
use super::{Algorithm, FitContext, FittedModel};
use crate::error::{AimassError, Result};
use crate::json_options::{Options, Param};
use crate::split::SplitMix64;

pub const NAME: &str = "isolation_forest";

/// `c(n)`: the average path length of an unsuccessful binary-search-tree search among n rows.
pub fn average_path(n: f64) -> f64 {
    if n <= 1.0 {
        0.0
    } else if n == 2.0 {
        1.0
    } else {
        2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
    }
}

/// A fitted isolation forest: trees whose leaves hold path lengths, averaged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IsolationModel {
    pub forest: TreeEnsemble,
    /// `c(subsample size)`, the normalizer of the score.
    pub normalizer: f64,
}

impl IsolationModel {
    /// The mean path length of row `x`.
    pub fn path_length(&self, x: &[f64]) -> f64 {
        self.forest.raw(x)
    }

    pub fn predict(&self, x: &[f64]) -> f64 {
        (2f64).powf(-self.path_length(x) / self.normalizer)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IsolationForest {
    pub n_trees: usize,
    pub max_samples: usize,
    pub max_depth: Option<usize>,
    pub seed: u64,
}

const N_TREES: Param = Param::integer("n_trees", 1, 10_000, 100, "Trees.");
const MAX_SAMPLES: Param =
    Param::integer("max_samples", 2, 1_000_000_000, 256, "Rows per tree (all rows when fewer).");
const SEED: Param = Param::integer("seed", i64::MIN, i64::MAX, 42, "Subsamples, inputs and split values.");
const MAX_DEPTH: Param = Param::shaped(
    "max_depth",
    "integer",
    "1 – 64",
    "null",
    "Depth limit; null: ⌈log2 of the rows per tree⌉.",
);
pub const PARAMS: &[Param] = &[N_TREES, MAX_SAMPLES, MAX_DEPTH, SEED];

impl IsolationForest {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let p = Self {
            n_trees: o.int(&N_TREES)? as usize,
            max_samples: o.int(&MAX_SAMPLES)? as usize,
            max_depth: o.integer(MAX_DEPTH.name, 1, 64)?.map(|d| d as usize),
            seed: o.int(&SEED)? as u64,
        };
        o.finish()?;
        Ok(p)
    }

    fn grow(&self, i: usize, x: &Array2<f64>, sample: usize, depth_limit: usize) -> Tree {
        let mut rng = SplitMix64::new(self.seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        // A subsample without replacement: a partial Fisher–Yates shuffle.
        let n = x.nrows();
        let mut idx: Vec<u32> = (0..n as u32).collect();
        for k in 0..sample {
            let j = k + rng.below((n - k) as u64) as usize;
            idx.swap(k, j);
        }
        idx.truncate(sample);
        let mut tree = Tree { nodes: vec![Node::Leaf { value: 0.0 }], cover: vec![sample as f64] };
        let mut stack = vec![(0usize, idx, 0usize)];
        while let Some((node, rows, depth)) = stack.pop() {
            let leaf = |rows: &[u32]| Node::Leaf { value: depth as f64 + average_path(rows.len() as f64) };
            if depth >= depth_limit || rows.len() <= 1 {
                tree.nodes[node] = leaf(&rows);
                continue;
            }
            // A random input that varies in the node (a few draws, then give up: a leaf).
            let mut split = None;
            for _ in 0..x.ncols().clamp(1, 16) {
                let j = rng.below(x.ncols() as u64) as usize;
                let (lo, hi) = rows
                    .iter()
                    .map(|&r| x[[r as usize, j]])
                    .filter(|v| !v.is_nan())
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
                if lo < hi {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    // Strictly inside [lo, hi) so that both sides keep a row.
                    let t = (lo + u * (hi - lo)).min(hi - (hi - lo) * 1e-12).max(lo);
                    split = Some((j, t));
                    break;
                }
            }
            let Some((j, t)) = split else {
                tree.nodes[node] = leaf(&rows);
                continue;
            };
            let (left, right): (Vec<u32>, Vec<u32>) =
                rows.iter().partition(|&&r| x[[r as usize, j]].is_nan() || x[[r as usize, j]] <= t);
            let (l, r) = (tree.nodes.len(), tree.nodes.len() + 1);
            tree.nodes.extend([Node::Leaf { value: 0.0 }, Node::Leaf { value: 0.0 }]);
            tree.cover.extend([left.len() as f64, right.len() as f64]);
            tree.nodes[node] =
                Node::Split { feature: j as u32, threshold: t, left: l as u32, right: r as u32 };
            stack.push((l, left, depth + 1));
            stack.push((r, right, depth + 1));
        }
        tree
    }
}

impl Algorithm for IsolationForest {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        json!({"n_trees": self.n_trees, "max_samples": self.max_samples, "max_depth": self.max_depth, "seed": self.seed})
    }

    fn fit(&self, x: &Array2<f64>, _y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        if x.nrows() < 2 || x.ncols() == 0 {
            return Err(AimassError::data("an isolation forest needs at least two rows and an input"));
        }
        let sample = self.max_samples.min(x.nrows());
        let depth = self.max_depth.unwrap_or((sample as f64).log2().ceil() as usize).max(1);
        crate::memory::reserve(
            crate::memory::bytes_of(self.n_trees as u128 * 2 * sample as u128, 40),
            &format!("{} isolation trees of {sample} rows", self.n_trees),
            "Lower n_trees or max_samples.",
        )?;
        let trees = grow_parallel(self.n_trees, ctx, NAME, |i| self.grow(i, x, sample, depth))?;
        Ok(FittedModel::Isolation(IsolationModel {
            forest: TreeEnsemble::new(x.ncols(), 0.0, false, Combine::Mean, trees),
            normalizer: average_path(sample as f64),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;
    use crate::preprocess::Recipe;

    #[test]
    fn outliers_score_above_normal_rows() {
        // 2000 rows around the origin, 20 far away in one or two inputs.
        let mut rng = SplitMix64::new(5);
        let mut normal = || (0..12).map(|_| rng.below(1000) as f64 / 1000.0).sum::<f64>() - 6.0;
        let n = 2020;
        let mut x = Array2::<f64>::zeros((n, 4));
        let mut y = vec![0.0; n];
        for i in 0..n {
            for j in 0..4 {
                x[[i, j]] = normal();
            }
            if i >= 2000 {
                x[[i, i % 4]] += if i % 2 == 0 { 6.0 } else { -6.0 };
                y[i] = 1.0;
            }
        }
        let recipe = Recipe { steps: vec![] };
        let f = IsolationForest::from_json(&json!({})).unwrap();
        let FittedModel::Isolation(m) = f.fit(&x, &Array1::zeros(n), &FitContext::new(&recipe)).unwrap()
        else {
            panic!()
        };
        let s: Vec<f64> = x.rows().into_iter().map(|r| m.predict(&r.to_vec())).collect();
        assert!(s.iter().all(|&s| s > 0.0 && s <= 1.0));
        let (auc, _) = auc_ks(&s, &y);
        assert!(auc > 0.95, "AUC {auc}");
        let (normal, outlying) =
            (s[..2000].iter().sum::<f64>() / 2000.0, s[2000..].iter().sum::<f64>() / 20.0);
        assert!(normal < 0.5 && outlying > normal + 0.1, "{normal} {outlying}");
    }

    #[test]
    fn average_path_matches_the_paper() {
        assert_eq!(average_path(1.0), 0.0);
        assert_eq!(average_path(2.0), 1.0);
        // c(256) = 2·H(255) − 2·255/256 ≈ 10.2448
        assert!((average_path(256.0) - 10.244_770_920_116_851).abs() < 1e-9);
    }
}
