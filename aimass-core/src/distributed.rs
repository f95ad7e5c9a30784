//! Training on a table whose rows stay where they are (a Citus distributed table, issue 19):
//! each worker reduces its shards' rows to sums, the coordinator adds the sums up and decides.
//! This module holds both ends' pure parts: the point a Newton pass is made at (the recipe that
//! encodes a raw row, and the coefficients) as the workers receive it, one raw row's share of
//! the pass, and the numeric recipe steps built from order statistics and moments instead of the
//! column's values.

use serde::{Deserialize, Serialize};

use crate::algorithms::newton::PassSums;
use crate::algorithms::FittedModel;
use crate::data::RawValue;
use crate::error::{AimassError, ErrorKind, Result};
use crate::preprocess::NumericStep;
use crate::preprocess::{FeatureStep, Recipe};

/// Where a Newton pass is made: the recipe of the model inputs and the coefficients (intercept
/// last), as the coordinator sends it to every shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewtonPoint {
    pub recipe: Recipe,
    pub beta: Vec<f64>,
    pub b: f64,
}

impl NewtonPoint {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        postcard::to_allocvec(self)
            .map_err(|e| AimassError::internal(format!("cannot encode a Newton point: {e}")))
    }

    /// Reads a point back; refuses one whose recipe is inconsistent or not as wide as its
    /// coefficients, or that has a text step (raw rows arrive as numbers).
    pub fn from_bytes(bytes: &[u8]) -> Result<NewtonPoint> {
        let point: NewtonPoint = postcard::from_bytes(bytes)
            .map_err(|e| AimassError::new(ErrorKind::InvalidParameter, format!("not a Newton point: {e}")))?;
        point.recipe.validate()?;
        if point.beta.len() > crate::algorithms::newton::MAX_INPUTS
            || point.recipe.width() != point.beta.len()
            || point.recipe.steps.iter().any(|s| !matches!(s, FeatureStep::Numeric(_)))
        {
            return Err(AimassError::new(
                ErrorKind::InvalidParameter,
                "a Newton point's recipe does not fit it",
            ));
        }
        Ok(point)
    }

    /// Adds one raw row (the features' values in recipe order, NULL as `None`) with label `y` to
    /// `sums`; `inputs` is scratch space of the recipe's width.
    pub fn add_row(
        &self,
        sums: &mut PassSums,
        raw: &[Option<f64>],
        y: f64,
        inputs: &mut [f64],
    ) -> Result<()> {
        self.encode(raw, inputs)?;
        sums.add_row(inputs, y, (&self.beta, self.b));
        Ok(())
    }

    fn encode(&self, raw: &[Option<f64>], inputs: &mut [f64]) -> Result<()> {
        if raw.len() != self.recipe.steps.len() {
            return Err(AimassError::new(
                ErrorKind::InvalidParameter,
                format!("a row of {} values for {} features", raw.len(), self.recipe.steps.len()),
            ));
        }
        for ((step, value), out) in self.recipe.steps.iter().zip(raw).zip(inputs.iter_mut()) {
            let FeatureStep::Numeric(n) = step else { unreachable!("checked by from_bytes") };
            *out = n.encode(value.map_or(RawValue::Null, RawValue::Number))?;
        }
        Ok(())
    }
}

/// What the coordinator learnt of one numeric feature on the training rows, from pushed-down
/// aggregates: how many values are missing, the median (the fill value), and the mean and
/// population variance of the filled values.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericSummary {
    pub name: String,
    pub boolean: bool,
    pub nulls: u64,
    pub median: f64,
    pub mean: f64,
    pub variance: f64,
}

/// The numeric step of the default preprocessing (NULL → median, standard scaling), which is
/// what [`NumericStep::fit`] makes from the column's values.
pub fn standardized_step(s: &NumericSummary) -> NumericStep {
    NumericStep::standardized(&s.name, s.boolean, s.median, s.mean, s.variance.sqrt())
}

/// The base algorithms a shard ensemble may fit on each shard: those that need nothing of the
/// recipe but the numeric inputs.
pub const SHARD_ALGORITHMS: &[&str] = &["logistic", "gradient_boosting", "random_forest", "decision_tree"];

/// What every shard of a shard ensemble (`strategy => 'shard_ensemble'`, the source document's
/// "split the data set into parts, train a model on each, and integrate their predictions")
/// fits on its own rows, on its own worker: the base algorithm with its hyperparameters, on the
/// rows encoded by the recipe all shards share. The members are averaged as a bagging ensemble.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFit {
    pub recipe: Recipe,
    pub algorithm: String,
    /// The base's hyperparameters, as JSON text.
    pub hyperparams: String,
}

impl ShardFit {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        postcard::to_allocvec(self)
            .map_err(|e| AimassError::internal(format!("cannot encode a shard fit: {e}")))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<ShardFit> {
        let fit: ShardFit = postcard::from_bytes(bytes)
            .map_err(|e| AimassError::new(ErrorKind::InvalidParameter, format!("not a shard fit: {e}")))?;
        fit.recipe.validate()?;
        if !SHARD_ALGORITHMS.contains(&fit.algorithm.as_str())
            || fit.recipe.steps.iter().any(|s| !matches!(s, FeatureStep::Numeric(_)))
        {
            return Err(AimassError::new(
                ErrorKind::InvalidParameter,
                "a shard fit's algorithm or recipe is not one a shard fits",
            ));
        }
        Ok(fit)
    }

    /// Fits the base on one shard's raw rows (`raw`: row after row, the features in recipe
    /// order, NaN for NULL) and labels; returns the fitted model, serialized.
    pub fn fit(&self, raw: &[f64], labels: &[f64]) -> Result<Vec<u8>> {
        let width = self.recipe.steps.len();
        if labels.is_empty() || raw.len() != labels.len() * width {
            return Err(AimassError::data("a shard has no training rows").with_hint(
                "A shard ensemble fits one model per shard: every shard needs training rows of both classes.",
            ));
        }
        let mut x = crate::inputs::dense(labels.len(), width)?;
        for (i, (mut row, values)) in x.rows_mut().into_iter().zip(raw.chunks_exact(width)).enumerate() {
            if i % 4096 == 0 {
                crate::interrupt::check()?;
            }
            for ((out, step), v) in row.iter_mut().zip(&self.recipe.steps).zip(values) {
                let FeatureStep::Numeric(n) = step else { unreachable!("checked by from_bytes") };
                *out = n.encode(if v.is_nan() { RawValue::Null } else { RawValue::Number(*v) })?;
            }
        }
        let hyperparams: serde_json::Value = serde_json::from_str(&self.hyperparams)
            .map_err(|e| AimassError::invalid_parameter(format!("hyperparams: {e}")))?;
        let algorithm = crate::algorithms::build(&self.algorithm, crate::task::Task::Binary, &hyperparams)?;
        let ctx = crate::algorithms::FitContext {
            recipe: &self.recipe,
            weights: None,
            threads: 1,
            on_round: &|_| Ok(()),
        };
        let fitted = algorithm.fit(&x, &ndarray::Array1::from(labels.to_vec()), &ctx)?;
        postcard::to_allocvec(&fitted)
            .map_err(|e| AimassError::internal(format!("cannot encode a shard's model: {e}")))
    }
}

/// The shard ensemble of the members each shard returned ([`ShardFit::fit`]): their mean.
pub fn shard_ensemble(members: &[Vec<u8>]) -> Result<FittedModel> {
    let members = members
        .iter()
        .map(|m| {
            postcard::from_bytes::<FittedModel>(m).map_err(|e| {
                AimassError::new(ErrorKind::DataCorrupted, format!("a shard's model cannot be read: {e}"))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let bag = FittedModel::Bag(members);
    bag.validate()?;
    Ok(bag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, ColumnBuilder, ColumnKind};
    use crate::preprocess::ColumnOptions;

    fn column(values: &[Option<f64>]) -> Column {
        let mut b = ColumnBuilder::new("x", ColumnKind::Numeric);
        for v in values {
            b.push_number(*v).unwrap();
        }
        b.finish()
    }

    #[test]
    fn the_standardized_step_equals_the_fitted_default_step() {
        let values = [Some(3.0), None, Some(1.0), Some(10.0), None, Some(4.0)];
        let fitted = NumericStep::fit(&column(&values), &ColumnOptions::default(), |_| false).unwrap();
        let present = [1.0, 3.0, 4.0, 10.0];
        let median = (3.0 + 4.0) / 2.0;
        let seen: Vec<f64> = present.iter().copied().chain([median, median]).collect();
        let mean = seen.iter().sum::<f64>() / 6.0;
        let variance = seen.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 6.0;
        let built = standardized_step(&NumericSummary {
            name: "x".into(),
            boolean: false,
            nulls: 2,
            median,
            mean,
            variance,
        });
        assert_eq!(built.fill, fitted.fill);
        assert!((built.center - fitted.center).abs() < 1e-12 && (built.scale - fitted.scale).abs() < 1e-12);
        assert_eq!((built.impute.as_str(), built.scaling.as_str()), ("median", "standard"));
    }

    #[test]
    fn a_point_round_trips_and_adds_raw_rows_as_encoded_ones() {
        let step = NumericStep::standardized("x", false, 2.0, 1.0, 2.0);
        let point = NewtonPoint {
            recipe: Recipe { steps: vec![FeatureStep::Numeric(step)] },
            beta: vec![0.5],
            b: -1.0,
        };
        let back = NewtonPoint::from_bytes(&point.to_bytes().unwrap()).unwrap();
        assert_eq!(back, point);
        let (mut raw, mut encoded) = (PassSums::new(1), PassSums::new(1));
        let mut scratch = [0.0];
        back.add_row(&mut raw, &[None], 1.0, &mut scratch).unwrap();
        back.add_row(&mut raw, &[Some(5.0)], 0.0, &mut scratch).unwrap();
        encoded.add_row(&[0.5], 1.0, (&[0.5], -1.0));
        encoded.add_row(&[2.0], 0.0, (&[0.5], -1.0));
        assert_eq!(raw, encoded);
        assert!(back.add_row(&mut raw, &[None, None], 1.0, &mut scratch).is_err());
        let mut wrong = point.clone();
        wrong.beta.push(0.0);
        assert!(NewtonPoint::from_bytes(&wrong.to_bytes().unwrap()).is_err());
    }
}
