//! The metric aggregates: `aimass.auc`, `ks`, `gini`, `iv`, `psi`, `log_loss` and `brier`, usable
//! with GROUP BY from any SQL client. Each keeps an accumulator from `core::accumulators` as its
//! `internal` state, in the aggregate's memory context, with combine, serial and deserial
//! functions so PostgreSQL can run them in parallel workers.

use pgrx::prelude::*;
use pgrx::{Internal, PgMemoryContexts};
use serde::{de::DeserializeOwned, Serialize};

use crate::core::accumulators::{CategoryCounts, Pairs, ProbabilitySums};
use crate::core::error::AimassError;
use crate::error::{raise, OrRaise};

/// The state behind `internal`, created in the aggregate's memory context on first use.
fn state<T: Default>(internal: &mut Internal, fcinfo: pg_sys::FunctionCallInfo) -> &mut T {
    if !internal.initialized() {
        let ptr = PgMemoryContexts::For(agg_context(fcinfo)).leak_and_drop_on_delete(T::default());
        *internal = Internal::from(Some(pg_sys::Datum::from(ptr)));
    }
    // SAFETY: this module only ever stores a `T` of the aggregate's own kind behind `internal`.
    unsafe {
        internal.get_mut::<T>().unwrap_or_else(|| raise(AimassError::internal("aggregate state missing")))
    }
}

fn agg_context(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::MemoryContext {
    let mut ctx = std::ptr::null_mut();
    // SAFETY: fcinfo is the call's own.
    if unsafe { pg_sys::AggCheckCallContext(fcinfo, &mut ctx) } == 0 || ctx.is_null() {
        raise(AimassError::internal("an aimass aggregate support function was called outside an aggregate"));
    }
    ctx
}

/// Rows between two checks of a state's size.
const BOUND_EVERY: usize = 65_536;

/// A state over aimass.max_memory is an error (54000); the states are exact (every value is
/// kept), so a bound is what keeps one aggregate from taking the server's memory.
fn bound(bytes: u128) {
    crate::core::memory::reserve(
        bytes,
        "the state of an aimass aggregate",
        "Aggregate fewer rows per group (a sample, or a finer GROUP BY).",
    )
    .or_raise();
}

/// Merges state `b` into `a`. Combine functions take `Option<Internal>` so that they are not
/// STRICT (PostgreSQL requires that for an `internal` state).
fn combine<T: Default + Clone>(
    a: Option<Internal>,
    b: Option<Internal>,
    fcinfo: pg_sys::FunctionCallInfo,
    merge: impl FnOnce(&mut T, T),
) -> Internal {
    let (mut a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    // SAFETY: both states hold a `T` (or nothing).
    let Some(other) = (unsafe { b.get::<T>() }).cloned() else { return a };
    merge(state::<T>(&mut a, fcinfo), other);
    crate::core::interrupt::check().or_raise();
    a
}

fn serial<T: Serialize>(s: Internal) -> Vec<u8> {
    // SAFETY: the state holds a `T`.
    let v =
        unsafe { s.get::<T>() }.unwrap_or_else(|| raise(AimassError::internal("aggregate state missing")));
    postcard::to_allocvec(v)
        .unwrap_or_else(|e| raise(AimassError::internal(format!("cannot serialize: {e}"))))
}

fn deserial<T: DeserializeOwned + Default>(bytes: &[u8], fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    let v: T = postcard::from_bytes(bytes)
        .unwrap_or_else(|e| raise(AimassError::internal(format!("cannot deserialize: {e}"))));
    let mut out = Internal::from(None);
    *state::<T>(&mut out, fcinfo) = v;
    out
}

// (value, flag) pairs: auc, ks, gini, iv and psi of numbers.

#[pg_extern(immutable, parallel_safe, name = "_pairs_add")]
fn pairs_add(
    mut s: Internal,
    value: Option<f64>,
    flag: Option<bool>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    if let Some(flag) = flag {
        let p = state::<Pairs>(&mut s, fcinfo);
        p.add(value.filter(|v| !v.is_nan()), flag);
        if p.values.len().is_multiple_of(BOUND_EVERY) {
            bound(p.bytes());
        }
    }
    s
}

#[pg_extern(immutable, parallel_safe, name = "_pairs_combine")]
fn pairs_combine(a: Option<Internal>, b: Option<Internal>, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    combine::<Pairs>(a, b, fcinfo, |a, b| {
        a.merge(b);
        bound(a.bytes());
    })
}

#[pg_extern(immutable, parallel_safe, strict, name = "_pairs_serial")]
fn pairs_serial(s: Internal) -> Vec<u8> {
    serial::<Pairs>(s)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_pairs_deserial")]
fn pairs_deserial(bytes: &[u8], _s: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    deserial::<Pairs>(bytes, fcinfo)
}

fn pairs(s: &Internal) -> Option<&Pairs> {
    // SAFETY: the state holds `Pairs`.
    unsafe { s.get::<Pairs>() }
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
        let c = state::<CategoryCounts>(&mut s, fcinfo);
        let before = c.counts.len();
        c.add(value, flag);
        if c.counts.len() != before && c.counts.len().is_multiple_of(1024) {
            bound(c.bytes());
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
    combine::<CategoryCounts>(a, b, fcinfo, |a, b| {
        a.merge(b);
        bound(a.bytes());
    })
}

#[pg_extern(immutable, parallel_safe, strict, name = "_categories_serial")]
fn categories_serial(s: Internal) -> Vec<u8> {
    serial::<CategoryCounts>(s)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_categories_deserial")]
fn categories_deserial(bytes: &[u8], _s: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    deserial::<CategoryCounts>(bytes, fcinfo)
}

#[pg_extern(immutable, parallel_safe, name = "_categories_iv_final")]
fn categories_iv_final(s: Internal) -> Option<f64> {
    // SAFETY: the state holds `CategoryCounts`.
    unsafe { s.get::<CategoryCounts>() }?.iv()
}

#[pg_extern(immutable, parallel_safe, name = "_categories_psi_final")]
fn categories_psi_final(s: Internal) -> Option<f64> {
    // SAFETY: the state holds `CategoryCounts`.
    unsafe { s.get::<CategoryCounts>() }?.psi()
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
        state::<ProbabilitySums>(&mut s, fcinfo).add(p, label);
    }
    s
}

#[pg_extern(immutable, parallel_safe, name = "_probabilities_combine")]
fn probabilities_combine(
    a: Option<Internal>,
    b: Option<Internal>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Internal {
    combine::<ProbabilitySums>(a, b, fcinfo, ProbabilitySums::merge)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_probabilities_serial")]
fn probabilities_serial(s: Internal) -> Vec<u8> {
    serial::<ProbabilitySums>(s)
}

#[pg_extern(immutable, parallel_safe, strict, name = "_probabilities_deserial")]
fn probabilities_deserial(bytes: &[u8], _s: Internal, fcinfo: pg_sys::FunctionCallInfo) -> Internal {
    deserial::<ProbabilitySums>(bytes, fcinfo)
}

#[pg_extern(immutable, parallel_safe, name = "_log_loss_final")]
fn log_loss_final(s: Internal) -> Option<f64> {
    // SAFETY: the state holds `ProbabilitySums`.
    unsafe { s.get::<ProbabilitySums>() }?.log_loss()
}

#[pg_extern(immutable, parallel_safe, name = "_brier_final")]
fn brier_final(s: Internal) -> Option<f64> {
    // SAFETY: the state holds `ProbabilitySums`.
    unsafe { s.get::<ProbabilitySums>() }?.brier()
}

pgrx::extension_sql!(
    r#"
CREATE AGGREGATE aimass.auc(score float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._auc_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.ks(score float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._ks_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.gini(score float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._gini_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.iv(value float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._iv_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.psi(value float8, is_reference boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._psi_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.iv(value text, label boolean) (
    SFUNC = aimass._categories_add, STYPE = internal, FINALFUNC = aimass._categories_iv_final,
    COMBINEFUNC = aimass._categories_combine, SERIALFUNC = aimass._categories_serial,
    DESERIALFUNC = aimass._categories_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.psi(value text, is_reference boolean) (
    SFUNC = aimass._categories_add, STYPE = internal, FINALFUNC = aimass._categories_psi_final,
    COMBINEFUNC = aimass._categories_combine, SERIALFUNC = aimass._categories_serial,
    DESERIALFUNC = aimass._categories_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.log_loss(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = internal, FINALFUNC = aimass._log_loss_final,
    COMBINEFUNC = aimass._probabilities_combine, SERIALFUNC = aimass._probabilities_serial,
    DESERIALFUNC = aimass._probabilities_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.brier(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = internal, FINALFUNC = aimass._brier_final,
    COMBINEFUNC = aimass._probabilities_combine, SERIALFUNC = aimass._probabilities_serial,
    DESERIALFUNC = aimass._probabilities_deserial, PARALLEL = SAFE);
"#,
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
