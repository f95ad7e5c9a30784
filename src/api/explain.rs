//! Scorecards and reason codes in SQL: `aimass.scorecard(model_id)`, the points table a credit
//! officer can print; `aimass.score_points(project, row)`, a row's total score; and
//! `aimass.explain(project, row, top_k)`, the features that pushed this row's risk up most.

use pgrx::prelude::*;
use pgrx::AnyElement;

use crate::core::explain;
use crate::error::OrRaise;
use crate::scoring::cache;
use crate::scoring::input::{serving, Input};
use crate::scoring::row::with_row_values;

/// The points table of a scorecard model: base points, then each feature's bins.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn scorecard(
    model_id: i64,
) -> TableIterator<
    'static,
    (
        name!(feature, String),
        name!(bin, Option<i32>),
        name!(label, String),
        name!(woe, f64),
        name!(points, f64),
    ),
> {
    let m = cache::by_id(model_id).or_raise();
    let rows = explain::points_table(&m.model).or_raise();
    TableIterator::new(
        rows.into_iter().map(|r| (r.feature, r.bin.map(|b| b as i32), r.label, r.woe, r.points)),
    )
}

/// The total score of a row under the project's deployed scorecard (its challenger's, when the row
/// is routed to one).
#[pg_extern(stable, parallel_safe)]
fn score_points(project_name: &str, row: AnyElement) -> f64 {
    let m = serving(project_name, Input::Row(&row)).or_raise();
    let mut maps = m.row_maps.borrow_mut();
    with_row_values(&m.model, &mut maps, row.datum(), row.oid(), |raw| explain::score_points(&m.model, raw))
        .or_raise()
}

/// Reason codes: the `top_k` features that pushed this row's risk up most, with their values, from
/// the model that scores the row (the challenger, when the row is routed to one).
#[pg_extern(stable, parallel_safe)]
fn explain(
    project_name: &str,
    row: AnyElement,
    top_k: default!(i32, 3),
) -> TableIterator<'static, (name!(feature, String), name!(value, String), name!(contribution, f64))> {
    if top_k < 1 {
        crate::error::raise(crate::core::error::AimassError::invalid_parameter(format!(
            "top_k must be at least 1, not {top_k}"
        )));
    }
    let m = serving(project_name, Input::Row(&row)).or_raise();
    let mut maps = m.row_maps.borrow_mut();
    let reasons =
        with_row_values(&m.model, &mut maps, row.datum(), row.oid(), |raw| explain::reasons(&m.model, raw))
            .or_raise();
    TableIterator::new(reasons.into_iter().take(top_k as usize).map(|r| (r.feature, r.value, r.contribution)))
}
