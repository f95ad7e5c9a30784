//! C symbols that an older version's SQL declared and this library no longer implements. An
//! installed schema keeps pointing at its functions' symbols until `ALTER EXTENSION aimass
//! UPDATE` replaces them, and an older version can still be created from its script
//! (`CREATE EXTENSION aimass VERSION '0.1.0'`, where upgrades start): PostgreSQL looks each
//! symbol up when the function is created or first called. Each one here raises an error that
//! says what to do. A symbol's meaning never changes from one version to the next (a new
//! function gets a new name), so an old declaration can never call new code with old arguments.

use pgrx::pg_sys;
use pgrx::prelude::*;

use crate::core::error::{AimassError, ErrorKind};

macro_rules! removed {
    ($($symbol:ident / $finfo:ident: $since:literal),* $(,)?) => {$(
        /// Removed; see the module documentation.
        ///
        /// # Safety
        /// Called by PostgreSQL's function manager only.
        #[pg_guard]
        #[no_mangle]
        pub unsafe extern "C-unwind" fn $symbol(_fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
            crate::error::raise(gone(stringify!($symbol), $since))
        }

        #[no_mangle]
        pub extern "C" fn $finfo() -> &'static pg_sys::Pg_finfo_record {
            const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    )*};
}

fn gone(symbol: &str, since: &str) -> AimassError {
    AimassError::new(
        ErrorKind::NotInPrerequisiteState,
        format!("the aimass library no longer has {symbol} (removed in {since}): this database's aimass schema is older than its library"),
    )
    .with_hint("Run ALTER EXTENSION aimass UPDATE.")
}

// 0.5.0: the metric aggregates of numbers and probabilities moved from internal to bytea states.
removed!(
    pairs_add_wrapper / pg_finfo_pairs_add_wrapper: "0.5.0",
    pairs_combine_wrapper / pg_finfo_pairs_combine_wrapper: "0.5.0",
    pairs_serial_wrapper / pg_finfo_pairs_serial_wrapper: "0.5.0",
    pairs_deserial_wrapper / pg_finfo_pairs_deserial_wrapper: "0.5.0",
    auc_final_wrapper / pg_finfo_auc_final_wrapper: "0.5.0",
    ks_final_wrapper / pg_finfo_ks_final_wrapper: "0.5.0",
    gini_final_wrapper / pg_finfo_gini_final_wrapper: "0.5.0",
    iv_final_wrapper / pg_finfo_iv_final_wrapper: "0.5.0",
    psi_final_wrapper / pg_finfo_psi_final_wrapper: "0.5.0",
    probabilities_add_wrapper / pg_finfo_probabilities_add_wrapper: "0.5.0",
    probabilities_combine_wrapper / pg_finfo_probabilities_combine_wrapper: "0.5.0",
    probabilities_serial_wrapper / pg_finfo_probabilities_serial_wrapper: "0.5.0",
    probabilities_deserial_wrapper / pg_finfo_probabilities_deserial_wrapper: "0.5.0",
    log_loss_final_wrapper / pg_finfo_log_loss_final_wrapper: "0.5.0",
    brier_final_wrapper / pg_finfo_brier_final_wrapper: "0.5.0",
);
