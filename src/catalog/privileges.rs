//! The three roles of the extension and what each may do.
//!
//! | role | may | member of |
//! |---|---|---|
//! | `aimass_scorer` | score: predict, predict_proba, explain, score_points, predict_batch; see projects, deployments and current_deployments | |
//! | `aimass_analyst` | train, evaluate, profile, clean, bin, select features, read the catalog (models, reports), check drift, model cards | `aimass_scorer` |
//! | `aimass_admin` | deploy and roll back, configure monitoring, log predictions, read the audit log | `aimass_analyst` |
//!
//! The pure functions (the metric aggregates, ROC, lift and calibration tables) stay open to
//! everyone: they see only what they are given. Everything else is revoked from PUBLIC. No role
//! may write the catalog tables: only the functions do (see `owner.rs`). Roles are cluster-wide
//! and outlive `DROP EXTENSION`; a second database's `CREATE EXTENSION` finds them.

use pgrx::pg_sys;

use crate::core::error::{AimassError, ErrorKind, Result};

/// Whether the calling role is a superuser or has the privileges of `role`.
pub fn caller_has(role: &str) -> bool {
    let caller = super::owner::caller();
    let Ok(name) = std::ffi::CString::new(role) else { return false };
    // SAFETY: catalog lookups by oid and name.
    unsafe {
        if pg_sys::superuser_arg(caller) {
            return true;
        }
        let role = pg_sys::get_role_oid(name.as_ptr(), true);
        role != pg_sys::InvalidOid && pg_sys::has_privs_of_role(caller, role)
    }
}

/// An error unless the caller has the privileges of `role`.
pub fn require(role: &str, what: &str) -> Result<()> {
    if caller_has(role) {
        return Ok(());
    }
    Err(AimassError::new(
        ErrorKind::InsufficientPrivilege,
        format!(
            "permission denied to {what}: role \"{}\" is not a member of {role}",
            super::owner::caller_name()
        ),
    )
    .with_hint(format!("Ask an administrator for GRANT {role} TO {};", super::owner::caller_name())))
}

pgrx::extension_sql_file!("../../sql/schema/privileges.sql", name = "privileges", finalize);
