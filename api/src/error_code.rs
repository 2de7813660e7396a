//! Every code a client can find in `extensions.code`, and the one function that renders an
//! error body. GraphQL errors (`graphql::error`), the HTTP layer's own refusals (`http`), the
//! panic handler and the connection loop all take their codes from here, so a code is spelled
//! once and a client can rely on the list.

/// What went wrong, as a client can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// An argument or input field is invalid; `fields` names each one.
    BadUserInput,
    /// The request is not a GraphQL request this server can read.
    BadRequest,
    NotFound,
    /// The record changed since it was read, or a concurrent write won.
    Conflict,
    Unauthenticated,
    Forbidden,
    /// A fault of the server; `errorId` finds it in the log.
    Internal,
    /// The workflow does not allow this step from the fact's status; `allowed` lists what does.
    InvalidTransition,
    /// Too many requests or attempts; `retryAfter` says when to try again.
    RateLimited,
    /// The database is unavailable; retry shortly.
    Unavailable,
    /// The request took longer than the server allows.
    Timeout,
    /// The server is serving as many requests as it may at once.
    Overloaded,
    ResponseTooLarge,
    QueryTooLarge,
    QueryTooComplex,
    QueryTooDeep,
    TooManyAliases,
    TooManyDirectives,
    TooManyTokens,
    ValueTooDeep,
    BodyTimeout,
    PayloadTooLarge,
    MethodNotAllowed,
    UnsupportedMediaType,
    BatchNotAllowed,
    TooManyConnections,
    /// A subscription fell so far behind the events that some were dropped for it; resubscribe
    /// with `after` set to the cursor of the last event received.
    SubscriberLagged,
    /// A WebSocket already holds as many subscriptions as the server allows.
    TooManySubscriptions,
}

impl ErrorCode {
    /// The code as clients see it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::BadRequest => "BAD_REQUEST",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Internal => "INTERNAL",
            Self::InvalidTransition => "INVALID_TRANSITION",
            Self::RateLimited => "RATE_LIMITED",
            Self::Unavailable => "UNAVAILABLE",
            Self::Timeout => "TIMEOUT",
            Self::Overloaded => "OVERLOADED",
            Self::ResponseTooLarge => "RESPONSE_TOO_LARGE",
            Self::QueryTooLarge => "QUERY_TOO_LARGE",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::QueryTooDeep => "QUERY_TOO_DEEP",
            Self::TooManyAliases => "TOO_MANY_ALIASES",
            Self::TooManyDirectives => "TOO_MANY_DIRECTIVES",
            Self::TooManyTokens => "TOO_MANY_TOKENS",
            Self::ValueTooDeep => "VALUE_TOO_DEEP",
            Self::BodyTimeout => "BODY_TIMEOUT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::BatchNotAllowed => "BATCH_NOT_ALLOWED",
            Self::TooManyConnections => "TOO_MANY_CONNECTIONS",
            Self::SubscriberLagged => "SUBSCRIBER_LAGGED",
            Self::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of an error answered outside GraphQL execution, shaped like a GraphQL response so
/// that a client reads every error the same way: `{"errors":[{"message", "extensions":{"code", …}}]}`.
pub fn error_body(code: ErrorCode, message: &str, extensions: &[(&str, serde_json::Value)]) -> String {
    let mut ext = serde_json::Map::new();
    ext.insert("code".into(), code.as_str().into());
    for (key, value) in extensions {
        ext.insert((*key).to_owned(), value.clone());
    }
    serde_json::json!({ "errors": [{ "message": message, "extensions": ext }] }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_carries_its_code_and_extensions() {
        let body = error_body(ErrorCode::Internal, "boom", &[("errorId", "abc".into())]);
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["errors"][0]["extensions"]["code"], "INTERNAL");
        assert_eq!(parsed["errors"][0]["extensions"]["errorId"], "abc");
        assert_eq!(parsed["errors"][0]["message"], "boom");
    }
}
