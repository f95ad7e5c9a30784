//! Monitoring a deployed model: the options of a monitor, and the findings of one check (drift of
//! every raw feature and of the score against the model's training reference, and performance
//! once labels arrive), each with its status.
//!
//! The statistics themselves live in [`crate::drift`] (PSI, Jensen–Shannon, KS) and
//! [`crate::metrics`] (AUC, KS of separation): this module only decides what is checked and
//! how a value turns into `ok`, `warn` or `alert`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::data::Column;
use crate::drift::{self, Reference};
use crate::error::{AimassError, Result};
use crate::json_options::Options;

/// A warning and an alert threshold (`warn <= alert`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub warn: f64,
    pub alert: f64,
}

impl Band {
    /// The status of `value` and the threshold it is measured against: the one it crossed, or
    /// the warning threshold while it is `ok`.
    pub fn judge(&self, value: f64) -> (&'static str, f64) {
        match drift::status(value, self.warn, self.alert) {
            "alert" => ("alert", self.alert),
            s => (s, self.warn),
        }
    }

    fn parse(options: &mut Options<'_>, key: &'static str) -> Result<Option<Band>> {
        let Some(v) = options.object(key)? else { return Ok(None) };
        let value = Value::Object(v.clone());
        let mut o = Options::new(&value, key)?;
        let warn = o.number("warn", 0.0, f64::MAX)?;
        let alert = o.number("alert", 0.0, f64::MAX)?;
        o.finish()?;
        let (Some(warn), Some(alert)) = (warn, alert) else {
            return Err(AimassError::invalid_parameter(format!("{key} needs both \"warn\" and \"alert\"")));
        };
        if warn > alert {
            return Err(AimassError::invalid_parameter(format!(
                "{key}: \"warn\" ({warn}) must not be above \"alert\" ({alert})"
            )));
        }
        Ok(Some(Band { warn, alert }))
    }
}

/// The thresholds of the drift statistics; a statistic without a band is reported as `ok`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    pub psi: Option<Band>,
    pub js: Option<Band>,
    pub ks: Option<Band>,
}

/// PSI's customary bands: below 0.1 stable, 0.1–0.25 a shift worth a look, above 0.25 a shift.
pub const PSI_BAND: Band = Band { warn: 0.1, alert: 0.25 };
/// Drops of AUC (and of KS) from the training test score that warn and alert.
pub const PERFORMANCE_BAND: Band = Band { warn: 0.05, alert: 0.1 };

/// What a monitor watches and how; intervals stay PostgreSQL interval text, checked by the
/// catalog layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorOptions {
    /// Rows of the last `window` by this column; without it, every row of the relation.
    pub timestamp_column: Option<String>,
    pub window: String,
    pub every: String,
    /// Fewer rows than this in a window: the check is skipped (status `skipped`).
    pub min_rows: i64,
    /// More rows than this in a window are sampled down to about this many (0: never sample).
    pub sample_rows: i64,
    pub thresholds: Thresholds,
    /// Performance monitoring: the label column, how long labels take to arrive, and the band of
    /// AUC/KS drops.
    pub label_column: Option<String>,
    pub label_delay: String,
    pub performance: Band,
}

impl MonitorOptions {
    pub fn parse(value: &Value) -> Result<MonitorOptions> {
        let mut o = Options::new(value, "monitor option")?;
        let timestamp_column = o.string("timestamp_column")?;
        let window = o.string("window")?.unwrap_or_else(|| "1 day".to_owned());
        let every = o.string("every")?.unwrap_or_else(|| "1 hour".to_owned());
        let min_rows = o.integer("min_rows", 1, i64::MAX)?.unwrap_or(100);
        let sample_rows = o.integer("sample_rows", 0, i64::MAX)?.unwrap_or(100_000);
        let thresholds = Thresholds {
            psi: Some(Band::parse(&mut o, "psi")?.unwrap_or(PSI_BAND)),
            js: Band::parse(&mut o, "js")?,
            ks: Band::parse(&mut o, "ks")?,
        };
        let label_column = o.string("label_column")?;
        let label_delay = o.string("label_delay")?.unwrap_or_else(|| "0 days".to_owned());
        let performance = Band::parse(&mut o, "performance")?.unwrap_or(PERFORMANCE_BAND);
        o.finish()?;
        if sample_rows > 0 && sample_rows < min_rows {
            return Err(AimassError::invalid_parameter(format!(
                "sample_rows ({sample_rows}) must not be below min_rows ({min_rows})"
            )));
        }
        Ok(MonitorOptions {
            timestamp_column,
            window,
            every,
            min_rows,
            sample_rows,
            thresholds,
            label_column,
            label_delay,
            performance,
        })
    }

    /// The options with every default filled in, as stored and shown.
    pub fn to_json(&self) -> Value {
        json!({
            "timestamp_column": self.timestamp_column,
            "window": self.window,
            "every": self.every,
            "min_rows": self.min_rows,
            "sample_rows": self.sample_rows,
            "psi": self.thresholds.psi,
            "js": self.thresholds.js,
            "ks": self.thresholds.ks,
            "label_column": self.label_column,
            "label_delay": self.label_delay,
            "performance": self.performance,
        })
    }
}

/// A model's stored reference (`aimass.models.reference`).
#[derive(Debug, Clone, Deserialize)]
pub struct ModelReference {
    pub features: BTreeMap<String, Reference>,
    pub score: Reference,
}

impl ModelReference {
    pub fn from_json(v: &Value) -> Result<ModelReference> {
        serde_json::from_value(v.clone()).map_err(|e| {
            AimassError::new(
                crate::error::ErrorKind::NotInPrerequisiteState,
                format!("the model has no usable drift reference ({e})"),
            )
            .with_hint("Retrain the model: every model trained by this version stores one.")
        })
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Feature,
    Score,
    Performance,
    /// The check as a whole (skipped for too few rows).
    Check,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feature => "feature",
            Kind::Score => "score",
            Kind::Performance => "performance",
            Kind::Check => "check",
        }
    }
}

/// One statistic of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// The feature's name, `score` for the score (drift and performance), none for the check.
    pub feature: Option<String>,
    pub statistic: &'static str,
    pub value: f64,
    /// The training value a performance statistic is compared with.
    pub expected: Option<f64>,
    pub threshold: Option<f64>,
    /// `ok`, `warn`, `alert` or `skipped`.
    pub status: &'static str,
}

/// The name findings about the score carry.
pub const SCORE: &str = "score";

fn drift_findings(kind: Kind, name: &str, d: &drift::Drift, t: &Thresholds) -> Vec<Finding> {
    let mut out = Vec::with_capacity(3);
    for (statistic, value, band) in
        [("psi", Some(d.psi), t.psi), ("js", Some(d.js), t.js), ("ks", d.ks, t.ks)]
    {
        let Some(value) = value else { continue };
        let (status, threshold) = match band {
            Some(b) => {
                let (s, th) = b.judge(value);
                (s, Some(th))
            }
            None => ("ok", None),
        };
        out.push(Finding {
            kind,
            feature: Some(name.to_owned()),
            statistic,
            value,
            expected: None,
            threshold,
            status,
        });
    }
    out
}

/// A finding that the check was skipped: `rows` live rows, fewer than `min_rows`.
pub fn skipped(kind: Kind, rows: usize, min_rows: i64) -> Finding {
    Finding {
        kind,
        feature: if kind == Kind::Performance { Some(SCORE.to_owned()) } else { None },
        statistic: "rows",
        value: rows as f64,
        expected: None,
        threshold: Some(min_rows as f64),
        status: "skipped",
    }
}

/// One warning per live feature that held NaN or ±Infinity (read as missing, so the check goes
/// on): the count is the finding's value.
pub fn non_finite(features: &[&Column]) -> Vec<Finding> {
    non_finite_counts(features.iter().map(|c| (c.name.as_str(), c.non_finite)))
}

/// [`non_finite`] of each feature's count of non-finite values.
pub fn non_finite_counts<'a>(counts: impl IntoIterator<Item = (&'a str, usize)>) -> Vec<Finding> {
    counts
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .map(|(name, n)| Finding {
            kind: Kind::Feature,
            feature: Some(name.to_owned()),
            statistic: "non_finite",
            value: n as f64,
            expected: None,
            threshold: Some(0.0),
            status: "warn",
        })
        .collect()
}

/// Drift of the live `features` (the model's raw features, by name) and of their `scores`
/// against the reference: per feature PSI, Jensen–Shannon and (numbers) KS, then the same for the
/// score. A feature the reference does not know is an error.
pub fn drift(
    reference: &ModelReference,
    features: &[&Column],
    scores: &[f64],
    t: &Thresholds,
) -> Result<Vec<Finding>> {
    let mut live = Vec::with_capacity(features.len());
    for column in features {
        live.push((column.name.as_str(), feature_reference(reference, &column.name)?.count(column)));
    }
    drift_of_counts(reference, &live, &reference.score.count_values(scores), t)
}

/// The reference of one raw feature.
pub fn feature_reference<'a>(reference: &'a ModelReference, name: &str) -> Result<&'a Reference> {
    reference
        .features
        .get(name)
        .ok_or_else(|| AimassError::internal(format!("the drift reference has no feature \"{name}\"")))
}

/// [`drift`] of live counts in the reference's bins: each feature's (by name) and the score's.
pub fn drift_of_counts(
    reference: &ModelReference,
    features: &[(&str, Vec<f64>)],
    score: &[f64],
    t: &Thresholds,
) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (name, counts) in features {
        let d = feature_reference(reference, name)?.compare(counts);
        out.extend(drift_findings(Kind::Feature, name, &d, t));
    }
    let d = reference.score.compare(score);
    out.extend(drift_findings(Kind::Score, SCORE, &d, t));
    Ok(out)
}

/// Performance on labelled live rows (0/1 `labels`) against the training test metrics: AUC and
/// KS judged by their drop, and the bad rate for information.
pub fn performance(
    scores: &[f64],
    labels: &[f64],
    expected_auc: Option<f64>,
    expected_ks: Option<f64>,
    band: &Band,
) -> Vec<Finding> {
    let (auc, ks) = crate::metrics::auc_ks(scores, labels);
    let bad_rate = labels.iter().sum::<f64>() / labels.len().max(1) as f64;
    performance_of(auc, ks, bad_rate, expected_auc, expected_ks, band)
}

/// [`performance`] of live scores counted by label (per distinct score, ascending: negatives,
/// positives), as a distributed table's workers send them.
pub fn performance_of_counts(
    counts: &[[u64; 2]],
    expected_auc: Option<f64>,
    expected_ks: Option<f64>,
    band: &Band,
) -> Vec<Finding> {
    let (auc, ks) = crate::metrics::auc_ks_of_counts(counts);
    let (neg, pos) = counts.iter().fold((0u64, 0u64), |(n, p), c| (n + c[0], p + c[1]));
    let bad_rate = pos as f64 / (neg + pos).max(1) as f64;
    performance_of(auc, ks, bad_rate, expected_auc, expected_ks, band)
}

/// The performance findings of an AUC, a KS and a bad rate.
fn performance_of(
    auc: f64,
    ks: f64,
    bad_rate: f64,
    expected_auc: Option<f64>,
    expected_ks: Option<f64>,
    band: &Band,
) -> Vec<Finding> {
    let judged = |statistic, value: f64, expected: Option<f64>| {
        let (status, threshold) = match expected {
            Some(e) if !value.is_nan() => {
                let (s, drop) = band.judge(e - value);
                (s, Some(e - drop))
            }
            _ => ("ok", None),
        };
        Finding {
            kind: Kind::Performance,
            feature: Some(SCORE.to_owned()),
            statistic,
            value,
            expected,
            threshold,
            status,
        }
    };
    vec![
        judged("auc", auc, expected_auc),
        judged("ks", ks, expected_ks),
        Finding {
            kind: Kind::Performance,
            feature: Some(SCORE.to_owned()),
            statistic: "bad_rate",
            value: bad_rate,
            expected: None,
            threshold: None,
            status: "ok",
        },
    ]
}

/// The worst status among findings: `alert` > `warn` > `ok` > `skipped`.
pub fn worst(findings: &[Finding]) -> &'static str {
    let rank = |s: &str| match s {
        "alert" => 3,
        "warn" => 2,
        "ok" => 1,
        _ => 0,
    };
    findings.iter().map(|f| f.status).max_by_key(|s| rank(s)).unwrap_or("skipped")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnBuilder, ColumnKind};

    fn numbers(name: &str, values: impl Iterator<Item = f64>) -> Column {
        let mut b = ColumnBuilder::new(name, ColumnKind::Numeric);
        for v in values {
            b.push_number(Some(v)).unwrap();
        }
        b.finish()
    }

    #[test]
    fn options_fill_defaults_and_refuse_unknown_keys_and_crossed_bands() {
        let o = MonitorOptions::parse(&json!({"timestamp_column": "at"})).unwrap();
        assert_eq!(o.thresholds.psi, Some(PSI_BAND));
        assert_eq!((o.window.as_str(), o.every.as_str(), o.min_rows), ("1 day", "1 hour", 100));
        assert!(o.thresholds.js.is_none());
        let back = MonitorOptions::parse(&o.to_json()).unwrap();
        assert_eq!(back, o);
        let e = MonitorOptions::parse(&json!({"windw": "1 day"})).unwrap_err();
        assert!(e.message.contains("unknown monitor option name \"windw\""), "{}", e.message);
        let e = MonitorOptions::parse(&json!({"psi": {"warn": 0.3, "alert": 0.2}})).unwrap_err();
        assert!(e.message.contains("must not be above"), "{}", e.message);
        let e = MonitorOptions::parse(&json!({"ks": {"warn": 0.1}})).unwrap_err();
        assert!(e.message.contains("needs both"), "{}", e.message);
    }

    #[test]
    fn a_shifted_feature_alerts_and_a_stable_one_stays_ok() {
        let train_a = numbers("a", (0..2000).map(|i| (i % 100) as f64));
        let train_b = numbers("b", (0..2000).map(|i| (i % 37) as f64));
        let scores: Vec<f64> = (0..2000).map(|i| (i % 10) as f64 / 10.0).collect();
        let reference = ModelReference {
            features: [("a", &train_a), ("b", &train_b)]
                .into_iter()
                .map(|(n, c)| (n.to_owned(), Reference::of_column(c)))
                .collect(),
            score: Reference::numeric(&scores),
        };
        let live_a = numbers("a", (0..1000).map(|i| (i % 100) as f64 / 2.0));
        let live_b = numbers("b", (0..1000).map(|i| (i % 37) as f64));
        let t = Thresholds { psi: Some(PSI_BAND), js: None, ks: Some(Band { warn: 0.1, alert: 0.2 }) };
        let f = drift(&reference, &[&live_a, &live_b], &scores[..1000], &t).unwrap();
        let get = |feature: &str, statistic: &str| {
            f.iter().find(|x| x.feature.as_deref() == Some(feature) && x.statistic == statistic).unwrap()
        };
        assert_eq!(get("a", "psi").status, "alert");
        assert_eq!(get("a", "psi").threshold, Some(0.25));
        assert_eq!(get("a", "ks").status, "alert");
        assert_eq!(get("b", "psi").status, "ok");
        assert_eq!(get("b", "psi").threshold, Some(0.1));
        // No band for Jensen–Shannon: reported, never judged.
        assert_eq!((get("a", "js").status, get("a", "js").threshold), ("ok", None));
        assert_eq!(get(SCORE, "psi").kind, Kind::Score);
        assert_eq!(worst(&f), "alert");
        // The PSI is the one of core::stability on the same bins.
        let r = &reference.features["a"];
        assert_eq!(get("a", "psi").value, crate::stability::psi_counts(r.counts(), &r.count(&live_a)));
        // From counts (as a distributed table's workers send them): the same findings.
        let live = [("a", r.count(&live_a)), ("b", reference.features["b"].count(&live_b))];
        let counted = drift_of_counts(&reference, &live, &reference.score.count_values(&scores[..1000]), &t);
        assert_eq!(counted.unwrap(), f);
        let e = drift_of_counts(&reference, &[("c", vec![0.0; 3])], &[], &t).unwrap_err();
        assert!(e.message.contains("no feature \"c\""), "{}", e.message);
    }

    #[test]
    fn performance_is_judged_by_its_drop() {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2];
        let labels = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let f = performance(&scores, &labels, Some(0.9), None, &PERFORMANCE_BAND);
        let auc = &f[0];
        assert_eq!(auc.value, 0.75);
        assert_eq!(auc.status, "alert");
        assert!((auc.threshold.unwrap() - 0.8).abs() < 1e-12);
        assert_eq!((f[1].status, f[1].threshold), ("ok", None));
        assert_eq!((f[2].statistic, f[2].value), ("bad_rate", 0.5));
        let fine = performance(&scores, &labels, Some(0.78), None, &PERFORMANCE_BAND);
        assert_eq!(fine[0].status, "ok");
        // The same scores counted by label (a tie at 0.4 added on both sides): the same findings.
        let (mut scores, mut labels) = (scores.to_vec(), labels.to_vec());
        scores.extend([0.4, 0.4]);
        labels.extend([1.0, 0.0]);
        let mut pairs: Vec<(f64, f64)> = scores.iter().copied().zip(labels.iter().copied()).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut counts: Vec<(f64, [u64; 2])> = Vec::new();
        for (s, y) in pairs {
            if counts.last().is_none_or(|c| c.0 != s) {
                counts.push((s, [0, 0]));
            }
            counts.last_mut().unwrap().1[y as usize] += 1;
        }
        let counts: Vec<[u64; 2]> = counts.into_iter().map(|c| c.1).collect();
        assert_eq!(
            performance_of_counts(&counts, Some(0.9), Some(0.5), &PERFORMANCE_BAND),
            performance(&scores, &labels, Some(0.9), Some(0.5), &PERFORMANCE_BAND)
        );
    }
}
