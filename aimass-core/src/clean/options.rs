//! The `options` argument of `aimass.clean`: table-wide keys, column defaults at the top level, and
//! a `"columns": {"Income": {...}}` object whose entries override the defaults for one column.
//!
//! ```json
//! {"missing": "median", "missing_indicator": true,
//!  "outliers": {"method": "iqr", "k": 1.5, "action": "clip"},
//!  "duplicates": {"key": ["id"], "keep": "last", "order_by": "updated_at"},
//!  "max_missing": 0.6, "drop_constant": true, "near_constant": 0.99,
//!  "columns": {"Home": {"missing": "mode", "trim": true, "case": "lower",
//!                       "map": {"ignore": null}}}}
//! ```
//! A top-level choice applies to the columns it suits (`median` to numeric columns, `outliers` to
//! numeric columns, `trim` to text columns); naming it for a column it does not suit is an error.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::error::{AimassError, Result};
use crate::json_options::Options;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    None,
    Mean,
    Median,
    Mode,
    Constant,
    DropRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierMethod {
    Iqr,
    Zscore,
    Mad,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierAction {
    Clip,
    Null,
    DropRow,
    Flag,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outliers {
    pub method: OutlierMethod,
    pub k: f64,
    pub action: OutlierAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Case {
    Lower,
    Upper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    First,
    Last,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Duplicates {
    /// Empty: rows equal in every column.
    pub key: Vec<String>,
    pub keep: Keep,
    pub order_by: Option<String>,
}

/// The choices for one column; `None` fields were not given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnChoices {
    pub missing: Option<Missing>,
    pub fill_value: Option<Value>,
    pub missing_indicator: Option<bool>,
    pub outliers: Option<Option<Outliers>>,
    pub trim: Option<bool>,
    pub case: Option<Case>,
    pub map: Option<Map<String, Value>>,
    pub convert_numeric: Option<bool>,
    pub drop: Option<bool>,
}

impl ColumnChoices {
    /// `self` with the fields it does not set taken from `defaults`.
    fn or(&self, defaults: &ColumnChoices) -> ColumnChoices {
        ColumnChoices {
            missing: self.missing.or(defaults.missing),
            fill_value: self.fill_value.clone().or(defaults.fill_value.clone()),
            missing_indicator: self.missing_indicator.or(defaults.missing_indicator),
            outliers: self.outliers.or(defaults.outliers),
            trim: self.trim.or(defaults.trim),
            case: self.case.or(defaults.case),
            map: self.map.clone().or(defaults.map.clone()),
            convert_numeric: self.convert_numeric.or(defaults.convert_numeric),
            drop: self.drop.or(defaults.drop),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CleanOptions {
    pub defaults: ColumnChoices,
    /// Each column's own entry, as given (not merged).
    pub columns: BTreeMap<String, ColumnChoices>,
    pub duplicates: Option<Duplicates>,
    pub max_missing: Option<f64>,
    pub drop_constant: bool,
    pub near_constant: Option<f64>,
    pub replace: bool,
}

impl CleanOptions {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut o = Options::new(value, "clean option")?;
        let defaults = read_column(&mut o, "clean option")?;
        if defaults.drop.is_some() {
            return Err(AimassError::invalid_parameter(
                "clean option \"drop\" applies to one column; give it under \"columns\"",
            ));
        }
        let mut columns = BTreeMap::new();
        if let Some(cols) = o.object("columns")? {
            for (name, entry) in cols {
                let mut co = Options::new(entry, "clean column option")?;
                let c = read_column(&mut co, "clean column option")?;
                co.finish()?;
                columns.insert(name.clone(), c);
            }
        }
        let duplicates = match o.value("duplicates") {
            None | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some(Duplicates { key: vec![], keep: Keep::First, order_by: None }),
            Some(v @ Value::Object(_)) => {
                let mut d = Options::new(v, "clean duplicates option")?;
                let key = d.strings("key")?.unwrap_or_default();
                let keep = match d.string("keep")?.as_deref() {
                    None | Some("first") => Keep::First,
                    Some("last" | "latest") => Keep::Last,
                    Some(other) => {
                        return Err(AimassError::invalid_parameter(format!(
                            "unknown clean duplicates keep \"{other}\""
                        ))
                        .with_hint("Use \"first\" or \"last\"."))
                    }
                };
                let order_by = d.string("order_by")?;
                d.finish()?;
                Some(Duplicates { key, keep, order_by })
            }
            Some(other) => {
                return Err(AimassError::invalid_parameter(format!(
                    "clean option \"duplicates\" must be true, false or an object, not {other}"
                )))
            }
        };
        let max_missing = o.number("max_missing", 0.0, 1.0)?;
        let drop_constant = o.boolean("drop_constant")?.unwrap_or(false);
        let near_constant = o.number("near_constant", 0.5, 1.0)?;
        let replace = o.boolean("replace")?.unwrap_or(false);
        o.finish()?;
        Ok(Self { defaults, columns, duplicates, max_missing, drop_constant, near_constant, replace })
    }

    /// The column's own entry, if any.
    pub fn own(&self, name: &str) -> Option<&ColumnChoices> {
        self.columns.get(name)
    }

    /// The column's choices: its own entry over the top-level defaults.
    pub fn merged(&self, name: &str) -> ColumnChoices {
        match self.columns.get(name) {
            Some(c) => c.or(&self.defaults),
            None => self.defaults.clone(),
        }
    }
}

fn read_column(o: &mut Options<'_>, what: &str) -> Result<ColumnChoices> {
    let mut c = ColumnChoices::default();
    if let Some(s) = o.string("missing")? {
        c.missing = Some(match s.as_str() {
            "none" => Missing::None,
            "mean" => Missing::Mean,
            "median" => Missing::Median,
            "mode" => Missing::Mode,
            "constant" => Missing::Constant,
            "drop_row" => Missing::DropRow,
            other => {
                return Err(AimassError::invalid_parameter(format!("unknown {what} missing \"{other}\""))
                    .with_hint("Use none, mean, median, mode, constant or drop_row."))
            }
        });
    }
    c.fill_value = o.value("fill_value").cloned();
    if let Some(v) = &c.fill_value {
        if !(v.is_number() || v.is_string() || v.is_boolean()) {
            return Err(AimassError::invalid_parameter(format!(
                "{what} \"fill_value\" must be a number, a string or a boolean, not {v}"
            )));
        }
    }
    if c.missing == Some(Missing::Constant) && c.fill_value.is_none() {
        return Err(AimassError::invalid_parameter(format!(
            "{what} \"missing\": \"constant\" needs a \"fill_value\""
        )));
    }
    c.missing_indicator = o.boolean("missing_indicator")?;
    c.outliers = match o.value("outliers") {
        None => None,
        Some(Value::String(s)) if s == "none" => Some(None),
        Some(v @ Value::Object(_)) => {
            let mut d = Options::new(v, "clean outliers option")?;
            let method = match d.string("method")?.as_deref() {
                None | Some("iqr") => OutlierMethod::Iqr,
                Some("zscore") => OutlierMethod::Zscore,
                Some("mad") => OutlierMethod::Mad,
                Some(other) => {
                    return Err(AimassError::invalid_parameter(format!(
                        "unknown clean outliers method \"{other}\""
                    ))
                    .with_hint("Use iqr, zscore or mad."))
                }
            };
            let default_k = match method {
                OutlierMethod::Iqr => 1.5,
                OutlierMethod::Zscore => 3.0,
                OutlierMethod::Mad => 3.5,
            };
            let k = d.number("k", 0.0, 1e6)?.unwrap_or(default_k);
            let action = match d.string("action")?.as_deref() {
                None | Some("clip") => OutlierAction::Clip,
                Some("null") => OutlierAction::Null,
                Some("drop_row") => OutlierAction::DropRow,
                Some("flag") => OutlierAction::Flag,
                Some(other) => {
                    return Err(AimassError::invalid_parameter(format!(
                        "unknown clean outliers action \"{other}\""
                    ))
                    .with_hint("Use clip, null, drop_row or flag."))
                }
            };
            d.finish()?;
            Some(Some(Outliers { method, k, action }))
        }
        Some(other) => {
            return Err(AimassError::invalid_parameter(format!(
                "{what} \"outliers\" must be \"none\" or an object, not {other}"
            )))
        }
    };
    c.trim = o.boolean("trim")?;
    c.case = match o.string("case")?.as_deref() {
        None => None,
        Some("lower") => Some(Case::Lower),
        Some("upper") => Some(Case::Upper),
        Some(other) => {
            return Err(AimassError::invalid_parameter(format!("unknown {what} case \"{other}\""))
                .with_hint("Use \"lower\" or \"upper\"."))
        }
    };
    c.map = o.object("map")?.cloned();
    if let Some(m) = &c.map {
        if let Some((k, v)) = m.iter().find(|(_, v)| !(v.is_string() || v.is_null())) {
            return Err(AimassError::invalid_parameter(format!(
                "{what} \"map\" must map text to text or null; \"{k}\" maps to {v}"
            )));
        }
    }
    c.convert_numeric = o.boolean("convert_numeric")?;
    c.drop = o.boolean("drop")?;
    Ok(c)
}
