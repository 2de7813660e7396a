//! The editorial desk (`/desk`): served by the binary under a policy that allows only its own
//! origin, and usable in a real headless Chromium that cannot reach any other host. The browser
//! test is the issue's walk-through: the demo editor signs in, records a fact whose quote is not
//! in the snapshot, sees the server's error at the quote field, fixes it and submits; the demo
//! reviewer sees the quote marked in the queue and approves; the anonymous public page shows the
//! fact with its citation. Each screen is saved at 1,440 and 375 px wide in
//! `target/desk-screenshots/`.
use std::path::PathBuf;

use serde_json::json;

use crate::support::browser::{browser, foreign_urls, references, Driver, Session};
use crate::support::{visit_input, Backend, TestApp};

const PAGE_ROUTES: &[&str] =
    &["/desk", "/desk/", "/desk/sign-in", "/desk/record", "/desk/work", "/desk/review", "/desk/facts/RmFjdDox"];
const ASSETS: &[(&str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8"),
    ("api.js", "text/javascript; charset=utf-8"),
    ("quotes.js", "text/javascript; charset=utf-8"),
    ("views.js", "text/javascript; charset=utf-8"),
    ("desk.css", "text/css; charset=utf-8"),
];

fn assert_strict_policy(headers: &reqwest::header::HeaderMap, what: &str) {
    let policy = headers["content-security-policy"].to_str().unwrap();
    let directives: Vec<&str> = policy.split(';').map(str::trim).collect();
    for expected in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(directives.contains(&expected), "{what}: {expected} missing from {policy}");
    }
    for forbidden in ["'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:", "nonce-", "sha256-"] {
        assert!(!policy.contains(forbidden), "{what}: {forbidden} in {policy}");
    }
    assert_eq!(headers["x-frame-options"], "DENY", "{what}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
}

async fn every_route_of_the_desk_serves_its_page_under_a_policy_of_this_origin_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let base = &app.base_url;
    for route in PAGE_ROUTES {
        let response = app.client.get(format!("{base}{route}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{route}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8", "{route}");
        assert_strict_policy(&headers, route);
        let page = response.text().await.unwrap();
        assert!(page.contains("<title>Chancery desk</title>"), "{route}");
        assert!(!page.contains("<script>") && !page.contains("style=\""), "{route}: inline script or style");
        assert_eq!(foreign_urls(&page, base), Vec::<String>::new(), "{route} names another host");
        let loaded: Vec<String> = references(&page).into_iter().filter(|r| !r.starts_with("data:")).collect();
        assert!(!loaded.is_empty(), "{route}");
        for reference in loaded {
            assert!(reference.starts_with('/') || reference.starts_with('#'), "{route} refers to {reference}");
        }
    }

    for (name, content_type) in ASSETS {
        let url = format!("{base}/desk/assets/{name}");
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], *content_type, "{name}");
        assert_strict_policy(&headers, name);
        let body = response.text().await.unwrap();
        assert_eq!(foreign_urls(&body, base), Vec::<String>::new(), "{name} names another host");
        let etag = headers["etag"].clone();
        let revalidated = app.client.get(&url).header("if-none-match", etag.clone()).send().await.unwrap();
        assert_eq!(revalidated.status(), 304, "{name}");
        assert_eq!(revalidated.headers()["etag"], etag, "{name}");
        let stale = app.client.get(&url).header("if-none-match", "\"0000\"").send().await.unwrap();
        assert_eq!(stale.status(), 200, "{name}");
    }
}

async fn unknown_pages_and_assets_of_the_desk_are_404_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn_with_demo(backend).await;
    let facts_before = app.row_count("facts").await;
    let base = &app.base_url;
    let long_id = "A".repeat(201);
    for path in [
        "/desk/nope",
        "/desk/assets/nope.js",
        "/desk/assets/index.html",
        "/desk/assets/APP.JS",
        "/desk/assets/app.js/x",
        "/desk/assets/..%2F..%2Fsrc%2Fhttp.rs",
        "/desk/assets/",
        "/desk/facts/",
        "/desk/facts/a%20b",
        "/desk/facts/%3Cscript%3E",
        &format!("/desk/facts/{long_id}"),
        "/desk/facts/abc/def",
        "/desk/record/..%2F..",
    ] {
        let response = app.client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_strict_policy(response.headers(), path);
        assert!(!response.text().await.unwrap().contains("<script"), "{path}");
    }
    for method in ["POST", "PUT", "DELETE"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.client.request(method.clone(), format!("{base}/desk")).body("x").send().await.unwrap();
        assert_eq!(response.status(), 405, "{method} /desk");
    }
    assert_eq!(app.row_count("facts").await, facts_before, "nothing written");
}

// ---------------------------------------------------------------------------------------------
// The walk-through in the browser
// ---------------------------------------------------------------------------------------------

const EDITOR: (&str, &str) = ("editor@demo.chancery", "demo-editor-password");
const REVIEWER: (&str, &str) = ("reviewer@demo.chancery", "demo-reviewer-password");
const SOURCE_URL: &str = "https://example.org/news/port-talks-in-tartus";
const SNAPSHOT: &str = "Russian and Syrian officials met in Damascus on Monday. \
     According to the ministry, the two delegations discussed \u{201C}the reconstruction of the port\u{201D} \
     and the future of the naval base at Tartus.";
const WRONG_QUOTE: &str = "Damascus rejected the proposal outright";
const QUOTE: &str = "the two delegations discussed \"the reconstruction of the port\"";
const SUMMARY: &str = "Russian and Syrian officials discussed rebuilding the port of Tartus in Damascus.";

/// Ends the browser whatever happened, then fails with what went wrong in it, if anything.
async fn finish<T>(session: Session, driver: Driver, outcome: Result<T, String>) -> T {
    let quit = session.quit().await;
    drop(driver);
    let value = outcome.unwrap_or_else(|error| panic!("the desk in Chromium: {error}"));
    quit.expect("the browser session ends");
    value
}

/// Where the screenshots go: `target/desk-screenshots/` of the workspace.
fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/desk-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Walk<'a> {
    session: &'a Session,
    base_url: &'a str,
    shots: PathBuf,
    prefix: String,
    taken: Vec<String>,
}

impl<'a> Walk<'a> {
    /// A walk whose screenshots' names start with `prefix`.
    fn new(session: &'a Session, base_url: &'a str, prefix: String) -> Self {
        Walk { session, base_url, shots: screenshot_dir(), prefix, taken: Vec::new() }
    }

    /// Saves the screen at 1,440 px and at 375 px wide, with what `focus` finds (if anything)
    /// scrolled into the middle.
    async fn shoot(&mut self, name: &str, focus: Option<&str>) -> Result<(), String> {
        for (width, height) in [(1440, 1000), (375, 812)] {
            self.session.resize(width, height).await?;
            if let Some(selector) = focus {
                let script = "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });";
                self.session.run_with(script, vec![json!(selector)]).await?;
            }
            let file = format!("{}{:02}-{name}-{width}.png", self.prefix, self.taken.len() / 2 + 1);
            self.session.screenshot(&self.shots.join(&file)).await?;
            self.taken.push(file);
        }
        self.session.resize(1440, 1000).await
    }

    async fn open(&self, path: &str) -> Result<(), String> {
        self.session.open(&format!("{}{path}", self.base_url)).await
    }

    /// Sets a select's or a date's value and fires its events, as choosing it would.
    async fn choose(&self, selector: &str, value: &str) -> Result<(), String> {
        let script = "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
                      e.dispatchEvent(new Event('input', { bubbles: true })); \
                      e.dispatchEvent(new Event('change', { bubbles: true })); return e.value;";
        let set = self.session.run_with(script, vec![json!(selector), json!(value)]).await?;
        if set != value {
            return Err(format!("{selector} could not be set to {value}: {set}"));
        }
        Ok(())
    }

    async fn text_of(&self, selector: &str) -> Result<String, String> {
        let script = "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;";
        Ok(self.session.run_with(script, vec![json!(selector)]).await?.as_str().unwrap_or_default().to_owned())
    }

    async fn wait_text(&self, what: &str, selector: &str, text: &str) -> Result<(), String> {
        let script = format!(
            "const e = document.querySelector({}); return !!e && e.innerText.includes({});",
            json!(selector),
            json!(text)
        );
        self.session.wait_for(what, &script).await.map(drop)
    }

    async fn sign_in(&mut self, (email, password): (&str, &str), screen: Option<&str>) -> Result<(), String> {
        self.open("/desk/sign-in").await?;
        self.session.wait_for("the sign-in form", "return !!document.querySelector('#email');").await?;
        self.session.type_into("#email", email).await?;
        self.session.type_into("#password", password).await?;
        if let Some(screen) = screen {
            self.shoot(screen, None).await?;
        }
        self.session.click("#sign-in-submit").await?;
        self.session.wait_for("the sign-out button", "return !document.querySelector('#sign-out').hidden;").await?;
        Ok(())
    }

    async fn pick_actor(&self, picker: &str, typed: &str, name: &str) -> Result<(), String> {
        let input = format!("#{picker}");
        self.session.type_into(&input, typed).await?;
        let find = format!(
            "const o = [...document.querySelectorAll('[role=listbox]:not([hidden]) [role=option]')]\
             .find(o => o.querySelector('strong') && o.querySelector('strong').innerText === {}); return o ? o.id : null;",
            json!(name)
        );
        let option = self.session.wait_for(&format!("{name} offered for {typed:?}"), &find).await?;
        self.session.click(&format!("#{}", option.as_str().unwrap_or_default())).await?;
        let chosen =
            self.session.run_with("return document.querySelector(arguments[0]).value;", vec![json!(input)]).await?;
        if chosen != name {
            return Err(format!("{picker}: chose {chosen}, expected {name}"));
        }
        Ok(())
    }
}

async fn editor_records_and_reviewer_approves_a_fact_in_the_desk_and_the_public_page_shows_it(backend: Backend) {
    let Some((chromium, chromedriver)) = browser("desk") else { return };
    let app = TestApp::spawn_with_demo(backend).await;
    let driver = Driver::start(&chromedriver).await;
    let session = driver.session(&chromium).await;
    let mut walk = Walk::new(&session, &app.base_url, format!("{backend:?}-").to_lowercase());
    let outcome = walk_through(&mut walk).await;
    let taken = walk.taken.clone();
    let fact_id = finish(session, driver, outcome).await;

    // What the browser did is what the server holds.
    let fact = app
        .query_ok(
            "query($id: ID!) { fact(id: $id) { status summary citations { quote verified source { url } } } }",
            json!({ "id": fact_id }),
        )
        .await;
    assert_eq!(fact["fact"]["status"], "PUBLISHED", "{fact:#}");
    assert_eq!(fact["fact"]["summary"], SUMMARY);
    assert_eq!(fact["fact"]["citations"][0]["quote"], QUOTE);
    assert_eq!(fact["fact"]["citations"][0]["verified"], true);
    assert_eq!(fact["fact"]["citations"][0]["source"]["url"], SOURCE_URL);
    assert_eq!(taken.len(), 16, "{taken:?}");
    eprintln!("desk screenshots in target/desk-screenshots/: {taken:?}");
}

/// The walk-through; the published fact's global id.
async fn walk_through(walk: &mut Walk<'_>) -> Result<String, String> {
    let session = walk.session;

    // The editor signs in and lands on their work.
    walk.sign_in(EDITOR, Some("sign-in")).await?;
    walk.wait_text("My work", "main h1", "My work").await?;
    walk.shoot("my-work", None).await?;

    // Records a fact: the kind says what it takes; actors found by name and by alias.
    session.click("a[href='/desk/record']").await?;
    session
        .wait_for("the record form", "return !!document.querySelector('#kind option[value=\"diplomatic.visit\"]');")
        .await?;
    walk.choose("#kind", "diplomatic.visit").await?;
    walk.wait_text("the kind's roles", "#kind-help", "Roles: subject, object, speaker, participant").await?;
    session.wait_for("the kind's qualifiers", "return !!document.querySelector('#qualifier-location');").await?;
    walk.pick_actor("participant-0-actor", "russ", "Russia").await?;
    walk.pick_actor("participant-1-actor", "damascus", "Syria").await?;
    walk.choose("#participant-0-role", "SUBJECT").await?;
    walk.choose("#participant-1-role", "OBJECT").await?;
    session.type_into("#qualifier-location", "Damascus").await?;
    session.type_into("#summary", SUMMARY).await?;
    walk.choose("#occurredOn", "2025-03-10").await?;
    walk.choose("#occurredPrecision", "DAY").await?;

    // A new source with its text, and a quote that is not in it: marked before saving.
    session.type_into("#source-url", SOURCE_URL).await?;
    session.click("#source-find").await?;
    walk.wait_text("the source to be new", "#source-status", "Not stored yet").await?;
    session.type_into("#source-title", "Russian and Syrian officials discuss Tartus port").await?;
    walk.pick_actor("source-outlet", "arabiya", "Al Arabiya").await?;
    session.type_into("#source-snapshot", SNAPSHOT).await?;
    session.type_into("#quote", WRONG_QUOTE).await?;
    session
        .wait_for("the quote marked as missing", "return document.querySelector('#quote-status.missing') !== null;")
        .await?;
    walk.shoot("quote-not-in-snapshot", Some("#quote")).await?;

    // Saved anyway: the server refuses it, and its error stands at the quote field.
    session.click("#save-draft").await?;
    session
        .wait_for(
            "the server's error at the quote",
            "const e = document.querySelector('#quote-error [data-path=\"citations[0].quote\"]'); return !!e && e.innerText.length > 0;",
        )
        .await?;
    walk.wait_text("the error summary", "#form-errors", "BAD_USER_INPUT").await?;
    let invalid = session.run("return document.querySelector('#quote').getAttribute('aria-invalid');").await?;
    if invalid != "true" {
        return Err(format!("the quote field is not marked invalid: {invalid}"));
    }
    walk.shoot("server-error-at-quote", Some("#quote")).await?;

    // Fixed: found in the snapshot and marked there (curly quotes typed straight).
    session.type_into("#quote", QUOTE).await?;
    session.wait_for("the quote found", "return document.querySelector('#quote-status.found') !== null;").await?;
    let marked = walk.text_of("#quote-preview mark").await?;
    if marked != "the two delegations discussed \u{201C}the reconstruction of the port\u{201D}" {
        return Err(format!("the preview marks {marked:?}"));
    }
    walk.shoot("quote-found", Some("#quote-preview")).await?;
    session.click("#submit").await?;
    walk.wait_text("My work after submitting", "main h1", "My work").await?;
    walk.wait_text("the fact in review", "section[aria-label='In review']", SUMMARY).await?;
    walk.shoot("submitted", None).await?;
    session.click("#sign-out").await?;
    walk.wait_text("the sign-in page", "main h1", "Sign in").await?;

    // The reviewer sees it in the queue, the quote marked in its snapshot, and approves it.
    walk.sign_in(REVIEWER, None).await?;
    walk.wait_text("the review queue", "main h1", "Review queue").await?;
    let card = session
        .wait_for(
            "the fact in the queue",
            &format!(
                "const card = [...document.querySelectorAll('article[data-fact]')].find(a => a.querySelector('h2').innerText === {}); \
                 return card ? card.dataset.fact : null;",
                json!(SUMMARY)
            ),
        )
        .await?;
    let fact_id = card.as_str().ok_or("a fact id")?.to_owned();
    let card = format!("article[data-fact='{fact_id}']");
    let marked = walk.text_of(&format!("{card} blockquote mark")).await?;
    if marked != "the two delegations discussed \u{201C}the reconstruction of the port\u{201D}" {
        return Err(format!("the queue marks {marked:?}"));
    }
    walk.shoot("review-queue", Some(&format!("{card} blockquote"))).await?;
    session.click(&format!("{card} button[data-decision=APPROVE]")).await?;
    walk.wait_text("the approval", "#notice", "Approved").await?;
    session.click("#sign-out").await?;

    // Anyone can open the public page directly.
    walk.open(&format!("/desk/facts/{fact_id}")).await?;
    walk.wait_text("the public page", "main h1", SUMMARY).await?;
    walk.wait_text("the status", "main .claim", "Published").await?;
    walk.wait_text("the citation's source", "main .citation", "Russian and Syrian officials discuss Tartus port")
        .await?;
    walk.wait_text("the outlets", "main h2", "Citations (1) from 1 outlet").await?;
    walk.wait_text("the outlet", "main .citation", "Al Arabiya").await?;
    let marked = walk.text_of("main .citation mark").await?;
    if !marked.contains("the reconstruction of the port") {
        return Err(format!("the public page marks {marked:?}"));
    }
    let signed_in = session.run("return sessionStorage.length;").await?;
    if signed_in != 0 {
        return Err(format!("a session is left after signing out: {signed_in}"));
    }
    walk.shoot("public-fact-page", None).await?;

    session.only_this_origin_and_a_clean_log(walk.base_url).await?;
    Ok(fact_id)
}

/// The token is refused mid-way (expired, revoked): the desk asks for the password in a dialog
/// over the form, then carries on with the save, and nothing typed is lost.
async fn a_refused_token_asks_for_the_password_again_and_keeps_the_form(backend: Backend) {
    let Some((chromium, chromedriver)) = browser("desk") else { return };
    let app = TestApp::spawn_with_demo(backend).await;
    let driver = Driver::start(&chromedriver).await;
    let session = driver.session(&chromium).await;
    let mut walk = Walk::new(&session, &app.base_url, format!("{backend:?}-session-").to_lowercase());
    let outcome = async {
        walk.sign_in(EDITOR, None).await?;
        walk.open("/desk/record").await?;
        session.wait_for("the record form", "return !!document.querySelector('#summary');").await?;
        session.type_into("#summary", SUMMARY).await?;
        // An actor found by an alias and chosen with the keyboard alone.
        session.type_into("#participant-0-actor", "julani").await?;
        walk.wait_text("the alias's actor offered", "[role=listbox]:not([hidden])", "Ahmed al-Sharaa").await?;
        session.press("#participant-0-actor", "\u{E015}\u{E007}").await?;
        let chosen = session.run("return document.querySelector('#participant-0-actor').value;").await?;
        if chosen != "Ahmed al-Sharaa" {
            return Err(format!("the keyboard chose {chosen}"));
        }
        // The server no longer accepts the token the tab holds.
        session
            .run(
                "const key = 'chancery.desk.session'; const s = JSON.parse(sessionStorage.getItem(key)); \
                 s.token = s.token.slice(0, -4) + 'AAAA'; sessionStorage.setItem(key, JSON.stringify(s));",
            )
            .await?;
        session.click("#save-draft").await?;
        session.wait_for("the sign-in dialog", "return document.querySelector('#reauth').open;").await?;
        session.type_into("#reauth-password", EDITOR.1).await?;
        walk.shoot("sign-in-again", None).await?;
        session.click("#reauth button[type=submit]").await?;
        // The save went on with the new token: the server judged the (incomplete) fact itself.
        walk.wait_text("the server's verdict on the draft", "#form-errors", "BAD_USER_INPUT").await?;
        let kept = session.run("return document.querySelector('#summary').value;").await?;
        if kept != SUMMARY {
            return Err(format!("the summary was lost: {kept}"));
        }
        let open = session.run("return document.querySelector('#reauth').open;").await?;
        if open != false {
            return Err("the dialog stayed open".into());
        }
        Ok::<(), String>(())
    }
    .await;
    finish(session, driver, outcome).await;
}

const CREATE_AND_SUBMIT: &str =
    "mutation($input: CreateFactInput!) { createFact(input: $input) { fact { id version } } }";
const SUBMIT: &str =
    "mutation($id: ID!, $v: Int!) { submitFact(input: {id: $id, expectedVersion: $v}) { fact { id } } }";

/// A visit recorded and submitted through the API by whoever holds `token`, with two citations
/// and a qualifier given twice (the desk's form edits the first citation and must keep the rest);
/// its global id.
async fn submitted_visit(app: &TestApp, token: &str, summary: &str) -> String {
    let source = app.demo_source_id().await;
    let mut input = visit_input(&app.actor_id("Russia").await, &app.actor_id("Syria").await, &source, summary);
    input["qualifiers"] = json!([
        { "key": "location", "value": "Damascus" },
        { "key": "topic", "value": "trade" },
        { "key": "topic", "value": "education" },
    ]);
    let second = json!({ "source": source, "quote": "bound by the ties of mutually beneficial cooperation", "attribution": "DIRECT" });
    input["citations"].as_array_mut().unwrap().push(second);
    let created = app.ok_as(token, CREATE_AND_SUBMIT, json!({ "input": input })).await;
    let id = created["createFact"]["fact"]["id"].as_str().unwrap().to_owned();
    app.ok_as(token, SUBMIT, json!({ "id": id, "v": created["createFact"]["fact"]["version"] })).await;
    id
}

/// Sent back and resubmitted: the reviewer cannot approve their own fact and sees why; sending
/// back needs a comment; the editor finds the comment in My work, edits and resubmits; the
/// reviewer then sees only what changed.
async fn a_fact_sent_back_comes_back_with_what_changed_and_a_reviewers_own_fact_cannot_be_approved(backend: Backend) {
    let Some((chromium, chromedriver)) = browser("desk") else { return };
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let editors = submitted_visit(&app, &editor, "Russian diplomats visited Damascus in January.").await;
    let reviewers = submitted_visit(&app, &reviewer, "A Russian delegation went to Damascus.").await;
    // Corroboration: a second quote proposed for the published phone call waits in the queue too.
    let facts = app.query_ok("{ facts(first: 50) { nodes { id summary } } }", json!({})).await;
    let call = facts["facts"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|fact| {
            fact["summary"]
                .as_str()
                .unwrap()
                .starts_with("Vladimir Putin and Ahmed al-Sharaa held their first phone call")
        })
        .expect("the demo's phone call")["id"]
        .clone();
    let citation =
        json!({ "source": app.demo_source_id().await, "quote": crate::support::VISIT_QUOTE, "attribution": "DIRECT" });
    let proposed = app
        .ok_as(
            &editor,
            "mutation($f: ID!, $c: CitationInput!) { proposeCitation(input: {factId: $f, citation: $c}) { citation { id } } }",
            json!({ "f": call, "c": citation }),
        )
        .await;
    let pending = proposed["proposeCitation"]["citation"]["id"].as_str().unwrap().to_owned();
    let driver = Driver::start(&chromedriver).await;
    let session = driver.session(&chromium).await;
    let mut walk = Walk::new(&session, &app.base_url, format!("{backend:?}-sent-back-").to_lowercase());
    let outcome = async {
        walk.sign_in(REVIEWER, None).await?;
        let own = format!("article[data-fact='{reviewers}']");
        walk.wait_text("the reviewer's own fact", &format!("{own} .decision"), "You wrote this fact").await?;
        let disabled =
            session.run_with("return document.querySelector(arguments[0]).disabled;", vec![json!(format!("{own} button[data-decision=APPROVE]"))]).await?;
        if disabled != true {
            return Err("the reviewer's own fact can be approved".into());
        }
        walk.shoot("own-fact", Some(&format!("{own} .decision"))).await?;

        let proposal = format!("article[data-citation='{pending}']");
        let marked = walk.text_of(&format!("{proposal} blockquote mark")).await?;
        if marked != crate::support::VISIT_QUOTE {
            return Err(format!("the pending citation marks {marked:?}"));
        }
        walk.shoot("pending-citation", Some(&proposal)).await?;
        session.click(&format!("{proposal} button[data-decision=APPROVE]")).await?;
        walk.wait_text("the citation decided", "#notice", "Citation approved").await?;

        let card = format!("article[data-fact='{editors}']");
        session.click(&format!("{card} button[data-decision=REQUEST_CHANGES]")).await?;
        walk.wait_text("a comment asked for", &format!("{card} .decision .error"), "A comment is required").await?;
        session.type_into(&format!("{card} textarea"), "Name the ministry that announced the visit.").await?;
        session.click(&format!("{card} button[data-decision=REQUEST_CHANGES]")).await?;
        walk.wait_text("the decision", "#notice", "Sent back to its author").await?;
        session.click("#sign-out").await?;

        walk.sign_in(EDITOR, None).await?;
        walk.wait_text("the fact sent back", "section[aria-label='Sent back to me']", "Name the ministry that announced the visit.").await?;
        walk.shoot("sent-back", None).await?;
        session.click(&format!("a[href='/desk/record/{editors}']")).await?;
        session.wait_for("the fact in the form", "return document.querySelector('#summary') && document.querySelector('#summary').value.includes('January');").await?;
        walk.wait_text("the quote found in the stored snapshot", "#quote-status", "Found in the snapshot").await?;
        walk.wait_text("the second citation kept", "section[aria-label='Other citations']", "mutually beneficial").await?;
        let topics = session.run("return [...document.querySelectorAll('input[data-key=topic]')].map(i => i.value);").await?;
        if topics != json!(["trade", "education"]) {
            return Err(format!("the form shows the topics {topics}"));
        }
        walk.shoot("editing", Some("#record-title")).await?;
        session.type_into("#summary", "Russian diplomats visited Damascus in January, the foreign ministry said.").await?;
        session.click("#submit").await?;
        walk.wait_text("the fact back in review", "section[aria-label='In review']", "the foreign ministry said").await?;
        session.click("#sign-out").await?;

        walk.sign_in(REVIEWER, None).await?;
        walk.wait_text("what changed", &format!("{card} .changes"), "the foreign ministry said").await?;
        let fields = session
            .run_with("return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);", vec![json!(format!("{card} .changes dt"))])
            .await?;
        if fields != json!(["summary"]) {
            return Err(format!("the resubmission shows changes to {fields}"));
        }
        walk.shoot("resubmitted", Some(&format!("{card} .changes"))).await?;
        session.only_this_origin_and_a_clean_log(walk.base_url).await
    }
    .await;
    finish(session, driver, outcome).await;
}

/// The public page of a fact no longer current says so at the top, with the reason or a link to
/// the correction; the correction links back to what it corrects.
async fn the_public_page_marks_retracted_and_superseded_facts_with_their_notices(backend: Backend) {
    let Some((chromium, chromedriver)) = browser("desk") else { return };
    let app = TestApp::spawn_with_demo(backend).await;
    let editor = app.login(EDITOR.0, EDITOR.1).await;
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let facts = app.query_ok("{ facts(first: 50) { nodes { id version summary } } }", json!({})).await;
    let demo_fact = |start: &str| {
        let fact = facts["facts"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|fact| fact["summary"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("the demo fact {start:?}"));
        (fact["id"].as_str().unwrap().to_owned(), fact["version"].clone())
    };
    let (retracted, version) = demo_fact("Hayat Tahrir al-Sham launched a surprise attack");
    let reason = "The attack began in Aleppo; Damascus fell later.";
    app.ok_as(
        &reviewer,
        "mutation($id: ID!, $v: Int!, $r: String!) { retractFact(input: {id: $id, expectedVersion: $v, reason: $r}) { fact { id } } }",
        json!({ "id": retracted, "v": version, "r": reason }),
    )
    .await;
    let (superseded, version) = demo_fact("A Russian delegation led by Deputy Foreign Minister Mikhail Bogdanov");
    let correction_summary = "A Russian delegation visited Damascus in January 2025.";
    let mut input = visit_input(
        &app.actor_id("Russia").await,
        &app.actor_id("Syria").await,
        &app.demo_source_id().await,
        correction_summary,
    );
    input["id"] = json!(superseded);
    input["expectedVersion"] = version;
    let correction = app
        .ok_as(
            &editor,
            "mutation($input: SupersedeFactInput!) { supersedeFact(input: $input) { fact { id version } } }",
            json!({ "input": input }),
        )
        .await;
    let correction_id = correction["supersedeFact"]["fact"]["id"].as_str().unwrap().to_owned();
    app.ok_as(&editor, SUBMIT, json!({ "id": correction_id, "v": correction["supersedeFact"]["fact"]["version"] }))
        .await;
    app.ok_as(
        &reviewer,
        "mutation($id: ID!, $v: Int!) { reviewFact(input: {id: $id, expectedVersion: $v, decision: APPROVE}) { fact { status } } }",
        json!({ "id": correction_id, "v": correction["supersedeFact"]["fact"]["version"].as_i64().unwrap() + 1 }),
    )
    .await;

    let driver = Driver::start(&chromedriver).await;
    let session = driver.session(&chromium).await;
    let mut walk = Walk::new(&session, &app.base_url, format!("{backend:?}-notices-").to_lowercase());
    let outcome = async {
        walk.open(&format!("/desk/facts/{retracted}")).await?;
        walk.wait_text("the retraction notice", "main .banner.retracted", reason).await?;
        walk.shoot("retracted", None).await?;
        walk.open(&format!("/desk/facts/{superseded}")).await?;
        walk.wait_text("the supersession notice", "main .banner.superseded", correction_summary).await?;
        walk.shoot("superseded", None).await?;
        session.click("main .banner.superseded a").await?;
        walk.wait_text("the correction's page", "main h1", correction_summary).await?;
        walk.wait_text("the link back", "main .banner", "This fact corrects").await?;
        walk.wait_text("the history", "main .history", "approved").await?;
        walk.open("/desk/facts/RmFjdDowMTk0Zjc3NC05NDAwLTc5OTktODAwMC0wMDAwMDAwMDAwMDA=").await?;
        walk.wait_text("an unknown fact", "main h1", "No such fact").await?;
        session.only_this_origin_and_a_clean_log(walk.base_url).await
    }
    .await;
    finish(session, driver, outcome).await;
}

backend_tests!(
    the_public_page_marks_retracted_and_superseded_facts_with_their_notices,
    a_fact_sent_back_comes_back_with_what_changed_and_a_reviewers_own_fact_cannot_be_approved,
    a_refused_token_asks_for_the_password_again_and_keeps_the_form,
    every_route_of_the_desk_serves_its_page_under_a_policy_of_this_origin_only,
    unknown_pages_and_assets_of_the_desk_are_404_and_change_nothing,
    editor_records_and_reviewer_approves_a_fact_in_the_desk_and_the_public_page_shows_it,
);
