//! `aimass.monitors`, `aimass.drift_reports` and `aimass.alerts`: what is watched, what each
//! check found, and the alerts still open.

use pgrx::JsonB;
use serde_json::{json, Value};

use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::monitoring::{Finding, MonitorOptions};
use crate::error::OrRaise;

/// A project's monitor.
pub struct Monitor {
    /// The relation as `regclass` text when it was configured.
    pub relation: String,
    pub options: MonitorOptions,
    /// The role that configured the monitor: scheduled checks read the relation only while it
    /// may.
    pub created_by: String,
}

pub fn find(project_id: i64) -> Result<Option<Monitor>> {
    let row = super::connect(|client| {
        let t = client.select(
            "SELECT relation, options, created_by::text FROM aimass.monitors WHERE project_id = $1",
            Some(1),
            &[project_id.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let row = t.first();
        Ok(Some((row.get::<String>(1)?, row.get::<JsonB>(2)?, row.get::<String>(3)?)))
    })
    .or_raise();
    match row {
        Some((Some(relation), Some(options), Some(created_by))) => {
            Ok(Some(Monitor { relation, options: MonitorOptions::parse(&options.0)?, created_by }))
        }
        _ => Ok(None),
    }
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

/// Creates or replaces the project's monitor; the first check is due now.
pub fn upsert(project_id: i64, relation: &str, options: &MonitorOptions) -> Result<()> {
    super::run(
        "INSERT INTO aimass.monitors (project_id, relation, options, every, created_by)
         VALUES ($1, $2, $3, $4::interval, $5)
         ON CONFLICT (project_id) DO UPDATE
            SET relation = EXCLUDED.relation, options = EXCLUDED.options, every = EXCLUDED.every,
                enabled = true, next_check_at = now(), created_at = now(), created_by = EXCLUDED.created_by",
        &[
            project_id.into(),
            relation.into(),
            JsonB(options.to_json()).into(),
            options.every.as_str().into(),
            super::owner::caller_name().into(),
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
                                           live_rows, kind, feature, statistic, value, expected, threshold, status)
         VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8, $9, $10, $11, $12, $13, $14)",
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
        ],
    )
    .or_raise();
}

/// Keeps `aimass.alerts` in step with a finding: an `ok` finding resolves the open alert of its
/// feature and statistic; a `warn` or `alert` one refreshes the open alert of the same status or
/// raises a new one (resolving one of the other status), which is sent as `NOTIFY aimass_alerts`
/// with a JSON payload and logged. Returns the new alert's id.
pub fn update_alerts(c: &CheckContext<'_>, f: &Finding) -> Option<i64> {
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
