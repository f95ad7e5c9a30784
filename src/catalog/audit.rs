//! `aimass.audit_log`: one row per train, deploy, rollback, monitoring change and bulk scoring
//! call, written in the caller's transaction (a rolled-back training leaves no row, as it leaves
//! no model).

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
