//! `gradient_boosting`: histogram gradient-boosted decision trees, our own learner (pure Rust).
//!
//! As LightGBM does by default: every input is bucketed into at most `max_bins` histogram bins
//! (edges at distinct quantiles of the training values); trees grow leaf-wise (best gain first)
//! up to `num_leaves` leaves, with at least `min_data_in_leaf` rows and `min_sum_hessian` per
//! leaf; a split's gain is `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)`; a leaf's value is
//! `−learning_rate · G/(H+λ)`. Binary targets use the log loss (starting from the log-odds of the
//! base rate), numeric targets the squared error (starting from the mean). Histograms of the
//! larger child are the parent's minus the smaller child's.
//!
//! | name | default | range | purpose |
//! |---|---|---|---|
//! | n_estimators | 100 | 1 – 100000 | boosting rounds |
//! | learning_rate | 0.1 | (0, 1] | shrinkage |
//! | num_leaves | 31 | 2 – 4096 | leaves per tree |
//! | max_depth | 0 | 0 – 64 | depth limit, 0 for none |
//! | min_data_in_leaf | 20 | 1 – 1e9 | rows per leaf |
//! | min_sum_hessian | 1e-3 | ≥ 0 | hessian per leaf |
//! | lambda_l2 | 0 | ≥ 0 | L2 penalty on leaf values |
//! | max_bins | 255 | 2 – 255 | histogram bins per input |
//!
//! Missing values: numeric NULLs stay missing by default (`impute` `keep`) and take a histogram
//! bin of their own below every value, so a split can send them left with the low values or
//! separate them (at prediction a missing value always goes left).
//!
//! The inputs of a one-hot group (a text feature) share one histogram: the group's histogram
//! gives each input's 0/1 histogram, so a text feature costs one histogram, not one per category.
//!
//! Not yet: early stopping, sample and class weights, monotone constraints, threads.

use ndarray::{Array1, Array2, Axis};
use serde_json::{json, Value};

use super::tree::{Combine, Node, Tree, TreeEnsemble};
use super::{Algorithm, FittedModel};
use crate::core::error::{AimassError, Result};
use crate::core::json_options::Options;
use crate::core::preprocess::Recipe;
use crate::core::task::Task;

pub const NAME: &str = "gradient_boosting";

#[derive(Debug, Clone, PartialEq)]
pub struct GradientBoosting {
    pub task: Task,
    pub n_estimators: usize,
    pub learning_rate: f64,
    pub num_leaves: usize,
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian: f64,
    pub lambda_l2: f64,
    pub max_bins: usize,
}

impl GradientBoosting {
    pub fn from_json(value: &Value, task: Task) -> Result<Self> {
        let mut o = Options::new(value, "hyperparams")?;
        let p = Self {
            task,
            n_estimators: o.integer("n_estimators", 1, 100_000)?.unwrap_or(100) as usize,
            learning_rate: o.number("learning_rate", 1e-6, 1.0)?.unwrap_or(0.1),
            num_leaves: o.integer("num_leaves", 2, 4096)?.unwrap_or(31) as usize,
            max_depth: o.integer("max_depth", 0, 64)?.unwrap_or(0) as usize,
            min_data_in_leaf: o.integer("min_data_in_leaf", 1, 1_000_000_000)?.unwrap_or(20) as usize,
            min_sum_hessian: o.number("min_sum_hessian", 0.0, 1e12)?.unwrap_or(1e-3),
            lambda_l2: o.number("lambda_l2", 0.0, 1e12)?.unwrap_or(0.0),
            max_bins: o.integer("max_bins", 2, 255)?.unwrap_or(255) as usize,
        };
        o.finish()?;
        Ok(p)
    }
}

/// Inputs bucketed into histogram bins, column-major.
struct Binned {
    /// `bins[j][i]`: the bin of row i in input j (empty for an input of a one-hot group).
    bins: Vec<Vec<u8>>,
    /// `upper[j][b]`: the largest training value in bin b of input j (the split threshold).
    upper: Vec<Vec<f64>>,
    /// One-hot groups (exactly one input is 1 in every row): `hot[i]` is the offset of row i's
    /// hot input. One histogram per group gives every input's histogram: its 1-cell is the
    /// group's cell at its offset, its 0-cell the rest.
    groups: Vec<OneHotGroup>,
    /// For each input, its group and offset when it belongs to one.
    member: Vec<Option<(usize, usize)>>,
}

struct OneHotGroup {
    inputs: std::ops::Range<usize>,
    hot: Vec<u32>,
}

impl Binned {
    /// The bin of row `r` in input `j`.
    #[inline]
    fn bin(&self, j: usize, r: usize) -> usize {
        match self.member[j] {
            Some((g, o)) => (self.groups[g].hot[r] as usize == o) as usize,
            None => self.bins[j][r] as usize,
        }
    }
}

/// Bundles the recipe's one-hot groups whose inputs are exactly 0/1 with one 1 per row.
fn bundle(x: &Array2<f64>, groups: &[std::ops::Range<usize>], data: &mut Binned) {
    for range in groups {
        let mut hot = Vec::with_capacity(x.nrows());
        let mut ok = true;
        for row in x.axis_iter(Axis(0)) {
            let vals = row.slice(ndarray::s![range.clone()]);
            let ones: Vec<usize> =
                vals.iter().enumerate().filter(|(_, &v)| v == 1.0).map(|(i, _)| i).collect();
            if ones.len() != 1 || vals.iter().any(|&v| v != 0.0 && v != 1.0) {
                ok = false;
                break;
            }
            hot.push(ones[0] as u32);
        }
        if !ok {
            continue;
        }
        let g = data.groups.len();
        for (o, j) in range.clone().enumerate() {
            data.member[j] = Some((g, o));
            data.bins[j] = Vec::new();
            data.upper[j] = vec![0.0, 1.0];
        }
        data.groups.push(OneHotGroup { inputs: range.clone(), hot });
    }
}

fn bin_inputs(x: &Array2<f64>, max_bins: usize) -> Binned {
    let mut bins = Vec::with_capacity(x.ncols());
    let mut upper = Vec::with_capacity(x.ncols());
    for col in x.axis_iter(Axis(1)) {
        let mut sorted: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let has_missing = sorted.len() < col.len();
        if sorted.is_empty() {
            sorted.push(0.0);
        }
        let mut distinct = sorted.clone();
        distinct.dedup();
        // Upper bounds: all distinct values when few, else values at equal-count ranks.
        let ub: Vec<f64> = if distinct.len() <= max_bins {
            distinct
        } else {
            let n = sorted.len();
            let mut u: Vec<f64> = (1..=max_bins).map(|k| sorted[(k * n / max_bins).min(n) - 1]).collect();
            u.dedup();
            if *u.last().unwrap_or(&f64::NAN) != sorted[n - 1] {
                u.push(sorted[n - 1]);
            }
            u
        };
        // A missing value gets bin 0 of its own (upper bound −∞), below every value.
        let shift = has_missing as usize;
        let b: Vec<u8> = col
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    0
                } else {
                    (ub.partition_point(|&e| e < v).min(ub.len() - 1) + shift) as u8
                }
            })
            .collect();
        let ub = if has_missing { std::iter::once(f64::NEG_INFINITY).chain(ub).collect() } else { ub };
        bins.push(b);
        upper.push(ub);
    }
    let n = bins.len();
    Binned { bins, upper, groups: Vec::new(), member: vec![None; n] }
}

#[derive(Clone, Copy, Default)]
struct Cell {
    g: f64,
    h: f64,
    n: u32,
}

struct Leaf {
    rows: Vec<u32>,
    hist: Vec<Vec<Cell>>,
    g: f64,
    h: f64,
    depth: usize,
    node: usize,
    best: Option<(f64, usize, usize)>, // (gain, input, bin: rows with bin <= it go left)
}

impl GradientBoosting {
    fn histograms(&self, data: &Binned, rows: &[u32], g: &[f64], h: &[f64]) -> Vec<Vec<Cell>> {
        let mut out: Vec<Vec<Cell>> = data
            .bins
            .iter()
            .zip(&data.upper)
            .zip(&data.member)
            .map(|((b, ub), member)| {
                let mut hist = vec![Cell::default(); ub.len()];
                if member.is_none() {
                    for &r in rows {
                        let c = &mut hist[b[r as usize] as usize];
                        c.g += g[r as usize];
                        c.h += h[r as usize];
                        c.n += 1;
                    }
                }
                hist
            })
            .collect();
        if !data.groups.is_empty() {
            let total = rows.iter().fold(Cell::default(), |c, &r| Cell {
                g: c.g + g[r as usize],
                h: c.h + h[r as usize],
                n: c.n + 1,
            });
            for group in &data.groups {
                let mut gh = vec![Cell::default(); group.inputs.len()];
                for &r in rows {
                    let c = &mut gh[group.hot[r as usize] as usize];
                    c.g += g[r as usize];
                    c.h += h[r as usize];
                    c.n += 1;
                }
                for (o, j) in group.inputs.clone().enumerate() {
                    let one = gh[o];
                    out[j] = vec![Cell { g: total.g - one.g, h: total.h - one.h, n: total.n - one.n }, one];
                }
            }
        }
        out
    }

    fn score(&self, g: f64, h: f64) -> f64 {
        g * g / (h + self.lambda_l2)
    }

    fn best_split(&self, leaf: &Leaf) -> Option<(f64, usize, usize)> {
        if self.max_depth > 0 && leaf.depth >= self.max_depth {
            return None;
        }
        let n = leaf.rows.len() as u32;
        let parent = self.score(leaf.g, leaf.h);
        let mut best: Option<(f64, usize, usize)> = None;
        for (j, hist) in leaf.hist.iter().enumerate() {
            let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
            for (b, c) in hist.iter().enumerate().take(hist.len().saturating_sub(1)) {
                gl += c.g;
                hl += c.h;
                nl += c.n;
                let nr = n - nl;
                if (nl as usize) < self.min_data_in_leaf || hl < self.min_sum_hessian {
                    continue;
                }
                if (nr as usize) < self.min_data_in_leaf {
                    break;
                }
                let (gr, hr) = (leaf.g - gl, leaf.h - hl);
                if hr < self.min_sum_hessian {
                    continue;
                }
                let gain = self.score(gl, hl) + self.score(gr, hr) - parent;
                if gain > 1e-12 && best.is_none_or(|bb| gain > bb.0) {
                    best = Some((gain, j, b));
                }
            }
        }
        best
    }

    /// Grows one tree; also adds each leaf's value to `raw` for the rows that fell in it.
    fn grow(&self, data: &Binned, g: &[f64], h: &[f64], raw: &mut [f64]) -> Tree {
        let n_rows = raw.len();
        let rows: Vec<u32> = (0..n_rows as u32).collect();
        let hist = self.histograms(data, &rows, g, h);
        let (sg, sh) = rows.iter().fold((0.0, 0.0), |(a, b), &r| (a + g[r as usize], b + h[r as usize]));
        let mut nodes = vec![Node::Leaf { value: 0.0 }];
        let mut cover = vec![n_rows as f64];
        let mut root = Leaf { rows, hist, g: sg, h: sh, depth: 0, node: 0, best: None };
        root.best = self.best_split(&root);
        let mut leaves = vec![root];
        while leaves.len() < self.num_leaves {
            let Some((li, _)) = leaves
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.best.map(|b| (i, b.0)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
            else {
                break;
            };
            let leaf = leaves.swap_remove(li);
            let (_, j, b) = leaf.best.expect("chosen leaf has a split");
            let (left_rows, right_rows): (Vec<u32>, Vec<u32>) =
                leaf.rows.iter().partition(|&&r| data.bin(j, r as usize) <= b);
            // Histogram of the smaller child; the larger one's is the parent's minus it.
            let (small, large_is_left) =
                if left_rows.len() <= right_rows.len() { (&left_rows, false) } else { (&right_rows, true) };
            let small_hist = self.histograms(data, small, g, h);
            let large_hist: Vec<Vec<Cell>> = leaf
                .hist
                .iter()
                .zip(&small_hist)
                .map(|(p, s)| {
                    p.iter().zip(s).map(|(p, s)| Cell { g: p.g - s.g, h: p.h - s.h, n: p.n - s.n }).collect()
                })
                .collect();
            let (left_hist, right_hist) =
                if large_is_left { (large_hist, small_hist) } else { (small_hist, large_hist) };
            let sum = |rows: &[u32]| {
                rows.iter().fold((0.0, 0.0), |(a, c), &r| (a + g[r as usize], c + h[r as usize]))
            };
            let (lg, lh) = sum(&left_rows);
            let (rg, rh) = sum(&right_rows);
            let (ln, rn) = (nodes.len(), nodes.len() + 1);
            nodes.push(Node::Leaf { value: 0.0 });
            nodes.push(Node::Leaf { value: 0.0 });
            cover.extend([left_rows.len() as f64, right_rows.len() as f64]);
            nodes[leaf.node] = Node::Split {
                feature: j as u32,
                threshold: data.upper[j][b],
                left: ln as u32,
                right: rn as u32,
            };
            for (rows, hist, g_, h_, node) in
                [(left_rows, left_hist, lg, lh, ln), (right_rows, right_hist, rg, rh, rn)]
            {
                let mut l = Leaf { rows, hist, g: g_, h: h_, depth: leaf.depth + 1, node, best: None };
                l.best = self.best_split(&l);
                leaves.push(l);
            }
        }
        for l in &leaves {
            let value = -self.learning_rate * l.g / (l.h + self.lambda_l2);
            nodes[l.node] = Node::Leaf { value };
            for &r in &l.rows {
                raw[r as usize] += value;
            }
        }
        Tree { nodes, cover }
    }
}

impl Algorithm for GradientBoosting {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        json!({
            "n_estimators": self.n_estimators, "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "max_depth": self.max_depth, "min_data_in_leaf": self.min_data_in_leaf,
            "min_sum_hessian": self.min_sum_hessian, "lambda_l2": self.lambda_l2, "max_bins": self.max_bins,
        })
    }

    fn handles_missing(&self) -> bool {
        true
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, recipe: &Recipe) -> Result<FittedModel> {
        let n = x.nrows();
        if n == 0 || x.ncols() == 0 {
            return Err(AimassError::data("gradient boosting needs rows and inputs"));
        }
        let binary = self.task == Task::Binary;
        let mut data = bin_inputs(x, self.max_bins);
        bundle(x, &recipe.one_hot_groups(), &mut data);
        let mean = y.sum() / n as f64;
        let init = if binary { (mean / (1.0 - mean)).ln() } else { mean };
        let mut raw = vec![init; n];
        let (mut g, mut h) = (vec![0.0; n], vec![1.0; n]);
        let mut trees = Vec::with_capacity(self.n_estimators);
        for _ in 0..self.n_estimators {
            for i in 0..n {
                if binary {
                    let p = super::linear_model::sigmoid(raw[i]);
                    g[i] = p - y[i];
                    h[i] = (p * (1.0 - p)).max(1e-16);
                } else {
                    g[i] = raw[i] - y[i];
                }
            }
            trees.push(self.grow(&data, &g, &h, &mut raw));
        }
        Ok(FittedModel::Trees(TreeEnsemble {
            n_inputs: x.ncols(),
            init,
            binary,
            combine: Combine::Sum,
            trees,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::metrics::auc_ks;

    #[test]
    fn learns_an_interaction_a_linear_model_cannot() {
        // y = 1 when x0 and x1 have the same sign (XOR): AUC near 1 for trees.
        let n = 2000;
        let mut x = Array2::<f64>::zeros((n, 2));
        let mut y = Array1::<f64>::zeros(n);
        for i in 0..n {
            let a = ((i * 7919) % 1000) as f64 / 500.0 - 1.0;
            let b = ((i * 104729) % 997) as f64 / 498.5 - 1.0;
            x[[i, 0]] = a;
            x[[i, 1]] = b;
            y[i] = ((a > 0.0) == (b > 0.0)) as u8 as f64;
        }
        let gb = GradientBoosting::from_json(&json!({"n_estimators": 50}), Task::Binary).unwrap();
        let FittedModel::Trees(m) = gb.fit(&x, &y, &Recipe { steps: vec![] }).unwrap() else { panic!() };
        let p: Vec<f64> = x.axis_iter(Axis(0)).map(|r| m.predict(r.as_slice().unwrap())).collect();
        let (auc, _) = auc_ks(&p, y.as_slice().unwrap());
        assert!(auc > 0.98, "AUC {auc}");
        assert!(m
            .trees
            .iter()
            .all(|t| t.nodes.iter().filter(|n| matches!(n, Node::Leaf { .. })).count() <= 31));
    }

    #[test]
    fn one_hot_groups_share_a_histogram_and_split_like_single_inputs() {
        use crate::core::data::{ColumnBuilder, ColumnKind};
        use crate::core::preprocess::{PreprocessOptions, StoredBinnings};
        // Category "c" is risky; x adds a little.
        let mut cat = ColumnBuilder::new("cat", ColumnKind::Categorical);
        let mut num = ColumnBuilder::new("x", ColumnKind::Numeric);
        let mut y = Vec::new();
        for i in 0..3000usize {
            let c = ["a", "b", "c", "d"][i % 4];
            cat.push_text(Some(c));
            num.push_number(Some((i % 97) as f64)).unwrap();
            let h = (i as u64 * 2654435761) % 100;
            y.push(((c == "c" && h < 70) || h < 10) as u8 as f64);
        }
        let (cat, num) = (cat.finish(), num.finish());
        let recipe = Recipe::fit(
            &[&cat, &num],
            &y,
            Task::Binary,
            &PreprocessOptions::default(),
            &StoredBinnings::new(),
        )
        .unwrap();
        let x = recipe.encode_frame(&[&cat, &num]).unwrap();
        let y = Array1::from(y);
        let mut data = bin_inputs(&x, 255);
        bundle(&x, &recipe.one_hot_groups(), &mut data);
        assert_eq!(data.groups.len(), 1);
        // The derived histogram of an input equals its directly built one.
        let rows: Vec<u32> = (0..3000).collect();
        let (g, h) = (vec![1.0; 3000], vec![0.25; 3000]);
        let gb = GradientBoosting::from_json(&json!({}), Task::Binary).unwrap();
        let hist = gb.histograms(&data, &rows, &g, &h);
        let j = data.groups[0].inputs.start + 2; // "c"
        assert_eq!((hist[j][0].n, hist[j][1].n), (2250, 750));
        let FittedModel::Trees(m) = gb.fit(&x, &y, &recipe).unwrap() else { panic!() };
        let p: Vec<f64> = x.axis_iter(Axis(0)).map(|r| m.predict(r.as_slice().unwrap())).collect();
        assert!(auc_ks(&p, y.as_slice().unwrap()).0 > 0.8);
    }

    #[test]
    fn regression_reduces_the_error() {
        let n = 500;
        let x = Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
        let y = Array1::from_shape_fn(n, |i| if i < 250 { 1.0 } else { 5.0 });
        let gb = GradientBoosting::from_json(&json!({}), Task::Regression).unwrap();
        let FittedModel::Trees(m) = gb.fit(&x, &y, &Recipe { steps: vec![] }).unwrap() else { panic!() };
        assert!((m.predict(&[10.0]) - 1.0).abs() < 0.01 && (m.predict(&[400.0]) - 5.0).abs() < 0.01);
    }

    #[test]
    fn bad_hyperparameters() {
        for bad in [
            json!({"num_leaves": 1}),
            json!({"learning_rate": 0}),
            json!({"trees": 5}),
            json!({"max_bins": 300}),
        ] {
            assert!(GradientBoosting::from_json(&bad, Task::Binary).is_err(), "{bad}");
        }
    }
}
