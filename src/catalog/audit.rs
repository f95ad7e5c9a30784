//! `aimass.audit_log`: one row per train, deploy, rollback, monitoring change and bulk scoring
//! call, written in the caller's transaction (a rolled-back training leaves no row, as it leaves
//! no model). Bulk reads of scores and metrics also go to the server log ([`log_bulk_read`]),
//! which a ROLLBACK cannot take back.

use pgrx::JsonB;
use serde_json::Value;

use crate::error::OrRaise;

/// What is audited (the table's CHECK lists the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Train,
    Deploy,
    Rollback,
    Monitor,
    Unmonitor,
    PredictBatch,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Train => "train",
            Action::Deploy => "deploy",
            Action::Rollback => "rollback",
            Action::Monitor => "monitor",
            Action::Unmonitor => "unmonitor",
            Action::PredictBatch => "predict_batch",
        }
    }
}

/// Writes a bulk read of scores or metrics (`predict_batch`, `evaluate`) to the server log as
/// well, where a ROLLBACK cannot erase it (as pgaudit does): `aimass audit: ...` at level LOG,
/// with the session and current roles.
pub fn log_bulk_read(what: &str, project: Option<&str>, model_id: i64, arguments: &Value) {
    // SAFETY: reads of the session's role ids.
    let session = super::owner::role_name(unsafe { pgrx::pg_sys::GetSessionUserId() });
    pgrx::log!(
        "aimass audit: {what} by role \"{}\" (session role \"{session}\"), project {}, model {model_id}: {arguments}",
        super::owner::caller_name(),
        project.map_or("none".to_owned(), |p| format!("\"{p}\"")),
    );
}

/// Appends one audit row as the calling role.
pub fn record(action: Action, project: Option<&str>, model_id: Option<i64>, arguments: Value) {
    super::run(
        "INSERT INTO aimass.audit_log (role, action, project, model_id, arguments) VALUES ($1, $2, $3, $4, $5)",
        &[
            super::owner::caller_name().into(),
            action.as_str().into(),
            project.into(),
            model_id.into(),
            JsonB(arguments).into(),
        ],
    )
    .or_raise();
}
