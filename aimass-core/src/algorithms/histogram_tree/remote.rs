//! Boosted trees grown where the rows are not: data-parallel histogram boosting, as LightGBM's
//! distributed mode does it, for a table whose rows stay on other nodes (a Citus distributed
//! table, issue 19).
//!
//! The coordinator holds the bins (edges placed from a sample), the trees and, for each leaf
//! being grown, its histograms; the rows never come to it. A *pass* sends every shard a
//! [`BoostPass`]: the recipe, the bins, the finished trees and the growing tree's splits so far,
//! and requests, each a leaf of the growing tree and the side of its best split whose rows are
//! wanted. Every shard bins its rows, scores them with the finished trees (each row's gradient
//! and hessian of the log loss at that score) and adds them into the requested histograms
//! ([`PreparedPass::add_row`]); the coordinator adds the shards' histograms
//! ([`PassHistograms::merge`]) and grows the tree with the single-node learner's own loop
//! ([`super::grow_tree`]), the larger child's histograms being the parent's minus the smaller's.
//!
//! Leaf-wise growth needs a leaf's children's histograms before it can pick the next leaf, so a
//! pass asks for the children of *every* open leaf at once (at their best splits), and the loop
//! runs on without a pass until it picks a leaf whose children were not asked for yet: a tree
//! takes about as many passes as it is deep, not one per leaf. Given the same bins and the rows
//! in one shard, the trees are those of [`super::Grower`] exactly (the same sums in the same
//! order); over several shards the sums are added in another order, which can move a split only
//! where two gains tie to rounding.

use serde::{Deserialize, Serialize};

use super::binned::{bin_of, upper_bounds_counted};
use super::{grow_tree, Cell, Leaf, Split, TreeParams, TreeRows};
use crate::algorithms::tree::{Node, Tree};
use crate::algorithms::Progress;
use crate::data::RawValue;
use crate::error::{AimassError, ErrorKind, Result};
use crate::preprocess::{FeatureStep, Recipe};
use crate::split::SplitMix64;
use crate::{interrupt, memory};

/// A node of a tree by bins, as the shards route a binned row: at a split, a row whose bin of
/// `input` is at most `bin` goes left (the missing bin 0 always does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BinNode {
    Split { input: u32, bin: u8, left: u32, right: u32 },
    Leaf { value: f64 },
}

/// A tree by bins; node 0 is the root and children come after their parent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BinTree(pub Vec<BinNode>);

impl BinTree {
    /// The leaf a binned row reaches.
    #[inline]
    fn leaf_of(&self, bins: &[u8]) -> usize {
        let mut i = 0usize;
        loop {
            match self.0[i] {
                BinNode::Leaf { .. } => return i,
                BinNode::Split { input, bin, left, right } => {
                    i = if bins[input as usize] <= bin { left } else { right } as usize;
                }
            }
        }
    }

    #[inline]
    fn value(&self, bins: &[u8]) -> f64 {
        match self.0[self.leaf_of(bins)] {
            BinNode::Leaf { value } => value,
            BinNode::Split { .. } => unreachable!("leaf_of ends at a leaf"),
        }
    }

    /// A tree whose every walk ends at a leaf: children after their parent and inside the tree,
    /// inputs and bins that exist.
    fn is_consistent(&self, upper: &[Vec<f64>]) -> bool {
        !self.0.is_empty()
            && self.0.iter().enumerate().all(|(i, n)| match *n {
                BinNode::Leaf { value } => value.is_finite(),
                BinNode::Split { input, bin, left, right } => {
                    let (l, r) = (left as usize, right as usize);
                    upper.get(input as usize).is_some_and(|u| (bin as usize) < u.len())
                        && l > i
                        && r > i
                        && l < self.0.len()
                        && r < self.0.len()
                }
            })
    }
}

/// Rows a pass wants of one leaf of the growing tree: all of them (`side` `None`, the root), or
/// those on one side of a split (`(input, bin, left)`: the left side when `left`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub node: u32,
    pub side: Option<(u32, u8, bool)>,
}

/// What one pass sends every shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoostPass {
    /// Encodes a raw row into the model inputs (numeric steps only).
    pub recipe: Recipe,
    /// Per input, the bins' upper edges (the first −∞ when the input has a missing bin).
    pub upper: Vec<Vec<f64>>,
    /// The raw score before any tree (the log-odds of the base rate).
    pub init: f64,
    pub trees: Vec<BinTree>,
    /// The growing tree's splits so far (its leaves' values are not known yet).
    pub current: BinTree,
    pub requests: Vec<Request>,
}

/// A pass as a shard reads it: checked, with where each input's cells start and which request
/// each node of the growing tree answers.
pub struct PreparedPass {
    pub pass: BoostPass,
    offsets: Vec<usize>,
    cells: usize,
    request_of: Vec<Option<usize>>,
}

fn not_a_pass(why: &str) -> AimassError {
    AimassError::new(ErrorKind::InvalidParameter, format!("not a boosting pass: {why}"))
}

impl BoostPass {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        postcard::to_allocvec(self)
            .map_err(|e| AimassError::internal(format!("cannot encode a boosting pass: {e}")))
    }

    /// Reads a pass and checks everything a shard relies on: a numeric recipe as wide as the
    /// bins, bins a byte can number, trees whose walks end, requests for distinct leaves.
    pub fn prepare(bytes: &[u8]) -> Result<PreparedPass> {
        let pass: BoostPass = postcard::from_bytes(bytes).map_err(|e| not_a_pass(&e.to_string()))?;
        pass.recipe.validate()?;
        if pass.recipe.steps.iter().any(|s| !matches!(s, FeatureStep::Numeric(_)))
            || pass.recipe.width() != pass.upper.len()
        {
            return Err(not_a_pass("its recipe does not fit its bins"));
        }
        for u in &pass.upper {
            let missing = u.first() == Some(&f64::NEG_INFINITY);
            if u.len() > 256 || u.len() <= missing as usize {
                return Err(not_a_pass("an input's bins do not fit a byte"));
            }
        }
        if !pass.init.is_finite()
            || !pass.trees.iter().chain([&pass.current]).all(|t| t.is_consistent(&pass.upper))
        {
            return Err(not_a_pass("a tree is inconsistent"));
        }
        let mut request_of = vec![None; pass.current.0.len()];
        for (k, r) in pass.requests.iter().enumerate() {
            let at = request_of
                .get_mut(r.node as usize)
                .ok_or_else(|| not_a_pass("a request is outside the tree"))?;
            let leaf = matches!(pass.current.0[r.node as usize], BinNode::Leaf { .. });
            let side_ok = r
                .side
                .is_none_or(|(j, b, _)| pass.upper.get(j as usize).is_some_and(|u| (b as usize) < u.len()));
            if at.is_some() || !leaf || !side_ok {
                return Err(not_a_pass("a request is not for one leaf"));
            }
            *at = Some(k);
        }
        let mut offsets = Vec::with_capacity(pass.upper.len());
        let mut cells = 0;
        for u in &pass.upper {
            offsets.push(cells);
            cells += u.len();
        }
        Ok(PreparedPass { pass, offsets, cells, request_of })
    }
}

/// The histograms a pass asked for: per request, every input's cells side by side, and the
/// request's sums.
#[derive(Debug, Clone, PartialEq)]
pub struct PassHistograms {
    cells: usize,
    sums: Vec<Cell>,
    totals: Vec<Cell>,
}

/// [`PassHistograms`] on the wire: only the cells that received a row.
#[derive(Serialize, Deserialize)]
struct SparseHistograms {
    cells: u64,
    totals: Vec<(f64, f64, u32)>,
    nonzero: Vec<(u64, f64, f64, u32)>,
}

impl PassHistograms {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let sparse = SparseHistograms {
            cells: self.cells as u64,
            totals: self.totals.iter().map(|c| (c.g, c.h, c.n)).collect(),
            nonzero: self
                .sums
                .iter()
                .enumerate()
                .filter(|(_, c)| c.n > 0)
                .map(|(i, c)| (i as u64, c.g, c.h, c.n))
                .collect(),
        };
        postcard::to_allocvec(&sparse)
            .map_err(|e| AimassError::internal(format!("cannot encode histograms: {e}")))
    }

    /// Reads a shard's histograms for `pass`: as many requests and cells as it asked for.
    pub fn from_bytes(bytes: &[u8], pass: &BoostPass) -> Result<PassHistograms> {
        let bad =
            |why: &str| AimassError::new(ErrorKind::DataCorrupted, format!("a shard's histograms {why}"));
        let sparse: SparseHistograms = postcard::from_bytes(bytes).map_err(|e| bad(&e.to_string()))?;
        let mut out = empty(pass)?;
        if sparse.cells as usize != out.cells || sparse.totals.len() != out.totals.len() {
            return Err(bad("do not answer the pass"));
        }
        for (t, (g, h, n)) in out.totals.iter_mut().zip(sparse.totals) {
            *t = Cell { g, h, n };
        }
        for (i, g, h, n) in sparse.nonzero {
            let c = out.sums.get_mut(i as usize).ok_or_else(|| bad("are outside the pass"))?;
            *c = Cell { g, h, n };
        }
        Ok(out)
    }

    /// Adds another shard's histograms of the same pass.
    pub fn merge(&mut self, other: &PassHistograms) -> Result<()> {
        if self.cells != other.cells || self.sums.len() != other.sums.len() {
            return Err(AimassError::internal("histograms of different passes"));
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums).chain(self.totals.iter_mut().zip(&other.totals)) {
            *a = a.plus(*b);
        }
        Ok(())
    }

    /// Request `k`'s histograms, input by input.
    fn of_request(&self, k: usize, upper: &[Vec<f64>]) -> Vec<Vec<Cell>> {
        let mut at = k * self.cells;
        upper
            .iter()
            .map(|u| {
                let h = self.sums[at..at + u.len()].to_vec();
                at += u.len();
                h
            })
            .collect()
    }
}

/// Zero histograms for every request of `pass`, their size checked against the memory limit.
fn empty(pass: &BoostPass) -> Result<PassHistograms> {
    let cells: usize = pass.upper.iter().map(Vec::len).sum();
    let n = pass.requests.len().saturating_mul(cells);
    let sums = memory::vec_filled(
        n,
        Cell::default(),
        &format!("the histograms of {} leaves", pass.requests.len()),
        "Lower num_leaves or max_bins, or use fewer features.",
    )?;
    Ok(PassHistograms { cells, sums, totals: vec![Cell::default(); pass.requests.len()] })
}

impl PreparedPass {
    /// Zero histograms for this pass's requests.
    pub fn histograms(&self) -> Result<PassHistograms> {
        empty(&self.pass)
    }

    /// The bytes the histograms of this pass take while a shard fills them.
    pub fn histogram_bytes(&self) -> u128 {
        memory::bytes_of(self.pass.requests.len() as u128 * self.cells as u128, std::mem::size_of::<Cell>())
    }

    /// Adds one raw row (the features in recipe order, NULL as `None`) with label `y` (0 or 1):
    /// its bins, its score by the finished trees, its gradient and hessian of the log loss there,
    /// into the histograms of the request its leaf of the growing tree answers, if its side.
    /// `bins` is scratch space.
    pub fn add_row(
        &self,
        out: &mut PassHistograms,
        raw: &[Option<f64>],
        y: f64,
        bins: &mut Vec<u8>,
    ) -> Result<()> {
        let p = &self.pass;
        if raw.len() != p.recipe.steps.len() {
            return Err(AimassError::invalid_parameter(format!(
                "a row of {} values for {} features",
                raw.len(),
                p.recipe.steps.len()
            )));
        }
        bins.clear();
        for ((step, value), upper) in p.recipe.steps.iter().zip(raw).zip(&p.upper) {
            let FeatureStep::Numeric(n) = step else { unreachable!("checked by prepare") };
            let x = n.encode(value.map_or(RawValue::Null, RawValue::Number))?;
            bins.push(bin_of(upper, upper[0] == f64::NEG_INFINITY, x));
        }
        let Some(k) = self.request_of[p.current.leaf_of(bins)] else { return Ok(()) };
        if let Some((j, b, left)) = p.requests[k].side {
            if (bins[j as usize] <= b) != left {
                return Ok(());
            }
        }
        let mut score = p.init;
        for t in &p.trees {
            score += t.value(bins);
        }
        let prob = crate::algorithms::linear_model::sigmoid(score);
        let gh = super::Gradient { g: prob - y, h: (prob * (1.0 - prob)).max(1e-16) };
        let cells = &mut out.sums[k * self.cells..(k + 1) * self.cells];
        for (&at, &b) in self.offsets.iter().zip(bins.iter()) {
            cells[at + b as usize].add(gh);
        }
        out.totals[k].add(gh);
        Ok(())
    }
}

/// The most entries a [`ValueSummary`] keeps of one input: above that many distinct values, the
/// values at equal-count ranks stand for the values below them (each bin edge then lies within
/// 1/`SUMMARY_ENTRIES` of the rows of where the exact one would; below it, the edges are exact).
pub const SUMMARY_ENTRIES: usize = 4096;

/// Some rows' encoded values, input by input, as sorted distinct values with how many rows have
/// each (missing values left out): what a worker sends for the bins to be placed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ValueSummary {
    pub inputs: Vec<Vec<(f64, u64)>>,
}

impl ValueSummary {
    /// The summary of each input's values (NaN: missing), at most `limit` entries an input: a
    /// run of values folded into one entry is counted at its largest value.
    pub fn of(columns: Vec<Vec<f64>>, limit: usize) -> Result<ValueSummary> {
        let mut inputs = Vec::with_capacity(columns.len());
        for mut col in columns {
            interrupt::check()?;
            col.retain(|v| !v.is_nan());
            col.sort_unstable_by(f64::total_cmp);
            let counts = super::binned::value_counts(&col);
            inputs.push(fold(counts, limit.max(1)));
        }
        Ok(ValueSummary { inputs })
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        postcard::to_allocvec(self)
            .map_err(|e| AimassError::internal(format!("cannot encode a value summary: {e}")))
    }

    /// Reads a summary of `width` inputs, each sorted.
    pub fn from_bytes(bytes: &[u8], width: usize) -> Result<ValueSummary> {
        let bad =
            |why: &str| AimassError::new(ErrorKind::DataCorrupted, format!("a worker's value summary {why}"));
        let s: ValueSummary = postcard::from_bytes(bytes).map_err(|e| bad(&e.to_string()))?;
        if s.inputs.len() != width {
            return Err(bad("has another width"));
        }
        if !s
            .inputs
            .iter()
            .all(|c| c.iter().all(|v| v.0.is_finite()) && c.windows(2).all(|w| w[0].0 < w[1].0))
        {
            return Err(bad("is not sorted"));
        }
        Ok(s)
    }

    /// Adds another summary: the counts of equal values added, each input sorted.
    pub fn merge(&mut self, other: &ValueSummary) -> Result<()> {
        if self.inputs.len() != other.inputs.len() {
            return Err(AimassError::internal("value summaries of different widths"));
        }
        for (a, b) in self.inputs.iter_mut().zip(&other.inputs) {
            let mut merged = Vec::with_capacity(a.len() + b.len());
            let (mut i, mut j) = (0, 0);
            while i < a.len() || j < b.len() {
                let next = match (a.get(i), b.get(j)) {
                    (Some(x), Some(y)) if x.0 == y.0 => {
                        i += 1;
                        j += 1;
                        (x.0, x.1 + y.1)
                    }
                    (Some(x), Some(y)) if x.0 < y.0 => {
                        i += 1;
                        *x
                    }
                    (Some(x), None) => {
                        i += 1;
                        *x
                    }
                    (_, Some(y)) => {
                        j += 1;
                        *y
                    }
                    (None, None) => unreachable!("the loop's condition"),
                };
                merged.push(next);
            }
            *a = merged;
        }
        Ok(())
    }

    /// Each input's bin edges, as [`super::Binned`] places them from these values;
    /// `has_missing` tells which inputs have missing values.
    pub fn edges(&self, has_missing: &[bool], max_bins: usize) -> Vec<Vec<f64>> {
        self.inputs
            .iter()
            .zip(has_missing)
            .map(|(counts, &missing)| upper_bounds_counted(counts, max_bins.clamp(1, 255), missing))
            .collect()
    }
}

/// What a worker summarizes its rows' values by: the recipe that encodes them (numeric steps).
pub struct SummarySpec {
    pub recipe: Recipe,
}

impl SummarySpec {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        postcard::to_allocvec(&self.recipe)
            .map_err(|e| AimassError::internal(format!("cannot encode a recipe: {e}")))
    }

    /// Reads a spec and checks that its recipe is numeric.
    pub fn from_bytes(bytes: &[u8]) -> Result<SummarySpec> {
        let not_one = |why: &str| {
            AimassError::new(ErrorKind::InvalidParameter, format!("not a value summary spec: {why}"))
        };
        let recipe: Recipe = postcard::from_bytes(bytes).map_err(|e| not_one(&e.to_string()))?;
        recipe.validate()?;
        if recipe.steps.is_empty() || recipe.steps.iter().any(|s| !matches!(s, FeatureStep::Numeric(_))) {
            return Err(not_one("its recipe is not numeric"));
        }
        Ok(SummarySpec { recipe })
    }

    /// Appends one raw row's encoded values (NaN: missing) to `columns`, input by input.
    pub fn add_row(&self, columns: &mut [Vec<f64>], raw: &[Option<f64>]) -> Result<()> {
        if raw.len() != self.recipe.steps.len() || columns.len() != raw.len() {
            return Err(AimassError::invalid_parameter(format!(
                "a row of {} values for {} features",
                raw.len(),
                self.recipe.steps.len()
            )));
        }
        for ((col, step), value) in columns.iter_mut().zip(&self.recipe.steps).zip(raw) {
            let FeatureStep::Numeric(n) = step else { unreachable!("checked by from_bytes") };
            col.push(n.encode(value.map_or(RawValue::Null, RawValue::Number))?);
        }
        Ok(())
    }
}

/// At most `limit` entries: runs of values at equal-count ranks folded into their largest.
fn fold(counts: Vec<(f64, u64)>, limit: usize) -> Vec<(f64, u64)> {
    if counts.len() <= limit {
        return counts;
    }
    let n: u64 = counts.iter().map(|c| c.1).sum();
    let mut out = Vec::with_capacity(limit);
    let (mut seen, mut run) = (0u64, 0u64);
    for (v, c) in counts {
        seen += c;
        run += c;
        // The run closes once it reaches the next equal-count rank.
        if seen * limit as u64 >= (out.len() as u64 + 1) * n {
            out.push((v, run));
            run = 0;
        }
    }
    out
}

/// The rows of a tree growing on the coordinator: each histogram comes from a pass.
struct RemoteRows<'a, F> {
    pass: &'a mut BoostPass,
    run: &'a mut F,
    /// Leaves whose children the next pass asks for.
    pending: Vec<Request>,
    /// Children's histograms already received, by the leaf that splits into them.
    ready: Vec<(u32, Vec<Vec<Cell>>)>,
    passes: u64,
}

impl<F: FnMut(&BoostPass) -> Result<PassHistograms>> RemoteRows<'_, F> {
    fn run(&mut self, requests: Vec<Request>) -> Result<PassHistograms> {
        self.pass.requests = requests;
        let out = (self.run)(self.pass)?;
        self.passes += 1;
        if out.totals.len() != self.pass.requests.len() {
            return Err(AimassError::internal("a pass answered other requests"));
        }
        Ok(out)
    }
}

impl<F: FnMut(&BoostPass) -> Result<PassHistograms>> TreeRows for RemoteRows<'_, F> {
    type Part = ();

    fn root(&mut self) -> Result<((), Cell, Vec<Vec<Cell>>)> {
        self.pass.current = BinTree(vec![BinNode::Leaf { value: 0.0 }]);
        self.pending.clear();
        self.ready.clear();
        let out = self.run(vec![Request { node: 0, side: None }])?;
        Ok(((), out.totals[0], out.of_request(0, &self.pass.upper)))
    }

    fn find_split(&mut self, params: &TreeParams, leaf: &Leaf<()>, _: &mut SplitMix64) -> Option<Split> {
        params.best_of_every_input(leaf)
    }

    fn candidate(&mut self, leaf: &Leaf<()>) {
        if let Some(b) = &leaf.best {
            let left_small = b.left_sums.n <= leaf.n - b.left_sums.n;
            self.pending.push(Request {
                node: leaf.node as u32,
                side: Some((b.input as u32, b.bin as u8, left_small)),
            });
        }
    }

    fn children(
        &mut self,
        node: usize,
        _: (),
        j: usize,
        bin: usize,
        _left_small: bool,
        _small_sums: Cell,
        (left, right): (usize, usize),
    ) -> Result<((), (), Vec<Vec<Cell>>)> {
        if !self.ready.iter().any(|(n, _)| *n as usize == node) {
            interrupt::check()?;
            let requests = std::mem::take(&mut self.pending);
            let out = self.run(requests)?;
            for (k, r) in self.pass.requests.iter().enumerate() {
                self.ready.push((r.node, out.of_request(k, &self.pass.upper)));
            }
        }
        let at = self
            .ready
            .iter()
            .position(|(n, _)| *n as usize == node)
            .ok_or_else(|| AimassError::internal("a split leaf's children were not asked for"))?;
        let (_, hist) = self.ready.swap_remove(at);
        let nodes = &mut self.pass.current.0;
        if nodes.len() != left || right != left + 1 {
            return Err(AimassError::internal("the growing tree's nodes are out of step"));
        }
        nodes[node] =
            BinNode::Split { input: j as u32, bin: bin as u8, left: left as u32, right: right as u32 };
        nodes.extend([BinNode::Leaf { value: 0.0 }, BinNode::Leaf { value: 0.0 }]);
        Ok(((), (), hist))
    }
}

/// Boosts `n_estimators` trees of the log loss, each grown from passes `run` makes over the
/// shards (it sends the pass, merges the shards' histograms and returns them); `pass` holds the
/// recipe, bins and starting score, and ends with the trees by bins. Returns the trees and the
/// number of passes.
pub fn boost<F: FnMut(&BoostPass) -> Result<PassHistograms>>(
    params: &TreeParams,
    n_estimators: usize,
    pass: &mut BoostPass,
    mut run: F,
    on_round: &dyn Fn(&Progress<'_>) -> Result<()>,
) -> Result<(Vec<Tree>, u64)> {
    // As the single-node fit: a generator for the inputs drawn per split, which boosting does
    // not draw.
    let mut rng = SplitMix64::new(0);
    let mut trees = Vec::with_capacity(n_estimators);
    let mut passes = 0;
    pass.trees.clear();
    for round in 0..n_estimators {
        let mut rows =
            RemoteRows { pass: &mut *pass, run: &mut run, pending: Vec::new(), ready: Vec::new(), passes: 0 };
        let upper = rows.pass.upper.clone();
        let tree = grow_tree(params, &upper, &mut rows, &mut rng)?;
        passes += rows.passes;
        interrupt::check()?;
        let by_bins = tree
            .nodes
            .iter()
            .zip(&pass.current.0)
            .map(|(n, b)| match n {
                Node::Leaf { value } => BinNode::Leaf { value: *value },
                Node::Split { .. } => b.clone(),
            })
            .collect();
        pass.trees.push(BinTree(by_bins));
        pass.current = BinTree::default();
        pass.requests.clear();
        trees.push(tree);
        on_round(&Progress {
            stage: super::super::gradient_boosting::NAME,
            round: round + 1,
            total: n_estimators,
            metric: "training log loss",
            score: None,
            best: None,
        })?;
    }
    Ok((trees, passes))
}

#[cfg(test)]
mod tests {
    use super::super::binned::upper_bounds;
    use super::*;
    use crate::algorithms::gradient_boosting::GradientBoosting;
    use crate::algorithms::tree::TreeEnsemble;
    use crate::algorithms::{Algorithm, FitContext, FittedModel};
    use crate::preprocess::NumericStep;
    use crate::task::Task;
    use ndarray::{Array1, Array2};

    fn identity(j: usize) -> FeatureStep {
        let mut s = NumericStep::kept_missing(&format!("x{j}"), false, 0.0, 1.0);
        s.scaling = "none".into();
        FeatureStep::Numeric(s)
    }

    /// A binary problem with an interaction and missing values.
    fn data(n: usize) -> (Array2<f64>, Array1<f64>) {
        let mut rng = SplitMix64::new(5);
        let x = Array2::from_shape_fn((n, 4), |(_, j)| {
            let v = rng.below(10_000) as f64 / 100.0;
            if j == 3 && rng.below(10) == 0 {
                f64::NAN
            } else {
                v
            }
        });
        let y = Array1::from_shape_fn(n, |i| {
            let z = (x[[i, 0]] - 50.0) / 10.0 + if x[[i, 1]] > 50.0 && x[[i, 2]] < 30.0 { 2.0 } else { 0.0 };
            let u = ((i as u64).wrapping_mul(2654435761) % 1000) as f64 / 1000.0;
            (u < 1.0 / (1.0 + (-z).exp())) as u8 as f64
        });
        (x, y)
    }

    fn remote_fit(
        gb: &GradientBoosting,
        x: &Array2<f64>,
        y: &Array1<f64>,
        shards: usize,
    ) -> (Vec<Tree>, u64) {
        let (n, p) = x.dim();
        let recipe = Recipe { steps: (0..p).map(identity).collect() };
        let missing: Vec<bool> = (0..p).map(|j| x.column(j).iter().any(|v| v.is_nan())).collect();
        // Each shard's summary of its values, merged.
        let mut summary = ValueSummary { inputs: vec![Vec::new(); p] };
        for s in 0..shards {
            let cols =
                (0..p).map(|j| (0..n).filter(|i| i % shards == s).map(|i| x[[i, j]]).collect()).collect();
            let part = ValueSummary::of(cols, SUMMARY_ENTRIES).unwrap();
            summary.merge(&ValueSummary::from_bytes(&part.to_bytes().unwrap(), p).unwrap()).unwrap();
        }
        let mean = y.sum() / n as f64;
        let mut pass = BoostPass {
            recipe,
            upper: summary.edges(&missing, gb.max_bins),
            init: (mean / (1.0 - mean)).ln(),
            trees: Vec::new(),
            current: BinTree::default(),
            requests: Vec::new(),
        };
        let params = gb.tree_params(Vec::new(), 1);
        boost(
            &params,
            gb.n_estimators,
            &mut pass,
            |pass| {
                // Every shard reads the pass from its bytes, as the workers do.
                let prepared = BoostPass::prepare(&pass.to_bytes()?)?;
                let mut total: Option<PassHistograms> = None;
                for s in 0..shards {
                    let mut h = prepared.histograms()?;
                    let mut bins = Vec::new();
                    for i in (0..n).filter(|i| i % shards == s) {
                        let raw: Vec<Option<f64>> =
                            x.row(i).iter().map(|v| (!v.is_nan()).then_some(*v)).collect();
                        prepared.add_row(&mut h, &raw, y[i], &mut bins)?;
                    }
                    let h = PassHistograms::from_bytes(&h.to_bytes()?, &prepared.pass)?;
                    match total.as_mut() {
                        Some(t) => t.merge(&h)?,
                        None => total = Some(h),
                    }
                }
                total.ok_or_else(|| AimassError::internal("no shard"))
            },
            &|_| Ok(()),
        )
        .unwrap()
    }

    fn local_fit(gb: &GradientBoosting, x: &Array2<f64>, y: &Array1<f64>) -> TreeEnsemble {
        let recipe = Recipe { steps: (0..x.ncols()).map(identity).collect() };
        let FittedModel::Trees(m) = gb.fit(x, y, &FitContext::new(&recipe)).unwrap() else { panic!() };
        m
    }

    #[test]
    fn one_shard_grows_the_single_node_trees_exactly() {
        // Fewer rows than the bin sample: the single-node fit bins every value, as the sample here.
        let (x, y) = data(3000);
        let gb = GradientBoosting::from_json(
            &serde_json::json!({"n_estimators": 8, "num_leaves": 12, "min_data_in_leaf": 15}),
            Task::Binary,
        )
        .unwrap();
        let local = local_fit(&gb, &x, &y);
        let (trees, passes) = remote_fit(&gb, &x, &y, 1);
        assert_eq!(trees, local.trees);
        assert!(trees.iter().all(|t| t.nodes.len() == 23), "12 leaves per tree");
        // About one pass per level, far fewer than one per split (11 per tree).
        assert!(passes < 8 * 11, "{passes} passes");
    }

    #[test]
    fn shards_add_up_to_the_same_trees() {
        let (x, y) = data(3000);
        let gb = GradientBoosting::from_json(
            &serde_json::json!({"n_estimators": 5, "num_leaves": 8}),
            Task::Binary,
        )
        .unwrap();
        let local = local_fit(&gb, &x, &y);
        let (trees, _) = remote_fit(&gb, &x, &y, 3);
        for (a, b) in trees.iter().zip(&local.trees) {
            assert_eq!(a.cover, b.cover);
            for (na, nb) in a.nodes.iter().zip(&b.nodes) {
                match (na, nb) {
                    (
                        Node::Split { feature: fa, threshold: ta, .. },
                        Node::Split { feature: fb, threshold: tb, .. },
                    ) => {
                        assert_eq!((fa, ta), (fb, tb))
                    }
                    (Node::Leaf { value: va }, Node::Leaf { value: vb }) => assert!((va - vb).abs() < 1e-12),
                    _ => panic!("{na:?} against {nb:?}"),
                }
            }
        }
    }

    #[test]
    fn merged_summaries_place_the_edges_of_all_the_values() {
        let (x, _) = data(5000);
        let col: Vec<f64> = x.column(3).to_vec();
        let mut sorted: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let exact = upper_bounds(&sorted, 63, true);
        let mut merged = ValueSummary { inputs: vec![Vec::new()] };
        for part in col.chunks(1700) {
            merged.merge(&ValueSummary::of(vec![part.to_vec()], SUMMARY_ENTRIES).unwrap()).unwrap();
        }
        assert_eq!(merged.edges(&[true], 63)[0], exact);
        // Folded to 100 entries a shard, each edge stays within about 1/100 of the rows of its
        // exact rank.
        let mut folded = ValueSummary { inputs: vec![Vec::new()] };
        for part in col.chunks(1700) {
            folded.merge(&ValueSummary::of(vec![part.to_vec()], 100).unwrap()).unwrap();
        }
        let approx = folded.edges(&[true], 63)[0].clone();
        assert_eq!(approx.len(), exact.len());
        let rank = |v: f64| sorted.partition_point(|&s| s <= v) as f64 / sorted.len() as f64;
        for (a, e) in approx.iter().zip(&exact).skip(1) {
            assert!((rank(*a) - rank(*e)).abs() <= 3.0 / 100.0, "{a} against {e}");
        }
        assert!(ValueSummary::from_bytes(&folded.to_bytes().unwrap(), 2).is_err());
    }

    #[test]
    fn a_pass_that_does_not_fit_is_refused() {
        let (x, _) = data(10);
        let cols = (0..4).map(|j| x.column(j).to_vec()).collect();
        let good = BoostPass {
            recipe: Recipe { steps: (0..4).map(identity).collect() },
            upper: ValueSummary::of(cols, SUMMARY_ENTRIES).unwrap().edges(&[false; 4], 255),
            init: 0.0,
            trees: vec![],
            current: BinTree(vec![BinNode::Leaf { value: 0.0 }]),
            requests: vec![Request { node: 0, side: None }],
        };
        assert!(BoostPass::prepare(&good.to_bytes().unwrap()).is_ok());
        let mut loops = good.clone();
        loops.current = BinTree(vec![BinNode::Split { input: 0, bin: 0, left: 0, right: 0 }]);
        let mut outside = good.clone();
        outside.requests[0].node = 3;
        let mut twice = good.clone();
        twice.requests.push(twice.requests[0]);
        let mut narrow = good.clone();
        narrow.upper.pop();
        for bad in [loops, outside, twice, narrow] {
            assert!(BoostPass::prepare(&bad.to_bytes().unwrap()).is_err(), "{bad:?}");
        }
        assert!(BoostPass::prepare(b"\xff\xff").is_err());
    }
}
