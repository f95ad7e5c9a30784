//! Drift of live data against a model's training reference (the monitoring issue; the first
//! part: references and statistics).
//!
//! At training a model keeps, for every raw feature and for its score, the reference histogram of
//! its training rows: numbers in the default bins (distinct deciles plus a NULL bin, see
//! [`crate::binning`]), text by category plus a NULL bin and an `(unseen)` bin for
//! categories training never saw. Live values are counted in the same bins and compared by
//! - PSI `Σ (a − e) ln(a / e)` (an empty cell counts 1, as everywhere in aimass),
//! - Jensen–Shannon divergence (base-2 logs, so in [0, 1]),
//! - KS: the largest gap between the two cumulative shares over the ordered bins (numbers only:
//!   categories have no order).

use serde::{Deserialize, Serialize};

use crate::binning;
use crate::data::{Column, ColumnData, MISSING_CODE};

/// The training distribution of one feature (or of the score).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    /// Bins `[edges_i, edges_i+1)` as `width_bucket`, then NULL.
    Numeric { edges: Vec<f64>, counts: Vec<f64> },
    /// One bin per category (sorted, those seen in training), then NULL, then unseen.
    Categorical { categories: Vec<String>, counts: Vec<f64> },
}

impl Reference {
    /// The reference of numeric values (NaN = NULL).
    pub fn numeric(values: &[f64]) -> Reference {
        let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        let edges = binning::decile_edges_selected(&mut present);
        let mut r = Reference::Numeric { edges, counts: Vec::new() };
        let counts = r.count_values(values);
        if let Reference::Numeric { counts: c, .. } = &mut r {
            *c = counts;
        }
        r
    }

    /// The reference of a column's values.
    pub fn of_column(column: &Column) -> Reference {
        match &column.data {
            ColumnData::Numeric(values) => Reference::numeric(values),
            ColumnData::Categorical { codes, dictionary } => {
                let mut per_code = vec![0.0; dictionary.len()];
                let mut nulls = 0.0;
                for &c in codes {
                    if c == MISSING_CODE {
                        nulls += 1.0;
                    } else {
                        per_code[c as usize] += 1.0;
                    }
                }
                // Categories in sorted order, those present only.
                let mut seen: Vec<(&String, f64)> =
                    dictionary.iter().zip(per_code).filter(|(_, n)| *n > 0.0).collect();
                seen.sort_by(|a, b| a.0.cmp(b.0));
                let mut counts: Vec<f64> = seen.iter().map(|(_, n)| *n).collect();
                counts.extend([nulls, 0.0]);
                Reference::Categorical {
                    categories: seen.into_iter().map(|(c, _)| c.clone()).collect(),
                    counts,
                }
            }
        }
    }

    /// Numeric values (NaN = NULL) counted in the reference's bins.
    pub fn count_values(&self, values: &[f64]) -> Vec<f64> {
        match self {
            Reference::Numeric { edges, .. } => {
                let mut c = vec![0.0; binning::bin_count(edges)];
                for &v in values {
                    c[binning::bin_of(edges, v)] += 1.0;
                }
                c
            }
            Reference::Categorical { categories, .. } => vec![0.0; categories.len() + 2],
        }
    }

    /// Live values counted in the reference's bins (a numeric reference needs numbers, a
    /// categorical one text; anything else counts as NULL).
    pub fn count(&self, column: &Column) -> Vec<f64> {
        match (self, &column.data) {
            (Reference::Numeric { .. }, ColumnData::Numeric(values)) => self.count_values(values),
            (Reference::Categorical { .. }, ColumnData::Categorical { codes, dictionary }) => {
                let mut per_code = vec![0.0; dictionary.len()];
                let mut nulls = 0.0;
                for &code in codes {
                    if code == MISSING_CODE {
                        nulls += 1.0;
                    } else {
                        per_code[code as usize] += 1.0;
                    }
                }
                let present = dictionary.iter().zip(per_code).map(|(d, n)| (Some(d.as_str()), n));
                self.count_categories(present.chain([(None, nulls)]))
            }
            (r, _) => r.all_null(column.len() as f64),
        }
    }

    /// Live categories counted in a categorical reference's bins, from `(category, rows)` (NULL:
    /// `None`; a category may come more than once): a category training never saw counts as
    /// unseen. A numeric reference counts them all as NULL, as [`Reference::count`] does text.
    pub fn count_categories<'a>(
        &self,
        counted: impl IntoIterator<Item = (Option<&'a str>, f64)>,
    ) -> Vec<f64> {
        let Reference::Categorical { categories, .. } = self else {
            return self.all_null(counted.into_iter().map(|(_, n)| n).sum());
        };
        let index: std::collections::HashMap<&str, usize> =
            categories.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let unseen = categories.len() + 1;
        let mut c = vec![0.0; categories.len() + 2];
        for (category, n) in counted {
            c[match category {
                None => categories.len(),
                Some(d) => index.get(d).copied().unwrap_or(unseen),
            }] += n;
        }
        c
    }

    /// `rows` counted in the NULL bin (live values of a kind the reference cannot count).
    pub fn all_null(&self, rows: f64) -> Vec<f64> {
        let mut c = vec![0.0; self.counts().len()];
        c[self.null_bin()] = rows;
        c
    }

    /// Where NULL is counted: after a numeric reference's bins, after the categories.
    pub fn null_bin(&self) -> usize {
        match self {
            Reference::Numeric { edges, .. } => edges.len() + 1,
            Reference::Categorical { categories, .. } => categories.len(),
        }
    }

    pub fn counts(&self) -> &[f64] {
        match self {
            Reference::Numeric { counts, .. } | Reference::Categorical { counts, .. } => counts,
        }
    }

    /// Compares live counts (from [`Reference::count`]) with the reference.
    pub fn compare(&self, live: &[f64]) -> Drift {
        let ordered = match self {
            Reference::Numeric { edges, .. } => Some(edges.len() + 1),
            Reference::Categorical { .. } => None,
        };
        compare_counts(self.counts(), live, ordered)
    }
}

/// Drift statistics of one feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Drift {
    pub psi: f64,
    pub js: f64,
    /// `None` for categories.
    pub ks: Option<f64>,
}

/// PSI, Jensen–Shannon and (over the first `ordered` bins, when given) KS between two histograms.
pub fn compare_counts(reference: &[f64], live: &[f64], ordered: Option<usize>) -> Drift {
    let psi = crate::stability::psi_counts(reference, live);
    let (tr, tl): (f64, f64) = (reference.iter().sum(), live.iter().sum());
    let mut js = 0.0;
    if tr > 0.0 && tl > 0.0 {
        for (&r, &l) in reference.iter().zip(live) {
            let (p, q) = (r / tr, l / tl);
            let m = (p + q) / 2.0;
            if p > 0.0 {
                js += 0.5 * p * (p / m).log2();
            }
            if q > 0.0 {
                js += 0.5 * q * (q / m).log2();
            }
        }
    } else {
        js = f64::NAN;
    }
    let ks = ordered.map(|k| {
        let (mut cr, mut cl, mut gap) = (0.0, 0.0, 0.0f64);
        for i in 0..k.min(reference.len()) {
            cr += reference[i] / tr;
            cl += live[i] / tl;
            gap = gap.max((cr - cl).abs());
        }
        gap
    });
    Drift { psi, js, ks }
}

/// `ok`, `warn` or `alert` for a statistic against its two thresholds.
pub fn status(value: f64, warn: f64, alert: f64) -> &'static str {
    if value.is_nan() {
        "ok"
    } else if value >= alert {
        "alert"
    } else if value >= warn {
        "warn"
    } else {
        "ok"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnBuilder, ColumnKind};

    fn numbers(values: &[Option<f64>]) -> Column {
        let mut b = ColumnBuilder::new("x", ColumnKind::Numeric);
        for v in values {
            b.push_number(*v).unwrap();
        }
        b.finish()
    }

    #[test]
    fn the_same_distribution_does_not_drift_and_a_shift_does() {
        let train: Vec<Option<f64>> =
            (0..1000).map(|i| if i % 50 == 0 { None } else { Some((i % 100) as f64) }).collect();
        let r = Reference::of_column(&numbers(&train));
        let same = r.compare(&r.count(&numbers(&train)));
        assert_eq!((same.psi, same.js, same.ks), (0.0, 0.0, Some(0.0)));
        // Halved values: most rows fall in the lower bins.
        let halved: Vec<Option<f64>> = train.iter().map(|v| v.map(|x| x / 2.0)).collect();
        let d = r.compare(&r.count(&numbers(&halved)));
        assert!(d.psi > 0.25 && d.js > 0.05 && d.ks.unwrap() > 0.3, "{d:?}");
        assert_eq!(status(d.psi, 0.1, 0.25), "alert");
        assert_eq!(status(same.psi, 0.1, 0.25), "ok");
        // The NULL bin is the last one and counted.
        assert_eq!(*r.counts().last().unwrap(), 20.0);
    }

    #[test]
    fn unseen_categories_have_their_own_bin() {
        let mut b = ColumnBuilder::new("c", ColumnKind::Categorical);
        for i in 0..300 {
            b.push_text(Some(["a", "b", "c"][i % 3]));
        }
        let r = Reference::of_column(&b.finish());
        let mut live = ColumnBuilder::new("c", ColumnKind::Categorical);
        for i in 0..300 {
            live.push_text(if i % 10 == 0 { None } else { Some(["a", "z"][i % 2]) });
        }
        let counts = r.count(&live.finish());
        // a, b, c, NULL, unseen: every tenth row NULL, the other even rows "a", the odd ones "z"
        assert_eq!(counts, vec![120.0, 0.0, 0.0, 30.0, 150.0]);
        let d = r.compare(&counts);
        assert!(d.ks.is_none() && d.psi > 1.0 && d.js > 0.3 && d.js <= 1.0);
        // Counted categories (as a distributed table's workers send them, a category split over
        // two of them) land in the same bins.
        let listed = [(Some("z"), 100.0), (Some("a"), 120.0), (None, 30.0), (Some("z"), 50.0)];
        assert_eq!(r.count_categories(listed), counts);
        // A numeric reference counts text as NULL, as it counts a text column.
        let n = Reference::numeric(&[1.0, 2.0, 3.0]);
        assert_eq!(n.count_categories(listed), n.all_null(300.0));
        assert_eq!(n.all_null(300.0)[n.null_bin()], 300.0);
    }

    #[test]
    fn jensen_shannon_is_one_for_disjoint_histograms() {
        let d = compare_counts(&[10.0, 0.0], &[0.0, 10.0], Some(2));
        assert!((d.js - 1.0).abs() < 1e-12 && d.ks == Some(1.0));
    }
}
