//! A headless Chromium driven through chromedriver's WebDriver HTTP protocol with `reqwest` (no
//! WebDriver crate), for the tests of what the server serves to browsers (GraphiQL, the desk).
//! Chromium cannot resolve any host but 127.0.0.1, so a page that loads anything from another
//! origin fails to.
//!
//! It needs `chromium` and `chromedriver` (Debian: `apt-get install -y chromium
//! chromium-driver`; other paths in `CHANCERY_CHROMIUM` / `CHANCERY_CHROMEDRIVER`). Without them
//! a browser test fails, unless `CHANCERY_SKIP_BROWSER=1`, which skips it with a note.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Every `src="…"` and `href="…"` of `page`.
pub fn references(page: &str) -> Vec<String> {
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
pub fn foreign_urls(text: &str, own_origin: &str) -> Vec<String> {
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

/// How long each step in the browser may take (a cold Chromium on a busy 2-core machine is slow).
pub const BROWSER_DEADLINE: Duration = Duration::from_secs(30);

/// Paths of Chromium and chromedriver; None (after a note) when they are missing and
/// `CHANCERY_SKIP_BROWSER=1`; a panic saying what to install when they are missing otherwise.
pub fn browser(test: &str) -> Option<(PathBuf, PathBuf)> {
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
        eprintln!("CHANCERY_SKIP_BROWSER=1 and {} missing: SKIPPED the {test} browser test", missing.join(", "));
        return None;
    }
    panic!(
        "the {test} browser test needs {} (Debian: apt-get install -y chromium chromium-driver; or point \
         CHANCERY_CHROMIUM / CHANCERY_CHROMEDRIVER at them); set CHANCERY_SKIP_BROWSER=1 to skip it",
        missing.join(" and ")
    );
}

/// A chromedriver process on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
    client: reqwest::Client,
}

impl Driver {
    pub async fn start(chromedriver: &Path) -> Driver {
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
    pub async fn session(&self, chromium: &Path) -> Session {
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
pub struct Session {
    url: String,
    client: reqwest::Client,
    ended: bool,
}

impl Session {
    pub async fn quit(mut self) -> Result<(), String> {
        self.ended = true;
        self.command(reqwest::Method::DELETE, "", None).await.map(drop)
    }

    pub async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        call(&self.client, method, &format!("{}{path}", self.url), body).await
    }

    pub async fn run(&self, script: &str) -> Result<Value, String> {
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Runs `script` until it returns something other than null or false; the last value.
    pub async fn wait_for(&self, what: &str, script: &str) -> Result<Value, String> {
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
    pub async fn click(&self, selector: &str) -> Result<(), String> {
        let found = self
            .command(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": selector })))
            .await?;
        let id = found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).ok_or("no element id")?;
        self.command(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await.map(drop)
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) -> Result<(), String> {
        self.command(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await.map(drop)
    }

    /// Runs `script` with `args` (`arguments[0]`, …).
    pub async fn run_with(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// The WebDriver id of the element `selector` finds.
    async fn element(&self, selector: &str) -> Result<String, String> {
        let found = self
            .command(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": selector })))
            .await?;
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no element id for {selector}"))
    }

    /// Types `text` into the element `selector` finds, key by key as a user would (its input
    /// events fire), after clearing it.
    pub async fn type_into(&self, selector: &str, text: &str) -> Result<(), String> {
        let id = self.element(selector).await?;
        self.command(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({}))).await?;
        self.command(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text })))
            .await
            .map(drop)
    }

    /// Sends `keys` to the element `selector` finds without clearing it first (WebDriver's key
    /// codes: `\u{E015}` arrow down, `\u{E007}` enter, `\u{E004}` tab).
    pub async fn press(&self, selector: &str, keys: &str) -> Result<(), String> {
        let id = self.element(selector).await?;
        self.command(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": keys })))
            .await
            .map(drop)
    }

    /// Sets the window's size in CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) -> Result<(), String> {
        self.command(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height })))
            .await
            .map(drop)
    }

    /// Saves a PNG of the page as it is shown (the viewport) to `path`.
    pub async fn screenshot(&self, path: &Path) -> Result<(), String> {
        use base64::Engine as _;
        let encoded = self.command(reqwest::Method::GET, "/screenshot", None).await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().ok_or("a screenshot is base64 text")?)
            .map_err(|error| format!("screenshot: {error}"))?;
        std::fs::write(path, png).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Fails when the page loaded anything from another origin than `base_url`, or the browser
    /// logged a problem (an error, a CSP violation, a refused load) since the last look.
    pub async fn only_this_origin_and_a_clean_log(&self, base_url: &str) -> Result<(), String> {
        let loaded = self
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
        let log = self.log().await?;
        let bad: Vec<&Value> = log
            .iter()
            .filter(|entry| {
                let message = entry["message"].as_str().unwrap_or_default();
                entry["level"] == "SEVERE"
                    || message.contains("Content Security Policy")
                    || message.contains("Refused to")
            })
            .collect();
        if !bad.is_empty() {
            return Err(format!("the browser logged problems: {bad:#?}"));
        }
        Ok(())
    }

    /// The browser log since the last call (console messages, failed loads, CSP violations).
    pub async fn log(&self) -> Result<Vec<Value>, String> {
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
