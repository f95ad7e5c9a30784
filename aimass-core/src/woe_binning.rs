//! Supervised binning for WOE and scorecards (`aimass.bin`): quantile, equal-width, tree,
//! ChiMerge and monotonic binning of a variable against a binary target, with special values and
//! NULL in bins of their own and user break points.
//!
//! Every method works on *atoms*: the smallest ordered units a bin is made of. For a numeric
//! variable they are fine classes — each distinct value, or up to [`FINE_CLASSES`] quantile
//! classes when there are more; for a text variable each category, ordered by bad rate. A bin is
//! a run of consecutive atoms. After the method, bins smaller than `min_bin_share` of the rows
//! are merged into the neighbour with the closer bad rate.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AimassError, Result};
use crate::json_options::Options;
use crate::woe::{iv_term, woe, BinCounts};

/// Upper bound on fine classes of a numeric variable before tree, ChiMerge or monotonic binning.
pub const FINE_CLASSES: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Quantile,
    EqualWidth,
    Tree,
    Chimerge,
    Monotonic,
}

impl Method {
    pub fn parse(s: &str) -> Result<Method> {
        Ok(match s {
            "quantile" => Method::Quantile,
            "equal_width" => Method::EqualWidth,
            "tree" => Method::Tree,
            "chimerge" => Method::Chimerge,
            "monotonic" => Method::Monotonic,
            other => {
                return Err(AimassError::invalid_parameter(format!("unknown binning method \"{other}\""))
                    .with_hint("Use quantile, equal_width, tree, chimerge or monotonic."))
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BinningOptions {
    pub max_bins: usize,
    pub min_bin_share: f64,
    /// Values kept in bins of their own (e.g. -1, 999999), numeric variables only.
    pub special_values: Vec<f64>,
    /// User break points per column: bins `[b_i, b_i+1)`; the method is not used for them.
    pub breaks: std::collections::BTreeMap<String, Vec<f64>>,
    /// ChiMerge stops merging when every adjacent pair differs at this chi-square (df = 1).
    pub chi_threshold: f64,
}

impl Default for BinningOptions {
    fn default() -> Self {
        Self {
            max_bins: 10,
            min_bin_share: 0.05,
            special_values: Vec::new(),
            breaks: Default::default(),
            chi_threshold: 3.841,
        }
    }
}

impl BinningOptions {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "binning option")?;
        let mut out = Self::default();
        if let Some(n) = o.integer("max_bins", 2, 100)? {
            out.max_bins = n as usize;
        }
        if let Some(x) = o.number("min_bin_share", 0.0, 0.5)? {
            out.min_bin_share = x;
        }
        if let Some(x) = o.number("chi_threshold", 0.0, 1e6)? {
            out.chi_threshold = x;
        }
        if let Some(v) = o.value("special_values") {
            out.special_values = numbers(v, "special_values")?;
            out.special_values.sort_by(f64::total_cmp);
            out.special_values.dedup();
        }
        if let Some(m) = o.object("breaks")? {
            for (col, v) in m {
                let b = numbers(v, "breaks")?;
                if b.is_empty() || b.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(AimassError::invalid_parameter(format!(
                        "binning breaks for \"{col}\" must be a non-empty, strictly increasing list of numbers"
                    )));
                }
                if let Some(s) = b.iter().find(|x| out.special_values.contains(x)) {
                    return Err(AimassError::invalid_parameter(format!(
                        "binning break {s} for \"{col}\" is also a special value"
                    ))
                    .with_detail("A special value has a bin of its own and cannot also bound a range."));
                }
                out.breaks.insert(col.clone(), b);
            }
        }
        o.finish()?;
        if out.min_bin_share * out.max_bins as f64 > 1.0 + 1e-12 && out.min_bin_share > 0.0 {
            // Not contradictory in itself, but then max_bins can never be reached; say so.
            return Err(AimassError::invalid_parameter(format!(
                "min_bin_share {} allows at most {} bins, fewer than max_bins {}",
                out.min_bin_share,
                (1.0 / out.min_bin_share).floor(),
                out.max_bins
            ))
            .with_hint("Lower min_bin_share or max_bins."));
        }
        Ok(out)
    }
}

fn numbers(v: &Value, key: &str) -> Result<Vec<f64>> {
    v.as_array().and_then(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<_>>>()).ok_or_else(|| {
        AimassError::invalid_parameter(format!("binning option \"{key}\" must be a list of numbers, not {v}"))
    })
}

/// What one bin holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinKind {
    /// `[lower, upper)`; −∞ / +∞ at the ends (stored as NULL in JSON).
    Range {
        lower: Option<f64>,
        upper: Option<f64>,
    },
    Special {
        value: f64,
    },
    Categories {
        values: Vec<String>,
    },
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub kind: BinKind,
    pub count: u64,
    pub bads: u64,
    pub goods: u64,
    pub woe: f64,
    /// This bin's share of the IV.
    pub iv: f64,
}

impl Bin {
    pub fn label(&self) -> String {
        match &self.kind {
            BinKind::Range { lower, upper } => format!(
                "[{}, {})",
                lower.map_or("-inf".to_owned(), |x| x.to_string()),
                upper.map_or("+inf".to_owned(), |x| x.to_string())
            ),
            BinKind::Special { value } => format!("special {value}"),
            BinKind::Categories { values } => values.join(", "),
            BinKind::Missing => "NULL".to_owned(),
        }
    }

    pub fn bad_rate(&self) -> f64 {
        self.bads as f64 / self.count as f64
    }
}

/// The binning of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnBinning {
    pub column: String,
    pub method: Method,
    pub bins: Vec<Bin>,
    pub iv: f64,
}

/// A run of consecutive atoms with its counts.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    end: usize,
    bads: f64,
    goods: f64,
}

impl Segment {
    fn n(&self) -> f64 {
        self.bads + self.goods
    }

    fn rate(&self) -> f64 {
        self.bads / self.n()
    }

    fn merge(self, o: Segment) -> Segment {
        Segment { start: self.start, end: o.end, bads: self.bads + o.bads, goods: self.goods + o.goods }
    }
}

/// Bins a numeric column; `values` NaN for NULL, `labels` 0/1 (NaN rows are left out).
pub fn bin_numeric(
    column: &str,
    values: &[f64],
    labels: &[f64],
    method: Method,
    o: &BinningOptions,
) -> Result<ColumnBinning> {
    let rows: Vec<(f64, bool)> =
        values.iter().zip(labels).filter(|(_, y)| !y.is_nan()).map(|(&v, &y)| (v, y == 1.0)).collect();
    check_classes(column, rows.iter().map(|r| r.1))?;
    let mut regular: Vec<(f64, bool)> =
        rows.iter().copied().filter(|(v, _)| !v.is_nan() && !o.special_values.contains(v)).collect();
    regular.sort_by(|a, b| a.0.total_cmp(&b.0));
    let min_count = o.min_bin_share * rows.len() as f64;

    let edges: Vec<f64> = if let Some(b) = o.breaks.get(column) {
        b.clone()
    } else if regular.is_empty() {
        Vec::new()
    } else {
        let sorted: Vec<f64> = regular.iter().map(|r| r.0).collect();
        let mut edges = match method {
            Method::Quantile => quantile_edges(&sorted, o.max_bins),
            Method::EqualWidth => {
                let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
                (1..o.max_bins)
                    .map(|i| lo + (hi - lo) * i as f64 / o.max_bins as f64)
                    .filter(|&e| e > lo)
                    .collect()
            }
            Method::Tree | Method::Chimerge | Method::Monotonic => quantile_edges(&sorted, FINE_CLASSES),
        };
        edges.dedup();
        let atoms = atoms_from_edges(&regular, &edges);
        let segments = segment(method, &atoms, o, min_count);
        // The edge before each segment but the first: the lower bound of its first atom.
        segments.iter().skip(1).map(|s| edges[s.start - 1]).collect()
    };

    // Final counts per bin: specials, ranges, NULL.
    let mut bins: Vec<Bin> = Vec::new();
    for &s in &o.special_values {
        let (b, g) = count(rows.iter().filter(|r| r.0 == s).map(|r| r.1));
        if b + g > 0 {
            bins.push(Bin {
                kind: BinKind::Special { value: s },
                count: b + g,
                bads: b,
                goods: g,
                woe: 0.0,
                iv: 0.0,
            });
        }
    }
    let mut range_counts = vec![(0u64, 0u64); edges.len() + 1];
    for &(v, y) in &regular {
        let i = edges.partition_point(|&e| e <= v);
        if y {
            range_counts[i].0 += 1
        } else {
            range_counts[i].1 += 1
        }
    }
    for (i, &(b, g)) in range_counts.iter().enumerate() {
        if b + g == 0 {
            continue;
        }
        let lower = if i == 0 { None } else { Some(edges[i - 1]) };
        let upper = edges.get(i).copied();
        bins.push(Bin {
            kind: BinKind::Range { lower, upper },
            count: b + g,
            bads: b,
            goods: g,
            woe: 0.0,
            iv: 0.0,
        });
    }
    let (b, g) = count(rows.iter().filter(|r| r.0.is_nan()).map(|r| r.1));
    if b + g > 0 {
        bins.push(Bin { kind: BinKind::Missing, count: b + g, bads: b, goods: g, woe: 0.0, iv: 0.0 });
    }
    Ok(finish(column, method, bins))
}

/// Bins a text column: categories ordered by bad rate are the atoms.
pub fn bin_categorical(
    column: &str,
    values: &[Option<&str>],
    labels: &[f64],
    method: Method,
    o: &BinningOptions,
) -> Result<ColumnBinning> {
    if o.breaks.contains_key(column) {
        return Err(AimassError::invalid_parameter(format!(
            "binning breaks are given for \"{column}\", which is a text column"
        )));
    }
    let rows: Vec<(Option<&str>, bool)> =
        values.iter().zip(labels).filter(|(_, y)| !y.is_nan()).map(|(&v, &y)| (v, y == 1.0)).collect();
    check_classes(column, rows.iter().map(|r| r.1))?;
    let mut cats: std::collections::BTreeMap<&str, (f64, f64)> = Default::default();
    for &(v, y) in &rows {
        if let Some(v) = v {
            let e = cats.entry(v).or_default();
            if y {
                e.0 += 1.0
            } else {
                e.1 += 1.0
            }
        }
    }
    let mut order: Vec<(&str, (f64, f64))> = cats.into_iter().collect();
    order.sort_by(|a, b| {
        let (ra, rb) = (a.1 .0 / (a.1 .0 + a.1 .1), b.1 .0 / (b.1 .0 + b.1 .1));
        ra.total_cmp(&rb).then(a.0.cmp(b.0))
    });
    let atoms: Vec<Segment> = order
        .iter()
        .enumerate()
        .map(|(i, (_, (b, g)))| Segment { start: i, end: i + 1, bads: *b, goods: *g })
        .collect();
    let min_count = o.min_bin_share * rows.len() as f64;
    let segments = segment(method, &atoms, o, min_count);
    let mut bins: Vec<Bin> = segments
        .iter()
        .map(|s| {
            let mut values: Vec<String> = order[s.start..s.end].iter().map(|c| c.0.to_owned()).collect();
            values.sort();
            Bin {
                kind: BinKind::Categories { values },
                count: s.n() as u64,
                bads: s.bads as u64,
                goods: s.goods as u64,
                woe: 0.0,
                iv: 0.0,
            }
        })
        .collect();
    let (b, g) = count(rows.iter().filter(|r| r.0.is_none()).map(|r| r.1));
    if b + g > 0 {
        bins.push(Bin { kind: BinKind::Missing, count: b + g, bads: b, goods: g, woe: 0.0, iv: 0.0 });
    }
    Ok(finish(column, method, bins))
}

/// The method's bins over the atoms, then bins under `min_count` rows merged into a neighbour.
fn segment(method: Method, atoms: &[Segment], o: &BinningOptions, min_count: f64) -> Vec<Segment> {
    let segments = match method {
        Method::Quantile | Method::EqualWidth => atoms.to_vec(),
        Method::Tree => tree(atoms, o.max_bins, min_count),
        Method::Chimerge => chimerge(atoms, o.max_bins, o.chi_threshold),
        Method::Monotonic => monotonic(atoms, o.max_bins),
    };
    enforce_min_count(segments, min_count)
}

fn check_classes(column: &str, labels: impl Iterator<Item = bool>) -> Result<()> {
    let (mut b, mut g) = (0, 0);
    for y in labels {
        if y {
            b += 1
        } else {
            g += 1
        }
    }
    if b == 0 || g == 0 {
        return Err(AimassError::data(format!("binning \"{column}\" needs both bad and good rows"))
            .with_detail(format!("The labelled rows hold {b} bad and {g} good.")));
    }
    Ok(())
}

fn count(labels: impl Iterator<Item = bool>) -> (u64, u64) {
    labels.fold((0, 0), |(b, g), y| if y { (b + 1, g) } else { (b, g + 1) })
}

/// WOE and IV per bin.
pub fn finish(column: &str, method: Method, mut bins: Vec<Bin>) -> ColumnBinning {
    let tb: f64 = bins.iter().map(|b| b.bads as f64).sum();
    let tg: f64 = bins.iter().map(|b| b.goods as f64).sum();
    for b in &mut bins {
        let c = BinCounts { bad: b.bads as f64, good: b.goods as f64 };
        b.woe = woe(c, tb, tg);
        b.iv = iv_term(c, tb, tg);
    }
    let iv = bins.iter().map(|b| b.iv).sum();
    ColumnBinning { column: column.to_owned(), method, bins, iv }
}

/// Distinct edges splitting sorted values into up to `k` classes of equal counts: each edge is
/// the data value at rank i·n/k (a class starts at a value that occurs in the data).
fn quantile_edges(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    let mut e: Vec<f64> = (1..k).map(|i| sorted[(i * n / k).min(n - 1)]).collect();
    e.dedup();
    // An edge at the minimum would leave an empty first class.
    e.retain(|&x| x > sorted[0]);
    e
}

/// Atoms from sorted (value, label) rows and edges: atom i holds `[e_{i-1}, e_i)`.
fn atoms_from_edges(sorted: &[(f64, bool)], edges: &[f64]) -> Vec<Segment> {
    let mut atoms: Vec<Segment> =
        (0..=edges.len()).map(|i| Segment { start: i, end: i + 1, bads: 0.0, goods: 0.0 }).collect();
    for &(v, y) in sorted {
        let a = &mut atoms[edges.partition_point(|&e| e <= v)];
        if y {
            a.bads += 1.0
        } else {
            a.goods += 1.0
        }
    }
    // Empty classes (possible with equal-width edges) are dropped: their range joins the
    // segment before them, since a segment's lower bound is that of its first atom.
    atoms.retain(|a| a.n() > 0.0);
    atoms
}

fn gini_impurity(s: &Segment) -> f64 {
    let p = s.rate();
    s.n() * 2.0 * p * (1.0 - p)
}

/// Best-first binary splits on atom boundaries minimizing Gini impurity, as a decision tree with
/// `max_leaf_nodes = max_bins` and `min_samples_leaf = min_count`.
fn tree(atoms: &[Segment], max_bins: usize, min_count: f64) -> Vec<Segment> {
    if atoms.is_empty() {
        return Vec::new();
    }
    let mut leaves: Vec<(usize, usize)> = vec![(0, atoms.len())];
    let seg = |lo: usize, hi: usize| atoms[lo + 1..hi].iter().fold(atoms[lo], |a, b| a.merge(*b));
    while leaves.len() < max_bins {
        let mut best: Option<(f64, usize, usize)> = None; // (gain, leaf, split atom)
        for (li, &(lo, hi)) in leaves.iter().enumerate() {
            let parent = seg(lo, hi);
            for k in lo + 1..hi {
                let (l, r) = (seg(lo, k), seg(k, hi));
                if l.n() < min_count || r.n() < min_count {
                    continue;
                }
                let gain = gini_impurity(&parent) - gini_impurity(&l) - gini_impurity(&r);
                if gain > 1e-12 && best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, li, k));
                }
            }
        }
        let Some((_, li, k)) = best else { break };
        let (lo, hi) = leaves[li];
        leaves[li] = (lo, k);
        leaves.insert(li + 1, (k, hi));
    }
    leaves.into_iter().map(|(lo, hi)| seg(lo, hi)).collect()
}

/// Pearson chi-square of two adjacent segments' 2×2 table (expected counts floored at 0.5).
fn chi2(a: &Segment, b: &Segment) -> f64 {
    let n = a.n() + b.n();
    let (tb, tg) = (a.bads + b.bads, a.goods + b.goods);
    [(a.bads, a.n() * tb / n), (a.goods, a.n() * tg / n), (b.bads, b.n() * tb / n), (b.goods, b.n() * tg / n)]
        .iter()
        .map(|&(o, e)| {
            let e = e.max(0.5);
            (o - e).powi(2) / e
        })
        .sum()
}

/// ChiMerge: merge the adjacent pair with the lowest chi-square while there are more than
/// `max_bins` bins or that chi-square is below `threshold`.
fn chimerge(atoms: &[Segment], max_bins: usize, threshold: f64) -> Vec<Segment> {
    let mut s = atoms.to_vec();
    while s.len() > 1 {
        let (i, c) = (0..s.len() - 1)
            .map(|i| (i, chi2(&s[i], &s[i + 1])))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::INFINITY));
        if s.len() <= max_bins && c >= threshold {
            break;
        }
        let m = s[i].merge(s[i + 1]);
        s.splice(i..=i + 1, [m]);
    }
    s
}

/// Bins whose bad rate is monotone in the bin order (the direction of the first and last atoms),
/// merging adjacent violators; then down to `max_bins` by ChiMerge, which keeps monotonicity.
fn monotonic(atoms: &[Segment], max_bins: usize) -> Vec<Segment> {
    if atoms.len() < 2 {
        return atoms.to_vec();
    }
    let whole_first = atoms[0].rate();
    let whole_last = atoms[atoms.len() - 1].rate();
    let rising = whole_last >= whole_first;
    let mut s: Vec<Segment> = Vec::new();
    for &a in atoms {
        s.push(a);
        // Pool adjacent violators.
        while s.len() > 1 {
            let (p, q) = (s[s.len() - 2], s[s.len() - 1]);
            let violates = if rising { q.rate() < p.rate() } else { q.rate() > p.rate() };
            if !violates {
                break;
            }
            s.pop();
            s.pop();
            s.push(p.merge(q));
        }
    }
    chimerge(&s, max_bins, 0.0)
}

/// Merges bins smaller than `min_count` into the neighbour with the closer bad rate.
fn enforce_min_count(mut s: Vec<Segment>, min_count: f64) -> Vec<Segment> {
    while s.len() > 1 {
        let Some((i, _)) = s
            .iter()
            .enumerate()
            .filter(|(_, x)| x.n() < min_count)
            .min_by(|a, b| a.1.n().total_cmp(&b.1.n()))
        else {
            break;
        };
        let left_closer = i == s.len() - 1
            || (i > 0 && (s[i - 1].rate() - s[i].rate()).abs() <= (s[i + 1].rate() - s[i].rate()).abs());
        let j = if i > 0 && left_closer { i - 1 } else { i + 1 };
        let (a, b) = (i.min(j), i.max(j));
        let m = s[a].merge(s[b]);
        s.splice(a..=b, [m]);
    }
    s
}

#[cfg(test)]
mod tests;
