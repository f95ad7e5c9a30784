//! Population stability: how far a distribution moved from a reference one.
//!
//! `PSI = Σ (a_i − e_i) · ln(a_i / e_i)` over bins, with `e_i` the reference share and `a_i` the
//! actual share of bin i. A bin empty on one side counts 1 in place of the zero (as WOE does),
//! so PSI is always finite (toad instead leaves such bins out; with no empty bins both agree). Numeric values use the reference's default bins (distinct deciles
//! plus a NULL bin, see [`crate::binning`]); text values one bin per category plus NULL.

use crate::binning;

/// PSI between two histograms over the same bins (counts, not shares).
pub fn psi_counts(reference: &[f64], actual: &[f64]) -> f64 {
    let (tr, ta): (f64, f64) = (reference.iter().sum(), actual.iter().sum());
    if tr == 0.0 || ta == 0.0 {
        return f64::NAN;
    }
    let fix = |c: f64| if c == 0.0 { crate::woe::EMPTY_CELL } else { c };
    reference
        .iter()
        .zip(actual)
        .filter(|(r, a)| **r + **a > 0.0)
        .map(|(&r, &a)| {
            let (e, x) = (fix(r) / tr, fix(a) / ta);
            (x - e) * (x / e).ln()
        })
        .sum()
}

/// PSI of numeric values (NaN = NULL), `is_reference` marking the reference rows.
pub fn psi_numeric(values: &[f64], is_reference: &[bool]) -> f64 {
    let mut reference: Vec<f64> =
        values.iter().zip(is_reference).filter(|(v, &r)| r && !v.is_nan()).map(|(v, _)| *v).collect();
    reference.sort_unstable_by(f64::total_cmp);
    let edges = binning::decile_edges(&reference);
    let mut r = vec![0.0; binning::bin_count(&edges)];
    let mut a = r.clone();
    for (&v, &is_ref) in values.iter().zip(is_reference) {
        let b = binning::bin_of(&edges, v);
        if is_ref {
            r[b] += 1.0
        } else {
            a[b] += 1.0
        }
    }
    psi_counts(&r, &a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_of_a_shift() {
        assert_eq!(psi_counts(&[50.0, 50.0], &[50.0, 50.0]), 0.0);
        let p = psi_counts(&[50.0, 50.0], &[20.0, 80.0]);
        let want = (0.2f64 - 0.5) * (0.2f64 / 0.5).ln() + (0.8f64 - 0.5) * (0.8f64 / 0.5).ln();
        assert!((p - want).abs() < 1e-12);
        // Same distribution → 0; a shifted copy → large.
        let v: Vec<f64> = (0..1000).map(|i| (i % 100) as f64).collect();
        let mut values = v.clone();
        values.extend(v.iter().map(|x| x + 50.0));
        let flags: Vec<bool> = (0..2000).map(|i| i < 1000).collect();
        assert!(psi_numeric(&values, &flags) > 1.0);
        let same: Vec<f64> = v.iter().chain(&v).copied().collect();
        assert!(psi_numeric(&same, &flags).abs() < 1e-12);
    }
}
