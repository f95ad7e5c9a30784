//! Raising core errors as PostgreSQL errors with a fitting SQLSTATE, detail and hint.
//! `raise` and `notice` come first so their line numbers (the LOCATION the regression tests
//! print) do not move when the SQLSTATE table below grows.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

use crate::core::error::{AimassError, ErrorKind};

/// Raises `e` as an ERROR; does not return.
pub fn raise(e: AimassError) -> ! {
    let mut report = ErrorReport::new(sqlstate(e.kind), e.message, "aimass");
    if let Some(d) = e.detail {
        report = report.set_detail(d);
    }
    if let Some(h) = e.hint {
        report = report.set_hint(h);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// Sends a NOTICE to the client (reported from this file, so its location is stable).
pub fn notice(message: impl Into<String>) {
    ErrorReport::new(PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION, message.into(), "aimass")
        .report(PgLogLevel::NOTICE);
}

/// `.or_raise()` on a core result: the value, or the error raised in PostgreSQL.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, AimassError> {
    #[inline]
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => raise(e),
        }
    }
}

impl<T> OrRaise<T> for Result<T, pgrx::spi::Error> {
    #[inline]
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => raise(AimassError::internal(format!("SPI: {e}"))),
        }
    }
}

/// The value of an argument that must not be NULL, in a function that is not STRICT because other
/// arguments may be: the value, or a 22004 ERROR naming the argument.
pub fn required<T>(value: Option<T>, argument: &str) -> T {
    value.unwrap_or_else(|| {
        raise(AimassError::new(
            ErrorKind::NullValueNotAllowed,
            format!("argument {argument} must not be NULL"),
        ))
    })
}

fn sqlstate(kind: ErrorKind) -> PgSqlErrorCode {
    use PgSqlErrorCode::*;
    match kind {
        ErrorKind::InvalidParameter => ERRCODE_INVALID_PARAMETER_VALUE,
        ErrorKind::UndefinedColumn => ERRCODE_UNDEFINED_COLUMN,
        ErrorKind::UndefinedObject => ERRCODE_UNDEFINED_OBJECT,
        ErrorKind::DuplicateTable => ERRCODE_DUPLICATE_TABLE,
        ErrorKind::DatatypeMismatch => ERRCODE_DATATYPE_MISMATCH,
        ErrorKind::DataException => ERRCODE_DATA_EXCEPTION,
        ErrorKind::InvalidText => ERRCODE_INVALID_TEXT_REPRESENTATION,
        ErrorKind::NotInPrerequisiteState => ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        ErrorKind::FeatureNotSupported => ERRCODE_FEATURE_NOT_SUPPORTED,
        ErrorKind::DataCorrupted => ERRCODE_DATA_CORRUPTED,
        ErrorKind::LimitExceeded => ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        ErrorKind::InsufficientPrivilege => ERRCODE_INSUFFICIENT_PRIVILEGE,
        ErrorKind::NullValueNotAllowed => ERRCODE_NULL_VALUE_NOT_ALLOWED,
        ErrorKind::Internal => ERRCODE_INTERNAL_ERROR,
    }
}
