//! aimass: in-database machine learning for credit risk and anti-fraud.
//!
//! `core` is the pure engine (no pgrx); `catalog` holds the extension's tables and reads user
//! relations; `scoring` is the inline scoring cache; `api` is the SQL surface; `worker` the
//! monitoring background worker.

pub use aimass_core as core;

/// Rust's heap, counted: the backstop of `aimass.max_memory` (see `core::memory::check_in_use`).
#[global_allocator]
static ALLOCATOR: core::memory::CountingAllocator = core::memory::CountingAllocator;

pub mod api;
pub mod catalog;
pub mod error;
pub mod gucs;
pub mod host;
pub mod idle_databases;
pub mod json_arg;
pub mod progress;
pub mod scoring;
pub mod worker;

::pgrx::pg_module_magic!(name, version);

#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // No backtrace in any message: pgrx captures one for a panic's DETAIL when the server's
    // environment sets RUST_BACKTRACE; RUST_LIB_BACKTRACE=0 turns capturing off (read once, at
    // the first capture, which has not happened yet while the library loads).
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    gucs::register();
    host::install();
    scoring::cache::register_invalidation();
    worker::register();
}

#[cfg(any(test, feature = "pg_test"))]
mod tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    /// The monitoring worker runs in the test server too (see tests::the_monitoring_worker_runs).
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec!["shared_preload_libraries = 'aimass'", "aimass.monitor_naptime = 1"]
    }
}
