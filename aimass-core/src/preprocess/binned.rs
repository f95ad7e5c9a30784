//! A feature encoded by the WOE of its supervised bins (`"binning": "tree"` …): what scorecards
//! are built on. Numeric values fall in special-value bins, then ranges; text values in their
//! category's group. NULL takes the NULL bin's WOE (0 if training had no NULLs); an unseen
//! category takes 0, the WOE of the population as a whole.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::options::{BinningSpec, ColumnOptions};
use super::StoredBinnings;
use crate::data::{number_text, Column, ColumnData, RawValue};
use crate::error::{AimassError, Result};
use crate::task::Task;
use crate::woe_binning::{self, Bin, BinKind};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedStep {
    pub name: String,
    pub numeric: bool,
    pub bins: Vec<Bin>,
}

impl BinnedStep {
    pub fn fit(
        column: &Column,
        labels: &[f64],
        task: Task,
        o: &ColumnOptions,
        stored: &StoredBinnings,
    ) -> Result<BinnedStep> {
        let method = match o.binning {
            Some(BinningSpec::Method(m)) => m,
            Some(BinningSpec::Stored(id)) => return Self::from_stored(column, labels, task, id, stored),
            None => return Err(AimassError::internal("binned step without a method")),
        };
        if task != Task::Binary {
            return Err(AimassError::invalid_parameter(format!(
                "preprocess binning of \"{}\" needs a binary target",
                column.name
            )));
        }
        let b = match &column.data {
            ColumnData::Numeric(v) => {
                woe_binning::bin_numeric(&column.name, v, labels, method, &o.binning_options)?
            }
            ColumnData::Categorical { .. } => {
                let values = column.text_values().unwrap_or_default();
                woe_binning::bin_categorical(&column.name, &values, labels, method, &o.binning_options)?
            }
        };
        Ok(BinnedStep {
            name: column.name.clone(),
            numeric: matches!(column.data, ColumnData::Numeric(_)),
            bins: b.bins,
        })
    }

    /// The bins of a stored binning, with counts and WOE recomputed on the training rows (a bin
    /// no training row falls in gets WOE 0).
    fn from_stored(
        column: &Column,
        labels: &[f64],
        task: Task,
        id: i64,
        stored: &StoredBinnings,
    ) -> Result<BinnedStep> {
        if task != Task::Binary {
            return Err(AimassError::invalid_parameter(format!(
                "preprocess binning of \"{}\" needs a binary target",
                column.name
            )));
        }
        let cb = stored
            .get(&id)
            .ok_or_else(|| AimassError::internal(format!("binning {id} was not loaded")))?
            .iter()
            .find(|c| c.column == column.name)
            .ok_or_else(|| {
                AimassError::invalid_parameter(format!(
                    "stored binning {id} has no column \"{}\"",
                    column.name
                ))
            })?;
        let numeric = matches!(column.data, ColumnData::Numeric(_));
        if numeric && cb.bins.iter().any(|b| matches!(b.kind, BinKind::Categories { .. })) {
            return Err(AimassError::new(
                crate::error::ErrorKind::DatatypeMismatch,
                format!("stored binning {id} binned \"{}\" as text, but the column is numeric", column.name),
            ));
        }
        let mut step = BinnedStep { name: column.name.clone(), numeric, bins: cb.bins.clone() };
        for b in &mut step.bins {
            (b.count, b.bads, b.goods) = (0, 0, 0);
        }
        for (i, &y) in labels.iter().enumerate() {
            if y.is_nan() {
                continue;
            }
            if let Some(k) = step.bin_of(column.raw(i)) {
                let b = &mut step.bins[k];
                b.count += 1;
                if y == 1.0 {
                    b.bads += 1
                } else {
                    b.goods += 1
                }
            }
        }
        let fitted = woe_binning::finish(&column.name, cb.method, step.bins);
        step.bins = fitted.bins;
        for b in &mut step.bins {
            if b.count == 0 {
                (b.woe, b.iv) = (0.0, 0.0);
            }
        }
        Ok(step)
    }

    /// The bin a raw value falls in, if any.
    pub fn bin_of(&self, value: RawValue<'_>) -> Option<usize> {
        let text;
        let v: Result<f64, &str> = match value {
            RawValue::Null => return self.bins.iter().position(|b| b.kind == BinKind::Missing),
            RawValue::Number(x) if self.numeric => Ok(x),
            RawValue::Number(x) => {
                text = number_text(x);
                Err(text.as_str())
            }
            RawValue::Text(s) => Err(s),
        };
        self.bins.iter().position(|b| match (&b.kind, v) {
            (BinKind::Special { value }, Ok(x)) => *value == x,
            (BinKind::Range { lower, upper }, Ok(x)) => {
                !self.is_special(x) && lower.is_none_or(|l| x >= l) && upper.is_none_or(|u| x < u)
            }
            (BinKind::Categories { values }, Err(s)) => values.iter().any(|c| c == s),
            _ => false,
        })
    }

    fn is_special(&self, x: f64) -> bool {
        self.bins.iter().any(|b| matches!(b.kind, BinKind::Special { value } if value == x))
    }

    /// The WOE of the value's bin; 0 when it falls in none.
    #[inline]
    pub fn encode(&self, value: RawValue<'_>) -> Result<f64> {
        if let RawValue::Number(x) = value {
            if !x.is_finite() {
                return Err(AimassError::data(format!("feature \"{}\" has a non-finite value", self.name)));
            }
        }
        Ok(self.bin_of(value).map_or(0.0, |i| self.bins[i].woe))
    }

    pub fn describe(&self) -> (String, Value) {
        let bins: Vec<Value> = self
            .bins
            .iter()
            .map(|b| json!({"bin": b.label(), "count": b.count, "bad_rate": b.bad_rate(), "woe": b.woe}))
            .collect();
        (format!("WOE of {} supervised bins", self.bins.len()), json!({"bins": bins}))
    }
}
