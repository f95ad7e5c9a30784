use super::*;
use crate::data::ColumnBuilder;
use serde_json::json;

fn numeric(name: &str, values: &[Option<f64>]) -> Column {
    let mut b = ColumnBuilder::new(name, ColumnKind::Numeric);
    for v in values {
        b.push_number(*v).unwrap();
    }
    b.finish()
}

fn text(name: &str, values: &[Option<&str>]) -> Column {
    let mut b = ColumnBuilder::new(name, ColumnKind::Categorical);
    for v in values {
        b.push_text(*v);
    }
    b.finish()
}

fn fit(cols: &[&Column], labels: &[f64], options: serde_json::Value) -> Result<Recipe> {
    Recipe::fit(
        cols,
        labels,
        Task::Binary,
        &PreprocessOptions::from_json(&options).unwrap(),
        &StoredBinnings::new(),
    )
}

fn encode_one(r: &Recipe, v: RawValue<'_>) -> Vec<f64> {
    let mut out = vec![0.0; r.width()];
    r.encode_row(&[v], &mut out).unwrap();
    out
}

#[test]
fn numeric_nulls_get_the_training_median_then_standardized() {
    let c = numeric("x", &[Some(1.0), Some(2.0), None, Some(10.0)]);
    let r = fit(&[&c], &[0.0; 4], json!({})).unwrap();
    let FeatureStep::Numeric(s) = &r.steps[0] else { panic!() };
    assert_eq!(s.fill, 2.0);
    assert!((s.center - 3.75).abs() < 1e-12);
    assert!((encode_one(&r, RawValue::Null)[0] - (2.0 - 3.75) / s.scale).abs() < 1e-12);
    // The encoded training column has mean 0 and standard deviation 1.
    let x = r.encode_frame(&[&c]).unwrap();
    let mean = x.column(0).sum() / 4.0;
    let var = x.column(0).mapv(|v| (v - mean).powi(2)).sum() / 4.0;
    assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12);
}

#[test]
fn every_imputer_and_scaler() {
    let c = numeric("x", &[Some(1.0), Some(3.0), Some(3.0), None, Some(9.0)]);
    let fill = |o| match &fit(&[&c], &[0.0; 5], o).unwrap().steps[0] {
        FeatureStep::Numeric(s) => (s.fill, s.center, s.scale),
        _ => panic!(),
    };
    assert_eq!(fill(json!({"impute": "mean", "scale": "none"})), (4.0, 0.0, 1.0));
    assert_eq!(fill(json!({"impute": "mode", "scale": "none"})).0, 3.0);
    assert_eq!(fill(json!({"impute": "zero", "scale": "none"})).0, 0.0);
    assert_eq!(fill(json!({"impute": "constant", "fill_value": -1, "scale": "none"})).0, -1.0);
    // Filled column 1, 3, 3, 3, 9: min-max (1, 8); robust: median 3, IQR 3 - 3 = 0 → scale 1.
    assert_eq!(fill(json!({"scale": "min_max"})), (3.0, 1.0, 8.0));
    assert_eq!(fill(json!({"scale": "robust"})), (3.0, 3.0, 1.0));
    let c2 = numeric("x", &[Some(1.0), Some(2.0), Some(3.0), Some(4.0), Some(5.0)]);
    let r = fit(&[&c2], &[0.0; 5], json!({"scale": "robust"})).unwrap();
    let FeatureStep::Numeric(s) = &r.steps[0] else { panic!() };
    assert_eq!((s.center, s.scale), (3.0, 2.0));
    let e = fit(&[&c], &[0.0; 5], json!({"impute": "error"})).unwrap_err();
    assert!(e.message.contains("NULL values"), "{}", e.message);
}

#[test]
fn clip_to_training_quantiles() {
    let c = numeric("x", &(0..=100).map(|i| Some(i as f64)).collect::<Vec<_>>());
    let r = fit(&[&c], &[0.0; 101], json!({"clip": [0.05, 0.95], "scale": "none"})).unwrap();
    assert_eq!(encode_one(&r, RawValue::Number(1000.0)), [95.0]);
    assert_eq!(encode_one(&r, RawValue::Number(-3.0)), [5.0]);
    assert_eq!(encode_one(&r, RawValue::Number(50.0)), [50.0]);
}

#[test]
fn categorical_has_missing_and_unseen_columns() {
    let c = text("home", &[Some("rent"), Some("owner"), None, Some("rent")]);
    let r = fit(&[&c], &[0.0; 4], json!({})).unwrap();
    assert_eq!(r.width(), 4);
    assert_eq!(r.input_names(), ["home=owner", "home=rent", "home:missing", "home:unseen"]);
    assert_eq!(encode_one(&r, RawValue::Text("rent")), [0.0, 1.0, 0.0, 0.0]);
    assert_eq!(encode_one(&r, RawValue::Null), [0.0, 0.0, 1.0, 0.0]);
    assert_eq!(encode_one(&r, RawValue::Text("castle")), [0.0, 0.0, 0.0, 1.0]);
    assert_eq!(r.one_hot_groups(), vec![0..4]);
}

#[test]
fn text_imputation_by_mode_or_constant() {
    let c = text("home", &[Some("rent"), Some("owner"), None, Some("rent")]);
    let r = fit(&[&c], &[0.0; 4], json!({"impute": "mode"})).unwrap();
    assert_eq!(encode_one(&r, RawValue::Null), encode_one(&r, RawValue::Text("rent")));
    let r =
        fit(&[&c], &[0.0; 4], json!({"columns": {"home": {"impute": "constant", "fill_value": "owner"}}}))
            .unwrap();
    assert_eq!(encode_one(&r, RawValue::Null), encode_one(&r, RawValue::Text("owner")));
    // A top-level numeric method leaves text columns alone; naming it for the column is an error.
    assert!(fit(&[&c], &[0.0; 4], json!({"impute": "median"})).is_ok());
    let e = fit(&[&c], &[0.0; 4], json!({"columns": {"home": {"impute": "median"}}})).unwrap_err();
    assert!(e.message.contains("does not apply to text column"), "{}", e.message);
}

#[test]
fn ordinal_target_and_woe_encodings() {
    let c = text("c", &[Some("a"), Some("a"), Some("b"), Some("b"), Some("b"), None]);
    let y = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
    let r = fit(&[&c], &y, json!({"encode": "ordinal"})).unwrap();
    assert_eq!(encode_one(&r, RawValue::Text("b")), [2.0]);
    assert_eq!(encode_one(&r, RawValue::Text("zzz")), [0.0]);

    // Target: prior 0.5; a: (1 + 2·0.5)/(2 + 2) = 0.5; b: (2 + 1)/(3 + 2) = 0.6; NULL: (0 + 1)/3.
    let r = fit(&[&c], &y, json!({"encode": "target", "smoothing": 2})).unwrap();
    assert!((encode_one(&r, RawValue::Text("b"))[0] - 0.6).abs() < 1e-12);
    assert!((encode_one(&r, RawValue::Null)[0] - 1.0 / 3.0).abs() < 1e-12);
    assert!((encode_one(&r, RawValue::Text("new"))[0] - 0.5).abs() < 1e-12);

    // WOE: 3 bads, 3 goods. b: 2 bad 1 good → ln((2/3)/(1/3)); NULL: 0 bad (counts 1), 1 good.
    let r = fit(&[&c], &y, json!({"encode": "woe"})).unwrap();
    assert!((encode_one(&r, RawValue::Text("b"))[0] - 2f64.ln()).abs() < 1e-12);
    assert!((encode_one(&r, RawValue::Null)[0] - ((1.0f64 / 3.0) / (1.0 / 3.0)).ln()).abs() < 1e-12);
    assert_eq!(encode_one(&r, RawValue::Text("new")), [0.0]);
    let reg = Recipe::fit(
        &[&c],
        &y,
        Task::Regression,
        &PreprocessOptions::from_json(&json!({"encode": "woe"})).unwrap(),
        &StoredBinnings::new(),
    );
    assert!(reg.is_err());
}

#[test]
fn hashing_is_stable_and_has_a_missing_bucket() {
    let c = text("m", &[Some("shop-1"), Some("shop-2")]);
    let r = fit(&[&c], &[0.0, 1.0], json!({"encode": "hashing", "buckets": 4})).unwrap();
    assert_eq!(r.width(), 5);
    let v = encode_one(&r, RawValue::Text("never-seen"));
    assert_eq!(v.iter().sum::<f64>(), 1.0);
    assert_eq!(v[(categorical::fnv1a(b"never-seen") % 4) as usize], 1.0);
    assert_eq!(encode_one(&r, RawValue::Null), [0.0, 0.0, 0.0, 0.0, 1.0]);
    // FNV-1a 64 test vector.
    assert_eq!(categorical::fnv1a(b"a"), 0xaf63dc4c8601ec8c);
}

#[test]
fn max_categories_keeps_the_most_frequent() {
    let c = text("s", &[Some("a"), Some("b"), Some("b"), Some("c"), Some("c"), Some("c")]);
    let r = fit(&[&c], &[0.0; 6], json!({"max_categories": 2})).unwrap();
    let FeatureStep::Categorical(s) = &r.steps[0] else { panic!() };
    assert_eq!(s.levels, ["b", "c"]);
}

#[test]
fn all_null_feature_and_unknown_columns_are_errors() {
    let c = numeric("x", &[None, None]);
    assert!(fit(&[&c], &[0.0; 2], json!({})).unwrap_err().message.contains("only NULL"));
    let c = numeric("x", &[Some(1.0)]);
    assert!(fit(&[&c], &[0.0], json!({"columns": {"y": {}}})).unwrap_err().message.contains("not a feature"));
    assert!(fit(&[&c], &[0.0], json!({"columns": {"x": {"encode": "woe"}}})).is_err());
}
