//! `scorecard`: logistic regression on the WOE of supervised bins, scaled to points.
//!
//! Every feature is binned (tree binning unless `preprocess` names another `binning` method) and
//! encoded by its bin's WOE = ln(bad share / good share). Points follow the credit-scoring
//! convention: `score = offset − factor · ln(odds of bad)`, `factor = pdo / ln 2`,
//! `offset = base_score − factor · ln(base_odds)` with `base_odds` the good:bad odds at
//! `base_score`. A bin's points are `−factor · β · WOE`; the intercept gives the base points.
//!
//! | name | default | range | purpose |
//! |---|---|---|---|
//! | round | false | | round every bin's points to an integer |
//! | drop_wrong_sign | false | | refit without features whose coefficient is negative (points that run against the bad rate), one at a time, worst first; a dropped feature scores 0 points |
//! | alpha, max_iterations, tolerance | as `logistic` | | the logistic fit |

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::logistic::{self, Logistic};
use super::{Algorithm, FitContext, FittedModel, LinearModel};
use crate::error::{AimassError, Result};
use crate::json_options::{Options, Param};
use crate::preprocess::FeatureStep;

pub const NAME: &str = "scorecard";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    pub pdo: f64,
    pub base_score: f64,
    pub base_odds: f64,
    pub round: bool,
}

impl Scaling {
    pub fn factor(&self) -> f64 {
        self.pdo / std::f64::consts::LN_2
    }

    pub fn offset(&self) -> f64 {
        self.base_score - self.factor() * self.base_odds.ln()
    }

    /// Points as printed on the card (rounded when asked).
    pub fn points(&self, raw: f64) -> f64 {
        // `+ 0.0` turns a rounded −0 into 0.
        if self.round {
            raw.round() + 0.0
        } else {
            raw
        }
    }
}

/// A fitted scorecard: the logistic model on WOE inputs and its points scaling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardModel {
    pub linear: LinearModel,
    pub scaling: Scaling,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    logistic: Logistic,
    scaling: Scaling,
    drop_wrong_sign: bool,
}

const PDO: Param = Param::number("pdo", 1e-6, 1e6, 20.0, "Points to double the odds.");
const BASE_SCORE: Param = Param::number("base_score", -1e9, 1e9, 600.0, "Score at `base_odds`.");
const BASE_ODDS: Param = Param::number("base_odds", 1e-12, 1e12, 50.0, "Good:bad odds at `base_score`.");
const ROUND: Param = Param::boolean("round", false, "Round each bin's points to an integer.");
const DROP_WRONG_SIGN: Param = Param::boolean(
    "drop_wrong_sign",
    false,
    "Refit without the features whose coefficient has the wrong sign for their WOE.",
);
/// The logistic regression's own, then the scaling's.
pub const PARAMS: &[Param] = &[
    logistic::ALPHA,
    logistic::MAX_ITERATIONS,
    logistic::TOLERANCE,
    PDO,
    BASE_SCORE,
    BASE_ODDS,
    ROUND,
    DROP_WRONG_SIGN,
];

impl Scorecard {
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut rest = Map::new();
        if let Value::Object(m) = value {
            for p in logistic::PARAMS {
                if let Some(v) = m.get(p.name) {
                    rest.insert(p.name.to_owned(), v.clone());
                }
            }
        }
        let mut o = Options::new(value, "hyperparams")?;
        let scaling = Scaling {
            pdo: o.num(&PDO)?,
            base_score: o.num(&BASE_SCORE)?,
            base_odds: o.num(&BASE_ODDS)?,
            round: o.flag(&ROUND)?,
        };
        let drop_wrong_sign = o.flag(&DROP_WRONG_SIGN)?;
        // The logistic keys are checked by Logistic; mark them known here.
        for p in logistic::PARAMS {
            let _ = o.value(p.name);
        }
        o.finish()?;
        Ok(Self { logistic: Logistic::from_json(&Value::Object(rest))?, scaling, drop_wrong_sign })
    }
}

impl Algorithm for Scorecard {
    fn name(&self) -> &'static str {
        NAME
    }

    fn hyperparams(&self) -> Value {
        let mut h = self.logistic.hyperparams();
        h["pdo"] = json!(self.scaling.pdo);
        h["base_score"] = json!(self.scaling.base_score);
        h["base_odds"] = json!(self.scaling.base_odds);
        h["round"] = json!(self.scaling.round);
        h["drop_wrong_sign"] = json!(self.drop_wrong_sign);
        h
    }

    fn fit(&self, x: &Array2<f64>, y: &Array1<f64>, ctx: &FitContext<'_>) -> Result<FittedModel> {
        if let Some(s) = ctx.recipe.steps.iter().find(|s| !matches!(s, FeatureStep::Binned(_))) {
            return Err(AimassError::invalid_parameter(format!(
                "a scorecard needs every feature binned; \"{}\" is not",
                s.name()
            ))
            .with_hint("Leave out its preprocess encode option, or give it \"binning\": \"tree\"."));
        }
        // WOE grows with risk, so a feature's coefficient must be positive; with drop_wrong_sign
        // the most negative one leaves and the rest are refitted until none is negative.
        let mut kept: Vec<usize> = (0..x.ncols()).collect();
        let linear = loop {
            let fitted = if kept.len() == x.ncols() {
                self.logistic.fit(x, y, ctx)?
            } else {
                self.logistic.fit(&x.select(ndarray::Axis(1), &kept), y, ctx)?
            };
            let FittedModel::Linear(fit) = fitted else {
                return Err(AimassError::internal("logistic fit gave another model"));
            };
            let worst = fit
                .coefficients
                .iter()
                .enumerate()
                .filter(|(_, &b)| b < 0.0)
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i);
            match worst {
                Some(i) if self.drop_wrong_sign && kept.len() > 1 => {
                    kept.remove(i);
                }
                _ => {
                    let mut coefficients = vec![0.0; x.ncols()];
                    for (&j, &b) in kept.iter().zip(&fit.coefficients) {
                        coefficients[j] = b;
                    }
                    break LinearModel { coefficients, ..fit };
                }
            }
        };
        Ok(FittedModel::Scorecard(ScorecardModel { linear, scaling: self.scaling }))
    }
}
