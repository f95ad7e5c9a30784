//! Fitted decision trees and tree ensembles, shared by the tree learners: scoring one encoded row,
//! checking a stored tree's structure, and exact per-input contributions by TreeSHAP.
//!
//! TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent Individualized Feature Attribution for
//! Tree Ensembles", algorithm 2) gives each input its Shapley value for the tree's output where
//! a missing coalition member is integrated out by following both children weighted by their
//! training cover — the same definition as `shap.TreeExplainer(model,
//! feature_perturbation="tree_path_dependent")`, LightGBM's `pred_contrib` and XGBoost's
//! `pred_contribs`. The contributions of one row sum to its raw output (log-odds for binary
//! models) minus the ensemble's expected raw output over the training rows.

use serde::{Deserialize, Serialize};

use crate::error::{AimassError, ErrorKind, Result};

/// One node of a fitted tree: a split (`x[feature] <= threshold`, or missing, goes left) or a
/// leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Node {
    Split { feature: u32, threshold: f64, left: u32, right: u32 },
    Leaf { value: f64 },
}

/// A tree; node 0 is the root and children always come after their parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// `cover[i]`: the number of training rows that reached node i (TreeSHAP's weights).
    pub cover: Vec<f64>,
}

impl Tree {
    /// The child a value takes at a split: missing values sit below every value, on the left.
    #[inline]
    fn child(v: f64, threshold: f64, left: u32, right: u32) -> usize {
        // `v > threshold` is false for NaN, so missing goes left. A select, not a branch: which
        // way a row goes is data, and a mispredicted branch per node dominated scoring.
        let right_side = v > threshold;
        (if right_side { right } else { left }) as usize
    }

    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        let mut i = 0usize;
        loop {
            match &self.nodes[i] {
                Node::Leaf { value } => return *value,
                Node::Split { feature, threshold, left, right } => {
                    i = Self::child(x[*feature as usize], *threshold, *left, *right);
                }
            }
        }
    }

    /// The expected output over the training rows: the leaves' values weighted by their cover.
    pub fn expected_value(&self) -> f64 {
        let root = self.cover.first().copied().unwrap_or(0.0);
        if root <= 0.0 {
            return 0.0;
        }
        self.nodes
            .iter()
            .zip(&self.cover)
            .filter_map(|(n, c)| match n {
                Node::Leaf { value } => Some(value * c / root),
                Node::Split { .. } => None,
            })
            .sum()
    }

    /// Checks a stored tree: children after their parent and inside the tree (so scoring always
    /// ends at a leaf), inputs in range, one cover per node.
    fn validate(&self, n_inputs: usize) -> Result<()> {
        let bad = |what: String| {
            Err(AimassError::new(ErrorKind::DataCorrupted, "model artifact is inconsistent")
                .with_detail(what))
        };
        if self.nodes.is_empty() || self.cover.len() != self.nodes.len() {
            return bad(format!("A tree has {} nodes and {} covers.", self.nodes.len(), self.cover.len()));
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if let Node::Split { feature, left, right, .. } = n {
                let ok = |c: u32| (c as usize) > i && (c as usize) < self.nodes.len();
                if !ok(*left) || !ok(*right) || *feature as usize >= n_inputs {
                    return bad(format!("Tree node {i} points outside the tree or its inputs."));
                }
            }
        }
        Ok(())
    }

    /// Adds this tree's TreeSHAP values for row `x` to `phi` (one per input).
    pub fn add_shap(&self, x: &[f64], phi: &mut [f64]) {
        let path = Vec::new();
        self.shap_recurse(0, x, phi, &path, 0, 1.0, 1.0, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn shap_recurse(
        &self,
        node: usize,
        x: &[f64],
        phi: &mut [f64],
        parent_path: &[PathElement],
        depth: usize,
        zero_fraction: f64,
        one_fraction: f64,
        feature: Option<u32>,
    ) {
        // Each level works on its own copy of the path so that siblings do not see each other.
        let mut path: Vec<PathElement> = parent_path[..depth].to_vec();
        path.push(PathElement { feature, zero: zero_fraction, one: one_fraction, weight: 0.0 });
        extend(&mut path, depth);
        let mut depth = depth;
        match &self.nodes[node] {
            Node::Leaf { value } => {
                for i in 1..=depth {
                    let w = unwound_sum(&path, depth, i);
                    let e = &path[i];
                    if let Some(f) = e.feature {
                        phi[f as usize] += w * (e.one - e.zero) * value;
                    }
                }
            }
            Node::Split { feature: f, threshold, left, right } => {
                let hot = Self::child(x[*f as usize], *threshold, *left, *right);
                let cold = if hot == *left as usize { *right as usize } else { *left as usize };
                let cover = self.cover[node];
                let (hot_share, cold_share) = if cover > 0.0 {
                    (self.cover[hot] / cover, self.cover[cold] / cover)
                } else {
                    (0.5, 0.5)
                };
                // A feature met again on the path: undo its earlier extension and carry its
                // fractions down.
                let (mut in_zero, mut in_one) = (1.0, 1.0);
                if let Some(k) = (1..=depth).find(|&k| path[k].feature == Some(*f)) {
                    in_zero = path[k].zero;
                    in_one = path[k].one;
                    unwind(&mut path, depth, k);
                    depth -= 1;
                }
                self.shap_recurse(hot, x, phi, &path, depth + 1, hot_share * in_zero, in_one, Some(*f));
                self.shap_recurse(cold, x, phi, &path, depth + 1, cold_share * in_zero, 0.0, Some(*f));
            }
        }
    }
}

/// One feature on the path from the root: the fraction of "absent" (zero) and "present" (one)
/// paths that flow through, and the permutation weight of coalitions of this size.
#[derive(Debug, Clone, Copy)]
struct PathElement {
    feature: Option<u32>,
    zero: f64,
    one: f64,
    weight: f64,
}

/// Extends the weights by the element just pushed at `depth`.
fn extend(path: &mut [PathElement], depth: usize) {
    let (zero, one) = (path[depth].zero, path[depth].one);
    path[depth].weight = if depth == 0 { 1.0 } else { 0.0 };
    let d = (depth + 1) as f64;
    for i in (0..depth).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / d;
        path[i].weight = zero * path[i].weight * (depth - i) as f64 / d;
    }
}

/// Removes element `k` from the path, undoing its extension.
fn unwind(path: &mut Vec<PathElement>, depth: usize, k: usize) {
    let (zero, one) = (path[k].zero, path[k].one);
    let d = (depth + 1) as f64;
    let mut next = path[depth].weight;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = path[i].weight;
            path[i].weight = next * d / ((i + 1) as f64 * one);
            next = tmp - path[i].weight * zero * (depth - i) as f64 / d;
        } else {
            path[i].weight = path[i].weight * d / (zero * (depth - i) as f64);
        }
    }
    for i in k..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
    path.truncate(depth);
}

/// The total weight of the path with element `k` unwound, without changing it.
fn unwound_sum(path: &[PathElement], depth: usize, k: usize) -> f64 {
    let (zero, one) = (path[k].zero, path[k].one);
    let d = (depth + 1) as f64;
    let mut next = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        if one != 0.0 {
            let tmp = next * d / ((i + 1) as f64 * one);
            total += tmp;
            next = path[i].weight - tmp * zero * (depth - i) as f64 / d;
        } else if zero != 0.0 {
            total += path[i].weight / zero / ((depth - i) as f64 / d);
        }
    }
    total
}

/// How the trees combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Combine {
    /// Boosting: the raw output is `init + Σ trees`.
    Sum,
    /// Forests: the raw output is `init + mean of the trees`.
    Mean,
}

/// A fitted ensemble. Binary models output `sigmoid(raw)` when `binary` and `logit`, the
/// probability itself when the trees average probabilities (forests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeEnsemble {
    pub n_inputs: usize,
    pub init: f64,
    pub binary: bool,
    pub combine: Combine,
    pub trees: Vec<Tree>,
    /// The trees laid out for scoring, built on first use; not stored.
    #[serde(skip)]
    pub scoring: ScoringForm,
}

/// Trees a row walks side by side (see [`TreeEnsemble::raw`]).
const LANES: usize = 8;

/// Trees laid out for scoring (see [`FlatTree`]), built from [`TreeEnsemble::trees`] on first
/// use. Derived from the trees, so it takes no part in equality.
#[derive(Debug, Clone, Default)]
pub struct ScoringForm(std::sync::OnceLock<Vec<FlatTree>>);

impl PartialEq for ScoringForm {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A tree for scoring without a branch per node: a leaf is a split that leads back to itself
/// (its threshold is +∞, so every value, missing or not, goes "left", to the leaf), and every
/// row takes exactly `depth` steps. With no branch on the row's data to mispredict, the steps of
/// a row's trees overlap in the CPU.
#[derive(Debug, Clone)]
pub struct FlatTree {
    nodes: Vec<FlatNode>,
    /// Leaf values (0 at splits).
    values: Vec<f64>,
    /// The deepest leaf's depth.
    depth: usize,
}

#[derive(Debug, Clone, Copy)]
struct FlatNode {
    threshold: f64,
    feature: u32,
    /// Left (`x ≤ threshold` or missing), right.
    child: [u32; 2],
}

impl FlatTree {
    fn new(tree: &Tree) -> FlatTree {
        let n = tree.nodes.len();
        let mut nodes = Vec::with_capacity(n);
        let mut values = vec![0.0; n];
        let mut depths = vec![0usize; n];
        for (i, node) in tree.nodes.iter().enumerate() {
            match *node {
                Node::Split { feature, threshold, left, right } => {
                    // Children come after their parent (checked by `validate`).
                    let below = depths[i] + 1;
                    for c in [left, right] {
                        if let Some(d) = depths.get_mut(c as usize) {
                            *d = below;
                        }
                    }
                    nodes.push(FlatNode { threshold, feature, child: [left, right] });
                }
                Node::Leaf { value } => {
                    values[i] = value;
                    nodes.push(FlatNode { threshold: f64::INFINITY, feature: 0, child: [i as u32; 2] });
                }
            }
        }
        FlatTree { nodes, values, depth: depths.into_iter().max().unwrap_or(0) }
    }

    /// Where row `x` goes from node `i` (a leaf leads back to itself: `x > +∞` is false for every
    /// value, NaN included).
    #[inline(always)]
    fn step(&self, i: usize, x: &[f64]) -> usize {
        let node = &self.nodes[i];
        node.child[(x[node.feature as usize] > node.threshold) as usize] as usize
    }

    /// The same value as [`Tree::predict`].
    #[cfg(test)]
    fn predict(&self, x: &[f64]) -> f64 {
        let i = (0..self.depth).fold(0, |i, _| self.step(i, x));
        self.values[i]
    }
}

impl TreeEnsemble {
    pub fn new(n_inputs: usize, init: f64, binary: bool, combine: Combine, trees: Vec<Tree>) -> Self {
        TreeEnsemble { n_inputs, init, binary, combine, trees, scoring: ScoringForm::default() }
    }

    fn scale(&self) -> f64 {
        match self.combine {
            Combine::Sum => 1.0,
            Combine::Mean => 1.0 / self.trees.len().max(1) as f64,
        }
    }

    /// The model's raw output: log-odds for boosted binary models, otherwise the prediction.
    #[inline]
    pub fn raw(&self, x: &[f64]) -> f64 {
        let flat = self.scoring.0.get_or_init(|| self.trees.iter().map(FlatTree::new).collect());
        // Trees walked side by side in groups: a group's walks are independent chains of loads
        // that the CPU runs at once; the values are added in tree order all the same.
        let mut s = 0.0;
        for group in flat.chunks(LANES) {
            let mut at = [0usize; LANES];
            for _ in 0..group.iter().map(|t| t.depth).max().unwrap_or(0) {
                for (t, i) in group.iter().zip(at.iter_mut()) {
                    *i = t.step(*i, x);
                }
            }
            for (t, &i) in group.iter().zip(&at) {
                s += t.values[i];
            }
        }
        self.init + s * self.scale()
    }

    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        let z = self.raw(x);
        if self.binary && self.combine == Combine::Sum {
            super::linear_model::sigmoid(z)
        } else {
            z
        }
    }

    /// The raw output expected over the training rows (TreeSHAP's base value).
    pub fn expected_value(&self) -> f64 {
        self.init + self.trees.iter().map(Tree::expected_value).sum::<f64>() * self.scale()
    }

    /// Per-input contributions to the raw output of row `x`: they sum to
    /// `raw(x) − expected_value()`.
    pub fn shap(&self, x: &[f64]) -> Vec<f64> {
        let mut phi = vec![0.0; self.n_inputs];
        for t in &self.trees {
            t.add_shap(x, &mut phi);
        }
        let s = self.scale();
        phi.iter_mut().for_each(|p| *p *= s);
        phi
    }

    pub fn validate(&self) -> Result<()> {
        self.trees.iter().try_for_each(|t| t.validate(self.n_inputs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapley values by enumerating coalitions, with an absent feature integrated out by the
    /// training cover — the definition TreeSHAP computes in polynomial time.
    fn brute_force(tree: &Tree, x: &[f64], n: usize) -> Vec<f64> {
        fn value(tree: &Tree, x: &[f64], s: u32, node: usize) -> f64 {
            match &tree.nodes[node] {
                Node::Leaf { value } => *value,
                Node::Split { feature, threshold, left, right } => {
                    if s & (1 << feature) != 0 {
                        value(tree, x, s, Tree::child(x[*feature as usize], *threshold, *left, *right))
                    } else {
                        let (l, r) = (*left as usize, *right as usize);
                        (tree.cover[l] * value(tree, x, s, l) + tree.cover[r] * value(tree, x, s, r))
                            / tree.cover[node]
                    }
                }
            }
        }
        let fact = |k: usize| (1..=k).product::<usize>() as f64;
        (0..n)
            .map(|i| {
                (0u32..1 << n)
                    .filter(|s| s & (1 << i) == 0)
                    .map(|s| {
                        let k = s.count_ones() as usize;
                        let w = fact(k) * fact(n - k - 1) / fact(n);
                        w * (value(tree, x, s | 1 << i, 0) - value(tree, x, s, 0))
                    })
                    .sum()
            })
            .collect()
    }

    /// A tree of depth 4 that splits on feature 0 twice on one path, with uneven covers.
    fn tree() -> Tree {
        use Node::*;
        let nodes = vec![
            Split { feature: 0, threshold: 0.5, left: 1, right: 2 },
            Split { feature: 1, threshold: 1.0, left: 3, right: 4 },
            Split { feature: 2, threshold: -1.0, left: 5, right: 6 },
            Split { feature: 0, threshold: 0.0, left: 7, right: 8 },
            Leaf { value: 0.7 },
            Leaf { value: -1.3 },
            Split { feature: 1, threshold: 3.0, left: 9, right: 10 },
            Leaf { value: 2.0 },
            Split { feature: 3, threshold: 0.0, left: 11, right: 12 },
            Leaf { value: -0.4 },
            Leaf { value: 0.9 },
            Leaf { value: 0.1 },
            Leaf { value: -2.2 },
        ];
        let cover = vec![100.0, 60.0, 40.0, 45.0, 15.0, 10.0, 30.0, 20.0, 25.0, 12.0, 18.0, 5.0, 20.0];
        Tree { nodes, cover }
    }

    #[test]
    fn tree_shap_equals_the_shapley_values_by_enumeration() {
        let t = tree();
        for x in [
            [0.2, 0.5, 0.0, 1.0],
            [-1.0, 2.0, -3.0, -1.0],
            [0.9, 4.0, 0.0, 0.0],
            [f64::NAN, 0.0, 5.0, 2.0],
            [0.3, f64::NAN, f64::NAN, 0.5],
        ] {
            let mut phi = vec![0.0; 4];
            t.add_shap(&x, &mut phi);
            let exact = brute_force(&t, &x, 4);
            for (a, b) in phi.iter().zip(&exact) {
                assert!((a - b).abs() < 1e-12, "{x:?}: {phi:?} vs {exact:?}");
            }
            let total: f64 = phi.iter().sum();
            assert!((total - (t.predict(&x) - t.expected_value())).abs() < 1e-12);
        }
    }

    #[test]
    fn ensemble_contributions_sum_to_the_raw_output() {
        for combine in [Combine::Sum, Combine::Mean] {
            let mut other = tree();
            other.nodes.swap(4, 5);
            let e = TreeEnsemble::new(4, -0.5, true, combine, vec![tree(), other]);
            let x = [0.1, 0.7, 2.0, 0.4];
            let phi = e.shap(&x);
            assert!((phi.iter().sum::<f64>() + e.expected_value() - e.raw(&x)).abs() < 1e-12);
        }
    }

    #[test]
    fn the_scoring_form_agrees_with_the_tree() {
        // Values on and around every threshold, and missing ones.
        let mut rng = crate::split::SplitMix64::new(9);
        let t = tree();
        let flat = FlatTree::new(&t);
        for _ in 0..5000 {
            let x: Vec<f64> = (0..4)
                .map(|_| if rng.below(6) == 0 { f64::NAN } else { rng.below(81) as f64 / 10.0 - 4.0 })
                .collect();
            assert_eq!(flat.predict(&x).to_bits(), t.predict(&x).to_bits(), "{x:?}");
        }
        let leaf = Tree { nodes: vec![Node::Leaf { value: 1.5 }], cover: vec![1.0] };
        assert_eq!(FlatTree::new(&leaf).predict(&[]), 1.5);
    }

    #[test]
    fn corrupted_trees_are_refused() {
        let mut t = tree();
        t.nodes[0] = Node::Split { feature: 0, threshold: 0.5, left: 0, right: 2 };
        let e = TreeEnsemble::new(4, 0.0, true, Combine::Sum, vec![t]);
        assert!(e.validate().is_err());
        let e = TreeEnsemble::new(3, 0.0, true, Combine::Sum, vec![tree()]);
        assert!(e.validate().is_err());
        let mut t = tree();
        t.cover.pop();
        let e = TreeEnsemble::new(4, 0.0, true, Combine::Sum, vec![t]);
        assert!(e.validate().is_err());
    }
}
