//! Keeps every section of the extension's shared library (`-Wl,--no-gc-sections`), the flag
//! cargo-pgrx otherwise passes as RUSTFLAGS for its own builds. Given here, to the cdylib's link
//! alone, it leaves the flags of every other build unchanged, so `cargo pgrx test`, its internal
//! install and `make install` share one compiled dependency tree (the Makefile sets
//! CARGO_PGRX_DISABLE_GC_SECTIONS_WORKAROUND so that cargo-pgrx does not add it again). The test
//! executables must not have it: they rely on --gc-sections to drop pgrx's references to
//! PostgreSQL symbols.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    if family == "unix" && os != "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--no-gc-sections");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
