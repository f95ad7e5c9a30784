//! `aimass.train`: read a table, fit a model, store it with its snapshot, maybe deploy it.

use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::{json, Value};

use crate::catalog::relation::{ReadAs, Relation};
use crate::catalog::{audit, binnings, deployments, models, privileges, projects};
use crate::core::data::{Column, ColumnKind};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::hash::content_hash;
use crate::core::preprocess::{PreprocessOptions, StoredBinnings};
use crate::core::split::SplitSpec;
use crate::core::task::Task;
use crate::core::train::{self, TrainRequest};
use crate::error::{required, OrRaise};
use crate::json_arg::JsonArg;

type TrainRow = (i64, String, String, JsonB, bool);

/// Trains a model on a table and stores it in the project. See the README for every argument.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe)]
fn train(
    project_name: Option<&str>,
    relation_name: default!(Option<PgRelation>, "NULL"),
    target: default!(Option<&str>, "NULL"),
    algorithm: default!(Option<&str>, "'logistic'"),
    task: default!(Option<&str>, "NULL"),
    features: default!(Option<Vec<Option<String>>>, "NULL"),
    exclude: default!(Option<Vec<Option<String>>>, "NULL"),
    positive: default!(Option<&str>, "NULL"),
    hyperparams: default!(Option<JsonArg>, "'{}'"),
    preprocess: default!(Option<JsonArg>, "'{}'"),
    split: default!(Option<&str>, "NULL"),
    test_size: default!(Option<f64>, "NULL"),
    seed: default!(Option<i32>, "NULL"),
    deploy: default!(Option<&str>, "'if_better'"),
    search: default!(Option<&str>, "NULL"),
    search_params: default!(Option<JsonArg>, "'{}'"),
    folds: default!(Option<i32>, "NULL"),
    metric: default!(Option<&str>, "NULL"),
    weight_column: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(model_id, i64),
        name!(project, String),
        name!(algorithm, String),
        name!(metrics, JsonB),
        name!(deployed, bool),
    ),
> {
    let hyperparams = required(hyperparams, "hyperparams").value("hyperparams");
    let preprocess = required(preprocess, "preprocess").value("preprocess");
    let search_params = required(search_params, "search_params").value("search_params");
    let args = TrainArgs {
        project: required(project_name, "project_name"),
        relation: relation_name.map(|r| r.oid()),
        target,
        algorithm: required(algorithm, "algorithm"),
        task,
        features: features.map(flatten_names).transpose().or_raise(),
        exclude: exclude.map(flatten_names).transpose().or_raise(),
        positive,
        hyperparams: &hyperparams,
        preprocess: &preprocess,
        split,
        test_size,
        seed,
        deploy: required(deploy, "deploy"),
        search,
        search_params: &search_params,
        folds,
        metric,
        weight_column,
    };
    let row = run(args).or_raise();
    TableIterator::once(row)
}

fn flatten_names(names: Vec<Option<String>>) -> Result<Vec<String>> {
    names
        .into_iter()
        .map(|n| n.ok_or_else(|| AimassError::invalid_parameter("column name lists must not contain NULL")))
        .collect()
}

struct TrainArgs<'a> {
    project: &'a str,
    relation: Option<pg_sys::Oid>,
    target: Option<&'a str>,
    algorithm: &'a str,
    task: Option<&'a str>,
    features: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    positive: Option<&'a str>,
    hyperparams: &'a Value,
    preprocess: &'a Value,
    split: Option<&'a str>,
    test_size: Option<f64>,
    seed: Option<i32>,
    deploy: &'a str,
    search: Option<&'a str>,
    search_params: &'a Value,
    folds: Option<i32>,
    metric: Option<&'a str>,
    weight_column: Option<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeployPolicy {
    IfBetter,
    Always,
    Never,
}

fn deploy_policy(s: &str) -> Result<DeployPolicy> {
    match s {
        "if_better" => Ok(DeployPolicy::IfBetter),
        "always" => Ok(DeployPolicy::Always),
        "never" => Ok(DeployPolicy::Never),
        other => Err(AimassError::invalid_parameter(format!("unknown deploy policy \"{other}\""))
            .with_hint("Use 'if_better', 'always' or 'never'.")),
    }
}

fn arg_str<'v>(prev: Option<&'v Value>, key: &str) -> Option<&'v str> {
    prev.and_then(|p| p.get(key)).and_then(Value::as_str)
}

fn run(a: TrainArgs<'_>) -> Result<TrainRow> {
    if a.project.is_empty() {
        return Err(AimassError::invalid_parameter("project_name must not be empty"));
    }
    let policy = deploy_policy(a.deploy)?;
    // Deploying needs aimass_admin: an explicit 'always' is refused before any work, the default
    // 'if_better' only leaves the model undeployed.
    let may_deploy = privileges::caller_has("aimass_admin");
    if policy == DeployPolicy::Always && !may_deploy {
        privileges::require("aimass_admin", "deploy")?;
    }
    let existing = projects::find(a.project);
    let prev = existing.as_ref().and_then(|p| models::latest_training_args(p.id));
    let prev = prev.as_ref();

    // Relation and target: given, or the project's previous ones.
    let relation_oid = match a.relation {
        Some(oid) => oid,
        None => {
            let name = arg_str(prev, "relation").ok_or_else(|| {
                AimassError::invalid_parameter(format!(
                    "relation_name is required for the first training of project \"{}\"",
                    a.project
                ))
            })?;
            resolve_relation(name)?
        }
    };
    let relation = Relation::describe(relation_oid);
    // Algorithms trained without a target (isolation_forest, kmeans) may have none.
    let unsupervised = crate::core::algorithms::unsupervised_task(a.algorithm).is_some();
    let target: Option<String> = match a.target.or(arg_str(prev, "target")) {
        Some(t) => Some(t.to_owned()),
        None if unsupervised => None,
        None => {
            return Err(AimassError::invalid_parameter(
                "target is required for the first training of a project",
            ))
        }
    };
    let reuse = a.relation.is_none() && a.target.is_none() && prev.is_some();
    let split_text = a.split.or(arg_str(prev, "split")).unwrap_or("stratified");
    let split = SplitSpec::parse(split_text)?;
    let test_size = a.test_size.or(prev.and_then(|p| p["test_size"].as_f64())).unwrap_or(0.2);
    let seed = a.seed.map(i64::from).or(prev.and_then(|p| p["seed"].as_i64())).unwrap_or(42);
    let positive = a.positive.map(str::to_owned).or(arg_str(prev, "positive").map(str::to_owned));
    let task = match a.task.or(if reuse { arg_str(prev, "task") } else { None }) {
        Some(t) => Some(Task::parse(t)?),
        None => None,
    };

    // Columns: target, split column, features.
    let target_read = match &target {
        Some(target) => {
            let target_col = relation.column(target)?;
            let ReadAs::Feature(_) = target_col.read_as else {
                return Err(AimassError::new(
                    ErrorKind::DatatypeMismatch,
                    format!(
                        "target \"{target}\" has type {}, which cannot be a target",
                        target_col.type_name
                    ),
                ));
            };
            Some((target.clone(), target_col.read_as))
        }
        None => None,
    };
    let split_read = match split.column() {
        Some(c) => {
            let col = relation.column(c)?;
            let how = match (&split, col.read_as) {
                (SplitSpec::Time(_), ReadAs::Time | ReadAs::Feature(ColumnKind::Numeric)) => col.read_as,
                (SplitSpec::Column(_), ReadAs::Feature(ColumnKind::Categorical)) => col.read_as,
                _ => {
                    return Err(AimassError::new(
                        ErrorKind::DatatypeMismatch,
                        format!("split column \"{c}\" has type {}", col.type_name),
                    )
                    .with_hint(
                        "time:<column> needs a date, timestamp or number; column:<column> a text column.",
                    ))
                }
            };
            Some((c.to_owned(), how))
        }
        None => None,
    };
    let prev_features: Option<Vec<String>> = if reuse {
        prev.and_then(|p| p.get("features")).and_then(|f| serde_json::from_value(f.clone()).ok())
    } else {
        None
    };
    // The weight column, like the split column, is never a feature.
    let weight_read = match a.weight_column {
        Some(w) => {
            let col = relation.column(w)?;
            if col.read_as != ReadAs::Feature(ColumnKind::Numeric) {
                return Err(AimassError::new(
                    ErrorKind::DatatypeMismatch,
                    format!("weight column \"{w}\" has type {}; weights must be numbers", col.type_name),
                ));
            }
            Some((w.to_owned(), col.read_as))
        }
        None => None,
    };
    let mut exclude = a.exclude.unwrap_or_default();
    if let Some((w, _)) = &weight_read {
        if a.features.as_ref().is_some_and(|f| f.contains(w)) {
            return Err(AimassError::invalid_parameter(format!(
                "the weight column \"{w}\" cannot also be a feature"
            )));
        }
        exclude.push(w.clone());
    }
    let feature_names = select_features(
        &relation,
        target.as_deref(),
        split.column(),
        a.features.or(prev_features),
        Some(exclude),
    )?;

    let mut wanted: Vec<(String, ReadAs)> = Vec::with_capacity(feature_names.len() + 2);
    for f in &feature_names {
        wanted.push((f.clone(), relation.column(f)?.read_as));
    }
    if let Some(t) = &target_read {
        wanted.push(t.clone());
    }
    if let Some(s) = &split_read {
        wanted.push(s.clone());
    }
    if let Some(w) = &weight_read {
        wanted.push(w.clone());
    }
    let read_started = std::time::Instant::now();
    let mut columns = relation.read(&wanted)?;
    let read_seconds = read_started.elapsed().as_secs_f64();
    let weight_column: Option<Column> = weight_read.as_ref().and_then(|_| columns.pop());
    let split_column: Option<Column> = split_read.as_ref().and_then(|_| columns.pop());
    let target_column: Option<Column> = match target_read {
        Some(_) => Some(columns.pop().ok_or_else(|| AimassError::internal("target not read"))?),
        None => None,
    };
    let feature_refs: Vec<&Column> = columns.iter().collect();

    let mut stored_binnings = StoredBinnings::new();
    for id in PreprocessOptions::from_json(a.preprocess)?.stored_binnings() {
        stored_binnings.insert(id, binnings::load(id)?);
    }
    let outcome = train::train(&TrainRequest {
        features: feature_refs.clone(),
        target: target_column.as_ref(),
        split_column: split_column.as_ref(),
        weights: weight_column.as_ref(),
        split: split.clone(),
        test_size,
        seed: seed as u64,
        task,
        positive: positive.as_deref(),
        algorithm: a.algorithm,
        hyperparams: a.hyperparams,
        preprocess: a.preprocess,
        stored_binnings: &stored_binnings,
        search: a.search.map(crate::core::search::Method::parse).transpose()?,
        search_params: a.search_params,
        folds: match a.folds {
            Some(k) if k < 2 => {
                return Err(AimassError::invalid_parameter(format!("folds must be 2 – 20, not {k}")))
            }
            k => k.map(|k| k as usize),
        },
        metric: a.metric,
        threads: crate::gucs::threads(),
        on_round: &crate::progress::reporter(),
    })?;

    let store_started = std::time::Instant::now();
    let model_task = outcome.model.task();
    let project = projects::find_or_create(a.project, model_task)?;
    let mut hashed = feature_refs.clone();
    hashed.extend(target_column.as_ref());
    let features_json: Vec<Value> = feature_names
        .iter()
        .zip(&outcome.model.recipe.steps)
        .map(|(n, step)| {
            let col = relation.columns.iter().find(|c| &c.name == n);
            json!({"name": n, "type": col.map(|c| c.type_name.as_str()), "kind": step.kind()})
        })
        .collect();
    let split_json = json!({"method": split.as_string(), "test_size": test_size, "seed": seed});
    let training_args = json!({
        "relation": relation.sql_name,
        "target": target,
        "features": feature_names,
        "positive": outcome.model.target.positive,
        "task": model_task.as_str(),
        "split": split.as_string(),
        "test_size": test_size,
        "seed": seed,
        "preprocess": a.preprocess,
        "weight_column": a.weight_column,
    });
    let mut metrics = outcome.metrics.clone();
    metrics["null_target_rows"] = json!(outcome.null_target_rows);
    let test_headline = metrics["test"][model_task.headline_metric()].as_f64();
    let model_id = models::insert(models::NewModel {
        project_id: project.id,
        model: &outcome.model,
        hyperparams: outcome.hyperparams.clone(),
        features: Value::Array(features_json),
        metrics: metrics.clone(),
        training_args,
        reference: outcome.reference.clone(),
        snapshot: models::NewSnapshot {
            relation: relation.sql_name.clone(),
            columns: json!(wanted.iter().map(|(n, _)| n).collect::<Vec<_>>()),
            row_count: feature_refs.first().map_or(0, |c| c.len()) as i64,
            train_rows: outcome.train_rows as i64,
            test_rows: outcome.test_rows as i64,
            split: split_json,
            content_hash: content_hash(&hashed),
        },
    })?;

    audit::record(
        audit::Action::Train,
        Some(&project.name),
        Some(model_id),
        json!({
            "relation": relation.sql_name,
            "target": target,
            "algorithm": outcome.model.algorithm.as_str(),
            "hyperparams": outcome.hyperparams,
            "split": split.as_string(),
            "features": feature_names.len(),
            "rows": outcome.train_rows + outcome.test_rows,
            "deploy": a.deploy,
        }),
    );
    let deployed = match policy {
        DeployPolicy::Never => false,
        DeployPolicy::IfBetter if !may_deploy => {
            pgrx::notice!(
                "model {model_id} was not deployed: deploying needs aimass_admin, which {} is not",
                crate::catalog::owner::caller_name()
            );
            false
        }
        DeployPolicy::Always => true,
        DeployPolicy::IfBetter => match deployments::current_by_project_name(a.project) {
            None => true,
            Some(d) => match (models::headline(d.model_id, model_task), test_headline) {
                (Some(cur), Some(new)) => model_task.is_better(new, cur),
                (None, _) => true,
                (_, None) => false,
            },
        },
    };
    if deployed {
        deployments::insert(
            project.id,
            &project.name,
            model_id,
            if policy == DeployPolicy::Always { "always" } else { "if_better" },
        )?;
    }
    let t = outcome.timings;
    pgrx::debug1!(
        "aimass.train timings: read {read_seconds:.3} s, prepare {:.3} s, fit {:.3} s, score {:.3} s, store {:.3} s",
        t.prepare,
        t.fit,
        t.score,
        store_started.elapsed().as_secs_f64()
    );
    Ok((model_id, project.name, outcome.model.algorithm, JsonB(metrics), deployed))
}

fn resolve_relation(name: &str) -> Result<pg_sys::Oid> {
    Spi::get_one_with_args::<pg_sys::Oid>("SELECT to_regclass($1)::oid", &[name.into()])
        .ok()
        .flatten()
        .ok_or_else(|| {
            AimassError::new(
                ErrorKind::UndefinedObject,
                format!("relation {name} of the project's last training no longer exists"),
            )
            .with_hint("Pass relation_name.")
        })
}

/// The feature columns: those named, or all usable columns but the target, the split column and
/// `exclude`. Unusable types are an error when named and skipped with a NOTICE otherwise.
fn select_features(
    relation: &Relation,
    target: Option<&str>,
    split_column: Option<&str>,
    features: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
) -> Result<Vec<String>> {
    let exclude = exclude.unwrap_or_default();
    for e in &exclude {
        relation.column(e)?;
    }
    let names = match features {
        Some(list) => {
            if list.is_empty() {
                return Err(AimassError::invalid_parameter("features must name at least one column"));
            }
            for f in &list {
                let c = relation.column(f)?;
                if Some(f.as_str()) == target {
                    return Err(AimassError::invalid_parameter(format!(
                        "the target \"{f}\" cannot also be a feature"
                    )));
                }
                if !matches!(c.read_as, ReadAs::Feature(_)) {
                    return Err(AimassError::new(
                        ErrorKind::DatatypeMismatch,
                        format!("column \"{f}\" has type {}, which cannot be a feature", c.type_name),
                    )
                    .with_hint("Features may be numeric, boolean or text columns."));
                }
            }
            list.into_iter().filter(|f| !exclude.contains(f)).collect::<Vec<_>>()
        }
        None => {
            let mut skipped = Vec::new();
            let mut names = Vec::new();
            for c in &relation.columns {
                if Some(c.name.as_str()) == target
                    || Some(c.name.as_str()) == split_column
                    || exclude.contains(&c.name)
                {
                    continue;
                }
                match c.read_as {
                    ReadAs::Feature(_) => names.push(c.name.clone()),
                    _ => skipped.push(format!("{} ({})", c.name, c.type_name)),
                }
            }
            if !skipped.is_empty() {
                crate::error::notice(format!(
                    "aimass: columns of unsupported types are not used as features: {}",
                    skipped.join(", ")
                ));
            }
            names
        }
    };
    if names.is_empty() {
        return Err(AimassError::invalid_parameter("no usable feature columns")
            .with_hint("Features may be numeric, boolean or text columns other than the target."));
    }
    Ok(names)
}
