//! Columnar data frames: what training and evaluation read a table into.
//!
//! Numeric (and boolean) columns are `f64` buffers with `NaN` standing for SQL NULL; text columns
//! are dictionary-encoded (`u32` codes into a list of distinct strings, `MISSING_CODE` for NULL).
//! Real NaN or infinite values are refused when a frame is filled, so NaN means missing only.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{AimassError, Result};

/// The code of a missing (NULL) value in a categorical column.
pub const MISSING_CODE: u32 = u32::MAX;

/// How a raw column is treated as a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Integers, floats, numeric.
    Numeric,
    /// Booleans, read as 0 / 1.
    Boolean,
    /// Text, one-hot encoded.
    Categorical,
}

/// A value of one cell as scoring receives it, before preprocessing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawValue<'a> {
    Null,
    Number(f64),
    Text(&'a str),
}

/// The text form of a number as PostgreSQL prints an integer or a float8 (`1`, `0.5`), used to
/// match numbers against text categories and labels.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// NaN and infinities as PostgreSQL spells them.
pub fn pg_float_text(x: f64) -> String {
    match x {
        x if x.is_nan() => "NaN".into(),
        f64::INFINITY => "Infinity".into(),
        f64::NEG_INFINITY => "-Infinity".into(),
        x => x.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    Numeric(Vec<f64>),
    Categorical { codes: Vec<u32>, dictionary: Vec<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub data: ColumnData,
    /// NaN and ±Infinity values a lenient builder stored as missing (always 0 otherwise).
    pub non_finite: usize,
}

impl Column {
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of NULL values.
    pub fn null_count(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            ColumnData::Categorical { codes, .. } => codes.iter().filter(|&&k| k == MISSING_CODE).count(),
        }
    }

    /// Number of distinct non-NULL values.
    pub fn distinct_present(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => crate::stats::distinct_sorted(&crate::stats::sorted_present(v)),
            ColumnData::Categorical { codes, dictionary } => {
                let mut seen = vec![false; dictionary.len()];
                codes.iter().filter(|&&k| k != MISSING_CODE).for_each(|&k| seen[k as usize] = true);
                seen.into_iter().filter(|&s| s).count()
            }
        }
    }

    /// The values of a text column row by row (`None` for NULL); `None` for a numeric column.
    pub fn text_values(&self) -> Option<Vec<Option<&str>>> {
        match &self.data {
            ColumnData::Categorical { codes, dictionary } => Some(
                codes
                    .iter()
                    .map(|&c| if c == MISSING_CODE { None } else { Some(dictionary[c as usize].as_str()) })
                    .collect(),
            ),
            ColumnData::Numeric(_) => None,
        }
    }

    /// A new column with only the rows at `rows`, in that order.
    pub fn take(&self, rows: &[usize]) -> Column {
        let data = match &self.data {
            ColumnData::Numeric(v) => ColumnData::Numeric(rows.iter().map(|&i| v[i]).collect()),
            ColumnData::Categorical { codes, dictionary } => ColumnData::Categorical {
                codes: rows.iter().map(|&i| codes[i]).collect(),
                dictionary: dictionary.clone(),
            },
        };
        Column { name: self.name.clone(), kind: self.kind, data, non_finite: 0 }
    }

    /// The value in row `i`, as scoring would see it.
    pub fn raw(&self, i: usize) -> RawValue<'_> {
        match &self.data {
            ColumnData::Numeric(v) if v[i].is_nan() => RawValue::Null,
            ColumnData::Numeric(v) => RawValue::Number(v[i]),
            ColumnData::Categorical { codes, dictionary } => match codes[i] {
                MISSING_CODE => RawValue::Null,
                c => RawValue::Text(&dictionary[c as usize]),
            },
        }
    }
}

/// FxHash (the rustc hasher): a fast non-cryptographic hash for dictionary lookups of category
/// text, many times cheaper than SipHash on short strings. Input comes from the caller's own
/// tables, so flooding resistance is not needed.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuildHasher = BuildHasherDefault<FxHasher>;

/// Builds one column value by value while a table is read in batches.
#[derive(Debug)]
pub struct ColumnBuilder {
    name: String,
    kind: ColumnKind,
    numbers: Vec<f64>,
    codes: Vec<u32>,
    dictionary: Vec<String>,
    lookup: HashMap<String, u32, FxBuildHasher>,
    lenient: bool,
    non_finite: usize,
}

impl ColumnBuilder {
    pub fn new(name: impl Into<String>, kind: ColumnKind) -> Self {
        Self {
            name: name.into(),
            kind,
            numbers: Vec::new(),
            codes: Vec::new(),
            dictionary: Vec::new(),
            lookup: HashMap::default(),
            lenient: false,
            non_finite: 0,
        }
    }

    /// A builder that stores NaN and ±Infinity as missing and counts them (for profiles, which
    /// report such values instead of refusing them).
    pub fn lenient(name: impl Into<String>, kind: ColumnKind) -> Self {
        Self { lenient: true, ..Self::new(name, kind) }
    }

    pub fn kind(&self) -> ColumnKind {
        self.kind
    }

    /// Appends a number (or NULL). NaN and infinities are refused: in aimass NaN means NULL.
    /// About the bytes the column holds so far (values, codes and the text dictionary twice:
    /// the list and the lookup).
    pub fn bytes(&self) -> u128 {
        let text: usize =
            self.dictionary.iter().map(|s| s.len() + 2 * std::mem::size_of::<String>() + 8).sum();
        (self.numbers.capacity() * 8 + self.codes.capacity() * 4 + 2 * text) as u128
    }

    pub fn push_number(&mut self, value: Option<f64>) -> Result<()> {
        match value {
            None => self.numbers.push(f64::NAN),
            Some(v) if v.is_finite() => self.numbers.push(v),
            Some(_) if self.lenient => {
                self.numbers.push(f64::NAN);
                self.non_finite += 1;
            }
            Some(v) => {
                return Err(AimassError::data(format!(
                    "column \"{}\" contains the value {}",
                    self.name,
                    pg_float_text(v)
                ))
                .with_detail("NaN and infinite values cannot be used as model inputs.")
                .with_hint("Replace them with NULL or a finite value."));
            }
        }
        Ok(())
    }

    /// Appends a text value (or NULL).
    pub fn push_text(&mut self, value: Option<&str>) {
        let code = match value {
            None => MISSING_CODE,
            Some(s) => match self.lookup.get(s) {
                Some(&c) => c,
                None => {
                    let c = self.dictionary.len() as u32;
                    self.dictionary.push(s.to_owned());
                    self.lookup.insert(s.to_owned(), c);
                    c
                }
            },
        };
        self.codes.push(code);
    }

    pub fn finish(self) -> Column {
        let data = match self.kind {
            ColumnKind::Categorical => {
                ColumnData::Categorical { codes: self.codes, dictionary: self.dictionary }
            }
            ColumnKind::Numeric | ColumnKind::Boolean => ColumnData::Numeric(self.numbers),
        };
        Column { name: self.name, kind: self.kind, data, non_finite: self.non_finite }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_dictionary_encodes_text_and_keeps_nulls() {
        let mut b = ColumnBuilder::new("home", ColumnKind::Categorical);
        for v in [Some("rent"), None, Some("owner"), Some("rent")] {
            b.push_text(v);
        }
        let c = b.finish();
        assert_eq!(c.raw(0), RawValue::Text("rent"));
        assert_eq!(c.raw(1), RawValue::Null);
        assert_eq!(c.raw(3), RawValue::Text("rent"));
        match &c.data {
            ColumnData::Categorical { dictionary, .. } => assert_eq!(dictionary.len(), 2),
            _ => panic!("not categorical"),
        }
    }

    #[test]
    fn builder_refuses_nan_and_infinity() {
        let mut b = ColumnBuilder::new("income", ColumnKind::Numeric);
        b.push_number(Some(1.0)).unwrap();
        b.push_number(None).unwrap();
        assert!(b.push_number(Some(f64::NAN)).is_err());
        assert!(b.push_number(Some(f64::INFINITY)).is_err());
        let c = b.finish();
        assert_eq!(c.raw(1), RawValue::Null);
        let mut b = ColumnBuilder::lenient("income", ColumnKind::Numeric);
        for v in [Some(1.0), Some(f64::NAN), None, Some(f64::NEG_INFINITY)] {
            b.push_number(v).unwrap();
        }
        let c = b.finish();
        assert_eq!((c.non_finite, c.raw(1), c.raw(3)), (2, RawValue::Null, RawValue::Null));
    }

    #[test]
    fn take_selects_rows_in_order() {
        let mut b = ColumnBuilder::new("x", ColumnKind::Numeric);
        for v in [1.0, 2.0, 3.0] {
            b.push_number(Some(v)).unwrap();
        }
        let c = b.finish().take(&[2, 0]);
        assert_eq!(c.data, ColumnData::Numeric(vec![3.0, 1.0]));
    }
}
