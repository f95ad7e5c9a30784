//! `aimass.clean` and `aimass.apply_cleaning`: write a cleaned copy of a relation (never touching
//! the source) and report every change; the fitted recipe is stored for re-use on new data.

use pgrx::prelude::*;
use pgrx::spi::quote_identifier;
use pgrx::FromDatum;
use pgrx::{JsonB, PgRelation};
use serde_json::{json, Value};
use std::ffi::CString;

use crate::catalog::cleaning;
use crate::catalog::relation::{ReadAs, Relation};
use crate::core::clean::options::CleanOptions;
use crate::core::clean::{report, sql, CleaningRecipe, ColumnRecipe, Plan, SourceColumn, TypeClass};
use crate::core::data::ColumnKind;
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::error::OrRaise;
use crate::json_arg::JsonArg;

/// Cleans `source` into the new table `destination` as `options` say; returns the report.
#[pg_extern(volatile, parallel_unsafe)]
fn clean(source: PgRelation, destination: &str, options: default!(JsonArg, "'{}'")) -> JsonB {
    JsonB(run_clean(source.oid(), destination, &options.value("options")).or_raise())
}

/// Applies a stored cleaning recipe (no refitting) to `source`, writing `destination`.
#[pg_extern(volatile, parallel_unsafe)]
fn apply_cleaning(
    recipe_id: i64,
    source: PgRelation,
    destination: &str,
    replace: default!(bool, false),
) -> JsonB {
    JsonB(run_apply(recipe_id, source.oid(), destination, replace).or_raise())
}

fn source_columns(relation: &Relation) -> Vec<SourceColumn> {
    relation
        .columns
        .iter()
        .map(|c| SourceColumn {
            name: c.name.clone(),
            sql_type: c.type_name.clone(),
            class: match c.read_as {
                ReadAs::Feature(ColumnKind::Numeric) => TypeClass::Numeric,
                ReadAs::Feature(ColumnKind::Boolean) => TypeClass::Boolean,
                ReadAs::Feature(ColumnKind::Categorical) => TypeClass::Text,
                _ => TypeClass::Other,
            },
        })
        .collect()
}

fn run_clean(source_oid: pg_sys::Oid, destination: &str, options_json: &Value) -> Result<Value> {
    let options = CleanOptions::from_json(options_json)?;
    let replace = options.replace;
    let relation = Relation::describe(source_oid);
    let plan = Plan::new(&source_columns(&relation), options)?;
    let dest = prepare_destination(destination, source_oid, replace)?;
    let reads = plan.reads();
    let exprs: Vec<_> = reads.iter().map(|(_, n, e, k)| (n.clone(), e.clone(), *k)).collect();
    let (values, rows) = if exprs.is_empty() {
        (vec![], relation.has_rows() as usize)
    } else {
        let read = relation.read_exprs(&exprs, "AS s", false)?;
        let rows = read.first().map_or(0, |c| c.len());
        let mut values = vec![None; relation.columns.len()];
        for ((i, ..), c) in reads.iter().zip(read) {
            values[*i] = Some(c);
        }
        (values, rows)
    };
    let recipe = plan.fit(values, rows, crate::gucs::threads())?;
    let id = cleaning::insert(&relation.sql_name, &dest, options_json, &recipe, &json!({}))?;
    let report = write(&recipe, &relation, &dest, id)?;
    cleaning::set_report(id, &report);
    Ok(report)
}

fn run_apply(recipe_id: i64, source_oid: pg_sys::Oid, destination: &str, replace: bool) -> Result<Value> {
    let stored = cleaning::load(recipe_id)?;
    let relation = Relation::describe(source_oid);
    let recipe = fit_to_source(stored, &source_columns(&relation))?;
    let dest = prepare_destination(destination, source_oid, replace)?;
    write(&recipe, &relation, &dest, recipe_id)
}

/// The stored recipe against a new source: every recipe column must exist with the same kind of
/// type; columns the recipe does not know are copied unchanged.
fn fit_to_source(mut recipe: CleaningRecipe, source: &[SourceColumn]) -> Result<CleaningRecipe> {
    for c in &mut recipe.columns {
        let s = source.iter().find(|s| s.name == c.name).ok_or_else(|| {
            AimassError::new(
                ErrorKind::UndefinedColumn,
                format!("the source has no column \"{}\", which the recipe cleans", c.name),
            )
        })?;
        if s.class != c.class {
            return Err(AimassError::new(
                ErrorKind::DatatypeMismatch,
                format!(
                    "column \"{}\" has type {}; the recipe was fitted on type {}",
                    c.name, s.sql_type, c.sql_type
                ),
            ));
        }
        c.sql_type = s.sql_type.clone();
    }
    for s in source {
        if !recipe.columns.iter().any(|c| c.name == s.name) {
            recipe.columns.push(ColumnRecipe {
                name: s.name.clone(),
                sql_type: s.sql_type.clone(),
                class: s.class,
                drop: None,
                text: None,
                converted: false,
                outliers: None,
                missing: None,
                missing_indicator: false,
            });
        }
    }
    Ok(recipe)
}

/// Checks the destination name and makes room for it; returns it quoted and qualified.
fn prepare_destination(destination: &str, source_oid: pg_sys::Oid, replace: bool) -> Result<String> {
    let parts: Vec<String> =
        Spi::get_one_with_args::<Vec<String>>("SELECT parse_ident($1)", &[destination.into()])
            .map_err(|_| {
                AimassError::new(
                    ErrorKind::InvalidText,
                    format!("destination \"{destination}\" is not a valid table name"),
                )
                .with_hint("Give a name such as credit_clean or myschema.credit_clean.")
            })?
            .unwrap_or_default();
    if parts.is_empty() || parts.len() > 2 {
        return Err(AimassError::new(
            ErrorKind::InvalidText,
            format!("destination \"{destination}\" is not a valid table name"),
        ));
    }
    let quoted = parts.iter().map(quote_identifier).collect::<Vec<_>>().join(".");
    let existing = crate::catalog::first_two_as_caller::<pg_sys::Oid, String>(
        "SELECT c.oid, c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)",
        &[quoted.as_str().into()],
    );
    if let Some((Some(oid), kind)) = existing {
        if oid == source_oid {
            return Err(AimassError::invalid_parameter("the destination is the source table")
                .with_detail("aimass.clean never modifies its source."));
        }
        if !replace {
            return Err(AimassError::new(
                ErrorKind::DuplicateTable,
                format!("relation {quoted} already exists"),
            )
            .with_hint("Choose another destination or pass \"replace\": true."));
        }
        if kind.as_deref() != Some("r") {
            return Err(AimassError::new(
                ErrorKind::DuplicateTable,
                format!("{quoted} exists and is not a table"),
            )
            .with_detail("Only a table is replaced."));
        }
        Spi::run(&format!("DROP TABLE {quoted}")).or_raise();
    }
    Ok(quoted)
}

fn write(recipe: &CleaningRecipe, relation: &Relation, dest: &str, recipe_id: i64) -> Result<Value> {
    let st = sql::statements(recipe, &relation.sql_name, dest, relation.has_ctid());
    Spi::run(&st.create).map_err(|e| AimassError::internal(format!("cannot create {dest}: {e}")))?;
    let (rows_out, mut counts) = insert_and_count(&st.insert, &st.count, st.counters.len() + 1)?;
    counts.insert(0, rows_out);
    let mut report = report::build(recipe, &st.counters, &counts);
    report["recipe_id"] = json!(recipe_id);
    report["source"] = json!(relation.sql_name);
    report["destination"] = json!(dest);
    Ok(report)
}

/// Runs the insert, then the count query, under one registered snapshot: the counts describe
/// exactly the rows the insert saw, whatever commits in between. Returns the rows inserted and
/// the count query's `n` columns.
fn insert_and_count(insert: &str, count: &str, n: usize) -> Result<(i64, Vec<i64>)> {
    let insert = CString::new(insert).map_err(|_| AimassError::internal("statement holds a NUL byte"))?;
    let count = CString::new(count).map_err(|_| AimassError::internal("statement holds a NUL byte"))?;
    Spi::connect_mut(|_client| {
        // SAFETY: SPI is connected for the closure; plans and the snapshot are released here, and
        // on an ERROR by transaction abort.
        unsafe {
            let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetTransactionSnapshot());
            let result = (|| {
                let rows_out = execute(&insert, snapshot, false)? as i64;
                execute(&count, snapshot, true)?;
                let table = pg_sys::SPI_tuptable;
                if table.is_null() || pg_sys::SPI_processed != 1 || (*(*table).tupdesc).natts as usize != n {
                    return Err(AimassError::internal("the count query returned an unexpected shape"));
                }
                let mut values = vec![pg_sys::Datum::from(0usize); n];
                let mut nulls = vec![false; n];
                pg_sys::heap_deform_tuple(
                    *(*table).vals,
                    (*table).tupdesc,
                    values.as_mut_ptr(),
                    nulls.as_mut_ptr(),
                );
                let counts = values
                    .iter()
                    .zip(&nulls)
                    .map(|(v, &null)| i64::from_datum(*v, null).unwrap_or(0))
                    .collect();
                Ok((rows_out, counts))
            })();
            pg_sys::UnregisterSnapshot(snapshot);
            result
        }
    })
}

/// Executes one statement under `snapshot`; returns the rows it processed.
unsafe fn execute(query: &CString, snapshot: pg_sys::Snapshot, read_only: bool) -> Result<u64> {
    let plan = pg_sys::SPI_prepare(query.as_ptr(), 0, std::ptr::null_mut());
    if plan.is_null() {
        let code = pg_sys::SPI_result;
        return Err(AimassError::internal(format!("SPI_prepare failed: {code}")));
    }
    let rc = pg_sys::SPI_execute_snapshot(
        plan,
        std::ptr::null_mut(),
        std::ptr::null(),
        snapshot,
        std::ptr::null_mut(),
        read_only,
        false,
        0,
    );
    pg_sys::SPI_freeplan(plan);
    if rc < 0 {
        return Err(AimassError::internal(format!("SPI_execute_snapshot failed: {rc}")));
    }
    Ok(pg_sys::SPI_processed)
}
