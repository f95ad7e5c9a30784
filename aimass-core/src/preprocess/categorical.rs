//! A text feature: NULL handling, then one-hot, ordinal, target (smoothed mean), WOE or hashing
//! encoding over the categories seen in training.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::options::{ColumnOptions, Encode, FillValue, Impute};
use super::unsuitable;
use crate::data::{number_text, Column, ColumnData, RawValue, MISSING_CODE};
use crate::error::{AimassError, Result};
use crate::task::Task;
use crate::woe::{woe, BinCounts};

/// The fitted encoding. Values per level follow `levels`' order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// One input per level, then a *missing* and an *unseen* input.
    OneHot,
    /// One input: the level's 1-based position in sorted order, 0 for NULL and unseen.
    Ordinal,
    /// One input: `(sum_y + m·prior) / (n + m)` of the level's training rows.
    Target { values: Vec<f64>, missing: f64, unseen: f64 },
    /// One input: the level's weight of evidence (binary targets).
    Woe { values: Vec<f64>, missing: f64, unseen: f64 },
    /// `buckets` inputs one-hot over FNV-1a(text) mod `buckets`, then a *missing* input.
    Hashing { buckets: usize },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalStep {
    pub name: String,
    /// The kept training categories, sorted (empty for hashing).
    pub levels: Vec<String>,
    /// How NULLs are treated (`category`, `mode`, `constant`, `error`).
    pub impute: String,
    /// With `mode` / `constant` imputation, the category a NULL stands for.
    pub null_as: Option<String>,
    pub encoding: Encoding,
}

enum Slot {
    Level(usize),
    Missing,
    Unseen,
}

impl CategoricalStep {
    pub fn fit(
        column: &Column,
        labels: &[f64],
        task: Task,
        o: &ColumnOptions,
        explicit: impl Fn(&str) -> bool,
    ) -> Result<CategoricalStep> {
        let ColumnData::Categorical { codes, dictionary } = &column.data else {
            return Err(AimassError::internal("categorical step on a numeric column"));
        };
        let name = &column.name;
        for key in ["scale", "clip"] {
            if explicit(key) {
                return Err(unsuitable(name, &format!("\"{key}\""), "text"));
            }
        }
        let mut counts = vec![0usize; dictionary.len()];
        let mut nulls = 0;
        for &c in codes {
            if c == MISSING_CODE {
                nulls += 1;
            } else {
                counts[c as usize] += 1;
            }
        }
        // Most frequent first; ties by name so the choice is deterministic.
        let mut order: Vec<usize> = (0..dictionary.len()).filter(|&i| counts[i] > 0).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(dictionary[a].cmp(&dictionary[b])));

        let (impute, null_as) = match (o.impute, &o.fill_value) {
            (Some(Impute::Mode), _) => ("mode", order.first().map(|&i| dictionary[i].clone())),
            (Some(Impute::Constant), Some(FillValue::Text(s))) => ("constant", Some(s.clone())),
            (Some(Impute::Error), _) => {
                if nulls > 0 {
                    return Err(AimassError::data(format!(
                        "feature \"{name}\" has {nulls} NULL values in the training rows and preprocess impute is \"error\""
                    )));
                }
                ("error", None)
            }
            (Some(m), _) if explicit("impute") || explicit("fill_value") => {
                let what = match m {
                    Impute::Constant => "\"fill_value\" that is not a string".to_owned(),
                    other => format!("\"impute\": \"{}\"", format!("{other:?}").to_lowercase()),
                };
                return Err(unsuitable(name, &what, "text"));
            }
            _ => ("category", None),
        };

        if o.encode != Encode::Hashing {
            order.truncate(o.max_categories);
        }
        let mut levels: Vec<String> = order.iter().map(|&i| dictionary[i].clone()).collect();
        levels.sort();
        let mut step = CategoricalStep {
            name: name.clone(),
            levels,
            impute: impute.to_owned(),
            null_as,
            encoding: Encoding::OneHot,
        };
        step.encoding = match o.encode {
            Encode::OneHot => Encoding::OneHot,
            Encode::Ordinal => Encoding::Ordinal,
            Encode::Hashing => {
                step.levels.clear();
                Encoding::Hashing { buckets: o.buckets }
            }
            Encode::Target | Encode::Woe => {
                if o.encode == Encode::Woe && task != Task::Binary {
                    return Err(AimassError::invalid_parameter(format!(
                        "preprocess encode \"woe\" for column \"{name}\" needs a binary target"
                    )));
                }
                step.fit_target_statistics(column, labels, o)
            }
        };
        Ok(step)
    }

    /// Target or WOE values per level from the training rows.
    fn fit_target_statistics(&self, column: &Column, labels: &[f64], o: &ColumnOptions) -> Encoding {
        let k = self.levels.len();
        // Per level (then missing, then unseen): count and sum of the target.
        let mut n = vec![0.0; k + 2];
        let mut sum = vec![0.0; k + 2];
        for (i, &y) in labels.iter().enumerate() {
            let slot = match self.slot(column.raw(i)) {
                Slot::Level(j) => j,
                Slot::Missing => k,
                Slot::Unseen => k + 1,
            };
            n[slot] += 1.0;
            sum[slot] += y;
        }
        if o.encode == Encode::Target {
            let prior = sum.iter().sum::<f64>() / n.iter().sum::<f64>();
            let m = o.smoothing;
            let enc = |j: usize| if n[j] + m > 0.0 { (sum[j] + m * prior) / (n[j] + m) } else { prior };
            let missing = if n[k] > 0.0 { enc(k) } else { prior };
            Encoding::Target { values: (0..k).map(enc).collect(), missing, unseen: prior }
        } else {
            let total_bad: f64 = sum.iter().sum();
            let total_good = n.iter().sum::<f64>() - total_bad;
            let w = |j: usize| woe(BinCounts { bad: sum[j], good: n[j] - sum[j] }, total_bad, total_good);
            let missing = if n[k] > 0.0 { w(k) } else { 0.0 };
            Encoding::Woe { values: (0..k).map(w).collect(), missing, unseen: 0.0 }
        }
    }

    pub fn width(&self) -> usize {
        match self.encoding {
            Encoding::OneHot => self.levels.len() + 2,
            Encoding::Ordinal | Encoding::Target { .. } | Encoding::Woe { .. } => 1,
            Encoding::Hashing { buckets } => buckets + 1,
        }
    }

    /// Whether a stored step can encode without panicking: sorted distinct levels, one value per
    /// level for target and WOE encodings, and 1 – 65,536 hashing buckets (training allows 2 –
    /// 65,536). The fuzzer found zero buckets (a division by zero) in a crafted artifact.
    pub fn is_consistent(&self) -> bool {
        let sorted = self.levels.windows(2).all(|w| w[0] < w[1]);
        sorted
            && match &self.encoding {
                Encoding::OneHot | Encoding::Ordinal => true,
                Encoding::Target { values, .. } | Encoding::Woe { values, .. } => {
                    values.len() == self.levels.len()
                }
                Encoding::Hashing { buckets } => (1..=65_536).contains(buckets),
            }
    }

    pub fn is_one_hot(&self) -> bool {
        matches!(self.encoding, Encoding::OneHot | Encoding::Hashing { .. })
    }

    fn lookup(&self, s: &str) -> Slot {
        self.levels.binary_search_by(|l| l.as_str().cmp(s)).map_or(Slot::Unseen, Slot::Level)
    }

    fn slot(&self, value: RawValue<'_>) -> Slot {
        match value {
            RawValue::Null => match &self.null_as {
                Some(s) => self.lookup(s),
                None => Slot::Missing,
            },
            RawValue::Text(s) => self.lookup(s),
            // A number given for a text feature (e.g. from jsonb): match its text form.
            RawValue::Number(x) => self.lookup(&number_text(x)),
        }
    }

    /// Writes the inputs of one raw value into `out` (of length `width()`).
    #[inline]
    pub fn encode(&self, value: RawValue<'_>, out: &mut [f64]) {
        match &self.encoding {
            Encoding::OneHot => {
                out.fill(0.0);
                let k = self.levels.len();
                out[match self.slot(value) {
                    Slot::Level(i) => i,
                    Slot::Missing => k,
                    Slot::Unseen => k + 1,
                }] = 1.0;
            }
            Encoding::Ordinal => {
                out[0] = match self.slot(value) {
                    Slot::Level(i) => (i + 1) as f64,
                    Slot::Missing | Slot::Unseen => 0.0,
                }
            }
            Encoding::Target { values, missing, unseen } | Encoding::Woe { values, missing, unseen } => {
                out[0] = match self.slot(value) {
                    Slot::Level(i) => values[i],
                    Slot::Missing => *missing,
                    Slot::Unseen => *unseen,
                }
            }
            Encoding::Hashing { buckets } => {
                out.fill(0.0);
                let text = match value {
                    RawValue::Null => self.null_as.as_deref().map(std::borrow::Cow::Borrowed),
                    RawValue::Text(s) => Some(std::borrow::Cow::Borrowed(s)),
                    RawValue::Number(x) => Some(std::borrow::Cow::Owned(number_text(x))),
                };
                out[match text {
                    Some(s) => (fnv1a(s.as_bytes()) % *buckets as u64) as usize,
                    None => *buckets,
                }] = 1.0;
            }
        }
    }

    pub fn input_names(&self) -> Vec<String> {
        let name = &self.name;
        match &self.encoding {
            Encoding::OneHot => self
                .levels
                .iter()
                .map(|l| format!("{name}={l}"))
                .chain([format!("{name}:missing"), format!("{name}:unseen")])
                .collect(),
            Encoding::Ordinal | Encoding::Target { .. } | Encoding::Woe { .. } => vec![name.clone()],
            Encoding::Hashing { buckets } => {
                (0..*buckets).map(|b| format!("{name}#{b}")).chain([format!("{name}:missing")]).collect()
            }
        }
    }

    pub fn describe(&self) -> (String, Value) {
        let null = match &self.null_as {
            Some(s) => format!("NULL → '{s}' ({})", self.impute),
            None => "NULL → its own category".to_owned(),
        };
        let per_level = |values: &[f64]| -> Value {
            let m: Map<String, Value> =
                self.levels.iter().zip(values).map(|(l, v)| (l.clone(), json!(v))).collect();
            Value::Object(m)
        };
        let (what, detail) = match &self.encoding {
            Encoding::OneHot => {
                (format!("one-hot over {} categories, missing, unseen", self.levels.len()), json!({}))
            }
            Encoding::Ordinal => (
                format!(
                    "ordinal: position among {} sorted categories, 0 for missing and unseen",
                    self.levels.len()
                ),
                json!({}),
            ),
            Encoding::Target { values, missing, unseen } => (
                "target encoding (smoothed mean of the target)".to_owned(),
                json!({"values": per_level(values), "missing": missing, "unseen": unseen}),
            ),
            Encoding::Woe { values, missing, unseen } => (
                "weight of evidence".to_owned(),
                json!({"values": per_level(values), "missing": missing, "unseen": unseen}),
            ),
            Encoding::Hashing { buckets } => (format!("hashing into {buckets} buckets, missing"), json!({})),
        };
        let mut stats = json!({"impute": self.impute, "null_as": self.null_as, "levels": self.levels});
        if let (Value::Object(s), Value::Object(d)) = (&mut stats, detail) {
            s.extend(d);
        }
        (format!("{null}; {what}"), stats)
    }
}

/// 64-bit FNV-1a: a fixed, documented hash, so a bucket never changes between versions.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}
