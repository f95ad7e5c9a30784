//! A growable array of plain values in a PostgreSQL memory context: what the metric aggregates
//! keep their values in, so that PostgreSQL's own accounting sees them (work_mem, hash
//! aggregation's spilling) and an allocation PostgreSQL refuses is its `ERROR: out of memory`,
//! never an abort. Freed with its context (there is no `Drop`).

use pgrx::pg_sys;

use crate::core::error::{AimassError, ErrorKind};
use crate::error::raise;

pub struct PallocVec<T: Copy> {
    ptr: *mut T,
    len: usize,
    capacity: usize,
    context: pg_sys::MemoryContext,
}

impl<T: Copy> PallocVec<T> {
    /// An empty array whose memory will come from `context`.
    pub fn new(context: pg_sys::MemoryContext) -> Self {
        PallocVec { ptr: std::ptr::null_mut(), len: 0, capacity: 0, context }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes allocated.
    pub fn allocated(&self) -> u128 {
        (self.capacity * std::mem::size_of::<T>()) as u128
    }

    pub fn as_slice(&self) -> &[T] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: `ptr` holds `capacity ≥ len` values, the first `len` written.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn push(&mut self, value: T) {
        if self.len == self.capacity {
            self.reserve(1);
        }
        // SAFETY: `len < capacity` after `reserve`.
        unsafe { self.ptr.add(self.len).write(value) };
        self.len += 1;
    }

    pub fn extend_from_slice(&mut self, values: &[T]) {
        self.reserve(values.len());
        // SAFETY: room for `values` after `reserve`; `values` is not in this array's memory
        // (it is borrowed while `self` is borrowed mutably).
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), self.ptr.add(self.len), values.len()) };
        self.len += values.len();
    }

    /// Room for `more` values: the capacity doubles (at least 64), by `repalloc_huge` in the
    /// context the array was made for.
    fn reserve(&mut self, more: usize) {
        let needed = self.len.checked_add(more).unwrap_or_else(|| raise(too_large()));
        if needed <= self.capacity {
            return;
        }
        let capacity = needed.max(self.capacity.saturating_mul(2)).max(64);
        let bytes = capacity.checked_mul(std::mem::size_of::<T>()).unwrap_or_else(|| raise(too_large()));
        // SAFETY: PostgreSQL's allocators (an allocation it refuses raises its own ERROR through
        // pgrx's guard); palloc's alignment (MAXALIGN) suits the plain values stored here.
        self.ptr = unsafe {
            if self.ptr.is_null() {
                pg_sys::MemoryContextAllocHuge(self.context, bytes)
            } else {
                pg_sys::repalloc_huge(self.ptr.cast(), bytes)
            }
        }
        .cast();
        self.capacity = capacity;
    }
}

fn too_large() -> AimassError {
    AimassError::new(ErrorKind::LimitExceeded, "an aggregate state would exceed the address space")
}
