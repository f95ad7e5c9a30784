//! Cancellation of long work: every loop that can run longer than about 100 ms calls [`check`].
//!
//! The core knows nothing of PostgreSQL. The host (the backend's main thread) installs a hook with
//! [`set_host`]; on that thread [`check`] calls it, and the hook raises the statement's
//! cancellation (statement_timeout, `pg_cancel_backend`, `pg_terminate_backend`) as PostgreSQL
//! does. Before raising, the hook calls [`cancel_threads`]: the threads of every running
//! [`crate::parallel::map`] then see [`check`] fail with [`cancelled`] and return early, so
//! the main thread's error goes out as soon as they have stopped. Threads never call the hook.
//!
//! Without a host (unit tests, the fuzzers) [`check`] only reads the threads' flag.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{AimassError, ErrorKind, Result};

thread_local! {
    /// The host's hook, on the thread that installed it.
    static HOST: Cell<Option<fn()>> = const { Cell::new(None) };
    /// On a thread of `parallel::map`: the flag its caller raises to stop it.
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
    /// On the host's thread: the flags of the thread groups it is waiting for.
    static GROUPS: RefCell<Vec<Arc<AtomicBool>>> = const { RefCell::new(Vec::new()) };
}

/// Installs the host's interrupt hook on the calling thread (the backend's main thread).
pub fn set_host(hook: fn()) {
    HOST.with(|h| h.set(Some(hook)));
}

/// The error a thread returns when its work was cancelled (57014, query_canceled).
pub fn cancelled() -> AimassError {
    AimassError::new(ErrorKind::Cancelled, "canceling statement: the work was interrupted")
}

/// Fails when the current work was cancelled: on the host's thread, the host's hook runs (and
/// raises PostgreSQL's own error when an interrupt is pending); on a worker thread, the flag its
/// caller raises is read. Fails too when the Rust heap in use is over the memory backstop
/// ([`crate::memory::check_in_use`]).
#[inline]
pub fn check() -> Result<()> {
    if let Some(hook) = HOST.with(Cell::get) {
        hook();
    }
    let stop = FLAG.with(|f| f.borrow().as_ref().is_some_and(|f| f.load(Ordering::Relaxed)));
    if stop {
        return Err(cancelled());
    }
    crate::memory::check_in_use()
}

/// Raises the flag of every thread group the host is waiting for (called by the host's hook
/// just before it raises the cancellation).
pub fn cancel_threads() {
    GROUPS.with(|g| g.borrow().iter().for_each(|f| f.store(true, Ordering::Relaxed)));
    FLAG.with(|f| {
        if let Some(f) = f.borrow().as_ref() {
            f.store(true, Ordering::Relaxed)
        }
    });
}

/// How long the calling thread waits for a thread to finish before it checks for interrupts
/// again.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// Waits until `pending` threads have sent on `finished` (or dropped their senders), checking for
/// interrupts every [`CHECK_EVERY`]: the wait ends as soon as the last thread is done, never a
/// polling interval later. On the host's thread a cancel raises from here.
pub(crate) fn wait_for(mut pending: usize, finished: &std::sync::mpsc::Receiver<()>) -> Result<()> {
    use std::sync::mpsc::RecvTimeoutError;
    while pending > 0 {
        match finished.recv_timeout(CHECK_EVERY) {
            Ok(()) => pending -= 1,
            Err(RecvTimeoutError::Timeout) => check()?,
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}

/// A group of threads started by the calling thread: the flag they watch (the caller's own when
/// the caller is itself a worker thread, so a cancel reaches nested groups).
pub(crate) struct Group {
    flag: Arc<AtomicBool>,
    registered: bool,
}

impl Group {
    pub(crate) fn start() -> Group {
        if let Some(flag) = FLAG.with(|f| f.borrow().clone()) {
            return Group { flag, registered: false };
        }
        let flag = Arc::new(AtomicBool::new(false));
        GROUPS.with(|g| g.borrow_mut().push(flag.clone()));
        Group { flag, registered: true }
    }

    /// What a thread of the group runs first: it watches the group's flag.
    pub(crate) fn enter_thread(&self) -> impl FnOnce() + Send + 'static {
        let flag = self.flag.clone();
        move || FLAG.with(|f| *f.borrow_mut() = Some(flag))
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.registered {
            GROUPS.with(|g| g.borrow_mut().retain(|f| !Arc::ptr_eq(f, &self.flag)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_thread_stops_once_its_group_is_cancelled() {
        let group = Group::start();
        let enter = group.enter_thread();
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || {
            enter();
            tx.send(()).unwrap();
            loop {
                if let Err(e) = check() {
                    return e;
                }
                std::thread::yield_now();
            }
        });
        rx.recv().unwrap();
        cancel_threads();
        let e = handle.join().unwrap();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert!(group.is_cancelled());
        drop(group);
        // The host's own thread, outside any group, is not cancelled.
        assert!(check().is_ok());
    }
}
