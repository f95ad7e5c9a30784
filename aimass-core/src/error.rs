//! The one error type of the pure core. Each kind maps to a PostgreSQL SQLSTATE in `crate::error`.

use std::fmt;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A parameter has a value outside its domain (22023).
    InvalidParameter,
    /// A column named by the caller does not exist (42703).
    UndefinedColumn,
    /// A named object (project, model, deployment) does not exist (42704).
    UndefinedObject,
    /// A table to be created exists already (42P07).
    DuplicateTable,
    /// A column has a type the operation cannot use (42804).
    DatatypeMismatch,
    /// The data cannot be used as asked: empty, one class, NaN (22000).
    DataException,
    /// A value cannot be parsed (22P02).
    InvalidText,
    /// The operation needs state that is not there yet, e.g. a deployment (55000).
    NotInPrerequisiteState,
    /// Something the product does not support (yet) (0A000).
    FeatureNotSupported,
    /// A stored artifact is damaged or foreign (XX001).
    DataCorrupted,
    /// A size limit was exceeded (54000).
    LimitExceeded,
    /// An argument that may not be NULL is (22004).
    NullValueNotAllowed,
    /// The work was cancelled (57014): a thread stopped because the statement was interrupted.
    Cancelled,
    /// The role may not do this (42501).
    InsufficientPrivilege,
    /// A bug: an invariant did not hold (XX000).
    Internal,
}

/// An error with a message (lower case, no final period), and optional detail and hint
/// (full sentences), following PostgreSQL's message style.
#[derive(Debug, Clone, PartialEq)]
pub struct AimassError {
    pub kind: ErrorKind,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl AimassError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), detail: None, hint: None }
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::DataException, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for AimassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " (detail: {d})")?;
        }
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AimassError {}

pub type Result<T, E = AimassError> = std::result::Result<T, E>;
