//! The monitoring background worker, started when `aimass` is in `shared_preload_libraries`.
//!
//! A launcher (a static worker, restarted by the postmaster after a crash) connects to no
//! database: every `aimass.monitor_naptime` it reads `pg_database` (a shared catalog) and starts
//! one round in each database that accepts connections (or only `aimass.monitor_database`): a
//! dynamic worker that connects, runs the monitors that are due and exits. So no connection is
//! held between rounds (DROP DATABASE, RENAME and CREATE DATABASE ... TEMPLATE work while the
//! worker runs), and a round still running in a database is not started again there. A round that
//! finds aimass not installed, or no enabled monitor, marks its database idle
//! ([`crate::idle_databases`]): the launcher leaves it alone until a monitor is made there or the
//! server restarts.
//!
//! Each due monitor is checked in two transactions: the first takes the check and moves the
//! next one on (committed before the check runs, so a check that fails or crashes never makes
//! its monitor due again at once, ahead of the others), the second runs the check in a
//! subtransaction (`api::monitor::run_scheduled`: the relation read as the monitor's creator, any
//! error an error row with a failure count and an exponential backoff). A round worker takes
//! SIGTERM as a backend does (`die`): it exits at the next interrupt check, also in the middle of
//! a check.

use std::collections::HashMap;
use std::ffi::CStr;
use std::time::Duration;

use pgrx::bgworkers::{
    BackgroundWorker, BackgroundWorkerBuilder, BackgroundWorkerStatus, BgWorkerStartTime,
    DynamicBackgroundWorker, SignalWakeFlags,
};
use pgrx::prelude::*;
use pgrx::PgMemoryContexts;

use crate::gucs;

const LAUNCHER: &str = "aimass monitor launcher";
const WORKER: &str = "aimass monitor";

/// Registers the launcher; only while shared_preload_libraries are loaded.
pub fn register() {
    // SAFETY: a plain read of a postmaster flag during _PG_init.
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    crate::idle_databases::init();
    BackgroundWorkerBuilder::new(LAUNCHER)
        .set_type(LAUNCHER)
        .set_library("aimass")
        .set_function("aimass_monitor_launcher")
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(Duration::from_secs(5)))
        .load();
}

fn naptime() -> Duration {
    Duration::from_secs(gucs::MONITOR_NAPTIME.get().max(1) as u64)
}

fn reload_config_on_sighup() {
    if BackgroundWorker::sighup_received() {
        // SAFETY: called from the worker's main loop, outside any transaction.
        unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
    }
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn aimass_monitor_launcher(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    BackgroundWorker::connect_worker_to_spi(None, None);
    log!("{LAUNCHER} started");
    let mut workers: HashMap<u32, DynamicBackgroundWorker> = HashMap::new();
    // The rounds' handles live here, and the context is emptied whenever no round is running (a
    // handle per round and database would otherwise accumulate in TopMemoryContext).
    // SAFETY: the context is created under TopMemoryContext and outlives every handle in it.
    let mut rounds = unsafe {
        PgMemoryContexts::TopMemoryContext.switch_to(|_| PgMemoryContexts::new("aimass monitor rounds"))
    };
    loop {
        reload_config_on_sighup();
        let wanted: Vec<(pg_sys::Oid, String)> = if gucs::MONITOR_ENABLED.get() {
            databases(gucs::monitor_database().as_deref())
        } else {
            Vec::new()
        };
        // Rounds that ended are forgotten; a round of a database no longer wanted is stopped.
        let ended: Vec<u32> = workers
            .iter()
            .filter(|(oid, w)| {
                !matches!(w.pid(), Ok(_) | Err(BackgroundWorkerStatus::NotYetStarted))
                    || !wanted.iter().any(|(o, _)| o.to_u32() == **oid)
            })
            .map(|(oid, _)| *oid)
            .collect();
        for oid in ended {
            if let Some(w) = workers.remove(&oid) {
                if w.pid().is_ok() {
                    let _stopping = w.terminate();
                }
            }
        }
        if workers.is_empty() {
            // SAFETY: no handle allocated in the context is left.
            unsafe { rounds.reset() };
        }
        for (oid, name) in &wanted {
            if workers.contains_key(&oid.to_u32()) || crate::idle_databases::is_idle(*oid) {
                continue;
            }
            // The handle must outlive this loop: allocate it in the rounds' context.
            // SAFETY: only the builder runs in that context.
            let started = unsafe {
                rounds.switch_to(|_| {
                    BackgroundWorkerBuilder::new(&format!("{WORKER} {name}"))
                        .set_type(WORKER)
                        .set_library("aimass")
                        .set_function("aimass_monitor_worker")
                        .set_argument(Some(pg_sys::Datum::from(oid.to_u32())))
                        .enable_spi_access()
                        .set_start_time(BgWorkerStartTime::RecoveryFinished)
                        .set_restart_time(None)
                        .load_dynamic()
                })
            };
            match started {
                Ok(w) => {
                    workers.insert(oid.to_u32(), w);
                }
                Err(_) => warning!("aimass: cannot start a monitoring worker for database \"{name}\" (max_worker_processes?)"),
            }
        }
        if !BackgroundWorker::wait_latch(Some(naptime())) {
            break;
        }
    }
    log!("{LAUNCHER} stopped");
}

/// The databases that accept connections (not templates), or only `only`; read straight from the
/// shared catalog since the launcher is connected to no database.
fn databases(only: Option<&str>) -> Vec<(pg_sys::Oid, String)> {
    let mut out = Vec::new();
    // SAFETY: a catalog heap scan inside its own transaction, as PostgreSQL's autovacuum launcher
    // does (get_database_list); the tuples are copied out before the scan ends.
    unsafe {
        pg_sys::StartTransactionCommand();
        pg_sys::GetTransactionSnapshot();
        let rel = pg_sys::table_open(pg_sys::DatabaseRelationId, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let scan = pg_sys::table_beginscan_catalog(rel, 0, std::ptr::null_mut());
        loop {
            let tuple = pg_sys::heap_getnext(scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tuple.is_null() {
                break;
            }
            let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_database>(tuple);
            if !(*form).datallowconn || (*form).datistemplate {
                continue;
            }
            let name = CStr::from_ptr((*form).datname.data.as_ptr()).to_string_lossy().into_owned();
            if only.is_none_or(|o| o == name) {
                out.push(((*form).oid, name));
            }
        }
        pg_sys::heap_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        pg_sys::CommitTransactionCommand();
    }
    out
}

extern "C-unwind" {
    /// PostgreSQL's SIGTERM handler of backends (pgrx's `pg_sys::die` is a guarded wrapper, not a
    /// signal handler).
    #[link_name = "die"]
    fn postgres_die(signal: std::ffi::c_int);
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn aimass_monitor_worker(arg: pg_sys::Datum) {
    // SAFETY: PostgreSQL's own SIGTERM handler for backends, installed before signals are
    // unblocked: a terminate request ends the process at its next CHECK_FOR_INTERRUPTS.
    unsafe { pg_sys::pqsignal(pg_sys::SIGTERM as i32, Some(postgres_die)) };
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP);
    let oid = pg_sys::Oid::from(arg.value() as u32);
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(oid), None);
    if gucs::MONITOR_ENABLED.get() {
        run_due_checks();
    }
}

/// Runs the due monitors of this database, each taken in a transaction of its own and then
/// checked in another.
fn run_due_checks() {
    // Read before the snapshot: a monitor committed after it forbids marking the database idle.
    let epoch = crate::idle_databases::epoch();
    let due: Vec<i64> = BackgroundWorker::transaction(|| {
        let installed = Spi::get_one::<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'aimass')",
        )
        .ok()
        .flatten()
        .unwrap_or(false);
        // A Citus worker holds a copy of the catalog (aimass.distribute_catalog): its monitors
        // are the coordinator's to check.
        let worker_node = installed && crate::catalog::citus::is_worker_node();
        let monitored = installed
            && !worker_node
            && Spi::get_one::<bool>("SELECT EXISTS (SELECT 1 FROM aimass.monitors WHERE enabled)")
                .ok()
                .flatten()
                .unwrap_or(true);
        if !monitored {
            // SAFETY: a plain read of the backend's database.
            let database = unsafe { pg_sys::MyDatabaseId };
            crate::idle_databases::mark(database, epoch);
            let name = Spi::get_one::<String>("SELECT pg_catalog.current_database()::text").ok().flatten();
            log!(
                "aimass monitor: nothing to check in database \"{}\" ({}); left alone until a monitor is made there or the server restarts",
                name.unwrap_or_default(),
                if worker_node {
                    "a Citus worker: the coordinator checks the monitors"
                } else if installed {
                    "no enabled monitor"
                } else {
                    "aimass is not installed"
                }
            );
            return Vec::new();
        }
        Spi::connect(|client| {
            client
                .select(
                    "SELECT project_id FROM aimass.monitors WHERE enabled AND next_check_at <= now()
                      ORDER BY next_check_at, project_id",
                    None,
                    &[],
                )?
                .map(|row| row.get::<i64>(1))
                .collect::<Result<Vec<Option<i64>>, _>>()
        })
        .map(|ids| ids.into_iter().flatten().collect())
        .unwrap_or_default()
    });
    for project_id in due {
        pgrx::check_for_interrupts!();
        let Some(project) = BackgroundWorker::transaction(|| crate::catalog::monitors::take_due(project_id))
        else {
            continue;
        };
        BackgroundWorker::transaction(|| {
            crate::api::monitor::run_scheduled(project_id, &project);
        });
    }
}
