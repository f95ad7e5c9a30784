//! Descriptive statistics shared by profiling, cleaning and preprocessing, defined once so every
//! part of aimass agrees: quantiles interpolate linearly between order statistics (as
//! PostgreSQL's `percentile_cont` and numpy's default), the standard deviation is the sample one
//! (as `stddev_samp`), and NaN stands for a missing value and is skipped.

/// The present (non-NaN) values, sorted ascending.
pub fn sorted_present(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The `q` quantile (0 ≤ q ≤ 1) of sorted, non-empty values, interpolating linearly.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    quantile_by_rank(sorted.len(), q, |r| Ok::<f64, ()>(sorted[r])).unwrap_or(f64::NAN)
}

/// [`quantile_sorted`] of `n` values known only through `at(rank)`, the value of 0-based rank
/// `rank` in ascending order (a distributed table's order statistics, found by pushed-down
/// queries): the linear interpolation between the two ranks around `q · (n − 1)`.
pub fn quantile_by_rank<E>(
    n: usize,
    q: f64,
    mut at: impl FnMut(usize) -> std::result::Result<f64, E>,
) -> std::result::Result<f64, E> {
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    let low = at(lo)?;
    if frac == 0.0 {
        Ok(low)
    } else {
        Ok(low + frac * (at(hi)? - low))
    }
}

/// The `qs` quantiles (ascending, each in [0, 1]) of non-empty values without NaN, equal to
/// [`quantile_sorted`] of the sorted values, found by selection instead of a full sort (the
/// values are reordered).
pub fn quantiles_selected(values: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = values.len();
    debug_assert!(n > 0 && qs.windows(2).all(|w| w[0] <= w[1]));
    // `values[..done]` holds the smallest `done` values; each position selected so far holds its
    // order statistic (the positions asked for never go down, as the quantiles do not).
    let mut done = 0;
    let mut out = Vec::with_capacity(qs.len());
    let order_statistic = |k: usize, values: &mut [f64], done: &mut usize| -> f64 {
        if k >= *done {
            values[*done..].select_nth_unstable_by(k - *done, f64::total_cmp);
            *done = k + 1;
        }
        values[k]
    };
    for &q in qs {
        let pos = q * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let frac = pos - lo as f64;
        let low = order_statistic(lo, values, &mut done);
        out.push(if frac == 0.0 {
            low
        } else {
            let high = order_statistic((lo + 1).min(n - 1), values, &mut done);
            low + frac * (high - low)
        });
    }
    out
}

/// The median of sorted, non-empty values (the mean of the two middle ones for an even count).
pub fn median_sorted(sorted: &[f64]) -> f64 {
    quantile_sorted(sorted, 0.5)
}

/// Mean of non-empty values.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (n − 1 in the denominator); NaN for fewer than two values.
pub fn sample_sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// Median absolute deviation from the median, unscaled, of sorted non-empty values.
pub fn mad_sorted(sorted: &[f64]) -> f64 {
    let med = median_sorted(sorted);
    let mut dev: Vec<f64> = sorted.iter().map(|v| (v - med).abs()).collect();
    dev.sort_unstable_by(f64::total_cmp);
    median_sorted(&dev)
}

/// The most frequent value of sorted, non-empty values; the smallest one on ties.
pub fn mode_sorted(sorted: &[f64]) -> f64 {
    let (mut best, mut best_n) = (sorted[0], 0usize);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        if j - i > best_n {
            best = sorted[i];
            best_n = j - i;
        }
        i = j;
    }
    best
}

/// Number of distinct values among sorted values.
pub fn distinct_sorted(sorted: &[f64]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

/// The Tukey fences `[Q1 − k·IQR, Q3 + k·IQR]` of sorted, non-empty values.
pub fn iqr_fences(sorted: &[f64], k: f64) -> (f64, f64) {
    let q1 = quantile_sorted(sorted, 0.25);
    let q3 = quantile_sorted(sorted, 0.75);
    let iqr = q3 - q1;
    (q1 - k * iqr, q3 + k * iqr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_percentile_cont() {
        // SELECT percentile_cont(ARRAY[0, 0.1, 0.25, 0.5, 0.99, 1]) WITHIN GROUP (ORDER BY x)
        //   FROM unnest('{1,2,3,4,10}'::float8[]) x;  →  {1,1.4,2,3,9.76,10}
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        let got: Vec<f64> =
            [0.0, 0.1, 0.25, 0.5, 0.99, 1.0].iter().map(|&q| quantile_sorted(&v, q)).collect();
        let want = [1.0, 1.4, 2.0, 3.0, 9.76, 10.0];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        assert_eq!(median_sorted(&[1.0, 2.0, 4.0, 8.0]), 3.0);
    }

    #[test]
    fn spread_and_centre() {
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&v), 5.0);
        assert!((sample_sd(&v) - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(mode_sorted(&v), 4.0);
        assert_eq!(distinct_sorted(&v), 5);
        assert_eq!(mad_sorted(&v), 0.5);
        assert!(sample_sd(&[1.0]).is_nan());
        assert_eq!(sorted_present(&[3.0, f64::NAN, 1.0]), vec![1.0, 3.0]);
    }

    #[test]
    fn quantiles_by_selection_equal_those_of_the_sorted_values() {
        let mut rng = crate::split::SplitMix64::new(3);
        for n in [1, 2, 5, 10, 1001] {
            let values: Vec<f64> = (0..n).map(|_| rng.below(50) as f64 / 4.0 - 3.0).collect();
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            let qs = [0.0, 0.1, 0.25, 0.5, 0.5, 0.55, 0.75, 0.9, 0.999, 1.0];
            let expected: Vec<f64> = qs.iter().map(|&q| quantile_sorted(&sorted, q)).collect();
            assert_eq!(quantiles_selected(&mut values.clone(), &qs), expected, "{n} values");
        }
    }

    #[test]
    fn fences() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(iqr_fences(&v, 1.5), (-1.0, 7.0));
    }
}
