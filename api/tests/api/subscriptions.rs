//! GraphQL subscriptions over WebSocket (`graphql-transport-ws` on /graphql), driven by a real
//! WebSocket client against the real server: fact events as they are committed, filtered and
//! resumable from a feed cursor with no gap or repeat at the seam; the review queue for
//! reviewers only; the protocol's refusals with its close codes; every limit; delivery across
//! server processes through Postgres LISTEN/NOTIFY; and a clean close on shutdown.
use std::collections::HashSet;
use std::time::Duration;

use serde_json::{json, Value};

use crate::feed::{changes, APPROVE_FACT, RETRACT_FACT};
use crate::support::websocket::GraphqlWs;
use crate::support::{self, submitted_fact, submitted_visit, Backend, TestApp};
use chancery::config::{ServeConfig, SubscriptionConfig};

const EDITOR: (&str, &str) = ("editor@demo.chancery", "demo-editor-password");
const REVIEWER: (&str, &str) = ("reviewer@demo.chancery", "demo-reviewer-password");

const FACT_EVENTS: &str = "subscription($after: String, $filter: FactEventFilterInput) { \
     factEvents(after: $after, filter: $filter) { cursor type at factId fact { id status summary } } }";
const REVIEW_QUEUE: &str =
    "subscription($current: Boolean) { reviewQueue(current: $current) { type itemId item { __typename ... on Fact { id status } } } }";

/// The cursor at the end of the feed now.
async fn feed_end(app: &TestApp) -> String {
    let mut cursor = None;
    loop {
        let page = changes(app, 100, cursor.as_deref()).await;
        if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
            cursor = Some(end.to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return cursor.expect("the demo data has public events");
        }
    }
}

/// Publishes a Russian visit to Syria, returning its global id.
async fn publish(app: &TestApp, editor: &str, reviewer: &str, summary: &str) -> String {
    let (id, version) = submitted_fact(app, editor, summary).await;
    app.ok_as(reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
    id
}

/// Publishes a fact between `subject` and `object` (actor names).
async fn publish_between(app: &TestApp, editor: &str, reviewer: &str, subject: &str, object: &str) -> String {
    let summary = format!("{subject} and {object} met");
    let (id, version) = submitted_visit(app, editor, subject, object, &summary).await;
    app.ok_as(reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
    id
}

fn event_of(payload: &Value) -> (String, String) {
    let event = &payload["data"]["factEvents"];
    (event["type"].as_str().unwrap().to_owned(), event["factId"].as_str().unwrap().to_owned())
}

async fn a_subscriber_receives_each_fact_event_with_the_fact_as_it_is_then(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let (id, version) = submitted_fact(&app, &editor, "A visit to be published, then retracted").await;
    let mut socket = GraphqlWs::connect(&app.base_url, json!({})).await;
    socket.subscribe("1", FACT_EVENTS, json!({ "after": feed_end(&app).await })).await;

    let approved = app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
    let published = socket.next_of("1").await;
    assert!(published.get("errors").is_none(), "{published}");
    let event = &published["data"]["factEvents"];
    assert_eq!((event["type"].as_str().unwrap(), event["factId"].as_str().unwrap()), ("FACT_PUBLISHED", id.as_str()));
    assert_eq!(event["fact"]["status"], "PUBLISHED");
    assert!(event["cursor"].as_str().is_some_and(|c| !c.is_empty()));

    let version = approved["reviewFact"]["fact"]["version"].as_i64().unwrap();
    app.ok_as(&reviewer, RETRACT_FACT, json!({ "id": id, "v": version })).await;
    let retracted = socket.next_of("1").await;
    assert_eq!(event_of(&retracted), ("FACT_RETRACTED".to_owned(), id.clone()));
    // Each event is resolved afresh: the same fact, now retracted, not a cached copy.
    assert_eq!(retracted["data"]["factEvents"]["fact"]["status"], "RETRACTED");

    // The client completes; the server stops sending and the same id may be used again.
    socket.send(json!({"id": "1", "type": "complete"})).await;
    socket.subscribe("1", FACT_EVENTS, json!({ "after": feed_end(&app).await })).await;
    let next = publish(&app, &editor, &reviewer, "Published after resubscribing").await;
    assert_eq!(event_of(&socket.next_of("1").await), ("FACT_PUBLISHED".to_owned(), next));
}

/// The seam: a subscriber resuming from a cursor gets the missed events, then live ones, while
/// more are being published during its catch-up: each exactly once, in the log's order.
async fn resuming_after_a_cursor_replays_missed_events_then_live_ones_with_no_gap_or_repeat(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let resume_from = feed_end(&app).await;
    let mut expected = Vec::new();
    for n in 0..5 {
        expected.push(publish(&app, &editor, &reviewer, &format!("Missed while away {n}")).await);
    }
    let mut socket = GraphqlWs::connect(&app.base_url, json!({})).await;
    socket.subscribe("resume", FACT_EVENTS, json!({ "after": resume_from })).await;
    // Published while the subscriber catches up (and after).
    let publishing = async {
        let mut ids = Vec::new();
        for n in 0..5 {
            ids.push(publish(&app, &editor, &reviewer, &format!("Published during the catch-up {n}")).await);
        }
        ids
    };
    let reading = async {
        let mut seen = Vec::new();
        while seen.len() < 10 {
            let (kind, id) = event_of(&socket.next_of("resume").await);
            assert_eq!(kind, "FACT_PUBLISHED");
            seen.push(id);
        }
        seen
    };
    let (during, seen) = tokio::join!(publishing, reading);
    expected.extend(during);
    let distinct: HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 10, "no event twice: {seen:?}");
    assert_eq!(distinct, expected.iter().collect::<HashSet<_>>(), "every event missed and every live one");
    // In the log's order: the five missed first, as published.
    assert_eq!(&seen[..5], &expected[..5]);
    // Nothing further was queued: the next event is the next one published.
    let last = publish(&app, &editor, &reviewer, "After the seam").await;
    assert_eq!(event_of(&socket.next_of("resume").await).1, last);
}

async fn filters_select_facts_by_actor_kind_and_all_of_actors(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let russia = app.actor_id("Russia").await;
    let (putin, sharaa) = (app.actor_id("Vladimir Putin").await, app.actor_id("Ahmed al-Sharaa").await);
    let after = feed_end(&app).await;
    let mut socket = GraphqlWs::connect(&app.base_url, json!({})).await;
    let filters = [
        ("russia", json!({ "actors": [russia] })),
        ("leaders", json!({ "allOfActors": [putin, sharaa] })),
        ("visits", json!({ "kinds": ["diplomatic.visit"] })),
        ("russia-and-leaders", json!({ "actors": [russia], "allOfActors": [putin, sharaa] })),
    ];
    for (id, filter) in &filters {
        socket.subscribe(id, FACT_EVENTS, json!({ "after": after, "filter": filter })).await;
    }
    let russian = publish_between(&app, &editor, &reviewer, "Russia", "Syria").await;
    let leaders = publish_between(&app, &editor, &reviewer, "Vladimir Putin", "Ahmed al-Sharaa").await;
    let both = publish_between(&app, &editor, &reviewer, "Vladimir Putin", "Ahmed al-Sharaa").await;
    let _ = both;

    let mut received: std::collections::HashMap<String, Vec<String>> = Default::default();
    // russia: 1; leaders: 2; visits: 3; russia-and-leaders: 0 (no fact has all three).
    while received.values().map(Vec::len).sum::<usize>() < 6 {
        let message = socket.message().await;
        assert_eq!(message["type"], "next", "{message}");
        let id = message["id"].as_str().unwrap().to_owned();
        received.entry(id).or_default().push(event_of(&message["payload"]).1);
    }
    assert_eq!(received["russia"], vec![russian.clone()]);
    assert_eq!(received["leaders"].len(), 2);
    assert_eq!(received["leaders"][0], leaders, "the Russian fact did not match the leaders' filter");
    assert_eq!(received["visits"].len(), 3);
    assert!(!received.contains_key("russia-and-leaders"), "{received:?}");
}

/// A subscription refused before it starts gets an `error` message naming the field, and the
/// socket goes on serving others.
async fn bad_subscription_arguments_are_refused_with_the_field_named(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let tables = ["facts", "revisions", "citations", "sources", "actors", "users"];
    let mut before = Vec::new();
    for table in tables {
        before.push(app.row_count(table).await);
    }
    let mut socket = GraphqlWs::connect(&app.base_url, json!({})).await;
    let cases = [
        ("kind", json!({ "filter": { "kinds": ["no.such_kind"] } }), "filter.kinds[0]"),
        ("actor", json!({ "filter": { "actors": ["not-an-id"] } }), "filter.actors[0]"),
        ("all-of", json!({ "filter": { "allOfActors": ["RmFjdDo="] } }), "filter.allOfActors[0]"),
        ("cursor", json!({ "after": "garbage" }), "after"),
    ];
    for (id, variables, field) in cases {
        socket.subscribe(id, FACT_EVENTS, variables).await;
        let refused = socket.message().await;
        assert_eq!((refused["type"].as_str(), refused["id"].as_str()), (Some("error"), Some(id)), "{refused}");
        let error = &refused["payload"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
        let fields: Vec<&str> =
            error["extensions"]["fields"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert_eq!(fields, vec![field], "{refused}");
    }
    // A query is not served over the socket, nor is a document that does not parse.
    socket.subscribe("query", "{ facts { totalCount } }", json!({})).await;
    let refused = socket.message().await;
    assert_eq!(
        (refused["type"].as_str(), refused["payload"][0]["extensions"]["code"].as_str()),
        (Some("error"), Some("BAD_REQUEST"))
    );
    socket.subscribe("broken", "subscription { factEvents { ", json!({})).await;
    let refused = socket.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(refused["payload"][0]["extensions"]["code"].is_string(), "{refused}");
    // Nothing was written by any of them.
    for (table, count) in tables.iter().zip(before) {
        assert_eq!(app.row_count(table).await, count, "{table}");
    }
    // Still open and serving.
    socket.subscribe("ok", FACT_EVENTS, json!({ "after": feed_end(&app).await })).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let id = publish(&app, &editor, &reviewer, "After the refusals").await;
    assert_eq!(event_of(&socket.next_of("ok").await).1, id);
}

async fn the_review_queue_is_for_reviewers_and_shows_items_entering_and_leaving(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    for (who, socket, code) in [
        ("anonymous", GraphqlWs::connect(&app.base_url, json!({})).await, "UNAUTHENTICATED"),
        ("an editor", GraphqlWs::connect_as(&app.base_url, &editor).await, "FORBIDDEN"),
    ] {
        let mut socket = socket;
        socket.subscribe("queue", REVIEW_QUEUE, json!({})).await;
        let refused = socket.message().await;
        assert_eq!(refused["type"], "error", "{who}: {refused}");
        assert_eq!(refused["payload"][0]["extensions"]["code"], code, "{who}: {refused}");
    }
    let mut socket = GraphqlWs::connect_as(&app.base_url, &reviewer).await;
    socket.subscribe("queue", REVIEW_QUEUE, json!({ "current": true })).await;
    // Submitted while the subscription starts: it arrives once, whether it was waiting when the
    // subscription read the queue (then among the current items) or came after.
    let (id, version) = submitted_fact(&app, &editor, "Waiting for a reviewer").await;
    let entered = loop {
        let payload = socket.next_of("queue").await;
        let event = &payload["data"]["reviewQueue"];
        assert_eq!(event["type"], "ENTERED", "{payload}");
        if event["itemId"] == id.as_str() {
            break payload;
        }
    };
    let event = &entered["data"]["reviewQueue"];
    assert_eq!(event["item"]["status"], "IN_REVIEW");
    app.ok_as(&reviewer, APPROVE_FACT, json!({ "id": id, "v": version })).await;
    let left = socket.next_of("queue").await;
    let event = &left["data"]["reviewQueue"];
    assert_eq!((event["type"].as_str(), event["itemId"].as_str()), (Some("LEFT"), Some(id.as_str())), "{left}");
    assert_eq!(event["item"]["status"], "PUBLISHED");
}

/// The protocol's refusals, each with its close code.
async fn protocol_violations_close_the_socket_with_the_protocols_codes(backend: Backend) {
    let serve = ServeConfig {
        demo: true,
        subscriptions: SubscriptionConfig { init_timeout_secs: 2, ..SubscriptionConfig::default() },
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let base = app.base_url.as_str();
    let open = || async { GraphqlWs::open(base, Some("graphql-transport-ws")).await.unwrap() };
    let editor = app.login(EDITOR.0, EDITOR.1).await;

    let mut socket = open().await;
    socket.send(json!({"type": "connection_init", "payload": {"authorization": "Bearer not.a.token"}})).await;
    assert_eq!(socket.closed(|_| false).await.0, 4403, "a bad token");

    let editor_id = crate::tokens::subject_of(&editor);
    let now = crate::tokens::now();
    let expired = crate::tokens::with(crate::tokens::local_claims(&editor_id), "exp", json!(now - 3600));
    let expired = crate::tokens::with(crate::tokens::with(expired, "iat", json!(now - 7200)), "nbf", json!(now - 7200));
    let mut socket = open().await;
    socket.send(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", crate::tokens::local_token(&expired))}})).await;
    assert_eq!(socket.closed(|_| false).await.0, 4403, "an expired token");

    let mut socket = open().await;
    socket.subscribe("1", FACT_EVENTS, json!({})).await;
    assert_eq!(socket.closed(|_| false).await.0, 4401, "subscribe before connection_init");

    let mut socket = GraphqlWs::connect(base, json!({})).await;
    socket.send(json!({"type": "connection_init"})).await;
    assert_eq!(socket.closed(|_| false).await.0, 4429, "a second connection_init");

    let mut socket = GraphqlWs::connect(base, json!({})).await;
    socket.subscribe("same", FACT_EVENTS, json!({})).await;
    socket.subscribe("same", FACT_EVENTS, json!({})).await;
    assert_eq!(socket.closed(|_| false).await.0, 4409, "a subscription id already in use");

    for (what, message) in [
        ("not JSON", tokio_tungstenite::tungstenite::Message::Text("{not json".into())),
        ("an unknown type", tokio_tungstenite::tungstenite::Message::Text(r#"{"type":"start"}"#.into())),
        ("binary", tokio_tungstenite::tungstenite::Message::Binary(vec![1u8, 2, 3].into())),
    ] {
        let mut socket = GraphqlWs::connect(base, json!({})).await;
        socket.send_raw(message).await;
        assert_eq!(socket.closed(|_| false).await.0, 4400, "{what}");
    }

    let mut socket = open().await;
    assert_eq!(socket.closed(|_| false).await.0, 4408, "no connection_init in time");

    // A client that offers only another subprotocol fails the handshake (none is agreed); one
    // that offers none is told which to speak.
    let legacy = GraphqlWs::open(base, Some("graphql-ws")).await;
    assert!(legacy.err().is_some_and(|error| error.contains("subprotocol")), "the legacy subprotocol");
    let mut socket = GraphqlWs::open(base, None).await.unwrap();
    let (code, reason) = socket.closed(|_| false).await;
    assert_eq!(code, 4406, "no subprotocol");
    assert!(reason.contains("graphql-transport-ws"), "{reason}");

    // A signed-in socket ends when its token expires.
    let soon = crate::tokens::with(crate::tokens::local_claims(&editor_id), "exp", json!(crate::tokens::now() + 5));
    let mut socket = GraphqlWs::connect_as(base, &crate::tokens::local_token(&soon)).await;
    let (code, reason) = socket.closed(|_| false).await;
    assert_eq!(code, 4403, "{reason}");
    assert!(reason.contains("expired"), "{reason}");
}

async fn limits_cap_subscriptions_sockets_and_silent_peers(backend: Backend) {
    let serve = ServeConfig {
        demo: true,
        subscriptions: SubscriptionConfig {
            max_subscriptions_per_connection: 2,
            max_websockets_per_address: 3,
            ping_secs: 1,
            idle_timeout_secs: 4,
            ..SubscriptionConfig::default()
        },
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let base = app.base_url.as_str();

    let mut socket = GraphqlWs::connect(base, json!({})).await;
    socket.subscribe("1", FACT_EVENTS, json!({})).await;
    socket.subscribe("2", FACT_EVENTS, json!({})).await;
    socket.subscribe("3", FACT_EVENTS, json!({})).await;
    let refused = socket.message().await;
    assert_eq!((refused["id"].as_str(), refused["type"].as_str()), (Some("3"), Some("error")), "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    // Completing one makes room.
    socket.send(json!({"id": "1", "type": "complete"})).await;
    socket.subscribe("3", FACT_EVENTS, json!({})).await;

    let second = GraphqlWs::connect(base, json!({})).await;
    let third = GraphqlWs::connect(base, json!({})).await;
    let fourth = GraphqlWs::open(base, Some("graphql-transport-ws")).await;
    let refusal = fourth.err().expect("a fourth socket from the address is refused");
    assert!(refusal.contains("429"), "{refusal}");
    second.close().await;
    // Once one closes, another may open.
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok(socket) = GraphqlWs::open(base, Some("graphql-transport-ws")).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reopened = reopened.expect("a closed socket gives its place back");
    drop((third, reopened));

    // A peer that answers no ping is closed as idle; one that answers stays.
    socket.answer_pings = false;
    let (code, _) = socket.closed(|_| false).await;
    assert_eq!(code, 3008, "a silent peer");
}

/// A client that stops reading while events pile up is disconnected with 1008 once its buffer
/// is full, rather than let the server hold ever more for it.
async fn a_client_that_does_not_read_is_disconnected_when_its_buffer_is_full(backend: Backend) {
    let serve = ServeConfig {
        demo: true,
        response_write_timeout_secs: 600,
        subscriptions: SubscriptionConfig { buffer: 4, stall_secs: 1, ..SubscriptionConfig::default() },
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let mut socket = GraphqlWs::open_on(&app.base_url, Some("graphql-transport-ws"), Some(4096)).await.unwrap();
    socket.send(json!({"type": "connection_init"})).await;
    assert_eq!(socket.message().await["type"], "connection_ack");
    // Each event carries the demo article's text many times over (~140 KB), so that the events
    // of a few facts overflow the kernel's buffers between the two ends (the server's socket may
    // hold 4 MB) and the server's queue fills behind them.
    let aliases: String = (0..50).map(|n| format!("s{n}: snapshot ")).collect();
    let heavy = format!(
        "subscription($after: String) {{ factEvents(after: $after) {{ cursor fact {{ citations {{ source {{ {aliases} }} }} }} }} }}"
    );
    let after = feed_end(&app).await;
    for id in 0..24 {
        socket.subscribe(&id.to_string(), &heavy, json!({ "after": after })).await;
    }
    for n in 0..4 {
        publish(&app, &editor, &reviewer, &format!("Piling up {n}")).await;
    }
    // The server gives up on the socket (its metrics say so); reading only now, the client
    // finds what was sent before, then the close.
    let metric = |body: &str, name: &str| -> u64 {
        body.lines().find_map(|line| line.strip_prefix(name)).map_or(0, |value| value.trim().parse().unwrap())
    };
    let started = std::time::Instant::now();
    loop {
        let body = app.client.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
        if metric(&body, "chancery_websockets_unread_closes_total ") == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the server did not give up on the socket: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, reason) = socket.closed(|message| message["type"] == "next").await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("unread"), "{reason}");
    // And its place is given back.
    let started = std::time::Instant::now();
    loop {
        let body = app.client.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
        if metric(&body, "chancery_websockets_open ") == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the socket is still counted: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A client that reads, however slowly, gets a backlog far larger than its buffer: its
/// subscription waits for room rather than being cut off.
async fn a_slow_reader_catches_up_on_a_backlog_larger_than_its_buffer(backend: Backend) {
    let serve = ServeConfig {
        demo: true,
        subscriptions: SubscriptionConfig { buffer: 2, stall_secs: 5, ..SubscriptionConfig::default() },
        ..ServeConfig::default()
    };
    let app = TestApp::spawn_with(backend, serve).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let after = feed_end(&app).await;
    let mut published = Vec::new();
    for n in 0..12 {
        published.push(publish(&app, &editor, &reviewer, &format!("Backlog {n}")).await);
    }
    let mut socket = GraphqlWs::connect(&app.base_url, json!({})).await;
    socket.subscribe("1", FACT_EVENTS, json!({ "after": after })).await;
    let mut seen = Vec::new();
    while seen.len() < published.len() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen.push(event_of(&socket.next_of("1").await).1);
    }
    assert_eq!(seen, published);
}

/// On Postgres, a write served by one server process reaches a subscriber of another process
/// through LISTEN/NOTIFY (the poll is set to an hour, so only the notification can carry it).
async fn a_write_served_by_one_process_reaches_subscribers_of_another() {
    let Some(_) = support::postgres_url() else { return };
    let app = TestApp::spawn_with_demo(Backend::Postgres).await;
    let other = support::faults::ServerProcess::start(&app.database.url, &["--subscription-poll-ms", "3600000"]);
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let mut socket = GraphqlWs::connect(&other.base_url, json!({})).await;
    socket.subscribe("1", FACT_EVENTS, json!({ "after": feed_end(&app).await })).await;
    // Subscribed once the other process answers a ping after the subscribe message.
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.message().await["type"], "pong");
    let id = publish(&app, &editor, &reviewer, "Published through the first process").await;
    assert_eq!(event_of(&socket.next_of("1").await), ("FACT_PUBLISHED".to_owned(), id));
    // Published after the first arrived, so after any catch-up read: only the notification
    // can bring it.
    let id = publish(&app, &editor, &reviewer, "Published through the first process, again").await;
    assert_eq!(event_of(&socket.next_of("1").await), ("FACT_PUBLISHED".to_owned(), id));
}

/// Shutdown closes every socket with 1001 and the server stops within its grace period.
async fn shutdown_closes_sockets_with_going_away(backend: Backend) {
    let database = support::TestDatabase::new(backend).await;
    let config = chancery::config::DatabaseConfig::for_url(database.url.clone());
    let mut serve = ServeConfig { demo: true, ..ServeConfig::default() };
    serve.auth.jwt_secret = Some(support::TEST_JWT_SECRET.parse().unwrap());
    let app = chancery::app::build(&config, &serve).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(chancery::app::serve_until(app.router, app.connections, listener, async move {
        let _ = stopped.await;
    }));
    let mut socket = GraphqlWs::connect(&base_url, json!({})).await;
    socket.subscribe("1", FACT_EVENTS, json!({})).await;
    stop.send(()).unwrap();
    let (code, _) = socket.closed(|_| false).await;
    assert_eq!(code, 1001);
    tokio::time::timeout(Duration::from_secs(20), server).await.expect("the server stops").unwrap();
}

/// The README's `graphql-ws` example, as a frontend runs it: its subscription document and its
/// connection parameters, taken from the README, over the protocol the JavaScript client speaks.
async fn the_readme_subscription_example_runs_as_written(backend: Backend) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let example =
        readme.split("```js\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a JavaScript example");
    assert!(example.contains("from 'graphql-ws'") && example.contains("client.iterate("), "{example}");
    let query = example.split("const query = `").nth(1).and_then(|rest| rest.split('`').next()).expect("the query");
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    // Signed in, as the example's connectionParams send it, and anonymous (no token stored).
    let mut signed_in =
        GraphqlWs::connect(&app.base_url, json!({ "authorization": format!("Bearer {reviewer}") })).await;
    let mut anonymous = GraphqlWs::connect(&app.base_url, json!({})).await;
    let after = feed_end(&app).await;
    signed_in.subscribe("1", query, json!({ "after": after })).await;
    anonymous.subscribe("1", query, json!({ "after": after })).await;
    let id = publish(&app, &editor, &reviewer, "Seen by the README's frontend").await;
    for socket in [&mut signed_in, &mut anonymous] {
        let payload = socket.next_of("1").await;
        let event = &payload["data"]["factEvents"];
        assert_eq!(
            (event["type"].as_str(), event["fact"]["id"].as_str()),
            (Some("FACT_PUBLISHED"), Some(id.as_str())),
            "{payload}"
        );
        assert!(event["cursor"].is_string() && event["at"].is_string() && event["fact"]["summary"].is_string());
    }
}

backend_tests!(
    a_subscriber_receives_each_fact_event_with_the_fact_as_it_is_then,
    resuming_after_a_cursor_replays_missed_events_then_live_ones_with_no_gap_or_repeat,
    filters_select_facts_by_actor_kind_and_all_of_actors,
    bad_subscription_arguments_are_refused_with_the_field_named,
    the_review_queue_is_for_reviewers_and_shows_items_entering_and_leaving,
    protocol_violations_close_the_socket_with_the_protocols_codes,
    limits_cap_subscriptions_sockets_and_silent_peers,
    a_client_that_does_not_read_is_disconnected_when_its_buffer_is_full,
    a_slow_reader_catches_up_on_a_backlog_larger_than_its_buffer,
    shutdown_closes_sockets_with_going_away,
    the_readme_subscription_example_runs_as_written,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(postgres_tests), ignore = "TEST_DATABASE_URL was not set when the tests were built")]
async fn postgres_a_write_served_by_one_process_reaches_subscribers_of_another() {
    a_write_served_by_one_process_reaches_subscribers_of_another().await;
}
