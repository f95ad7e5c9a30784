//! `aimass.cleaning_recipes`: fitted cleanings, stored as jsonb.

use pgrx::JsonB;
use serde_json::Value;

use crate::core::clean::CleaningRecipe;
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::error::OrRaise;

pub fn insert(
    source: &str,
    destination: &str,
    options: &Value,
    recipe: &CleaningRecipe,
    report: &Value,
) -> Result<i64> {
    let recipe = serde_json::to_value(recipe)
        .map_err(|e| AimassError::internal(format!("cannot encode recipe: {e}")))?;
    super::get_one::<i64>(
        "INSERT INTO aimass.cleaning_recipes (source, destination, options, recipe, report, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            source.into(),
            destination.into(),
            JsonB(options.clone()).into(),
            JsonB(recipe).into(),
            JsonB(report.clone()).into(),
            super::owner::caller_name().into(),
        ],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("cleaning recipe insert returned no id"))
}

/// Stores the report once the recipe's id is part of it.
pub fn set_report(id: i64, report: &Value) {
    super::run(
        "UPDATE aimass.cleaning_recipes SET report = $2 WHERE id = $1",
        &[id.into(), JsonB(report.clone()).into()],
    )
    .or_raise();
}

pub fn load(id: i64) -> Result<CleaningRecipe> {
    let v: Option<JsonB> = super::connect(|client| {
        let t = client.select(
            "SELECT recipe FROM aimass.cleaning_recipes WHERE id = $1",
            Some(1),
            &[id.into()],
        )?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        t.first().get_one::<JsonB>()
    })
    .or_raise();
    let v = v.ok_or_else(|| {
        AimassError::new(ErrorKind::UndefinedObject, format!("cleaning recipe {id} does not exist"))
            .with_hint("See SELECT id, source, created_at FROM aimass.cleaning_recipes.")
    })?;
    serde_json::from_value(v.0).map_err(|e| {
        AimassError::new(ErrorKind::DataCorrupted, format!("cleaning recipe {id} cannot be read"))
            .with_detail(e.to_string())
    })
}
