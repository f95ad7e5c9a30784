//! What is learned: the task (binary classification or regression) and how the target column's
//! values map to numbers (1 = the positive class, the event: default, fraud).

use serde::{Deserialize, Serialize};

use crate::data::{number_text, Column, ColumnData, ColumnKind, MISSING_CODE};
use crate::error::{AimassError, ErrorKind, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Binary,
    Regression,
    /// Anomaly detection (`isolation_forest`): trained without a target; a binary target, when
    /// given, only measures how well the anomaly score ranks the events.
    Anomaly,
    /// Segmentation (`kmeans`): trained without a target; predict gives the cluster.
    Clustering,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Binary => "binary",
            Task::Regression => "regression",
            Task::Anomaly => "anomaly",
            Task::Clustering => "clustering",
        }
    }

    /// Whether the task learns from a target.
    pub fn supervised(self) -> bool {
        matches!(self, Task::Binary | Task::Regression)
    }

    /// Whether the model's score is a probability-like number in [0, 1] (`predict_proba`).
    pub fn scores_in_unit_interval(self) -> bool {
        matches!(self, Task::Binary | Task::Anomaly)
    }

    /// The test metric that ranks a project's models: AUC for binary and (labelled) anomaly
    /// models, RMSE for regression, inertia for clustering.
    pub fn headline_metric(self) -> &'static str {
        match self {
            Task::Binary | Task::Anomaly => "auc",
            Task::Regression => "rmse",
            Task::Clustering => "inertia",
        }
    }

    /// The metrics of each part that `aimass.train` returns (the catalog keeps them all): the
    /// ranking ones and the row count.
    pub fn headline_metrics(self) -> &'static [&'static str] {
        match self {
            Task::Binary => &["auc", "ks", "gini", "rows"],
            Task::Regression => &["rmse", "mae", "r2", "rows"],
            Task::Anomaly => &["auc", "ks", "gini", "mean_score", "rows"],
            Task::Clustering => &["inertia", "rows"],
        }
    }

    /// Whether headline value `new` beats `current` (higher AUC, lower RMSE or inertia).
    pub fn is_better(self, new: f64, current: f64) -> bool {
        match self {
            Task::Binary | Task::Anomaly => new > current,
            Task::Regression | Task::Clustering => new < current,
        }
    }

    pub fn parse(s: &str) -> Result<Task> {
        match s {
            "binary" | "classification" => Ok(Task::Binary),
            "regression" => Ok(Task::Regression),
            "anomaly" => Ok(Task::Anomaly),
            "clustering" => Ok(Task::Clustering),
            other => Err(AimassError::invalid_parameter(format!("unknown task \"{other}\""))
                .with_hint("Use 'binary' or 'regression', or leave task NULL to infer it.")),
        }
    }
}

/// How target values become training labels, stored with the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetEncoding {
    pub name: String,
    pub task: Task,
    /// Text form of the positive class (binary only), as PostgreSQL prints the value.
    pub positive: Option<String>,
    /// Text form of the other class (binary only).
    pub negative: Option<String>,
}

impl TargetEncoding {
    /// The encoding of an unsupervised model: without a target, or with a binary `labelled` one
    /// used only to measure it.
    pub fn unsupervised(task: Task, labelled: Option<TargetEncoding>) -> TargetEncoding {
        match labelled {
            Some(e) => TargetEncoding { task, ..e },
            None => TargetEncoding { name: String::new(), task, positive: None, negative: None },
        }
    }
}

/// Values that name the event when a text target has two values and `positive` is not given.
const EVENT_NAMES: &[&str] =
    &["1", "bad", "default", "defaulted", "fraud", "positive", "t", "true", "y", "yes"];

fn value_text(column: &Column, x: f64) -> String {
    if column.kind == ColumnKind::Boolean {
        if x != 0.0 { "true" } else { "false" }.to_owned()
    } else {
        number_text(x)
    }
}

impl TargetEncoding {
    /// Infers (or checks) the task and the positive class from the target column's values.
    pub fn infer(column: &Column, task: Option<Task>, positive: Option<&str>) -> Result<TargetEncoding> {
        let name = column.name.clone();
        let distinct: Vec<String> = match &column.data {
            ColumnData::Numeric(values) => {
                let mut d: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
                d.sort_by(|a, b| a.total_cmp(b));
                d.dedup();
                if d.len() > 2 || task == Some(Task::Regression) {
                    if column.kind == ColumnKind::Boolean && task == Some(Task::Regression) {
                        return Err(AimassError::invalid_parameter(format!(
                            "target \"{name}\" is boolean and cannot be used for regression"
                        )));
                    }
                    check_not_empty(&name, d.len())?;
                    if task == Some(Task::Binary) {
                        return Err(AimassError::data(format!(
                            "target \"{name}\" has {} distinct values, a binary target needs two",
                            d.len()
                        )));
                    }
                    if positive.is_some() {
                        return Err(AimassError::invalid_parameter(
                            "positive applies to binary targets only",
                        ));
                    }
                    if d.len() < 2 {
                        return Err(AimassError::data(format!("target \"{name}\" has a single value"))
                            .with_detail("A model cannot learn from a constant target."));
                    }
                    return Ok(TargetEncoding {
                        name,
                        task: Task::Regression,
                        positive: None,
                        negative: None,
                    });
                }
                d.into_iter().map(|x| value_text(column, x)).collect()
            }
            ColumnData::Categorical { codes, dictionary } => {
                if task == Some(Task::Regression) {
                    return Err(AimassError::new(
                        ErrorKind::DatatypeMismatch,
                        format!("target \"{name}\" is text and cannot be used for regression"),
                    ));
                }
                let mut seen = vec![false; dictionary.len()];
                for &c in codes {
                    if c != MISSING_CODE {
                        seen[c as usize] = true;
                    }
                }
                let mut d: Vec<String> =
                    dictionary.iter().zip(seen).filter(|(_, s)| *s).map(|(v, _)| v.clone()).collect();
                d.sort();
                if d.len() > 2 {
                    return Err(AimassError::new(
                        ErrorKind::FeatureNotSupported,
                        format!("target \"{name}\" has {} distinct values", d.len()),
                    )
                    .with_detail("Multiclass classification is not supported yet; binary targets need exactly two values."));
                }
                d
            }
        };
        check_not_empty(&name, distinct.len())?;
        if distinct.len() == 1 {
            return Err(AimassError::data(format!(
                "target \"{name}\" has a single class \"{}\"",
                distinct[0]
            ))
            .with_detail("A classifier needs rows of both classes."));
        }
        let positive = match positive {
            Some(p) => {
                if !distinct.iter().any(|d| d == p) {
                    return Err(AimassError::invalid_parameter(format!(
                        "positive value \"{p}\" is not a value of target \"{name}\""
                    ))
                    .with_detail(format!("The target's values are \"{}\".", distinct.join("\", \""))));
                }
                p.to_owned()
            }
            None => {
                let events: Vec<&String> =
                    distinct.iter().filter(|d| EVENT_NAMES.contains(&d.to_lowercase().as_str())).collect();
                if events.len() != 1 {
                    return Err(AimassError::invalid_parameter(format!(
                        "cannot tell which value of target \"{name}\" is the positive class"
                    ))
                    .with_detail(format!("The target's values are \"{}\".", distinct.join("\", \"")))
                    .with_hint(format!("Name the event with positive => '{}'.", distinct[1])));
                }
                events[0].clone()
            }
        };
        let negative = distinct.iter().find(|d| **d != positive).cloned();
        Ok(TargetEncoding { name, task: Task::Binary, positive: Some(positive), negative })
    }

    /// The label of every row: 1/0 for binary (NaN for NULL), the value for regression.
    pub fn labels(&self, column: &Column) -> Result<Vec<f64>> {
        match (&column.data, self.task) {
            (ColumnData::Numeric(values), Task::Regression) => Ok(values.clone()),
            (ColumnData::Categorical { .. }, Task::Regression) => Err(AimassError::new(
                ErrorKind::DatatypeMismatch,
                format!("target \"{}\" is text but the model is a regression", column.name),
            )),
            (_, Task::Clustering) | (_, Task::Anomaly) if self.positive.is_none() => {
                Err(AimassError::data(format!(
                    "the {} model was trained without a target; it has no labels to compare with",
                    self.task.as_str()
                )))
            }
            (ColumnData::Numeric(values), Task::Binary | Task::Anomaly | Task::Clustering) => {
                let pos = self.positive.as_deref().unwrap_or_default();
                Ok(values
                    .iter()
                    .map(|&v| if v.is_nan() { f64::NAN } else { (value_text(column, v) == pos) as u8 as f64 })
                    .collect())
            }
            (
                ColumnData::Categorical { codes, dictionary },
                Task::Binary | Task::Anomaly | Task::Clustering,
            ) => {
                let pos = self.positive.as_deref().unwrap_or_default();
                let hit: Vec<bool> = dictionary.iter().map(|d| d == pos).collect();
                Ok(codes
                    .iter()
                    .map(|&c| if c == MISSING_CODE { f64::NAN } else { hit[c as usize] as u8 as f64 })
                    .collect())
            }
        }
    }
}

fn check_not_empty(name: &str, distinct: usize) -> Result<()> {
    if distinct == 0 {
        return Err(AimassError::data(format!("target \"{name}\" has no non-NULL values"))
            .with_detail("Training needs rows whose target is known."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnBuilder;

    fn text(values: &[Option<&str>]) -> Column {
        let mut b = ColumnBuilder::new("status", ColumnKind::Categorical);
        values.iter().for_each(|v| b.push_text(*v));
        b.finish()
    }

    fn numbers(kind: ColumnKind, values: &[Option<f64>]) -> Column {
        let mut b = ColumnBuilder::new("y", kind);
        values.iter().for_each(|v| b.push_number(*v).unwrap());
        b.finish()
    }

    #[test]
    fn text_target_recognizes_bad_as_event() {
        let c = text(&[Some("good"), Some("bad"), None]);
        let t = TargetEncoding::infer(&c, None, None).unwrap();
        assert_eq!(t.positive.as_deref(), Some("bad"));
        let y = t.labels(&c).unwrap();
        assert_eq!(&y[..2], &[0.0, 1.0]);
        assert!(y[2].is_nan());
    }

    #[test]
    fn ambiguous_text_target_lists_values() {
        let c = text(&[Some("A"), Some("B")]);
        let e = TargetEncoding::infer(&c, None, None).unwrap_err();
        assert_eq!(e.detail.as_deref(), Some("The target's values are \"A\", \"B\"."));
        assert_eq!(TargetEncoding::infer(&c, None, Some("B")).unwrap().positive.as_deref(), Some("B"));
        assert!(TargetEncoding::infer(&c, None, Some("C")).is_err());
    }

    #[test]
    fn numeric_targets() {
        let c = numbers(ColumnKind::Numeric, &[Some(0.0), Some(1.0), Some(1.0)]);
        assert_eq!(TargetEncoding::infer(&c, None, None).unwrap().positive.as_deref(), Some("1"));
        let c = numbers(ColumnKind::Numeric, &[Some(0.5), Some(1.0), Some(2.0)]);
        assert_eq!(TargetEncoding::infer(&c, None, None).unwrap().task, Task::Regression);
        let c = numbers(ColumnKind::Boolean, &[Some(0.0), Some(1.0)]);
        let t = TargetEncoding::infer(&c, None, None).unwrap();
        assert_eq!(t.positive.as_deref(), Some("true"));
        assert_eq!(t.labels(&c).unwrap(), vec![0.0, 1.0]);
    }

    #[test]
    fn headline_metric_ranks_models() {
        assert_eq!(Task::Binary.headline_metric(), "auc");
        assert!(Task::Binary.is_better(0.8, 0.7));
        assert_eq!(Task::Regression.headline_metric(), "rmse");
        assert!(Task::Regression.is_better(1.0, 2.0));
        assert!(!Task::Regression.is_better(2.0, 2.0));
    }

    #[test]
    fn degenerate_targets_are_errors() {
        assert!(TargetEncoding::infer(&text(&[Some("bad"), Some("bad")]), None, None)
            .unwrap_err()
            .message
            .contains("single class"));
        assert!(TargetEncoding::infer(&text(&[None, None]), None, None)
            .unwrap_err()
            .message
            .contains("no non-NULL"));
        let e = TargetEncoding::infer(&text(&[Some("a"), Some("b"), Some("c")]), None, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::FeatureNotSupported);
    }
}
