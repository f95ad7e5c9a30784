//! The catalog: projects, snapshots, models and deployments (tables in schema `aimass`), and
//! reading user relations. All SQL of the extension's own tables lives here.

pub mod binnings;
pub mod cleaning;
pub mod deployments;
pub mod models;
pub mod monitors;
pub mod projects;
pub mod relation;
pub mod schema;

use pgrx::datum::{DatumWithOid, FromDatum, IntoDatum};

/// The first row of a read-only query as its first two columns, or `None` when it returns no row.
pub fn first_two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
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
