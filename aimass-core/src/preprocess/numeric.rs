//! A numeric or boolean feature: fill NULLs, clip to training quantiles, scale.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::options::{ColumnOptions, FillValue, Impute, Scale};
use super::unsuitable;
use crate::data::{pg_float_text, Column, ColumnData, ColumnKind, RawValue};
use crate::error::{AimassError, ErrorKind, Result};
use crate::stats;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStep {
    pub name: String,
    pub boolean: bool,
    /// How `fill` was chosen (`median`, `mean`, `mode`, `zero`, `constant`, `error`).
    pub impute: String,
    pub fill: f64,
    /// Bounds from training quantiles, applied after filling.
    pub clip: Option<(f64, f64)>,
    /// `standard`, `min_max`, `robust` or `none`.
    pub scaling: String,
    pub center: f64,
    pub scale: f64,
}

/// A constant column (scale 0) is only centred.
fn usable_scale(scale: f64) -> f64 {
    if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    }
}

impl NumericStep {
    pub fn fit(column: &Column, o: &ColumnOptions, explicit: impl Fn(&str) -> bool) -> Result<NumericStep> {
        let ColumnData::Numeric(values) = &column.data else {
            return Err(AimassError::internal("numeric step on a text column"));
        };
        let name = &column.name;
        let sorted = stats::sorted_present(values);
        if sorted.is_empty() {
            return Err(AimassError::data(format!(
                "feature \"{name}\" has only NULL values in the training rows"
            ))
            .with_hint("Exclude it with exclude => ARRAY['...'] or fill it first."));
        }
        let nulls = values.len() - sorted.len();
        if explicit("encode") {
            return Err(
                unsuitable(name, "\"encode\"", "numeric").with_hint("encode applies to text columns.")
            );
        }
        let impute = match (o.impute, &o.fill_value) {
            (Some(Impute::Constant), Some(FillValue::Number(_))) => Impute::Constant,
            (Some(Impute::Constant), _) if explicit("impute") || explicit("fill_value") => {
                return Err(AimassError::invalid_parameter(format!(
                    "preprocess fill_value for numeric column \"{name}\" must be a number"
                )))
            }
            (Some(Impute::Constant), _) | (None, _) => Impute::Median,
            (Some(m), _) => m,
        };
        if impute == Impute::Error && nulls > 0 {
            return Err(AimassError::data(format!(
                "feature \"{name}\" has {nulls} NULL values in the training rows and preprocess impute is \"error\""
            )));
        }
        let fill = match impute {
            Impute::Mean => stats::mean(&sorted),
            Impute::Median | Impute::Error => stats::median_sorted(&sorted),
            Impute::Mode => stats::mode_sorted(&sorted),
            Impute::Zero => 0.0,
            Impute::Keep => f64::NAN,
            Impute::Constant => match o.fill_value {
                Some(FillValue::Number(x)) => x,
                _ => unreachable!("checked above"),
            },
        };
        let boolean = column.kind == ColumnKind::Boolean;
        let clip = match o.clip {
            Some(_) if boolean && explicit("clip") => {
                return Err(unsuitable(name, "\"clip\"", "boolean"));
            }
            Some((lo, hi)) if !boolean => {
                Some((stats::quantile_sorted(&sorted, lo), stats::quantile_sorted(&sorted, hi)))
            }
            _ => None,
        };
        let mut step = NumericStep {
            name: name.clone(),
            boolean,
            impute: impute_name(impute).to_owned(),
            fill,
            clip,
            scaling: String::new(),
            center: 0.0,
            scale: 1.0,
        };
        // Scale statistics of the column as the model sees it: filled and clipped.
        let seen = if matches!(o.scale, Scale::None) { Vec::new() } else { step.seen_sorted(&sorted, nulls) };
        let (scaling, center, scale) = match o.scale {
            Scale::Standard => {
                let m = stats::mean(&seen);
                let var = seen.iter().map(|v| (v - m).powi(2)).sum::<f64>() / seen.len() as f64;
                ("standard", m, var.sqrt())
            }
            Scale::MinMax => ("min_max", seen[0], seen[seen.len() - 1] - seen[0]),
            Scale::Robust => (
                "robust",
                stats::median_sorted(&seen),
                stats::quantile_sorted(&seen, 0.75) - stats::quantile_sorted(&seen, 0.25),
            ),
            Scale::None => ("none", 0.0, 1.0),
        };
        step.scaling = scaling.to_owned();
        step.center = center;
        step.scale = usable_scale(scale);
        Ok(step)
    }

    /// The default step (NULL → `median`, standard scaling by `center` and `sd`) from statistics
    /// gathered elsewhere: a distributed table's, whose values never reach one node
    /// ([`crate::distributed`]).
    pub fn standardized(name: &str, boolean: bool, median: f64, center: f64, sd: f64) -> NumericStep {
        NumericStep {
            name: name.to_owned(),
            boolean,
            impute: impute_name(Impute::Median).to_owned(),
            fill: median,
            clip: None,
            scaling: "standard".to_owned(),
            center,
            scale: usable_scale(sd),
        }
    }

    /// The tree models' default step (NULL kept missing, standard scaling of the present values
    /// by `center` and `sd`) from statistics gathered elsewhere, as [`Self::standardized`].
    pub fn kept_missing(name: &str, boolean: bool, center: f64, sd: f64) -> NumericStep {
        NumericStep {
            name: name.to_owned(),
            boolean,
            impute: impute_name(Impute::Keep).to_owned(),
            fill: f64::NAN,
            clip: None,
            scaling: "standard".to_owned(),
            center,
            scale: usable_scale(sd),
        }
    }

    /// The training values as the model sees them (filled and clipped, missing ones left out),
    /// in ascending order, from the present values `sorted` and the count of missing ones:
    /// clipping keeps the order, so the fill value's copies are merged in without a second sort.
    fn seen_sorted(&self, sorted: &[f64], nulls: usize) -> Vec<f64> {
        let mut seen: Vec<f64> = Vec::with_capacity(sorted.len() + nulls);
        seen.extend(sorted.iter().map(|&v| self.fill_and_clip(v)));
        let filled = self.fill_and_clip(f64::NAN);
        if nulls > 0 && !filled.is_nan() {
            let at = seen.partition_point(|v| v.total_cmp(&filled).is_lt());
            seen.splice(at..at, std::iter::repeat_n(filled, nulls));
        }
        seen
    }

    #[inline]
    fn fill_and_clip(&self, x: f64) -> f64 {
        let x = if x.is_nan() { self.fill } else { x };
        match self.clip {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        }
    }

    /// Whether a stored step can encode without panicking: clip bounds, when set, are ordered
    /// numbers (`f64::clamp` panics otherwise; found by fuzzing the artifact decoder).
    pub fn is_consistent(&self) -> bool {
        self.clip.is_none_or(|(lo, hi)| lo <= hi)
    }

    /// The model input for one raw value.
    #[inline]
    pub fn encode(&self, value: RawValue<'_>) -> Result<f64> {
        let x = match value {
            RawValue::Null => f64::NAN,
            RawValue::Number(x) if x.is_finite() => x,
            RawValue::Number(x) => {
                return Err(AimassError::data(format!(
                    "feature \"{}\" has the value {}",
                    self.name,
                    pg_float_text(x)
                ))
                .with_detail("NaN and infinite values cannot be scored."))
            }
            RawValue::Text(_) => {
                return Err(AimassError::new(
                    ErrorKind::DatatypeMismatch,
                    format!("feature \"{}\" is numeric but was given text", self.name),
                ))
            }
        };
        Ok((self.fill_and_clip(x) - self.center) / self.scale)
    }

    pub fn describe(&self) -> (String, Value) {
        let mut parts = vec![format!("NULL → {} ({})", self.fill, self.impute)];
        if let Some((lo, hi)) = self.clip {
            parts.push(format!("clip to [{lo}, {hi}]"));
        }
        if self.scaling != "none" {
            parts.push(format!("{} scaling: (x − {}) / {}", self.scaling, self.center, self.scale));
        }
        let stats = json!({
            "impute": self.impute, "fill": self.fill,
            "clip": self.clip.map(|(lo, hi)| vec![lo, hi]),
            "scale": self.scaling, "center": self.center, "scale_by": self.scale,
        });
        (parts.join("; "), stats)
    }
}

fn impute_name(i: Impute) -> &'static str {
    match i {
        Impute::Mean => "mean",
        Impute::Median => "median",
        Impute::Mode => "mode",
        Impute::Zero => "zero",
        Impute::Constant => "constant",
        Impute::Error => "error",
        Impute::Keep => "keep",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_values_are_the_filled_and_clipped_values_sorted() {
        let mut rng = crate::split::SplitMix64::new(5);
        let values: Vec<f64> = (0..5000)
            .map(|i| if i % 7 == 0 { f64::NAN } else { rng.below(2001) as f64 / 100.0 - 10.0 })
            .collect();
        let sorted = stats::sorted_present(&values);
        let nulls = values.len() - sorted.len();
        for (fill, clip) in
            [(0.0, None), (-3.5, Some((-2.0, 4.0))), (f64::NAN, Some((-5.0, 5.0))), (50.0, None)]
        {
            let step = NumericStep {
                name: "x".into(),
                boolean: false,
                impute: String::new(),
                fill,
                clip,
                scaling: String::new(),
                center: 0.0,
                scale: 1.0,
            };
            let mut expected: Vec<f64> =
                values.iter().map(|&v| step.fill_and_clip(v)).filter(|v| !v.is_nan()).collect();
            expected.sort_unstable_by(f64::total_cmp);
            let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
            assert_eq!(bits(step.seen_sorted(&sorted, nulls)), bits(expected), "fill {fill}, clip {clip:?}");
        }
    }
}
