//! Reading a request's body before the request is admitted: a client that sends its body
//! slowly holds a connection, never a place among the requests in flight, and is cut off once
//! it falls behind the deadline or the minimum rate.
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use tokio::time::Instant;

use crate::config::ServeConfig;
use crate::error_code::ErrorCode;

/// How long the rate is not judged: a client's first segments may be small or delayed by the
/// network's slow start without the client being slow.
const RATE_GRACE: Duration = Duration::from_secs(1);

/// How quickly a body must arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    /// The whole body must have arrived within this.
    pub timeout: Duration,
    /// After `RATE_GRACE`, the body must have arrived at this average rate at least (0: no minimum).
    pub min_bytes_per_sec: u64,
}

impl BodyDeadline {
    pub fn new(config: &ServeConfig) -> Self {
        Self {
            timeout: Duration::from_secs(config.body_read_timeout_secs),
            min_bytes_per_sec: config.body_min_bytes_per_sec,
        }
    }

    /// When the next bytes are due, `received` bytes into a body begun at `started`.
    fn next_due(&self, started: Instant, received: usize) -> Instant {
        let whole = started + self.timeout;
        if self.min_bytes_per_sec == 0 {
            return whole;
        }
        let earned = Duration::from_secs_f64(received as f64 / self.min_bytes_per_sec as f64);
        whole.min(started + RATE_GRACE + earned)
    }
}

enum ReadError {
    TooSlow,
    /// Past the body limit, or broken off by the client.
    Failed(axum::Error),
}

/// Buffers the whole body under the deadline and passes the request on with it; the body limit
/// (a layer outside this one) still answers 413.
pub(super) async fn read_in_time(State(deadline): State<BodyDeadline>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match read(body, deadline).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(ReadError::Failed(error)) => super::unreadable_body(&error),
        Err(ReadError::TooSlow) => {
            let message = format!(
                "the request body arrived too slowly: it must arrive within {} s, at {} bytes/s at least",
                deadline.timeout.as_secs(),
                deadline.min_bytes_per_sec
            );
            let mut response = super::http_error(StatusCode::REQUEST_TIMEOUT, ErrorCode::BodyTimeout, &message);
            // The rest of the body is not worth waiting for: the connection is done.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

async fn read(mut body: Body, deadline: BodyDeadline) -> Result<Vec<u8>, ReadError> {
    let started = Instant::now();
    let mut bytes = Vec::new();
    loop {
        let frame = tokio::time::timeout_at(deadline.next_due(started, bytes.len()), body.frame()).await;
        match frame {
            Err(_elapsed) => {
                tracing::info!(received = bytes.len(), "request body arrived too slowly");
                return Err(ReadError::TooSlow);
            }
            Ok(None) => return Ok(bytes),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            Ok(Some(Err(error))) => return Err(ReadError::Failed(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_due_by_the_minimum_rate_after_the_grace_and_never_past_the_timeout() {
        let deadline = BodyDeadline { timeout: Duration::from_secs(10), min_bytes_per_sec: 1000 };
        let started = Instant::now();
        assert_eq!(deadline.next_due(started, 0), started + RATE_GRACE);
        assert_eq!(deadline.next_due(started, 2000), started + RATE_GRACE + Duration::from_secs(2));
        assert_eq!(deadline.next_due(started, 60_000), started + Duration::from_secs(10));
        let no_rate = BodyDeadline { min_bytes_per_sec: 0, ..deadline };
        assert_eq!(no_rate.next_due(started, 0), started + Duration::from_secs(10));
    }
}
