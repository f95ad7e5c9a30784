//! `aimass.binnings`: supervised binnings stored as jsonb.

use pgrx::JsonB;
use serde_json::Value;

use crate::core::error::{AimassError, Result};
use crate::core::woe_binning::ColumnBinning;
use crate::error::OrRaise;

pub fn insert(
    relation: &str,
    target: &str,
    method: &str,
    options: &Value,
    columns: &[ColumnBinning],
) -> Result<i64> {
    let cols = serde_json::to_value(columns)
        .map_err(|e| AimassError::internal(format!("cannot encode binning: {e}")))?;
    super::get_one::<i64>(
        "INSERT INTO aimass.binnings (relation, target, method, options, columns, created_by)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            relation.into(),
            target.into(),
            method.into(),
            JsonB(options.clone()).into(),
            JsonB(cols).into(),
            super::owner::caller_name().into(),
        ],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("binning insert returned no id"))
}

/// The column binnings of a stored binning.
pub fn load(id: i64) -> Result<Vec<ColumnBinning>> {
    let v: Option<JsonB> = super::connect(|client| {
        let t = client.select("SELECT columns FROM aimass.binnings WHERE id = $1", Some(1), &[id.into()])?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        t.first().get_one::<JsonB>()
    })
    .or_raise();
    let v = v.ok_or_else(|| {
        AimassError::new(
            crate::core::error::ErrorKind::UndefinedObject,
            format!("binning {id} does not exist"),
        )
        .with_hint("See SELECT id, relation, target, method FROM aimass.binnings.")
    })?;
    serde_json::from_value(v.0).map_err(|e| {
        AimassError::new(crate::core::error::ErrorKind::DataCorrupted, format!("binning {id} cannot be read"))
            .with_detail(e.to_string())
    })
}
