//! The model format is a file format: `tests/fixtures/artifacts/v<N>/` holds, for each format
//! version an aimass release wrote, one committed artifact per fitted-model variant, per
//! registered algorithm and per preprocessing step kind, with the scores it must give on fixed
//! probe rows. This test decodes the committed bytes (never artifacts made now), scores the
//! probes and asserts the scores bit for bit. The current version's artifacts must re-encode to
//! the same bytes, so a change to a serialized type (a field added, a variant reordered, a
//! dependency's struct changed) fails here instead of silently making stored models unreadable.
//! An older version's artifacts are read by its frozen decoder and upgraded (`artifact::decode`):
//! they must still score exactly as committed, and what did not change between the versions
//! must re-encode to the old payload.
//!
//! Regenerate the current version's folder (only for a new format version, or a new variant):
//! `AIMASS_WRITE_GOLDEN=1 cargo test -p aimass-core --test golden_artifacts`. Older folders are
//! never rewritten.

use std::collections::BTreeSet;
use std::path::PathBuf;

use aimass_core::algorithms::{self, FittedModel};
use aimass_core::artifact;
use aimass_core::data::{Column, ColumnBuilder, ColumnKind, RawValue};
use aimass_core::preprocess::{Encoding, FeatureStep, StoredBinnings};
use aimass_core::split::{SplitMix64, SplitSpec};
use aimass_core::train::{train, TrainRequest};
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    algorithm: &'static str,
    hyperparams: Value,
    preprocess: Value,
}

fn case(name: &'static str, algorithm: &'static str, hyperparams: Value, preprocess: Value) -> Case {
    Case { name, algorithm, hyperparams, preprocess }
}

fn cases() -> Vec<Case> {
    vec![
        case("logistic_one_hot", "logistic", json!({}), json!({"encode": "one_hot"})),
        case(
            "logistic_ordinal_min_max",
            "logistic",
            json!({}),
            json!({"encode": "ordinal", "scale": "min_max"}),
        ),
        case(
            "logistic_target_robust_clip",
            "logistic",
            json!({}),
            json!({"encode": "target", "scale": "robust", "clip": [0.01, 0.99]}),
        ),
        case("logistic_woe", "logistic", json!({}), json!({"encode": "woe"})),
        case(
            "logistic_hashing_constant",
            "logistic",
            json!({}),
            json!({"encode": "hashing", "buckets": 8, "impute": "constant", "fill_value": 0}),
        ),
        case("logistic_binned", "logistic", json!({}), json!({"binning": "quantile"})),
        case("linear", "linear", json!({}), json!({})),
        case("scorecard", "scorecard", json!({}), json!({})),
        case("gradient_boosting", "gradient_boosting", json!({"n_estimators": 15}), json!({})),
        case("random_forest", "random_forest", json!({"n_trees": 8}), json!({})),
        case("decision_tree", "decision_tree", json!({}), json!({})),
        case("stacking", "stacking", json!({}), json!({})),
        case("blending", "blending", json!({}), json!({})),
        case("bagging", "bagging", json!({"n_estimators": 3}), json!({})),
        case("mlp", "mlp", json!({"hidden": [4], "epochs": 5}), json!({})),
        case("svm", "svm", json!({}), json!({})),
        case("isolation_forest", "isolation_forest", json!({"n_trees": 10}), json!({})),
        case("kmeans", "kmeans", json!({"n_clusters": 3}), json!({})),
    ]
}

/// A small credit-like table: a numeric, a boolean and a text feature (with NULLs), a binary
/// target and a numeric one.
fn data(n: usize) -> Vec<Column> {
    let mut rng = SplitMix64::new(11);
    let mut x = ColumnBuilder::new("x", ColumnKind::Numeric);
    let mut b = ColumnBuilder::new("b", ColumnKind::Boolean);
    let mut c = ColumnBuilder::new("c", ColumnKind::Categorical);
    let mut y = ColumnBuilder::new("y", ColumnKind::Categorical);
    let mut amount = ColumnBuilder::new("amount", ColumnKind::Numeric);
    for i in 0..n {
        let xv = (rng.below(1000) as f64) / 100.0 - 5.0;
        let cv = ["a", "b", "c"][rng.below(3) as usize];
        let bv = rng.below(2) == 0;
        let z = xv + if cv == "b" { 1.5 } else { -0.5 } + if bv { 0.7 } else { 0.0 };
        let bad = (rng.below(10_000) as f64) / 10_000.0 < 1.0 / (1.0 + (-z).exp());
        x.push_number(if i % 17 == 0 { None } else { Some(xv) }).unwrap();
        b.push_number(Some(if bv { 1.0 } else { 0.0 })).unwrap();
        c.push_text((i % 23 != 0).then_some(cv));
        y.push_text(Some(if bad { "bad" } else { "good" }));
        amount.push_number(Some(100.0 + 20.0 * xv + if cv == "a" { 15.0 } else { 0.0 })).unwrap();
    }
    vec![x.finish(), b.finish(), c.finish(), y.finish(), amount.finish()]
}

/// Probe rows (x, b, c): ordinary values, NULLs, an unseen category, numbers far out of range.
fn probes() -> Vec<[RawValue<'static>; 3]> {
    use RawValue::{Null, Number, Text};
    vec![
        [Number(0.0), Number(0.0), Text("a")],
        [Number(2.5), Number(1.0), Text("b")],
        [Number(-4.0), Number(1.0), Text("c")],
        [Null, Null, Null],
        [Number(1.0), Number(0.0), Text("never seen")],
        [Number(1e6), Number(1.0), Text("b")],
        [Number(-1e6), Number(0.0), Text("a")],
    ]
}

fn dir(version: u16) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../tests/fixtures/artifacts/v{version}"))
}

/// The payload of an artifact (past the 18-byte header).
fn payload(bytes: &[u8]) -> &[u8] {
    &bytes[18..]
}

fn fit(c: &Case) -> Vec<u8> {
    let cols = data(600);
    let unsupervised = algorithms::unsupervised_task(c.algorithm).is_some();
    let target = if c.algorithm == "linear" { &cols[4] } else { &cols[3] };
    let out = train(&TrainRequest {
        features: vec![&cols[0], &cols[1], &cols[2]],
        target: (!unsupervised).then_some(target),
        split_column: None,
        split: SplitSpec::Random,
        test_size: 0.25,
        seed: 5,
        task: None,
        positive: None,
        algorithm: c.algorithm,
        hyperparams: &c.hyperparams,
        preprocess: &c.preprocess,
        stored_binnings: &StoredBinnings::new(),
        weights: None,
        search: None,
        search_params: &Value::Null,
        folds: None,
        metric: None,
        threads: 1,
        on_round: &|_| Ok(()),
    })
    .unwrap_or_else(|e| panic!("{}: {e:?}", c.name));
    artifact::encode(&out.model).unwrap()
}

fn scores(bytes: &[u8]) -> Vec<f64> {
    let model = artifact::decode(bytes).unwrap();
    let mut scratch = Vec::new();
    probes().iter().map(|row| model.score(row, &mut scratch).unwrap()).collect()
}

#[test]
fn committed_artifacts_decode_and_score_exactly_as_committed() {
    check_version(artifact::FORMAT_VERSION);
}

/// Format 3 (aimass 0.1–0.3): read by the frozen decoder of its SVM, the rest unchanged.
#[test]
fn format_3_artifacts_are_upgraded_and_score_as_they_did() {
    check_version(3);
}

/// aimass's own SMO solver (format 4) reaches the solution linfa-svm's reached (format 3) on the
/// same rows: the probes' probabilities agree to 1e-6 (linfa's were rounded to f32).
#[test]
fn the_own_svm_solver_agrees_with_linfas() {
    let v3 = scores(&std::fs::read(dir(3).join("svm.bin")).unwrap());
    let v4 = scores(&std::fs::read(dir(artifact::FORMAT_VERSION).join("svm.bin")).unwrap());
    for (a, b) in v3.iter().zip(&v4) {
        assert!((a - b).abs() < 1e-6, "{v3:?} against {v4:?}");
    }
}

/// aimass's own least squares (centred normal equations) fit the linear case as linfa-linear did
/// when the format-3 fixture was made: the probes agree to 1e-9 relative.
#[test]
fn the_own_least_squares_agree_with_linfas() {
    let c = cases().into_iter().find(|c| c.name == "linear").unwrap();
    let now = scores(&fit(&c));
    let then = scores(&std::fs::read(dir(3).join("linear.bin")).unwrap());
    for (a, b) in now.iter().zip(&then) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{now:?} against {then:?}");
    }
}

fn check_version(version: u16) {
    let current = version == artifact::FORMAT_VERSION;
    let write = current && std::env::var_os("AIMASS_WRITE_GOLDEN").is_some();
    let dir = dir(version);
    let (mut variants, mut encodings, mut steps) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for c in cases() {
        let bin = dir.join(format!("{}.bin", c.name));
        let expected = dir.join(format!("{}.scores.json", c.name));
        if write {
            std::fs::create_dir_all(&dir).unwrap();
            let bytes = fit(&c);
            std::fs::write(&bin, &bytes).unwrap();
            // `{:?}` of an f64 reads back to the same bits.
            let s: Vec<String> = scores(&bytes).iter().map(|v| format!("{v:?}")).collect();
            std::fs::write(&expected, format!("[{}]\n", s.join(", "))).unwrap();
        }
        let bytes = std::fs::read(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), version, "{}", bin.display());
        // Parsed by Rust's own f64 parser, which is exact (serde_json's default one is not).
        let text = std::fs::read_to_string(&expected).unwrap();
        let want: Vec<f64> = text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(", ")
            .map(|v| v.parse().unwrap_or_else(|e| panic!("{}: {v}: {e}", expected.display())))
            .collect();
        let got = scores(&bytes);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "{}: {got:?} against {want:?}", c.name);
        let model = artifact::decode(&bytes).unwrap();
        let again = artifact::encode(&model).unwrap();
        if current {
            assert_eq!(again, bytes, "{} re-encodes to other bytes", c.name);
        } else if !matches!(model.fitted, FittedModel::Svm(_)) {
            // Version 4 changed the SVM only.
            assert_eq!(
                payload(&again),
                payload(&bytes),
                "{} (v{version}) re-encodes to another payload",
                c.name
            );
        }
        // The upgraded model, written in the current version, reads back the same (compared by
        // its bytes: models hold NaN fill values, which no == equals).
        let back = artifact::encode(&artifact::decode(&again).unwrap()).unwrap();
        assert!(back == again, "{} (v{version}) does not read back as written", c.name);
        assert_eq!(model.algorithm, c.algorithm);
        variants.insert(variant(&model.fitted));
        for step in &model.recipe.steps {
            steps.insert(match step {
                FeatureStep::Numeric(_) => "numeric",
                FeatureStep::Categorical(s) => {
                    encodings.insert(match s.encoding {
                        Encoding::OneHot => "one_hot",
                        Encoding::Ordinal => "ordinal",
                        Encoding::Target { .. } => "target",
                        Encoding::Woe { .. } => "woe",
                        Encoding::Hashing { .. } => "hashing",
                    });
                    "categorical"
                }
                FeatureStep::Binned(_) => "binned",
            });
        }
    }
    // Every registered algorithm, every fitted-model variant, step kind and encoding is covered.
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.algorithm).collect();
    assert_eq!(covered, algorithms::names().collect::<BTreeSet<_>>());
    assert_eq!(variants.len(), 9, "{variants:?}");
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert_eq!(encodings.len(), 5, "{encodings:?}");
}

/// The fitted-model variant's name: a new variant fails to compile here until it has a name (and
/// then the count above until it has a fixture).
fn variant(m: &FittedModel) -> &'static str {
    match m {
        FittedModel::Linear(_) => "linear",
        FittedModel::Scorecard(_) => "scorecard",
        FittedModel::Trees(_) => "trees",
        FittedModel::Stack(_) => "stack",
        FittedModel::Bag(_) => "bag",
        FittedModel::Mlp(_) => "mlp",
        FittedModel::Svm(_) => "svm",
        FittedModel::Isolation(_) => "isolation",
        FittedModel::KMeans(_) => "kmeans",
    }
}
