//! The databases the monitoring launcher leaves alone: those where a round found aimass not
//! installed or no enabled monitor. Kept in shared memory (so it is empty after every server
//! start: each database is visited once then), and a database leaves it when a monitor is made
//! there (`aimass.monitor`). So a round worker connects to a database without aimass once per server
//! start, not every naptime, and DROP/RENAME DATABASE of such a database never meets it.
//!
//! Only with aimass in shared_preload_libraries (the worker's condition too); elsewhere every
//! call here does nothing.

use pgrx::lwlock::PgLwLock;
use pgrx::pg_shmem_init;
use pgrx::prelude::*;
use pgrx::shmem::PGRXSharedMemory;

/// Databases remembered at most (beyond, a round is started as before).
const CAPACITY: usize = 1024;

#[derive(Copy, Clone)]
pub struct IdleDatabases {
    oids: [u32; CAPACITY],
    len: usize,
    /// Counts the forgets: a round marks its database only if none happened since it began, so a
    /// monitor committed while the round was looking is never shadowed by its mark.
    epoch: u64,
}

impl Default for IdleDatabases {
    fn default() -> Self {
        IdleDatabases { oids: [0; CAPACITY], len: 0, epoch: 0 }
    }
}

// SAFETY: plain values only, no pointers.
unsafe impl PGRXSharedMemory for IdleDatabases {}

// SAFETY: initialized by `pg_shmem_init!` in `init`, before any use (guarded by `ACTIVE`).
static IDLE: PgLwLock<IdleDatabases> = unsafe { PgLwLock::new(c"aimass idle databases") };

/// Whether the shared memory was requested (in the postmaster, inherited by its children).
static ACTIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Requests the shared memory; only while shared_preload_libraries are loaded.
// The macro tests the features of every PostgreSQL version pgrx supports; this crate has pg15's.
#[allow(unexpected_cfgs)]
pub fn init() {
    // SAFETY: a plain read of a postmaster flag during _PG_init.
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    pg_shmem_init!(IDLE);
    ACTIVE.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn active() -> bool {
    ACTIVE.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn is_idle(database: pg_sys::Oid) -> bool {
    active() && {
        let idle = IDLE.share();
        idle.oids[..idle.len].contains(&database.to_u32())
    }
}

/// The count of forgets so far: what a round reads before it takes its snapshot.
pub fn epoch() -> u64 {
    if !active() {
        return 0;
    }
    IDLE.share().epoch
}

/// Remembers `database` as having nothing to check, unless a monitor was committed since
/// [`epoch`] gave `seen`.
pub fn mark(database: pg_sys::Oid, seen: u64) {
    if !active() {
        return;
    }
    let mut idle = IDLE.exclusive();
    let oid = database.to_u32();
    let len = idle.len;
    if idle.epoch == seen && len < CAPACITY && !idle.oids[..len].contains(&oid) {
        idle.oids[len] = oid;
        idle.len += 1;
    }
}

/// Forgets `database` when the current transaction commits (it has made a monitor there); a
/// transaction that rolls back leaves the mark as it was.
pub fn forget_at_commit(database: pg_sys::Oid) {
    if active() {
        pgrx::register_xact_callback(pgrx::PgXactCallbackEvent::Commit, move || forget(database));
    }
}

fn forget(database: pg_sys::Oid) {
    let mut idle = IDLE.exclusive();
    idle.epoch += 1;
    let oid = database.to_u32();
    let len = idle.len;
    if let Some(i) = idle.oids[..len].iter().position(|&o| o == oid) {
        idle.oids[i] = idle.oids[len - 1];
        idle.len -= 1;
    }
}
