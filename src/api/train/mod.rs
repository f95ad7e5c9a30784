//! `aimass.train`: read a table, fit a model, store it with its snapshot, maybe deploy it.

use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::{json, Value};

use crate::catalog::relation::{ReadAs, Relation};
use crate::catalog::{audit, binnings, citus, deployments, models, privileges, projects};
use crate::core::data::{Column, ColumnKind};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::hash::content_hash;
use crate::core::preprocess::{PreprocessOptions, StoredBinnings};
use crate::core::split::SplitSpec;
use crate::core::task::Task;
use crate::core::train::{self, TrainOutcome, TrainRequest};
use crate::core::training_args::{self, RelationChoice, Resolved};
use crate::error::{required, OrRaise};
use crate::json_arg::JsonArg;

pub(crate) mod distributed;

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
    strategy: default!(Option<&str>, "NULL"),
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
        strategy: strategy.map(Strategy::parse).transpose().or_raise(),
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
    strategy: Option<Strategy>,
}

/// How a training on a Citus distributed table splits its work (`strategy`; NULL: the exact
/// fit from the shards' sums).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strategy {
    /// One model per shard, fitted where the shard is, averaged (distributed.rs).
    ShardEnsemble,
}

impl Strategy {
    fn parse(s: &str) -> Result<Strategy> {
        match s {
            "shard_ensemble" => Ok(Strategy::ShardEnsemble),
            other => Err(AimassError::invalid_parameter(format!("unknown strategy \"{other}\"")).with_hint(
                "Use strategy => 'shard_ensemble' on a Citus distributed table, or leave it NULL.",
            )),
        }
    }
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

/// A training in named stages: resolve the arguments, plan the columns, read, fit (with the
/// measures), store, deploy.
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
    let previous = projects::find(a.project).and_then(|p| models::latest_training_args(p.id));
    let args = training_args::resolve(
        training_args::Given {
            project: a.project,
            relation: a.relation.is_some(),
            target: a.target,
            features: a.features.clone(),
            positive: a.positive,
            task: a.task,
            split: a.split,
            test_size: a.test_size,
            seed: a.seed,
            unsupervised: crate::core::algorithms::unsupervised_task(a.algorithm).is_some(),
        },
        previous.as_ref(),
    )?;
    let relation_oid = match (&args.relation, a.relation) {
        (_, Some(oid)) => oid,
        (RelationChoice::Previous(name), None) => resolve_relation(name)?,
        (RelationChoice::Given, None) => return Err(AimassError::internal("relation_name not given")),
    };
    let relation = Relation::describe(relation_oid);
    let plan = ColumnPlan::new(&relation, &args, &a)?;

    let read_started = std::time::Instant::now();
    let mut read_seconds = 0.0;
    // On a Citus distributed table the rows stay on the workers (distributed.rs).
    let (outcome, row_count, hash) = match citus::placement(relation_oid) {
        citus::Placement::Distributed { column } => distributed::fit(&a, &args, &plan, &relation, &column)?,
        _ if a.strategy.is_some() => {
            return Err(AimassError::new(
                ErrorKind::FeatureNotSupported,
                format!(
                    "strategy 'shard_ensemble' needs a Citus distributed table; {} is not one",
                    relation.sql_name
                ),
            )
            .with_hint("Distribute the table with create_distributed_table(), or leave strategy NULL."))
        }
        _ => {
            let read = plan.read(&relation)?;
            read_seconds = read_started.elapsed().as_secs_f64();
            let outcome = fit(&a, &args, &read)?;
            let mut hashed: Vec<&Column> = read.features.iter().collect();
            hashed.extend(read.target.as_ref());
            let rows = read.features.first().map_or(0, |c| c.len()) as i64;
            (outcome, rows, content_hash(&hashed))
        }
    };

    let store_started = std::time::Instant::now();
    let (project, model_id, metrics) = store(&a, &relation, &args, &plan, (row_count, hash), &outcome)?;
    let task = outcome.model.task();
    let deployed = deploy(policy, may_deploy, &project, model_id, task, &metrics)?;
    let t = outcome.timings;
    pgrx::debug1!(
        "aimass.train timings: read {read_seconds:.3} s, prepare {:.3} s, fit {:.3} s, score {:.3} s, store {:.3} s",
        t.prepare,
        t.fit,
        t.score,
        store_started.elapsed().as_secs_f64()
    );
    let headline = crate::core::fitting::headline(task, &metrics);
    Ok((model_id, project.name, outcome.model.algorithm, JsonB(headline), deployed))
}

/// The columns a training reads: the features, then the target, the split column and the weight
/// column when there are any, each with how it is read.
struct ColumnPlan {
    features: Vec<String>,
    target: Option<(String, ReadAs)>,
    split: Option<(String, ReadAs)>,
    weight: Option<(String, ReadAs)>,
    wanted: Vec<(String, ReadAs)>,
}

/// The columns as read, in the plan's roles.
struct ReadColumns {
    features: Vec<Column>,
    target: Option<Column>,
    split: Option<Column>,
    weights: Option<Column>,
}

impl ColumnPlan {
    fn new(relation: &Relation, args: &Resolved, a: &TrainArgs<'_>) -> Result<ColumnPlan> {
        let target = match &args.target {
            Some(target) => {
                let col = relation.column(target)?;
                let ReadAs::Feature(_) = col.read_as else {
                    return Err(AimassError::new(
                        ErrorKind::DatatypeMismatch,
                        format!("target \"{target}\" has type {}, which cannot be a target", col.type_name),
                    ));
                };
                Some((target.clone(), col.read_as))
            }
            None => None,
        };
        let split = match args.split.column() {
            Some(c) => {
                let col = relation.column(c)?;
                let how = match (&args.split, col.read_as) {
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
        // The weight column, like the split column, is never a feature.
        let weight = match a.weight_column {
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
        let mut exclude = a.exclude.clone().unwrap_or_default();
        if let Some((w, _)) = &weight {
            if a.features.as_ref().is_some_and(|f| f.contains(w)) {
                return Err(AimassError::invalid_parameter(format!(
                    "the weight column \"{w}\" cannot also be a feature"
                )));
            }
            exclude.push(w.clone());
        }
        let features = select_features(
            relation,
            args.target.as_deref(),
            args.split.column(),
            args.features.clone(),
            Some(exclude),
        )?;
        let mut wanted: Vec<(String, ReadAs)> = Vec::with_capacity(features.len() + 3);
        for f in &features {
            wanted.push((f.clone(), relation.column(f)?.read_as));
        }
        wanted.extend(target.iter().chain(&split).chain(&weight).cloned());
        Ok(ColumnPlan { features, target, split, weight, wanted })
    }

    fn read(&self, relation: &Relation) -> Result<ReadColumns> {
        let mut columns = relation.read(&self.wanted)?;
        let weights = self.weight.as_ref().and_then(|_| columns.pop());
        let split = self.split.as_ref().and_then(|_| columns.pop());
        let target = match self.target {
            Some(_) => Some(columns.pop().ok_or_else(|| AimassError::internal("target not read"))?),
            None => None,
        };
        Ok(ReadColumns { features: columns, target, split, weights })
    }
}

/// Fits, scores and measures in the core.
fn fit(a: &TrainArgs<'_>, args: &Resolved, read: &ReadColumns) -> Result<TrainOutcome> {
    let mut stored_binnings = StoredBinnings::new();
    for id in PreprocessOptions::from_json(a.preprocess)?.stored_binnings() {
        stored_binnings.insert(id, binnings::load(id)?);
    }
    let folds = match a.folds {
        Some(k) if k < 2 => {
            return Err(AimassError::invalid_parameter(format!("folds must be 2 – 20, not {k}")))
        }
        k => k.map(|k| k as usize),
    };
    train::train(&TrainRequest {
        features: read.features.iter().collect(),
        target: read.target.as_ref(),
        split_column: read.split.as_ref(),
        weights: read.weights.as_ref(),
        split: args.split.clone(),
        test_size: args.test_size,
        seed: args.seed as u64,
        task: args.task,
        positive: args.positive.as_deref(),
        algorithm: a.algorithm,
        hyperparams: a.hyperparams,
        preprocess: a.preprocess,
        stored_binnings: &stored_binnings,
        search: a.search.map(crate::core::search::Method::parse).transpose()?,
        search_params: a.search_params,
        folds,
        metric: a.metric,
        threads: crate::gucs::threads(),
        on_round: &crate::progress::reporter(),
    })
}

/// Stores the model with its snapshot and audit row; returns the project, the model's id and its
/// whole metrics document.
fn store(
    a: &TrainArgs<'_>,
    relation: &Relation,
    args: &Resolved,
    plan: &ColumnPlan,
    (row_count, content_hash): (i64, String),
    outcome: &TrainOutcome,
) -> Result<(projects::Project, i64, Value)> {
    let model_task = outcome.model.task();
    let project = projects::find_or_create(a.project, model_task)?;
    let features_json: Vec<Value> = plan
        .features
        .iter()
        .zip(&outcome.model.recipe.steps)
        .map(|(n, step)| {
            let col = relation.columns.iter().find(|c| &c.name == n);
            json!({"name": n, "type": col.map(|c| c.type_name.as_str()), "kind": step.kind()})
        })
        .collect();
    let split = args.split.as_string();
    let training_args = json!({
        "relation": relation.sql_name,
        "target": args.target,
        "features": plan.features,
        "positive": outcome.model.target.positive,
        "task": model_task.as_str(),
        "split": split,
        "test_size": args.test_size,
        "seed": args.seed,
        "preprocess": a.preprocess,
        "weight_column": a.weight_column,
        "strategy": a.strategy.map(|_| "shard_ensemble"),
    });
    let mut metrics = outcome.metrics.clone();
    metrics["null_target_rows"] = json!(outcome.null_target_rows);
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
            columns: json!(plan.wanted.iter().map(|(n, _)| n).collect::<Vec<_>>()),
            row_count,
            train_rows: outcome.train_rows as i64,
            test_rows: outcome.test_rows as i64,
            split: json!({"method": split, "test_size": args.test_size, "seed": args.seed}),
            content_hash,
        },
    })?;
    audit::record(
        audit::Action::Train,
        Some(&project.name),
        Some(model_id),
        json!({
            "relation": relation.sql_name,
            "target": args.target,
            "algorithm": outcome.model.algorithm.as_str(),
            "hyperparams": outcome.hyperparams,
            "split": split,
            "features": plan.features.len(),
            "rows": outcome.train_rows + outcome.test_rows,
            "deploy": a.deploy,
        }),
    );
    Ok((project, model_id, metrics))
}

/// Deploys the new model as the policy says: always, never, or if its test headline beats the
/// current champion's. Returns whether it was deployed.
fn deploy(
    policy: DeployPolicy,
    may_deploy: bool,
    project: &projects::Project,
    model_id: i64,
    task: Task,
    metrics: &Value,
) -> Result<bool> {
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
        DeployPolicy::IfBetter => match deployments::current_by_project_name(&project.name) {
            None => true,
            Some(d) => {
                match (models::headline(d.model_id, task), metrics["test"][task.headline_metric()].as_f64()) {
                    (Some(cur), Some(new)) => task.is_better(new, cur),
                    (None, _) => true,
                    (_, None) => false,
                }
            }
        },
    };
    if deployed {
        let strategy = if policy == DeployPolicy::Always { "always" } else { "if_better" };
        deployments::insert(project.id, &project.name, model_id, strategy)?;
    }
    Ok(deployed)
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
