//! The `preprocess` argument of `aimass.train`: defaults for all columns at the top level, and a
//! `"columns": {"Income": {...}}` object whose entries override them for one column.
//!
//! ```json
//! {"impute": "median", "scale": "robust", "encode": "one_hot", "max_categories": 50,
//!  "clip": [0.01, 0.99],
//!  "columns": {"merchant": {"encode": "hashing", "buckets": 64},
//!              "income":   {"impute": "constant", "fill_value": 0}}}
//! ```
//! A top-level choice applies to the columns it suits (`median` to numeric ones, `one_hot` to
//! text ones); naming a choice for a column it does not suit is an error.

use serde_json::Value;
use std::collections::BTreeMap;

use crate::error::{AimassError, Result};
use crate::json_options::Options;

/// How NULLs are filled. `None` in [`ColumnOptions::impute`] means the kind's default: the median
/// for numeric columns, a category of its own for text columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impute {
    Mean,
    Median,
    Mode,
    Zero,
    Constant,
    /// NULL stays missing for the model (tree models send it down a branch of its own).
    Keep,
    /// Training refuses NULLs in the column; scoring fills a NULL like `median` (numeric) or
    /// gives it the missing category (text), since scoring never fails on a NULL.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Standard,
    MinMax,
    Robust,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encode {
    OneHot,
    Ordinal,
    Target,
    Woe,
    Hashing,
}

/// Where a column's bins come from: a method fitted on the training rows, or a binning stored by
/// `aimass.bin` (its bins, with counts and WOE recomputed on the training rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinningSpec {
    Method(crate::woe_binning::Method),
    Stored(i64),
}

/// A fill value given with `"impute": "constant"`.
#[derive(Debug, Clone, PartialEq)]
pub enum FillValue {
    Number(f64),
    Text(String),
}

/// The choices for one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnOptions {
    pub impute: Option<Impute>,
    pub fill_value: Option<FillValue>,
    pub scale: Scale,
    pub encode: Encode,
    pub max_categories: usize,
    pub buckets: usize,
    pub smoothing: f64,
    /// Clip numeric values to these training quantiles.
    pub clip: Option<(f64, f64)>,
    /// Encode the column by the WOE of its supervised bins (numeric or text; binary targets).
    pub binning: Option<BinningSpec>,
    pub binning_options: crate::woe_binning::BinningOptions,
}

impl Default for ColumnOptions {
    fn default() -> Self {
        Self {
            impute: None,
            fill_value: None,
            scale: Scale::Standard,
            encode: Encode::OneHot,
            max_categories: 100,
            buckets: 32,
            smoothing: 10.0,
            clip: None,
            binning: None,
            binning_options: Default::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreprocessOptions {
    pub defaults: ColumnOptions,
    /// Per-column choices, the defaults overridden by the column's entry.
    pub columns: BTreeMap<String, ColumnOptions>,
    /// The columns whose entry set each key, to tell an explicit choice from a default.
    pub explicit: BTreeMap<String, Vec<&'static str>>,
}

const KEYS: [&str; 10] = [
    "impute",
    "fill_value",
    "scale",
    "encode",
    "max_categories",
    "buckets",
    "smoothing",
    "clip",
    "binning",
    "binning_options",
];

impl PreprocessOptions {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "preprocess")?;
        let defaults = read_column(&mut o, ColumnOptions::default(), "preprocess")?;
        let mut columns = BTreeMap::new();
        let mut explicit = BTreeMap::new();
        if let Some(cols) = o.object("columns")? {
            for (name, entry) in cols {
                let what = "preprocess column option";
                let mut co = Options::new(entry, what)?;
                let set: Vec<&'static str> =
                    KEYS.iter().copied().filter(|k| entry.get(*k).is_some_and(|v| !v.is_null())).collect();
                let c = read_column(&mut co, defaults.clone(), what)?;
                co.finish()?;
                columns.insert(name.clone(), c);
                explicit.insert(name.clone(), set);
            }
        }
        o.finish()?;
        Ok(Self { defaults, columns, explicit })
    }

    /// For scorecards: tree binning for every column that names no binning method (and no
    /// encoding of its own).
    pub fn bin_everything_by_default(&mut self) {
        let method = self.defaults.binning.unwrap_or(BinningSpec::Method(crate::woe_binning::Method::Tree));
        self.defaults.binning = Some(method);
        for (name, c) in self.columns.iter_mut() {
            let own_encode = self.explicit.get(name).is_some_and(|k| k.contains(&"encode"));
            if c.binning.is_none() && !own_encode {
                c.binning = Some(method);
            }
        }
    }

    /// The ids of stored binnings the options name.
    pub fn stored_binnings(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = std::iter::once(&self.defaults)
            .chain(self.columns.values())
            .filter_map(|c| match c.binning {
                Some(BinningSpec::Stored(id)) => Some(id),
                _ => None,
            })
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// For tree models: numeric NULLs stay missing unless an impute method is named.
    pub fn keep_missing_by_default(&mut self) {
        if self.defaults.impute.is_none() {
            self.defaults.impute = Some(Impute::Keep);
        }
        for (name, c) in self.columns.iter_mut() {
            let own = self.explicit.get(name).is_some_and(|k| k.contains(&"impute"));
            if c.impute.is_none() && !own {
                c.impute = Some(Impute::Keep);
            }
        }
    }

    /// The options of one column.
    pub fn column(&self, name: &str) -> &ColumnOptions {
        self.columns.get(name).unwrap_or(&self.defaults)
    }

    /// Whether `key` was set in the column's own entry.
    pub fn is_explicit(&self, name: &str, key: &str) -> bool {
        self.explicit.get(name).is_some_and(|k| k.contains(&key))
    }

    /// Fails on a `columns` entry that names no feature.
    pub fn check_columns(&self, features: &[&str]) -> Result<()> {
        for name in self.columns.keys() {
            if !features.contains(&name.as_str()) {
                return Err(AimassError::invalid_parameter(format!(
                    "preprocess names column \"{name}\", which is not a feature"
                ))
                .with_detail(format!("The features are: {}.", features.join(", "))));
            }
        }
        Ok(())
    }
}

fn read_column(o: &mut Options<'_>, base: ColumnOptions, what: &str) -> Result<ColumnOptions> {
    let mut c = base;
    if let Some(s) = o.string("impute")? {
        c.impute = Some(match s.as_str() {
            "mean" => Impute::Mean,
            "median" => Impute::Median,
            "mode" => Impute::Mode,
            "zero" => Impute::Zero,
            "constant" => Impute::Constant,
            "error" => Impute::Error,
            "keep" => Impute::Keep,
            other => {
                return Err(unknown(
                    what,
                    "impute",
                    other,
                    "mean, median, mode, zero, constant, keep or error",
                ))
            }
        });
    }
    if let Some(v) = o.value("fill_value") {
        c.fill_value = Some(match v {
            Value::Number(n) => FillValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => FillValue::Text(s.clone()),
            other => {
                return Err(AimassError::invalid_parameter(format!(
                    "{what} \"fill_value\" must be a number or a string, not {other}"
                )))
            }
        });
    }
    if c.impute == Some(Impute::Constant) && c.fill_value.is_none() {
        return Err(AimassError::invalid_parameter(format!(
            "{what} \"impute\": \"constant\" needs a \"fill_value\""
        )));
    }
    if let Some(s) = o.string("scale")? {
        c.scale = match s.as_str() {
            "standard" => Scale::Standard,
            "min_max" => Scale::MinMax,
            "robust" => Scale::Robust,
            "none" => Scale::None,
            other => return Err(unknown(what, "scale", other, "standard, min_max, robust or none")),
        };
    }
    if let Some(s) = o.string("encode")? {
        c.encode = match s.as_str() {
            "one_hot" => Encode::OneHot,
            "ordinal" => Encode::Ordinal,
            "target" => Encode::Target,
            "woe" => Encode::Woe,
            "hashing" => Encode::Hashing,
            other => return Err(unknown(what, "encode", other, "one_hot, ordinal, target, woe or hashing")),
        };
    }
    if let Some(n) = o.integer("max_categories", 1, 10_000)? {
        c.max_categories = n as usize;
    }
    if let Some(n) = o.integer("buckets", 2, 65_536)? {
        c.buckets = n as usize;
    }
    if let Some(x) = o.number("smoothing", 0.0, 1e12)? {
        c.smoothing = x;
    }
    if let Some(v) = o.value("clip") {
        let q: Option<Vec<f64>> = v.as_array().and_then(|a| a.iter().map(Value::as_f64).collect());
        match q.as_deref() {
            Some(&[lo, hi]) if (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi) && lo < hi => {
                c.clip = Some((lo, hi))
            }
            _ => {
                return Err(AimassError::invalid_parameter(format!(
                    "{what} \"clip\" must be two quantiles [low, high] with 0 <= low < high <= 1, not {v}"
                )))
            }
        }
    }
    if let Some(v) = o.value("binning") {
        c.binning = Some(match (v.as_str(), v.as_i64()) {
            (Some(m), _) => BinningSpec::Method(crate::woe_binning::Method::parse(m)?),
            (_, Some(id)) => BinningSpec::Stored(id),
            _ => {
                return Err(AimassError::invalid_parameter(format!(
                    "{what} \"binning\" must be a method name or the id of a stored binning, not {v}"
                )))
            }
        });
    }
    if let Some(v) = o.value("binning_options") {
        c.binning_options = crate::woe_binning::BinningOptions::from_json(v)?;
    }
    Ok(c)
}

fn unknown(what: &str, key: &str, value: &str, known: &str) -> AimassError {
    AimassError::invalid_parameter(format!("unknown {what} {key} \"{value}\""))
        .with_hint(format!("Use {known}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn column_entries_override_the_defaults() {
        let o = PreprocessOptions::from_json(&json!({
            "impute": "mean", "scale": "robust",
            "columns": {"m": {"encode": "hashing", "buckets": 8}}
        }))
        .unwrap();
        assert_eq!(o.column("x").impute, Some(Impute::Mean));
        let m = o.column("m");
        assert_eq!((m.encode, m.buckets, m.scale), (Encode::Hashing, 8, Scale::Robust));
        assert!(o.is_explicit("m", "encode") && !o.is_explicit("m", "scale"));
        assert!(o.check_columns(&["x"]).is_err());
        assert!(o.check_columns(&["x", "m"]).is_ok());
    }

    #[test]
    fn bad_options_are_errors() {
        for bad in [
            json!({"impute": "magic"}),
            json!({"imputer": "mean"}),
            json!({"impute": "constant"}),
            json!({"clip": [0.9, 0.1]}),
            json!({"clip": "yes"}),
            json!({"buckets": 1}),
            json!({"columns": {"x": {"scale": "log"}}}),
            json!({"columns": {"x": {"colour": 1}}}),
            json!({"columns": []}),
            json!({"fill_value": [1]}),
        ] {
            assert!(PreprocessOptions::from_json(&bad).is_err(), "{bad}");
        }
    }
}
