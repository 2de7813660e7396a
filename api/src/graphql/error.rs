//! The one place where errors become GraphQL errors. Every error carries `extensions.code`;
//! input errors also carry the offending fields; internal errors are logged with an id and
//! reach the client as that id only.
use std::sync::Arc;

use async_graphql::{ErrorExtensions, Value};

use crate::domain::DomainError;
use crate::error_code::ErrorCode;

/// Seconds a client is told to wait before retrying when the database is unavailable.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

fn internal(detail: &dyn std::fmt::Display) -> async_graphql::Error {
    masked(detail, ErrorCode::Internal, "internal error; quote the error id when reporting it")
}

/// An error whose detail goes to the log under a fresh id; the client gets the code and the id.
fn masked(detail: &dyn std::fmt::Display, code: ErrorCode, message: &str) -> async_graphql::Error {
    let error_id = uuid::Uuid::now_v7();
    if code == ErrorCode::Internal {
        tracing::error!(%error_id, error = %detail, "internal error");
    } else {
        tracing::warn!(%error_id, error = %detail, code = code.as_str(), "database error");
    }
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        ext.set("errorId", error_id.to_string());
        if code == ErrorCode::Unavailable {
            ext.set("retryAfter", UNAVAILABLE_RETRY_AFTER_SECS);
        }
    })
}

/// A database error, masked: what the client may do about it, never what the database said.
fn database_error(error: &sea_orm::DbErr) -> async_graphql::Error {
    use crate::db::DbFailure;
    match crate::db::classify(error) {
        DbFailure::Unavailable => masked(error, ErrorCode::Unavailable, "the database is unavailable; retry shortly"),
        DbFailure::StatementTimeout => {
            masked(error, ErrorCode::Timeout, "the query took longer than the server allows")
        }
        DbFailure::Other => internal(error),
    }
}

/// A GraphQL-ready error. It deliberately has no `Display`: async-graphql converts anything
/// displayable into an error without a code, so resolvers return this type and every domain
/// error passes through the mapping below.
#[derive(Clone, Debug)]
pub struct ApiError(async_graphql::Error);

/// What resolvers return.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        error.0
    }
}

/// For errors raised outside a resolver (before execution), which async-graphql takes as
/// `ServerError`s: the same message and extensions.
impl From<ApiError> for async_graphql::ServerError {
    fn from(error: ApiError) -> Self {
        let mut server_error = async_graphql::ServerError::new(error.0.message, None);
        server_error.extensions = error.0.extensions;
        server_error
    }
}

/// A query refused by its measured cost, before execution. A refusal that concerns one value
/// (a variable nested too deep) names it in `fields`, as input errors do.
impl From<super::cost::CostRejection> for ApiError {
    fn from(rejection: super::cost::CostRejection) -> Self {
        let message = rejection.to_string();
        let code = rejection.code();
        let path = match &rejection {
            super::cost::CostRejection::ValuesTooDeep { path, .. } => path.clone(),
            _ => None,
        };
        ApiError(async_graphql::Error::new(message.clone()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if let Some(path) = path {
                ext.set("fields", Value::List(vec![field(path, message)]));
            }
        }))
    }
}

/// An answer refused because it grew past the response size limit while it was being built.
pub fn response_too_large(limit: usize) -> ApiError {
    let message = format!(
        "the answer would be larger than the limit of {limit} bytes; ask for fewer items or leave out large text fields such as `snapshot`"
    );
    ApiError(async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", ErrorCode::ResponseTooLarge.as_str());
        ext.set("limit", limit as u64);
    }))
}

/// One entry of `extensions.fields`: the path of an offending value and what is wrong with it.
pub(super) fn field(path: String, message: String) -> Value {
    let mut map = async_graphql::indexmap::IndexMap::new();
    map.insert(async_graphql::Name::new("path"), Value::from(path));
    map.insert(async_graphql::Name::new("message"), Value::from(message));
    Value::Object(map)
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        ApiError(to_graphql(error))
    }
}

fn to_graphql(error: DomainError) -> async_graphql::Error {
    {
        let coded = |message: String, code: ErrorCode| {
            async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
        };
        match error {
            DomainError::NotFound(what) => coded(format!("{what} not found"), ErrorCode::NotFound),
            DomainError::InvalidInput(violations) => {
                let message =
                    violations.iter().map(|v| format!("{}: {}", v.field, v.message)).collect::<Vec<_>>().join("; ");
                async_graphql::Error::new(format!("invalid input: {message}")).extend_with(|_, ext| {
                    ext.set("code", ErrorCode::BadUserInput.as_str());
                    ext.set(
                        "fields",
                        Value::List(violations.iter().map(|v| field(v.field.clone(), v.message.clone())).collect()),
                    );
                })
            }
            DomainError::Conflict(message) => coded(message, ErrorCode::Conflict),
            error @ DomainError::StaleVersion { current_version, .. } => async_graphql::Error::new(error.to_string())
                .extend_with(|_, ext| {
                    ext.set("code", ErrorCode::Conflict.as_str());
                    ext.set("currentVersion", current_version);
                }),
            DomainError::InvalidTransition { from, action, allowed } => {
                let message = if allowed.is_empty() {
                    format!("cannot {action} a fact that is {from}: no transition is allowed from {from}")
                } else {
                    format!("cannot {action} a fact that is {from}; allowed from {from}: {}", allowed.join(", "))
                };
                async_graphql::Error::new(message).extend_with(|_, ext| {
                    ext.set("code", ErrorCode::InvalidTransition.as_str());
                    ext.set("status", from);
                    ext.set("allowed", Value::List(allowed.iter().map(|a| Value::from(*a)).collect()));
                })
            }
            DomainError::RateLimited { retry_after_secs } => async_graphql::Error::new(format!(
                "too many attempts; retry in {retry_after_secs} s"
            ))
            .extend_with(|_, ext| {
                ext.set("code", ErrorCode::RateLimited.as_str());
                ext.set("retryAfter", retry_after_secs);
            }),
            DomainError::Unauthenticated => {
                coded("the request needs a valid access token".into(), ErrorCode::Unauthenticated)
            }
            DomainError::Forbidden(message) => coded(message, ErrorCode::Forbidden),
            DomainError::Database(error) => database_error(&error),
            error @ DomainError::Internal(_) => internal(&error),
        }
    }
}

/// A DataLoader failure: always internal (the loaders only fail when the database does).
pub fn loader_error(error: Arc<DomainError>) -> ApiError {
    match error.as_ref() {
        DomainError::Database(db_error) => ApiError(database_error(db_error)),
        other => ApiError(internal(other)),
    }
}

/// A query refused after validation because its measured complexity or depth is over the
/// schema's limit.
pub fn over_limit(code: ErrorCode, message: &str) -> async_graphql::ServerError {
    ApiError(async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))).into()
}

/// A subscription that fell behind the events by `missed`: it ends, and its subscriber resumes
/// from the last cursor it received (`resumeAfter`, when it received any).
pub fn subscriber_lagged(missed: u64, resume_after: Option<String>) -> ApiError {
    let message = format!(
        "this subscription fell {missed} events behind and has ended; subscribe again with `after` set to the cursor of the last event received"
    );
    ApiError(async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", ErrorCode::SubscriberLagged.as_str());
        if let Some(cursor) = &resume_after {
            ext.set("resumeAfter", cursor.as_str());
        }
    }))
}
