//! Default binning of a numeric variable, shared by profiles, the IV and PSI aggregates and drift:
//! bins at the distinct deciles, `[d_i, d_i+1)` as PostgreSQL's `width_bucket(x, edges)`, plus a
//! NULL bin. (Supervised binning methods for scorecards live with the risk toolkit.)

use crate::stats;

/// The distinct deciles (10 %, …, 90 %) of sorted present values: the edges of the default bins.
pub fn decile_edges(sorted: &[f64]) -> Vec<f64> {
    decile_edges_by_rank(sorted.len(), |r| sorted[r])
}

/// [`decile_edges`] of `n` values known through `at(rank)`, the value of 0-based rank `rank` in
/// ascending order (values held as distinct values with counts).
pub fn decile_edges_by_rank(n: usize, mut at: impl FnMut(usize) -> f64) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    distinct(
        (1..10)
            .map(|d| {
                stats::quantile_by_rank(n, d as f64 / 10.0, |r| Ok::<f64, ()>(at(r))).unwrap_or(f64::NAN)
            })
            .collect(),
    )
}

/// [`decile_edges`] of values in any order without NaN (reordered; no full sort).
pub fn decile_edges_selected(values: &mut [f64]) -> Vec<f64> {
    if values.is_empty() {
        return Vec::new();
    }
    let deciles: Vec<f64> = (1..10).map(|d| d as f64 / 10.0).collect();
    distinct(stats::quantiles_selected(values, &deciles))
}

fn distinct(mut edges: Vec<f64>) -> Vec<f64> {
    edges.dedup();
    edges
}

/// Number of bins for `edges`: one more than the edges, plus the NULL bin.
pub fn bin_count(edges: &[f64]) -> usize {
    edges.len() + 2
}

/// The bin of `x`: how many edges are ≤ x (as `width_bucket`); NaN (NULL) goes to the last bin.
#[inline]
pub fn bin_of(edges: &[f64], x: f64) -> usize {
    if x.is_nan() {
        edges.len() + 1
    } else {
        edges.partition_point(|&e| e <= x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_follow_width_bucket() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        let e = decile_edges(&sorted);
        assert_eq!(e.len(), 9);
        assert_eq!(e[0], 10.9);
        let mut shuffled: Vec<f64> = (1..=100).map(|i| ((i * 37) % 100 + 1) as f64).collect();
        assert_eq!(decile_edges_selected(&mut shuffled), e);
        assert_eq!(bin_of(&e, 1.0), 0);
        assert_eq!(bin_of(&e, 10.9), 1);
        assert_eq!(bin_of(&e, 1000.0), 9);
        assert_eq!(bin_of(&e, f64::NAN), 10);
        // Repeated deciles collapse: of 0, 0, 0, 1 the deciles 10 %…60 % are all 0.
        let e = decile_edges(&[0.0, 0.0, 0.0, 1.0]);
        assert_eq!((e.len(), e[0]), (4, 0.0));
    }
}
