//! The preprocessing recipe: fitted on the training rows, stored in the model, and applied to every
//! row at scoring time exactly as at training time.
//!
//! Numeric and boolean features: NULL → the fill value (median by default), then clipped to
//! training quantiles if asked, then scaled (standard by default). Text features: one-hot over
//! the training categories by default (the `max_categories` most frequent ones, plus a *missing*
//! and an *unseen* column), or ordinal, target (smoothed mean), WOE or hashing encoding. Unseen
//! categories and NULLs never fail at scoring.

mod binned;
mod categorical;
mod numeric;
pub mod options;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use binned::BinnedStep;
pub use categorical::{CategoricalStep, Encoding};
pub use numeric::NumericStep;
pub use options::{BinningSpec, ColumnOptions, Encode, Impute, PreprocessOptions, Scale};

/// Binnings stored by `aimass.bin`, by id, that preprocessing options may name.
pub type StoredBinnings = std::collections::BTreeMap<i64, Vec<crate::woe_binning::ColumnBinning>>;

use crate::data::{Column, ColumnData, ColumnKind, RawValue, MISSING_CODE};
use crate::error::{AimassError, Result};
use crate::task::Task;

/// One raw feature and its fitted transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStep {
    Numeric(NumericStep),
    Categorical(CategoricalStep),
    Binned(BinnedStep),
}

impl FeatureStep {
    pub fn name(&self) -> &str {
        match self {
            FeatureStep::Numeric(s) => &s.name,
            FeatureStep::Categorical(s) => &s.name,
            FeatureStep::Binned(s) => &s.name,
        }
    }

    pub fn kind(&self) -> ColumnKind {
        match self {
            FeatureStep::Numeric(s) if s.boolean => ColumnKind::Boolean,
            FeatureStep::Numeric(_) => ColumnKind::Numeric,
            FeatureStep::Categorical(_) => ColumnKind::Categorical,
            FeatureStep::Binned(s) if s.numeric => ColumnKind::Numeric,
            FeatureStep::Binned(_) => ColumnKind::Categorical,
        }
    }

    /// How many model inputs this feature becomes.
    pub fn width(&self) -> usize {
        match self {
            FeatureStep::Numeric(_) | FeatureStep::Binned(_) => 1,
            FeatureStep::Categorical(s) => s.width(),
        }
    }

    /// Writes this feature's model inputs for one raw value into `out` (of length `width()`).
    /// Fails only on a value of the wrong kind (text for a numeric feature) or NaN/infinity.
    #[inline]
    pub fn encode(&self, value: RawValue<'_>, out: &mut [f64]) -> Result<()> {
        match self {
            FeatureStep::Numeric(s) => out[0] = s.encode(value)?,
            FeatureStep::Categorical(s) => s.encode(value, out),
            FeatureStep::Binned(s) => out[0] = s.encode(value)?,
        }
        Ok(())
    }

    /// Names of the model inputs this feature becomes, for reports.
    pub fn input_names(&self) -> Vec<String> {
        match self {
            FeatureStep::Numeric(s) => vec![s.name.clone()],
            FeatureStep::Binned(s) => vec![s.name.clone()],
            FeatureStep::Categorical(s) => s.input_names(),
        }
    }

    /// A person's reading of the step: the transformation in words and its fitted statistics.
    pub fn describe(&self) -> (String, Value) {
        match self {
            FeatureStep::Numeric(s) => s.describe(),
            FeatureStep::Categorical(s) => s.describe(),
            FeatureStep::Binned(s) => s.describe(),
        }
    }

    /// Whether the inputs form a group of which exactly one is 1 (for reference coding).
    fn is_one_hot_group(&self) -> bool {
        matches!(self, FeatureStep::Categorical(s) if s.is_one_hot())
    }
}

/// The fitted preprocessing of all features, in model order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub steps: Vec<FeatureStep>,
}

/// The most model inputs a stored recipe may yield.
pub const MAX_INPUTS: usize = 1 << 24;

impl Recipe {
    /// Fits the recipe on the feature columns of the training rows; `labels` are the training
    /// targets (0/1 for binary), needed by target and WOE encoding.
    pub fn fit(
        features: &[&Column],
        labels: &[f64],
        task: Task,
        options: &PreprocessOptions,
        stored: &StoredBinnings,
    ) -> Result<Recipe> {
        Self::fit_threads(features, labels, task, options, stored, 1)
    }

    /// [`Recipe::fit`], the features' steps fitted on up to `threads` threads (each feature's
    /// step alone: the same recipe on any number of threads).
    pub fn fit_threads(
        features: &[&Column],
        labels: &[f64],
        task: Task,
        options: &PreprocessOptions,
        stored: &StoredBinnings,
        threads: usize,
    ) -> Result<Recipe> {
        let names: Vec<&str> = features.iter().map(|c| c.name.as_str()).collect();
        options.check_columns(&names)?;
        let steps = crate::parallel::map(features.to_vec(), threads, |c| {
            let explicit = |key: &str| options.is_explicit(&c.name, key);
            // A column's own encode option wins over a binning it only inherits.
            let own_encode = explicit("encode") && !explicit("binning");
            if options.column(&c.name).binning.is_some() && !own_encode {
                return BinnedStep::fit(c, labels, task, options.column(&c.name), stored)
                    .map(FeatureStep::Binned);
            }
            match c.kind {
                ColumnKind::Categorical => {
                    CategoricalStep::fit(c, labels, task, options.column(&c.name), explicit)
                        .map(FeatureStep::Categorical)
                }
                ColumnKind::Numeric | ColumnKind::Boolean => {
                    NumericStep::fit(c, options.column(&c.name), explicit).map(FeatureStep::Numeric)
                }
            }
        })
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        Ok(Recipe { steps })
    }

    /// Checks a stored recipe's structure (an artifact from elsewhere might be inconsistent): clip
    /// bounds are ordered, each categorical encoding fits its levels, and the inputs number at
    /// most 2^24 (1,600 columns of
    /// 10,000 one-hot levels stay far below; a crafted width would make scoring allocate without
    /// bound).
    pub fn validate(&self) -> Result<()> {
        let corrupted = |detail: String| {
            Err(AimassError::new(crate::error::ErrorKind::DataCorrupted, "model artifact is inconsistent")
                .with_detail(detail))
        };
        let consistent = |s: &FeatureStep| match s {
            FeatureStep::Numeric(n) => n.is_consistent(),
            FeatureStep::Categorical(c) => c.is_consistent(),
            FeatureStep::Binned(_) => true,
        };
        if let Some(s) = self.steps.iter().find(|s| !consistent(s)) {
            return corrupted(format!("The preprocessing of feature \"{}\" is not consistent.", s.name()));
        }
        let width = self.steps.iter().fold(0usize, |w, s| w.saturating_add(s.width()));
        if width > MAX_INPUTS {
            return corrupted(format!(
                "The preprocessing yields {width} inputs; at most {MAX_INPUTS} are read."
            ));
        }
        Ok(())
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
            if s.is_one_hot_group() {
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
        self.encode_rows(columns, &(0..n).collect::<Vec<_>>())
    }

    /// Encodes the chosen `rows` of a frame, in that order, into a row-major matrix of
    /// `rows.len() × width()` (no copy of the columns).
    pub fn encode_rows(&self, columns: &[&Column], rows: &[usize]) -> Result<ndarray::Array2<f64>> {
        use crate::inputs::Inputs;
        EncodedRows::new(self, columns, rows, None).to_matrix()
    }
}

/// Rows of a frame's inputs, encoded by the recipe from the columns when they are asked for (the
/// way training gives a fit its inputs without building the matrix). A text feature's inputs
/// depend only on its value, so for a dictionary of modest size they are encoded once per
/// dictionary entry up front, and a row's text then costs a copy instead of a string lookup.
pub struct EncodedRows<'a> {
    recipe: &'a Recipe,
    columns: &'a [&'a Column],
    /// Row `r` of the inputs is row `rows[r]` of the columns.
    rows: &'a [usize],
    /// The algorithm's name when a missing input is an error.
    refuse_missing: Option<&'static str>,
    /// Per feature: where its inputs start, how many there are, and for a text column its
    /// inputs for each dictionary code (then for a missing value), when encoded up front.
    layout: Vec<(usize, usize, Option<Vec<f64>>)>,
}

/// Most numbers a text feature's up-front encodings may take (8 MB).
const CODE_TABLE_MAX: usize = 1 << 20;

impl<'a> EncodedRows<'a> {
    pub fn new(
        recipe: &'a Recipe,
        columns: &'a [&'a Column],
        rows: &'a [usize],
        refuse_missing: Option<&'static str>,
    ) -> Self {
        let mut at = 0;
        let layout = recipe
            .steps
            .iter()
            .zip(columns)
            .map(|(step, column)| {
                let w = step.width();
                let table = match &column.data {
                    ColumnData::Categorical { dictionary, .. }
                        if (dictionary.len() + 1) * w <= CODE_TABLE_MAX =>
                    {
                        let mut table = vec![0.0; (dictionary.len() + 1) * w];
                        let values = dictionary.iter().map(|t| RawValue::Text(t)).chain([RawValue::Null]);
                        // A value the step refuses leaves the column to the row-by-row path,
                        // which reports it for the row that holds it.
                        values
                            .zip(table.chunks_mut(w.max(1)))
                            .try_for_each(|(v, out)| step.encode(v, out))
                            .ok()
                            .map(|_| table)
                    }
                    _ => None,
                };
                at += w;
                (at - w, w, table)
            })
            .collect();
        EncodedRows { recipe, columns, rows, refuse_missing, layout }
    }
}

impl crate::inputs::Inputs for EncodedRows<'_> {
    fn nrows(&self) -> usize {
        self.rows.len()
    }
    fn ncols(&self) -> usize {
        self.recipe.width()
    }
    fn rows_into(&self, rows: &[usize], mut out: ndarray::ArrayViewMut2<'_, f64>) -> Result<()> {
        for (&r, mut o) in rows.iter().zip(out.rows_mut()) {
            let i = self.rows[r];
            let slice = o.as_slice_mut().ok_or_else(|| AimassError::internal("block not contiguous"))?;
            for ((step, column), (at, w, table)) in
                self.recipe.steps.iter().zip(self.columns).zip(&self.layout)
            {
                let out = &mut slice[*at..at + w];
                match (table, &column.data) {
                    (Some(table), ColumnData::Categorical { codes, dictionary }) => {
                        let k = if codes[i] == MISSING_CODE { dictionary.len() } else { codes[i] as usize };
                        out.copy_from_slice(&table[k * w..(k + 1) * w]);
                    }
                    _ => step.encode(column.raw(i), out)?,
                }
            }
            if let Some(name) = self.refuse_missing {
                if slice.iter().any(|v| v.is_nan()) {
                    return Err(crate::inputs::missing_refused(name));
                }
            }
        }
        Ok(())
    }
}

/// The error for an option named for a column it does not suit.
fn unsuitable(column: &str, what: &str, kind: &str) -> AimassError {
    AimassError::invalid_parameter(format!("preprocess {what} does not apply to {kind} column \"{column}\""))
}

#[cfg(test)]
mod tests;
