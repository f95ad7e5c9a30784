//! What the pure core asks of the backend it runs in, installed on the backend's main thread in
//! `_PG_init`: the interrupt hook of [`crate::core::interrupt`] and the memory limit of
//! [`crate::core::memory`] (`aimass.max_memory`).

use pgrx::pg_sys;

/// Raises a pending cancel or terminate the way PostgreSQL's `CHECK_FOR_INTERRUPTS` does, after
/// telling the core's threads to stop.
fn check_interrupts() {
    // SAFETY: reads of the interrupt flags, then PostgreSQL's own interrupt processing, on the
    // backend's main thread (the hook is only installed there).
    unsafe {
        if pg_sys::InterruptPending != 0 {
            if pg_sys::QueryCancelPending != 0 || pg_sys::ProcDiePending != 0 {
                crate::core::interrupt::cancel_threads();
            }
            pg_sys::ProcessInterrupts();
        }
    }
}

fn memory_limit() -> u64 {
    crate::gucs::max_memory_bytes()
}

pub fn install() {
    crate::core::interrupt::set_host(check_interrupts);
    crate::core::memory::set_host(memory_limit);
}
