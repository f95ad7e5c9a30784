//! What `aimass.train` trains on when an argument is left out: the argument given, else the
//! project's previous training (its stored `training_args`), else the default. Pure, so the rules
//! are unit-tested without a server; the extension resolves the relation's name and reads it.

use serde_json::Value;

use crate::error::{AimassError, Result};
use crate::split::SplitSpec;
use crate::task::Task;

/// The arguments of one `aimass.train` call that may come from the previous training.
#[derive(Debug, Clone, Default)]
pub struct Given<'a> {
    pub project: &'a str,
    /// Whether `relation_name` was given (the extension has its oid).
    pub relation: bool,
    pub target: Option<&'a str>,
    pub features: Option<Vec<String>>,
    pub positive: Option<&'a str>,
    pub task: Option<&'a str>,
    pub split: Option<&'a str>,
    pub test_size: Option<f64>,
    pub seed: Option<i32>,
    /// The algorithm is trained without a target (isolation_forest, kmeans).
    pub unsupervised: bool,
}

/// Where the training rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationChoice {
    /// The `relation_name` argument.
    Given,
    /// The previous training's relation, by its stored (qualified) name.
    Previous(String),
}

/// The arguments a training runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub relation: RelationChoice,
    pub target: Option<String>,
    /// The previous features, reused only when neither the relation nor the target changed.
    pub features: Option<Vec<String>>,
    pub positive: Option<String>,
    pub task: Option<Task>,
    pub split: SplitSpec,
    pub test_size: f64,
    pub seed: i64,
}

pub const DEFAULT_SPLIT: &str = "stratified";
pub const DEFAULT_TEST_SIZE: f64 = 0.2;
pub const DEFAULT_SEED: i64 = 42;

fn previous_str<'v>(previous: Option<&'v Value>, key: &str) -> Option<&'v str> {
    previous.and_then(|p| p.get(key)).and_then(Value::as_str)
}

/// The arguments of a training from those given and the project's previous `training_args`.
///
/// The relation, target, split, test size, seed and positive label carry over from the previous
/// training; the task and the feature list carry over only when the relation and target are both
/// left out (another table or target has other columns).
pub fn resolve(given: Given<'_>, previous: Option<&Value>) -> Result<Resolved> {
    let relation = if given.relation {
        RelationChoice::Given
    } else {
        let name = previous_str(previous, "relation").ok_or_else(|| {
            AimassError::invalid_parameter(format!(
                "relation_name is required for the first training of project \"{}\"",
                given.project
            ))
        })?;
        RelationChoice::Previous(name.to_owned())
    };
    let target = match given.target.or(previous_str(previous, "target")) {
        Some(t) => Some(t.to_owned()),
        None if given.unsupervised => None,
        None => {
            return Err(AimassError::invalid_parameter(
                "target is required for the first training of a project",
            ))
        }
    };
    let reuse = !given.relation && given.target.is_none() && previous.is_some();
    let split = SplitSpec::parse(given.split.or(previous_str(previous, "split")).unwrap_or(DEFAULT_SPLIT))?;
    let test_size =
        given.test_size.or(previous.and_then(|p| p["test_size"].as_f64())).unwrap_or(DEFAULT_TEST_SIZE);
    let seed =
        given.seed.map(i64::from).or(previous.and_then(|p| p["seed"].as_i64())).unwrap_or(DEFAULT_SEED);
    let positive = given.positive.or(previous_str(previous, "positive")).map(str::to_owned);
    let task = match given.task.or(if reuse { previous_str(previous, "task") } else { None }) {
        Some(t) => Some(Task::parse(t)?),
        None => None,
    };
    let features = match given.features {
        Some(f) => Some(f),
        None if reuse => {
            previous.and_then(|p| p.get("features")).and_then(|f| serde_json::from_value(f.clone()).ok())
        }
        None => None,
    };
    Ok(Resolved { relation, target, features, positive, task, split, test_size, seed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn previous() -> Value {
        json!({"relation": "public.loans", "target": "bad", "features": ["age", "income"],
               "positive": "1", "task": "binary", "split": "column:part", "test_size": 0.3, "seed": 7})
    }

    #[test]
    fn a_first_training_needs_a_relation_and_a_target() {
        let e = resolve(Given { project: "p", ..Given::default() }, None).unwrap_err();
        assert!(e.message.contains("relation_name is required for the first training of project \"p\""));
        let e = resolve(Given { project: "p", relation: true, ..Given::default() }, None).unwrap_err();
        assert!(e.message.contains("target is required"));
    }

    #[test]
    fn unsupervised_algorithms_need_no_target() {
        let r = resolve(Given { relation: true, unsupervised: true, ..Given::default() }, None).unwrap();
        assert_eq!(r.target, None);
    }

    #[test]
    fn defaults_apply_without_a_previous_training() {
        let r = resolve(Given { relation: true, target: Some("bad"), ..Given::default() }, None).unwrap();
        assert_eq!(r.relation, RelationChoice::Given);
        assert_eq!(r.split, SplitSpec::Stratified);
        assert_eq!((r.test_size, r.seed), (DEFAULT_TEST_SIZE, DEFAULT_SEED));
        assert_eq!((r.features, r.task, r.positive), (None, None, None));
    }

    #[test]
    fn a_retraining_reuses_everything_left_out() {
        let p = previous();
        let r = resolve(Given { project: "p", ..Given::default() }, Some(&p)).unwrap();
        assert_eq!(r.relation, RelationChoice::Previous("public.loans".into()));
        assert_eq!(r.target.as_deref(), Some("bad"));
        assert_eq!(r.features, Some(vec!["age".to_owned(), "income".to_owned()]));
        assert_eq!(r.task, Some(Task::Binary));
        assert_eq!(r.split, SplitSpec::Column("part".into()));
        assert_eq!((r.test_size, r.seed, r.positive.as_deref()), (0.3, 7, Some("1")));
    }

    #[test]
    fn a_new_relation_or_target_drops_the_previous_features_and_task() {
        let p = previous();
        for given in [
            Given { relation: true, ..Given::default() },
            Given { target: Some("default_flag"), ..Given::default() },
        ] {
            let r = resolve(given, Some(&p)).unwrap();
            assert_eq!((r.features, r.task), (None, None));
            // The split, test size and seed still carry over.
            assert_eq!((r.split, r.test_size, r.seed), (SplitSpec::Column("part".into()), 0.3, 7));
        }
    }

    #[test]
    fn given_arguments_win_over_the_previous_ones() {
        let p = previous();
        let r = resolve(
            Given {
                split: Some("random"),
                test_size: Some(0.5),
                seed: Some(1),
                positive: Some("yes"),
                ..Given::default()
            },
            Some(&p),
        )
        .unwrap();
        assert_eq!(
            (r.split, r.test_size, r.seed, r.positive.as_deref()),
            (SplitSpec::Random, 0.5, 1, Some("yes"))
        );
    }

    #[test]
    fn a_bad_split_or_task_is_an_error() {
        let given =
            Given { relation: true, target: Some("bad"), split: Some("sideways"), ..Given::default() };
        assert!(resolve(given, None).unwrap_err().message.contains("unknown split"));
        let given = Given { relation: true, target: Some("bad"), task: Some("poetry"), ..Given::default() };
        assert!(resolve(given, None).is_err());
    }
}
