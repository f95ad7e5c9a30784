//! The metric aggregates: `aimass.auc`, `ks`, `gini`, `iv`, `psi`, `log_loss` and `brier`, usable
//! with GROUP BY from any SQL client, in parallel workers, and on Citus distributed tables, where
//! Citus computes each shard's state on its worker and combines them on the coordinator.
//!
//! The states are exact. Those of numbers (auc, ks, gini, iv, psi) count each distinct value by
//! flag ([`ValueCounts`], in the `bytea` form of [`growing`], which takes rows in place); those of
//! probabilities (log_loss, brier) are three sums in 24 bytes. Both are `bytea`, not `internal`:
//! Citus sends only a state whose type has a text form, and an `internal` state makes it pull
//! every row to the coordinator instead. They live in the aggregate's memory context, so
//! PostgreSQL accounts for them (a hash aggregate past work_mem × hash_mem_multiplier spills its
//! further groups to disk), and whenever a state grows, everything that context holds (all the
//! groups' states of the aggregation) is bounded by `aimass.max_memory` (54000 beyond it).
//!
//! The category counts of iv and psi of text are an `internal` Rust hash table (its size is the
//! number of distinct categories), counted together for the whole backend against
//! `aimass.max_memory`; on a distributed table Citus gathers their rows on the coordinator.

use pgrx::prelude::*;
use pgrx::{Internal, PgMemoryContexts};
use serde::{de::DeserializeOwned, Serialize};

use crate::core::accumulators::{CategoryCounts, ProbabilitySums};
use crate::core::counted_values::{growing, ValueCounts};
use crate::core::error::{AimassError, ErrorKind};
use crate::error::{raise, OrRaise};

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

// Counted values: auc, ks, gini, iv and psi of numbers, in a bytea state.

/// Adds `(value, flag)` to a counted-values state (`aimass._value_counts_add(bytea, float8,
/// boolean)`), in place while its tail has room.
///
/// # Safety
/// Called by PostgreSQL's function manager only, with the arguments of its SQL declaration.
#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn aimass_value_counts_add(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    let Some(flag) = (unsafe { pgrx::fcinfo::pg_getarg::<bool>(fcinfo, 2) }) else {
        return unsafe { bytea_transition(fcinfo, |_| Ok(None)) };
    };
    let value = unsafe { pgrx::fcinfo::pg_getarg::<f64>(fcinfo, 1) };
    unsafe {
        bytea_transition(fcinfo, |state| {
            let Some(state) = state else {
                let counts = ValueCounts::of_rows([(value, flag)]);
                return written(&counts, growing::FIRST_TAIL).map(Some);
            };
            if growing::push(state, value, flag)? {
                return Ok(None);
            }
            let (counts, tail) = growing::grown(state)?;
            let mut bytes = written(&counts, tail)?;
            growing::push(&mut bytes, value, flag)?;
            Ok(Some(bytes))
        })
    }
}

#[no_mangle]
pub extern "C" fn pg_finfo_aimass_value_counts_add() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

/// The bytes of a state holding `counts` and an empty tail of `tail` rows, after checking that
/// it fits in a `bytea` (1 GB).
fn written(counts: &ValueCounts, tail: usize) -> crate::core::error::Result<Vec<u8>> {
    if growing::bytes_for(counts, tail) > MAX_STATE {
        return Err(AimassError::new(
            ErrorKind::LimitExceeded,
            format!("an aimass aggregate state of {} distinct values would pass 1 GB", counts.values.len()),
        )
        .with_hint(
            "Aggregate fewer rows at once, or round the values (the state keeps each distinct value).",
        ));
    }
    growing::written(counts, tail)
}

/// The largest state: a bytea's payload under PostgreSQL's 1 GB allocation limit.
const MAX_STATE: u128 = 0x3fff_ffff - pg_sys::VARHDRSZ as u128;

/// Runs the transition of a `bytea` state at argument 0: `update` changes the state's bytes in
/// place (it returns `None`), or returns the bytes of a new one (the first row's, or a state that
/// outgrew its room). PostgreSQL allows a transition function to change its state in place in
/// an aggregate; one that is not a plain value (a caller's literal can be compressed or short)
/// is copied first. A new state counts against aimass.max_memory with everything the
/// aggregate's memory context holds (all the groups' states of one aggregation).
unsafe fn bytea_transition(
    fcinfo: pg_sys::FunctionCallInfo,
    update: impl FnOnce(Option<&mut [u8]>) -> crate::core::error::Result<Option<Vec<u8>>>,
) -> pg_sys::Datum {
    let context = agg_context(fcinfo);
    let state = if unsafe { pgrx::fcinfo::pg_arg_is_null(fcinfo, 0) } {
        None
    } else {
        let datum = unsafe { pgrx::fcinfo::pg_getarg_datum_raw(fcinfo, 0) };
        let raw = datum.cast_mut_ptr::<pg_sys::varlena>();
        // SAFETY: a non-NULL bytea argument points at a varlena; a plain one (4-byte header,
        // not compressed, not external) is used as it is, any other is detoasted into a copy.
        let plain = unsafe { pgrx::varlena::varatt_is_4b_u(raw) };
        let v = if plain { raw } else { unsafe { pg_sys::pg_detoast_datum_copy(raw) } };
        Some(v)
    };
    // SAFETY: `v` is a plain varlena of VARSIZE bytes, owned by this aggregate (or a copy).
    let bytes = state.map(|v| unsafe {
        let len = pgrx::varlena::varsize_4b(v) - pg_sys::VARHDRSZ;
        std::slice::from_raw_parts_mut(pgrx::varlena::vardata_4b(v) as *mut u8, len)
    });
    match update(bytes).or_raise() {
        None => match state {
            Some(v) => pg_sys::Datum::from(v),
            None => unsafe { pgrx::fcinfo::pg_return_null(fcinfo) },
        },
        Some(new) => {
            reserve_beside(context, new.len());
            pgrx::varlena::rust_byte_slice_to_bytea(&new).into_pg().into()
        }
    }
}

/// Checks that a new state of `bytes` fits beside what the aggregate's memory context holds (all
/// the groups' states of one aggregation) under aimass.max_memory: an error (54000) if not.
fn reserve_beside(context: pg_sys::MemoryContext, bytes: usize) {
    // SAFETY: the aggregate's own memory context.
    let held = unsafe { pg_sys::MemoryContextMemAllocated(context, true) } as u128;
    crate::core::memory::reserve(
        held + bytes as u128,
        "the states of this aimass aggregate",
        "Aggregate fewer rows, or fewer groups at once (the states are exact: each distinct value is kept).",
    )
    .or_raise();
}

#[pg_extern(immutable, parallel_safe, name = "_value_counts_combine")]
fn value_counts_combine(
    a: Option<&[u8]>,
    b: Option<&[u8]>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<Vec<u8>> {
    let context = agg_context(fcinfo);
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (a, b) => return a.or(b).map(<[u8]>::to_vec),
    };
    let merged = growing::read(a).and_then(|a| a.merged(&growing::read(b)?)).or_raise();
    crate::core::interrupt::check().or_raise();
    let bytes = written(&merged, 0).or_raise();
    reserve_beside(context, bytes.len());
    Some(bytes)
}

fn counted(state: Option<&[u8]>) -> Option<ValueCounts> {
    state.map(|s| growing::read(s).or_raise())
}

#[pg_extern(immutable, parallel_safe, name = "_value_counts_auc_final")]
fn value_counts_auc_final(state: Option<&[u8]>) -> Option<f64> {
    counted(state)?.auc()
}

#[pg_extern(immutable, parallel_safe, name = "_value_counts_ks_final")]
fn value_counts_ks_final(state: Option<&[u8]>) -> Option<f64> {
    counted(state)?.ks()
}

#[pg_extern(immutable, parallel_safe, name = "_value_counts_gini_final")]
fn value_counts_gini_final(state: Option<&[u8]>) -> Option<f64> {
    counted(state)?.gini()
}

#[pg_extern(immutable, parallel_safe, name = "_value_counts_iv_final")]
fn value_counts_iv_final(state: Option<&[u8]>) -> Option<f64> {
    counted(state)?.iv()
}

#[pg_extern(immutable, parallel_safe, name = "_value_counts_psi_final")]
fn value_counts_psi_final(state: Option<&[u8]>) -> Option<f64> {
    counted(state)?.psi()
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

// Probability sums: log_loss and brier, in a bytea state of 24 bytes changed in place. (The
// Rust names differ from 0.4.0's internal-state functions so that no C symbol an older schema
// declared now means something else: see `removed_symbols`.)

/// Adds `(p, label)` to the sums of a log-loss or Brier state
/// (`aimass._probabilities_add(bytea, float8, boolean)`).
///
/// # Safety
/// Called by PostgreSQL's function manager only, with the arguments of its SQL declaration.
#[pg_guard]
#[no_mangle]
pub unsafe extern "C-unwind" fn aimass_probabilities_add(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    let p = unsafe { pgrx::fcinfo::pg_getarg::<f64>(fcinfo, 1) };
    let label = unsafe { pgrx::fcinfo::pg_getarg::<bool>(fcinfo, 2) };
    unsafe {
        bytea_transition(fcinfo, |state| {
            let (Some(p), Some(label)) = (p, label) else { return Ok(None) };
            if !(0.0..=1.0).contains(&p) {
                return Err(AimassError::invalid_parameter(format!("probability {p} is outside [0, 1]"))
                    .with_hint(
                        "log_loss and brier take predicted probabilities, such as aimass.predict_proba.",
                    ));
            }
            let mut sums =
                state.as_deref().map_or(Ok(ProbabilitySums::default()), ProbabilitySums::from_bytes)?;
            sums.add(p, label);
            match state {
                Some(s) => {
                    s.copy_from_slice(&sums.to_bytes());
                    Ok(None)
                }
                None => Ok(Some(sums.to_bytes().to_vec())),
            }
        })
    }
}

#[no_mangle]
pub extern "C" fn pg_finfo_aimass_probabilities_add() -> &'static pg_sys::Pg_finfo_record {
    const V1: pg_sys::Pg_finfo_record = pg_sys::Pg_finfo_record { api_version: 1 };
    &V1
}

fn probability_sums(state: Option<&[u8]>) -> Option<ProbabilitySums> {
    state.map(|s| ProbabilitySums::from_bytes(s).or_raise())
}

#[pg_extern(immutable, parallel_safe, name = "_probabilities_combine")]
fn probability_sums_combine(a: Option<&[u8]>, b: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut sums = probability_sums(a).unwrap_or_default();
    sums.merge(probability_sums(b)?);
    Some(sums.to_bytes().to_vec())
}

#[pg_extern(immutable, parallel_safe, name = "_log_loss_final")]
fn probability_sums_log_loss_final(state: Option<&[u8]>) -> Option<f64> {
    probability_sums(state)?.log_loss()
}

#[pg_extern(immutable, parallel_safe, name = "_brier_final")]
fn probability_sums_brier_final(state: Option<&[u8]>) -> Option<f64> {
    probability_sums(state)?.brier()
}

pgrx::extension_sql_file!(
    "../../sql/schema/metric_aggregates.sql",
    name = "metric_aggregates",
    requires = [
        value_counts_combine,
        value_counts_auc_final,
        value_counts_ks_final,
        value_counts_gini_final,
        value_counts_iv_final,
        value_counts_psi_final,
        categories_add,
        categories_combine,
        categories_serial,
        categories_deserial,
        categories_iv_final,
        categories_psi_final,
        probability_sums_combine,
        probability_sums_log_loss_final,
        probability_sums_brier_final
    ]
);
