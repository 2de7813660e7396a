//! Canonical source URLs: one document, one row, however the link was copied.
use url::Url;

pub const MAX_URL_LENGTH: usize = 2048;

/// Why a URL cannot identify a source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_URL_LENGTH} characters")]
    TooLong,
    #[error("is not a valid absolute URL")]
    Malformed,
    #[error("must use http or https")]
    UnsupportedScheme,
    #[error("must name a host")]
    MissingHost,
}

/// Normalizes a URL the way sources are stored, so that one document has one row however its
/// link was copied:
/// - http(s) only, and a host is required;
/// - the host in lower case, without a leading `www.` (`www.example.org` is `example.org`);
/// - no default port (`:80` for http, `:443` for https);
/// - no trailing `/` at the end of a path (`/news/item/` is `/news/item`; the root stays `/`);
/// - no fragment, no `utm_*` tracking parameters, no credentials; other parameters are kept in
///   their order.
pub fn canonicalize_url(raw: &str) -> Result<String, UrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UrlError::Empty);
    }
    if trimmed.len() > MAX_URL_LENGTH {
        return Err(UrlError::TooLong);
    }
    let mut url = Url::parse(trimmed).map_err(|_| UrlError::Malformed)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::UnsupportedScheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::MissingHost);
    }
    if let Some(bare) = url.host_str().and_then(|host| host.strip_prefix("www.")).filter(|bare| bare.contains('.')) {
        let bare = bare.to_owned();
        url.set_host(Some(&bare)).map_err(|_| UrlError::Malformed)?;
    }
    let path = url.path().to_owned();
    if path.len() > 1 && path.ends_with('/') {
        url.set_path(path.trim_end_matches('/'));
        if url.path().is_empty() {
            url.set_path("/");
        }
    }
    url.set_fragment(None);
    // Credentials never belong in a citation; dropping them cannot fail for http(s) URLs.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| !key.to_ascii_lowercase().starts_with("utm_"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let canonical = url.to_string();
    if canonical.len() > MAX_URL_LENGTH {
        return Err(UrlError::TooLong);
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_host_and_drops_fragment_and_tracking() {
        assert_eq!(
            canonicalize_url("HTTPS://Example.COM/a/B?utm_source=x&id=3&UTM_medium=y#top").unwrap(),
            "https://example.com/a/B?id=3"
        );
    }

    #[test]
    fn drops_empty_query_and_default_port() {
        assert_eq!(canonicalize_url("http://example.com:80/x?utm_campaign=z").unwrap(), "http://example.com/x");
    }

    #[test]
    fn one_document_has_one_spelling() {
        let canonical = "https://example.org/news/item";
        for spelling in [
            "https://example.org/news/item",
            "https://www.example.org/news/item",
            "https://WWW.Example.org:443/news/item/",
            "https://example.org/news/item//#comments",
            "https://example.org/news/item/?utm_source=feed",
        ] {
            assert_eq!(canonicalize_url(spelling).unwrap(), canonical, "{spelling}");
        }
        assert_eq!(canonicalize_url("https://www.example.org/").unwrap(), "https://example.org/");
        assert_eq!(canonicalize_url("https://www.example.org").unwrap(), "https://example.org/");
        assert_eq!(canonicalize_url("http://example.org:8080/a/").unwrap(), "http://example.org:8080/a");
        // `www` alone, or a host that merely starts with it, is a name of its own.
        assert_eq!(canonicalize_url("http://www/a").unwrap(), "http://www/a");
        assert_eq!(canonicalize_url("https://wwwexample.org/a").unwrap(), "https://wwwexample.org/a");
        // The path's case and the order of the other parameters are the document's.
        assert_eq!(canonicalize_url("https://example.org/A/b?z=1&a=2").unwrap(), "https://example.org/A/b?z=1&a=2");
    }

    #[test]
    fn refuses_other_schemes_and_garbage() {
        assert_eq!(canonicalize_url("ftp://example.com/x"), Err(UrlError::UnsupportedScheme));
        assert_eq!(canonicalize_url("javascript:alert(1)"), Err(UrlError::UnsupportedScheme));
        assert_eq!(canonicalize_url("not a url"), Err(UrlError::Malformed));
        assert_eq!(canonicalize_url("  "), Err(UrlError::Empty));
    }
}
