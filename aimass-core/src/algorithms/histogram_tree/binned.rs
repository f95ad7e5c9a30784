//! Inputs bucketed into histogram bins: the columns once, before any tree grows.

use crate::inputs::{for_each_block, Inputs};

use crate::error::Result;
use crate::memory;

use super::{prefetch, PARTITION_ROWS, PREFETCH_AHEAD};

/// Inputs bucketed into histogram bins, column-major.
pub struct Binned {
    /// `bins[j][i]`: the bin of row i in input j (empty for an input of a one-hot group).
    pub(super) bins: Vec<Vec<u8>>,
    /// `upper[j][b]`: the largest training value in bin b of input j (the split threshold).
    pub(super) upper: Vec<Vec<f64>>,
    /// One-hot groups (exactly one input is 1 in every row).
    pub(super) groups: Vec<OneHotGroup>,
    /// For each input, its group and offset when it belongs to one.
    pub(super) member: Vec<Option<(usize, usize)>>,
    /// The same bins row by row for histogram building (see [`Packed`]).
    pub(super) packed: Packed,
}

/// The bins of every input and of every one-hot group of at most 256 inputs (the hot input's
/// offset), row-major: `bins[r * width + k]`. One histogram pass over a node's rows then reads
/// each row's bins from one cache line and updates every histogram, instead of one pass per
/// input with a scattered read per row (LightGBM's row-wise histograms).
#[derive(Default)]
pub(super) struct Packed {
    pub(super) bins: Vec<u8>,
    pub(super) width: usize,
    /// Where each packed column's cells start in the flat histogram.
    pub(super) offsets: Vec<usize>,
    /// What each packed column is.
    pub(super) columns: Vec<PackedColumn>,
    /// Cells of the flat histogram.
    pub(super) cells: usize,
    /// Groups too wide for a byte, built column by column.
    pub(super) wide_groups: Vec<usize>,
}

#[derive(Clone, Copy)]
pub(super) enum PackedColumn {
    Input(usize),
    Group(usize),
}

pub(super) struct OneHotGroup {
    pub(super) inputs: std::ops::Range<usize>,
    /// `hot[i]`: the offset of row i's hot input.
    pub(super) hot: Vec<u32>,
}

impl Binned {
    /// Bins every input of the rows `rows` of `x` (at most `max_bins` ≤ 255 value bins, and a
    /// missing bin) and bundles the given one-hot groups whose inputs are exactly 0/1 with one 1
    /// per row. One pass over the rows, in blocks: an input outside the groups is gathered into a
    /// column of its own (its bins need its sorted values), a group keeps only each row's hot
    /// input, and the whole matrix is never held.
    pub fn new(
        x: &dyn Inputs,
        rows: &[usize],
        max_bins: usize,
        one_hot_groups: &[std::ops::Range<usize>],
        threads: usize,
    ) -> Result<Self> {
        let max_bins = max_bins.clamp(1, 255);
        let p = x.ncols();
        let mut in_group = vec![false; p];
        for range in one_hot_groups {
            in_group[range.clone()].iter_mut().for_each(|m| *m = true);
        }
        let free: Vec<usize> = (0..p).filter(|&j| !in_group[j]).collect();
        memory::reserve(
            memory::bytes_of(free.len() as u128 * rows.len() as u128, 9),
            &format!("binning {} inputs of {} rows", free.len(), rows.len()),
            "Use fewer rows, features or hashing buckets.",
        )?;
        let mut cols: Vec<Vec<f64>> =
            (0..p).map(|j| if in_group[j] { Vec::new() } else { Vec::with_capacity(rows.len()) }).collect();
        // `Some(hot)` while every row so far is one-hot in the group.
        let mut hots: Vec<Option<Vec<u32>>> =
            one_hot_groups.iter().map(|_| Some(Vec::with_capacity(rows.len()))).collect();
        for_each_block(x, rows, |_, block| {
            for row in block.rows() {
                for &j in &free {
                    cols[j].push(row[j]);
                }
                for (range, state) in one_hot_groups.iter().zip(hots.iter_mut()) {
                    let vals = row.slice(ndarray::s![range.clone()]);
                    if let Some(hot) = state {
                        let one_hot = vals.iter().all(|&v| v == 0.0 || v == 1.0)
                            && vals.iter().filter(|&&v| v == 1.0).count() == 1;
                        if one_hot {
                            hot.push(vals.iter().position(|&v| v == 1.0).unwrap_or(0) as u32);
                            continue;
                        }
                        // Not a one-hot group after all: its inputs are binned one by one,
                        // their values so far rebuilt from the hot positions.
                        for (o, j) in range.clone().enumerate() {
                            cols[j] = hot.iter().map(|&h| (h as usize == o) as u8 as f64).collect();
                        }
                        *state = None;
                    }
                    for (j, &v) in range.clone().zip(vals) {
                        cols[j].push(v);
                    }
                }
            }
            Ok(())
        })?;
        let mut data = Binned {
            bins: vec![Vec::new(); p],
            upper: vec![Vec::new(); p],
            groups: Vec::new(),
            member: vec![None; p],
            packed: Packed::default(),
        };
        for (range, state) in one_hot_groups.iter().zip(hots) {
            if let Some(hot) = state {
                let g = data.groups.len();
                for (o, j) in range.clone().enumerate() {
                    data.member[j] = Some((g, o));
                    data.upper[j] = vec![0.0, 1.0];
                }
                data.groups.push(OneHotGroup { inputs: range.clone(), hot });
            }
        }
        // Each input's bins on one of `threads` threads (each input alone: the same result on any
        // number of threads), its gathered column freed as soon as it is binned.
        let todo: Vec<(usize, Vec<f64>)> =
            cols.into_iter().enumerate().filter(|(j, _)| data.member[*j].is_none()).collect();
        let binned = crate::parallel::map(todo, threads, |(j, col)| {
            let (b, u) = bin_input(&col, max_bins);
            (j, b, u)
        });
        for (j, b, u) in binned {
            (data.bins[j], data.upper[j]) = (b, u);
        }
        data.pack(rows.len())?;
        Ok(data)
    }

    /// Splits `rows` (in order) into those whose bin in input `j` is at most `bin` and the
    /// others. A large node's rows are cut into one part per thread (at least
    /// [`PARTITION_ROWS`] each), split side by side and joined in order: the same result on any
    /// number of threads.
    pub(super) fn partition(
        &self,
        rows: &[u32],
        j: usize,
        bin: usize,
        threads: usize,
    ) -> (Vec<u32>, Vec<u32>) {
        fn split_by<T>(rows: &[u32], column: &[T], goes_left: impl Fn(&T) -> bool) -> (Vec<u32>, Vec<u32>) {
            let (mut left, mut right) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
            for (k, &r) in rows.iter().enumerate() {
                if let Some(&ahead) = rows.get(k + PREFETCH_AHEAD) {
                    prefetch(&column[ahead as usize]);
                }
                if goes_left(&column[r as usize]) {
                    left.push(r);
                } else {
                    right.push(r);
                }
            }
            (left, right)
        }
        let split = |rows: &[u32]| match self.member[j] {
            Some((gi, o)) => {
                split_by(rows, &self.groups[gi].hot, |&hot| ((hot as usize == o) as usize) <= bin)
            }
            None => split_by(rows, &self.bins[j], |&b| (b as usize) <= bin),
        };
        let threads = threads.min(rows.len() / PARTITION_ROWS).max(1);
        let (mut left, mut right) = if threads == 1 {
            split(rows)
        } else {
            let parts =
                crate::parallel::map(rows.chunks(rows.len().div_ceil(threads)).collect(), threads, split);
            let (nl, nr) = parts.iter().fold((0, 0), |(a, b), (l, r)| (a + l.len(), b + r.len()));
            let (mut left, mut right) = (Vec::with_capacity(nl), Vec::with_capacity(nr));
            for (l, r) in parts {
                left.extend_from_slice(&l);
                right.extend_from_slice(&r);
            }
            (left, right)
        };
        left.shrink_to_fit();
        right.shrink_to_fit();
        (left, right)
    }

    pub(super) fn pack(&mut self, n: usize) -> Result<()> {
        let mut pk = Packed::default();
        for j in 0..self.n_inputs() {
            if self.member[j].is_none() {
                pk.columns.push(PackedColumn::Input(j));
                pk.offsets.push(pk.cells);
                pk.cells += self.upper[j].len();
            }
        }
        for (g, group) in self.groups.iter().enumerate() {
            if group.inputs.len() <= 256 {
                pk.columns.push(PackedColumn::Group(g));
                pk.offsets.push(pk.cells);
                pk.cells += group.inputs.len();
            } else {
                pk.wide_groups.push(g);
            }
        }
        pk.width = pk.columns.len();
        pk.bins = memory::vec_filled(
            n.saturating_mul(pk.width),
            0u8,
            &format!("the binned inputs ({n} rows x {} columns)", pk.width),
            "Use fewer rows, features or text categories.",
        )?;
        for (k, col) in pk.columns.iter().enumerate() {
            let at = pk.bins.iter_mut().skip(k).step_by(pk.width.max(1));
            match *col {
                PackedColumn::Input(j) => at.zip(&self.bins[j]).for_each(|(o, &b)| *o = b),
                PackedColumn::Group(g) => at.zip(&self.groups[g].hot).for_each(|(o, &h)| *o = h as u8),
            }
        }
        self.packed = pk;
        Ok(())
    }

    pub fn n_inputs(&self) -> usize {
        self.upper.len()
    }

    /// The cells of one leaf's histograms of every input.
    pub fn histogram_cells(&self) -> usize {
        self.upper.iter().map(Vec::len).sum()
    }

    /// The bin of row `r` in input `j`.
    #[inline]
    pub(super) fn bin(&self, j: usize, r: usize) -> usize {
        match self.member[j] {
            Some((g, o)) => (self.groups[g].hot[r] as usize == o) as usize,
            None => self.bins[j][r] as usize,
        }
    }
}

/// Rows whose values place the bin edges: above this, evenly spaced rows (LightGBM also bins
/// from a sample of 200,000 rows). A value between two sampled ones takes the bin of the next
/// edge up, and the split thresholds are edges, so training and scoring agree either way.
pub(super) const BIN_SAMPLE: usize = 200_000;

pub(super) fn bin_input(col: &[f64], max_bins: usize) -> (Vec<u8>, Vec<f64>) {
    let n = col.len();
    let sample = (0..n.min(BIN_SAMPLE)).map(|k| col[if n > BIN_SAMPLE { k * n / BIN_SAMPLE } else { k }]);
    let mut sorted: Vec<f64> = sample.filter(|v| !v.is_nan()).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    let has_missing = col.iter().any(|v| v.is_nan());
    let ub = upper_bounds(&sorted, max_bins, has_missing);
    let b: Vec<u8> = col.iter().map(|&v| bin_of(&ub, has_missing, v)).collect();
    (b, ub)
}

/// An input's bin edges from the sorted present values of a sample: all distinct values when
/// at most `max_bins`, else the values at equal-count ranks; below them the missing bin (upper
/// bound −∞) when the input has missing values.
pub(super) fn upper_bounds(sorted: &[f64], max_bins: usize, has_missing: bool) -> Vec<f64> {
    upper_bounds_counted(&value_counts(sorted), max_bins, has_missing)
}

/// The distinct values of a sorted list, each with how often it occurs.
pub(super) fn value_counts(sorted: &[f64]) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = Vec::new();
    for &v in sorted {
        match out.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// [`upper_bounds`] from the distinct values and their counts (the sorted list they stand for).
pub(super) fn upper_bounds_counted(counts: &[(f64, u64)], max_bins: usize, has_missing: bool) -> Vec<f64> {
    let ub: Vec<f64> = if counts.is_empty() {
        vec![0.0]
    } else if counts.len() <= max_bins {
        counts.iter().map(|c| c.0).collect()
    } else {
        let n: u64 = counts.iter().map(|c| c.1).sum();
        let (mut at, mut below) = (0usize, 0u64);
        // The value at rank r of the sorted list: the last rank is n − 1, the largest value
        // closes the last bin.
        let mut u: Vec<f64> = (1..=max_bins as u64)
            .map(|k| {
                let r = k * n / max_bins as u64 - 1;
                while below + counts[at].1 <= r {
                    below += counts[at].1;
                    at += 1;
                }
                counts[at].0
            })
            .collect();
        u.dedup();
        u
    };
    if has_missing {
        std::iter::once(f64::NEG_INFINITY).chain(ub).collect()
    } else {
        ub
    }
}

/// The bin of value `v` (NaN: missing) given an input's edges: the first edge at or above it (the
/// last bin above every edge), after the missing bin 0 when there is one.
#[inline]
pub(super) fn bin_of(upper: &[f64], has_missing: bool, v: f64) -> u8 {
    if v.is_nan() {
        return 0;
    }
    let shift = has_missing as usize;
    let values = &upper[shift..];
    (values.partition_point(|&e| e < v).min(values.len() - 1) + shift) as u8
}
