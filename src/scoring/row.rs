//! Reading a model's raw features out of a composite value (a table row passed as `anyelement`).
//!
//! For each row type a [`RowMap`] from model features to attribute numbers and converters is
//! built once, and kept while the row type stays the same (the type cache's tuple descriptor
//! identifier changes when a table's columns change); each row is then deformed once and its
//! values converted without any name lookup or catalog access.

use std::ffi::CStr;

use pgrx::prelude::*;
use pgrx::{direct_function_call, pg_sys, PgTupleDesc};

use crate::core::data::{ColumnKind, RawValue};
use crate::core::error::{AimassError, ErrorKind, Result};
use crate::core::model::Model;

#[derive(Debug, Clone, Copy)]
enum Convert {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Bool,
    Text,
    /// blank-padded char(n): trailing blanks dropped, as the `::text` cast does
    Bpchar,
    /// any other type: its output function, as the `::text` cast does
    Output(pg_sys::Oid),
}

#[derive(Debug)]
struct RowMap {
    typid: pg_sys::Oid,
    typmod: i32,
    /// The type cache's identifier of the row type's current tuple descriptor.
    identifier: u64,
    /// Per model feature: 0-based attribute index and converter.
    slots: Vec<(usize, Convert)>,
}

/// The mappings of one model for the row types it has been called with.
#[derive(Debug, Default)]
pub struct RowMaps {
    maps: Vec<RowMap>,
    /// The last argument type found to be a row type (saves a catalog lookup per row).
    rowtype: pg_sys::Oid,
    values: Vec<pg_sys::Datum>,
    nulls: Vec<bool>,
}

fn base_type(oid: pg_sys::Oid) -> pg_sys::Oid {
    unsafe { pg_sys::getBaseType(oid) }
}

fn build_map(
    model: &Model,
    tupdesc: pg_sys::TupleDesc,
    typid: pg_sys::Oid,
    typmod: i32,
    identifier: u64,
) -> Result<RowMap> {
    let desc = unsafe { PgTupleDesc::from_pg_unchecked(tupdesc) };
    let mut slots = Vec::with_capacity(model.features().len());
    for step in model.features() {
        let name = step.name();
        let found = desc.iter().enumerate().find(|(_, a)| !a.is_dropped() && a.name() == name);
        let Some((i, att)) = found else {
            return Err(AimassError::new(
                ErrorKind::UndefinedColumn,
                format!("the row has no column \"{name}\", a feature of the model"),
            )
            .with_hint(format!(
                "The model's features are: {}.",
                model.features().iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
            )));
        };
        let t = base_type(att.type_oid().value());
        let convert = match t {
            pg_sys::INT2OID => Convert::Int2,
            pg_sys::INT4OID => Convert::Int4,
            pg_sys::INT8OID => Convert::Int8,
            pg_sys::FLOAT4OID => Convert::Float4,
            pg_sys::FLOAT8OID => Convert::Float8,
            pg_sys::NUMERICOID => Convert::Numeric,
            pg_sys::BOOLOID => Convert::Bool,
            pg_sys::TEXTOID | pg_sys::VARCHAROID => Convert::Text,
            pg_sys::BPCHAROID => Convert::Bpchar,
            other => {
                let mut out = pg_sys::InvalidOid;
                let mut varlena = false;
                unsafe { pg_sys::getTypeOutputInfo(other, &mut out, &mut varlena) };
                Convert::Output(out)
            }
        };
        let numeric_like = !matches!(convert, Convert::Text | Convert::Bpchar | Convert::Output(_));
        if step.kind() != ColumnKind::Categorical && !numeric_like {
            return Err(AimassError::new(
                ErrorKind::DatatypeMismatch,
                format!("column \"{name}\" has a type the model cannot read as a number"),
            )
            .with_detail(format!("The model was trained with \"{name}\" as a numeric feature.")));
        }
        slots.push((i, convert));
    }
    Ok(RowMap { typid, typmod, identifier, slots })
}

/// Text of a datum for a categorical feature: borrowed from the (detoasted) datum for the text
/// types, so the common case copies nothing; owned only where an output function makes it.
enum Text<'a> {
    Borrowed(&'a str),
    Owned(String),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
        }
    }
}

unsafe fn text_of<'a>(datum: pg_sys::Datum, c: Convert) -> Text<'a> {
    match c {
        Convert::Text => Text::Borrowed(<&str>::from_datum(datum, false).unwrap_or_default()),
        Convert::Bpchar => {
            Text::Borrowed(<&str>::from_datum(datum, false).unwrap_or_default().trim_end_matches(' '))
        }
        Convert::Output(f) => {
            let p = pg_sys::OidOutputFunctionCall(f, datum);
            let s = CStr::from_ptr(p).to_string_lossy().into_owned();
            pg_sys::pfree(p.cast());
            Text::Owned(s)
        }
        Convert::Bool => {
            Text::Borrowed(if bool::from_datum(datum, false).unwrap_or(false) { "true" } else { "false" })
        }
        _ => Text::Owned(crate::core::data::number_text(number_of(datum, c))),
    }
}

unsafe fn number_of(datum: pg_sys::Datum, c: Convert) -> f64 {
    match c {
        Convert::Int2 => i16::from_datum(datum, false).unwrap_or_default() as f64,
        Convert::Int4 => i32::from_datum(datum, false).unwrap_or_default() as f64,
        Convert::Int8 => i64::from_datum(datum, false).unwrap_or_default() as f64,
        Convert::Float4 => f32::from_datum(datum, false).unwrap_or_default() as f64,
        Convert::Float8 => f64::from_datum(datum, false).unwrap_or_default(),
        Convert::Numeric => {
            direct_function_call::<f64>(pg_sys::numeric_float8, &[Some(datum)]).unwrap_or(f64::NAN)
        }
        Convert::Bool => bool::from_datum(datum, false).unwrap_or(false) as u8 as f64,
        _ => f64::NAN,
    }
}

/// Scores one composite datum with `model` through `f`, which receives the raw feature values.
pub fn with_row_values<R>(
    model: &Model,
    maps: &mut RowMaps,
    datum: pg_sys::Datum,
    typoid: pg_sys::Oid,
    f: impl FnOnce(&[RawValue<'_>]) -> Result<R>,
) -> Result<R> {
    if typoid != maps.rowtype && !unsafe { pg_sys::type_is_rowtype(typoid) } {
        return Err(AimassError::new(
            ErrorKind::DatatypeMismatch,
            "row must be a table row or other composite value",
        )
        .with_hint(
            "Pass the row itself, as in aimass.predict_proba('project', t) FROM t, or a jsonb object.",
        ));
    }
    unsafe {
        let header = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
        let typid = pgrx::heap_tuple_header_get_type_id(header);
        let typmod = pgrx::heap_tuple_header_get_typmod(header);
        maps.rowtype = typoid;
        // A named row type's descriptor can change (ALTER TABLE), seen by the type cache's
        // identifier; an anonymous record's (RECORD with a typmod) cannot. A named type's
        // descriptor is the type cache's own, read without pinning: nothing between here and the
        // deform can invalidate it. (Some builds stamp a version in a named row's typmod: it is
        // not part of the key.)
        let named = typid != pg_sys::RECORDOID;
        let typmod = if named { -1 } else { typmod };
        let (tupdesc, identifier, pinned) = if named {
            let tce = pg_sys::lookup_type_cache(typid, pg_sys::TYPECACHE_TUPDESC as i32);
            if (*tce).tupDesc.is_null() {
                return Err(AimassError::new(
                    ErrorKind::DatatypeMismatch,
                    "row must be a table row or other composite value",
                ));
            }
            ((*tce).tupDesc, (*tce).tupDesc_identifier, false)
        } else {
            (pg_sys::lookup_rowtype_tupdesc(typid, typmod), 0, true)
        };
        let release = |d| {
            if pinned {
                pgrx::tupdesc::release_tupdesc(d)
            }
        };
        let idx = match maps.maps.iter().position(|m| m.typid == typid && m.typmod == typmod) {
            Some(i) if maps.maps[i].identifier == identifier => i,
            found => {
                let map = match build_map(model, tupdesc, typid, typmod, identifier) {
                    Ok(m) => m,
                    Err(e) => {
                        release(tupdesc);
                        return Err(e);
                    }
                };
                match found {
                    Some(i) => {
                        maps.maps[i] = map;
                        i
                    }
                    None => {
                        maps.maps.push(map);
                        maps.maps.len() - 1
                    }
                }
            }
        };
        let natts = (*tupdesc).natts as usize;
        maps.values.resize(natts, pg_sys::Datum::from(0));
        maps.nulls.resize(natts, true);
        let mut tuple = pg_sys::HeapTupleData {
            t_len: pgrx::heap_tuple_header_get_datum_length(header) as u32,
            t_self: pg_sys::ItemPointerData::default(),
            t_tableOid: pg_sys::InvalidOid,
            t_data: header,
        };
        pg_sys::heap_deform_tuple(&mut tuple, tupdesc, maps.values.as_mut_ptr(), maps.nulls.as_mut_ptr());
        release(tupdesc);

        let map = &maps.maps[idx];
        let steps = model.features();
        // First the text cells (which may own their string), then the raw values borrowing them.
        let texts: Vec<Option<Text<'_>>> = map
            .slots
            .iter()
            .zip(steps)
            .map(|(&(i, c), step)| {
                (!maps.nulls[i] && step.kind() == ColumnKind::Categorical).then(|| text_of(maps.values[i], c))
            })
            .collect();
        let raw: Vec<RawValue<'_>> = map
            .slots
            .iter()
            .zip(&texts)
            .map(|(&(i, c), text)| match text {
                _ if maps.nulls[i] => RawValue::Null,
                Some(t) => RawValue::Text(t.as_str()),
                None => RawValue::Number(number_of(maps.values[i], c)),
            })
            .collect();
        f(&raw)
    }
}

/// The text of one column, by name, of a composite datum (a challenger's routing key): `None`
/// for NULL, an error when the row has no such column.
pub fn column_text(datum: pg_sys::Datum, column: &str) -> Result<Option<String>> {
    unsafe {
        let header = pg_sys::pg_detoast_datum(datum.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
        let typid = pgrx::heap_tuple_header_get_type_id(header);
        let typmod = pgrx::heap_tuple_header_get_typmod(header);
        let tupdesc =
            pg_sys::lookup_rowtype_tupdesc(typid, if typid == pg_sys::RECORDOID { typmod } else { -1 });
        let found = {
            let desc = PgTupleDesc::from_pg_unchecked(tupdesc);
            desc.iter()
                .enumerate()
                .find(|(_, a)| !a.is_dropped() && a.name() == column)
                .map(|(i, a)| (i as i16 + 1, a.type_oid().value()))
        };
        pgrx::tupdesc::release_tupdesc(tupdesc);
        let Some((attnum, typ)) = found else {
            return Err(AimassError::new(
                ErrorKind::UndefinedColumn,
                format!("the row has no column \"{column}\", the routing key of the project's challenger"),
            ));
        };
        let mut isnull = false;
        let value = pg_sys::GetAttributeByNum(header, attnum, &mut isnull);
        if isnull {
            return Ok(None);
        }
        let mut out = pg_sys::InvalidOid;
        let mut varlena = false;
        pg_sys::getTypeOutputInfo(typ, &mut out, &mut varlena);
        Ok(Some(text_of(value, Convert::Output(out)).as_str().to_owned()))
    }
}
