//! A client of GraphQL subscriptions speaking `graphql-transport-ws` over a real WebSocket, as
//! the `graphql-ws` JavaScript client does: what the subscription tests drive the server with.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Longest wait for a message the test expects: only a guard against a hung test.
const PATIENCE: Duration = Duration::from_secs(30);

/// What the server said last: a protocol message, or the close of the socket.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    Closed { code: u16, reason: String },
}

/// One WebSocket to `/graphql`.
pub struct GraphqlWs {
    stream: WebSocketStream<TcpStream>,
    /// Whether to answer the server's pings (a dead client does not).
    pub answer_pings: bool,
}

impl GraphqlWs {
    /// Opens a socket to the server at `base_url` (http://host:port) offering `protocol`.
    pub async fn open(base_url: &str, protocol: Option<&str>) -> Result<Self, String> {
        Self::open_on(base_url, protocol, None).await
    }

    /// `open`, with the client's receive buffer set to `receive_buffer` bytes (a slow reader).
    pub async fn open_on(base_url: &str, protocol: Option<&str>, receive_buffer: Option<u32>) -> Result<Self, String> {
        let address = base_url.trim_start_matches("http://");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(size) = receive_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        let tcp = socket.connect(address.parse().unwrap()).await.map_err(|e| e.to_string())?;
        let mut request = format!("ws://{address}/graphql").into_client_request().unwrap();
        if let Some(protocol) = protocol {
            request.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::client_async(request, tcp).await.map_err(|e| e.to_string())?;
        Ok(Self { stream, answer_pings: true })
    }

    /// Opens a socket speaking graphql-transport-ws and sends `connection_init` with `payload`;
    /// panics unless the server acknowledges.
    pub async fn connect(base_url: &str, payload: Value) -> Self {
        let mut socket = Self::open(base_url, Some("graphql-transport-ws")).await.expect("the handshake succeeds");
        socket.send(json!({"type": "connection_init", "payload": payload})).await;
        let ack = socket.message().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }

    /// `connect` as the holder of `token`.
    pub async fn connect_as(base_url: &str, token: &str) -> Self {
        Self::connect(base_url, json!({"authorization": format!("Bearer {token}")})).await
    }

    pub async fn send(&mut self, message: Value) {
        self.stream.send(Message::Text(message.to_string().into())).await.expect("the socket takes the message");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.expect("the socket takes the message");
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}})).await;
    }

    /// The next protocol message or the close; protocol pings are answered (when
    /// `answer_pings`) and skipped.
    pub async fn receive(&mut self) -> Received {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("the server said something within the test's patience");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(text.as_str()).expect("JSON text");
                    if message["type"] == "ping" {
                        if self.answer_pings {
                            self.send(json!({"type": "pong"})).await;
                        }
                        continue;
                    }
                    return Received::Message(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()));
                    return Received::Closed { code, reason };
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Received::Closed { code: 1006, reason: error.to_string() },
                None => return Received::Closed { code: 1006, reason: "the connection ended".into() },
            }
        }
    }

    /// The next protocol message; panics on a close.
    pub async fn message(&mut self) -> Value {
        match self.receive().await {
            Received::Message(message) => message,
            Received::Closed { code, reason } => panic!("the socket closed ({code}: {reason})"),
        }
    }

    /// The next `next` payload of subscription `id`, skipping other subscriptions' messages.
    pub async fn next_of(&mut self, id: &str) -> Value {
        loop {
            let message = self.message().await;
            if message["id"] != id {
                continue;
            }
            assert_eq!(message["type"], "next", "{message}");
            return message["payload"].clone();
        }
    }

    /// The close code and reason; panics if a message comes first, except those `skip` allows.
    pub async fn closed(&mut self, skip: impl Fn(&Value) -> bool) -> (u16, String) {
        let started = std::time::Instant::now();
        loop {
            // The server's pings would otherwise keep a socket that never closes waiting forever.
            assert!(started.elapsed() < PATIENCE * 4, "the socket did not close");
            match self.receive().await {
                Received::Closed { code, reason } => return (code, reason),
                Received::Message(message) if skip(&message) => continue,
                Received::Message(message) => panic!("expected the socket to close, got {message}"),
            }
        }
    }

    /// Closes the socket normally.
    pub async fn close(mut self) {
        let _ = self
            .stream
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }
}
