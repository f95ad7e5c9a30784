//! SQL text for cleaning: identifiers and literals quoted here (always, so any name is safe), and
//! the statement that writes the destination and counts every change in one pass.

use super::{CleaningRecipe, ColumnRecipe, TypeClass};
use crate::clean::options::{Keep, OutlierAction};

/// A quoted identifier: `"name"` with inner quotes doubled.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A text literal that reads the same whatever `standard_conforming_strings` is.
pub fn text_literal(s: &str) -> String {
    if s.contains('\\') {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// A float8 literal that round-trips exactly.
pub fn float_literal(x: f64) -> String {
    format!("'{x:?}'::float8")
}

/// The SQL of a fill value given as JSON (number, text or boolean).
fn value_literal(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Number(n) => float_literal(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::String(s) => text_literal(s),
        _ => "NULL".into(),
    }
}

impl ColumnRecipe {
    /// The source value, `s.<name>`.
    pub fn raw(&self) -> String {
        format!("s.{}", ident(&self.name))
    }

    /// The value after text steps and conversion: text, float8 for numeric columns, the source
    /// value for others.
    pub fn stage1(&self) -> String {
        let e = self.text_stage();
        if self.converted || self.class == TypeClass::Numeric {
            format!("({e})::float8")
        } else {
            e
        }
    }

    /// The value after the text steps (trim, case, map); the source value when there are none.
    pub fn text_stage(&self) -> String {
        let mut e = self.raw();
        if let Some(t) = &self.text {
            if t.trim {
                e = format!("btrim({e})");
            }
            match t.case {
                Some(super::options::Case::Lower) => e = format!("lower({e})"),
                Some(super::options::Case::Upper) => e = format!("upper({e})"),
                None => {}
            }
            if !t.map.is_empty() {
                let arms: String = t
                    .map
                    .iter()
                    .map(|(from, to)| {
                        let to = to.as_deref().map_or("NULL".to_owned(), text_literal);
                        format!(" WHEN {} THEN {to}", text_literal(from))
                    })
                    .collect();
                e = format!("(CASE ({e})::text{arms} ELSE ({e})::text END)");
            }
        }
        e
    }

    /// What the report counts for this column.
    pub fn counters(&self) -> Vec<Counter> {
        let mut out = Vec::new();
        let mut add = |what: &str, over_source: bool, condition: String| {
            out.push(Counter { column: Some(self.name.clone()), what: what.into(), over_source, condition })
        };
        add("nulls", true, format!("{} IS NULL", self.raw()));
        if self.text.is_some() {
            add("recoded", false, format!("({})::text IS DISTINCT FROM {}", self.raw(), self.text_stage()));
        }
        if let (Some(o), Some(cond)) = (&self.outliers, self.outlier_condition()) {
            add("outliers", true, cond.clone());
            match o.action {
                OutlierAction::Clip => add("clipped", false, cond),
                OutlierAction::Null => add("nulled", false, cond),
                OutlierAction::Flag => add("flagged", false, cond),
                OutlierAction::DropRow => {}
            }
        }
        if self.missing.as_ref().is_some_and(|m| m.fill.is_some()) {
            add("imputed", false, format!("{} IS NULL", self.stage2()));
        }
        out
    }

    /// The outlier condition (NULL for a NULL value).
    pub fn outlier_condition(&self) -> Option<String> {
        let o = self.outliers.as_ref()?;
        let v = self.stage1();
        Some(format!("({v} < {} OR {v} > {})", float_literal(o.low), float_literal(o.high)))
    }

    /// The value after outlier treatment.
    pub fn stage2(&self) -> String {
        let v = self.stage1();
        match &self.outliers {
            Some(o) if o.action == OutlierAction::Clip => {
                let (lo, hi) = (float_literal(o.low), float_literal(o.high));
                format!("(CASE WHEN {v} < {lo} THEN {lo} WHEN {v} > {hi} THEN {hi} ELSE {v} END)")
            }
            Some(o) if o.action == OutlierAction::Null => {
                format!("(CASE WHEN {} THEN NULL ELSE {v} END)", self.outlier_condition().unwrap_or_default())
            }
            _ => v,
        }
    }

    /// The value written to the destination.
    pub fn output(&self) -> String {
        let v = self.stage2();
        let v = match self.missing.as_ref().and_then(|m| m.fill.as_ref()) {
            Some(fill) => format!("COALESCE({v}, {})", value_literal(fill)),
            None => v,
        };
        match self.class {
            // Numeric columns go back to their own type (integers round); converted text is float8.
            TypeClass::Numeric if !self.converted => format!("({v})::{}", self.sql_type),
            _ => v,
        }
    }
}

/// A count the cleaning statement returns, with where it goes in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Counter {
    /// `None` for table-wide counts.
    pub column: Option<String>,
    pub what: String,
    /// Counted over all source rows (`true`) or over the rows written (`false`).
    pub over_source: bool,
    pub condition: String,
}

/// The statements of a cleaning: create the (empty) destination, fill it, and count what changed.
/// `insert` and `count` each scan the source once; run them under one snapshot so the counts
/// describe exactly the rows written.
pub struct Statements {
    pub create: String,
    pub insert: String,
    /// One row: `rows_in`, then one count per counter, in order.
    pub count: String,
    pub counters: Vec<Counter>,
}

pub fn statements(recipe: &CleaningRecipe, source: &str, destination: &str, has_ctid: bool) -> Statements {
    let kept: Vec<&ColumnRecipe> = recipe.columns.iter().filter(|c| c.drop.is_none()).collect();
    // (expression, destination column name)
    let mut outputs: Vec<(String, String)> = Vec::new();
    for c in &kept {
        outputs.push((c.output(), c.name.clone()));
        if c.missing_indicator {
            outputs.push((format!("({} IS NULL)", c.raw()), c.indicator_name()));
        }
        if let (Some(o), Some(cond)) = (&c.outliers, c.outlier_condition()) {
            if o.action == OutlierAction::Flag {
                outputs.push((format!("COALESCE({cond}, false)"), c.flag_name()));
            }
        }
    }
    let out_names: Vec<String> = (0..outputs.len()).map(|i| format!("__c{i}")).collect();
    let named: Vec<String> = outputs.iter().map(|(e, n)| format!("{e} AS {}", ident(n))).collect();
    let create =
        format!("CREATE TABLE {destination} AS SELECT {} FROM {source} AS s WITH NO DATA", named.join(", "));

    // Row drops: the first reason in column order, outliers before missing values.
    let mut reasons: Vec<(String, String)> = Vec::new();
    for c in &kept {
        if let (Some(o), Some(cond)) = (&c.outliers, c.outlier_condition()) {
            if o.action == OutlierAction::DropRow {
                reasons.push((format!("outlier:{}", c.name), format!("COALESCE({cond}, false)")));
            }
        }
        if c.missing.as_ref().is_some_and(|m| m.method == super::options::Missing::DropRow) {
            reasons.push((format!("missing:{}", c.name), format!("{} IS NULL", c.stage2())));
        }
    }
    let drop_expr = if reasons.is_empty() {
        "NULL::text".to_owned()
    } else {
        let arms: String =
            reasons.iter().map(|(r, cond)| format!(" WHEN {cond} THEN {}", text_literal(r))).collect();
        format!("CASE{arms} END")
    };
    let rank_expr = match &recipe.duplicates {
        None => "1::bigint".to_owned(),
        Some(d) => {
            let partition = if d.key.is_empty() {
                "s::text".to_owned()
            } else {
                d.key.iter().map(|k| format!("s.{}", ident(k))).collect::<Vec<_>>().join(", ")
            };
            let mut order = Vec::new();
            if let Some(col) = &d.order_by {
                let dir = if d.keep == Keep::Last { "DESC NULLS LAST" } else { "ASC NULLS LAST" };
                order.push(format!("s.{} {dir}", ident(col)));
            }
            if has_ctid {
                order.push(format!(
                    "s.ctid {}",
                    if d.keep == Keep::Last && d.order_by.is_none() { "DESC" } else { "ASC" }
                ));
            }
            let order =
                if order.is_empty() { String::new() } else { format!(" ORDER BY {}", order.join(", ")) };
            format!("row_number() OVER (PARTITION BY {partition}{order})")
        }
    };

    let mut counters = vec![Counter {
        column: None,
        what: "duplicate".into(),
        over_source: true,
        condition: "__rank > 1".into(),
    }];
    for (r, _) in &reasons {
        counters.push(Counter {
            column: None,
            what: r.clone(),
            over_source: true,
            condition: format!("__rank = 1 AND __drop = {}", text_literal(r)),
        });
    }
    for c in &kept {
        counters.extend(c.counters());
    }
    let flags: Vec<String> = counters
        .iter()
        .enumerate()
        .filter(|(_, k)| k.column.is_some())
        .map(|(i, k)| format!("COALESCE({}, false) AS __k{i}", k.condition))
        .collect();
    let counts: Vec<String> = counters
        .iter()
        .enumerate()
        .map(|(i, k)| match (&k.column, k.over_source) {
            (None, _) => format!("count(*) FILTER (WHERE {})", k.condition),
            (Some(_), true) => format!("count(*) FILTER (WHERE __k{i})"),
            (Some(_), false) => format!("count(*) FILTER (WHERE __drop IS NULL AND __rank = 1 AND __k{i})"),
        })
        .collect();
    let stage_out: Vec<String> =
        outputs.iter().zip(&out_names).map(|((e, _), n)| format!("{e} AS {n}")).collect();
    let insert = format!(
        "INSERT INTO {destination} SELECT {} FROM (SELECT {}, {drop_expr} AS __drop, {rank_expr} AS __rank \
         FROM {source} AS s) AS x WHERE __drop IS NULL AND __rank = 1",
        out_names.join(", "),
        stage_out.join(", ")
    );
    let mut count_cols = flags;
    count_cols.push(format!("{drop_expr} AS __drop"));
    count_cols.push(format!("{rank_expr} AS __rank"));
    let count = format!(
        "SELECT count(*){}{} FROM (SELECT {} FROM {source} AS s) AS x",
        if counts.is_empty() { "" } else { ", " },
        counts.join(", "),
        count_cols.join(", ")
    );
    Statements { create, insert, count, counters }
}
