//! `aimass.log_prediction()`: the row trigger that logs a sampled share of inserted or updated
//! rows, scored by the project's deployed models, into `aimass.predictions`. Trigger arguments:
//! the project, the share (0 – 1, default 1) and the key column (optional).
//!
//! It runs with the rights of the role whose INSERT or UPDATE fired it (it is not SECURITY
//! DEFINER): the row's features, its key and its scores are read in Rust from the row, so any
//! output function or cast of the user's types runs as that role. Only the finished prediction
//! rows (numbers, text and a jsonb built here) are written with the extension owner's rights
//! ([`crate::catalog::predictions`]); nothing of the user's is evaluated as the owner.

use pgrx::prelude::*;
use pgrx::AnyElement;
use serde_json::{Map, Value};

use crate::catalog::{predictions, projects};
use crate::core::data::{ColumnKind, RawValue};
use crate::core::error::{AimassError, Result};
use crate::error::OrRaise;
use crate::scoring::cache::{self, LoadedModel};
use crate::scoring::input::{serving, with_values, Input};
use crate::scoring::row::column_text;

#[pg_trigger]
fn log_prediction<'a>(
    trigger: &'a pgrx::PgTrigger<'a>,
) -> std::result::Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
    log(trigger).or_raise();
    // A BEFORE trigger hands the row on unchanged; an AFTER trigger's result is ignored.
    Ok(match trigger.when()? {
        pgrx::PgTriggerWhen::Before => trigger.new(),
        _ => None,
    })
}

fn misuse() -> AimassError {
    AimassError::invalid_parameter(
        "aimass.log_prediction must be a row trigger on INSERT or UPDATE with the project name as its first argument",
    )
}

fn log(trigger: &pgrx::PgTrigger<'_>) -> Result<()> {
    let args = trigger.extra_args().map_err(|_| misuse())?;
    let op = trigger.op().map_err(|_| misuse())?;
    if args.is_empty()
        || !matches!(trigger.level(), pgrx::PgTriggerLevel::Row)
        || !matches!(op, pgrx::PgTriggerOperation::Insert | pgrx::PgTriggerOperation::Update)
    {
        return Err(misuse());
    }
    let share = match args.get(1) {
        None => 1.0,
        Some(s) => s.trim().parse::<f64>().map_err(|_| {
            AimassError::invalid_parameter(format!(
                "aimass.log_prediction: the share must be a number, not \"{s}\""
            ))
        })?,
    };
    if !(0.0..=1.0).contains(&share) {
        return Err(AimassError::invalid_parameter(format!(
            "aimass.log_prediction: the share must be between 0 and 1, not {share}"
        )));
    }
    // SAFETY: PostgreSQL's own generator, as random() uses.
    if unsafe { pg_sys::pg_prng_double(&raw mut pg_sys::pg_global_prng_state) } >= share {
        return Ok(());
    }
    let project = projects::get(&args[0])?;
    let data = trigger.trigger_data();
    // SAFETY: the trigger's own tuple and relation, valid for the call; the copy is a composite
    // datum of the table's row type in the current memory context.
    let row = unsafe {
        let tuple =
            if matches!(op, pgrx::PgTriggerOperation::Update) { data.tg_newtuple } else { data.tg_trigtuple };
        let desc = (*data.tg_relation).rd_att;
        let datum = pg_sys::heap_copy_tuple_as_datum(tuple, desc);
        AnyElement::from_polymorphic_datum(datum, false, (*desc).tdtypeid)
            .ok_or_else(|| AimassError::internal("the trigger's row"))?
    };
    let input = Input::Row(&row);
    let key = match args.get(2) {
        Some(column) => column_text(row.datum(), column)?,
        None => None,
    };
    let served = serving(&project.name, input)?.id;
    let deployed = cache::served(&project.name)?;
    let mut logged = vec![(deployed.champion, "champion")];
    if let Some((challenger, _)) = deployed.challenger {
        logged.push((challenger, "challenger"));
    }
    for (m, role) in logged {
        let (features, score) = features_and_score(&m, input)?;
        predictions::insert(&predictions::Logged {
            project_id: project.id,
            model_id: m.id,
            row_key: key.as_deref(),
            features,
            score,
            role,
            served: m.id == served,
        });
    }
    Ok(())
}

/// The model's features of the row as a JSON object (numbers, booleans for boolean features,
/// text; NaN and ±Infinity as PostgreSQL writes them, in strings) and the row's score: the
/// probability for binary and anomaly models, the prediction otherwise.
fn features_and_score(m: &LoadedModel, input: Input<'_>) -> Result<(Value, Option<f64>)> {
    with_values(m, input, |raw| {
        let mut features = Map::new();
        for (step, value) in m.model.features().iter().zip(raw) {
            let v = match (value, step.kind()) {
                (RawValue::Null, _) => Value::Null,
                (RawValue::Number(x), ColumnKind::Boolean) => Value::Bool(*x != 0.0),
                // Whole numbers as integers (as to_jsonb writes an integer column).
                (RawValue::Number(x), _) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(*x as i64),
                (RawValue::Number(x), _) => serde_json::Number::from_f64(*x).map_or_else(
                    || {
                        Value::String(if x.is_nan() {
                            "NaN".into()
                        } else if *x > 0.0 {
                            "Infinity".into()
                        } else {
                            "-Infinity".into()
                        })
                    },
                    Value::Number,
                ),
                (RawValue::Text(t), _) => Value::String((*t).to_owned()),
            };
            features.insert(step.name().to_owned(), v);
        }
        let mut scratch = Vec::new();
        let score = if m.model.task().scores_in_unit_interval() {
            m.model.score(raw, &mut scratch)?
        } else {
            m.model.predict(raw, &mut scratch)?
        };
        Ok((Value::Object(features), Some(score)))
    })
}
