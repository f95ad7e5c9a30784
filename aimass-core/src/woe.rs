//! Weight of evidence and information value of a binned feature against a binary target.
//!
//! For a bin with `bad` events and `good` non-events out of `B` and `G` in all:
//! `WOE = ln((bad / B) / (good / G))` and `IV = Σ (bad/B − good/G) · WOE`.
//! **Empty cells**: a bin with no bads or no goods would have an infinite WOE; such a bin counts
//! 1 in place of the zero, both in its WOE and in its IV term, so every bin has a finite WOE —
//! the convention of toad (`np_count(..., default=1)`), so figures match it exactly. Totals `B` and
//! `G` are the true counts.

/// The count an empty cell stands for.
pub const EMPTY_CELL: f64 = 1.0;

/// Event and non-event counts of one bin.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BinCounts {
    pub bad: f64,
    pub good: f64,
}

/// The WOE of one bin given the totals of all bins (both totals must be positive).
pub fn woe(bin: BinCounts, total_bad: f64, total_good: f64) -> f64 {
    let (b, g) = adjusted(bin);
    ((b / total_bad) / (g / total_good)).ln()
}

/// The information value of a binning; NaN when one class is absent from all bins.
pub fn information_value(bins: &[BinCounts]) -> f64 {
    let total_bad: f64 = bins.iter().map(|b| b.bad).sum();
    let total_good: f64 = bins.iter().map(|b| b.good).sum();
    if total_bad == 0.0 || total_good == 0.0 {
        return f64::NAN;
    }
    bins.iter().filter(|b| b.bad + b.good > 0.0).map(|&bin| iv_term(bin, total_bad, total_good)).sum()
}

/// One bin's term of the IV: `(bad/B − good/G) · WOE`, empty cells counting [`EMPTY_CELL`].
pub fn iv_term(bin: BinCounts, total_bad: f64, total_good: f64) -> f64 {
    let (b, g) = adjusted(bin);
    (b / total_bad - g / total_good) * woe(bin, total_bad, total_good)
}

fn adjusted(bin: BinCounts) -> (f64, f64) {
    let fix = |c: f64| if c == 0.0 { EMPTY_CELL } else { c };
    (fix(bin.bad), fix(bin.good))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iv_of_a_two_bin_split() {
        // 100 bads, 900 goods; bin A holds 80 bads and 300 goods.
        let bins = [BinCounts { bad: 80.0, good: 300.0 }, BinCounts { bad: 20.0, good: 600.0 }];
        let woe_a = (0.8f64 / (300.0 / 900.0)).ln();
        let woe_b = (0.2f64 / (600.0 / 900.0)).ln();
        let iv = (0.8 - 300.0 / 900.0) * woe_a + (0.2 - 600.0 / 900.0) * woe_b;
        assert!((woe(bins[0], 100.0, 900.0) - woe_a).abs() < 1e-12);
        assert!((information_value(&bins) - iv).abs() < 1e-12);
    }

    #[test]
    fn empty_cells_count_one() {
        let bins = [BinCounts { bad: 0.0, good: 10.0 }, BinCounts { bad: 5.0, good: 10.0 }];
        let w = woe(bins[0], 5.0, 20.0);
        assert!((w - ((1.0f64 / 5.0) / (10.0 / 20.0)).ln()).abs() < 1e-12);
        assert!(information_value(&bins).is_finite());
        assert!(information_value(&[BinCounts { bad: 0.0, good: 3.0 }]).is_nan());
    }
}
