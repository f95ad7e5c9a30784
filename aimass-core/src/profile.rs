//! Column profiles: what is in a table, column by column, and how each column alone separates a
//! binary target. Computed on columns already read (one pass over the table), each column on its
//! own thread.
//!
//! Definitions (the README repeats them): quantiles interpolate linearly (`percentile_cont`);
//! `stddev` is the sample standard deviation; `outliers_iqr` counts values outside
//! `[Q1 − 1.5·IQR, Q3 + 1.5·IQR]`; `distinct_values` counts distinct non-NULL values. With a target,
//! `iv` bins a numeric column at its distinct deciles (bins `[d_i, d_{i+1})`, as `width_bucket`)
//! plus a NULL bin, and a text column by category plus a NULL bin (WOE/IV as in [`crate::woe`]);
//! `auc` ranks the labelled rows by the value itself (NULL values left out) for a numeric
//! column, and by the category's bad rate (NULL a category of its own) for a text column.

use crate::binning;
use crate::data::{Column, ColumnData, ColumnKind, MISSING_CODE};
use crate::metrics::auc_ks;
use crate::stats;
use crate::woe::{information_value, BinCounts};

/// The quantiles a profile reports, as fractions.
pub const QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
/// How many of the most frequent values `top_values` lists.
pub const TOP_VALUES: usize = 10;
/// The Tukey factor of `outliers_iqr`.
pub const IQR_FACTOR: f64 = 1.5;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnProfile {
    pub name: String,
    pub rows: u64,
    pub nulls: u64,
    /// NaN and ±Infinity values (float columns), counted apart from NULLs and left out of the
    /// statistics.
    pub non_finite: u64,
    pub distinct: u64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub stddev: Option<f64>,
    /// Values at [`QUANTILES`], for numeric columns.
    pub quantiles: Option<Vec<f64>>,
    pub outliers_iqr: Option<u64>,
    pub zeros: Option<u64>,
    /// The most frequent values with their counts, for text and boolean columns.
    pub top_values: Option<Vec<(String, u64)>>,
    pub iv: Option<f64>,
    pub auc: Option<f64>,
}

/// Profiles every column; `labels` (0/1, NaN for a NULL target) enables `iv` and `auc`.
pub fn profile(columns: &[&Column], labels: Option<&[f64]>, threads: usize) -> Vec<ColumnProfile> {
    crate::parallel::map(columns.to_vec(), threads, |c| profile_column(c, labels))
}

pub fn profile_column(column: &Column, labels: Option<&[f64]>) -> ColumnProfile {
    let mut p = ColumnProfile { name: column.name.clone(), rows: column.len() as u64, ..Default::default() };
    match &column.data {
        ColumnData::Numeric(values) => {
            let sorted = stats::sorted_present(values);
            p.non_finite = column.non_finite as u64;
            p.nulls = (values.len() - sorted.len() - column.non_finite) as u64;
            p.distinct = stats::distinct_sorted(&sorted) as u64;
            if !sorted.is_empty() {
                p.min = Some(sorted[0]);
                p.max = Some(sorted[sorted.len() - 1]);
                p.mean = Some(stats::mean(&sorted));
                p.stddev = Some(stats::sample_sd(&sorted)).filter(|s| !s.is_nan());
            }
            if column.kind == ColumnKind::Boolean {
                let trues = sorted.iter().filter(|&&v| v == 1.0).count() as u64;
                let mut top =
                    vec![("true".to_owned(), trues), ("false".to_owned(), sorted.len() as u64 - trues)];
                top.retain(|t| t.1 > 0);
                top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                p.top_values = Some(top);
            } else {
                p.zeros = Some(sorted.iter().filter(|&&v| v == 0.0).count() as u64);
                if !sorted.is_empty() {
                    p.quantiles =
                        Some(QUANTILES.iter().map(|&q| stats::quantile_sorted(&sorted, q)).collect());
                    let (lo, hi) = stats::iqr_fences(&sorted, IQR_FACTOR);
                    p.outliers_iqr = Some(sorted.iter().filter(|&&v| v < lo || v > hi).count() as u64);
                }
            }
            if let Some(y) = labels {
                p.iv = numeric_iv(values, &sorted, y);
                let (s, l): (Vec<f64>, Vec<f64>) = values
                    .iter()
                    .zip(y)
                    .filter(|(v, y)| !v.is_nan() && !y.is_nan())
                    .map(|(v, y)| (*v, *y))
                    .unzip();
                p.auc = Some(auc_ks(&s, &l).0).filter(|a| !a.is_nan());
            }
        }
        ColumnData::Categorical { codes, dictionary } => {
            let mut counts = vec![0u64; dictionary.len()];
            for &c in codes {
                if c == MISSING_CODE {
                    p.nulls += 1;
                } else {
                    counts[c as usize] += 1;
                }
            }
            p.distinct = counts.iter().filter(|&&n| n > 0).count() as u64;
            let mut top: Vec<(String, u64)> = counts
                .iter()
                .enumerate()
                .filter(|(_, &n)| n > 0)
                .map(|(i, &n)| (dictionary[i].clone(), n))
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(TOP_VALUES);
            p.top_values = Some(top);
            if let Some(y) = labels {
                // Bins by code; the NULL bin is the last slot.
                let mut bins = vec![BinCounts::default(); dictionary.len() + 1];
                for (&c, &yv) in codes.iter().zip(y) {
                    if yv.is_nan() {
                        continue;
                    }
                    let b = &mut bins[if c == MISSING_CODE { dictionary.len() } else { c as usize }];
                    if yv == 1.0 {
                        b.bad += 1.0
                    } else {
                        b.good += 1.0
                    }
                }
                // Summed in the categories' order, NULL last: the same figure whatever order the
                // rows came in (a distributed table's rows come in another).
                let mut by_name: Vec<usize> = (0..dictionary.len()).collect();
                by_name.sort_by(|&a, &b| dictionary[a].cmp(&dictionary[b]));
                by_name.push(dictionary.len());
                let ordered: Vec<BinCounts> = by_name.iter().map(|&i| bins[i]).collect();
                p.iv = Some(information_value(&ordered)).filter(|v| !v.is_nan());
                let rate: Vec<f64> = bins.iter().map(|b| b.bad / (b.bad + b.good)).collect();
                let (s, l): (Vec<f64>, Vec<f64>) = codes
                    .iter()
                    .zip(y)
                    .filter(|(_, y)| !y.is_nan())
                    .map(|(&c, &y)| (rate[if c == MISSING_CODE { dictionary.len() } else { c as usize }], y))
                    .unzip();
                p.auc = Some(auc_ks(&s, &l).0).filter(|a| !a.is_nan());
            }
        }
    }
    p
}

/// IV over the default bins of the column's present values (see [`crate::binning`]).
fn numeric_iv(values: &[f64], sorted: &[f64], labels: &[f64]) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let edges = binning::decile_edges(sorted);
    let mut bins = vec![BinCounts::default(); binning::bin_count(&edges)];
    for (&v, &y) in values.iter().zip(labels) {
        if y.is_nan() {
            continue;
        }
        let b = &mut bins[binning::bin_of(&edges, v)];
        if y == 1.0 {
            b.bad += 1.0
        } else {
            b.good += 1.0
        }
    }
    Some(information_value(&bins)).filter(|v| !v.is_nan())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnBuilder;

    fn numeric(values: &[Option<f64>]) -> Column {
        let mut b = ColumnBuilder::new("x", ColumnKind::Numeric);
        values.iter().for_each(|v| b.push_number(*v).unwrap());
        b.finish()
    }

    #[test]
    fn numeric_profile() {
        let c = numeric(&[Some(1.0), Some(2.0), None, Some(3.0), Some(4.0), Some(100.0), Some(0.0)]);
        let p = profile_column(&c, None);
        assert_eq!((p.rows, p.nulls, p.distinct), (7, 1, 6));
        assert_eq!((p.min, p.max, p.zeros), (Some(0.0), Some(100.0), Some(1)));
        assert!((p.mean.unwrap() - 110.0 / 6.0).abs() < 1e-12);
        // Q1 = 1.25, Q3 = 3.75: fences [-2.5, 7.5]; 100 is outside.
        assert_eq!(p.outliers_iqr, Some(1));
        assert_eq!(p.quantiles.as_ref().unwrap()[3], 2.5);
    }

    #[test]
    fn text_profile_with_target() {
        let mut b = ColumnBuilder::new("home", ColumnKind::Categorical);
        for v in [Some("rent"), Some("rent"), Some("owner"), None, Some("rent"), Some("owner")] {
            b.push_text(v);
        }
        let c = b.finish();
        let y = [1.0, 1.0, 0.0, 0.0, 0.0, f64::NAN];
        let p = profile_column(&c, Some(&y));
        assert_eq!((p.nulls, p.distinct), (1, 2));
        assert_eq!(p.top_values.unwrap(), vec![("rent".into(), 3), ("owner".into(), 2)]);
        // Bins: rent 2 bad / 1 good, owner 0 / 1, NULL 0 / 1; totals 2 bad, 3 good.
        let bins = [
            BinCounts { bad: 2.0, good: 1.0 },
            BinCounts { bad: 0.0, good: 1.0 },
            BinCounts { bad: 0.0, good: 1.0 },
        ];
        assert!((p.iv.unwrap() - information_value(&bins)).abs() < 1e-12);
        // Scored by bad rate: both bads (rent, 2/3) beat two goods and tie the third: 5/6.
        assert!((p.auc.unwrap() - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn parallel_profile_keeps_column_order() {
        let cols: Vec<Column> = (0..5).map(|i| numeric(&[Some(i as f64)])).collect();
        let refs: Vec<&Column> = cols.iter().collect();
        let p = profile(&refs, None, 2);
        assert_eq!(p.iter().map(|p| p.min.unwrap()).collect::<Vec<_>>(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    }
}
