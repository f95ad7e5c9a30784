//! The memory bound of one call: every allocation that grows with user input (dense matrices,
//! histograms × leaves, forests, search grids, read buffers, aggregate states) is estimated with
//! [`reserve`] before it is made, and an estimate over the limit is an error (54000) that names
//! the estimate, the limit and what to change. The host reads the limit from `aimass.max_memory`
//! ([`set_host`]); without a host (unit tests) there is none.
//!
//! Each estimate is compared with the whole limit (not added to a running total): the bound is on
//! the largest single structure of a call, which is what grows with the input. What is not
//! estimated is allocated fallibly where it can be large ([`vec_filled`]), so an allocation
//! failure is an error too, never an abort. Behind both, the extension's global allocator
//! ([`CountingAllocator`]) counts the Rust heap in use, and every interrupt check fails once that
//! is over twice the limit ([`check_in_use`]): growth no estimate foresaw ends as 54000 too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// The Rust heap in use by this process, in bytes, as counted by [`CountingAllocator`] (0 where
/// it is not the global allocator: unit tests, the fuzzers).
static IN_USE: AtomicUsize = AtomicUsize::new(0);

/// The global allocator of the extension: the system's, counting the bytes in use, so that
/// [`check_in_use`] can stop a call whose Rust heap grows past what any estimate foresaw.
pub struct CountingAllocator;

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                IN_USE.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Bytes of Rust heap in use by this process (0 without [`CountingAllocator`]).
pub fn in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

/// The backstop behind the estimates: an error (54000) when the Rust heap in use is over twice
/// the limit. Every estimate bounds one structure; a call holds a few at once (the rows, their
/// encoding, a model), so twice the limit is only reached by growth no estimate foresaw. Called
/// at every interrupt check, so such growth ends within about a tenth of a second.
pub fn check_in_use() -> Result<()> {
    let used = in_use() as u128;
    let limit = limit() as u128;
    if used <= limit.saturating_mul(2) {
        return Ok(());
    }
    Err(AimassError::new(
        ErrorKind::LimitExceeded,
        format!(
            "this call's memory in use ({}) is over twice aimass.max_memory ({})",
            human(used),
            human(limit)
        ),
    )
    .with_hint("Use fewer rows, features or trees. A superuser can raise aimass.max_memory."))
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
