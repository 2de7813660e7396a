//! GraphQL subscriptions over WebSocket on `/graphql`, speaking `graphql-transport-ws` (the
//! protocol of the `graphql-ws` JavaScript client). The protocol is implemented here rather
//! than through async-graphql's adapter because the server must bound what each client holds:
//!
//! - the caller is named by the token in `connection_init` (a bad, expired or revoked token
//!   closes the socket with 4403, and so does its expiry or revocation later on);
//! - WebSockets per client address and in all, and subscriptions per socket, are capped;
//! - the server pings; a peer silent for the idle timeout is closed (3008);
//! - messages wait for the client in a bounded buffer: a client that leaves it full (it does
//!   not read) is closed with 1008 rather than let the server's memory grow, while one that
//!   reads slowly only slows its subscriptions down;
//! - each subscription counts against the caller's request rate;
//! - on shutdown every socket is closed with 1001 within the grace period.
//!
//! Only subscriptions run here: queries and mutations go through POST, where admission, rate
//! limits and idempotency apply.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connections::{ConnectionHold, OpenCounts};
use super::{http_error, AppState};
use crate::auth::tokens::TokenSubject;
use crate::config::SubscriptionConfig;
use crate::domain::account::principal::principal_of;
use crate::domain::account::Principal;
use crate::error_code::ErrorCode;
use crate::graphql::error::{over_limit, ApiError};
use crate::graphql::loaders::Loaders;
use crate::throttling::{Caller, ClientAddress};

/// The subprotocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// Close codes (graphql-transport-ws's 44xx, and the WebSocket standard's).
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const IDLE: u16 = 3008;
    pub const BAD_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// Largest message a client may send, in bytes: a subscribe message is a query and its variables.
const MAX_CLIENT_MESSAGE_BYTES: usize = 256 * 1024;

/// Protocol messages (acks, pongs, pings, refusals) waiting for the client: it sends them one
/// for one of its own, so only a client that does not read fills this.
const CONTROL_BUFFER: usize = 64;

/// How long the socket's writer may take to send what is queued and the close frame.
const CLOSE_FLUSH: Duration = Duration::from_secs(10);

/// The open WebSockets, per client address and in all.
#[derive(Default)]
pub struct OpenSockets {
    counts: Mutex<OpenCounts>,
    /// Sockets closed because their client left its buffer full (1008).
    unread_closes: std::sync::atomic::AtomicU64,
}

/// One socket's place in `OpenSockets`, given back when it closes.
struct SocketSlot {
    open: Arc<OpenSockets>,
    client: IpAddr,
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.open.counts.lock().unwrap_or_else(|e| e.into_inner()).remove(self.client);
    }
}

impl OpenSockets {
    /// The sockets' lines of `/metrics`.
    pub fn metrics(&self) -> String {
        let open = self.counts.lock().unwrap_or_else(|e| e.into_inner()).total;
        format!(
            "# HELP chancery_websockets_open Open WebSockets (subscriptions).\n\
             # TYPE chancery_websockets_open gauge\n\
             chancery_websockets_open {open}\n\
             # HELP chancery_websockets_unread_closes_total WebSockets closed because their client left its buffer full.\n\
             # TYPE chancery_websockets_unread_closes_total counter\n\
             chancery_websockets_unread_closes_total {}\n",
            self.unread_closes.load(std::sync::atomic::Ordering::Relaxed)
        )
    }

    /// A place for a socket of `address` (an IPv6 /64 counts as one client), or why there is none.
    fn admit(open: &Arc<Self>, address: IpAddr, limits: &SubscriptionConfig) -> Result<SocketSlot, &'static str> {
        let client = super::connections::client_of(address);
        let mut counts = open.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.total >= limits.max_websockets {
            return Err("the server holds as many WebSockets as it may; retry later");
        }
        if limits.max_websockets_per_address > 0 && counts.of(client) >= limits.max_websockets_per_address {
            return Err("this address holds as many WebSockets as it may; close one first");
        }
        counts.add(client);
        Ok(SocketSlot { open: open.clone(), client })
    }
}

/// GET /graphql with `Upgrade: websocket`: admits the socket and hands it to `serve_socket`.
pub fn upgrade(
    state: AppState,
    client: ClientAddress,
    hold: Option<ConnectionHold>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let slot = match OpenSockets::admit(&state.sockets, client.0, &state.subscriptions) {
        Ok(slot) => slot,
        Err(message) => {
            return http_error(axum::http::StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyConnections, message)
        }
    };
    let upgrade = upgrade.protocols([PROTOCOL]);
    let offered = upgrade.selected_protocol().is_some();
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            serve_socket(socket, state, client, hold, offered).await;
        })
        .into_response()
}

/// Why the socket closes.
struct Closing {
    code: u16,
    reason: String,
}

impl Closing {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Self { code, reason: reason.into() }
    }
}

/// The caller a socket acts as, once `connection_init` named one.
struct SignedIn {
    principal: Principal,
    subject: TokenSubject,
    /// When the token expires (seconds since the epoch).
    expires_at: Option<i64>,
}

/// What the socket's tasks tell its main loop.
enum Signal {
    /// A subscription finished (its `complete` or `error` is queued).
    Finished(String),
    /// The outgoing buffer was full.
    Overflow,
}

async fn serve_socket(
    socket: WebSocket,
    state: AppState,
    client: ClientAddress,
    mut hold: Option<ConnectionHold>,
    subprotocol_agreed: bool,
) {
    let limits = state.subscriptions.clone();
    let (sink, mut incoming) = socket.split();
    // Events wait in `out`, bounded by the buffer flag; the protocol's own answers (ack, pong,
    // ping, refusals) in `control`, which the writer sends first, so that a client busy reading a
    // backlog still gets its pongs and pings on time.
    let (out, queued) = mpsc::channel::<Message>(limits.buffer.max(1));
    let (control, controls) = mpsc::channel::<Message>(CONTROL_BUFFER);
    let (close_tx, close_rx) = tokio::sync::oneshot::channel::<Closing>();
    let writer = tokio::spawn(write_out(sink, controls, queued, close_rx));
    let stall = Duration::from_secs(limits.stall_secs.max(1));
    let rated_as = |signed_in: &Option<Option<SignedIn>>| match signed_in {
        Some(Some(signed_in)) => Caller::of_subject(&signed_in.subject),
        _ => Caller::of_address(client),
    };
    let (signals_tx, mut signals) = mpsc::unbounded_channel::<Signal>();
    let mut subscriptions: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut signed_in: Option<Option<SignedIn>> = None;
    let started = Instant::now();
    let mut last_heard = Instant::now();
    let mut ping = tokio::time::interval(Duration::from_secs(limits.ping_secs.max(1)));
    ping.tick().await;
    let init_deadline = started + Duration::from_secs(limits.init_timeout_secs);
    let idle_timeout = Duration::from_secs(limits.idle_timeout_secs.max(1));

    let closing = 'socket: {
        if !subprotocol_agreed {
            break 'socket Closing::new(close::SUBPROTOCOL, format!("Subprotocol not acceptable: offer {PROTOCOL}"));
        }
        loop {
            let expiry = signed_in.as_ref().and_then(|s| s.as_ref()).and_then(|s| s.expires_at);
            tokio::select! {
                message = incoming.next() => {
                    let Some(Ok(message)) = message else { break 'socket Closing::new(1000, "") };
                    last_heard = Instant::now();
                    let text = match message {
                        Message::Text(text) => text,
                        Message::Binary(_) => break 'socket Closing::new(close::BAD_MESSAGE, "messages are JSON text"),
                        Message::Close(_) => break 'socket Closing::new(1000, ""),
                        Message::Ping(_) | Message::Pong(_) => continue,
                    };
                    let message: Value = match serde_json::from_str(text.as_str()) {
                        Ok(value @ Value::Object(_)) => value,
                        _ => break 'socket Closing::new(close::BAD_MESSAGE, "Invalid message received: not a JSON object"),
                    };
                    match message["type"].as_str() {
                        Some("connection_init") => {
                            if signed_in.is_some() {
                                break 'socket Closing::new(close::TOO_MANY_INITS, "Too many initialisation requests");
                            }
                            match sign_in(&state, &message["payload"]).await {
                                Ok(caller) => {
                                    signed_in = Some(caller);
                                    if !queue(&control, &signals_tx, json!({"type": "connection_ack"})) {
                                        break 'socket overflowed(&limits);
                                    }
                                }
                                Err(reason) => break 'socket Closing::new(close::FORBIDDEN, format!("Forbidden: {reason}")),
                            }
                        }
                        Some("ping") => {
                            if !queue(&control, &signals_tx, json!({"type": "pong"})) {
                                break 'socket overflowed(&limits);
                            }
                        }
                        Some("pong") => {}
                        Some("subscribe") => {
                            if signed_in.is_none() {
                                break 'socket Closing::new(close::UNAUTHORIZED, "Unauthorized: send connection_init first");
                            }
                            let Some(id) = message["id"].as_str().filter(|id| !id.is_empty()).map(str::to_owned) else {
                                break 'socket Closing::new(close::BAD_MESSAGE, "Invalid message received: subscribe needs an `id`");
                            };
                            // A subscription that has ended (its `complete` is on its way) frees its
                            // id and its place at once, even before its task's signal is read.
                            subscriptions.retain(|_, task| !task.is_finished());
                            if subscriptions.contains_key(&id) {
                                break 'socket Closing::new(close::DUPLICATE_ID, format!("Subscriber for {id} already exists"));
                            }
                            if subscriptions.len() >= limits.max_subscriptions_per_connection {
                                let error = over_limit(
                                    ErrorCode::TooManySubscriptions,
                                    &format!("this WebSocket already holds {} subscriptions, the most it may; complete one first", limits.max_subscriptions_per_connection),
                                );
                                if !queue(&control, &signals_tx, json!({"id": id, "type": "error", "payload": [error]})) {
                                    break 'socket overflowed(&limits);
                                }
                                continue;
                            }
                            // Each subscription counts against the caller's rate, like a request.
                            if let Err(retry_after) = state.rate_limiter.admit(&rated_as(&signed_in)) {
                                let error = over_limit(ErrorCode::RateLimited, &format!("too many requests; retry in {retry_after} s"));
                                if !queue(&control, &signals_tx, json!({"id": id, "type": "error", "payload": [error]})) {
                                    break 'socket overflowed(&limits);
                                }
                                continue;
                            }
                            let caller = signed_in.as_ref().and_then(Option::as_ref);
                            let request = match operation_of(&state, &message["payload"], caller, client) {
                                Ok(request) => request,
                                Err(errors) => {
                                    if !queue(&control, &signals_tx, json!({"id": id, "type": "error", "payload": errors})) {
                                        break 'socket overflowed(&limits);
                                    }
                                    continue;
                                }
                            };
                            let sender = Outgoing { out: out.clone(), signals: signals_tx.clone(), stall };
                            let task = tokio::spawn(run_subscription(state.clone(), id.clone(), request, sender));
                            subscriptions.insert(id, task);
                        }
                        Some("complete") => {
                            if let Some(task) = message["id"].as_str().and_then(|id| subscriptions.remove(id)) {
                                task.abort();
                            }
                        }
                        _ => break 'socket Closing::new(close::BAD_MESSAGE, "Invalid message received: unknown `type`"),
                    }
                }
                Some(signal) = signals.recv() => match signal {
                    Signal::Finished(id) => {
                        subscriptions.remove(&id);
                    }
                    Signal::Overflow => break 'socket overflowed(&limits),
                },
                _ = ping.tick() => {
                    if last_heard.elapsed() >= idle_timeout {
                        break 'socket Closing::new(close::IDLE, format!("no message or pong for {} s", idle_timeout.as_secs()));
                    }
                    if signed_in.is_none() && Instant::now() >= init_deadline {
                        break 'socket Closing::new(close::INIT_TIMEOUT, "Connection initialisation timeout");
                    }
                    if let Some(Some(caller)) = &signed_in {
                        // A revoked token or a deactivated account ends the socket too.
                        if principal_of(&state.db, caller.subject.clone()).await.is_err() {
                            break 'socket Closing::new(close::FORBIDDEN, "Forbidden: the token was revoked");
                        }
                    }
                    if !queue(&control, &signals_tx, json!({"type": "ping"})) {
                        break 'socket overflowed(&limits);
                    }
                }
                () = tokio::time::sleep_until(init_deadline.into()), if signed_in.is_none() => {
                    break 'socket Closing::new(close::INIT_TIMEOUT, "Connection initialisation timeout");
                }
                () = sleep_until_epoch(expiry), if expiry.is_some() => {
                    break 'socket Closing::new(close::FORBIDDEN, "Forbidden: the token expired");
                }
                () = async {
                    match &mut hold {
                        Some(hold) => hold.stopping().await,
                        None => std::future::pending().await,
                    }
                } => break 'socket Closing::new(close::GOING_AWAY, "the server is shutting down"),
            }
        }
    };
    for (_, task) in subscriptions.drain() {
        task.abort();
    }
    if closing.code == close::POLICY {
        state.sockets.unread_closes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(client = %client, "closing a WebSocket whose client does not read");
    }
    drop((out, control));
    let _ = close_tx.send(closing);
    // The writer finishes its frame and sends the close frame, or gives up after `CLOSE_FLUSH`.
    let _ = tokio::time::timeout(CLOSE_FLUSH * 3, writer).await;
}

fn overflowed(limits: &SubscriptionConfig) -> Closing {
    Closing::new(
        close::POLICY,
        format!("the client left {} messages unread for {} s", limits.buffer, limits.stall_secs),
    )
}

/// Where a subscription's messages go: they wait up to `stall` for room in the socket's buffer,
/// so that a client reading a burst (a catch-up) slows its subscriptions down instead of
/// losing them; one whose buffer stays full that long does not read, and is closed.
struct Outgoing {
    out: mpsc::Sender<Message>,
    signals: mpsc::UnboundedSender<Signal>,
    stall: Duration,
}

impl Outgoing {
    /// Queues `message`; false (and the main loop told) when the buffer stayed full.
    async fn send(&self, message: Value) -> bool {
        match self.out.send_timeout(Message::Text(Utf8Bytes::from(message.to_string())), self.stall).await {
            Ok(()) => true,
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                let _ = self.signals.send(Signal::Overflow);
                false
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => false,
        }
    }
}

/// Queues one of the protocol's own messages; false (and the main loop told) when even the
/// control buffer is full: the client sends pings or subscriptions without reading the answers.
fn queue(out: &mpsc::Sender<Message>, signals: &mpsc::UnboundedSender<Signal>, message: Value) -> bool {
    match out.try_send(Message::Text(Utf8Bytes::from(message.to_string()))) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            let _ = signals.send(Signal::Overflow);
            false
        }
        // The socket is closing.
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// Sends what is queued until the main loop asks it to close; it then leaves the rest (a client
/// that let the buffer fill would not read it anyway) and sends the close frame, giving up after
/// `CLOSE_FLUSH`: a client that does not read at all gets its connection dropped instead.
async fn write_out(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut controls: mpsc::Receiver<Message>,
    mut queued: mpsc::Receiver<Message>,
    mut close: tokio::sync::oneshot::Receiver<Closing>,
) {
    let closing = loop {
        let message = tokio::select! {
            biased;
            closing = &mut close => break closing.ok(),
            Some(message) = controls.recv() => message,
            message = queued.recv() => match message {
                Some(message) => message,
                None => break (&mut close).await.ok(),
            },
        };
        let mut sending = sink.send(message);
        tokio::select! {
            sent = &mut sending => if sent.is_err() { return },
            // A frame half sent stays in the WebSocket's own buffer: it goes out before the close.
            closing = &mut close => break closing.ok(),
        }
    };
    let frame = closing.map(|Closing { code, reason }| CloseFrame { code, reason: Utf8Bytes::from(reason) });
    let _ = tokio::time::timeout(CLOSE_FLUSH, async {
        let _ = sink.send(Message::Close(frame)).await;
        let _ = sink.close().await;
    })
    .await;
}

async fn sleep_until_epoch(at: Option<i64>) {
    let Some(at) = at else { return std::future::pending().await };
    let now = chrono::Utc::now().timestamp();
    tokio::time::sleep(Duration::from_secs(at.saturating_sub(now).max(0) as u64)).await;
}

/// The caller named by `connection_init`'s payload: `{"authorization": "Bearer <token>"}`
/// (or `Authorization`, or `token`), or anonymous without one. Err says why a token is refused.
async fn sign_in(state: &AppState, payload: &Value) -> Result<Option<SignedIn>, String> {
    let token = ["authorization", "Authorization", "token"].iter().find_map(|key| payload.get(*key));
    let Some(token) = token else { return Ok(None) };
    let Some(token) = token.as_str() else { return Err("the token must be a string".into()) };
    let token = match token.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        Some(_) => return Err("not a bearer token".into()),
        None => token.trim(),
    };
    let subject = state.tokens.validate(token).map_err(|rejected| {
        tracing::info!(reason = %rejected, "WebSocket token rejected");
        "the token is invalid or expired".to_owned()
    })?;
    let principal = principal_of(&state.db, subject.clone())
        .await
        .map_err(|_| "the token's account is unknown, deactivated or signed out".to_owned())?;
    Ok(Some(SignedIn { principal, subject, expires_at: crate::auth::tokens::expiry_of(token) }))
}

/// The GraphQL request of a `subscribe` message, with the caller's data, once its cost and its
/// operation type are checked; else the errors to send.
fn operation_of(
    state: &AppState,
    payload: &Value,
    caller: Option<&SignedIn>,
    client: ClientAddress,
) -> Result<async_graphql::Request, Vec<async_graphql::ServerError>> {
    let refuse = |code: ErrorCode, message: &str| vec![over_limit(code, message)];
    let request: async_graphql::Request = serde_json::from_value(payload.clone()).map_err(|_| {
        refuse(ErrorCode::BadRequest, "the payload must be a GraphQL request: {\"query\": \"subscription …\"}")
    })?;
    crate::graphql::cost::check_request(&request, state.cost_limits)
        .map_err(|rejection| vec![async_graphql::ServerError::from(ApiError::from(rejection))])?;
    // A document that does not parse goes on, to be answered by async-graphql's own error.
    if super::operation_kind(&request).is_some_and(|kind| kind != OperationType::Subscription) {
        return Err(refuse(
            ErrorCode::BadRequest,
            "only subscriptions are served over WebSocket; send queries and mutations with POST /graphql",
        ));
    }
    let mut request = request.data(Loaders::uncached(&state.db)).data(client);
    match caller {
        Some(caller) => request = request.data(caller.principal.clone()),
        None if !state.anonymous_introspection => request = request.disable_introspection(),
        None => {}
    }
    Ok(request)
}

/// Runs one subscription, queueing a `next` per event and a `complete` at its end; a refusal
/// before the first event is sent as `error`, which ends it.
async fn run_subscription(state: AppState, id: String, request: async_graphql::Request, outgoing: Outgoing) {
    let mut responses = state.schema.execute_stream(request);
    let mut first = true;
    let mut ended_with_error = false;
    while let Some(mut response) = responses.next().await {
        super::code_library_errors(&mut response);
        let refused = first && response.data == async_graphql::Value::Null && !response.errors.is_empty();
        first = false;
        let message = if refused {
            ended_with_error = true;
            json!({"id": id, "type": "error", "payload": response.errors})
        } else {
            json!({"id": id, "type": "next", "payload": response})
        };
        if !outgoing.send(message).await {
            return;
        }
        if refused {
            break;
        }
    }
    if !ended_with_error && !outgoing.send(json!({"id": id, "type": "complete"})).await {
        return;
    }
    let _ = outgoing.signals.send(Signal::Finished(id));
}
