//! `aimass.hyperparameters(algorithm)`: an algorithm's hyperparameters that have a spec — name,
//! type, default, range and purpose — read from the very specs (`core::json_options::Param`) that
//! the option reader, the stored `hyperparams`, the errors and the README's table use. Options
//! whose default depends on the case (kernel, hidden layers, estimators, …) have no spec yet and
//! are not listed; the README describes them.

use pgrx::prelude::*;
use pgrx::JsonB;

use crate::core::algorithms;
use crate::error::OrRaise;

#[pg_extern(immutable, parallel_safe, name = "hyperparameters")]
fn hyperparameters(
    algorithm: &str,
) -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(type_name, String),
        name!(default_value, JsonB),
        name!(range, String),
        name!(doc, String),
    ),
> {
    let r = algorithms::registered(algorithm).or_raise();
    TableIterator::new(r.params.iter().map(|p| {
        (p.name.to_owned(), p.type_name().to_owned(), JsonB(p.default_value()), p.range(), p.doc.to_owned())
    }))
}
