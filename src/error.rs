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
        ErrorKind::Cancelled => ERRCODE_QUERY_CANCELED,
        ErrorKind::Internal => ERRCODE_INTERNAL_ERROR,
    }
}

/// Runs `f` in a subtransaction, the way PL/pgSQL runs a block with an EXCEPTION clause: an ERROR
/// raised inside (or a Rust panic, or an error `f` returns) rolls back what `f` did and comes back
/// as its message. A query cancel (statement_timeout, `pg_cancel_backend`) is raised again, and a
/// FATAL (`pg_terminate_backend`) ends the process as always.
pub fn in_subtransaction<R>(f: impl FnOnce() -> Result<R, AimassError>) -> Result<R, String> {
    use pgrx::pg_sys;
    use pgrx::pg_sys::panic::CaughtError;

    enum Failure {
        Core(AimassError),
        Caught(Box<CaughtError>),
    }
    // SAFETY: the calls PL/pgSQL's exec_stmt_block makes around a block with an EXCEPTION clause;
    // the memory context and resource owner are restored on both paths.
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let outcome =
            pgrx::PgTryBuilder::new(std::panic::AssertUnwindSafe(move || f().map_err(Failure::Core)))
                .catch_others(|e| Err(Failure::Caught(Box::new(e))))
                .execute();
        let restore = || {
            pg_sys::MemoryContextSwitchTo(context);
            pg_sys::CurrentResourceOwner = owner;
        };
        match outcome {
            Ok(r) => {
                pg_sys::ReleaseCurrentSubTransaction();
                restore();
                Ok(r)
            }
            Err(failure) => {
                pg_sys::MemoryContextSwitchTo(context);
                pg_sys::RollbackAndReleaseCurrentSubTransaction();
                restore();
                match failure {
                    Failure::Core(e) => Err(e.message),
                    Failure::Caught(e) => {
                        let report = match e.as_ref() {
                            CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => r,
                            CaughtError::RustPanic { ereport, .. } => ereport,
                        };
                        if report.sql_error_code() == PgSqlErrorCode::ERRCODE_QUERY_CANCELED {
                            (*e).rethrow();
                        }
                        Err(report.message().to_owned())
                    }
                }
            }
        }
    }
}
