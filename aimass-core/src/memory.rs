//! The memory bound of one call: every allocation that grows with user input (dense matrices,
//! histograms × leaves, forests, search grids, read buffers, aggregate states) is estimated with
//! [`reserve`] before it is made, and an estimate over the limit is an error (54000) that names
//! the estimate, the limit and what to change. The host reads the limit from `aimass.max_memory`
//! ([`set_host`]); without a host (unit tests) there is none.
//!
//! Each estimate is compared with the whole limit (not added to a running total): the bound is on
//! the largest single structure of a call, which is what grows with the input. What is not
//! estimated is allocated fallibly where it can be large ([`vec_filled`]), so an allocation
//! failure is an error too, never an abort.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{AimassError, ErrorKind, Result};

/// Bytes one estimate may reach (`u64::MAX`: no limit).
static LIMIT: AtomicU64 = AtomicU64::new(u64::MAX);

thread_local! {
    /// The host's reader of the current limit, on the thread that installed it.
    static HOST: Cell<Option<fn() -> u64>> = const { Cell::new(None) };
}

/// Installs the host's reader of the limit in bytes on the calling thread (the backend's main
/// thread); other threads use the value it last read.
pub fn set_host(read: fn() -> u64) {
    HOST.with(|h| h.set(Some(read)));
}

/// The limit in bytes now (`u64::MAX`: none).
pub fn limit() -> u64 {
    if let Some(read) = HOST.with(Cell::get) {
        let bytes = read();
        LIMIT.store(if bytes == 0 { u64::MAX } else { bytes }, Ordering::Relaxed);
    }
    LIMIT.load(Ordering::Relaxed)
}

/// Bytes as a person reads them.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `count` items of `size` bytes (saturating: an estimate never wraps).
pub fn bytes_of(count: u128, size: usize) -> u128 {
    count.saturating_mul(size as u128)
}

/// An error unless `bytes` fit the limit; `what` says what would be allocated, `hint` what to
/// change.
pub fn reserve(bytes: u128, what: &str, hint: &str) -> Result<()> {
    let limit = limit();
    if bytes <= limit as u128 {
        return Ok(());
    }
    Err(AimassError::new(
        ErrorKind::LimitExceeded,
        format!(
            "{what} would need about {}, over aimass.max_memory ({})",
            human(bytes),
            human(limit as u128)
        ),
    )
    .with_hint(format!("{hint} A superuser can raise aimass.max_memory.")))
}

/// A vector of `n` copies of `value`, after [`reserve`], allocated fallibly (an allocation the
/// system refuses is an error, not an abort).
pub fn vec_filled<T: Clone>(n: usize, value: T, what: &str, hint: &str) -> Result<Vec<T>> {
    reserve(bytes_of(n as u128, std::mem::size_of::<T>()), what, hint)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        AimassError::new(
            ErrorKind::LimitExceeded,
            format!(
                "{what}: out of memory allocating {}",
                human(bytes_of(n as u128, std::mem::size_of::<T>()))
            ),
        )
    })?;
    v.resize(n, value);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_over_the_limit_is_a_54000_naming_both() {
        assert!(reserve(10, "x", "").is_ok());
        let e = reserve(u128::MAX, "a 3 x 4 matrix", "Use fewer rows.").unwrap_err();
        assert_eq!(e.kind, ErrorKind::LimitExceeded);
        assert!(e.message.starts_with("a 3 x 4 matrix would need about"), "{}", e.message);
        assert!(e.hint.unwrap().contains("aimass.max_memory"));
        assert_eq!(human(1536), "1.5 kB");
        assert_eq!(bytes_of(u128::MAX, 8), u128::MAX);
    }
}
