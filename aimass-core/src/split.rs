//! Train/test splits: random, stratified, by a column's value, or out-of-time by a column's order.
//! Deterministic under a seed (SplitMix64 + Fisher–Yates), independent of any crate's RNG.

use crate::data::{Column, ColumnData, MISSING_CODE};
use crate::error::{AimassError, Result};

/// The `split` argument of `aimass.train`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitSpec {
    Random,
    Stratified,
    /// Rows whose column equals `test` are the test set.
    Column(String),
    /// The latest `test_size` fraction by the column is the test set.
    Time(String),
}

impl SplitSpec {
    pub fn parse(s: &str) -> Result<SplitSpec> {
        let spec = match s.split_once(':') {
            None if s == "random" => SplitSpec::Random,
            None if s == "stratified" => SplitSpec::Stratified,
            Some(("column", c)) if !c.is_empty() => SplitSpec::Column(c.to_owned()),
            Some(("time", c)) if !c.is_empty() => SplitSpec::Time(c.to_owned()),
            _ => {
                return Err(AimassError::invalid_parameter(format!("unknown split \"{s}\""))
                    .with_hint("Use 'random', 'stratified', 'column:<name>' or 'time:<name>'."))
            }
        };
        Ok(spec)
    }

    /// The column the split reads, if any.
    pub fn column(&self) -> Option<&str> {
        match self {
            SplitSpec::Column(c) | SplitSpec::Time(c) => Some(c),
            _ => None,
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            SplitSpec::Random => "random".into(),
            SplitSpec::Stratified => "stratified".into(),
            SplitSpec::Column(c) => format!("column:{c}"),
            SplitSpec::Time(c) => format!("time:{c}"),
        }
    }
}

pub fn check_test_size(test_size: f64) -> Result<()> {
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(AimassError::invalid_parameter(format!(
            "test_size must be between 0 and 1 (exclusive), not {test_size}"
        )));
    }
    Ok(())
}

/// SplitMix64: a small, well-mixed, fully specified generator.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), by rejection so there is no modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

fn test_count(n: usize, test_size: f64) -> usize {
    ((n as f64 * test_size).round() as usize).min(n)
}

/// `is_test` for `n` rows drawn at random.
pub fn random(n: usize, test_size: f64, seed: u64) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..n).collect();
    SplitMix64::new(seed).shuffle(&mut idx);
    let mut is_test = vec![false; n];
    for &i in &idx[..test_count(n, test_size)] {
        is_test[i] = true;
    }
    is_test
}

/// `is_test` keeping each class's share of the labels (0/1) in both parts.
pub fn stratified(labels: &[f64], test_size: f64, seed: u64) -> Vec<bool> {
    let mut rng = SplitMix64::new(seed);
    let mut is_test = vec![false; labels.len()];
    for class in [0.0, 1.0] {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut idx);
        for &i in &idx[..test_count(idx.len(), test_size)] {
            is_test[i] = true;
        }
    }
    is_test
}

/// The fold (0..k) of each row for k-fold cross-validation: rows shuffled under `seed` and dealt
/// round-robin, within each class when `stratified` (0/1 labels), so every fold keeps the
/// classes' shares.
pub fn folds(labels: &[f64], k: usize, stratified: bool, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed);
    let mut fold = vec![0; labels.len()];
    let groups: Vec<Vec<usize>> = if stratified {
        [0.0, 1.0].iter().map(|&c| (0..labels.len()).filter(|&i| labels[i] == c).collect()).collect()
    } else {
        vec![(0..labels.len()).collect()]
    };
    let mut next = 0;
    for mut idx in groups {
        rng.shuffle(&mut idx);
        for i in idx {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

/// `is_test` where the column's value is the text `test`.
pub fn by_column(column: &Column) -> Result<Vec<bool>> {
    match &column.data {
        ColumnData::Categorical { codes, dictionary } => {
            let test = dictionary.iter().position(|d| d == "test").map(|p| p as u32);
            Ok(codes.iter().map(|&c| c != MISSING_CODE && Some(c) == test).collect())
        }
        ColumnData::Numeric(_) => Err(AimassError::new(
            crate::error::ErrorKind::DatatypeMismatch,
            format!(
                "split column \"{}\" must be a text column with the values 'train' and 'test'",
                column.name
            ),
        )),
    }
}

/// `is_test` for the latest `test_size` fraction of rows by `order` (NULLs count as oldest).
pub fn by_time(order: &[f64], test_size: f64) -> Vec<bool> {
    let mut idx: Vec<usize> = (0..order.len()).collect();
    let key = |i: usize| if order[i].is_nan() { f64::NEG_INFINITY } else { order[i] };
    idx.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
    let k = test_count(order.len(), test_size);
    let mut is_test = vec![false; order.len()];
    for &i in &idx[order.len() - k..] {
        is_test[i] = true;
    }
    is_test
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_folds_keep_the_class_shares() {
        let labels: Vec<f64> = (0..1000).map(|i| (i % 10 == 0) as u8 as f64).collect();
        let f = folds(&labels, 5, true, 7);
        for k in 0..5 {
            let rows: Vec<usize> = (0..1000).filter(|&i| f[i] == k).collect();
            assert_eq!(rows.len(), 200);
            assert_eq!(rows.iter().filter(|&&i| labels[i] == 1.0).count(), 20);
        }
    }

    #[test]
    fn parse_specs() {
        assert_eq!(SplitSpec::parse("column:split").unwrap(), SplitSpec::Column("split".into()));
        assert_eq!(SplitSpec::parse("time:applied_at").unwrap(), SplitSpec::Time("applied_at".into()));
        assert!(SplitSpec::parse("column:").is_err());
        assert!(SplitSpec::parse("kfold").is_err());
    }

    #[test]
    fn stratified_keeps_class_shares_and_is_deterministic() {
        let labels: Vec<f64> = (0..1000).map(|i| (i % 10 == 0) as u8 as f64).collect();
        let a = stratified(&labels, 0.2, 42);
        assert_eq!(a, stratified(&labels, 0.2, 42));
        assert_ne!(a, stratified(&labels, 0.2, 43));
        let test_pos = (0..1000).filter(|&i| a[i] && labels[i] == 1.0).count();
        assert_eq!(a.iter().filter(|&&t| t).count(), 200);
        assert_eq!(test_pos, 20);
    }

    #[test]
    fn time_split_takes_the_latest_rows() {
        let t = by_time(&[5.0, 1.0, 4.0, 2.0, 3.0], 0.4);
        assert_eq!(t, vec![true, false, true, false, false]);
    }

    #[test]
    fn test_size_bounds() {
        assert!(check_test_size(0.2).is_ok());
        assert!(check_test_size(-0.1).is_err());
        assert!(check_test_size(1.5).is_err());
        assert!(check_test_size(0.0).is_err());
    }
}
