//! The catalog: projects, snapshots, models and deployments (tables in schema `aimass`), and
//! reading user relations. All SQL of the extension's own tables lives here.

pub mod audit;
pub mod binnings;
pub mod citus;
pub mod cleaning;
pub mod counted_columns;
pub mod deployments;
pub mod models;
pub mod monitors;
pub mod owner;
pub mod predictions;
pub mod privileges;
pub mod projects;
pub mod relation;
pub mod schema;

use pgrx::datum::{DatumWithOid, FromDatum, IntoDatum};

/// One value of a catalog statement, run with the extension owner's rights ([`owner`]).
pub fn get_one<T: FromDatum + IntoDatum>(
    query: &str,
    args: &[DatumWithOid<'_>],
) -> std::result::Result<Option<T>, pgrx::spi::Error> {
    owner::as_owner(|| pgrx::Spi::get_one_with_args(query, args))
}

/// A catalog statement without a result, run with the extension owner's rights.
pub fn run(query: &str, args: &[DatumWithOid<'_>]) -> std::result::Result<(), pgrx::spi::Error> {
    owner::as_owner(|| pgrx::Spi::run_with_args(query, args))
}

/// A read-only SPI connection with the extension owner's rights.
pub fn connect<R>(f: impl FnOnce(&pgrx::spi::SpiClient<'_>) -> R) -> R {
    owner::as_owner(|| pgrx::Spi::connect(f))
}

/// The first row of a read-only catalog query as its first two columns, or `None` when it
/// returns no row (with the extension owner's rights).
pub fn first_two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    query: &str,
    args: &[DatumWithOid<'_>],
) -> Option<(Option<A>, Option<B>)> {
    owner::as_owner(|| first_two_as_caller(query, args))
}

/// [`first_two`] with the caller's rights and search_path (for the caller's own relations).
pub fn first_two_as_caller<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    query: &str,
    args: &[DatumWithOid<'_>],
) -> Option<(Option<A>, Option<B>)> {
    use crate::error::OrRaise;
    pgrx::Spi::connect(|client| {
        let t = client.select(query, Some(1), args)?;
        if t.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        t.first().get_two::<A, B>().map(Some)
    })
    .or_raise()
}
