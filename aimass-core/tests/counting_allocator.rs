//! The memory backstop: with [`CountingAllocator`] as the global allocator (as the extension has
//! it), the Rust heap in use is counted, and an interrupt check fails with 54000 once it is over
//! twice `aimass.max_memory`.

use aimass_core::error::ErrorKind;
use aimass_core::memory::{self, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn one_megabyte() -> u64 {
    1 << 20
}

#[test]
fn heap_growth_past_twice_the_limit_is_a_54000_at_the_next_interrupt_check() {
    let before = memory::in_use();
    let mut grown: Vec<u8> = Vec::with_capacity(8 << 20);
    grown.resize(8 << 20, 1);
    assert!(memory::in_use() >= before + (8 << 20), "{} then {}", before, memory::in_use());
    // No limit yet: fine.
    assert!(aimass_core::interrupt::check().is_ok());
    memory::set_host(one_megabyte);
    let e = aimass_core::interrupt::check().unwrap_err();
    assert_eq!(e.kind, ErrorKind::LimitExceeded);
    assert!(e.message.contains("over twice aimass.max_memory (1.0 MB)"), "{}", e.message);
    drop(grown);
    // Freed: under the backstop again (the test harness itself holds well under 2 MB here).
    assert!(memory::in_use() < before + (1 << 20));
}
