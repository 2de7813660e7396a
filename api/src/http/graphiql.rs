//! GraphiQL, the in-browser IDE, served entirely from the binary: our own page
//! (`api/assets/graphiql/index.html`) and the vendored React and GraphiQL builds it loads from
//! `/graphiql/assets/<name>`, so that it works offline and loads nothing from another origin.
//! `scripts/vendor-graphiql.sh` refreshes the vendored files (pinned versions and SHA-256s;
//! licences in `api/assets/graphiql/LICENSES.md`).
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::response_cache::not_modified;

/// The page, with [`NONCE_PLACEHOLDER`] where each answer's nonce goes.
const PAGE_TEMPLATE: &str = include_str!("../../assets/graphiql/index.html");
const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// Where the assets are served; their names carry their version, so an answer never changes and
/// may be cached for good.
pub const ASSET_PREFIX: &str = "/graphiql/assets/";

/// One vendored file served under [`ASSET_PREFIX`].
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the page may load (the names must match `index.html` and the script).
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react-18.3.1.production.min.js"),
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/react-dom-18.3.1.production.min.js"),
    },
    Asset {
        name: "graphiql-4.1.2.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../../assets/graphiql/graphiql-4.1.2.min.js"),
    },
    Asset {
        name: "graphiql-4.1.2.min.css",
        content_type: CSS,
        body: include_bytes!("../../assets/graphiql/graphiql-4.1.2.min.css"),
    },
];

/// GET /graphql without a query: the GraphiQL page, under a Content-Security-Policy that lets
/// it load only this origin's scripts, styles and data, and never be framed.
pub async fn page() -> Response {
    let nonce = fresh_nonce();
    let mut response = Html(PAGE_TEMPLATE.replace(NONCE_PLACEHOLDER, &nonce)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, content_security_policy(&nonce));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Each answer carries its own nonce: none is ever served twice from a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// GET /graphiql/assets/{name}: a vendored file, cacheable for a year (its name changes with
/// its content), with an ETag for clients that revalidate anyway; 404 for any other name.
pub async fn asset(Path(name): Path<String>, request_headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = &ASSETS[index];
    let etag = etag_of(index);
    let fresh = not_modified(&request_headers, etag);
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.body.into_response() };
    let headers = response.headers_mut();
    if !fresh {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert(header::ETAG, etag.clone());
    response
}

/// The strong ETag of `ASSETS[index]`: a prefix of its SHA-256, computed once.
fn etag_of(index: usize) -> &'static HeaderValue {
    static ETAGS: OnceLock<Vec<HeaderValue>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| {
        use sha2::{Digest, Sha256};
        ASSETS
            .iter()
            .map(|asset| {
                let tag = format!("\"{}\"", &hex::encode(Sha256::digest(asset.body))[..32]);
                HeaderValue::from_str(&tag).expect("a hex digest in quotes is ASCII")
            })
            .collect()
    });
    &etags[index]
}

/// 128 random bits, base64: the nonce of one answer's inline styles.
fn fresh_nonce() -> String {
    use base64::Engine as _;
    use password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The page's Content-Security-Policy. Nothing from another origin; scripts from this origin
/// and the page's inline script by its hash (never `'unsafe-inline'` or `'unsafe-eval'`).
///
/// Styles: this origin, plus inline `<style>` elements carrying this answer's nonce — the page's
/// own, and those Radix UI (GraphiQL's dialogs) adds at run time with the nonce the page hands
/// it through `__webpack_nonce__`. Their content depends on the scroll bar's width, so no hash
/// can allow them, and without the nonce opening a dialog (settings, shortcuts) is a CSP
/// violation; `'unsafe-inline'` is not needed. Style attributes that React and CodeMirror set
/// through the CSSOM (`element.style`) are not subject to the policy.
fn content_security_policy(nonce: &str) -> HeaderValue {
    let policy = format!(
        "default-src 'none'; script-src 'self' {scripts}; style-src 'self' 'nonce-{nonce}'; connect-src 'self'; \
         img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        scripts = inline_script_hashes()
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
}

/// `'sha256-…'` of each inline `<script>` of the page, computed once.
fn inline_script_hashes() -> &'static str {
    static HASHES: OnceLock<String> = OnceLock::new();
    HASHES.get_or_init(|| {
        use base64::Engine as _;
        use sha2::{Digest, Sha256};
        let mut hashes = Vec::new();
        let mut rest = PAGE_TEMPLATE;
        while let Some(start) = rest.find("<script>") {
            let body = &rest[start + "<script>".len()..];
            let Some(end) = body.find("</script>") else { break };
            let digest = Sha256::digest(&body.as_bytes()[..end]);
            hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
            rest = &body[end..];
        }
        hashes.join(" ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the page loads from this origin: every `src`/`href` that starts with a `/`.
    fn referenced_assets() -> Vec<&'static str> {
        let mut found = Vec::new();
        for attribute in ["src=\"", "href=\""] {
            for (at, _) in PAGE_TEMPLATE.match_indices(attribute) {
                let value = &PAGE_TEMPLATE[at + attribute.len()..];
                let value = &value[..value.find('"').unwrap()];
                if let Some(name) = value.strip_prefix(ASSET_PREFIX) {
                    found.push(name);
                } else {
                    assert!(value.starts_with("data:"), "the page loads {value} from elsewhere");
                }
            }
        }
        found
    }

    #[test]
    fn the_page_loads_exactly_the_embedded_assets() {
        let mut referenced = referenced_assets();
        referenced.sort_unstable();
        let mut embedded: Vec<&str> = ASSETS.iter().map(|asset| asset.name).collect();
        embedded.sort_unstable();
        assert_eq!(referenced, embedded);
    }

    #[test]
    fn the_nonce_goes_in_one_place_and_the_script_is_hashed() {
        assert_eq!(PAGE_TEMPLATE.matches(NONCE_PLACEHOLDER).count(), 1);
        assert_eq!(inline_script_hashes().matches("'sha256-").count(), 1);
        assert_ne!(fresh_nonce(), fresh_nonce());
    }
}
