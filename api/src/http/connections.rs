//! The connections under the HTTP surface: accepting them within a total and a per-address
//! cap, closing those whose headers arrive too slowly (or that sit idle), backing off when the
//! process runs out of file descriptors, closing those whose client stops taking its answer,
//! and finishing open requests on shutdown.
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::config::ServeConfig;

/// Connections at most by default, when the open-file limit leaves room for them.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Files kept for what is not a client connection (the listener, the log, the SQLite files,
/// the runtime's own), besides the database pool.
const RESERVED_FILES: u64 = 64;
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const LONGEST_BACKOFF: Duration = Duration::from_secs(1);

/// What a connection may hold and for how long.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Time to send a request's headers, and to start the next request on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Time an answer may wait on a client that takes none of it before the connection is closed.
    pub write_stall_timeout: Duration,
    pub max_connections: usize,
    /// 0: no per-address cap.
    pub max_connections_per_address: usize,
    /// Reverse proxies carry many clients' connections: the per-address cap does not apply to
    /// them (the total cap does).
    pub trusted_proxies: crate::throttling::TrustedProxies,
}

impl ConnectionLimits {
    /// The configured limits; without `--max-connections`, as many connections as the
    /// open-file limit leaves room for beside the database pool, at most `DEFAULT_MAX_CONNECTIONS`.
    pub fn new(config: &ServeConfig, database_connections: u32) -> Self {
        let open_files = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft).unwrap_or(1024);
        let room = open_files.saturating_sub(RESERVED_FILES + u64::from(database_connections)).max(1);
        let max_connections = match config.max_connections {
            Some(configured) => {
                if configured as u64 > room {
                    tracing::warn!(
                        configured,
                        open_files,
                        "--max-connections is above what the open-file limit leaves room for: \
                         accepting may fail with `Too many open files` before the cap is reached"
                    );
                }
                configured
            }
            None => DEFAULT_MAX_CONNECTIONS.min(usize::try_from(room).unwrap_or(usize::MAX)),
        };
        Self {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_secs),
            write_stall_timeout: Duration::from_secs(config.response_write_timeout_secs),
            max_connections,
            max_connections_per_address: config.max_connections_per_address,
            trusted_proxies: (&config.throttle.trusted_proxies).into(),
        }
    }
}

/// Raises the soft open-file limit to the hard one, so that the connection cap (not the
/// process's file table) is what turns clients away; logs both.
pub fn raise_open_file_limit() {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE);
    match (before, rlimit::increase_nofile_limit(u64::MAX)) {
        (Ok((soft, hard)), Ok(raised)) => {
            tracing::info!(soft_before = soft, soft = raised, hard, "open-file limit");
        }
        (before, raised) => {
            let error = raised.err().or(before.err()).map(|e| e.to_string()).unwrap_or_default();
            tracing::warn!(%error, "could not raise the open-file limit");
        }
    }
}

/// Serves `router` on the connections `listener` accepts until `stop` resolves; then stops
/// accepting, lets each connection finish the request it is serving, and returns when all
/// are closed.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()> + Send,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let open = Arc::new(OpenConnections::default());
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    // Every connection task holds a receiver: when none is left, every connection is closed.
    let (closed_tx, closed_rx) = tokio::sync::watch::channel(());
    tokio::pin!(stop);
    let mut backoff = FIRST_BACKOFF;
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff = FIRST_BACKOFF;
                    accepted
                }
                Err(error) if is_about_one_connection(&error) => continue,
                Err(error) => {
                    // Out of file descriptors (EMFILE/ENFILE) or another resource: the pending
                    // connection stays queued, so retrying at once would spin.
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "accepting a connection failed");
                    tokio::select! {
                        () = &mut stop => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(LONGEST_BACKOFF);
                    continue;
                }
            },
        };
        let Some(slot) = OpenConnections::admit(&open, peer.ip(), &limits) else {
            refuse(stream);
            continue;
        };
        let router = router.clone();
        let slot = Arc::new(slot);
        let hold = ConnectionHold { _slot: slot.clone(), stopping: stopping_rx.clone(), _closed: closed_rx.clone() };
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(hold.clone());
            router.clone().oneshot(request)
        });
        let stream = WriteStallLimit { inner: stream, limit: limits.write_stall_timeout, stalled: None };
        // With upgrades, a WebSocket's connection task ends at the handshake: the socket's own
        // task then holds the connection's slot and the shutdown signal (`ConnectionHold`).
        let connection = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut stopping = stopping_rx.clone();
        let closed = closed_rx.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = async { stopping.wait_for(|stopping| *stopping).await.map(|_| ()) } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop((slot, closed));
        });
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    drop(closed_rx);
    closed_tx.closed().await;
}

/// What a connection holds while it is open, given to each of its requests: a request that
/// takes the connection over (a WebSocket) keeps it, so that the connection still counts
/// against the caps, learns when the server stops, and is waited for on shutdown.
#[derive(Clone)]
pub struct ConnectionHold {
    _slot: Arc<Slot>,
    stopping: tokio::sync::watch::Receiver<bool>,
    _closed: tokio::sync::watch::Receiver<()>,
}

impl ConnectionHold {
    /// Resolves when the server begins to shut down.
    pub async fn stopping(&mut self) {
        if self.stopping.wait_for(|stopping| *stopping).await.is_err() {
            // The server's loop is gone without a signal: it is stopping too.
        }
    }
}

/// A connection whose client stops taking the answer (its receive window stays shut) is
/// closed once no byte could be written for `limit`, so a reader that never reads holds its
/// connection, its answer's memory and its slot for a bounded time. Any progress restarts
/// the clock: a slow reader is not cut off, a stopped one is.
struct WriteStallLimit<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteStallLimit<S> {
    fn progress<T>(&mut self, poll: Poll<std::io::Result<T>>, cx: &mut Context<'_>) -> Poll<std::io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took none of the answer within the write timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStallLimit<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStallLimit<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progress(poll, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progress(poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.progress(poll, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.progress(poll, cx)
    }
}

/// Errors that concern the one connection being accepted, not the listener.
fn is_about_one_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(error.kind(), ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset)
}

/// A connection over a cap is told so (if its socket takes the bytes at once) and closed,
/// before anything of it is read.
fn refuse(stream: TcpStream) {
    static TOO_MANY_CONNECTIONS: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let body = crate::error_code::error_body(
            crate::error_code::ErrorCode::TooManyConnections,
            "too many connections; retry shortly",
            &[],
        );
        format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
             connection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    });
    let _ = stream.try_write(&TOO_MANY_CONNECTIONS);
}

/// The connections open now, in total and by client.
#[derive(Debug, Default)]
struct OpenConnections {
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    open: OpenCounts,
    last_warned: Option<std::time::Instant>,
}

/// How many of something (connections, WebSockets) are open, in all and per client.
#[derive(Debug, Default)]
pub struct OpenCounts {
    pub total: usize,
    by_client: HashMap<IpAddr, usize>,
}

impl OpenCounts {
    /// How many `client` holds.
    pub fn of(&self, client: IpAddr) -> usize {
        self.by_client.get(&client).copied().unwrap_or(0)
    }

    pub fn add(&mut self, client: IpAddr) {
        self.total += 1;
        *self.by_client.entry(client).or_insert(0) += 1;
    }

    pub fn remove(&mut self, client: IpAddr) {
        self.total -= 1;
        if let Some(count) = self.by_client.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                self.by_client.remove(&client);
            }
        }
    }
}

impl OpenConnections {
    /// A slot for a connection from `address`, or `None` when a cap is reached.
    fn admit(open: &Arc<Self>, address: IpAddr, limits: &ConnectionLimits) -> Option<Slot> {
        let client = client_of(address);
        let mut counts = open.counts.lock().unwrap_or_else(|e| e.into_inner());
        let from_client = counts.open.of(client);
        let over_total = counts.open.total >= limits.max_connections;
        let over_client = limits.max_connections_per_address > 0
            && from_client >= limits.max_connections_per_address
            && !limits.trusted_proxies.contains(address.to_canonical());
        if over_total || over_client {
            // One line a second at most: a flood of refusals must not flood the log.
            let now = std::time::Instant::now();
            if counts.last_warned.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
                counts.last_warned = Some(now);
                let cap = if over_total { "--max-connections" } else { "--max-connections-per-address" };
                tracing::warn!(%client, open = counts.open.total, from_client, cap, "refusing connections over a cap");
            }
            return None;
        }
        counts.open.add(client);
        Some(Slot { open: open.clone(), client })
    }
}

/// One open connection's place in the counts, given back when the connection ends.
struct Slot {
    open: Arc<OpenConnections>,
    client: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.counts.lock().unwrap_or_else(|e| e.into_inner()).open.remove(self.client);
    }
}

/// The client an address stands for: an IPv6 client has a /64 to itself, so the /64 counts as one.
pub(crate) fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_a_mapped_ipv4_address_is_itself() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_ne!(client_of(a), client_of(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_of(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
