//! Scorecard points and per-row reason codes.
//!
//! Reason codes (`aimass.explain`) rank features by how much they pushed this row's risk up:
//! - linear and logistic models: the feature's share of the linear predictor, `Σ β_j · x_j` over
//!   its encoded inputs (exact: the shares plus the intercept are the model's raw output);
//! - scorecards: the points the row lost on the feature, its best bin's points minus the points
//!   of its own bin — the adverse-action practice of naming what cost the applicant most;
//! - isolation forests: TreeSHAP values of the mean path length, negated (what isolated the row);
//!   they add up to the expected path length minus the row's;
//! - tree ensembles: TreeSHAP values of the raw output (log-odds for binary models), summed over
//!   a feature's encoded inputs; they add up to the raw output minus its training mean.

use crate::algorithms::scorecard::ScorecardModel;
use crate::algorithms::FittedModel;
use crate::data::{number_text, RawValue};
use crate::error::{AimassError, ErrorKind, Result};
use crate::model::Model;
use crate::preprocess::{BinnedStep, FeatureStep};

/// One row of a printed scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct PointsRow {
    pub feature: String,
    /// 1-based bin, `None` for the base points.
    pub bin: Option<usize>,
    pub label: String,
    pub woe: f64,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub feature: String,
    pub value: String,
    pub contribution: f64,
}

fn scorecard(model: &Model) -> Result<&ScorecardModel> {
    match &model.fitted {
        FittedModel::Scorecard(s) => Ok(s),
        _ => Err(AimassError::new(
            ErrorKind::InvalidParameter,
            format!("model is a {} model, not a scorecard", model.algorithm),
        )
        .with_hint("Train one with algorithm => 'scorecard'.")),
    }
}

fn binned(step: &FeatureStep) -> Result<&BinnedStep> {
    match step {
        FeatureStep::Binned(b) => Ok(b),
        _ => Err(AimassError::internal("scorecard feature without bins")),
    }
}

/// The points table: base points, then every bin of every feature.
pub fn points_table(model: &Model) -> Result<Vec<PointsRow>> {
    let sc = scorecard(model)?;
    let s = &sc.scaling;
    let mut rows = vec![PointsRow {
        feature: "(base points)".into(),
        bin: None,
        label: String::new(),
        woe: 0.0,
        points: s.points(s.offset() - s.factor() * sc.linear.intercept),
    }];
    for (step, &beta) in model.recipe.steps.iter().zip(&sc.linear.coefficients) {
        let b = binned(step)?;
        for (i, bin) in b.bins.iter().enumerate() {
            rows.push(PointsRow {
                feature: b.name.clone(),
                bin: Some(i + 1),
                label: bin.label(),
                woe: bin.woe,
                points: s.points(-s.factor() * beta * bin.woe),
            });
        }
    }
    Ok(rows)
}

/// Points of one feature for one raw value (a value in no bin has WOE 0).
fn feature_points(sc: &ScorecardModel, b: &BinnedStep, beta: f64, v: RawValue<'_>) -> Result<f64> {
    Ok(sc.scaling.points(-sc.scaling.factor() * beta * b.encode(v)?))
}

/// The total score of one row (raw values in feature order).
pub fn score_points(model: &Model, raw: &[RawValue<'_>]) -> Result<f64> {
    let sc = scorecard(model)?;
    let s = &sc.scaling;
    let mut total = s.points(s.offset() - s.factor() * sc.linear.intercept);
    for ((step, &beta), &v) in model.recipe.steps.iter().zip(&sc.linear.coefficients).zip(raw) {
        total += feature_points(sc, binned(step)?, beta, v)?;
    }
    Ok(total)
}

fn value_text(v: RawValue<'_>) -> String {
    match v {
        RawValue::Null => "NULL".into(),
        RawValue::Number(x) => number_text(x),
        RawValue::Text(s) => s.to_owned(),
    }
}

fn encode(model: &Model, raw: &[RawValue<'_>]) -> Result<Vec<f64>> {
    let mut x = vec![0.0; model.recipe.width()];
    model.recipe.encode_row(raw, &mut x)?;
    Ok(x)
}

/// Sums per-input contributions over each feature's encoded inputs.
fn per_feature(model: &Model, raw: &[RawValue<'_>], inputs: &[f64], out: &mut Vec<Reason>) {
    let mut at = 0;
    for (step, &v) in model.recipe.steps.iter().zip(raw) {
        let w = step.width();
        let contribution = inputs[at..at + w].iter().sum();
        out.push(Reason { feature: step.name().to_owned(), value: value_text(v), contribution });
        at += w;
    }
}

/// Every feature's contribution for one row, largest first.
pub fn reasons(model: &Model, raw: &[RawValue<'_>]) -> Result<Vec<Reason>> {
    let mut out = Vec::with_capacity(raw.len());
    match &model.fitted {
        FittedModel::Scorecard(sc) => {
            for ((step, &beta), &v) in model.recipe.steps.iter().zip(&sc.linear.coefficients).zip(raw) {
                let b = binned(step)?;
                let best = b
                    .bins
                    .iter()
                    .map(|bin| sc.scaling.points(-sc.scaling.factor() * beta * bin.woe))
                    .fold(f64::NEG_INFINITY, f64::max);
                out.push(Reason {
                    feature: b.name.clone(),
                    value: value_text(v),
                    contribution: best - feature_points(sc, b, beta, v)?,
                });
            }
        }
        FittedModel::Linear(m) => {
            let x = encode(model, raw)?;
            let shares: Vec<f64> = m.coefficients.iter().zip(&x).map(|(b, x)| b * x).collect();
            per_feature(model, raw, &shares, &mut out);
        }
        FittedModel::Trees(t) => {
            let x = encode(model, raw)?;
            per_feature(model, raw, &t.shap(&x), &mut out);
        }
        FittedModel::Isolation(m) => {
            // Shorter paths mean more anomalous: a feature's contribution is how much it
            // shortened this row's mean path below the forest's expected path.
            let x = encode(model, raw)?;
            let phi: Vec<f64> = m.forest.shap(&x).into_iter().map(|p| -p).collect();
            per_feature(model, raw, &phi, &mut out);
        }
        FittedModel::KMeans(_) => {
            return Err(AimassError::new(
                ErrorKind::FeatureNotSupported,
                "reason codes are not available for kmeans models: they have no risk to explain",
            ))
        }
        FittedModel::Stack(_) | FittedModel::Bag(_) | FittedModel::Mlp(_) | FittedModel::Svm(_) => {
            let e = AimassError::new(
                ErrorKind::FeatureNotSupported,
                format!("reason codes are not available for {} models", model.algorithm),
            );
            return Err(if matches!(model.fitted, FittedModel::Mlp(_) | FittedModel::Svm(_)) {
                e
            } else {
                e.with_hint("Explain one of its base models: train it on its own.")
            });
        }
    }
    out.sort_by(|a, b| b.contribution.total_cmp(&a.contribution).then(a.feature.cmp(&b.feature)));
    Ok(out)
}
