//! `aimass.binnings`: supervised binnings stored as jsonb.

use pgrx::prelude::*;
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
    Spi::get_one_with_args::<i64>(
        "INSERT INTO aimass.binnings (relation, target, method, options, columns) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[relation.into(), target.into(), method.into(), JsonB(options.clone()).into(), JsonB(cols).into()],
    )
    .or_raise()
    .ok_or_else(|| AimassError::internal("binning insert returned no id"))
}
