//! The preprocessing recipe: fitted on the training rows, stored in the model, and applied to every
//! row at scoring time exactly as at training time.
//!
//! Numeric and boolean features: NULL → the training median (or mean), then standardized with the
//! training mean and standard deviation. Text features: one-hot over the training categories (the
//! `max_categories` most frequent ones), plus an explicit *missing* column for NULL and an *unseen*
//! column for a category that training did not keep.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::data::{number_text, Column, ColumnData, ColumnKind, RawValue, MISSING_CODE};
use crate::core::error::{AimassError, Result};
use crate::core::json_options::Options;

/// How NULLs in numeric features are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    Median,
    Mean,
}

/// The user's preprocessing choices (the `preprocess` argument of `aimass.train`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreprocessOptions {
    pub impute: Impute,
    pub standardize: bool,
    pub max_categories: usize,
}

impl Default for PreprocessOptions {
    fn default() -> Self {
        Self { impute: Impute::Median, standardize: true, max_categories: 100 }
    }
}

impl PreprocessOptions {
    /// Parses `{"impute": "median"|"mean", "scale": "standard"|"none", "max_categories": n}`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "preprocess")?;
        let mut out = Self::default();
        if let Some(s) = o.string("impute")? {
            out.impute = match s.as_str() {
                "median" => Impute::Median,
                "mean" => Impute::Mean,
                other => {
                    return Err(AimassError::invalid_parameter(format!(
                        "unknown preprocess impute method \"{other}\""
                    ))
                    .with_hint("Use \"median\" or \"mean\"."))
                }
            };
        }
        if let Some(s) = o.string("scale")? {
            out.standardize = match s.as_str() {
                "standard" => true,
                "none" => false,
                other => {
                    return Err(AimassError::invalid_parameter(format!(
                        "unknown preprocess scale \"{other}\""
                    ))
                    .with_hint("Use \"standard\" or \"none\"."))
                }
            };
        }
        if let Some(n) = o.integer("max_categories", 1, 10_000)? {
            out.max_categories = n as usize;
        }
        o.finish()?;
        Ok(out)
    }
}

/// One raw feature and its fitted transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStep {
    /// A numeric or boolean column: fill, then `(x - center) / scale`.
    Numeric { name: String, boolean: bool, fill: f64, center: f64, scale: f64 },
    /// A text column: one-hot over `levels` (sorted), then a missing and an unseen column.
    Categorical { name: String, levels: Vec<String> },
}

impl FeatureStep {
    pub fn name(&self) -> &str {
        match self {
            FeatureStep::Numeric { name, .. } | FeatureStep::Categorical { name, .. } => name,
        }
    }

    pub fn kind(&self) -> ColumnKind {
        match self {
            FeatureStep::Numeric { boolean: true, .. } => ColumnKind::Boolean,
            FeatureStep::Numeric { .. } => ColumnKind::Numeric,
            FeatureStep::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// How many model inputs this feature becomes.
    pub fn width(&self) -> usize {
        match self {
            FeatureStep::Numeric { .. } => 1,
            FeatureStep::Categorical { levels, .. } => levels.len() + 2,
        }
    }

    /// Writes this feature's model inputs for one raw value into `out` (of length `width()`).
    /// Fails only on a value of the wrong kind (text for a numeric feature).
    #[inline]
    pub fn encode(&self, value: RawValue<'_>, out: &mut [f64]) -> Result<()> {
        match self {
            FeatureStep::Numeric { name, fill, center, scale, .. } => {
                let x = match value {
                    RawValue::Null => *fill,
                    RawValue::Number(x) if x.is_finite() => x,
                    RawValue::Number(x) => {
                        return Err(AimassError::data(format!(
                            "feature \"{name}\" has the value {}",
                            crate::core::data::pg_float_text(x)
                        ))
                        .with_detail("NaN and infinite values cannot be scored."))
                    }
                    RawValue::Text(_) => {
                        return Err(AimassError::new(
                            crate::core::error::ErrorKind::DatatypeMismatch,
                            format!("feature \"{name}\" is numeric but was given text"),
                        ))
                    }
                };
                out[0] = (x - center) / scale;
            }
            FeatureStep::Categorical { levels, .. } => {
                out.fill(0.0);
                let slot = match value {
                    RawValue::Null => levels.len(),
                    RawValue::Text(s) => {
                        levels.binary_search_by(|l| l.as_str().cmp(s)).unwrap_or(levels.len() + 1)
                    }
                    RawValue::Number(x) => {
                        // A number given for a text feature (e.g. from jsonb): match its text form.
                        let s = number_text(x);
                        levels.binary_search(&s).unwrap_or(levels.len() + 1)
                    }
                };
                out[slot] = 1.0;
            }
        }
        Ok(())
    }

    /// Names of the model inputs this feature becomes, for reports.
    pub fn input_names(&self) -> Vec<String> {
        match self {
            FeatureStep::Numeric { name, .. } => vec![name.clone()],
            FeatureStep::Categorical { name, levels } => levels
                .iter()
                .map(|l| format!("{name}={l}"))
                .chain([format!("{name}:missing"), format!("{name}:unseen")])
                .collect(),
        }
    }
}

/// The fitted preprocessing of all features, in model order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub options: PreprocessOptions,
    pub steps: Vec<FeatureStep>,
}

impl Recipe {
    /// Fits the recipe on the given feature columns (the training rows only).
    pub fn fit(features: &[&Column], options: &PreprocessOptions) -> Result<Recipe> {
        let steps = features.iter().map(|c| fit_step(c, options)).collect::<Result<Vec<_>>>()?;
        Ok(Recipe { options: options.clone(), steps })
    }

    /// Number of model inputs.
    pub fn width(&self) -> usize {
        self.steps.iter().map(FeatureStep::width).sum()
    }

    pub fn input_names(&self) -> Vec<String> {
        self.steps.iter().flat_map(FeatureStep::input_names).collect()
    }

    /// Column ranges of each one-hot group in the model inputs (for reference coding).
    pub fn one_hot_groups(&self) -> Vec<std::ops::Range<usize>> {
        let mut at = 0;
        let mut groups = Vec::new();
        for s in &self.steps {
            if let FeatureStep::Categorical { .. } = s {
                groups.push(at..at + s.width());
            }
            at += s.width();
        }
        groups
    }

    /// Encodes one row of raw values (in step order) into `out` (of length `width()`).
    #[inline]
    pub fn encode_row(&self, values: &[RawValue<'_>], out: &mut [f64]) -> Result<()> {
        let mut at = 0;
        for (step, v) in self.steps.iter().zip(values) {
            let w = step.width();
            step.encode(*v, &mut out[at..at + w])?;
            at += w;
        }
        Ok(())
    }

    /// Encodes a whole frame (whose columns are the features, in step order) into a row-major
    /// matrix of `n_rows × width()`.
    pub fn encode_frame(&self, columns: &[&Column]) -> Result<ndarray::Array2<f64>> {
        let n = columns.first().map_or(0, |c| c.len());
        let width = self.width();
        let mut x = ndarray::Array2::<f64>::zeros((n, width));
        let mut raw = Vec::with_capacity(columns.len());
        for (i, mut row) in x.rows_mut().into_iter().enumerate() {
            raw.clear();
            raw.extend(columns.iter().map(|c| c.raw(i)));
            let slice = row.as_slice_mut().ok_or_else(|| AimassError::internal("matrix not contiguous"))?;
            self.encode_row(&raw, slice)?;
        }
        Ok(x)
    }
}

fn fit_step(column: &Column, options: &PreprocessOptions) -> Result<FeatureStep> {
    match &column.data {
        ColumnData::Numeric(values) => {
            let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            if present.is_empty() {
                return Err(AimassError::data(format!(
                    "feature \"{}\" has only NULL values in the training rows",
                    column.name
                ))
                .with_hint("Exclude it with exclude => ARRAY['...'] or fill it first."));
            }
            let n = present.len() as f64;
            let mean = present.iter().sum::<f64>() / n;
            let fill = match options.impute {
                Impute::Mean => mean,
                Impute::Median => median(&present),
            };
            // Statistics of the column after filling, so standardized inputs have mean 0, sd 1.
            let missing = (values.len() - present.len()) as f64;
            let total = values.len() as f64;
            let filled_mean = (mean * n + fill * missing) / total;
            let var = (present.iter().map(|v| (v - filled_mean).powi(2)).sum::<f64>()
                + missing * (fill - filled_mean).powi(2))
                / total;
            let sd = var.sqrt();
            let (center, scale) = if options.standardize && sd > 0.0 && sd.is_finite() {
                (filled_mean, sd)
            } else {
                (0.0, 1.0)
            };
            Ok(FeatureStep::Numeric {
                name: column.name.clone(),
                boolean: column.kind == ColumnKind::Boolean,
                fill,
                center,
                scale,
            })
        }
        ColumnData::Categorical { codes, dictionary } => {
            let mut counts = vec![0usize; dictionary.len()];
            for &c in codes {
                if c != MISSING_CODE {
                    counts[c as usize] += 1;
                }
            }
            let mut order: Vec<usize> = (0..dictionary.len()).filter(|&i| counts[i] > 0).collect();
            // Most frequent first; ties by name so the choice is deterministic.
            order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(dictionary[a].cmp(&dictionary[b])));
            order.truncate(options.max_categories);
            let mut levels: Vec<String> = order.into_iter().map(|i| dictionary[i].clone()).collect();
            levels.sort();
            Ok(FeatureStep::Categorical { name: column.name.clone(), levels })
        }
    }
}

/// Median of non-empty values (mean of the two middle ones for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::data::ColumnBuilder;

    fn numeric(name: &str, values: &[Option<f64>]) -> Column {
        let mut b = ColumnBuilder::new(name, ColumnKind::Numeric);
        for v in values {
            b.push_number(*v).unwrap();
        }
        b.finish()
    }

    fn text(name: &str, values: &[Option<&str>]) -> Column {
        let mut b = ColumnBuilder::new(name, ColumnKind::Categorical);
        for v in values {
            b.push_text(*v);
        }
        b.finish()
    }

    #[test]
    fn numeric_nulls_get_the_training_median_then_standardized() {
        let c = numeric("x", &[Some(1.0), Some(2.0), None, Some(10.0)]);
        let r = Recipe::fit(&[&c], &PreprocessOptions::default()).unwrap();
        let FeatureStep::Numeric { fill, center, scale, .. } = r.steps[0] else { panic!() };
        assert_eq!(fill, 2.0);
        assert!((center - 3.75).abs() < 1e-12);
        let mut out = [0.0];
        r.encode_row(&[RawValue::Null], &mut out).unwrap();
        assert!((out[0] - (2.0 - 3.75) / scale).abs() < 1e-12);
        // The encoded training column has mean 0 and standard deviation 1.
        let x = r.encode_frame(&[&c]).unwrap();
        let mean = x.column(0).sum() / 4.0;
        let var = x.column(0).mapv(|v| (v - mean).powi(2)).sum() / 4.0;
        assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12);
    }

    #[test]
    fn categorical_has_missing_and_unseen_columns() {
        let c = text("home", &[Some("rent"), Some("owner"), None, Some("rent")]);
        let r = Recipe::fit(&[&c], &PreprocessOptions::default()).unwrap();
        assert_eq!(r.width(), 4);
        assert_eq!(r.input_names(), ["home=owner", "home=rent", "home:missing", "home:unseen"]);
        let mut out = [0.0; 4];
        r.encode_row(&[RawValue::Text("rent")], &mut out).unwrap();
        assert_eq!(out, [0.0, 1.0, 0.0, 0.0]);
        r.encode_row(&[RawValue::Null], &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0, 1.0, 0.0]);
        r.encode_row(&[RawValue::Text("castle")], &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn max_categories_keeps_the_most_frequent() {
        let c = text("s", &[Some("a"), Some("b"), Some("b"), Some("c"), Some("c"), Some("c")]);
        let o = PreprocessOptions { max_categories: 2, ..Default::default() };
        let r = Recipe::fit(&[&c], &o).unwrap();
        assert_eq!(
            r.steps[0],
            FeatureStep::Categorical { name: "s".into(), levels: vec!["b".into(), "c".into()] }
        );
    }

    #[test]
    fn all_null_feature_is_an_error() {
        let c = numeric("x", &[None, None]);
        let e = Recipe::fit(&[&c], &PreprocessOptions::default()).unwrap_err();
        assert!(e.message.contains("only NULL"));
    }

    #[test]
    fn options_reject_unknown_keys_and_values() {
        assert!(PreprocessOptions::from_json(&serde_json::json!({"impute": "mode"})).is_err());
        assert!(PreprocessOptions::from_json(&serde_json::json!({"imputer": "mean"})).is_err());
        let o =
            PreprocessOptions::from_json(&serde_json::json!({"impute": "mean", "scale": "none"})).unwrap();
        assert_eq!(o.impute, Impute::Mean);
        assert!(!o.standardize);
    }
}
