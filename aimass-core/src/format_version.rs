//! The artifact format's versions, and the version of the payload being decoded on this thread:
//! the types that changed between versions read it to pick their frozen decoder (version 3's SVM:
//! `algorithms::svm::v3`). A module of its own so that the decoders (in `algorithms`) and the
//! artifact (which holds the model, which holds the algorithms' types) do not import each other.

use std::cell::Cell;

/// Version 2: per-column preprocessing (imputers, clipping, scalers, encoders).
/// Version 3: tree ensembles carry node covers (TreeSHAP) and how their trees combine.
/// Version 4: the SVM is aimass's own struct (it was linfa-svm's); everything else is as in 3.
pub const FORMAT_VERSION: u16 = 4;
/// The oldest version read (and upgraded).
pub const OLDEST_VERSION: u16 = 3;

thread_local! {
    static READING: Cell<u16> = const { Cell::new(FORMAT_VERSION) };
}

/// The version of the payload being decoded ([`FORMAT_VERSION`] outside [`reading`]).
pub fn reading_version() -> u16 {
    READING.with(Cell::get)
}

/// Runs `decode` with [`reading_version`] giving `version` (restored after, also on a panic).
pub fn reading<T>(version: u16, decode: impl FnOnce() -> T) -> T {
    struct Restore(u16);
    impl Drop for Restore {
        fn drop(&mut self) {
            READING.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(READING.with(|r| r.replace(version)));
    decode()
}
