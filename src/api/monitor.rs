//! Monitoring: `aimass.monitor`, `aimass.unmonitor` and `aimass.check_drift`, the check the
//! background worker (src/worker) runs on schedule and pg_cron or a person can run by hand.

use pgrx::prelude::*;
use pgrx::spi::quote_identifier;
use pgrx::{JsonB, PgRelation};
use serde_json::json;

use super::monitor_on_workers;
use crate::catalog::audit::{self, Action};
use crate::catalog::monitors::{self, CheckContext, Window};
use crate::catalog::relation::{ReadAs, Relation};
use crate::catalog::{deployments, projects};
use crate::core::data::{Column, ColumnKind};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::fitting::score_rows;
use crate::core::monitoring::{self, Finding, Kind, ModelReference, MonitorOptions};
use crate::core::task::Task;
use crate::error::{required, OrRaise};
use crate::json_arg::JsonArg;
use crate::scoring::batch;
use crate::scoring::cache::{self, LoadedModel};

/// Watches `relation_name` (live rows) for drift from the project's deployed model's training
/// data, and for its performance once labels arrive. Returns the monitor with every default.
#[pg_extern(volatile, parallel_unsafe, name = "monitor")]
fn monitor(project_name: &str, relation_name: PgRelation, options: default!(JsonArg, "'{}'")) -> JsonB {
    let project = projects::get(project_name).or_raise();
    let o = MonitorOptions::parse(&options.value("options")).or_raise();
    monitors::check_intervals(&o).or_raise();
    let relation = Relation::describe(relation_name.oid());
    if let Some(ts) = &o.timestamp_column {
        if relation.column(ts).or_raise().read_as != ReadAs::Time {
            crate::error::raise(AimassError::new(
                ErrorKind::DatatypeMismatch,
                format!("timestamp_column \"{ts}\" must be a date or timestamp column"),
            ));
        }
    }
    if let Some(label) = &o.label_column {
        relation.column(label).or_raise();
        if project.task != Task::Binary {
            crate::error::raise(AimassError::invalid_parameter(format!(
                "performance monitoring (label_column) needs a binary project; \"{}\" is {}",
                project.name,
                project.task.as_str()
            )));
        }
    }
    // The deployed model, when there is one, must find its features in the relation (the
    // prediction log holds them in its features column).
    let logged = is_prediction_log(relation.oid);
    if let (false, Some(d)) = (logged, deployments::current_by_project_name(&project.name)) {
        let m = cache::by_id(d.model_id).or_raise();
        for step in m.model.features() {
            relation.column(step.name()).or_raise();
        }
    }
    // Stored schema-qualified: the worker and run_monitor resolve it under another search_path.
    let qualified = Spi::get_one_with_args::<String>(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
        &[relation.oid.into()],
    )
    .or_raise()
    .unwrap_or_else(|| relation.sql_name.clone());
    monitors::upsert(project.id, &qualified, relation.oid, &o).or_raise();
    // The launcher visits this database again from its next round after the commit.
    // SAFETY: a plain read of the backend's database.
    crate::idle_databases::forget_at_commit(unsafe { pg_sys::MyDatabaseId });
    audit::record(
        Action::Monitor,
        Some(&project.name),
        None,
        json!({"relation": qualified, "options": o.to_json()}),
    );
    JsonB(monitors::describe(&project.name, &qualified, &o))
}

/// Stops monitoring the project; its reports and alerts stay. Whether a monitor was removed.
#[pg_extern(volatile, parallel_unsafe, name = "unmonitor")]
fn unmonitor(project_name: &str) -> bool {
    let project = projects::get(project_name).or_raise();
    let removed = monitors::delete(project.id);
    if removed {
        audit::record(Action::Unmonitor, Some(&project.name), None, json!({}));
    }
    removed
}

/// One check now of the project's deployed model on `relation_name` (default: the monitored
/// relation), over the rows since `since` (default: the monitor's window, when it has a
/// timestamp column; otherwise every row). Writes `aimass.drift_reports`, raises and resolves
/// `aimass.alerts` (with `NOTIFY aimass_alerts`), and returns the findings.
#[allow(clippy::type_complexity)] // the SQL result row, spelled out for pgrx
#[pg_extern(volatile, parallel_unsafe, name = "check_drift")]
fn check_drift(
    project_name: Option<&str>,
    relation_name: default!(Option<PgRelation>, "NULL"),
    since: default!(Option<pgrx::datum::TimestampWithTimeZone>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(kind, String),
        name!(feature, Option<String>),
        name!(statistic, String),
        name!(value, Option<f64>),
        name!(expected, Option<f64>),
        name!(threshold, Option<f64>),
        name!(status, String),
    ),
> {
    let rows = run(required(project_name, "project_name"), relation_name.map(|r| r.oid()), since).or_raise();
    TableIterator::new(rows.into_iter().map(|f| {
        (
            f.kind.as_str().to_owned(),
            f.feature,
            f.statistic.to_owned(),
            (!f.value.is_nan()).then_some(f.value),
            f.expected,
            f.threshold,
            f.status.to_owned(),
        )
    }))
}

/// An ad-hoc check: reads `relation_oid` (default: the monitored relation) with the caller's
/// rights and reports (drift_reports rows marked not scheduled), but raises and resolves no alert.
fn run(
    project_name: &str,
    relation_oid: Option<pg_sys::Oid>,
    since: Option<pgrx::datum::TimestampWithTimeZone>,
) -> Result<Vec<Finding>> {
    let project = projects::get(project_name)?;
    let monitor = monitors::find(project.id)?;
    let oid = match (relation_oid, &monitor) {
        (Some(oid), _) => oid,
        (None, Some(m)) => m.relation_id.filter(|&oid| relation_state(oid).is_some()).ok_or_else(|| {
            AimassError::new(
                ErrorKind::UndefinedObject,
                format!("relation {} monitored for project \"{}\" does not exist", m.relation, project.name),
            )
            .with_hint(format!(
                "Point the monitor at another relation with aimass.monitor('{}', ...) or stop it with aimass.unmonitor('{}').",
                project.name, project.name
            ))
        })?,
        (None, None) => {
            return Err(AimassError::new(
                ErrorKind::NotInPrerequisiteState,
                format!("project \"{}\" is not monitored", project.name),
            )
            .with_hint("Name the relation to check, or configure one with aimass.monitor(project, relation)."))
        }
    };
    let options = match monitor {
        Some(m) => m.options,
        None => MonitorOptions::parse(&serde_json::Value::Null)?,
    };
    check(&project, oid, &options, since, false)
}

/// One scheduled check of a project's monitor, as the background worker runs it: takes the check
/// (moves the next one on), reads the monitored relation as the monitor's creator and turns any
/// failure into an error row, counted with an exponential backoff. Returns the worst status, or
/// NULL when the monitor is disabled or being checked by another session.
#[pg_extern(volatile, parallel_unsafe, name = "run_monitor")]
fn run_monitor(project_id: i64) -> Option<String> {
    let project = monitors::take_due(project_id)?;
    Some(run_scheduled(project_id, &project))
}

/// The scheduled check of a monitor already taken with [`monitors::take_due`], in a
/// subtransaction: its reports and alerts, or its error row and failure count.
pub fn run_scheduled(project_id: i64, project: &str) -> String {
    match crate::error::in_subtransaction(|| scheduled_check(project_id, project)) {
        Ok(findings) => {
            monitors::check_succeeded(project_id);
            worst(&findings).to_owned()
        }
        Err(message) => {
            let relation = monitors::find(project_id).ok().flatten().map(|m| m.relation).unwrap_or_default();
            monitors::record_error(project_id, &relation, &message);
            monitors::check_failed(project_id, &message);
            warning!("aimass: monitoring check of project \"{project}\" failed: {message}");
            "error".to_owned()
        }
    }
}

fn worst(findings: &[Finding]) -> &'static str {
    let rank = |s: &str| match s {
        "alert" => 3,
        "warn" => 2,
        "ok" => 1,
        _ => 0,
    };
    match findings.iter().map(|f| rank(f.status)).max().unwrap_or(0) {
        3 => "alert",
        2 => "warn",
        1 => "ok",
        _ => "skipped",
    }
}

/// A relation's owner and kind now, or `None` when it no longer exists.
fn relation_state(oid: pg_sys::Oid) -> Option<(pg_sys::Oid, String)> {
    match crate::catalog::first_two::<pg_sys::Oid, String>(
        "SELECT relowner, relkind::text FROM pg_catalog.pg_class WHERE oid = $1",
        &[oid.into()],
    ) {
        Some((Some(owner), Some(kind))) => Some((owner, kind)),
        _ => None,
    }
}

/// The monitor's own check of its own relation: refused when the relation is gone or its owner
/// or kind changed since the monitor was configured, or when the reading role may no longer
/// SELECT it; otherwise read as the monitor's creator (as the relation's owner when the creator
/// is a superuser, so that nothing in the relation runs as a superuser), with
/// SECURITY_RESTRICTED_OPERATION and a pinned search_path.
fn scheduled_check(project_id: i64, project_name: &str) -> Result<Vec<Finding>> {
    let project = projects::get(project_name)?;
    let m = monitors::find(project_id)?
        .ok_or_else(|| AimassError::new(ErrorKind::UndefinedObject, "the monitor was removed"))?;
    let configure_again = format!(
        "Configure the monitor again with aimass.monitor('{}', ...) once the relation is as it should be.",
        project.name
    );
    let missing = || {
        AimassError::new(
            ErrorKind::UndefinedObject,
            format!("relation {} monitored for project \"{}\" does not exist", m.relation, project.name),
        )
        .with_hint(configure_again.clone())
    };
    let oid = m.relation_id.ok_or_else(missing)?;
    let (owner, kind) = relation_state(oid).ok_or_else(missing)?;
    if Some(owner) != m.relation_owner || Some(&kind) != m.relation_kind.as_ref() {
        return Err(AimassError::new(
            ErrorKind::InsufficientPrivilege,
            format!(
                "relation {} monitored for project \"{}\" changed its owner or kind since the monitor was configured: it is not read",
                m.relation, project.name
            ),
        )
        .with_hint(configure_again));
    }
    let creator = role_oid(&m.created_by).ok_or_else(|| {
        AimassError::new(
            ErrorKind::UndefinedObject,
            format!(
                "role \"{}\", which configured the monitor of project \"{}\", does not exist",
                m.created_by, project.name
            ),
        )
    })?;
    // SAFETY: a catalog lookup by oid.
    let reader = if unsafe { pg_sys::superuser_arg(creator) } { owner } else { creator };
    let allowed = crate::catalog::get_one::<bool>(
        "SELECT pg_catalog.has_table_privilege($1::oid, $2::oid, 'SELECT')",
        &[reader.into(), oid.into()],
    )
    .or_raise()
    .unwrap_or(false);
    if !allowed {
        return Err(AimassError::new(
            ErrorKind::InsufficientPrivilege,
            format!(
                "permission denied: role \"{}\", which configured the monitor of project \"{}\", may not read {}",
                m.created_by, project.name, m.relation
            ),
        ));
    }
    crate::catalog::owner::as_role(reader, || check(&project, oid, &m.options, None, true))
}

fn role_oid(name: &str) -> Option<pg_sys::Oid> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: a syscache lookup by name (missing_ok).
    let oid = unsafe { pg_sys::get_role_oid(name.as_ptr(), true) };
    (oid != pg_sys::InvalidOid).then_some(oid)
}

/// One check of the project's deployed model on relation `oid`; `scheduled`: the monitor's own
/// check, which raises and resolves alerts.
fn check(
    project: &projects::Project,
    oid: pg_sys::Oid,
    options: &MonitorOptions,
    since: Option<pgrx::datum::TimestampWithTimeZone>,
    scheduled: bool,
) -> Result<Vec<Finding>> {
    let d = deployments::current_by_project_name(&project.name)
        .ok_or_else(|| deployments::no_deployment(&project.name))?;
    let m = cache::by_id(d.model_id)?;
    let reference = ModelReference::from_json(&monitors::reference(d.model_id)?)?;
    let relation = Relation::describe(oid);
    let logged = is_prediction_log(oid).then_some(project.id);
    let ctx = CheckContext {
        check_id: monitors::new_check_id(),
        project_id: project.id,
        project: &project.name,
        model_id: m.id,
        relation: &relation.sql_name,
        scheduled,
    };

    let mut out: Vec<(Finding, Window)> = Vec::new();
    // Drift over the window (every row without a timestamp column).
    // The prediction log is windowed by when the predictions were logged.
    let ts = options.timestamp_column.as_deref().or(logged.map(|_| "logged_at"));
    let window = match ts {
        Some(_) => Some(bounds(&options.window, "0", since)),
        None if since.is_some() => {
            return Err(AimassError::invalid_parameter(
                "since needs a monitor with a timestamp_column to choose rows by",
            ))
        }
        None => None,
    };
    // A distributed table is counted on the workers (the prediction log is a local table).
    let on_workers = logged.is_none() && monitor_on_workers::applies(&relation);
    if on_workers {
        let filter = monitor_on_workers::window_filter(ts, window.as_ref());
        let live = monitor_on_workers::feature_counts(&m.model, &reference, &relation, &filter)?;
        let w = window_of(window, live.rows);
        let non_finite = live.features.iter().map(|(name, _, n)| (name.as_str(), *n));
        for f in monitoring::non_finite_counts(non_finite) {
            out.push((f, w.clone()));
        }
        if w.rows < options.min_rows {
            out.push((monitoring::skipped(Kind::Check, w.rows as usize, options.min_rows), w));
        } else {
            let score = monitor_on_workers::score_counts(m.id, &reference, &relation, &filter)?;
            let counts: Vec<(&str, Vec<f64>)> =
                live.features.iter().map(|(name, c, _)| (name.as_str(), c.clone())).collect();
            for f in monitoring::drift_of_counts(&reference, &counts, &score, &options.thresholds)? {
                out.push((f, w.clone()));
            }
        }
    } else {
        let (features, _, w) = read_window(&m, &relation, logged, ts, window, None, options)?;
        let refs: Vec<&Column> = features.iter().collect();
        for f in monitoring::non_finite(&refs) {
            out.push((f, w.clone()));
        }
        if w.rows < options.min_rows {
            out.push((monitoring::skipped(Kind::Check, w.rows as usize, options.min_rows), w));
        } else {
            let all: Vec<usize> = (0..w.rows as usize).collect();
            let scores = score_rows(&m.model, &refs, &all, crate::gucs::threads())?;
            for f in monitoring::drift(&reference, &refs, &scores, &options.thresholds)? {
                out.push((f, w.clone()));
            }
        }
    }
    // Performance over the rows whose labels have arrived.
    if let Some(label) = &options.label_column {
        if m.model.task() != Task::Binary {
            return Err(AimassError::invalid_parameter("performance monitoring needs a binary model"));
        }
        // The label delay shifts the window back: labels of recent rows are not known yet.
        let label_window = ts.map(|_| bounds(&options.window, &options.label_delay, None));
        let expected = |name| monitors::training_metric(m.id, name);
        if on_workers {
            let filter = monitor_on_workers::window_filter(ts, label_window.as_ref());
            let counts =
                monitor_on_workers::labelled_score_counts(m.id, &m.model, &relation, &filter, label)?;
            let known = counts.iter().map(|c| c[0] + c[1]).sum::<u64>() as i64;
            let w = window_of(label_window, known);
            let found = if known < options.min_rows {
                vec![monitoring::skipped(Kind::Performance, known as usize, options.min_rows)]
            } else {
                monitoring::performance_of_counts(
                    &counts,
                    expected("auc"),
                    expected("ks"),
                    &options.performance,
                )
            };
            out.extend(found.into_iter().map(|f| (f, w.clone())));
        } else {
            let (features, label_col, w) =
                read_window(&m, &relation, logged, ts, label_window, Some(label), options)?;
            let label_col = label_col.ok_or_else(|| AimassError::internal("label not read"))?;
            let labels = m.model.target.labels(&label_col)?;
            let known: Vec<usize> = (0..labels.len()).filter(|&i| !labels[i].is_nan()).collect();
            let w = Window { rows: known.len() as i64, ..w };
            if (known.len() as i64) < options.min_rows {
                out.push((monitoring::skipped(Kind::Performance, known.len(), options.min_rows), w));
            } else {
                let refs: Vec<&Column> = features.iter().collect();
                let scores = score_rows(&m.model, &refs, &known, crate::gucs::threads())?;
                let y: Vec<f64> = known.iter().map(|&i| labels[i]).collect();
                for f in monitoring::performance(
                    &scores,
                    &y,
                    expected("auc"),
                    expected("ks"),
                    &options.performance,
                ) {
                    out.push((f, w.clone()));
                }
            }
        }
    }
    for (f, w) in &out {
        monitors::record(&ctx, f, w);
        monitors::update_alerts(&ctx, f);
    }
    Ok(out.into_iter().map(|(f, _)| f).collect())
}

/// The window `[now − delay − window, now − delay)` as timestamptz text; `since` replaces its
/// start.
fn bounds(window: &str, delay: &str, since: Option<pgrx::datum::TimestampWithTimeZone>) -> (String, String) {
    Spi::connect(|client| {
        let t = client.select(
            "SELECT coalesce($3, now() - $2::interval - $1::interval)::text, (now() - $2::interval)::text",
            Some(1),
            &[window.into(), delay.into(), since.into()],
        )?;
        let (s, e) = t.first().get_two::<String, String>()?;
        Ok::<_, pgrx::spi::Error>((s.unwrap_or_default(), e.unwrap_or_default()))
    })
    .or_raise()
}

/// Whether a relation is the prediction log, `aimass.predictions`.
fn is_prediction_log(oid: pg_sys::Oid) -> bool {
    Spi::get_one_with_args::<bool>("SELECT $1 = 'aimass.predictions'::regclass", &[oid.into()])
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Reads the model's features (and the label, when asked) over the window's rows, sampled down
/// to about `sample_rows` when there are more. From the prediction log (`logged`: the project id),
/// the features come out of its jsonb and only the project's rows are read.
#[allow(clippy::too_many_arguments)]
fn read_window(
    m: &LoadedModel,
    relation: &Relation,
    logged: Option<i64>,
    ts: Option<&str>,
    window: Option<(String, String)>,
    label: Option<&str>,
    options: &MonitorOptions,
) -> Result<(Vec<Column>, Option<Column>, Window)> {
    let mut filter = monitor_on_workers::window_filter(ts, window.as_ref());
    if let Some(project_id) = logged {
        filter += &format!(" AND project_id = {project_id} AND role = 'champion'");
    }
    if options.sample_rows > 0 {
        let total = Spi::get_one::<i64>(&format!("SELECT count(*) FROM {} {filter}", relation.sql_name))
            .or_raise()
            .unwrap_or(0);
        if total > options.sample_rows {
            filter += &format!(" AND random() < {}", options.sample_rows as f64 / total as f64);
        }
    }
    let (features, mut extras) = match logged {
        Some(_) => {
            let extra: Vec<(String, String, ColumnKind)> = match label {
                Some(l) => {
                    relation.column(l)?;
                    vec![(l.to_owned(), format!("({})::text", quote_identifier(l)), ColumnKind::Categorical)]
                }
                None => Vec::new(),
            };
            batch::read_logged(&m.model, relation, &extra, &filter)?
        }
        None => {
            let extra: Vec<(String, ReadAs)> = match label {
                Some(l) => vec![(l.to_owned(), relation.column(l)?.read_as)],
                None => Vec::new(),
            };
            batch::read_where(&m.model, relation, &extra, &filter, true)?
        }
    };
    let rows = features.first().map_or(0, Column::len) as i64;
    Ok((features, extras.pop(), window_of(window, rows)))
}

/// The window a check's findings are about: its bounds (none without a timestamp column) and rows.
fn window_of(window: Option<(String, String)>, rows: i64) -> Window {
    let (start, end) = window.map_or((None, None), |(s, e)| (Some(s), Some(e)));
    Window { start, end, rows }
}
