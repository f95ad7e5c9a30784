//! Any byte string given to the artifact decoder is either a model or an error; a decoded model
//! must also score a row of its width without panicking.
#![no_main]

use aimass_core::artifact;
use aimass_core::data::RawValue;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = artifact::decode(data) {
        let raw: Vec<RawValue<'_>> = model.features().iter().map(|_| RawValue::Number(1.0)).collect();
        let mut scratch = Vec::new();
        let _ = model.score(&raw, &mut scratch);
        let _ = model.predict(&raw, &mut scratch);
    }
});
