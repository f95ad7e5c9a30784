//! Curves and tables of a scored, labelled population: the ROC curve, the gains/lift table with
//! KS per bucket, and the calibration table.
//!
//! Buckets hold equal numbers of rows by rank (bucket 1 the riskiest, i.e. highest scores, for the
//! lift table; the lowest probabilities first for calibration); rows with tied scores always share
//! a bucket (the bucket of the first of them), so a table may have fewer buckets than asked.

use serde::{Deserialize, Serialize};

/// One point of the ROC curve: classifying `score >= threshold` as positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    pub threshold: f64,
    pub fpr: f64,
    pub tpr: f64,
}

/// One row of the gains/lift table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LiftRow {
    pub bucket: usize,
    pub rows: usize,
    pub min_score: f64,
    pub max_score: f64,
    pub bads: usize,
    pub bad_rate: f64,
    pub cum_rows: usize,
    pub cum_bads: usize,
    pub cum_bad_rate: f64,
    /// Share of all bads captured down to this bucket.
    pub capture_rate: f64,
    /// Share of all goods down to this bucket.
    pub cum_good_rate: f64,
    pub lift: f64,
    pub cum_lift: f64,
    /// `capture_rate − cum_good_rate`; its maximum over the table approaches the KS.
    pub ks: f64,
}

/// One row of the calibration table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    pub bucket: usize,
    pub rows: usize,
    pub min_predicted: f64,
    pub max_predicted: f64,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Pairs sorted by score, descending (`descending`) or ascending.
fn sorted(scores: &[f64], labels: &[bool], descending: bool) -> Vec<(f64, bool)> {
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    if descending {
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    } else {
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    pairs
}

/// Equal-count buckets by rank, ties together: the row ranges of the buckets of sorted rows
/// (a tie group takes the bucket of its first row).
fn bucket_runs(pairs: &[(f64, bool)], buckets: usize) -> Vec<std::ops::Range<usize>> {
    let n = pairs.len();
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut start, mut bucket) = (0, usize::MAX);
    for i in 0..n {
        if i > 0 && pairs[i].0 != pairs[i - 1].0 {
            start = i;
        }
        let b = start * buckets / n;
        if b != bucket {
            if let Some(last) = runs.last_mut() {
                last.end = i;
            }
            runs.push(i..n);
            bucket = b;
        }
    }
    runs
}

/// The ROC curve from (+∞, 0, 0) to (min score, 1, 1), one point per distinct score.
pub fn roc_curve(scores: &[f64], labels: &[bool]) -> Vec<RocPoint> {
    let pairs = sorted(scores, labels, true);
    let pos = pairs.iter().filter(|p| p.1).count() as f64;
    let neg = pairs.len() as f64 - pos;
    let mut out = vec![RocPoint { threshold: f64::INFINITY, fpr: 0.0, tpr: 0.0 }];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (i, &(s, y)) in pairs.iter().enumerate() {
        if y {
            tp += 1.0
        } else {
            fp += 1.0
        }
        if i + 1 == pairs.len() || pairs[i + 1].0 != s {
            out.push(RocPoint { threshold: s, fpr: fp / neg, tpr: tp / pos });
        }
    }
    out
}

pub fn lift_table(scores: &[f64], labels: &[bool], buckets: usize) -> Vec<LiftRow> {
    let pairs = sorted(scores, labels, true);
    let total_bads = pairs.iter().filter(|p| p.1).count();
    let total_goods = pairs.len() - total_bads;
    let overall = total_bads as f64 / pairs.len() as f64;
    let mut out: Vec<LiftRow> = Vec::new();
    let (mut cum_rows, mut cum_bads) = (0, 0);
    for std::ops::Range { start: i, end: j } in bucket_runs(&pairs, buckets) {
        let rows = j - i;
        let bads = pairs[i..j].iter().filter(|p| p.1).count();
        cum_rows += rows;
        cum_bads += bads;
        let bad_rate = bads as f64 / rows as f64;
        let cum_bad_rate = cum_bads as f64 / cum_rows as f64;
        let capture_rate = cum_bads as f64 / total_bads as f64;
        let cum_good_rate = (cum_rows - cum_bads) as f64 / total_goods as f64;
        out.push(LiftRow {
            bucket: out.len() + 1,
            rows,
            min_score: pairs[j - 1].0,
            max_score: pairs[i].0,
            bads,
            bad_rate,
            cum_rows,
            cum_bads,
            cum_bad_rate,
            capture_rate,
            cum_good_rate,
            lift: bad_rate / overall,
            cum_lift: cum_bad_rate / overall,
            ks: capture_rate - cum_good_rate,
        });
    }
    out
}

pub fn calibration_table(p: &[f64], labels: &[bool], buckets: usize) -> Vec<CalibrationRow> {
    let pairs = sorted(p, labels, false);
    let mut out: Vec<CalibrationRow> = Vec::new();
    for std::ops::Range { start: i, end: j } in bucket_runs(&pairs, buckets) {
        let rows = j - i;
        out.push(CalibrationRow {
            bucket: out.len() + 1,
            rows,
            min_predicted: pairs[i].0,
            max_predicted: pairs[j - 1].0,
            mean_predicted: pairs[i..j].iter().map(|p| p.0).sum::<f64>() / rows as f64,
            observed_rate: pairs[i..j].iter().filter(|p| p.1).count() as f64 / rows as f64,
        });
    }
    out
}

/// The curves a model card draws, stored with a binary model's metrics (`metrics.curves`): the
/// ROC curve thinned to at most `max_points` points, and 10-bucket lift and calibration tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// Which rows: "test", or "train" when nothing was held out.
    pub part: String,
    pub rows: usize,
    pub positive_rate: f64,
    /// `[fpr, tpr]` from (0, 0) to (1, 1).
    pub roc: Vec<[f64; 2]>,
    pub lift: Vec<LiftRow>,
    pub calibration: Vec<CalibrationRow>,
}

pub fn summary(part: &str, scores: &[f64], labels: &[bool], max_points: usize) -> Curves {
    let roc = roc_curve(scores, labels);
    let step = roc.len().div_ceil(max_points.max(2) - 1).max(1);
    let mut thin: Vec<[f64; 2]> = roc.iter().step_by(step).map(|p| [p.fpr, p.tpr]).collect();
    if let Some(last) = roc.last() {
        if thin.last() != Some(&[last.fpr, last.tpr]) {
            thin.push([last.fpr, last.tpr]);
        }
    }
    let positives = labels.iter().filter(|&&l| l).count();
    Curves {
        part: part.to_owned(),
        rows: scores.len(),
        positive_rate: positives as f64 / scores.len().max(1) as f64,
        roc: thin,
        lift: lift_table(scores, labels, 10),
        calibration: calibration_table(scores, labels, 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::auc_ks;

    fn data() -> (Vec<f64>, Vec<bool>) {
        let s: Vec<f64> = (0..200).map(|i| ((i * 37) % 101) as f64 / 100.0).collect();
        let y: Vec<bool> = s.iter().enumerate().map(|(i, &v)| v > 0.6 || i % 7 == 0).collect();
        (s, y)
    }

    #[test]
    fn roc_area_is_the_auc() {
        let (s, y) = data();
        let roc = roc_curve(&s, &y);
        let area: f64 = roc.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum();
        let yf: Vec<f64> = y.iter().map(|&b| b as u8 as f64).collect();
        let (auc, ks) = auc_ks(&s, &yf);
        assert!((area - auc).abs() < 1e-12);
        let max_ks = roc.iter().map(|p| p.tpr - p.fpr).fold(f64::MIN, f64::max);
        assert!((max_ks - ks).abs() < 1e-12);
        assert_eq!((roc.last().unwrap().fpr, roc.last().unwrap().tpr), (1.0, 1.0));
    }

    #[test]
    fn lift_table_adds_up() {
        let (s, y) = data();
        let t = lift_table(&s, &y, 10);
        assert!(t.len() <= 10);
        assert_eq!(t.iter().map(|r| r.rows).sum::<usize>(), 200);
        let last = t.last().unwrap();
        assert_eq!((last.capture_rate, last.cum_good_rate, last.cum_lift), (1.0, 1.0, 1.0));
        assert!(t[0].bad_rate >= last.bad_rate);
        let c = calibration_table(&s, &y, 5);
        assert_eq!(c.iter().map(|r| r.rows).sum::<usize>(), 200);
        assert!(c[0].mean_predicted < c[c.len() - 1].mean_predicted);
    }

    #[test]
    fn ties_share_a_bucket() {
        let s = [0.5; 10];
        let y = [true, false, true, false, false, false, false, false, false, false];
        let t = lift_table(&s, &y, 4);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].rows, 10);
    }
}
