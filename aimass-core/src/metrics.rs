//! Model metrics as risk teams use them: AUC, KS, Gini, log loss, Brier, the confusion matrix;
//! R², RMSE, MAE for regression.

use serde::{Deserialize, Serialize};

/// Metrics of a binary classifier on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    pub rows: usize,
    pub positive_rate: f64,
    pub auc: f64,
    pub ks: f64,
    pub gini: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub threshold: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub confusion_matrix: Confusion,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
}

/// Metrics of a regression on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub rows: usize,
    pub r2: f64,
    pub rmse: f64,
    pub mae: f64,
}

/// Area under the ROC curve, with tied scores counted half (the Mann–Whitney statistic), and
/// the Kolmogorov–Smirnov statistic max |TPR − FPR| over all thresholds.
/// Returns NaN for both when one class is absent.
pub fn auc_ks(scores: &[f64], labels: &[f64]) -> (f64, f64) {
    let pos = labels.iter().filter(|&&y| y == 1.0).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    // (score, label) pairs sorted by descending score: contiguous, so the sort stays in cache.
    let mut pairs: Vec<(f64, bool)> = scores.iter().zip(labels).map(|(&s, &y)| (s, y == 1.0)).collect();
    pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut i = 0;
    let steps = std::iter::from_fn(|| {
        // One step of the curve per distinct score.
        let &(s, _) = pairs.get(i)?;
        let (mut dtp, mut dfp) = (0.0, 0.0);
        while i < pairs.len() && pairs[i].0 == s {
            if pairs[i].1 {
                dtp += 1.0
            } else {
                dfp += 1.0
            }
            i += 1;
        }
        Some((dtp, dfp))
    });
    auc_ks_of_steps(pos, neg, steps)
}

/// [`auc_ks`] from the ROC curve's steps: one (positives, negatives) pair per distinct score, in
/// descending order of score; ties move diagonally (counted half). With counts that are whole
/// numbers the result does not depend on how the rows were gathered into steps.
pub fn auc_ks_of_steps(pos: f64, neg: f64, steps: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
    if pos == 0.0 || neg == 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let (mut tp, mut fp, mut area, mut ks) = (0.0, 0.0, 0.0, 0.0f64);
    for (dtp, dfp) in steps {
        area += dfp * (tp + dtp / 2.0);
        tp += dtp;
        fp += dfp;
        ks = ks.max((tp / pos - fp / neg).abs());
    }
    (area / (pos * neg), ks)
}

/// All binary metrics of probabilities `p` against 0/1 `labels`, classifying `p >= threshold`
/// as positive.
pub fn binary(p: &[f64], labels: &[f64], threshold: f64) -> BinaryMetrics {
    let n = p.len();
    let (auc, ks) = auc_ks(p, labels);
    let eps = 1e-15;
    let mut log_loss = 0.0;
    let mut brier = 0.0;
    let mut c = Confusion { tp: 0, fp: 0, tn: 0, fn_: 0 };
    for (&pi, &y) in p.iter().zip(labels) {
        let q = pi.clamp(eps, 1.0 - eps);
        log_loss -= if y == 1.0 { q.ln() } else { (1.0 - q).ln() };
        brier += (pi - y).powi(2);
        match (pi >= threshold, y == 1.0) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, false) => c.tn += 1,
            (false, true) => c.fn_ += 1,
        }
    }
    assembled(n, (auc, ks), (log_loss, brier), threshold, c)
}

/// [`auc_ks`] of distinct scores in ascending order, known by their (negatives, positives).
pub fn auc_ks_of_counts(counts: &[[u64; 2]]) -> (f64, f64) {
    let (pos, neg) = counts.iter().fold((0.0, 0.0), |(p, n), c| (p + c[1] as f64, n + c[0] as f64));
    auc_ks_of_steps(pos, neg, counts.iter().rev().map(|c| (c[1] as f64, c[0] as f64)))
}

/// [`binary`] of scores held as distinct scores, ascending, with their negatives and positives
/// (`crate::counted_values::ValueCounts`: what a distributed table's workers send instead of
/// their rows): AUC, KS and the confusion matrix are the rows' own bit for bit, log loss and
/// Brier the same sums added per distinct score (to rounding).
pub fn binary_of_counts(scores: &[f64], counts: &[[u64; 2]], threshold: f64) -> BinaryMetrics {
    let (auc, ks) = auc_ks_of_counts(counts);
    let eps = 1e-15;
    let (mut log_loss, mut brier, mut n) = (0.0, 0.0, 0usize);
    let mut c = Confusion { tp: 0, fp: 0, tn: 0, fn_: 0 };
    for (&pi, &[neg, pos]) in scores.iter().zip(counts) {
        let q = pi.clamp(eps, 1.0 - eps);
        let (neg_f, pos_f) = (neg as f64, pos as f64);
        log_loss -= pos_f * q.ln() + neg_f * (1.0 - q).ln();
        brier += pos_f * (pi - 1.0).powi(2) + neg_f * pi.powi(2);
        let (neg, pos) = (neg as usize, pos as usize);
        n += neg + pos;
        if pi >= threshold {
            c.tp += pos;
            c.fp += neg;
        } else {
            c.fn_ += pos;
            c.tn += neg;
        }
    }
    assembled(n, (auc, ks), (log_loss, brier), threshold, c)
}

/// The binary metrics of `n` rows from their AUC and KS, the sums of their log losses and
/// squared errors, and their confusion matrix at `threshold`.
fn assembled(
    n: usize,
    (auc, ks): (f64, f64),
    (log_loss, brier): (f64, f64),
    threshold: f64,
    c: Confusion,
) -> BinaryMetrics {
    let nf = n as f64;
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(c.tp, c.tp + c.fp);
    let recall = ratio(c.tp, c.tp + c.fn_);
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    BinaryMetrics {
        rows: n,
        positive_rate: ratio(c.tp + c.fn_, n),
        auc,
        ks,
        gini: 2.0 * auc - 1.0,
        log_loss: log_loss / nf,
        brier: brier / nf,
        threshold,
        accuracy: ratio(c.tp + c.tn, n),
        precision,
        recall,
        f1,
        confusion_matrix: c,
    }
}

/// The distribution of unlabelled scores (anomaly models): mean and quantiles, and the share at
/// or above 0.5.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreSummary {
    pub rows: usize,
    pub mean_score: f64,
    pub score_p50: f64,
    pub score_p95: f64,
    pub score_p99: f64,
    pub share_at_least_half: f64,
}

pub fn score_summary(scores: &[f64]) -> ScoreSummary {
    let mut s = scores.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let q = |p: f64| crate::stats::quantile_sorted(&s, p);
    ScoreSummary {
        rows: n,
        mean_score: s.iter().sum::<f64>() / n.max(1) as f64,
        score_p50: q(0.5),
        score_p95: q(0.95),
        score_p99: q(0.99),
        share_at_least_half: s.iter().filter(|&&v| v >= 0.5).count() as f64 / n.max(1) as f64,
    }
}

/// Rows per cluster (predictions 0 .. k − 1).
pub fn cluster_sizes(clusters: &[f64]) -> Vec<usize> {
    let k = clusters.iter().fold(0usize, |k, &c| k.max(c as usize + 1));
    let mut sizes = vec![0; k];
    for &c in clusters {
        sizes[c as usize] += 1;
    }
    sizes
}

pub fn regression(pred: &[f64], y: &[f64]) -> RegressionMetrics {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let (mut sse, mut sae, mut sst) = (0.0, 0.0, 0.0);
    for (&p, &t) in pred.iter().zip(y) {
        sse += (p - t).powi(2);
        sae += (p - t).abs();
        sst += (t - mean).powi(2);
    }
    RegressionMetrics {
        rows: y.len(),
        r2: if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN },
        rmse: (sse / n).sqrt(),
        mae: sae / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_ks_match_hand_computed_values() {
        // Positives 0.9, 0.4; negatives 0.8, 0.3, 0.1: pairs won 1+1+1 + 0+1+1 = 5 of 6.
        let (auc, ks) = auc_ks(&[0.9, 0.8, 0.4, 0.3, 0.1], &[1., 0., 1., 0., 0.]);
        assert!((auc - 5.0 / 6.0).abs() < 1e-12);
        // At threshold 0.4: TPR 1, FPR 1/3.
        assert!((ks - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ties_count_half() {
        let (auc, _) = auc_ks(&[0.5, 0.5], &[1., 0.]);
        assert_eq!(auc, 0.5);
    }

    #[test]
    fn binary_metrics_confusion() {
        let m = binary(&[0.9, 0.6, 0.4, 0.2], &[1., 0., 1., 0.], 0.5);
        assert_eq!(m.confusion_matrix, Confusion { tp: 1, fp: 1, tn: 1, fn_: 1 });
        assert_eq!(m.accuracy, 0.5);
        assert_eq!(m.positive_rate, 0.5);
        assert!((m.brier - (0.01 + 0.36 + 0.36 + 0.04) / 4.0).abs() < 1e-12);
        assert!((m.gini - (2.0 * m.auc - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn regression_metrics() {
        let m = regression(&[1.0, 2.0, 3.0], &[1.0, 2.0, 5.0]);
        assert!((m.rmse - (4.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((m.mae - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn binary_metrics_of_counts_equal_those_of_the_rows() {
        let p: Vec<f64> = (0..300).map(|i| ((i * 37) % 50) as f64 / 50.0).collect();
        let y: Vec<f64> = (0..300).map(|i| ((i * 7) % 3 == 0) as u8 as f64).collect();
        let rows = binary(&p, &y, 0.5);
        let counts =
            crate::counted_values::ValueCounts::of_rows(p.iter().zip(&y).map(|(&p, &y)| (Some(p), y == 1.0)));
        let of_counts = binary_of_counts(&counts.values, &counts.counts, 0.5);
        assert_eq!(of_counts.auc.to_bits(), rows.auc.to_bits());
        assert_eq!(of_counts.ks.to_bits(), rows.ks.to_bits());
        assert_eq!(of_counts.confusion_matrix, rows.confusion_matrix);
        assert_eq!((of_counts.rows, of_counts.accuracy, of_counts.f1), (rows.rows, rows.accuracy, rows.f1));
        assert!((of_counts.log_loss - rows.log_loss).abs() < 1e-12);
        assert!((of_counts.brier - rows.brier).abs() < 1e-12);
    }
}
