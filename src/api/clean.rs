//! `aimass.clean` and `aimass.apply_cleaning`: write a cleaned copy of a relation (never touching
//! the source) and report every change; the fitted recipe is stored for re-use on new data.

use pgrx::prelude::*;
use pgrx::spi::quote_identifier;
use pgrx::{JsonB, PgRelation};
use serde_json::{json, Value};

use crate::catalog::cleaning;
use crate::catalog::relation::{ReadAs, Relation};
use crate::core::clean::options::CleanOptions;
use crate::core::clean::{report, sql, CleaningRecipe, ColumnRecipe, Plan, SourceColumn, TypeClass};
use crate::core::data::ColumnKind;
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::error::OrRaise;

/// Cleans `source` into the new table `destination` as `options` say; returns the report.
#[pg_extern(volatile, parallel_unsafe)]
fn clean(source: PgRelation, destination: &str, options: default!(JsonB, "'{}'")) -> JsonB {
    JsonB(run_clean(source.oid(), destination, &options.0).or_raise())
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
    let values = relation.read_exprs(&plan.reads(), "AS s")?;
    let recipe = plan.fit(&values)?;
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
    let existing = Spi::connect(|client| {
        let t = client.select(
            "SELECT c.oid, c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)",
            Some(1),
            &[quoted.as_str().into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        t.first().get_two::<pg_sys::Oid, String>().map(Some)
    })
    .or_raise();
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
    let n = st.counters.len() + 2;
    let counts: Vec<i64> = Spi::connect_mut(|client| -> Result<Vec<i64>> {
        let t = client.update(&st.fill_and_count, Some(1), &[]).map_err(|e| {
            AimassError::new(ErrorKind::DataException, format!("cleaning {} failed: {e}", relation.sql_name))
        })?;
        let row = t.first();
        (1..=n)
            .map(|i| {
                row.get::<i64>(i).map(|v| v.unwrap_or(0)).map_err(|e| AimassError::internal(e.to_string()))
            })
            .collect()
    })?;
    let mut report = report::build(recipe, &st.counters, &counts);
    report["recipe_id"] = json!(recipe_id);
    report["source"] = json!(relation.sql_name);
    report["destination"] = json!(dest);
    Ok(report)
}
