//! GraphiQL works offline: GET /graphql serves our own page, which loads only the vendored
//! assets the binary serves under /graphiql/assets/, under a Content-Security-Policy that names
//! no other origin. Checked over HTTP, then in a real headless Chromium (driven through
//! chromedriver's WebDriver HTTP protocol) that cannot resolve any host but 127.0.0.1: the page
//! must load, run a query over the demo data and show its answer, with nothing in the browser's
//! log (no CSP violation, no failed load).
//!
//! The browser test needs `chromium` and `chromedriver` (Debian: `apt-get install -y chromium
//! chromium-driver`; other paths in `CHANCERY_CHROMIUM` / `CHANCERY_CHROMEDRIVER`). Without them
//! it fails, unless `CHANCERY_SKIP_BROWSER=1`, which skips it with a note.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{Backend, TestApp};

/// A summary of a fact in the demo data (api/demo/demo.json), among the five newest.
const DEMO_SUMMARY: &str = "Vladimir Putin and Ahmed al-Sharaa held their first phone call";

/// Every `src="…"` and `href="…"` of `page`.
fn references(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in page.match_indices(attribute) {
            let value = &page[at + attribute.len()..];
            found.push(value[..value.find('"').expect("a closed attribute")].to_owned());
        }
    }
    found
}

/// The absolute http(s) URLs in `text` that do not point at `own_origin`.
fn foreign_urls(text: &str, own_origin: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for scheme in ["http://", "https://"] {
        for (at, _) in lower.match_indices(scheme) {
            let url: String =
                text[at..].chars().take_while(|c| !c.is_whitespace() && !"\"'<>;`)".contains(*c)).collect();
            if !(url == own_origin || url.starts_with(&format!("{own_origin}/"))) {
                found.push(url);
            }
        }
    }
    found
}

/// The page's style nonce (`nonce="…"`).
fn nonce_of(page: &str) -> String {
    let at = page.find("nonce=\"").expect("the page's style carries a nonce") + "nonce=\"".len();
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

async fn the_page_and_every_asset_it_loads_come_from_this_server(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let page_url = format!("{}/graphql", app.base_url);
    let response = app.client.get(&page_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{headers:?}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store", "each answer has its own nonce");
    let policy = headers["content-security-policy"].to_str().unwrap().to_owned();
    let page = response.text().await.unwrap();
    assert!(page.contains("<title>Chancery GraphiQL</title>"), "{page}");

    // The policy: this origin only, inline code only by hash or this answer's nonce.
    let directives: Vec<&str> = policy.split(';').map(str::trim).collect();
    for expected in [
        "default-src 'none'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(directives.contains(&expected), "{expected} missing from {policy}");
    }
    let script_src = directives.iter().find(|d| d.starts_with("script-src ")).expect("a script-src");
    let mut sources = script_src.split_whitespace().skip(1);
    assert_eq!(sources.next(), Some("'self'"), "{policy}");
    assert!(sources.all(|source| source.starts_with("'sha256-")), "{policy}");
    let nonce = nonce_of(&page);
    assert_eq!(
        directives.iter().find(|d| d.starts_with("style-src ")).copied(),
        Some(format!("style-src 'self' 'nonce-{nonce}'").as_str()),
        "{policy}"
    );
    for forbidden in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"] {
        assert!(!policy.contains(forbidden), "{forbidden} in {policy}");
    }
    assert_eq!(foreign_urls(&policy, &app.base_url), Vec::<String>::new());
    assert_eq!(foreign_urls(&page, &app.base_url), Vec::<String>::new(), "the page names another host");
    let again = app.client.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert_ne!(nonce_of(&again), nonce, "a fresh nonce in every answer");

    // Every script, style sheet and icon is ours (or inline data), and is served.
    let referenced = references(&page);
    let assets: Vec<&String> = referenced.iter().filter(|r| !r.starts_with("data:")).collect();
    assert_eq!(assets.len(), 4, "react, react-dom, graphiql's script and style sheet: {referenced:?}");
    for asset in assets {
        assert!(asset.starts_with("/graphiql/assets/"), "{asset} is not a vendored asset");
        let url = format!("{}{asset}", app.base_url);
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let headers = response.headers().clone();
        let expected_type = if asset.ends_with(".js") { "text/javascript" } else { "text/css" };
        assert_eq!(headers["content-type"], format!("{expected_type}; charset=utf-8"), "{asset}");
        assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable", "{asset}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{asset}");
        let body = response.bytes().await.unwrap();
        assert!(body.len() > 1000, "{asset}: {} bytes", body.len());
        assert_eq!(headers["content-length"], body.len().to_string().as_str(), "{asset}");
        let etag = headers["etag"].clone();
        let revalidated = app.client.get(&url).header("if-none-match", etag).send().await.unwrap();
        assert_eq!(revalidated.status(), 304, "{asset}");
        let head = app.client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), 200, "{asset}");
    }

    // The default query the page offers runs on the demo data.
    let default_query = page.split("const defaultQuery = `").nth(1).and_then(|rest| rest.split('`').next()).unwrap();
    let answer = app.query_ok(default_query, json!({})).await;
    assert!(answer.to_string().contains(DEMO_SUMMARY), "{answer:#}");
}

async fn unknown_assets_are_404_and_other_methods_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let base = &app.base_url;
    for path in [
        "/graphiql/assets/nope.js",
        "/graphiql/assets/graphiql-4.1.2.min.js.map",
        "/graphiql/assets/index.html",
        "/graphiql/assets/LICENSES.md",
        "/graphiql/assets/..%2F..%2FCargo.toml",
        "/graphiql/assets/%2e%2e%2fgraphiql.rs",
        "/graphiql/assets/GRAPHIQL-4.1.2.MIN.JS",
        "/graphiql/assets/",
        "/graphiql/assets",
        "/graphiql/assets/react-18.3.1.production.min.js/x",
    ] {
        let response = app.client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().get("cache-control").is_none_or(|v| v != "public, max-age=31536000, immutable"));
    }
    let long = format!("{base}/graphiql/assets/{}.js", "a".repeat(4000));
    assert_eq!(app.client.get(long).send().await.unwrap().status(), 404);
    let not_utf8 = app.client.get(format!("{base}/graphiql/assets/%FF%FE.js")).send().await.unwrap();
    assert!(not_utf8.status().is_client_error(), "{}", not_utf8.status());

    let asset = format!("{base}/graphiql/assets/graphiql-4.1.2.min.js");
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.client.request(method.clone(), &asset).body("x").send().await.unwrap();
        assert_eq!(response.status(), 405, "{method} an asset");
        let response = app.client.request(method.clone(), format!("{base}/graphql")).send().await.unwrap();
        if method != reqwest::Method::POST {
            assert_eq!(response.status(), 405, "{method} /graphql");
        }
    }
    let options = app.client.request(reqwest::Method::OPTIONS, &asset).send().await.unwrap();
    assert!(!options.status().is_server_error(), "{}", options.status());
    assert_eq!(app.client.get(format!("{base}/healthz")).send().await.unwrap().status(), 200, "still serving");
    assert_eq!(app.client.get(&asset).send().await.unwrap().status(), 200);
}

// ---------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------

/// How long each step in the browser may take (a cold Chromium on a busy 2-core machine is slow).
const BROWSER_DEADLINE: Duration = Duration::from_secs(30);

/// Paths of Chromium and chromedriver; None (after a note) when they are missing and
/// `CHANCERY_SKIP_BROWSER=1`; a panic saying what to install when they are missing otherwise.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let path =
        |variable: &str, default: &str| PathBuf::from(std::env::var(variable).unwrap_or_else(|_| default.into()));
    let chromium = path("CHANCERY_CHROMIUM", "/usr/bin/chromium");
    let chromedriver = path("CHANCERY_CHROMEDRIVER", "/usr/bin/chromedriver");
    let missing: Vec<String> =
        [&chromium, &chromedriver].into_iter().filter(|p| !p.is_file()).map(|p| p.display().to_string()).collect();
    if missing.is_empty() {
        return Some((chromium, chromedriver));
    }
    if std::env::var("CHANCERY_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("CHANCERY_SKIP_BROWSER=1 and {} missing: SKIPPED the GraphiQL browser test", missing.join(", "));
        return None;
    }
    panic!(
        "the GraphiQL browser test needs {} (Debian: apt-get install -y chromium chromium-driver; or point \
         CHANCERY_CHROMIUM / CHANCERY_CHROMEDRIVER at them); set CHANCERY_SKIP_BROWSER=1 to skip it",
        missing.join(" and ")
    );
}

/// A chromedriver process on a free loopback port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    client: reqwest::Client,
}

impl Driver {
    async fn start(chromedriver: &PathBuf) -> Driver {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| panic!("starting {}: {error}", chromedriver.display()));
            let mut driver = Driver { child, url: format!("http://127.0.0.1:{port}"), client: client.clone() };
            let started = Instant::now();
            while started.elapsed() < BROWSER_DEADLINE {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    failures.push(format!("chromedriver exited with {status} (port {port} taken?)"));
                    break;
                }
                let ready = driver.client.get(format!("{}/status", driver.url)).send().await;
                if let Ok(response) = ready {
                    if response.json::<Value>().await.is_ok_and(|body| body["value"]["ready"] == true) {
                        return driver;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            failures.push(format!("chromedriver on port {port} was not ready in time"));
        }
        panic!("chromedriver did not start: {failures:?}");
    }

    /// A new headless Chromium session that cannot resolve any host but 127.0.0.1.
    async fn session(&self, chromium: &PathBuf) -> Session {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,1024",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                ],
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let answer = call(&self.client, reqwest::Method::POST, &format!("{}/session", self.url), Some(capabilities))
            .await
            .unwrap_or_else(|error| panic!("chromedriver could not open a Chromium session: {error}"));
        let id = answer["sessionId"].as_str().expect("a session id").to_owned();
        Session { url: format!("{}/session/{id}", self.url), client: self.client.clone(), ended: false }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver command; the answer's `value`, or the driver's error.
async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|error| format!("{url}: {error}"))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|error| format!("{url}: {error}"))?;
    if status.is_success() {
        Ok(body["value"].clone())
    } else {
        Err(format!("{url}: {status} {}", body["value"]))
    }
}

/// A browser session. `quit` ends it (and quits its Chromium); dropped without that (a panic),
/// it is ended all the same.
struct Session {
    url: String,
    client: reqwest::Client,
    ended: bool,
}

impl Session {
    async fn quit(mut self) -> Result<(), String> {
        self.ended = true;
        self.command(reqwest::Method::DELETE, "", None).await.map(drop)
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        call(&self.client, method, &format!("{}{path}", self.url), body).await
    }

    async fn run(&self, script: &str) -> Result<Value, String> {
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Runs `script` until it returns something other than null or false; the last value.
    async fn wait_for(&self, what: &str, script: &str) -> Result<Value, String> {
        let started = Instant::now();
        loop {
            let value = self.run(script).await?;
            if !(value.is_null() || value == false) {
                return Ok(value);
            }
            if started.elapsed() > BROWSER_DEADLINE {
                let text = self.run("return document.body ? document.body.innerText : ''").await.unwrap_or_default();
                return Err(format!("timed out after {BROWSER_DEADLINE:?} waiting for {what}; the page shows: {text}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the element `selector` finds, as a user would (WebDriver's element click).
    async fn click(&self, selector: &str) -> Result<(), String> {
        let found = self
            .command(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": selector })))
            .await?;
        let id = found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).ok_or("no element id")?;
        self.command(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await.map(drop)
    }

    /// The browser log since the last call (console messages, failed loads, CSP violations).
    async fn log(&self) -> Result<Vec<Value>, String> {
        let entries = self.command(reqwest::Method::POST, "/se/log", Some(json!({ "type": "browser" }))).await?;
        Ok(entries.as_array().cloned().unwrap_or_default())
    }
}

impl Drop for Session {
    /// DELETE /session/{id} over a plain blocking socket (Drop cannot await), waiting for the
    /// first bytes of the answer, which chromedriver sends once Chromium has quit.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        if self.ended {
            return;
        }
        let Some(rest) = self.url.strip_prefix("http://") else { return };
        let Some((host, path)) = rest.split_once('/') else { return };
        if let Ok(mut stream) = std::net::TcpStream::connect(host) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
            let request =
                format!("DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(request.as_bytes());
            let _ = stream.read(&mut [0u8; 512]);
        }
    }
}

/// Puts the result pane's text in `text` (CodeMirror renders the lines in view: the answers here
/// are short).
const RESULT_TEXT: &str = "const pane = document.querySelector('.graphiql-response'); \
                           const text = pane ? pane.innerText : '';";
const QUERY_EDITOR: &str = ".graphiql-query-editor .CodeMirror";
/// The query the browser test types in (by the editor's API) after running the default one.
const ACTORS: &str = "{ actors(first: 3) { nodes { name } } }";

async fn graphiql_runs_a_query_in_a_headless_browser_with_no_internet(backend: Backend) {
    let Some((chromium, chromedriver)) = browser() else { return };
    let app = TestApp::spawn_with_demo(backend).await;
    let actors = app.query_ok(ACTORS, json!({})).await;
    let first_actor = actors["actors"]["nodes"][0]["name"].as_str().expect("the demo has actors").to_owned();
    let started = Instant::now();
    let driver = Driver::start(&chromedriver).await;
    let session = driver.session(&chromium).await;
    let outcome = drive(&session, &app.base_url, &first_actor).await;
    let quit = session.quit().await;
    let elapsed = started.elapsed();
    drop(driver);
    if let Err(error) = outcome {
        panic!("GraphiQL in Chromium: {error}");
    }
    quit.expect("the browser session ends");
    eprintln!(
        "GraphiQL in Chromium ({backend:?}): started, loaded, ran two queries, opened a dialog, quit in {elapsed:.1?}"
    );
}

/// Loads GraphiQL from `base_url`, runs its default query and [`ACTORS`] (whose answer names
/// `first_actor`), opens a dialog, then reads what the page loaded and what the browser logged.
async fn drive(session: &Session, base_url: &str, first_actor: &str) -> Result<(), String> {
    session.command(reqwest::Method::POST, "/url", Some(json!({ "url": format!("{base_url}/graphql") }))).await?;

    // GraphiQL renders, with the page's default query in its editor; run it.
    let script = format!(
        "const e = document.querySelector('{QUERY_EDITOR}'); \
         return !!e && !!e.CodeMirror && e.CodeMirror.getValue().includes('facts(first: 5)');"
    );
    session.wait_for("GraphiQL's query editor holding the default query", &script).await?;
    session.wait_for("the run button", "return !!document.querySelector('.graphiql-execute-button');").await?;
    session.click(".graphiql-execute-button").await?;
    let wait = format!("{RESULT_TEXT} return text.includes({});", json!(DEMO_SUMMARY));
    session.wait_for(&format!("the answer to show {DEMO_SUMMARY:?}"), &wait).await?;

    // A query put in the editor instead, whose short answer the pane shows whole.
    session.run(&format!("document.querySelector('{QUERY_EDITOR}').CodeMirror.setValue({});", json!(ACTORS))).await?;
    session.click(".graphiql-execute-button").await?;
    let wait = format!("{RESULT_TEXT} return text.includes({}) && !text.includes('summary');", json!(first_actor));
    session.wait_for(&format!("the answer to show the actor {first_actor:?}"), &wait).await?;

    // A dialog (Radix UI adds an inline <style>, allowed by the page's nonce).
    session.click("[aria-label='Open settings dialog']").await?;
    session.wait_for("the settings dialog", "return !!document.querySelector('[role=dialog]');").await?;

    // Everything came from this origin, and the browser logged nothing wrong.
    let loaded = session
        .run("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);")
        .await?;
    let foreign: Vec<&Value> = loaded
        .as_array()
        .into_iter()
        .flatten()
        .filter(|url| !url.as_str().unwrap_or_default().starts_with(base_url))
        .collect();
    if !foreign.is_empty() {
        return Err(format!("the page loaded from elsewhere: {foreign:?}"));
    }
    let log = session.log().await?;
    let bad: Vec<&Value> = log
        .iter()
        .filter(|entry| {
            let message = entry["message"].as_str().unwrap_or_default();
            entry["level"] == "SEVERE" || message.contains("Content Security Policy") || message.contains("Refused to")
        })
        .collect();
    if !bad.is_empty() {
        return Err(format!("the browser logged problems: {bad:#?}"));
    }
    Ok(())
}

backend_tests!(
    the_page_and_every_asset_it_loads_come_from_this_server,
    unknown_assets_are_404_and_other_methods_are_refused,
    graphiql_runs_a_query_in_a_headless_browser_with_no_internet,
);
