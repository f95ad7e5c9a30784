//! Batch scoring: a model's feature columns read from a whole relation in one columnar pass
//! (SPI cursor batches), for `evaluate` and `predict_batch`.

use crate::catalog::relation::{ReadAs, Relation};
use crate::core::data::{Column, ColumnKind};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::model::Model;

/// Reads the model's features from `relation`, then the `extra` columns; returns both lists.
pub fn read(
    model: &Model,
    relation: &Relation,
    extra: &[(String, ReadAs)],
) -> Result<(Vec<Column>, Vec<Column>)> {
    read_where(model, relation, extra, "", false)
}

/// As [`read`], over the rows `tail` (SQL after the relation's name, a WHERE clause) chooses;
/// `lenient`: NaN and ±Infinity are read as missing and counted (monitoring), not refused.
pub fn read_where(
    model: &Model,
    relation: &Relation,
    extra: &[(String, ReadAs)],
    tail: &str,
    lenient: bool,
) -> Result<(Vec<Column>, Vec<Column>)> {
    let mut wanted = Vec::with_capacity(model.features().len() + extra.len());
    for step in model.features() {
        wanted.push((step.name().to_owned(), feature_read_as(relation, step.name(), step.kind())?));
    }
    wanted.extend(extra.iter().cloned());
    let mut features = if lenient {
        relation.read_lenient_where(&wanted, tail)?
    } else {
        relation.read_where(&wanted, tail)?
    };
    let extras = features.split_off(model.features().len());
    Ok((features, extras))
}

/// How column `name` of `relation` is read as a model feature of `kind`: a category from any
/// column, a number from a number or a boolean.
pub fn feature_read_as(relation: &Relation, name: &str, kind: ColumnKind) -> Result<ReadAs> {
    let col = relation.column(name)?;
    match (kind, col.read_as) {
        (ColumnKind::Categorical, ReadAs::Feature(_)) => Ok(ReadAs::Feature(ColumnKind::Categorical)),
        (_, ReadAs::Feature(k @ (ColumnKind::Numeric | ColumnKind::Boolean))) => Ok(ReadAs::Feature(k)),
        _ => Err(AimassError::new(
            ErrorKind::DatatypeMismatch,
            format!("column \"{}\" has type {}, which the model cannot read", col.name, col.type_name),
        )),
    }
}

/// Reads the model's features from the `features` jsonb of logged predictions
/// (`aimass.predictions`), then the `extra` expressions `(name, SQL, kind)`, over the rows `tail`
/// chooses; NaN and ±Infinity are read as missing and counted.
pub fn read_logged(
    model: &Model,
    relation: &Relation,
    extra: &[(String, String, ColumnKind)],
    tail: &str,
) -> Result<(Vec<Column>, Vec<Column>)> {
    let mut exprs: Vec<(String, String, ColumnKind)> = model
        .features()
        .iter()
        .map(|step| {
            let key = pgrx::spi::quote_literal(step.name());
            let expr = match step.kind() {
                ColumnKind::Numeric => format!("(features ->> {key})::float8"),
                ColumnKind::Boolean => format!("(features ->> {key})::boolean::int::float8"),
                ColumnKind::Categorical => format!("features ->> {key}"),
            };
            (step.name().to_owned(), expr, step.kind())
        })
        .collect();
    exprs.extend(extra.iter().cloned());
    let mut features = relation.read_exprs(&exprs, tail, true)?;
    let extras = features.split_off(model.features().len());
    Ok((features, extras))
}
