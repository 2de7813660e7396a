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

/// Normalizes a URL the way sources are stored: http(s) only, lower-case host (the `url` crate
/// does that), no default port, no fragment, no `utm_*` tracking parameters, no credentials.
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
    fn refuses_other_schemes_and_garbage() {
        assert_eq!(canonicalize_url("ftp://example.com/x"), Err(UrlError::UnsupportedScheme));
        assert_eq!(canonicalize_url("javascript:alert(1)"), Err(UrlError::UnsupportedScheme));
        assert_eq!(canonicalize_url("not a url"), Err(UrlError::Malformed));
        assert_eq!(canonicalize_url("  "), Err(UrlError::Empty));
    }
}
