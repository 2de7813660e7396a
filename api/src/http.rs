//! The HTTP surface: GraphQL on POST /graphql, GraphiQL on GET /graphql, health, readiness and
//! metrics, with request ids, tracing, a body limit and a request timeout around everything.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use sea_orm::DatabaseConnection;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::tokens::{TokenService, TokenSubject};
use crate::config::ServeConfig;
use crate::db::StatementCounter;
use crate::domain::account::principal::principal_of;
use crate::error_code::{error_body, ErrorCode};
use crate::graphql::error::ApiError;
use crate::graphql::guards::ExecutionStarted;
use crate::graphql::loaders::Loaders;
use crate::graphql::ChancerySchema;
use crate::throttling::{Caller, ClientAddress, RequestRateLimiter, TrustedProxies};
use api_keys::{ApiKeys, API_KEY_HEADER};
use negotiation::{graphql_answer, Executed, ResponseFormat};
use response_cache::{cache_key, etag, not_modified, CachedAnswer, ResponseCache};

pub mod api_keys;
pub mod body;
pub mod connections;
pub mod desk;
pub mod export;
pub mod graphiql;
pub mod negotiation;
pub mod response_cache;
pub mod subscriptions;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub schema: ChancerySchema,
    pub tokens: TokenService,
    pub cost_limits: crate::config::CostLimits,
    pub anonymous_introspection: bool,
    pub in_flight: Arc<tokio::sync::Semaphore>,
    pub rate_limiter: Arc<RequestRateLimiter>,
    pub trusted_proxies: TrustedProxies,
    pub db: DatabaseConnection,
    /// The read replica anonymous queries are answered from, when configured.
    pub read_db: Option<DatabaseConnection>,
    pub statements: StatementCounter,
    pub replica_statements: StatementCounter,
    pub requests: Arc<AtomicU64>,
    /// The cache of anonymous answers, when `--response-cache` is on.
    pub response_cache: Option<Arc<ResponseCache>>,
    pub cache_max_age_secs: u64,
    pub api_keys: Arc<ApiKeys>,
    /// The live tail subscriptions read; told of every write this process serves.
    pub live: crate::live::LiveHub,
    /// The open WebSockets, counted against `subscriptions`' caps.
    pub sockets: Arc<subscriptions::OpenSockets>,
    pub subscriptions: crate::config::SubscriptionConfig,
    /// The bulk exports' slots (`--max-concurrent-exports`), each held for a whole download.
    pub export_slots: Arc<tokio::sync::Semaphore>,
}

/// The application's router with its middleware stack.
pub fn router(state: AppState, config: &ServeConfig) -> Router {
    let x_request_id = header::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/graphql") }))
        .route(
            "/graphql",
            get(graphql_get).post(graphql).route_layer(middleware::from_fn_with_state(state.clone(), admit)),
        )
        .merge(export_routes(state.clone()))
        .route("/graphiql/assets/{name}", get(graphiql::asset))
        .merge(desk_routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        // Outside `admit`: a slow body holds its connection, never a place in flight.
        .layer(middleware::from_fn_with_state(body::BodyDeadline::new(config), body::read_in_time))
        .layer(middleware::from_fn_with_state(state.clone(), identify_client))
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(middleware::from_fn_with_state(config.body_limit_bytes, refuse_announced_oversize))
        .layer(middleware::from_fn_with_state(Duration::from_secs(config.request_timeout_secs), time_limit))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path(), client = tracing::field::Empty, api_key = tracing::field::Empty)
        }))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(security_headers))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .layer(cors(&config.cors_origins))
        .with_state(state)
}

/// The editorial desk: its page on each of the app's routes, its assets, 404 for the rest.
fn desk_routes() -> Router<AppState> {
    let mut routes = Router::new()
        .route("/desk/facts/{id}", get(desk::page_with_id))
        .route("/desk/record/{id}", get(desk::page_with_id))
        .route("/desk/assets/{name}", get(desk::asset))
        .route("/desk/{*rest}", get(desk::unknown));
    for route in desk::PAGE_ROUTES {
        routes = routes.route(route, get(desk::page));
    }
    routes
}

/// The bulk exports: admitted like GraphQL requests (rate limit, API keys, a place in flight
/// while the answer starts), gzip-compressed for clients that accept it. At the fastest level:
/// an export is gigabytes of JSON and compressing it is what bounds a gzipped export (35,000
/// facts/s at this level against 55,000 plain, bench/README.md).
fn export_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/export/facts.ndjson", get(export::facts_ndjson))
        .route("/export/facts.csv", get(export::facts_csv))
        .route("/export/facts.jsonld", get(export::facts_jsonld))
        .route_layer(middleware::from_fn_with_state(state, admit))
        .route("/export/context.jsonld", get(export::context))
        .layer(tower_http::compression::CompressionLayer::new().quality(tower_http::CompressionLevel::Fastest))
}

/// Headers every answer carries: no content sniffing, and no caching of anything answered to a
/// request that carried credentials (a shared cache must never hand one editor's drafts to
/// someone else).
async fn security_headers(request: Request, next: Next) -> Response {
    let credentialed = request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if credentialed {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A panic anywhere below the router is answered like any internal error: INTERNAL with an
/// error id that the log carries with the panic message; the message itself is never sent,
/// and the server goes on serving.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    let error_id = uuid::Uuid::now_v7();
    tracing::error!(%error_id, panic = %detail, "request handler panicked");
    let body = error_body(
        ErrorCode::Internal,
        "internal error; quote the error id when reporting it",
        &[("errorId", error_id.to_string().into())],
    );
    json_error(StatusCode::INTERNAL_SERVER_ERROR, body)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panic_is_answered_as_internal_without_its_message() {
        let response = super::panic_response(Box::new(String::from("index out of bounds at /src/secret.rs:12")));
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("\"INTERNAL\"") && text.contains("errorId"), "{text}");
        assert!(!text.contains("secret") && !text.contains(".rs"), "{text}");
    }
}

/// CORS for the configured origins only; none configured, no cross-origin browser access.
fn cors(origins: &crate::config::AllowedOrigins) -> tower_http::cors::CorsLayer {
    tower_http::cors::CorsLayer::new()
        .allow_origin(origins.0.clone())
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::HeaderName::from_static(API_KEY_HEADER)])
        .max_age(Duration::from_secs(600))
}

fn retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The one place that decides the client's address (for throttles, rate limits and logs).
async fn identify_client(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let client = state.trusted_proxies.client_address(peer.unwrap_or(ClientAddress::UNKNOWN.0), request.headers());
    tracing::Span::current().record("client", tracing::field::display(client));
    request.extensions_mut().insert(client);
    next.run(request).await
}

/// What a request's Authorization header proves, decided once per request in `admit`.
#[derive(Debug, Clone)]
enum Credentials {
    Anonymous,
    /// A header that is not a bearer token, or a token that does not verify.
    Refused,
    /// A token that verifies; the account behind it is checked when the request runs.
    Verified(TokenSubject),
}

/// Admission to GraphQL: the token is verified (signature and claims, no database), the
/// request counted against its principal (else the client address), then given a place among
/// the requests in flight.
async fn admit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let client = request.extensions().get::<ClientAddress>().copied().unwrap_or(ClientAddress::UNKNOWN);
    let mut rejection = None;
    let credentials = match bearer_token(request.headers()) {
        None => Credentials::Anonymous,
        Some(Err(())) => Credentials::Refused,
        Some(Ok(token)) => match state.tokens.validate(token) {
            Ok(subject) => Credentials::Verified(subject),
            Err(rejected) => {
                rejection = Some(rejected);
                Credentials::Refused
            }
        },
    };
    let caller = match &credentials {
        Credentials::Verified(subject) => Caller::of_subject(subject),
        Credentials::Anonymous | Credentials::Refused => Caller::of_address(client),
    };
    let admitted = match request.headers().get(API_KEY_HEADER) {
        None => state.rate_limiter.admit(&caller),
        Some(value) => {
            let key = match api_key_of(&state, value, client).await {
                Ok(key) => key,
                Err(response) => return response,
            };
            tracing::Span::current().record("api_key", key.name.as_str());
            state.api_keys.admit(&key)
        }
    };
    if let Err(seconds) = admitted {
        return too_many_requests(seconds);
    }
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        let response =
            http_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Overloaded, "the server is busy; retry shortly");
        return retry_after(response, 1);
    };
    // Logged once admitted, so that a flood of invented tokens cannot flood the log too.
    if let Some(rejected) = rejection {
        tracing::info!(reason = %rejected, "token rejected");
    }
    request.extensions_mut().insert(credentials);
    next.run(request).await
}

/// The valid key in an `X-Api-Key` header. An unknown or revoked key is refused (401) rather
/// than served as anonymous: the client meant to be counted as itself. Each refusal counts
/// against the client's address, and an address that has used up its rate that way is refused
/// (429) before any lookup: guessing keys costs the guesser its own rate, and the database at
/// most that many lookups.
async fn api_key_of(
    state: &AppState,
    value: &HeaderValue,
    client: ClientAddress,
) -> Result<api_keys::KnownKey, Response> {
    let key = value.to_str().unwrap_or_default().trim();
    if let Some(known) = state.api_keys.recently_verified(key) {
        return Ok(known);
    }
    let address = Caller::of_address(client);
    if let Some(seconds) = state.api_keys.guessing_blocked(&address) {
        return Err(too_many_requests(seconds));
    }
    match state.api_keys.look_up(key).await {
        Ok(Some(known)) => Ok(known),
        Ok(None) => {
            tracing::info!("unknown or revoked API key refused");
            if let Err(seconds) = state.rate_limiter.admit(&address) {
                state.api_keys.block_guessing(address, seconds);
                return Err(too_many_requests(seconds));
            }
            Err(http_error(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, "unknown or revoked API key"))
        }
        Err(error) => {
            tracing::warn!(%error, "looking up an API key");
            let message = "the server cannot check API keys right now; retry shortly";
            Err(http_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, message))
        }
    }
}

/// 429 with the seconds to wait, for a caller past its rate.
fn too_many_requests(seconds: u64) -> Response {
    let response = http_error(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, "too many requests; slow down");
    retry_after(response, seconds)
}

/// A body announced (by `Content-Length`) as over the limit is refused before any of it is
/// read, in the same coded shape as one found too large while streaming.
async fn refuse_announced_oversize(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return payload_too_large();
    }
    next.run(request).await
}

/// The answer to a body that could not be read: 413 when it ran past the body limit (however
/// deep in the error's causes that is said), else 400.
fn unreadable_body(error: &(dyn std::error::Error + 'static)) -> Response {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return payload_too_large();
        }
        cause = current.source();
    }
    tracing::debug!(%error, "the request body could not be read");
    http_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, "the request body could not be read")
}

fn payload_too_large() -> Response {
    http_error(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "the request body is too large")
}

/// Answers 503 TIMEOUT when a request runs past its time. The handler's future is dropped
/// there, so an open transaction is rolled back: a timed-out write leaves nothing behind.
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit_secs = limit.as_secs(), "request timed out");
            let message = format!("the request took longer than the server allows ({} s)", limit.as_secs());
            http_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Timeout, &message)
        }
    }
}

async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

/// An error answered before GraphQL runs, in the GraphQL response shape.
fn http_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    json_error(status, error_body(code, message, &[]))
}

fn json_error(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Only JSON bodies are accepted: a form or text/plain POST (which a browser sends cross-site
/// without a preflight) never runs a mutation.
fn json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
        .is_some_and(|media| media == "application/json" || media == "application/graphql-response+json")
}

/// The deepest JSON body read at all.
const MAX_BODY_JSON_DEPTH: usize = 120;

/// Reads the body (bounded by the body-limit layer: 413 beyond it) and parses one operation.
async fn read_operation(
    headers: &HeaderMap,
    body: axum::body::Body,
    max_value_depth: usize,
) -> Result<async_graphql::Request, Response> {
    if !json_content_type(headers) {
        return Err(http_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send GraphQL requests as application/json",
        ));
    }
    let bytes = axum::body::to_bytes(body, usize::MAX).await.map_err(|error| unreadable_body(&error))?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(http_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BatchNotAllowed,
            "batched requests are not accepted",
        ));
    }
    // serde_json stops at 128 levels with an error that names nothing; refuse before it, and
    // leave values between the limit and this to `check_variables`, which names the variable.
    if crate::graphql::cost::json_depth(&bytes) > MAX_BODY_JSON_DEPTH.max(max_value_depth + 2) {
        let message = format!("the body's JSON nests deeper than variables may ({max_value_depth} levels)");
        return Err(http_error(StatusCode::BAD_REQUEST, ErrorCode::ValueTooDeep, &message));
    }
    serde_json::from_slice::<async_graphql::Request>(&bytes).map_err(|_| {
        http_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            "the body must be a JSON object with `query` and optional `variables` and `operationName`",
        )
    })
}

/// The bearer token of a request: `None` without an Authorization header, `Some(Err)` when the
/// header is there but is not a bearer token.
fn bearer_token(headers: &HeaderMap) -> Option<Result<&str, ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let token = value.to_str().ok().and_then(|v| v.trim().split_once(' ')).and_then(|(scheme, token)| {
        (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
    });
    Some(token.ok_or(()))
}

async fn graphql(
    State(state): State<AppState>,
    axum::Extension(client): axum::Extension<ClientAddress>,
    axum::Extension(credentials): axum::Extension<Credentials>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    match read_operation(&headers, body, state.cost_limits.max_value_depth).await {
        Ok(request) => run_operation(state, client, credentials, &headers, request, Transport::Post).await,
        Err(response) => response,
    }
}

/// How an operation arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Post,
    /// In the URL: anonymous queries only, cacheable by browsers and CDNs.
    Get,
}

/// GET /graphql: an anonymous query in the URL (`query`, `variables`, `operationName`), or
/// GraphiQL when there is none. A mutation, or a request carrying credentials, must use POST:
/// a GET is what a cross-site page, a prefetcher or a crawler can trigger, and what a shared
/// cache may keep.
///
/// With `Upgrade: websocket`, a WebSocket for subscriptions (`subscriptions`).
async fn graphql_get(
    State(state): State<AppState>,
    axum::Extension(client): axum::Extension<ClientAddress>,
    axum::Extension(credentials): axum::Extension<Credentials>,
    hold: Option<axum::Extension<connections::ConnectionHold>>,
    websocket: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    match websocket {
        Ok(websocket) => {
            // The caller is named in `connection_init`: a browser cannot set headers on a WebSocket.
            if matches!(credentials, Credentials::Refused) {
                return http_error(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::Unauthenticated,
                    "the token is invalid or expired",
                );
            }
            return subscriptions::upgrade(state, client, hold.map(|hold| hold.0), websocket);
        }
        Err(rejection) if headers.contains_key(header::UPGRADE) => return rejection.into_response(),
        Err(_) => {}
    }
    let params: Vec<(String, String)> =
        uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let param = |name: &str| params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let Some(query) = param("query") else { return graphiql::page().await };
    let post_only = |message: &str| {
        let mut response = http_error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, message);
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        response
    };
    if !matches!(credentials, Credentials::Anonymous) {
        return post_only("signed-in requests must be sent with POST");
    }
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = param("operationName").filter(|name| !name.is_empty()) {
        request = request.operation_name(name);
    }
    if let Some(variables) = param("variables").filter(|v| !v.is_empty()) {
        if crate::graphql::cost::json_depth(variables.as_bytes()) > state.cost_limits.max_value_depth + 2 {
            let message = format!("`variables` nests deeper than {} levels", state.cost_limits.max_value_depth);
            return http_error(StatusCode::BAD_REQUEST, ErrorCode::ValueTooDeep, &message);
        }
        match serde_json::from_str::<serde_json::Value>(variables) {
            Ok(value @ serde_json::Value::Object(_)) => {
                request = request.variables(async_graphql::Variables::from_json(value));
            }
            _ => {
                return http_error(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadUserInput,
                    "`variables` must be a JSON object",
                )
            }
        }
    }
    // Unparsable documents go on, to be answered with async-graphql's own error.
    if operation_kind(&request).is_some_and(|kind| kind != async_graphql::parser::types::OperationType::Query) {
        return post_only("only queries may be sent with GET; send mutations with POST");
    }
    run_operation(state, client, credentials, &headers, request, Transport::Get).await
}

/// The type of the operation `request` would run; None when the document does not parse or
/// does not name one operation.
fn operation_kind(request: &async_graphql::Request) -> Option<async_graphql::parser::types::OperationType> {
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    crate::graphql::operation::selected_operation(&document, request.operation_name.as_deref())
        .map(|operation| operation.node.ty)
}

/// Where a cacheable answer goes once computed.
struct CacheSlot {
    cache: Arc<ResponseCache>,
    generation: i64,
    key: response_cache::CacheKey,
    etag: HeaderValue,
}

/// Runs one operation: the cost checks, the caller's identity, the response cache.
async fn run_operation(
    state: AppState,
    client: ClientAddress,
    credentials: Credentials,
    headers: &HeaderMap,
    request: async_graphql::Request,
    transport: Transport,
) -> Response {
    let format = ResponseFormat::negotiate(headers);
    // Measured before async-graphql parses or validates anything, so costly documents are cheap
    // to refuse and no recursive walk ever meets a value nested beyond the limit.
    if let Err(rejection) = crate::graphql::cost::check_request(&request, state.cost_limits) {
        let error = async_graphql::ServerError::from(ApiError::from(rejection));
        return graphql_answer(async_graphql::Response::from_errors(vec![error]), format, Executed::No);
    }
    // A request with a token gets past the next block only if the token was good.
    let anonymous = matches!(credentials, Credentials::Anonymous);
    // Anonymous queries read only the public record: a replica may answer them and the response
    // cache may keep them. The document is parsed for that only when either is configured.
    let public_read = anonymous
        && (state.read_db.is_some() || state.response_cache.is_some())
        && operation_kind(&request) == Some(async_graphql::parser::types::OperationType::Query);
    // Writes and the signed-in, who must read what they just wrote, use the primary.
    let read_db = state.read_db.clone().filter(|_| public_read);
    let db = read_db.clone().unwrap_or_else(|| state.db.clone());
    let mut slot = None;
    if let Some(cache) = state.response_cache.clone().filter(|_| public_read) {
        match crate::db::public_generation(&db).await {
            Ok(generation) => {
                let key = cache_key(&request);
                let etag = etag(generation, &key);
                if not_modified(headers, &etag) {
                    let mut response = StatusCode::NOT_MODIFIED.into_response();
                    cache_headers(&mut response, &etag, state.cache_max_age_secs);
                    return response;
                }
                if let Some(answer) = cache.get(generation, &key) {
                    return cached_response(answer, state.cache_max_age_secs, format);
                }
                slot = Some(CacheSlot { cache, generation, key, etag });
            }
            Err(error) => tracing::warn!(%error, "reading the public generation; answering without the cache"),
        }
    }
    let mut request = request.data(Loaders::new(&db)).data(client);
    if let Some(replica) = read_db {
        // Resolvers' `ctx.db()`: request data comes before the schema's.
        request = request.data(replica);
    }
    if !anonymous {
        let principal = match credentials {
            Credentials::Verified(subject) => principal_of(&state.db, subject).await,
            Credentials::Anonymous | Credentials::Refused => Err(crate::domain::DomainError::Unauthenticated),
        };
        match principal {
            Ok(principal) => request = request.data(principal),
            // A request with a bad token is refused whole, not served as anonymous.
            Err(error) => {
                let server_error = async_graphql::ServerError::from(ApiError::from(error));
                let refused = async_graphql::Response::from_errors(vec![server_error]);
                return graphql_answer(refused, format, Executed::No);
            }
        }
    }
    if anonymous && !state.anonymous_introspection {
        request = request.disable_introspection();
    }
    let started = ExecutionStarted::default();
    let mut response = state.schema.execute(request.data(started.clone())).await;
    let executed = if started.get() { Executed::Yes } else { Executed::No };
    if started.mutation() {
        // Subscribers, here and in the other processes, read what this write committed.
        state.live.announce();
    }
    code_library_errors(&mut response);
    match slot {
        Some(slot) if response.errors.is_empty() => {
            let body = match serde_json::to_vec(&response) {
                Ok(body) => axum::body::Bytes::from(body),
                Err(error) => {
                    tracing::error!(%error, "serializing an answer");
                    return graphql_answer(response, format, executed);
                }
            };
            let answer = CachedAnswer { body, etag: slot.etag };
            slot.cache.put(slot.generation, slot.key, answer.clone());
            cached_response(answer, state.cache_max_age_secs, format)
        }
        _ => {
            let mut answer = graphql_answer(response, format, executed);
            if transport == Transport::Get {
                // Not cacheable (errors, or the cache is off): nobody should keep it.
                answer.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            answer
        }
    }
}

/// Errors raised by async-graphql itself (parse, validation, argument coercion) carry no
/// code; every error a client sees must, and those are all faults in the request.
fn code_library_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", ErrorCode::BadUserInput.as_str());
        }
    }
}

/// An answer from (or just put in) the response cache.
fn cached_response(answer: CachedAnswer, max_age_secs: u64, format: ResponseFormat) -> Response {
    let mut response = Response::new(axum::body::Body::from(answer.body));
    response.headers_mut().insert(header::CONTENT_TYPE, format.content_type());
    // The body is the same under either media type, but its Content-Type is not.
    response.headers_mut().append(header::VARY, HeaderValue::from_static("accept"));
    cache_headers(&mut response, &answer.etag, max_age_secs);
    response
}

/// The public record is the same for every anonymous caller: any cache may keep the answer,
/// and must ask again (with the ETag) once `max_age_secs` have passed.
fn cache_headers(response: &mut Response, etag: &HeaderValue, max_age_secs: u64) {
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag.clone());
    let policy = if max_age_secs == 0 {
        "public, no-cache".to_owned()
    } else {
        format!("public, max-age={max_age_secs}, must-revalidate")
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_str(&policy).expect("ASCII"));
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    let replica = match &state.read_db {
        Some(replica) => replica.ping().await,
        None => Ok(()),
    };
    match state.db.ping().await.and(replica) {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(error) => {
            tracing::warn!(%error, "database is not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let body = format!(
        "# HELP chancery_http_requests_total HTTP requests received.\n\
         # TYPE chancery_http_requests_total counter\n\
         chancery_http_requests_total {}\n\
         # HELP chancery_db_statements_total SQL statements executed.\n\
         # TYPE chancery_db_statements_total counter\n\
         chancery_db_statements_total {}\n\
         # HELP chancery_db_replica_statements_total SQL statements executed on the read replica.\n\
         # TYPE chancery_db_replica_statements_total counter\n\
         chancery_db_replica_statements_total {}\n\
         # HELP chancery_rate_limit_callers Callers the request rate limit holds state for.\n\
         # TYPE chancery_rate_limit_callers gauge\n\
         chancery_rate_limit_callers {}\n",
        state.requests.load(Ordering::Relaxed),
        state.statements.get(),
        state.replica_statements.get(),
        state.rate_limiter.tracked_callers(),
    ) + &state.api_keys.metrics()
        + &state.sockets.metrics();
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}
