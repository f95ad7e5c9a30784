//! The model artifact: a versioned binary encoding stored in `aimass.models.artifact`.
//!
//! Layout (little endian): 8 bytes magic `AIMASS\x00M`, u16 format version, u32 payload length,
//! u32 CRC-32 of the payload, then the payload (the [`Model`] in postcard encoding). A damaged,
//! truncated or foreign artifact is an error, never a crash.
//!
//! **The postcard encoding of [`Model`] and of every type inside it is the file format** of
//! models stored in customers' databases: postcard writes fields in declaration order and enum
//! variants by index, with no names. Adding, removing or reordering a field or a variant of any
//! serialized type (model, recipe, steps, fitted models, trees; also a dependency's type held in
//! one) changes the format. `aimass-core/tests/golden_artifacts.rs` decodes committed artifacts of
//! every variant and fails when that happens. A change on purpose bumps [`FORMAT_VERSION`]; the
//! previous version's types that changed are then frozen in a module of their own
//! (`algorithms::svm::v3` holds version 3's SVM), the payload is decoded with its version set
//! ([`crate::format_version::reading`]) so that the changed types pick their frozen decoder and upgrade to the current types — old artifacts are never
//! refused — and the old version's golden fixtures stay.

use crate::error::{AimassError, ErrorKind, Result};
use crate::model::Model;

pub const MAGIC: &[u8; 8] = b"AIMASS\x00M";
pub use crate::format_version::{FORMAT_VERSION, OLDEST_VERSION};

/// Decodes a payload of `version` with the current types and, for what changed since, the
/// frozen ones.
fn read_payload(version: u16, payload: &[u8]) -> std::result::Result<Model, postcard::Error> {
    crate::format_version::reading(version, || postcard::from_bytes(payload))
}

const HEADER: usize = 8 + 2 + 4 + 4;

pub fn encode(model: &Model) -> Result<Vec<u8>> {
    let payload = postcard::to_allocvec(model)
        .map_err(|e| AimassError::internal(format!("cannot encode model: {e}")))?;
    frame(&payload)
}

/// The header (magic, version, length, checksum) followed by `payload`: an artifact whose
/// payload is read as given (the fuzzer frames its inputs so as to reach the payload decoder).
pub fn frame(payload: &[u8]) -> Result<Vec<u8>> {
    frame_version(FORMAT_VERSION, payload)
}

/// The header of format `version` followed by `payload` (a fixture of an older version, or the
/// fuzzer's input).
pub fn frame_version(version: u16, payload: &[u8]) -> Result<Vec<u8>> {
    let len = u32::try_from(payload.len())
        .map_err(|_| AimassError::new(ErrorKind::LimitExceeded, "model artifact exceeds 4 GB"))?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

fn corrupted(detail: impl Into<String>) -> AimassError {
    AimassError::new(ErrorKind::DataCorrupted, "model artifact is corrupted or not an aimass model")
        .with_detail(detail)
}

pub fn decode(bytes: &[u8]) -> Result<Model> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(corrupted("The artifact does not start with the aimass header."));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    // Every version an aimass release wrote is read here: 3 (0.1.0–0.3.0) and 4. Versions 1 and
    // 2 never left development builds.
    if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(corrupted(format!(
            "The artifact has format version {version}; this aimass reads versions {OLDEST_VERSION} to \
             {FORMAT_VERSION}."
        )));
    }
    let len = u32::from_le_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]) as usize;
    let crc = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
    let payload = &bytes[HEADER..];
    if payload.len() != len {
        return Err(corrupted(format!("The payload has {} bytes; the header says {len}.", payload.len())));
    }
    if crc32fast::hash(payload) != crc {
        return Err(corrupted("The checksum does not match."));
    }
    let model =
        read_payload(version, payload).map_err(|e| corrupted(format!("The payload cannot be read: {e}.")))?;
    model.validate()?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::{FittedModel, LinearModel, Link};
    use crate::preprocess::{CategoricalStep, Encoding, FeatureStep, NumericStep, Recipe};
    use crate::task::{TargetEncoding, Task};

    fn model() -> Model {
        Model {
            algorithm: "logistic".into(),
            target: TargetEncoding {
                name: "y".into(),
                task: Task::Binary,
                positive: Some("bad".into()),
                negative: Some("good".into()),
            },
            recipe: Recipe {
                steps: vec![
                    FeatureStep::Numeric(NumericStep {
                        name: "x".into(),
                        boolean: false,
                        impute: "median".into(),
                        fill: 1.0,
                        clip: Some((0.0, 3.0)),
                        scaling: "standard".into(),
                        center: 0.5,
                        scale: 2.0,
                    }),
                    FeatureStep::Categorical(CategoricalStep {
                        name: "c".into(),
                        levels: vec!["a".into()],
                        impute: "category".into(),
                        null_as: None,
                        encoding: Encoding::OneHot,
                    }),
                ],
            },
            fitted: FittedModel::Linear(LinearModel {
                intercept: 0.1,
                coefficients: vec![1.0, 2.0, 3.0, 4.0],
                link: Link::Logit,
            }),
        }
    }

    #[test]
    fn fuzzer_findings_are_errors() {
        // The inputs `make fuzz` found to panic (kept in fuzz/regressions): SVMs without or with
        // NaN Platt coefficients (linfa's Pr::new unwrap), zero hashing buckets (a division by
        // zero). Each is now refused when decoded, or scores without panicking.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions/artifact_payload");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let payload = std::fs::read(entry.unwrap().path()).unwrap();
            // Found against format 3; read as 3 and as the current version.
            for version in [3, FORMAT_VERSION] {
                if let Ok(model) = decode(&frame_version(version, &payload).unwrap()) {
                    let raw: Vec<_> =
                        model.features().iter().map(|_| crate::data::RawValue::Number(1.0)).collect();
                    let _ = model.score(&raw, &mut Vec::new());
                }
            }
            seen += 1;
        }
        assert!(seen >= 3);
    }

    #[test]
    fn round_trips() {
        let m = model();
        assert_eq!(decode(&encode(&m).unwrap()).unwrap(), m);
    }

    #[test]
    fn every_single_byte_flip_is_detected() {
        let bytes = encode(&model()).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            assert!(decode(&b).is_err(), "flip at byte {i} went unnoticed");
        }
    }

    #[test]
    fn truncated_and_foreign_bytes_are_errors() {
        let bytes = encode(&model()).unwrap();
        for n in 0..bytes.len() {
            assert_eq!(decode(&bytes[..n]).unwrap_err().kind, ErrorKind::DataCorrupted);
        }
        assert!(decode(b"PK\x03\x04 not a model at all").is_err());
    }

    #[test]
    fn inconsistent_model_is_refused() {
        let mut m = model();
        m.recipe.steps.pop();
        let bytes = encode(&m).unwrap();
        assert_eq!(decode(&bytes).unwrap_err().kind, ErrorKind::DataCorrupted);
    }
}
