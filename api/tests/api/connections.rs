//! Connections: a client that sends its body or its headers slowly, or opens more connections
//! than its share, ties up a connection of its own at most, and only for a bounded time —
//! never a place among the requests in flight, and never the server for other clients.
//! The transport does not depend on the backend: these run on SQLite.
use crate::support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{Backend, TestApp};
use chancery::config::ServeConfig;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The attacker's address; loopback answers all of 127/8, so others are other clients.
const ATTACKER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const OTHER_CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// How long a test waits for something the server must do in about a second or two: long
/// enough for a loaded machine, far shorter than anything the server waits for by default.
const BOUND: Duration = Duration::from_secs(15);

fn server_address(app: &TestApp) -> SocketAddr {
    app.base_url.trim_start_matches("http://").parse().unwrap()
}

async fn connect_from(from: Ipv4Addr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    socket.connect(server).await
}

/// Headers of a GraphQL POST announcing a body of `length` bytes.
fn post_headers(length: usize) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nHost: chancery\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Everything the server sends until it closes the connection; `None` if it is still open
/// after `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let read_all = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read_all).await.ok().map(|()| received)
}

/// The status and the error code of a raw HTTP answer.
fn status_and_code(answer: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    let code = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["errors"][0]["extensions"]["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, code)
}

/// A client on another address.
fn other_client() -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::V4(OTHER_CLIENT)).timeout(BOUND).build().unwrap()
}

/// Whether the other client's GraphQL request is served (HTTP 200 with data).
async fn probe(app: &TestApp, client: &reqwest::Client) -> Result<(), String> {
    let response = client
        .post(format!("{}/graphql", app.base_url))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .map_err(|error| format!("no answer: {error}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    if status == 200 && body["data"]["__typename"] == "Query" {
        Ok(())
    } else {
        Err(format!("{status} {}", body["errors"][0]["extensions"]["code"]))
    }
}

/// What the attacker's connections met.
#[derive(Default)]
struct Outcomes {
    opened: AtomicUsize,
    refused_at_once: AtomicUsize,
    body_timeouts: AtomicUsize,
    overloaded: AtomicUsize,
    other: AtomicUsize,
}

/// One attacking connection after another from `ATTACKER`: headers announcing 4,000 bytes,
/// then one body byte every two seconds, until the server answers or closes; then again.
async fn slow_body_attacker(server: SocketAddr, stop: Arc<AtomicBool>, outcomes: Arc<Outcomes>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = connect_from(ATTACKER, server).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        outcomes.opened.fetch_add(1, Ordering::Relaxed);
        let mut request = post_headers(4000).into_bytes();
        request.push(b'{');
        let opened = Instant::now();
        if stream.write_all(&request).await.is_ok() {
            let mut answer = Vec::new();
            let mut buffer = [0u8; 1024];
            while !stop.load(Ordering::Relaxed) {
                tokio::select! {
                    read = stream.read(&mut buffer) => match read {
                        Ok(n) if n > 0 => answer.extend_from_slice(&buffer[..n]),
                        _ => break,
                    },
                    () = tokio::time::sleep(Duration::from_secs(2)) => {
                        if stream.write_all(b" ").await.is_err() {
                            break;
                        }
                    }
                }
            }
            let counter = match status_and_code(&answer) {
                (503, code) if code == "TOO_MANY_CONNECTIONS" => &outcomes.refused_at_once,
                (408, _) => &outcomes.body_timeouts,
                (503, code) if code == "OVERLOADED" => &outcomes.overloaded,
                _ if answer.is_empty() && opened.elapsed() < Duration::from_millis(500) => &outcomes.refused_at_once,
                _ => &outcomes.other,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_from_one_address_do_not_keep_another_address_from_being_served() {
    let serve = ServeConfig { max_in_flight: 8, ..ServeConfig::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let server = server_address(&app);
    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Outcomes::default());
    let attackers: Vec<_> =
        (0..300).map(|_| tokio::spawn(slow_body_attacker(server, stop.clone(), outcomes.clone()))).collect();
    // Let every attacker open its connection and send its headers.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let client = other_client();
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let sent = Instant::now();
        if let Err(failure) = probe(&app, &client).await {
            failures.push(failure);
        }
        slowest = slowest.max(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        let _ = tokio::time::timeout(BOUND, attacker).await;
    }
    eprintln!(
        "slow-body attack: {} connections opened, {} refused at once, {} answered BODY_TIMEOUT, {} OVERLOADED, {} other; \
         {} of 20 probes failed, the slowest answered in {} ms",
        outcomes.opened.load(Ordering::Relaxed),
        outcomes.refused_at_once.load(Ordering::Relaxed),
        outcomes.body_timeouts.load(Ordering::Relaxed),
        outcomes.overloaded.load(Ordering::Relaxed),
        outcomes.other.load(Ordering::Relaxed),
        failures.len(),
        slowest.as_millis(),
    );
    assert!(failures.is_empty(), "every probe from another address is served: {failures:?}");
    assert!(
        outcomes.refused_at_once.load(Ordering::Relaxed) > 0,
        "the attacker's connections over its cap are refused"
    );
    assert!(outcomes.body_timeouts.load(Ordering::Relaxed) > 0, "the attacker's slow bodies are cut off");
}

/// Sends the headers and `sent` bytes of a body announced as `length` bytes, then nothing.
async fn stall_a_body(app: &TestApp, length: usize, sent: usize) -> TcpStream {
    let mut stream = connect_from(ATTACKER, server_address(app)).await.unwrap();
    let mut request = post_headers(length).into_bytes();
    request.extend(std::iter::repeat_n(b' ', sent));
    stream.write_all(&request).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_holds_no_place_in_flight_and_is_answered_408_body_timeout_at_its_deadline() {
    let serve = ServeConfig {
        max_in_flight: 1,
        body_read_timeout_secs: 2,
        body_min_bytes_per_sec: 0,
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let mut stalled = stall_a_body(&app, 100, 10).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(probe(&app, &other_client()).await, Ok(()), "the one place in flight is free while the body stalls");
    let started = Instant::now();
    let answer = read_until_closed(&mut stalled, BOUND).await.expect("the server gives up on the body");
    assert_eq!(status_and_code(&answer), (408, "BODY_TIMEOUT".to_owned()), "{}", String::from_utf8_lossy(&answer));
    eprintln!("a stalled body was answered after {:.2} s", started.elapsed().as_secs_f64() + 0.3);
    assert_eq!(probe(&app, &other_client()).await, Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_below_the_minimum_rate_is_cut_off_long_before_its_deadline() {
    let serve = ServeConfig {
        body_read_timeout_secs: 60,
        body_min_bytes_per_sec: 1024,
        request_timeout_secs: 60,
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let mut stream = connect_from(ATTACKER, server_address(&app)).await.unwrap();
    stream.write_all(post_headers(4000).as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle_and_read = async {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 1024];
        loop {
            tokio::select! {
                read = stream.read(&mut buffer) => match read {
                    Ok(n) if n > 0 => answer.extend_from_slice(&buffer[..n]),
                    _ => return answer,
                },
                // 50 bytes a second: a body of 4,000 bytes would take 80 s.
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    let _ = stream.write_all(&[b' '; 5]).await;
                }
            }
        }
    };
    let answer = tokio::time::timeout(BOUND, trickle_and_read).await.expect("the trickle is cut off");
    eprintln!("a trickled body was answered after {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!(status_and_code(&answer), (408, "BODY_TIMEOUT".to_owned()), "{}", String::from_utf8_lossy(&answer));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_trickle_headers_or_sit_idle_are_closed_after_the_header_timeout() {
    let serve = ServeConfig { header_read_timeout_secs: 1, ..ServeConfig::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let server = server_address(&app);

    let mut trickling = connect_from(ATTACKER, server).await.unwrap();
    trickling.write_all(b"POST /graphql HTTP/1.1\r\nHost: chancery\r\n").await.unwrap();
    let started = Instant::now();
    let trickle = async {
        let mut buffer = [0u8; 1024];
        loop {
            tokio::select! {
                read = trickling.read(&mut buffer) => match read {
                    Ok(n) if n > 0 => {}
                    _ => return,
                },
                () = tokio::time::sleep(Duration::from_millis(200)) => {
                    if trickling.write_all(b"X-Slow: y\r\n").await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    assert!(tokio::time::timeout(BOUND, trickle).await.is_ok(), "a connection trickling its headers is closed");
    eprintln!("trickled headers: closed after {:.2} s", started.elapsed().as_secs_f64());

    let mut silent = connect_from(ATTACKER, server).await.unwrap();
    assert!(read_until_closed(&mut silent, BOUND).await.is_some(), "a connection that sends nothing is closed");

    let mut kept_alive = connect_from(ATTACKER, server).await.unwrap();
    let body = json!({ "query": "{ __typename }" }).to_string();
    let request = format!("{}{body}", post_headers(body.len()));
    kept_alive.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut kept_alive, BOUND).await.expect("an idle kept-alive connection is closed");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "the request itself was served: {}", String::from_utf8_lossy(&answer));
}

/// Opens `count` connections from `from` that send part of their headers and then wait.
async fn half_open(server: SocketAddr, from: Ipv4Addr, count: usize) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for _ in 0..count {
        let mut stream = connect_from(from, server).await.unwrap();
        stream.write_all(b"POST /graphql HTTP/1.1\r\n").await.unwrap();
        streams.push(stream);
    }
    streams
}

/// Asserts that the server refused `stream` at once with 503 TOO_MANY_CONNECTIONS.
async fn assert_refused(mut stream: TcpStream) {
    let answer = read_until_closed(&mut stream, BOUND).await.expect("a connection over the cap is closed at once");
    let (status, code) = status_and_code(&answer);
    // The refusal is written before anything is read; a client whose request was already on
    // its way may see only the close.
    assert!(
        answer.is_empty() || (status, code.as_str()) == (503, "TOO_MANY_CONNECTIONS"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_over_its_connection_cap_is_refused_while_another_address_is_served() {
    let serve = ServeConfig { max_connections_per_address: 8, header_read_timeout_secs: 60, ..ServeConfig::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let server = server_address(&app);
    let held = half_open(server, ATTACKER, 8).await;
    for _ in 0..8 {
        let mut extra = connect_from(ATTACKER, server).await.unwrap();
        let answer = read_until_closed(&mut extra, BOUND).await.expect("a connection over the cap is closed at once");
        assert_eq!(status_and_code(&answer), (503, "TOO_MANY_CONNECTIONS".to_owned()));
    }
    assert_eq!(probe(&app, &other_client()).await, Ok(()), "another address is served");
    drop(held);
    // The slots come back as the server sees the connections close.
    let own_address = reqwest::Client::builder().local_address(IpAddr::V4(ATTACKER)).timeout(BOUND).build().unwrap();
    let deadline = Instant::now() + BOUND;
    while probe(&app, &own_address).await.is_err() {
        assert!(Instant::now() < deadline, "the address is served again once its connections are closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_is_not_held_to_the_per_address_cap() {
    // Behind a reverse proxy every client's connection comes from the proxy's address.
    let mut serve =
        ServeConfig { max_connections_per_address: 4, header_read_timeout_secs: 60, ..ServeConfig::default() };
    serve.throttle.trusted_proxies = ATTACKER.to_string().parse().unwrap();
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let server = server_address(&app);
    let _held = half_open(server, ATTACKER, 12).await;
    let proxy = reqwest::Client::builder().local_address(IpAddr::V4(ATTACKER)).timeout(BOUND).build().unwrap();
    assert_eq!(probe(&app, &proxy).await, Ok(()), "the proxy's thirteenth connection is served");
    let _others = half_open(server, OTHER_CLIENT, 4).await;
    let mut extra = connect_from(OTHER_CLIENT, server).await.unwrap();
    let answer = read_until_closed(&mut extra, BOUND).await.expect("closed at once");
    assert_eq!(status_and_code(&answer), (503, "TOO_MANY_CONNECTIONS".to_owned()), "others still are");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_total_cap_are_refused_at_once_whatever_their_address() {
    let serve = ServeConfig {
        max_connections: Some(10),
        max_connections_per_address: 0,
        header_read_timeout_secs: 60,
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let server = server_address(&app);
    let mut held = half_open(server, ATTACKER, 10).await;
    assert_refused(connect_from(OTHER_CLIENT, server).await.unwrap()).await;
    assert_refused(connect_from(ATTACKER, server).await.unwrap()).await;
    held.truncate(5);
    let deadline = Instant::now() + BOUND;
    while let Err(failure) = probe(&app, &other_client()).await {
        assert!(Instant::now() < deadline, "served again once connections are closed: {failure}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The soft and hard open-file limits of process `pid`.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|line| line.starts_with("Max open files")).unwrap().to_owned();
    let mut numbers = line.split_whitespace().skip(3);
    (numbers.next().unwrap().to_owned(), numbers.next().unwrap().to_owned())
}

/// The `chancery` binary serving `database`, started under `ulimit` (as a service manager with
/// an ordinary file limit starts it); the process and the address it listens on.
fn spawn_binary_under(ulimit: &str, database: &support::TestDatabase) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut server = std::process::Command::new("sh")
        .args(["-c", &format!("ulimit {ulimit} && exec \"$0\" \"$@\""), env!("CARGO_BIN_EXE_chancery")])
        .args(["--database-url", &database.url, "serve", "--bind", "127.0.0.1:0"])
        .env("CHANCERY_JWT_SECRET", support::TEST_JWT_SECRET)
        .env("CHANCERY_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| line.split("serving GraphiQL at http://").nth(1).map(|rest| rest.replace("/graphql", "")))
        .and_then(|rest| rest.split_whitespace().next().and_then(|a| a.parse().ok()))
        .expect("the server says where it listens");
    std::thread::spawn(move || lines.for_each(drop));
    (server, address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_soft_open_file_limit_is_raised_to_the_hard_one_at_start_up() {
    let database = support::TestDatabase::new(Backend::Sqlite).await;
    let (mut server, _) = spawn_binary_under("-Sn 256", &database);
    let (soft, hard) = open_file_limits(server.id());
    let _ = server.kill();
    let _ = server.wait();
    assert_ne!(hard, "256", "the hard limit is above the soft one this test starts with");
    assert_eq!(soft, hard, "the soft limit is raised to the hard one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_an_ordinary_file_limit_a_client_past_the_connection_cap_is_answered_not_left_hanging() {
    let database = support::TestDatabase::new(Backend::Sqlite).await;
    // Soft and hard at 256: nothing to raise, so the default cap must stay below it.
    let (mut server, address) = spawn_binary_under("-n 256", &database);
    let mut held = Vec::new();
    for client in 10..15 {
        held.extend(half_open(address, Ipv4Addr::new(127, 0, 0, client), 50).await);
    }
    let mut late = connect_from(OTHER_CLIENT, address).await.unwrap();
    let answer = read_until_closed(&mut late, Duration::from_secs(5)).await;
    drop(held);
    let recovered = async {
        let client = other_client();
        loop {
            let response = client.post(format!("http://{address}/graphql")).json(&json!({ "query": "{ __typename }" }));
            if response.send().await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let recovered = tokio::time::timeout(BOUND, recovered).await.is_ok();
    let _ = server.kill();
    let _ = server.wait();
    let answer = answer.expect("a client past the cap is answered at once, not left waiting for a file descriptor");
    assert_eq!(status_and_code(&answer), (503, "TOO_MANY_CONNECTIONS".to_owned()));
    assert!(recovered, "the server serves again once the connections are closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_its_answer_is_disconnected_after_the_write_timeout() {
    let serve = ServeConfig { response_write_timeout_secs: 1, rate_limit_per_minute: 0, ..ServeConfig::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, serve).await;
    let (_, editor) = app.user_with_role(entity::enums::UserRole::Editor).await;
    // 100 sources of 60,000 characters: a 6 MB answer, more than the sockets' buffers hold.
    let snapshot = "The delegation said little. ".repeat(60_000 / 28);
    for index in 0..100 {
        let input = json!({ "url": format!("https://news.example/long/{index}"), "title": "Long", "kind": "REPORT", "snapshot": snapshot });
        app.ok_as(
            &editor,
            "mutation($input: CreateSourceInput!) { createSource(input: $input) { source { id } } }",
            json!({ "input": input }),
        )
        .await;
    }
    let body = json!({ "query": "{ sources(first: 100) { nodes { snapshot } } }" }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {editor}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );

    // A client with a small receive window that sends the request and then reads nothing.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server_address(&app)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let received = read_until_closed(&mut stream, BOUND).await.expect("the server closes the connection");
    let answer_size = 100 * snapshot.len();
    assert!(received.starts_with(b"HTTP/1.1 200"), "the answer had begun");
    assert!(
        received.len() < answer_size,
        "the stalled answer was cut off: {} of at least {answer_size} bytes arrived",
        received.len()
    );
    // A client that reads is given the whole answer.
    let data = app.ok_as(&editor, "{ sources(first: 100) { nodes { snapshot } } }", json!({})).await;
    assert_eq!(data["sources"]["nodes"].as_array().unwrap().len(), 100);
}
