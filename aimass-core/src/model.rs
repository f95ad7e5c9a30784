//! A trained model: everything needed to score a raw row — the target encoding, the fitted
//! preprocessing recipe and the fitted algorithm. This is what the artifact stores.

use serde::{Deserialize, Serialize};

use crate::algorithms::FittedModel;
use crate::data::RawValue;
use crate::error::{AimassError, Result};
use crate::preprocess::{FeatureStep, Recipe};
use crate::task::{TargetEncoding, Task};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub algorithm: String,
    pub target: TargetEncoding,
    pub recipe: Recipe,
    pub fitted: FittedModel,
}

impl Model {
    pub fn task(&self) -> Task {
        self.target.task
    }

    /// The raw features, in the order `score` expects their values.
    pub fn features(&self) -> &[FeatureStep] {
        &self.recipe.steps
    }

    /// Checks that recipe and fitted model agree (an artifact from elsewhere might not).
    pub fn validate(&self) -> Result<()> {
        self.recipe.validate()?;
        if self.recipe.width() != self.fitted.n_inputs() {
            return Err(AimassError::new(
                crate::error::ErrorKind::DataCorrupted,
                "model artifact is inconsistent",
            )
            .with_detail(format!(
                "The preprocessing yields {} inputs but the model expects {}.",
                self.recipe.width(),
                self.fitted.n_inputs()
            )));
        }
        self.fitted.validate()
    }

    /// The probability of the positive class (binary) or the predicted value (regression) for
    /// one row of raw feature values in `features()` order. `scratch` is reused across calls.
    #[inline]
    pub fn score(&self, raw: &[RawValue<'_>], scratch: &mut Vec<f64>) -> Result<f64> {
        scratch.resize(self.recipe.width(), 0.0);
        self.recipe.encode_row(raw, scratch)?;
        Ok(self.fitted.predict(scratch))
    }

    /// The predicted class (0 or 1, positive when the probability is at least 0.5) for binary
    /// models, the value for regression.
    pub fn predict(&self, raw: &[RawValue<'_>], scratch: &mut Vec<f64>) -> Result<f64> {
        let s = self.score(raw, scratch)?;
        Ok(match self.task() {
            Task::Binary | Task::Anomaly => (s >= 0.5) as u8 as f64,
            Task::Regression | Task::Clustering => s,
        })
    }
}
