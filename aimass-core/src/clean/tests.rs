use super::options::CleanOptions;
use super::*;
use crate::data::ColumnBuilder;
use serde_json::json;

fn source() -> Vec<SourceColumn> {
    vec![
        SourceColumn { name: "id".into(), sql_type: "integer".into(), class: TypeClass::Numeric },
        SourceColumn {
            name: "income".into(),
            sql_type: "double precision".into(),
            class: TypeClass::Numeric,
        },
        SourceColumn { name: "home".into(), sql_type: "text".into(), class: TypeClass::Text },
        SourceColumn { name: "code".into(), sql_type: "text".into(), class: TypeClass::Text },
        SourceColumn { name: "flag".into(), sql_type: "boolean".into(), class: TypeClass::Boolean },
    ]
}

fn values() -> Vec<Column> {
    let mut id = ColumnBuilder::new("id", ColumnKind::Numeric);
    let mut income = ColumnBuilder::new("income", ColumnKind::Numeric);
    let mut home = ColumnBuilder::new("home", ColumnKind::Categorical);
    let mut code = ColumnBuilder::new("code", ColumnKind::Categorical);
    let mut flag = ColumnBuilder::new("flag", ColumnKind::Boolean);
    let inc = [Some(10.0), Some(12.0), None, Some(11.0), Some(13.0), Some(1000.0)];
    let hm = [Some("rent"), Some("owner"), Some("rent"), None, Some("rent"), Some("owner")];
    let cd = [Some("1"), Some("2.5"), Some("-3e2"), None, Some("4"), Some("5")];
    for i in 0..6 {
        id.push_number(Some(i as f64)).unwrap();
        income.push_number(inc[i]).unwrap();
        home.push_text(hm[i]);
        code.push_text(cd[i]);
        flag.push_number(Some(1.0)).unwrap();
    }
    vec![id.finish(), income.finish(), home.finish(), code.finish(), flag.finish()]
}

fn fit(options: serde_json::Value) -> Result<CleaningRecipe> {
    let plan = Plan::new(&source(), CleanOptions::from_json(&options)?)?;
    let read: Vec<usize> = plan.reads().iter().map(|r| r.0).collect();
    let values = values().into_iter().enumerate().map(|(i, c)| read.contains(&i).then_some(c)).collect();
    plan.fit(values, 6, 2)
}

#[test]
fn fences_fills_conversion_and_drops() {
    let r = fit(json!({
        "missing": "median",
        "outliers": {"method": "iqr", "action": "clip"},
        "drop_constant": true,
        "columns": {"home": {"missing": "mode"}, "code": {"convert_numeric": true}}
    }))
    .unwrap();
    let income = &r.columns[1];
    // income present: 10, 11, 12, 13, 1000 → Q1 11, Q3 13, fences [8, 16].
    let o = income.outliers.as_ref().unwrap();
    assert_eq!((o.low, o.high), (8.0, 16.0));
    // The median after clipping: 10, 11, 12, 13, 16 → 12.
    assert_eq!(income.missing.as_ref().unwrap().fill, Some(json!(12.0)));
    assert_eq!(r.columns[2].missing.as_ref().unwrap().fill, Some(json!("rent")));
    assert!(r.columns[3].converted);
    assert_eq!(r.columns[4].drop.as_deref(), Some("constant"));
}

#[test]
fn zscore_and_mad_fences() {
    let r = fit(json!({"columns": {"income": {"outliers": {"method": "mad", "k": 3.5}}}})).unwrap();
    let o = r.columns[1].outliers.as_ref().unwrap();
    // median 12, MAD 1 → 12 ± 3.5 / 0.6745.
    assert!((o.high - (12.0 + 3.5 / 0.6745)).abs() < 1e-12);
    let r = fit(json!({"columns": {"income": {"outliers": {"method": "zscore"}}}})).unwrap();
    let o = r.columns[1].outliers.as_ref().unwrap();
    let v = [10.0, 11.0, 12.0, 13.0, 1000.0];
    let m = stats::mean(&v);
    assert!((o.high - (m + 3.0 * stats::sample_sd(&v))).abs() < 1e-9);
}

#[test]
fn unsuitable_or_unknown_choices_are_errors() {
    // A top-level median leaves text columns alone; naming it for one is an error.
    assert!(fit(json!({"missing": "median"})).is_ok());
    assert!(fit(json!({"columns": {"home": {"missing": "median"}}})).is_err());
    assert!(fit(json!({"columns": {"nope": {}}})).unwrap_err().message.contains("nope"));
    assert!(fit(json!({"columns": {"income": {"trim": true}}})).is_err());
    assert!(fit(json!({"columns": {"home": {"convert_numeric": true}}})).is_err());
    assert!(fit(json!({"columns": {"home": {"outliers": {"method": "iqr"}}}})).is_err());
    assert!(fit(json!({"duplicates": {"key": ["nope"]}})).is_err());
    assert!(fit(json!({"duplicates": {"key": ["id"]}, "columns": {"id": {"drop": true}}})).is_err());
    assert!(fit(json!({"missing": "constant", "fill_value": [1]})).is_err());
    assert!(CleanOptions::from_json(&json!({"outliers": {"method": "iqr", "action": "explode"}})).is_err());
    assert!(CleanOptions::from_json(&json!({"max_missing": 2})).is_err());
    assert!(CleanOptions::from_json(&json!({"missing": 3})).is_err());
    let plan = Plan::new(&source(), CleanOptions::default()).unwrap();
    assert!(plan.reads().is_empty());
    assert!(plan.fit(vec![], 0, 2).unwrap_err().message.contains("no rows"));
}

#[test]
fn numbers_are_recognised_strictly() {
    for ok in ["1", "-2.5", "+.5", "3.", "1e5", "-2E-3"] {
        assert!(parse_number(ok).is_some(), "{ok}");
    }
    for bad in ["", "-", ".", "1e", "abc", "1,5", " 1", "NaN", "inf", "0x10", "1e999"] {
        assert!(parse_number(bad).is_none(), "{bad}");
    }
}

#[test]
fn sql_quotes_every_name_and_value() {
    assert_eq!(sql::ident("a\"b"), "\"a\"\"b\"");
    assert_eq!(sql::text_literal("it's"), "'it''s'");
    assert_eq!(sql::text_literal("a\\b'"), "E'a\\\\b'''");
    assert_eq!(sql::float_literal(0.1), "'0.1'::float8");
    let r = fit(json!({"missing": "median", "columns": {"home": {"trim": true, "case": "lower", "map": {"x'; DROP TABLE t; --": null}}}})).unwrap();
    let st = sql::statements(&r, "\"public\".\"t\"", "\"d\"", true);
    assert!(st.insert.contains("WHEN 'x''; DROP TABLE t; --' THEN NULL"));
    assert!(st.create.starts_with("CREATE TABLE \"d\" AS SELECT"));
}

#[test]
fn added_columns_must_not_clash() {
    let mut src = source();
    src.push(SourceColumn {
        name: "income_missing".into(),
        sql_type: "boolean".into(),
        class: TypeClass::Boolean,
    });
    let mut vals = values();
    let mut b = ColumnBuilder::new("income_missing", ColumnKind::Boolean);
    (0..6).for_each(|_| b.push_number(Some(0.0)).unwrap());
    vals.push(b.finish());
    let plan = Plan::new(
        &src,
        CleanOptions::from_json(&json!({"columns": {"income": {"missing_indicator": true}}})).unwrap(),
    )
    .unwrap();
    let read: Vec<usize> = plan.reads().iter().map(|r| r.0).collect();
    let values = vals.into_iter().enumerate().map(|(i, c)| read.contains(&i).then_some(c)).collect();
    let e = plan.fit(values, 6, 2).unwrap_err();
    assert!(e.message.contains("two columns named \"income_missing\""), "{}", e.message);
}
