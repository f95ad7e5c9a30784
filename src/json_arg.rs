//! `JsonArg`: a `jsonb` argument read without panicking.
//!
//! pgrx's `JsonB` parses the argument's text with serde_json and panics (an internal error,
//! XX000) on what jsonb accepts and serde_json does not: nesting deeper than 128 levels, or
//! numbers beyond float8 such as `1e400`. `JsonArg` keeps the parse error instead, and
//! [`JsonArg::value`] raises it as an invalid parameter (22023) naming the argument.

use pgrx::pg_sys;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::{direct_function_call, FromDatum};
use serde_json::Value;

use crate::core::error::AimassError;
use crate::error::raise;

pub struct JsonArg(std::result::Result<Value, String>);

impl JsonArg {
    /// The parsed value, or an ERROR naming `argument`.
    pub fn value(self, argument: &str) -> Value {
        self.0.unwrap_or_else(|e| {
            raise(
                AimassError::invalid_parameter(format!("{argument} is JSON that aimass cannot read: {e}"))
                    .with_hint("Nest at most 128 levels and keep numbers within float8."),
            )
        })
    }
}

impl FromDatum for JsonArg {
    unsafe fn from_polymorphic_datum(datum: pg_sys::Datum, is_null: bool, _: pg_sys::Oid) -> Option<JsonArg> {
        if is_null {
            return None;
        }
        let varlena = datum.cast_mut_ptr();
        let detoasted = pg_sys::pg_detoast_datum_packed(varlena);
        let text = direct_function_call::<&core::ffi::CStr>(pg_sys::jsonb_out, &[Some(detoasted.into())])?;
        let parsed = match text.to_str() {
            Ok(s) => serde_json::from_str::<Value>(s).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        pg_sys::pfree(text.as_ptr() as *mut core::ffi::c_void);
        if detoasted != varlena {
            pg_sys::pfree(detoasted as *mut core::ffi::c_void);
        }
        Some(JsonArg(parsed))
    }
}

unsafe impl SqlTranslatable for JsonArg {
    const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!(JsonArg);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: Result<SqlMappingRef, ArgumentError> = Ok(SqlMappingRef::literal("jsonb"));
    const RETURN_SQL: Result<ReturnsRef, ReturnsError> = Ok(ReturnsRef::One(SqlMappingRef::literal("jsonb")));
}

// SAFETY: as pgrx's own impl for JsonB (`argue_from_datum!`): the datum is a jsonb, read
// through FromDatum; a NULL is `None` (the non-Option form is only used in STRICT functions).
unsafe impl<'fcx> pgrx::callconv::ArgAbi<'fcx> for JsonArg {
    unsafe fn unbox_arg_unchecked(arg: pgrx::callconv::Arg<'_, 'fcx>) -> Self {
        let index = arg.index();
        unsafe { arg.unbox_arg_using_from_datum() }
            .unwrap_or_else(|| panic!("argument {index} must not be null"))
    }

    unsafe fn unbox_nullable_arg(arg: pgrx::callconv::Arg<'_, 'fcx>) -> pgrx::nullable::Nullable<Self> {
        unsafe { arg.unbox_arg_using_from_datum() }.into()
    }
}
