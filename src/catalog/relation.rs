//! User relations: their columns and types, and reading chosen columns into core columns through
//! an SPI cursor, batch by batch, straight into columnar buffers.

use pgrx::prelude::*;
use pgrx::spi::quote_identifier;
use pgrx::FromDatum;

use crate::core::data::{Column, ColumnBuilder, ColumnKind};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::error::OrRaise;

/// Rows fetched per SPI cursor batch.
const BATCH_ROWS: i64 = 10_000;

/// How a column of a relation can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAs {
    Feature(ColumnKind),
    /// A date or timestamp, read as seconds since the epoch (for time splits).
    Time,
    /// Any column read as its text form (for profiles of types aimass does not model).
    Text,
    /// A type aimass cannot use as a feature.
    Unsupported,
}

#[derive(Debug, Clone)]
pub struct RelationColumn {
    pub name: String,
    pub type_name: String,
    pub read_as: ReadAs,
}

/// A relation named by a regclass argument.
#[derive(Debug, Clone)]
pub struct Relation {
    pub oid: pg_sys::Oid,
    /// The name as SQL text, quoted and qualified as needed (from `regclass` output).
    pub sql_name: String,
    pub columns: Vec<RelationColumn>,
}

/// The SQL expression that reads column `name` as `how` (a float8 for numbers, booleans and
/// times, text for the rest), and the kind of column it fills.
pub fn read_expr(name: &str, how: ReadAs) -> Result<(String, ColumnKind)> {
    let q = quote_identifier(name);
    Ok(match how {
        ReadAs::Feature(ColumnKind::Numeric) => (format!("({q})::float8"), ColumnKind::Numeric),
        ReadAs::Feature(ColumnKind::Boolean) => (format!("({q})::int::float8"), ColumnKind::Boolean),
        ReadAs::Feature(ColumnKind::Categorical) => (format!("({q})::text"), ColumnKind::Categorical),
        ReadAs::Time => (format!("extract(epoch FROM {q})::float8"), ColumnKind::Numeric),
        ReadAs::Text => (format!("({q})::text"), ColumnKind::Categorical),
        ReadAs::Unsupported => {
            return Err(AimassError::internal(format!("column \"{name}\" has no reader")));
        }
    })
}

impl Relation {
    pub fn describe(oid: pg_sys::Oid) -> Relation {
        Spi::connect(|client| {
            let sql_name: String = client
                .select("SELECT $1::regclass::text", None, &[oid.into()])?
                .first()
                .get_one()?
                .unwrap_or_default();
            let rows = client.select(
                "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text
                   FROM pg_catalog.pg_attribute a
                   JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                  WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
                  ORDER BY a.attnum",
                None,
                &[oid.into()],
            )?;
            let mut columns = Vec::new();
            for row in rows {
                let name: String = row.get(1)?.unwrap_or_default();
                let type_name: String = row.get(2)?.unwrap_or_default();
                let category: String = row.get(3)?.unwrap_or_default();
                let read_as = match category.as_str() {
                    "N" if type_name != "money" => ReadAs::Feature(ColumnKind::Numeric),
                    "B" => ReadAs::Feature(ColumnKind::Boolean),
                    "S" => ReadAs::Feature(ColumnKind::Categorical),
                    "D" => ReadAs::Time,
                    _ => ReadAs::Unsupported,
                };
                columns.push(RelationColumn { name, type_name, read_as });
            }
            Ok::<_, pgrx::spi::Error>(Relation { oid, sql_name, columns })
        })
        .or_raise()
    }

    pub fn column(&self, name: &str) -> Result<&RelationColumn> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            AimassError::new(
                ErrorKind::UndefinedColumn,
                format!("column \"{name}\" does not exist in relation {}", self.sql_name),
            )
            .with_hint(format!(
                "The relation's columns are: {}.",
                self.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// Reads the named columns, each as `kind`, in one pass over the relation. NaN and infinite
    /// numbers are an error.
    pub fn read(&self, wanted: &[(String, ReadAs)]) -> Result<Vec<Column>> {
        self.read_columns(wanted, "", false)
    }

    /// As [`Relation::read`], with `tail` (SQL after the relation's name, such as a WHERE
    /// clause) choosing the rows.
    pub fn read_where(&self, wanted: &[(String, ReadAs)], tail: &str) -> Result<Vec<Column>> {
        self.read_columns(wanted, tail, false)
    }

    /// As [`Relation::read`], but NaN and infinite numbers are stored as missing and counted in
    /// [`Column::non_finite`].
    pub fn read_lenient(&self, wanted: &[(String, ReadAs)]) -> Result<Vec<Column>> {
        self.read_columns(wanted, "", true)
    }

    /// [`Relation::read_lenient`] over the rows `tail` chooses.
    pub fn read_lenient_where(&self, wanted: &[(String, ReadAs)], tail: &str) -> Result<Vec<Column>> {
        self.read_columns(wanted, tail, true)
    }

    fn read_columns(&self, wanted: &[(String, ReadAs)], tail: &str, lenient: bool) -> Result<Vec<Column>> {
        let mut exprs = Vec::with_capacity(wanted.len());
        for (name, how) in wanted {
            let (expr, kind) = read_expr(name, *how)?;
            exprs.push((name.clone(), expr, kind));
        }
        self.read_exprs(&exprs, tail, lenient)
    }

    /// Reads SQL expressions over the relation (followed by `tail`: an alias, a WHERE clause) into
    /// columns `(name, expression, kind)`, in one pass: float8 expressions for numeric and
    /// boolean kinds, text for categorical ones.
    pub fn read_exprs(
        &self,
        exprs: &[(String, String, ColumnKind)],
        tail: &str,
        lenient: bool,
    ) -> Result<Vec<Column>> {
        let builder = if lenient { ColumnBuilder::lenient } else { ColumnBuilder::new };
        let mut builders: Vec<ColumnBuilder> =
            exprs.iter().map(|(name, _, kind)| builder(name.clone(), *kind)).collect();
        let select: Vec<&str> = exprs.iter().map(|(_, e, _)| e.as_str()).collect();
        let query = format!("SELECT {} FROM {} {tail}", select.join(", "), self.sql_name);
        Spi::connect(|client| -> Result<()> {
            let name = client.open_cursor(query.as_str(), &[]).detach_into_name();
            let cname = std::ffi::CString::new(name).map_err(|_| AimassError::internal("cursor name"))?;
            // SAFETY: inside an SPI connection; the portal was just opened by this connection. Each
            // batch's tuples are deformed once (not attribute by attribute), and text is borrowed
            // from the tuple until the batch is freed.
            unsafe {
                let portal = pg_sys::SPI_cursor_find(cname.as_ptr());
                if portal.is_null() {
                    return Err(AimassError::internal("cursor vanished"));
                }
                let n = builders.len();
                let mut values = vec![pg_sys::Datum::from(0usize); n];
                let mut nulls = vec![false; n];
                loop {
                    pg_sys::SPI_cursor_fetch(portal, true, BATCH_ROWS);
                    let rows = pg_sys::SPI_processed as usize;
                    let table = pg_sys::SPI_tuptable;
                    if rows == 0 || table.is_null() {
                        break;
                    }
                    let desc = (*table).tupdesc;
                    if (*desc).natts as usize != n {
                        return Err(AimassError::internal("cursor returned an unexpected row shape"));
                    }
                    for r in 0..rows {
                        let tuple = *(*table).vals.add(r);
                        pg_sys::heap_deform_tuple(tuple, desc, values.as_mut_ptr(), nulls.as_mut_ptr());
                        for (i, b) in builders.iter_mut().enumerate() {
                            match (b.kind(), nulls[i]) {
                                (ColumnKind::Categorical, true) => b.push_text(None),
                                (ColumnKind::Categorical, false) => {
                                    b.push_text(<&str as FromDatum>::from_datum(values[i], false))
                                }
                                (_, true) => b.push_number(None)?,
                                (_, false) => b.push_number(f64::from_datum(values[i], false))?,
                            }
                        }
                    }
                    pg_sys::SPI_freetuptable(table);
                    crate::core::interrupt::check()?;
                    let held: u128 = builders.iter().map(ColumnBuilder::bytes).sum();
                    crate::core::memory::reserve(
                        held,
                        &format!("reading {} columns of {}", builders.len(), self.sql_name),
                        "Read fewer rows (a WHERE clause, a view or a sample) or fewer columns.",
                    )?;
                }
                pg_sys::SPI_cursor_close(portal);
            }
            Ok(())
        })?;
        Ok(builders.into_iter().map(ColumnBuilder::finish).collect())
    }

    /// Whether the relation has at least one row.
    pub fn has_rows(&self) -> bool {
        Spi::get_one::<bool>(&format!("SELECT EXISTS (SELECT 1 FROM {})", self.sql_name))
            .ok()
            .flatten()
            .unwrap_or(false)
    }

    /// Whether rows have a `ctid` (tables and materialized views, not views).
    pub fn has_ctid(&self) -> bool {
        Spi::get_one_with_args::<bool>(
            "SELECT relkind IN ('r', 'm', 'p') FROM pg_catalog.pg_class WHERE oid = $1",
            &[self.oid.into()],
        )
        .ok()
        .flatten()
        .unwrap_or(false)
    }
}
