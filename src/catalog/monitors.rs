//! `aimass.monitors`, `aimass.drift_reports` and `aimass.alerts`: what is watched, what each
//! check found, and the alerts still open.

use pgrx::{pg_sys, JsonB};
use serde_json::{json, Value};

use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::monitoring::{Finding, MonitorOptions};
use crate::error::OrRaise;

/// A project's monitor.
pub struct Monitor {
    /// The relation as `regclass` text when it was configured.
    pub relation: String,
    /// The relation itself (its oid), its owner and its kind when it was configured: a scheduled
    /// check reads only that relation, and refuses it once its owner or kind changed. None for a
    /// monitor upgraded from 0.2.0 whose relation no longer existed.
    pub relation_id: Option<pg_sys::Oid>,
    pub relation_owner: Option<pg_sys::Oid>,
    pub relation_kind: Option<String>,
    pub options: MonitorOptions,
    /// The role that configured the monitor: scheduled checks read the relation as this role.
    pub created_by: String,
}

pub fn find(project_id: i64) -> Result<Option<Monitor>> {
    let row = super::connect(|client| {
        let t = client.select(
            "SELECT relation, options, created_by::text, relation_id::oid, relation_owner::oid, relation_kind::text
               FROM aimass.monitors WHERE project_id = $1",
            Some(1),
            &[project_id.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let row = t.first();
        Ok(Some((
            (row.get::<String>(1)?, row.get::<JsonB>(2)?, row.get::<String>(3)?),
            (row.get::<pg_sys::Oid>(4)?, row.get::<pg_sys::Oid>(5)?, row.get::<String>(6)?),
        )))
    })
    .or_raise();
    match row {
        Some((
            (Some(relation), Some(options), Some(created_by)),
            (relation_id, relation_owner, relation_kind),
        )) => Ok(Some(Monitor {
            relation,
            relation_id,
            relation_owner,
            relation_kind,
            options: MonitorOptions::parse(&options.0)?,
            created_by,
        })),
        _ => Ok(None),
    }
}

// The next check is computed in UTC (`timestamp + interval`, IMMUTABLE): Citus refuses a STABLE
// function of a column (as `timestamptz + interval` is) in an UPDATE of a reference table, the
// distributed catalog. A `1 day` monitor so checks every 24 hours across a DST change.

/// Takes a due monitor's scheduled check: moves its next check on (by `every`, doubled for each
/// failure in a row, at most 64 times) and returns the project's name, or `None` when the
/// monitor is not enabled or another session is checking it. The worker commits this before it
/// runs the check, so a check that fails, or crashes, never makes its monitor due again at once.
pub fn take_due(project_id: i64) -> Option<String> {
    super::owner::as_owner(|| {
        pgrx::Spi::connect_mut(|client| {
            let t = client.update(
                "WITH m AS (SELECT mo.project_id FROM aimass.monitors mo
                             WHERE mo.project_id = $1 AND mo.enabled FOR UPDATE SKIP LOCKED),
                      u AS (UPDATE aimass.monitors mo
                               SET last_check_at = now(),
                                   next_check_at = (now() AT TIME ZONE 'UTC' + mo.every * power(2, least(mo.failures, 6))) AT TIME ZONE 'UTC'
                              FROM m WHERE mo.project_id = m.project_id RETURNING mo.project_id)
                 SELECT p.name::text FROM u JOIN aimass.projects p ON p.id = u.project_id",
                Some(1),
                &[project_id.into()],
            )?;
            if t.is_empty() {
                return Ok::<_, pgrx::spi::Error>(None);
            }
            t.first().get_one::<String>()
        })
    })
    .or_raise()
}

/// A scheduled check that ran: the failure count starts again and the next check is `every`
/// after this one (after the due time it was taken at, should it have no start: Citus takes no
/// `now()` inside a COALESCE of a reference table's UPDATE).
pub fn check_succeeded(project_id: i64) {
    super::run(
        "UPDATE aimass.monitors SET failures = 0, last_error = NULL,
                next_check_at = (coalesce(last_check_at, next_check_at) AT TIME ZONE 'UTC' + every) AT TIME ZONE 'UTC'
          WHERE project_id = $1",
        &[project_id.into()],
    )
    .or_raise();
}

/// A scheduled check that failed: counted, its error kept for `aimass.monitoring_status`, and
/// the next check put off exponentially (every × 2^failures, at most × 64).
pub fn check_failed(project_id: i64, message: &str) {
    super::run(
        "UPDATE aimass.monitors SET failures = failures + 1, last_error = $2, last_error_at = now(),
                next_check_at = (now() AT TIME ZONE 'UTC' + every * power(2, least(failures + 1, 6))) AT TIME ZONE 'UTC'
          WHERE project_id = $1",
        &[project_id.into(), message.into()],
    )
    .or_raise();
}

/// Checks that the option intervals are PostgreSQL intervals (and `every` a positive one).
pub fn check_intervals(o: &MonitorOptions) -> Result<()> {
    let positive = super::get_one::<bool>(
        "SELECT $1::interval > '0'::interval AND $2::interval > '0'::interval AND $3::interval >= '0'::interval",
        &[o.every.as_str().into(), o.window.as_str().into(), o.label_delay.as_str().into()],
    )
    .or_raise()
    .unwrap_or(false);
    if !positive {
        return Err(AimassError::invalid_parameter(
            "monitor options \"every\" and \"window\" must be positive intervals, \"label_delay\" not negative",
        ));
    }
    Ok(())
}

/// Creates or replaces the project's monitor of relation `relation_id` (shown as `relation`);
/// the first check is due now. The relation's owner and kind are kept beside its oid. Every
/// value of the update comes from the inserted row (its column defaults): Citus takes only
/// IMMUTABLE functions in the DO UPDATE of a reference table (the distributed catalog).
pub fn upsert(
    project_id: i64,
    relation: &str,
    relation_id: pg_sys::Oid,
    options: &MonitorOptions,
) -> Result<()> {
    super::run(
        "INSERT INTO aimass.monitors (project_id, relation, options, every, created_by,
                                      relation_id, relation_owner, relation_kind)
         SELECT $1, $2, $3, $4::interval, $5, c.oid::regclass, c.relowner::regrole, c.relkind
           FROM pg_catalog.pg_class c WHERE c.oid = $6
         ON CONFLICT (project_id) DO UPDATE
            SET relation = EXCLUDED.relation, options = EXCLUDED.options, every = EXCLUDED.every,
                enabled = true, next_check_at = EXCLUDED.next_check_at, created_at = EXCLUDED.created_at,
                created_by = EXCLUDED.created_by,
                relation_id = EXCLUDED.relation_id, relation_owner = EXCLUDED.relation_owner,
                relation_kind = EXCLUDED.relation_kind, failures = 0, last_error = NULL",
        &[
            project_id.into(),
            relation.into(),
            JsonB(options.to_json()).into(),
            options.every.as_str().into(),
            super::owner::caller_name().into(),
            relation_id.into(),
        ],
    )
    .or_raise();
    Ok(())
}

/// Removes the project's monitor; whether there was one. Its reports and alerts stay.
pub fn delete(project_id: i64) -> bool {
    super::get_one::<i64>(
        "WITH d AS (DELETE FROM aimass.monitors WHERE project_id = $1 RETURNING 1) SELECT count(*) FROM d",
        &[project_id.into()],
    )
    .or_raise()
    .unwrap_or(0)
        > 0
}

/// The rows a finding was computed on: the window (timestamps as text) and how many.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub start: Option<String>,
    pub end: Option<String>,
    pub rows: i64,
}

/// What one check is about.
pub struct CheckContext<'a> {
    pub check_id: i64,
    pub project_id: i64,
    pub project: &'a str,
    pub model_id: i64,
    pub relation: &'a str,
    /// A scheduled check of the monitor's own relation: only such a check raises and resolves
    /// alerts; an ad-hoc `check_drift` only reports.
    pub scheduled: bool,
}

pub fn new_check_id() -> i64 {
    super::get_one::<i64>("SELECT nextval('aimass.drift_checks_seq')", &[])
        .or_raise()
        .ok_or_else(|| AimassError::internal("no check id"))
        .or_raise()
}

/// Writes one finding into `aimass.drift_reports`.
pub fn record(c: &CheckContext<'_>, f: &Finding, w: &Window) {
    super::run(
        "INSERT INTO aimass.drift_reports (check_id, project_id, model_id, relation, window_start, window_end,
                                           live_rows, kind, feature, statistic, value, expected, threshold, status,
                                           scheduled)
         VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        &[
            c.check_id.into(),
            c.project_id.into(),
            c.model_id.into(),
            c.relation.into(),
            w.start.as_deref().into(),
            w.end.as_deref().into(),
            w.rows.into(),
            f.kind.as_str().into(),
            f.feature.as_deref().into(),
            f.statistic.into(),
            (!f.value.is_nan()).then_some(f.value).into(),
            f.expected.into(),
            f.threshold.into(),
            f.status.into(),
            c.scheduled.into(),
        ],
    )
    .or_raise();
}

/// Writes a failed scheduled check into `aimass.drift_reports` as an error row.
pub fn record_error(project_id: i64, relation: &str, message: &str) {
    super::run(
        "INSERT INTO aimass.drift_reports (check_id, project_id, relation, kind, status, message)
         VALUES (nextval('aimass.drift_checks_seq'), $1, $2, 'check', 'error', $3)",
        &[project_id.into(), relation.into(), message.into()],
    )
    .or_raise();
}

/// Keeps `aimass.alerts` in step with a finding: an `ok` finding resolves the open alert of its
/// feature and statistic; a `warn` or `alert` one refreshes the open alert of the same status or
/// raises a new one (resolving one of the other status), which is sent as `NOTIFY aimass_alerts`
/// with a JSON payload and logged. Returns the new alert's id.
pub fn update_alerts(c: &CheckContext<'_>, f: &Finding) -> Option<i64> {
    if !c.scheduled {
        return None;
    }
    let feature = f.feature.as_deref()?;
    let key = |extra: &str| {
        format!(
            "UPDATE aimass.alerts SET {extra}
              WHERE project_id = $1 AND kind = $2 AND feature = $3 AND statistic = $4 AND resolved_at IS NULL"
        )
    };
    let args = || -> Vec<pgrx::datum::DatumWithOid<'_>> {
        vec![c.project_id.into(), f.kind.as_str().into(), feature.into(), f.statistic.into()]
    };
    if !matches!(f.status, "warn" | "alert") {
        if f.status == "ok" {
            super::run(&key("resolved_at = now()"), &args()).or_raise();
        }
        return None;
    }
    let mut refresh = args();
    refresh.extend([f.status.into(), f.value.into(), c.check_id.into()]);
    let refreshed = super::get_one::<i64>(
        &format!(
            "WITH u AS ({} AND status = $5 RETURNING 1) SELECT count(*) FROM u",
            key("value = $6, check_id = $7, last_seen_at = now()")
        ),
        &refresh,
    )
    .or_raise()
    .unwrap_or(0);
    if refreshed > 0 {
        return None;
    }
    super::run(&key("resolved_at = now()"), &args()).or_raise();
    let payload = super::get_one::<JsonB>(
        "WITH a AS (
           INSERT INTO aimass.alerts (project_id, model_id, check_id, kind, feature, statistic, value, threshold, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *)
         SELECT jsonb_build_object('alert_id', id, 'project', $10::text, 'model_id', model_id, 'kind', kind,
                                   'feature', feature, 'statistic', statistic, 'value', value,
                                   'threshold', threshold, 'status', status, 'raised_at', raised_at)
           FROM a",
        &[
            c.project_id.into(),
            c.model_id.into(),
            c.check_id.into(),
            f.kind.as_str().into(),
            feature.into(),
            f.statistic.into(),
            f.value.into(),
            f.threshold.into(),
            f.status.into(),
            c.project.into(),
        ],
    )
    .or_raise()
    .map(|j| j.0)
    .unwrap_or(Value::Null);
    super::run("SELECT pg_notify('aimass_alerts', $1)", &[payload.to_string().into()]).or_raise();
    pgrx::log!(
        "aimass: {} on project \"{}\" (model {}): {} {} = {:.4}, threshold {}",
        f.status,
        c.project,
        c.model_id,
        feature,
        f.statistic,
        f.value,
        f.threshold.map_or("none".to_owned(), |t| format!("{t:.4}"))
    );
    payload.get("alert_id").and_then(Value::as_i64)
}

/// The training test metric `name` of a model (the training one when there is no test split).
pub fn training_metric(model_id: i64, name: &str) -> Option<f64> {
    super::get_one::<f64>(
        "SELECT coalesce(metrics -> 'test' ->> $2, metrics -> 'train' ->> $2)::float8 FROM aimass.models WHERE id = $1",
        &[model_id.into(), name.into()],
    )
    .ok()
    .flatten()
}

/// A model's stored drift reference.
pub fn reference(model_id: i64) -> Result<Value> {
    super::get_one::<JsonB>("SELECT reference FROM aimass.models WHERE id = $1", &[model_id.into()])
        .or_raise()
        .map(|j| j.0)
        .ok_or_else(|| {
            AimassError::new(ErrorKind::UndefinedObject, format!("model {model_id} does not exist"))
        })
}

/// The JSON a monitor is shown as.
pub fn describe(project: &str, relation: &str, options: &MonitorOptions) -> Value {
    let mut v = json!({"project": project, "relation": relation});
    if let (Value::Object(m), Value::Object(o)) = (&mut v, options.to_json()) {
        m.extend(o);
    }
    v
}
