//! The payload decoder past the checksum: any byte string, framed with a valid header, is either
//! a model that scores a row without panicking, or an error. (`artifact_decode` feeds raw bytes,
//! which the checksum mostly stops.)
#![no_main]

use aimass_core::artifact;
use aimass_core::data::RawValue;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    let Ok(bytes) = artifact::frame(payload) else { return };
    if let Ok(model) = artifact::decode(&bytes) {
        let mut scratch = Vec::new();
        for value in [RawValue::Number(1.0), RawValue::Null, RawValue::Text("x")] {
            let raw: Vec<RawValue<'_>> = model.features().iter().map(|_| value).collect();
            let _ = model.score(&raw, &mut scratch);
            let _ = model.predict(&raw, &mut scratch);
        }
    }
});
