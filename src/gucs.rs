//! Settings (GUCs) of the extension, registered in `_PG_init`.
//!
//! - `aimass.max_threads` (integer, default 0): threads a training (or the scoring inside
//!   evaluate, predict_batch, check_drift) may use; 0 means all cores. Threads only compute:
//!   they never call PostgreSQL, and results do not depend on their number.
//! - `aimass.progress_interval` (seconds, default 5): long trainings send a NOTICE with the round
//!   and the best validation score at most this often; 0 reports every round, -1 never.
//! - `aimass.max_memory` (kB, default 4GB, superuser only): the largest structure one call may
//!   allocate for its input (matrices, histograms × leaves, forests, grids, read buffers,
//!   aggregate states), estimated before it is allocated; over it is ERROR 54000.
//! - `aimass.model_cache_size` (kB, default 256MB, superuser only): the bytes of deserialized
//!   models each backend keeps for scoring, least recently used dropped first.
//! - `aimass.monitor_enabled` (boolean, default on), `aimass.monitor_naptime` (seconds, default
//!   60) and `aimass.monitor_database` (default empty: every database): the monitoring background
//!   worker (src/worker), read at start and on SIGHUP (`pg_reload_conf()`).

use std::ffi::CString;

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

pub static MAX_THREADS: GucSetting<i32> = GucSetting::<i32>::new(0);
/// kB; 4 GB by default.
pub static MAX_MEMORY: GucSetting<i32> = GucSetting::<i32>::new(4 * 1024 * 1024);
/// kB; 256 MB by default.
pub static MODEL_CACHE_SIZE: GucSetting<i32> = GucSetting::<i32>::new(256 * 1024);
pub static PROGRESS_INTERVAL: GucSetting<f64> = GucSetting::<f64>::new(5.0);
pub static MONITOR_ENABLED: GucSetting<bool> = GucSetting::<bool>::new(true);
pub static MONITOR_NAPTIME: GucSetting<i32> = GucSetting::<i32>::new(60);
pub static MONITOR_DATABASE: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

pub fn register() {
    GucRegistry::define_int_guc(
        c"aimass.max_memory",
        c"Memory one aimass call may allocate for a structure that grows with its input (1MB - 2TB).",
        c"Training matrices, histograms, forests, search grids, read buffers and aggregate states are estimated before they are allocated; an estimate over this limit is ERROR 54000. Superuser only.",
        &MAX_MEMORY,
        1024,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_KB,
    );
    GucRegistry::define_int_guc(
        c"aimass.model_cache_size",
        c"Memory each backend's scoring cache of deserialized models may hold (64kB - 2TB).",
        c"The least recently used models are dropped to stay under it. Superuser only.",
        &MODEL_CACHE_SIZE,
        64,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_KB,
    );
    GucRegistry::define_int_guc(
        c"aimass.max_threads",
        c"Threads a training may use (0: all cores).",
        c"Bounds the worker threads of training (preprocessing, tree learners, search) and of the scoring in evaluate, predict_batch and check_drift.",
        &MAX_THREADS,
        0,
        1024,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"aimass.progress_interval",
        c"Seconds between progress NOTICEs of a long training (0: every round, -1: never).",
        c"",
        &PROGRESS_INTERVAL,
        -1.0,
        86400.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"aimass.monitor_enabled",
        c"Whether the monitoring background worker runs the due checks.",
        c"",
        &MONITOR_ENABLED,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"aimass.monitor_naptime",
        c"Seconds the monitoring worker sleeps between rounds of due checks.",
        c"",
        &MONITOR_NAPTIME,
        1,
        86400,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_string_guc(
        c"aimass.monitor_database",
        c"The one database the monitoring worker watches (empty: every database).",
        c"",
        &MONITOR_DATABASE,
        GucContext::Sighup,
        GucFlags::default(),
    );
    // Every aimass.* setting is defined above: a misspelt one (`SET aimass.max_memroy`) is an
    // error rather than a silently kept placeholder.
    // SAFETY: a static C string; called from _PG_init after the definitions.
    unsafe { pgrx::pg_sys::MarkGUCPrefixReserved(c"aimass".as_ptr()) };
}

/// `aimass.max_memory` in bytes.
pub fn max_memory_bytes() -> u64 {
    MAX_MEMORY.get().max(1) as u64 * 1024
}

/// `aimass.model_cache_size` in bytes.
pub fn model_cache_bytes() -> usize {
    MODEL_CACHE_SIZE.get().max(1) as usize * 1024
}

/// The database the worker is limited to, if any.
pub fn monitor_database() -> Option<String> {
    MONITOR_DATABASE.get().map(|c| c.to_string_lossy().into_owned()).filter(|s| !s.is_empty())
}

/// The threads a training may use now.
pub fn threads() -> usize {
    match MAX_THREADS.get() {
        n if n > 0 => n as usize,
        _ => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    }
}
