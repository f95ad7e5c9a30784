//! Global feature importance, read from a fitted model alone (no data): what a model card lists
//! as the top features.
//!
//! - linear models and scorecards: the absolute coefficient of each model input (inputs are
//!   standardized, WOE-coded or one-hot, so coefficients are comparable), summed per feature;
//! - tree ensembles: the training rows passing through splits on each input (split cover, as
//!   XGBoost's "cover" importance sums it), summed per feature.
//!
//! Each is given as a share of the total. Other algorithms have none (`None`).

use crate::algorithms::FittedModel;
use crate::model::Model;

/// How the importance was measured, and per feature (in the model's order) its share.
pub struct Importance {
    pub method: &'static str,
    pub features: Vec<(String, f64)>,
}

pub fn of(model: &Model) -> Option<Importance> {
    let width = model.recipe.width();
    let (method, per_input): (&'static str, Vec<f64>) = match &model.fitted {
        FittedModel::Linear(l) => ("absolute coefficient", l.coefficients.iter().map(|c| c.abs()).collect()),
        FittedModel::Scorecard(s) => {
            ("absolute coefficient", s.linear.coefficients.iter().map(|c| c.abs()).collect())
        }
        FittedModel::Trees(t) => {
            let mut cover = vec![0.0; width];
            for tree in &t.trees {
                for (node, c) in tree.nodes.iter().zip(&tree.cover) {
                    if let crate::algorithms::tree::Node::Split { feature, .. } = node {
                        if let Some(slot) = cover.get_mut(*feature as usize) {
                            *slot += c;
                        }
                    }
                }
            }
            ("split cover", cover)
        }
        _ => return None,
    };
    if per_input.len() != width {
        return None;
    }
    let mut at = 0;
    let mut features: Vec<(String, f64)> = model
        .recipe
        .steps
        .iter()
        .map(|step| {
            let w = step.width();
            let sum = per_input[at..at + w].iter().sum::<f64>();
            at += w;
            (step.name().to_owned(), sum)
        })
        .collect();
    let total: f64 = features.iter().map(|f| f.1).sum();
    if total > 0.0 {
        features.iter_mut().for_each(|f| f.1 /= total);
    }
    Some(Importance { method, features })
}
