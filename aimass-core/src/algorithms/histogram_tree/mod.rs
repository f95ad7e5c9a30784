//! The histogram tree learner behind `gradient_boosting` and `random_forest`.
//!
//! Inputs are bucketed once into at most 255 bins (edges at distinct quantiles of the training
//! values; a missing value takes bin 0 of its own, below every value, so it goes left at every
//! split). A tree grows leaf-wise, best gain first, on per-row gradients `g` and hessians `h`:
//! a split's gain is `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)`, a leaf's value
//! `−shrinkage · G/(H+λ)`. With `g = −y, h = 1` (forests) that is the variance (Gini) decrease
//! and the leaf's mean — a CART tree.
//!
//! Two ways to look for a split:
//! - every input (boosting): each leaf keeps the histograms of all inputs; a child's are built
//!   from the smaller child's rows and the larger child's are the parent's minus them;
//! - `features_per_split` inputs drawn at random per split (forests, as scikit-learn: inputs
//!   constant in the leaf do not count towards the draw), histograms built for those only.
//!
//! Boosting builds a node's histograms in one row-wise pass over a row-major copy of the bins
//! (each row's bins in one cache line), asking for the data of rows a few ahead (a node's rows
//! are scattered); a large node's rows are cut into parts, by its size alone, that threads share,
//! so the model does not depend on the thread count. Forests build each drawn input's histogram
//! from its column. A child's sums come from its parent's histogram of the split input.
//!
//! The inputs of a one-hot group (a text feature) share one histogram: the group's histogram
//! gives each input's 0/1 histogram, so a text feature costs one histogram, not one per category.
//!
//! Monotone constraints (LightGBM's basic method): a split on an input constrained to rise
//! (`+1`) or fall (`−1`) is taken only if the left and right outputs keep that order; the
//! children's outputs are then bounded on either side of their midpoint, and those bounds pass
//! down to every later split below, so every leaf left of the split stays below every leaf to its
//! right. The ensemble, a sum or mean of such trees, is monotone in that input.

use super::tree::{Node, Tree};
use crate::error::Result;
use crate::interrupt;
use crate::split::SplitMix64;

mod binned;
pub mod remote;
pub use binned::Binned;
use binned::{OneHotGroup, PackedColumn};

/// How trees grow.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeParams {
    pub num_leaves: usize,
    /// 0 for no limit.
    pub max_depth: usize,
    pub min_data_in_leaf: usize,
    pub min_sum_hessian: f64,
    pub lambda_l2: f64,
    /// Leaf values are multiplied by it (the learning rate of boosting).
    pub shrinkage: f64,
    /// Inputs drawn per split; `None` looks at every input.
    pub features_per_split: Option<usize>,
    /// Per input: +1 rising, −1 falling, 0 free (empty: all free).
    pub monotone: Vec<i8>,
    /// Threads that build histograms (boosting; forests grow whole trees in parallel instead).
    pub threads: usize,
}

/// Rows × packed columns of a histogram part (below this, one part on one thread: spawning
/// and adding parts would cost more).
const PARALLEL_WORK: usize = 100_000;
/// At most this many parts per histogram pass, so that up to that many threads share it.
const HISTOGRAM_PARTS: usize = 8;
/// How many rows ahead a histogram pass asks for a row's data.
const PREFETCH_AHEAD: usize = 16;

/// Asks the CPU to bring `x`'s cache line closer (a hint: no effect on results).
#[inline(always)]
fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault; `x` is a valid reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((x as *const T).cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Rows per thread below which a partition does not take another thread.
const PARTITION_ROWS: usize = 8192;

/// A row's gradient and hessian, side by side so that one read fetches both.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Gradient {
    pub g: f64,
    pub h: f64,
}

#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct Cell {
    g: f64,
    h: f64,
    n: u32,
}

struct Split {
    gain: f64,
    input: usize,
    /// Rows whose bin is at most this go left.
    bin: usize,
    /// The unshrunk outputs of the two children (for monotone bounds).
    left: f64,
    right: f64,
    /// The left child's sums (the right child's are the leaf's minus them).
    left_sums: Cell,
}

/// A leaf of a growing tree. `part` is what the rows' side keeps of the leaf's rows: their
/// numbers where the rows are here ([`Grower`]), nothing where they are on other nodes
/// ([`remote`]).
struct Leaf<P> {
    part: P,
    /// Histograms of every input (empty when inputs are drawn per split).
    hist: Vec<Vec<Cell>>,
    g: f64,
    h: f64,
    n: u32,
    depth: usize,
    node: usize,
    /// Bounds on this leaf's unshrunk output from monotone splits above it.
    lo: f64,
    hi: f64,
    best: Option<Split>,
}

impl TreeParams {
    fn output(&self, g: f64, h: f64, lo: f64, hi: f64) -> f64 {
        (-g / (h + self.lambda_l2)).clamp(lo, hi)
    }

    /// The loss reduction of a leaf with sums (g, h) at its best output within [lo, hi]:
    /// `G²/(H+λ)` when the bounds do not bind.
    fn score(&self, g: f64, h: f64, lo: f64, hi: f64) -> f64 {
        let hl = h + self.lambda_l2;
        let w = -g / hl;
        if w >= lo && w <= hi {
            g * g / hl
        } else {
            let w = w.clamp(lo, hi);
            -(2.0 * g * w + hl * w * w)
        }
    }

    /// The best split of input `j` given its histogram in `leaf`.
    fn best_in<P>(&self, leaf: &Leaf<P>, j: usize, hist: &[Cell], best: &mut Option<Split>) {
        let n = leaf.n;
        let constraint = self.monotone.get(j).copied().unwrap_or(0);
        let parent = self.score(leaf.g, leaf.h, leaf.lo, leaf.hi);
        let (mut gl, mut hl, mut nl) = (0.0, 0.0, 0u32);
        for (b, c) in hist.iter().enumerate().take(hist.len().saturating_sub(1)) {
            gl += c.g;
            hl += c.h;
            nl += c.n;
            if (nl as usize) < self.min_data_in_leaf || hl < self.min_sum_hessian {
                continue;
            }
            if ((n - nl) as usize) < self.min_data_in_leaf {
                break;
            }
            let (gr, hr) = (leaf.g - gl, leaf.h - hl);
            if hr < self.min_sum_hessian {
                continue;
            }
            let (wl, wr) = (self.output(gl, hl, leaf.lo, leaf.hi), self.output(gr, hr, leaf.lo, leaf.hi));
            if (constraint > 0 && wl > wr) || (constraint < 0 && wl < wr) {
                continue;
            }
            let gain = self.score(gl, hl, leaf.lo, leaf.hi) + self.score(gr, hr, leaf.lo, leaf.hi) - parent;
            if gain > 1e-12 && best.as_ref().is_none_or(|bb| gain > bb.gain) {
                let left_sums = Cell { g: gl, h: hl, n: nl };
                *best = Some(Split { gain, input: j, bin: b, left: wl, right: wr, left_sums });
            }
        }
    }

    /// Whether a leaf may split at all: below the depth limit, with rows for two children.
    fn may_split<P>(&self, leaf: &Leaf<P>) -> bool {
        !(self.max_depth > 0 && leaf.depth >= self.max_depth) && leaf.n as usize >= 2 * self.min_data_in_leaf
    }

    /// The best split of a leaf over the histograms of every input it keeps.
    fn best_of_every_input<P>(&self, leaf: &Leaf<P>) -> Option<Split> {
        let mut best = None;
        if self.may_split(leaf) {
            for (j, hist) in leaf.hist.iter().enumerate() {
                self.best_in(leaf, j, hist, &mut best);
            }
        }
        best
    }
}

/// What growing a tree asks of its rows, wherever they are: the root's sums and histograms, a
/// leaf's best split, and a split leaf's children with the smaller child's histograms. The tree
/// grows the same way from the same histograms whether the rows are here ([`Grower`]) or on
/// other nodes ([`remote`]).
/// A leaf's histograms, input by input.
type Histograms = Vec<Vec<Cell>>;

trait TreeRows {
    type Part: Default;
    /// The root's part, sums and histograms (empty when inputs are drawn per split).
    fn root(&mut self) -> Result<(Self::Part, Cell, Histograms)>;
    /// The best split of `leaf`, or `None`: it stays a leaf.
    fn find_split(
        &mut self,
        params: &TreeParams,
        leaf: &Leaf<Self::Part>,
        rng: &mut SplitMix64,
    ) -> Option<Split>;
    /// `leaf` has a best split and may be the next to split.
    fn candidate(&mut self, _leaf: &Leaf<Self::Part>) {}
    /// The parts of the children of node `node` (whose part was `part`) split at input `j`, bin
    /// `bin`, numbered `children`, and the histograms of the smaller child (the left one when
    /// `left_small`), whose sums are `small_sums` (empty when inputs are drawn per split).
    #[allow(clippy::too_many_arguments)]
    fn children(
        &mut self,
        node: usize,
        part: Self::Part,
        j: usize,
        bin: usize,
        left_small: bool,
        small_sums: Cell,
        children: (usize, usize),
    ) -> Result<(Self::Part, Self::Part, Histograms)>;
    /// A leaf of the finished tree and its value.
    fn leaf(&mut self, _part: &Self::Part, _value: f64) {}
}

/// Grows trees on one binned data set.
pub struct Grower<'a> {
    pub params: &'a TreeParams,
    pub data: &'a Binned,
}

/// The rows of a [`Grower`]: here, by number.
struct LocalRows<'a, 'g> {
    grower: &'a Grower<'g>,
    gh: &'a [Gradient],
    rows: Vec<u32>,
    raw: Option<&'a mut [f64]>,
}

impl TreeRows for LocalRows<'_, '_> {
    type Part = Vec<u32>;

    fn root(&mut self) -> Result<(Vec<u32>, Cell, Vec<Vec<Cell>>)> {
        let rows = std::mem::take(&mut self.rows);
        let total = rows.iter().fold(Cell::default(), |mut c, &r| {
            c.add(self.gh[r as usize]);
            c
        });
        let hist = if self.grower.params.features_per_split.is_none() {
            self.grower.histograms(&rows, self.gh, total)
        } else {
            Vec::new()
        };
        Ok((rows, total, hist))
    }

    fn find_split(&mut self, _: &TreeParams, leaf: &Leaf<Vec<u32>>, rng: &mut SplitMix64) -> Option<Split> {
        self.grower.find_split(leaf, self.gh, rng)
    }

    fn children(
        &mut self,
        _node: usize,
        part: Vec<u32>,
        j: usize,
        bin: usize,
        left_small: bool,
        small_sums: Cell,
        _children: (usize, usize),
    ) -> Result<(Vec<u32>, Vec<u32>, Vec<Vec<Cell>>)> {
        let g = self.grower;
        let (left, right) = g.data.partition(&part, j, bin, g.params.threads);
        let small = if g.params.features_per_split.is_some() {
            Vec::new()
        } else {
            g.histograms(if left_small { &left } else { &right }, self.gh, small_sums)
        };
        Ok((left, right, small))
    }

    fn leaf(&mut self, part: &Vec<u32>, value: f64) {
        if let Some(raw) = self.raw.as_deref_mut() {
            for &r in part {
                raw[r as usize] += value;
            }
        }
    }
}

impl Grower<'_> {
    fn histogram(&self, j: usize, rows: &[u32], gh: &[Gradient]) -> Vec<Cell> {
        let d = self.data;
        let mut hist = vec![Cell::default(); d.upper[j].len()];
        for &r in rows {
            hist[d.bin(j, r as usize)].add(gh[r as usize]);
        }
        hist
    }
    /// Histograms of every input, from one row-wise pass over the packed bins (a one-hot
    /// group's cells give each of its inputs' 0/1 histograms; `total` is the node's sums). A
    /// large node's rows are cut into up to [`HISTOGRAM_PARTS`] equal parts, by its size alone,
    /// whose histograms are built on `threads` threads and added in part order: the result does
    /// not depend on the thread count.
    fn histograms(&self, rows: &[u32], gh: &[Gradient], total: Cell) -> Vec<Vec<Cell>> {
        let d = self.data;
        let pk = &d.packed;
        let width = pk.width;
        let build = |rows: &[u32]| -> Vec<Cell> {
            let mut hist = vec![Cell::default(); pk.cells];
            for (k, &r) in rows.iter().enumerate() {
                // A node's rows are scattered: fetch those a few rows ahead while this one adds.
                if let Some(&ahead) = rows.get(k + PREFETCH_AHEAD) {
                    prefetch(&gh[ahead as usize]);
                    // (No packed bins at all when every input is in a group too wide for a byte.)
                    if let Some(bins) = pk.bins.get(ahead as usize * width) {
                        prefetch(bins);
                    }
                }
                let r = r as usize;
                let x = gh[r];
                for (&at, &b) in pk.offsets.iter().zip(&pk.bins[r * width..(r + 1) * width]) {
                    hist[at + b as usize].add(x);
                }
            }
            hist
        };
        let parts = (rows.len() * width / PARALLEL_WORK).clamp(1, HISTOGRAM_PARTS);
        let mut partial = crate::parallel::map(
            rows.chunks(rows.len().div_ceil(parts).max(1)).collect(),
            self.params.threads,
            build,
        );
        let mut flat = if partial.is_empty() { vec![Cell::default(); pk.cells] } else { partial.remove(0) };
        for more in &partial {
            for (a, b) in flat.iter_mut().zip(more) {
                *a = a.plus(*b);
            }
        }
        let mut out: Vec<Vec<Cell>> = vec![Vec::new(); d.n_inputs()];
        let expand = |out: &mut Vec<Vec<Cell>>, group: &OneHotGroup, cells: &[Cell]| {
            for (o, j) in group.inputs.clone().enumerate() {
                let one = cells[o];
                out[j] = vec![total.minus(one), one];
            }
        };
        for &gi in &pk.wide_groups {
            let group = &d.groups[gi];
            let mut cells = vec![Cell::default(); group.inputs.len()];
            for &r in rows {
                cells[group.hot[r as usize] as usize].add(gh[r as usize]);
            }
            expand(&mut out, group, &cells);
        }
        for (col, &at) in pk.columns.iter().zip(&pk.offsets) {
            match *col {
                PackedColumn::Input(j) => out[j] = flat[at..at + d.upper[j].len()].to_vec(),
                PackedColumn::Group(gi) => {
                    let group = &d.groups[gi];
                    expand(&mut out, group, &flat[at..at + group.inputs.len()]);
                }
            }
        }
        out
    }

    fn find_split(&self, leaf: &Leaf<Vec<u32>>, gh: &[Gradient], rng: &mut SplitMix64) -> Option<Split> {
        let p = self.params;
        match p.features_per_split {
            None => p.best_of_every_input(leaf),
            Some(_) if !p.may_split(leaf) => None,
            Some(k) => {
                let mut best = None;
                // Draw inputs until k that vary in this leaf have been looked at.
                let mut order: Vec<usize> = (0..self.data.n_inputs()).collect();
                let mut varying = 0;
                for i in 0..order.len() {
                    if varying >= k {
                        break;
                    }
                    let pick = i + rng.below((order.len() - i) as u64) as usize;
                    order.swap(i, pick);
                    let j = order[i];
                    let hist = self.histogram(j, &leaf.part, gh);
                    if hist.iter().filter(|c| c.n > 0).count() > 1 {
                        varying += 1;
                        p.best_in(leaf, j, &hist, &mut best);
                    }
                }
                best
            }
        }
    }

    /// Grows one tree on `rows` (a row may repeat: a bootstrap sample) with the rows' gradients
    /// `gh`. When `raw` is given, each leaf's value is added to it for the rows that fell in the
    /// leaf. A child's sums come from its parent's histogram of the split input.
    pub fn grow(
        &self,
        rows: Vec<u32>,
        gh: &[Gradient],
        rng: &mut SplitMix64,
        raw: Option<&mut [f64]>,
    ) -> Tree {
        let mut local = LocalRows { grower: self, gh, rows, raw };
        match grow_tree(self.params, &self.data.upper, &mut local, rng) {
            Ok(tree) => tree,
            Err(e) => unreachable!("rows held here do not fail: {e}"),
        }
    }
}

/// Grows one tree leaf-wise, best gain first, on the histograms `rows` gives; `upper` holds each
/// input's bin edges (the split thresholds).
fn grow_tree<R: TreeRows>(
    p: &TreeParams,
    upper: &[Vec<f64>],
    rows: &mut R,
    rng: &mut SplitMix64,
) -> Result<Tree> {
    let (part, total, hist) = rows.root()?;
    let mut nodes = vec![Node::Leaf { value: 0.0 }];
    let mut cover = vec![total.n as f64];
    let (lo, hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut root =
        Leaf { part, hist, g: total.g, h: total.h, n: total.n, depth: 0, node: 0, lo, hi, best: None };
    root.best = rows.find_split(p, &root, rng);
    // Leaves that can split, best gain first; the others are final.
    let mut open: Vec<Leaf<R::Part>> = Vec::new();
    let mut queue = std::collections::BinaryHeap::new();
    let mut done: Vec<Leaf<R::Part>> = Vec::new();
    push(root, rows, &mut queue, &mut open, &mut done);
    let mut n_leaves = 1;
    while n_leaves < p.num_leaves {
        // A cancelled fit stops growing here; its caller returns the error (on the main
        // thread the check raises it).
        if interrupt::check().is_err() {
            break;
        }
        let Some(c) = queue.pop() else { break };
        let mut leaf = std::mem::replace(&mut open[c.slot], Leaf::empty());
        let split = leaf.best.take().expect("chosen leaf has a split");
        let j = split.input;
        let ls = split.left_sums;
        let rs = Cell { g: leaf.g, h: leaf.h, n: leaf.n }.minus(ls);
        let left_small = ls.n <= rs.n;
        let (ln, rn) = (nodes.len(), nodes.len() + 1);
        let part = std::mem::take(&mut leaf.part);
        let small_sums = if left_small { ls } else { rs };
        let (left_part, right_part, small) =
            rows.children(leaf.node, part, j, split.bin, left_small, small_sums, (ln, rn))?;
        // The smaller child's histograms; the larger one's are the parent's minus them.
        let (left_hist, right_hist) = if small.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let large: Vec<Vec<Cell>> = leaf
                .hist
                .iter()
                .zip(&small)
                .map(|(p, s)| p.iter().zip(s).map(|(p, s)| p.minus(*s)).collect())
                .collect();
            if left_small {
                (small, large)
            } else {
                (large, small)
            }
        };
        // Bounds: a monotone split keeps every leaf below it on its side of the midpoint.
        let ((llo, lhi), (rlo, rhi)) = match p.monotone.get(j).copied().unwrap_or(0) {
            0 => ((leaf.lo, leaf.hi), (leaf.lo, leaf.hi)),
            c => {
                let mid = (split.left + split.right) / 2.0;
                if c > 0 {
                    ((leaf.lo, mid.min(leaf.hi)), (mid.max(leaf.lo), leaf.hi))
                } else {
                    ((mid.max(leaf.lo), leaf.hi), (leaf.lo, mid.min(leaf.hi)))
                }
            }
        };
        nodes.push(Node::Leaf { value: 0.0 });
        nodes.push(Node::Leaf { value: 0.0 });
        cover.extend([ls.n as f64, rs.n as f64]);
        nodes[leaf.node] = Node::Split {
            feature: j as u32,
            threshold: upper[j][split.bin],
            left: ln as u32,
            right: rn as u32,
        };
        for (part, hist, s, node, lo, hi) in
            [(left_part, left_hist, ls, ln, llo, lhi), (right_part, right_hist, rs, rn, rlo, rhi)]
        {
            let depth = leaf.depth + 1;
            let mut l = Leaf { part, hist, g: s.g, h: s.h, n: s.n, depth, node, lo, hi, best: None };
            l.best = rows.find_split(p, &l, rng);
            push(l, rows, &mut queue, &mut open, &mut done);
        }
        n_leaves += 1;
    }
    // Leaves still open when the leaf budget ran out stay leaves.
    let leaves = done
        .into_iter()
        .chain(queue.into_iter().map(|c| std::mem::replace(&mut open[c.slot], Leaf::empty())));
    for l in leaves {
        let value = p.shrinkage * p.output(l.g, l.h, l.lo, l.hi);
        nodes[l.node] = Node::Leaf { value };
        rows.leaf(&l.part, value);
    }
    Ok(Tree { nodes, cover })
}

fn push<R: TreeRows>(
    l: Leaf<R::Part>,
    rows: &mut R,
    queue: &mut std::collections::BinaryHeap<Candidate>,
    open: &mut Vec<Leaf<R::Part>>,
    done: &mut Vec<Leaf<R::Part>>,
) {
    match &l.best {
        Some(b) => {
            rows.candidate(&l);
            queue.push(Candidate { gain: b.gain, node: l.node, slot: open.len() });
            open.push(l);
        }
        None => done.push(l),
    }
}

/// A leaf waiting to split, ordered by gain (ties: the earlier node first).
struct Candidate {
    gain: f64,
    node: usize,
    slot: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.gain.total_cmp(&other.gain).then(other.node.cmp(&self.node))
    }
}

impl<P: Default> Leaf<P> {
    fn empty() -> Self {
        Leaf {
            part: P::default(),
            hist: Vec::new(),
            g: 0.0,
            h: 0.0,
            n: 0,
            depth: 0,
            node: 0,
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
            best: None,
        }
    }
}

impl Cell {
    #[inline]
    fn add(&mut self, x: Gradient) {
        self.g += x.g;
        self.h += x.h;
        self.n = self.n.wrapping_add(1);
    }

    fn plus(self, o: Cell) -> Cell {
        Cell { g: self.g + o.g, h: self.h + o.h, n: self.n + o.n }
    }

    fn minus(self, o: Cell) -> Cell {
        Cell { g: self.g - o.g, h: self.h - o.h, n: self.n - o.n }
    }
}

#[cfg(test)]
mod tests {
    use super::binned::{bin_input, BIN_SAMPLE};
    use super::*;

    /// Boosting-style growth (every input looked at), no penalty, no shrinkage.
    fn params(num_leaves: usize, min_data_in_leaf: usize, threads: usize) -> TreeParams {
        TreeParams {
            num_leaves,
            max_depth: 0,
            min_data_in_leaf,
            min_sum_hessian: 0.0,
            lambda_l2: 0.0,
            shrinkage: 1.0,
            features_per_split: None,
            monotone: vec![],
            threads,
        }
    }

    #[test]
    fn one_hot_group_histograms_equal_the_inputs_own() {
        // Three categories one-hot in inputs 1..4, a numeric input 0.
        let n = 300;
        let x = ndarray::Array2::from_shape_fn((n, 4), |(i, j)| match j {
            0 => (i % 17) as f64,
            _ => ((i % 3) + 1 == j) as u8 as f64,
        });
        let all: Vec<usize> = (0..n).collect();
        let plain = Binned::new(&x, &all, 255, &[], 1).unwrap();
        let bundled = Binned::new(&x, &all, 255, std::slice::from_ref(&(1..4)), 1).unwrap();
        assert_eq!(bundled.groups.len(), 1);
        let params = params(31, 1, 1);
        let rows: Vec<u32> = (0..n as u32).filter(|r| r % 5 != 0).collect();
        let gh: Vec<Gradient> = (0..n).map(|i| Gradient { g: (i % 7) as f64 - 3.0, h: 1.0 }).collect();
        let total = rows.iter().fold(Cell::default(), |mut c, &r| {
            c.add(gh[r as usize]);
            c
        });
        let a = Grower { params: &params, data: &plain }.histograms(&rows, &gh, total);
        let b = Grower { params: &params, data: &bundled }.histograms(&rows, &gh, total);
        for j in 0..4 {
            let cells = |v: &Vec<Cell>| v.iter().map(|c| (c.g, c.h, c.n)).collect::<Vec<_>>();
            assert_eq!(cells(&a[j]), cells(&b[j]), "input {j}");
        }
    }

    #[test]
    fn a_group_too_wide_for_a_byte_alone_grows_a_tree() {
        // 300 categories one-hot and nothing else: no packed bins, the group built on its own.
        let n = 3000;
        let x = ndarray::Array2::from_shape_fn((n, 300), |(i, j)| (i % 300 == j) as u8 as f64);
        let all: Vec<usize> = (0..n).collect();
        let data = Binned::new(&x, &all, 255, std::slice::from_ref(&(0..300)), 1).unwrap();
        assert_eq!((data.packed.width, data.packed.wide_groups.len()), (0, 1));
        let params = params(4, 5, 2);
        // Category 7 stands out.
        let gh: Vec<Gradient> =
            (0..n).map(|i| Gradient { g: if i % 300 == 7 { -1.0 } else { 0.1 }, h: 1.0 }).collect();
        let tree = Grower { params: &params, data: &data }.grow(
            (0..n as u32).collect(),
            &gh,
            &mut SplitMix64::new(1),
            None,
        );
        let mut row = vec![0.0; 300];
        row[7] = 1.0;
        let hot = tree.predict(&row);
        row[7] = 0.0;
        row[8] = 1.0;
        assert!(hot > 0.5 && tree.predict(&row) < 0.0, "{hot}");
    }

    #[test]
    fn a_group_that_is_not_one_hot_is_binned_input_by_input() {
        // Inputs 1..4 are one-hot except in row 5000 (past the first block), which has no hot
        // input; rows are read in a shuffled order.
        let n = 6000;
        let x = ndarray::Array2::from_shape_fn((n, 4), |(i, j)| match j {
            0 => (i % 17) as f64,
            _ => (i != 5000 && (i % 3) + 1 == j) as u8 as f64,
        });
        let rows: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
        let plain = Binned::new(&x, &rows, 255, &[], 1).unwrap();
        let grouped = Binned::new(&x, &rows, 255, std::slice::from_ref(&(1..4)), 1).unwrap();
        assert!(grouped.groups.is_empty());
        for j in 0..4 {
            assert_eq!(plain.upper[j], grouped.upper[j]);
            let bins = |d: &Binned| (0..n).map(|r| d.bin(j, r)).collect::<Vec<_>>();
            assert_eq!(bins(&plain), bins(&grouped), "input {j}");
            if j > 0 {
                let at = |i: usize| rows.iter().position(|&r| r == i).unwrap();
                assert_eq!(grouped.bin(j, at(5000)), 0);
                assert_eq!(grouped.bin(j, at(3 + j - 1)), 1);
            }
        }
    }

    #[test]
    fn bins_placed_from_a_sample_agree_with_the_split_thresholds() {
        // More rows than the sample, a missing value every 97th row, values the sample skips.
        let n = 3 * BIN_SAMPLE + 11;
        let col: Vec<f64> = (0..n)
            .map(|i| if i % 97 == 0 { f64::NAN } else { ((i * 7919) % 1_000_003) as f64 / 7.0 })
            .collect();
        let (bins, upper) = bin_input(&col, 255);
        assert_eq!(upper[0], f64::NEG_INFINITY);
        assert!(upper.len() <= 256 && upper.windows(2).all(|w| w[0] < w[1]));
        for (&v, &b) in col.iter().zip(&bins) {
            let b = b as usize;
            if v.is_nan() {
                assert_eq!(b, 0);
                continue;
            }
            // A split at bin k sends a row left exactly when its value is at most upper[k].
            assert!(b >= 1 && upper[b - 1] < v, "{v} in bin {b}");
            assert!(v <= upper[b] || b == upper.len() - 1, "{v} in bin {b}");
        }
        // Equal-count bins within a few percent of n / 255 rows.
        let mut count = vec![0usize; upper.len()];
        bins.iter().for_each(|&b| count[b as usize] += 1);
        assert!(
            count[1..].iter().all(|&c| (c as f64 - n as f64 / 255.0).abs() < 0.05 * n as f64 / 255.0),
            "{count:?}"
        );
    }

    #[test]
    fn a_monotone_input_gives_a_monotone_tree() {
        // y falls then rises with x: a free tree follows it, a rising-constrained one does not fall.
        let n = 400;
        let x = ndarray::Array2::from_shape_fn((n, 1), |(i, _)| i as f64);
        let y: Vec<f64> = (0..n)
            .map(|i| {
                if i < 100 {
                    0.8
                } else if i < 300 {
                    0.1
                } else {
                    0.9
                }
            })
            .collect();
        let gh: Vec<Gradient> = y.iter().map(|v| Gradient { g: -v, h: 1.0 }).collect();
        let data = Binned::new(&x, &(0..n).collect::<Vec<_>>(), 255, &[], 1).unwrap();
        let mut params = params(8, 5, 1);
        let rows: Vec<u32> = (0..n as u32).collect();
        let mut rng = SplitMix64::new(1);
        let free = Grower { params: &params, data: &data }.grow(rows.clone(), &gh, &mut rng, None);
        let sweep = |t: &Tree| (0..n).map(|i| t.predict(&[i as f64])).collect::<Vec<_>>();
        assert!(sweep(&free).windows(2).any(|w| w[1] < w[0] - 0.1));
        params.monotone = vec![1];
        let up = Grower { params: &params, data: &data }.grow(rows, &gh, &mut rng, None);
        let s = sweep(&up);
        assert!(s.windows(2).all(|w| w[1] >= w[0]), "{s:?}");
        assert!(s[n - 1] - s[0] > 0.3, "the constrained tree still learns the rise");
    }
}
