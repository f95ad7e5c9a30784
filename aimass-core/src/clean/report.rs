//! The report `aimass.clean` returns: every change, from the counts the cleaning statement made.
//!
//! Per column: `nulls` and `outliers` count over all source rows; `imputed`, `clipped`, `nulled`,
//! `flagged` and `recoded` count over the rows written to the destination.

use serde_json::{json, Map, Value};

use super::sql::Counter;
use super::{CleaningRecipe, ColumnRecipe};

/// `counts` holds `rows_out`, `rows_in`, then one count per counter.
pub fn build(recipe: &CleaningRecipe, counters: &[Counter], counts: &[i64]) -> Value {
    let (rows_out, rows_in) = (counts.first().copied().unwrap_or(0), counts.get(1).copied().unwrap_or(0));
    let mut removed = Map::new();
    let mut by_reason: Map<String, Value> = Map::new();
    let mut columns: Map<String, Value> = Map::new();
    for c in &recipe.columns {
        if c.drop.is_none() {
            columns.insert(c.name.clone(), describe(c));
        }
    }
    for (k, &n) in counters.iter().zip(&counts[2..]) {
        match &k.column {
            None if k.what == "duplicate" => {
                removed.insert("duplicates".into(), json!(n));
            }
            None => {
                let (kind, col) = k.what.split_once(':').unwrap_or((&k.what, ""));
                let entry = by_reason.entry(kind.to_owned()).or_insert_with(|| json!({}));
                entry[col] = json!(n);
            }
            Some(col) => {
                if let Some(Value::Object(m)) = columns.get_mut(col) {
                    m.insert(k.what.clone(), json!(n));
                }
            }
        }
    }
    removed.extend(by_reason);
    let columns_removed: Vec<Value> = recipe
        .columns
        .iter()
        .filter_map(|c| c.drop.as_ref().map(|why| json!({"column": c.name, "reason": why})))
        .collect();
    let mut columns_added = Vec::new();
    for c in recipe.columns.iter().filter(|c| c.drop.is_none()) {
        if c.missing_indicator {
            columns_added.push(
                json!({"column": c.indicator_name(), "reason": format!("missing indicator of {}", c.name)}),
            );
        }
        if c.outliers.as_ref().is_some_and(|o| o.action == super::options::OutlierAction::Flag) {
            columns_added
                .push(json!({"column": c.flag_name(), "reason": format!("outlier flag of {}", c.name)}));
        }
    }
    json!({
        "rows_in": rows_in,
        "rows_out": rows_out,
        "rows_removed": Value::Object(removed),
        "columns_removed": columns_removed,
        "columns_added": columns_added,
        "columns": Value::Object(columns),
    })
}

/// A column's fitted treatment, before its counts are added.
fn describe(c: &ColumnRecipe) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(if c.converted { "double precision" } else { c.sql_type.as_str() }));
    if c.converted {
        m.insert("converted_from".into(), json!(c.sql_type));
    }
    if let Some(o) = &c.outliers {
        m.insert(
            "outlier_rule".into(),
            json!({"method": o.method, "k": o.k, "action": o.action, "fence": [o.low, o.high]}),
        );
    }
    if let Some(mi) = &c.missing {
        let mut rule = json!({"method": mi.method});
        if let Some(f) = &mi.fill {
            rule["fill"] = f.clone();
        }
        m.insert("missing_rule".into(), rule);
    }
    Value::Object(m)
}
