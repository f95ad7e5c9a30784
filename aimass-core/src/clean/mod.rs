//! Cleaning a table into a new one: options → a plan per column → a recipe fitted on the source
//! (fences, fill values, dropped columns) → one SQL statement that writes the destination and
//! counts every change. The recipe is stored, so the same cleaning can be re-applied to new data
//! without refitting.
//!
//! Order of the steps, per row: duplicates are removed first (the kept row of each group is the
//! first, or the last, by `order_by` then physical order); then each column's text steps (trim,
//! case, map), numeric conversion, outlier treatment, and missing-value treatment; a row is
//! dropped when one of its columns asks so (`drop_row`), under the first reason in column order.
//! Fences are fitted on the values after the text steps; fill values on the values after the
//! outlier treatment. Column drops (`max_missing`, `drop_constant`, `near_constant`) look at the
//! values after the text steps. The key and `order_by` columns of `duplicates` take no top-level
//! choices (only those of their own `columns` entry) and are never dropped.

pub mod options;
pub mod report;
pub mod sql;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::data::{Column, ColumnBuilder, ColumnData, ColumnKind, MISSING_CODE};
use crate::error::{AimassError, ErrorKind, Result};
use crate::stats;
use options::{
    Case, CleanOptions, ColumnChoices, Duplicates, Missing, OutlierAction, OutlierMethod, Outliers,
};

/// How a source column's type is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeClass {
    Numeric,
    Boolean,
    Text,
    /// Dates, json and the like: copied, or dropped / row-filtered on NULL.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceColumn {
    pub name: String,
    pub sql_type: String,
    pub class: TypeClass,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSteps {
    pub trim: bool,
    pub case: Option<Case>,
    /// Pairs `(from, to)`; `to` NULL makes the value NULL.
    pub map: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedOutliers {
    pub method: OutlierMethod,
    pub k: f64,
    pub action: OutlierAction,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMissing {
    pub method: Missing,
    /// The fill value (number, text or boolean); none for `drop_row`.
    pub fill: Option<Value>,
}

/// What cleaning does to one source column; fitted values included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnRecipe {
    pub name: String,
    pub sql_type: String,
    pub class: TypeClass,
    /// Why the column is left out of the destination.
    pub drop: Option<String>,
    pub text: Option<TextSteps>,
    /// A text column whose values all look numeric, written as float8.
    pub converted: bool,
    pub outliers: Option<FittedOutliers>,
    pub missing: Option<FittedMissing>,
    pub missing_indicator: bool,
}

impl ColumnRecipe {
    pub fn indicator_name(&self) -> String {
        format!("{}_missing", self.name)
    }

    pub fn flag_name(&self) -> String {
        format!("{}_outlier", self.name)
    }

    fn numeric(&self) -> bool {
        self.class == TypeClass::Numeric || self.converted
    }
}

/// A fitted cleaning, stored as jsonb in `aimass.cleaning_recipes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleaningRecipe {
    pub columns: Vec<ColumnRecipe>,
    pub duplicates: Option<Duplicates>,
}

impl CleaningRecipe {
    /// The destination's column names, in order.
    pub fn output_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for c in self.columns.iter().filter(|c| c.drop.is_none()) {
            names.push(c.name.clone());
            if c.missing_indicator {
                names.push(c.indicator_name());
            }
            if c.outliers.as_ref().is_some_and(|o| o.action == OutlierAction::Flag) {
                names.push(c.flag_name());
            }
        }
        names
    }

    /// An added indicator or flag column must not clash with another column or be longer than
    /// PostgreSQL's 63-byte identifiers (it would be truncated).
    fn check_output_names(&self) -> Result<()> {
        let names = self.output_names();
        for (i, n) in names.iter().enumerate() {
            if n.len() > 63 {
                return Err(invalid(format!("the added column name \"{n}\" is longer than 63 bytes"))
                    .with_hint("Rename the source column or leave out its indicator or flag."));
            }
            if names[..i].contains(n) {
                return Err(invalid(format!("the destination would have two columns named \"{n}\""))
                    .with_hint("An indicator (<column>_missing) or flag (<column>_outlier) clashes with a source column."));
            }
        }
        Ok(())
    }
}

/// The per-column decisions that need no data, and what to read to fit the rest.
pub struct Plan {
    columns: Vec<(ColumnRecipe, ColumnChoices, Explicit)>,
    options: CleanOptions,
}

/// Which choices the column's own entry named (so an unsuitable one is an error, not skipped).
#[derive(Default, Clone, Copy)]
struct Explicit {
    missing: bool,
    outliers: bool,
    text: bool,
    convert: bool,
    indicator: bool,
}

fn invalid(msg: String) -> AimassError {
    AimassError::invalid_parameter(msg)
}

impl Plan {
    pub fn new(source: &[SourceColumn], options: CleanOptions) -> Result<Plan> {
        let names: Vec<&str> = source.iter().map(|c| c.name.as_str()).collect();
        let known = |n: &str| -> Result<()> {
            if names.contains(&n) {
                Ok(())
            } else {
                Err(AimassError::new(
                    ErrorKind::UndefinedColumn,
                    format!("clean options name column \"{n}\", which the source does not have"),
                )
                .with_hint(format!("The source's columns are: {}.", names.join(", "))))
            }
        };
        for n in options.columns.keys() {
            known(n)?;
        }
        let mut protected: Vec<&str> = Vec::new();
        if let Some(d) = &options.duplicates {
            for k in d.key.iter().chain(&d.order_by) {
                known(k)?;
                protected.push(k);
            }
        }
        let mut columns = Vec::new();
        for sc in source {
            let own = options.own(&sc.name);
            let ex = Explicit {
                missing: own.is_some_and(|o| o.missing.is_some() || o.fill_value.is_some()),
                outliers: own.is_some_and(|o| o.outliers.is_some()),
                text: own.is_some_and(|o| o.trim.is_some() || o.case.is_some() || o.map.is_some()),
                convert: own.is_some_and(|o| o.convert_numeric.is_some()),
                indicator: own.is_some_and(|o| o.missing_indicator == Some(true)),
            };
            // Key and order_by columns of the duplicates option take only their own choices.
            let ch = if protected.contains(&sc.name.as_str()) {
                own.cloned().unwrap_or_default()
            } else {
                options.merged(&sc.name)
            };
            let is_text = sc.class == TypeClass::Text;
            if (ex.text || ex.convert) && !is_text {
                return Err(invalid(format!(
                    "clean text options (trim, case, map, convert_numeric) do not apply to column \"{}\" of type {}",
                    sc.name, sc.sql_type
                )));
            }
            let text =
                (is_text && (ch.trim == Some(true) || ch.case.is_some() || ch.map.is_some())).then(|| {
                    TextSteps {
                        trim: ch.trim == Some(true),
                        case: ch.case,
                        map: ch
                            .map
                            .iter()
                            .flatten()
                            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                            .collect(),
                    }
                });
            let drop = match ch.drop {
                Some(true) if protected.contains(&sc.name.as_str()) => {
                    return Err(invalid(format!(
                        "column \"{}\" is used by the duplicates option and cannot be dropped",
                        sc.name
                    )))
                }
                Some(true) => Some("asked".to_owned()),
                _ => None,
            };
            let recipe = ColumnRecipe {
                name: sc.name.clone(),
                sql_type: sc.sql_type.clone(),
                class: sc.class,
                drop,
                text,
                converted: false,
                outliers: None,
                missing: None,
                missing_indicator: false,
            };
            columns.push((recipe, ch, ex));
        }
        Ok(Plan { columns, options })
    }

    /// Whether fitting column `i` needs its values (fences, fill values, drop checks, a
    /// conversion check or a NULL count); constant fills and `drop_row` do not.
    fn needs_values(&self, i: usize) -> bool {
        let (c, ch, ex) = &self.columns[i];
        if c.drop.is_some() {
            return false;
        }
        let o = &self.options;
        let protected = o
            .duplicates
            .as_ref()
            .is_some_and(|d| d.key.contains(&c.name) || d.order_by.as_ref() == Some(&c.name));
        (!protected && (o.max_missing.is_some() || o.drop_constant || o.near_constant.is_some()))
            || (c.class == TypeClass::Text && ch.convert_numeric == Some(true))
            || (matches!(ch.outliers, Some(Some(_)))
                && matches!(c.class, TypeClass::Numeric | TypeClass::Text))
            || matches!(ch.missing, Some(Missing::Mean | Missing::Median | Missing::Mode))
            || (ch.missing_indicator == Some(true) && !ex.indicator)
    }

    /// What to read to fit: the columns that need values, each as `(index, name, SQL expression
    /// over s, kind)` — after the text steps; numbers as float8; other types as text.
    pub fn reads(&self) -> Vec<(usize, String, String, ColumnKind)> {
        (0..self.columns.len())
            .filter(|&i| self.needs_values(i))
            .map(|i| {
                let c = &self.columns[i].0;
                let (expr, kind) = match c.class {
                    TypeClass::Numeric => (c.stage1(), ColumnKind::Numeric),
                    TypeClass::Boolean => (format!("({})::int::float8", c.raw()), ColumnKind::Boolean),
                    TypeClass::Text => (format!("({})::text", c.text_stage()), ColumnKind::Categorical),
                    TypeClass::Other => (format!("({})::text", c.raw()), ColumnKind::Categorical),
                };
                (i, c.name.clone(), expr, kind)
            })
            .collect()
    }

    /// Fits fences, fill values and column drops, columns on up to `threads` threads. `values[i]`
    /// holds column `i`'s values when [`Plan::reads`] asked for them; `rows` is the source's row
    /// count.
    pub fn fit(self, mut values: Vec<Option<Column>>, rows: usize, threads: usize) -> Result<CleaningRecipe> {
        if rows == 0 {
            return Err(AimassError::data("the source has no rows")
                .with_detail("Cleaning fits its fences and fill values on the data."));
        }
        values.resize(self.columns.len(), None);
        // Columns not read take part only in steps that need no data.
        let values: Vec<Column> = values
            .into_iter()
            .zip(&self.columns)
            .map(|(v, (c, _, _))| {
                v.unwrap_or_else(|| ColumnBuilder::new(c.name.clone(), ColumnKind::Numeric).finish())
            })
            .collect();
        let options = &self.options;
        let protected: Vec<String> =
            options.duplicates.iter().flat_map(|d| d.key.iter().chain(&d.order_by).cloned()).collect();
        // Columns are fitted independently.
        let protected = &protected;
        let out = crate::parallel::map(
            self.columns.iter().zip(&values).collect(),
            threads,
            |((c, ch, ex), col)| fit_column(c.clone(), ch, *ex, col, options, protected),
        )
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
        let recipe = CleaningRecipe { columns: out, duplicates: self.options.duplicates };
        recipe.check_output_names()?;
        Ok(recipe)
    }
}

/// Fits one column: conversion, drop rules, fences, fill value.
fn fit_column(
    mut c: ColumnRecipe,
    ch: &ColumnChoices,
    ex: Explicit,
    col: &Column,
    options: &CleanOptions,
    protected: &[String],
) -> Result<ColumnRecipe> {
    let rows = col.len() as f64;
    // Conversion of numeric-looking text.
    let mut numbers: Option<Vec<f64>> = match &col.data {
        ColumnData::Numeric(v) if c.class == TypeClass::Numeric => Some(v.clone()),
        _ => None,
    };
    if c.class == TypeClass::Text && ch.convert_numeric == Some(true) {
        if let ColumnData::Categorical { codes, dictionary } = &col.data {
            let parsed: Option<Vec<f64>> = dictionary.iter().map(|s| parse_number(s)).collect();
            match parsed {
                Some(p) if !dictionary.is_empty() => {
                    c.converted = true;
                    numbers = Some(
                        codes
                            .iter()
                            .map(|&k| if k == MISSING_CODE { f64::NAN } else { p[k as usize] })
                            .collect(),
                    );
                }
                _ if ex.convert => {
                    let bad = dictionary.iter().find(|s| parse_number(s).is_none());
                    return Err(AimassError::new(
                        ErrorKind::InvalidText,
                        format!("column \"{}\" cannot be converted to numbers", c.name),
                    )
                    .with_detail(match bad {
                        Some(b) => format!("The value \"{b}\" is not a number."),
                        None => "The column has no values.".to_owned(),
                    }));
                }
                _ => {}
            }
        }
    }
    // Column drops (counts computed only when a drop rule is on).
    let nulls = col.null_count();
    let drop_rules =
        options.max_missing.is_some() || options.drop_constant || options.near_constant.is_some();
    if drop_rules && c.drop.is_none() && !col.is_empty() && !protected.contains(&c.name) {
        let (_, top) = null_and_top_counts(col);
        let null_fraction = nulls as f64 / rows;
        let distinct = col.distinct_present();
        c.drop = if options.max_missing.is_some_and(|m| null_fraction > m) {
            Some(format!("missing fraction {null_fraction:.4} exceeds max_missing"))
        } else if options.drop_constant && distinct <= 1 {
            Some("constant".to_owned())
        } else {
            options
                .near_constant
                .filter(|&t| top.max(nulls) as f64 / rows >= t)
                .map(|t| format!("one value fills at least {t} of the rows"))
        };
    }
    if c.drop.is_some() {
        return Ok(c);
    }
    // Outliers (numeric columns only). `after` holds the present values after the outlier
    // treatment, sorted (clipping keeps the order; nulling and dropping remove values).
    let sorted = numbers.as_deref().map(stats::sorted_present);
    let mut after = sorted.clone();
    match (ch.outliers.flatten(), &sorted) {
        (Some(o), Some(sorted)) if !sorted.is_empty() => {
            let f = fences(sorted, o);
            after = Some(match f.action {
                OutlierAction::Clip => sorted.iter().map(|x| x.clamp(f.low, f.high)).collect(),
                OutlierAction::Null | OutlierAction::DropRow => {
                    sorted.iter().copied().filter(|&x| x >= f.low && x <= f.high).collect()
                }
                OutlierAction::Flag => sorted.clone(),
            });
            c.outliers = Some(f);
        }
        (Some(_), None) if ex.outliers => {
            return Err(invalid(format!(
                "clean outliers do not apply to column \"{}\" of type {}",
                c.name, c.sql_type
            )))
        }
        _ => {}
    }
    // Missing values.
    c.missing = fit_missing(&c, ch, ex, col, after.as_deref())?;
    // An indicator asked for at the top level is added only to columns that have NULLs.
    c.missing_indicator = ch.missing_indicator == Some(true) && (ex.indicator || nulls > 0);
    Ok(c)
}

fn fit_missing(
    c: &ColumnRecipe,
    ch: &ColumnChoices,
    ex: Explicit,
    col: &Column,
    sorted: Option<&[f64]>,
) -> Result<Option<FittedMissing>> {
    let Some(method) = ch.missing else { return Ok(None) };
    let unsuitable = || -> Result<Option<FittedMissing>> {
        if ex.missing {
            Err(invalid(format!(
                "clean missing \"{}\" does not apply to column \"{}\" of type {}",
                serde_json::to_value(method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                c.name,
                c.sql_type
            )))
        } else {
            Ok(None)
        }
    };
    let no_values =
        || AimassError::data(format!("column \"{}\" has no values to fill its NULLs from", c.name));
    let fill: Option<Value> = match method {
        Missing::None => return Ok(None),
        Missing::DropRow => None,
        Missing::Mean | Missing::Median => {
            let Some(sorted) = sorted else { return unsuitable() };
            if sorted.is_empty() {
                return Err(no_values());
            }
            Some(json!(if method == Missing::Mean {
                stats::mean(sorted)
            } else {
                stats::median_sorted(sorted)
            }))
        }
        Missing::Mode => match (sorted, c.class, &col.data) {
            (Some(sorted), _, _) => {
                if sorted.is_empty() {
                    return Err(no_values());
                }
                Some(json!(stats::mode_sorted(sorted)))
            }
            (None, TypeClass::Boolean, ColumnData::Numeric(v)) => {
                let trues = v.iter().filter(|&&x| x == 1.0).count();
                let falses = v.iter().filter(|&&x| x == 0.0).count();
                if trues + falses == 0 {
                    return Err(no_values());
                }
                Some(json!(trues > falses))
            }
            (None, TypeClass::Text, ColumnData::Categorical { codes, dictionary }) => {
                let mut counts = vec![0usize; dictionary.len()];
                for &k in codes.iter().filter(|&&k| k != MISSING_CODE) {
                    counts[k as usize] += 1;
                }
                let best = (0..dictionary.len())
                    .filter(|&i| counts[i] > 0)
                    .max_by(|&a, &b| counts[a].cmp(&counts[b]).then(dictionary[b].cmp(&dictionary[a])))
                    .ok_or_else(no_values)?;
                Some(json!(dictionary[best]))
            }
            _ => return unsuitable(),
        },
        Missing::Constant => {
            let v = ch.fill_value.clone().unwrap_or(Value::Null);
            let suits = match (c.numeric(), c.class) {
                (true, _) => v.is_number(),
                (false, TypeClass::Boolean) => v.is_boolean(),
                (false, TypeClass::Text) => v.is_string(),
                _ => false,
            };
            if !suits {
                return unsuitable();
            }
            Some(v)
        }
    };
    Ok(Some(FittedMissing { method, fill }))
}

fn fences(sorted: &[f64], o: Outliers) -> FittedOutliers {
    let (low, high) = match o.method {
        OutlierMethod::Iqr => stats::iqr_fences(sorted, o.k),
        OutlierMethod::Zscore => {
            let m = stats::mean(sorted);
            let sd = stats::sample_sd(sorted);
            let sd = if sd.is_nan() { 0.0 } else { sd };
            (m - o.k * sd, m + o.k * sd)
        }
        OutlierMethod::Mad => {
            // The modified z-score of Iglewicz and Hoaglin: 0.6745·(x − median)/MAD > k.
            let med = stats::median_sorted(sorted);
            let mad = stats::mad_sorted(sorted);
            (med - o.k * mad / 0.6745, med + o.k * mad / 0.6745)
        }
    };
    FittedOutliers { method: o.method, k: o.k, action: o.action, low, high }
}

/// NULL count and the count of the most frequent present value.
fn null_and_top_counts(col: &Column) -> (usize, usize) {
    match &col.data {
        ColumnData::Numeric(v) => {
            let sorted = stats::sorted_present(v);
            let mut top = 0;
            let mut i = 0;
            while i < sorted.len() {
                let j = i + sorted[i..].iter().take_while(|&&x| x == sorted[i]).count();
                top = top.max(j - i);
                i = j;
            }
            (v.len() - sorted.len(), top)
        }
        ColumnData::Categorical { codes, dictionary } => {
            let mut counts = vec![0usize; dictionary.len()];
            let mut nulls = 0;
            for &k in codes {
                if k == MISSING_CODE {
                    nulls += 1
                } else {
                    counts[k as usize] += 1
                }
            }
            (nulls, counts.into_iter().max().unwrap_or(0))
        }
    }
}

/// A number in plain decimal or exponent notation (what PostgreSQL's float8 input accepts, less
/// its special words): optional sign, digits with an optional point, optional exponent.
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests;
