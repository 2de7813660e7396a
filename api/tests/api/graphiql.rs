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
use std::time::Instant;

use serde_json::json;

use crate::support::browser::{browser, foreign_urls, references, Driver, Session};
use crate::support::{Backend, TestApp};

/// A summary of a fact in the demo data (api/demo/demo.json), among the five newest.
const DEMO_SUMMARY: &str = "Vladimir Putin and Ahmed al-Sharaa held their first phone call";

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

/// Puts the result pane's text in `text` (CodeMirror renders the lines in view: the answers here
/// are short).
const RESULT_TEXT: &str = "const pane = document.querySelector('.graphiql-response'); \
                           const text = pane ? pane.innerText : '';";
const QUERY_EDITOR: &str = ".graphiql-query-editor .CodeMirror";
/// The query the browser test types in (by the editor's API) after running the default one.
const ACTORS: &str = "{ actors(first: 3) { nodes { name } } }";

async fn graphiql_runs_a_query_in_a_headless_browser_with_no_internet(backend: Backend) {
    let Some((chromium, chromedriver)) = browser("GraphiQL") else { return };
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
    session.only_this_origin_and_a_clean_log(base_url).await
}

backend_tests!(
    the_page_and_every_asset_it_loads_come_from_this_server,
    unknown_assets_are_404_and_other_methods_are_refused,
    graphiql_runs_a_query_in_a_headless_browser_with_no_internet,
);
