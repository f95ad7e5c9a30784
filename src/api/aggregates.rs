//! The metric aggregates: `aimass.auc`, `ks`, `gini`, `iv`, `psi`, `log_loss` and `brier`, usable
//! with GROUP BY from any SQL client. Each keeps its `internal` state in the aggregate's memory
//! context, with combine, serial and deserial functions so PostgreSQL can run them in parallel
//! workers.
//!
//! The states are exact (every value is kept). The numeric ones (auc, ks, gini, iv, psi of
//! numbers) keep their values in PostgreSQL memory ([`PallocVec`]), so PostgreSQL accounts for
//! them: a hash aggregate whose states pass work_mem × hash_mem_multiplier spills its further
//! groups to disk, as for array_agg, and an allocation PostgreSQL refuses is its own ERROR. The
//! category counts of iv and psi of text are a Rust hash table (its size is the number of
//! distinct categories). What every state holds is also counted together for the whole backend,
//! each state's share updated whenever it grows, and the total of all the states alive (every
//! group of a GROUP BY, every aggregate of the query) is bounded by `aimass.max_memory` (54000
//! beyond it); a state's share leaves the total when its memory context goes.

use pgrx::prelude::*;
use pgrx::{Internal, PgMemoryContexts};
use serde::{de::DeserializeOwned, Serialize};

use crate::core::accumulators::{CategoryCounts, Pairs, PairsView, ProbabilitySums};
use crate::core::error::AimassError;
use crate::error::{raise, OrRaise};
use crate::palloc_vec::PallocVec;

thread_local! {
    /// The bytes counted by every aggregate state alive in this backend.
    static HELD: std::cell::Cell<u128> = const { std::cell::Cell::new(0) };
}

/// An aggregate's state and the bytes it has counted towards [`HELD`].
#[derive(Default)]
pub(crate) struct Held<T> {
    pub(crate) state: T,
    counted: u128,
}

impl<T> Held<T> {
    /// Counts the state as holding `bytes` now: an error (54000) when all the states together
    /// would then pass aimass.max_memory.
    pub(crate) fn holds(&mut self, bytes: u128) {
        let total = HELD.with(|h| h.get()).saturating_sub(self.counted).saturating_add(bytes);
        crate::core::memory::reserve(
            total,
            "the states of the aimass aggregates of this backend",
            "Aggregate fewer rows, or fewer groups at once (the states are exact: every value is kept).",
        )
        .or_raise();
        HELD.with(|h| h.set(total));
        self.counted = bytes;
    }
}

impl<T> Drop for Held<T> {
    fn drop(&mut self) {
        HELD.with(|h| h.set(h.get().saturating_sub(self.counted)));
    }
}

/// The state behind `internal`, created in the aggregate's memory context on first use.
fn state<T: Default>(internal: &mut Internal, fcinfo: pg_sys::FunctionCallInfo) -> &mut Held<T> {
    state_made(internal, fcinfo, |_| T::default())
}

/// As [`state`], the first state made by `make` from the aggregate's memory context.
pub(crate) fn state_made<T>(
    internal: &mut Internal,
    fcinfo: pg_sys::FunctionCallInfo,
    make: impl FnOnce(pg_sys::MemoryContext) -> T,
) -> &mut Held<T> {
    if !internal.initialized() {
        let context = agg_context(fcinfo);
        let held = Held { state: make(context), counted: 0 };
        let ptr = PgMemoryContexts::For(context).leak_and_drop_on_delete(held);
        *internal = Internal::from(Some(pg_sys::Datum::from(ptr)));
    }
    // SAFETY: this module only ever stores a `Held<T>` of the aggregate's own kind behind
    // `internal`.
    unsafe {
        internal
            .get_mut::<Held<T>>()
            .unwrap_or_else(|| raise(AimassError::internal("aggregate state missing")))
    }
}

/// The state of a finished aggregate, if any row was added.
pub(crate) fn finished<T>(internal: &Internal) -> Option<&T> {
    // SAFETY: as in `state`.
    unsafe { internal.get::<Held<T>>() }.map(|h| &h.state)
}

fn agg_context(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::MemoryContext {
    let mut ctx = std::ptr::null_mut();
    // SAFETY: fcinfo is the call's own.
    if unsafe { pg_sys::AggCheckCallContext(fcinfo, &mut ctx) } == 0 || ctx.is_null() {
        raise(AimassError::internal("an aimass aggregate support function was called outside an aggregate"));
    }
    ctx
}

/// Merges state `b` into `a`. Combine functions take `Option<Internal>` so that they are not
/// STRICT (PostgreSQL requires that for an `internal` state).
fn combine<T: Default + Clone>(
    a: Option<Internal>,
    b: Option<Internal>,
    fcinfo: pg_sys::FunctionCallInfo,
    merge: impl FnOnce(&mut T, T),
    bytes: impl Fn(&T) -> u128,
) -> Internal {
    let (mut a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let Some(other) = finished::<T>(&b).cloned() else { return a };
    let held = state::<T>(&mut a, fcinfo);
    merge(&mut held.state, other);
    let now = bytes(&held.state);
    held.holds(now);
    crate::core::interrupt::check().or_raise();
    a
}

fn serial<T: Serialize>(s: Internal) -> Vec<u8> {
    let v = finished::<T>(&s).unwrap_or_else(|| raise(AimassError::internal("aggregate state missing")));
    postcard::to_allocvec(v)
        .unwrap_or_else(|e| raise(AimassError::internal(format!("cannot serialize: {e}"))))
}

fn deserial<T: DeserializeOwned + Default>(
    bytes: &[u8],
    fcinfo: pg_sys::FunctionCallInfo,
    size: impl Fn(&T) -> u128,
) -> Internal {
    let v: T = postcard::from_bytes(bytes)
        .unwrap_or_else(|e| raise(AimassError::internal(format!("cannot deserialize: {e}"))));
    let mut out = Internal::from(None);
    let held = state::<T>(&mut out, fcinfo);
    let now = size(&v);
    held.state = v;
    held.holds(now);
    out
}

// (value, flag) pairs: auc, ks, gini, iv and psi of numbers, in PostgreSQL memory.

/// The pairs of one state: values (NULL as NaN) and flags, in the aggregate's memory context.
struct PgPairs {
    values: PallocVec<f64>,
    flags: PallocVec<bool>,
}

impl PgPairs {
    fn new(context: pg_sys::MemoryContext) -> Self {
        PgPairs { values: PallocVec::new(context), flags: PallocVec::new(context) }
    }

    fn view(&self) -> PairsView<'_> {
        PairsView { values: self.values.as_slice(), flags: self.flags.as_slice() }
    }

    fn allocated(&self) -> u128 {
        self.values.allocated() + self.flags.allocated()
    }

    fn append(&mut self, other: PairsView<'_>) {
        self.values.extend_from_slice(other.values);
        self.flags.extend_from_slice(other.flags);
    }
}

fn pairs_state(internal: &mut Internal, fcinfo: pg_sys::FunctionCallInfo) -> &mut Held<PgPairs> {
    state_made(internal, fcinfo, PgPairs::new)
}

#[pg_extern(immutable, parallel_safe, name = "_pairs_add")]
fn pairs_add(
    mut s: Internal,
    value: Option<f64>,
    flag: Option<bool>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    if let Some(flag) = flag {
        let held = pairs_state(&mut s, fcinfo);
        let allocated = held.state.allocated();
        held.state.values.push(value.filter(|v| !v.is_nan()).unwrap_or(f64::NAN));
        held.state.flags.push(flag);
        // Counted each time the state grows its buffers (a doubling): few checks per state.
        if held.state.allocated() != allocated {
            let now = held.state.allocated();
            held.holds(now);
        }
    }
    s
}

#[pg_extern(immutable, parallel_safe, name = "_pairs_combine")]
fn pairs_combine(a: Option<Internal>, b: Option<Internal>, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    let (mut a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let Some(other) = finished::<PgPairs>(&b) else { return a };
    let held = pairs_state(&mut a, fcinfo);
    held.state.append(other.view());
    let now = held.state.allocated();
    held.holds(now);
    crate::core::interrupt::check().or_raise();
    a
}

/// The same bytes as a serialized `Pairs`.
#[pg_extern(immutable, parallel_safe, strict, name = "_pairs_serial")]
fn pairs_serial(s: Internal) -> Vec<u8> {
    let p = pairs(&s).unwrap_or_else(|| raise(AimassError::internal("aggregate state missing")));
    postcard::to_allocvec(&p)
        .unwrap_or_else(|e| raise(AimassError::internal(format!("cannot serialize: {e}"))))
}

#[pg_extern(immutable, parallel_safe, strict, name = "_pairs_deserial")]
fn pairs_deserial(bytes: &[u8], _s: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    let v: Pairs = postcard::from_bytes(bytes)
        .unwrap_or_else(|e| raise(AimassError::internal(format!("cannot deserialize: {e}"))));
    if v.values.len() != v.flags.len() {
        raise(AimassError::internal("a serialized aggregate state is inconsistent"));
    }
    let mut out = Internal::from(None);
    let held = pairs_state(&mut out, fcinfo);
    held.state.append(v.view());
    let now = held.state.allocated();
    held.holds(now);
    out
}

fn pairs(s: &Internal) -> Option<PairsView<'_>> {
    finished::<PgPairs>(s).map(PgPairs::view)
}

#[pg_extern(immutable, parallel_safe, name = "_auc_final")]
fn auc_final(s: Internal) -> Option<f64> {
    pairs(&s)?.auc()
}

#[pg_extern(immutable, parallel_safe, name = "_ks_final")]
fn ks_final(s: Internal) -> Option<f64> {
    pairs(&s)?.ks()
}

#[pg_extern(immutable, parallel_safe, name = "_gini_final")]
fn gini_final(s: Internal) -> Option<f64> {
    pairs(&s)?.gini()
}

#[pg_extern(immutable, parallel_safe, name = "_iv_final")]
fn iv_final(s: Internal) -> Option<f64> {
    pairs(&s)?.iv()
}

#[pg_extern(immutable, parallel_safe, name = "_psi_final")]
fn psi_final(s: Internal) -> Option<f64> {
    pairs(&s)?.psi()
}

// Category counts: iv and psi of text.

#[pg_extern(immutable, parallel_safe, name = "_categories_add")]
fn categories_add(
    mut s: Internal,
    value: Option<&str>,
    flag: Option<bool>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    if let Some(flag) = flag {
        let held = state::<CategoryCounts>(&mut s, fcinfo);
        let capacity = held.state.counts.capacity();
        held.state.add(value, flag);
        if held.state.counts.capacity() != capacity {
            let now = held.state.bytes();
            held.holds(now);
        }
    }
    s
}

#[pg_extern(immutable, parallel_safe, name = "_categories_combine")]
fn categories_combine(
    a: Option<Internal>,
    b: Option<Internal>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    combine::<CategoryCounts>(a, b, fcinfo, CategoryCounts::merge, CategoryCounts::bytes)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_categories_serial")]
fn categories_serial(s: Internal) -> Vec<u8> {
    serial::<CategoryCounts>(s)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_categories_deserial")]
fn categories_deserial(bytes: &[u8], _s: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    deserial::<CategoryCounts>(bytes, fcinfo, CategoryCounts::bytes)
}

#[pg_extern(immutable, parallel_safe, name = "_categories_iv_final")]
fn categories_iv_final(s: Internal) -> Option<f64> {
    finished::<CategoryCounts>(&s)?.iv()
}

#[pg_extern(immutable, parallel_safe, name = "_categories_psi_final")]
fn categories_psi_final(s: Internal) -> Option<f64> {
    finished::<CategoryCounts>(&s)?.psi()
}

// Probability sums: log_loss and brier.

#[pg_extern(immutable, parallel_safe, name = "_probabilities_add")]
fn probabilities_add(
    mut s: Internal,
    p: Option<f64>,
    label: Option<bool>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    if let (Some(p), Some(label)) = (p, label) {
        if !(0.0..=1.0).contains(&p) {
            raise(
                AimassError::invalid_parameter(format!("probability {p} is outside [0, 1]")).with_hint(
                    "log_loss and brier take predicted probabilities, such as aimass.predict_proba.",
                ),
            );
        }
        state::<ProbabilitySums>(&mut s, fcinfo).state.add(p, label);
    }
    s
}

#[pg_extern(immutable, parallel_safe, name = "_probabilities_combine")]
fn probabilities_combine(
    a: Option<Internal>,
    b: Option<Internal>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    combine::<ProbabilitySums>(a, b, fcinfo, ProbabilitySums::merge, |_| 0)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_probabilities_serial")]
fn probabilities_serial(s: Internal) -> Vec<u8> {
    serial::<ProbabilitySums>(s)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_probabilities_deserial")]
fn probabilities_deserial(bytes: &[u8], _s: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    deserial::<ProbabilitySums>(bytes, fcinfo, |_| 0)
}

#[pg_extern(immutable, parallel_safe, name = "_log_loss_final")]
fn log_loss_final(s: Internal) -> Option<f64> {
    finished::<ProbabilitySums>(&s)?.log_loss()
}

#[pg_extern(immutable, parallel_safe, name = "_brier_final")]
fn brier_final(s: Internal) -> Option<f64> {
    finished::<ProbabilitySums>(&s)?.brier()
}

pgrx::extension_sql_file!(
    "../../sql/schema/metric_aggregates.sql",
    name = "metric_aggregates",
    requires = [
        pairs_add,
        pairs_combine,
        pairs_serial,
        pairs_deserial,
        auc_final,
        ks_final,
        gini_final,
        iv_final,
        psi_final,
        categories_add,
        categories_combine,
        categories_serial,
        categories_deserial,
        categories_iv_final,
        categories_psi_final,
        probabilities_add,
        probabilities_combine,
        probabilities_serial,
        probabilities_deserial,
        log_loss_final,
        brier_final
    ]
);
