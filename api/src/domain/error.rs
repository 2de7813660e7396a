//! The domain's one error type. It knows nothing of GraphQL: the API layer maps it to a
//! response in exactly one place (`graphql::error`).
use sea_orm::DbErr;

/// One offending input field, named by its path as the client sent it (`citations[1].quote`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub message: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid input: {}", summarize(.0))]
    InvalidInput(Vec<FieldViolation>),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A write named a version other than the current one, which a client reloads.
    #[error("the {what} has changed: its current version is {current_version}; reload and retry")]
    StaleVersion { what: &'static str, current_version: i32 },
    #[error("cannot {action} a fact that is {from}; allowed: {}", .allowed.join(", "))]
    InvalidTransition { from: &'static str, action: &'static str, allowed: Vec<&'static str> },
    #[error("too many attempts; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("the request needs a valid access token")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

fn summarize(violations: &[FieldViolation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; ")
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput(vec![FieldViolation::new(field, message)])
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// Collects every violation of an input before failing, so a client learns all of them at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldViolation::new(field, message));
    }

    /// The violations collected so far.
    pub fn into_violations(self) -> Vec<FieldViolation> {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was reported, otherwise one error listing every violation.
    pub fn into_result(self) -> DomainResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::InvalidInput(self.0))
        }
    }
}

/// The error for a write that names a version other than the current one.
pub fn stale(what: &'static str, current: i32) -> DomainError {
    DomainError::StaleVersion { what, current_version: current }
}
