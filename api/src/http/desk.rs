//! The editorial desk (`/desk`): a review console in the browser, built only on the public
//! GraphQL API, served entirely from the binary (`api/assets/desk/`: one page, ES modules and a
//! style sheet, no framework and no bundler). The page answers every route of the app
//! (`/desk/review`, `/desk/facts/<id>`, …) so that each can be opened directly; the app routes on
//! the client.
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::response_cache::not_modified;

/// Where the desk's scripts and style sheet are served.
pub const ASSET_PREFIX: &str = "/desk/assets/";

/// The app's routes below `/desk/` that answer the page; `{id}` stands for one path segment.
pub const PAGE_ROUTES: &[&str] = &["/desk", "/desk/", "/desk/sign-in", "/desk/record", "/desk/work", "/desk/review"];

/// One embedded file of the desk.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const PAGE: Asset = Asset {
    name: "index.html",
    content_type: "text/html; charset=utf-8",
    body: include_bytes!("../../assets/desk/index.html"),
};

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Every file the page may load (the names must match `index.html` and the modules' imports).
pub const ASSETS: &[Asset] = &[
    Asset { name: "app.js", content_type: JAVASCRIPT, body: include_bytes!("../../assets/desk/app.js") },
    Asset { name: "api.js", content_type: JAVASCRIPT, body: include_bytes!("../../assets/desk/api.js") },
    Asset { name: "quotes.js", content_type: JAVASCRIPT, body: include_bytes!("../../assets/desk/quotes.js") },
    Asset { name: "views.js", content_type: JAVASCRIPT, body: include_bytes!("../../assets/desk/views.js") },
    Asset {
        name: "desk.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../assets/desk/desk.css"),
    },
];

/// The desk's Content-Security-Policy: this origin only, no inline script or style, no
/// framing, no form posted anywhere (the app posts GraphQL with `fetch`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// GET on one of the app's routes: the page. `/desk/facts/<id>` and `/desk/record/<id>` are
/// matched by [`page_with_id`].
pub async fn page(request_headers: HeaderMap) -> Response {
    serve(&PAGE, page_etag(), &request_headers, "no-cache")
}

/// GET /desk/facts/{id} and /desk/record/{id}: the page (the app reads the id from the path);
/// 404 for an id no global id could be (empty, too long, or not base64url-ish).
pub async fn page_with_id(Path(id): Path<String>, request_headers: HeaderMap) -> Response {
    let plausible = !id.is_empty()
        && id.len() <= 200
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'-' | b'_' | b'+'));
    if !plausible {
        return not_found();
    }
    serve(&PAGE, page_etag(), &request_headers, "no-cache")
}

/// GET /desk/assets/{name}: an embedded file, revalidated by its ETag (the names do not carry
/// a hash, so a browser must ask again, and gets 304 while nothing changed); 404 otherwise.
pub async fn asset(Path(name): Path<String>, request_headers: HeaderMap) -> Response {
    match ASSETS.iter().position(|asset| asset.name == name) {
        Some(index) => serve(&ASSETS[index], asset_etag(index), &request_headers, "no-cache"),
        None => not_found(),
    }
}

/// Any other path under /desk/: 404, with the desk's policy.
pub async fn unknown() -> Response {
    not_found()
}

fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, "no such page of the desk\n").into_response();
    secure(response.headers_mut());
    response
}

fn serve(asset: &Asset, etag: &'static HeaderValue, request_headers: &HeaderMap, cache: &'static str) -> Response {
    let fresh = not_modified(request_headers, etag);
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.body.into_response() };
    let headers = response.headers_mut();
    if !fresh {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::ETAG, etag.clone());
    secure(headers);
    response
}

fn secure(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// A strong ETag: a prefix of the body's SHA-256.
fn etag_for(body: &[u8]) -> HeaderValue {
    use sha2::{Digest, Sha256};
    let tag = format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32]);
    HeaderValue::from_str(&tag).expect("a hex digest in quotes is ASCII")
}

fn page_etag() -> &'static HeaderValue {
    static ETAG: OnceLock<HeaderValue> = OnceLock::new();
    ETAG.get_or_init(|| etag_for(PAGE.body))
}

fn asset_etag(index: usize) -> &'static HeaderValue {
    static ETAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    &ETAGS.get_or_init(|| ASSETS.iter().map(|asset| etag_for(asset.body)).collect())[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(asset: &Asset) -> &'static str {
        std::str::from_utf8(asset.body).expect("the desk's files are UTF-8")
    }

    /// Every asset the page and the modules name is embedded, and every embedded one is named.
    #[test]
    fn the_page_and_its_modules_load_exactly_the_embedded_assets() {
        let mut named: Vec<String> = Vec::new();
        for source in std::iter::once(&PAGE).chain(ASSETS.iter()) {
            for (at, _) in text(source).match_indices(ASSET_PREFIX) {
                let rest = &text(source)[at + ASSET_PREFIX.len()..];
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
                named.push(name);
            }
            for (at, _) in text(source).match_indices("from './") {
                let rest = &text(source)[at + "from './".len()..];
                named.push(rest.chars().take_while(|c| *c != '\'').collect());
            }
        }
        named.sort_unstable();
        named.dedup();
        let mut embedded: Vec<String> = ASSETS.iter().map(|asset| asset.name.to_owned()).collect();
        embedded.sort_unstable();
        assert_eq!(named, embedded);
    }

    /// The policy would block any inline script, handler or style attribute: there is none.
    #[test]
    fn nothing_inline_that_the_policy_would_block() {
        let page = text(&PAGE);
        assert!(!page.contains("<script>") && !page.contains("<style"), "inline code in the page");
        for source in std::iter::once(&PAGE).chain(ASSETS.iter()) {
            let body = text(source);
            for forbidden in [" style=\"", " onclick=", " onload=", "javascript:", "innerHTML", "eval("] {
                assert!(!body.contains(forbidden), "{} uses {forbidden}", source.name);
            }
        }
    }
}
