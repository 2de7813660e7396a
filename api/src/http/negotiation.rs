//! GraphQL over HTTP: the answer's media type, negotiated from `Accept`, and how a GraphQL
//! response becomes an HTTP answer under it (status, body, headers).
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::http_error;
use crate::error_code::ErrorCode;

/// The media type of GraphQL answers, negotiated from the request's `Accept` (GraphQL over HTTP,
/// "Media Types"): `application/graphql-response+json` only for a client that asks for it ahead
/// of (or instead of) `application/json`; `application/json` otherwise — without an Accept
/// header, for `*/*`, and for clients that ask for neither (the spec's legacy default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    Json,
    GraphQLResponseJson,
}

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

impl ResponseFormat {
    pub fn negotiate(headers: &HeaderMap) -> Self {
        // (quality, how specific: 2 exact, 1 `application/*`, 0 `*/*`, position) of each type.
        let mut graphql_response: Option<(u16, u8, usize)> = None;
        let mut json: Option<(u16, u8, usize)> = None;
        let ranges = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .enumerate();
        for (position, range) in ranges {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality = parts
                .filter_map(|parameter| parameter.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .map_or(1000, |(_, value)| parse_quality(value.trim()));
            let seen = |current: Option<(u16, u8, usize)>, specificity: u8| match current {
                // The most specific range that matches a type gives its quality (RFC 9110 §12.5.1).
                Some(known) if known.1 >= specificity => Some(known),
                _ => Some((quality, specificity, position)),
            };
            match media.as_str() {
                GRAPHQL_RESPONSE_JSON => graphql_response = seen(graphql_response, 2),
                "application/json" => json = seen(json, 2),
                "application/*" => {
                    graphql_response = seen(graphql_response, 1);
                    json = seen(json, 1);
                }
                "*/*" => {
                    graphql_response = seen(graphql_response, 0);
                    json = seen(json, 0);
                }
                _ => {}
            }
        }
        match (graphql_response, json) {
            // Only a client that names it gets the new type: a wildcard means application/json.
            (Some((quality, 2, position)), json) if quality > 0 => match json {
                Some((json_quality, json_specificity, json_position)) if json_quality > 0 => {
                    let ahead = quality > json_quality
                        || (quality == json_quality && (json_specificity < 2 || position < json_position));
                    if ahead {
                        Self::GraphQLResponseJson
                    } else {
                        Self::Json
                    }
                }
                _ => Self::GraphQLResponseJson,
            },
            _ => Self::Json,
        }
    }

    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphQLResponseJson => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// An Accept quality value in thousandths; 0 (not acceptable) when it does not parse.
fn parse_quality(value: &str) -> u16 {
    value.parse::<f32>().ok().filter(|q| (0.0..=1.0).contains(q)).map_or(0, |q| (q * 1000.0).round() as u16)
}

/// Whether execution began: when it did not, the errors are request errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    Yes,
    No,
}

/// A GraphQL response as HTTP. Under `application/json` every GraphQL response is a 200 (the
/// spec's legacy rule, which clients of that type rely on). Under
/// `application/graphql-response+json` a request error — no execution happened: the document
/// did not parse or validate, its variables did not coerce, or it was refused before — is a 400
/// without a `data` entry; a response from execution is a 200, field errors or not.
pub fn graphql_answer(response: async_graphql::Response, format: ResponseFormat, executed: Executed) -> Response {
    #[derive(serde::Serialize)]
    struct RequestError<'a> {
        errors: &'a [async_graphql::ServerError],
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
    }
    let request_error = format == ResponseFormat::GraphQLResponseJson && executed == Executed::No && response.is_err();
    let serialized = if request_error {
        serde_json::to_vec(&RequestError { errors: &response.errors, extensions: &response.extensions })
    } else {
        serde_json::to_vec(&response)
    };
    let body = match serialized {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "serializing an answer");
            return http_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "the answer could not be written",
            );
        }
    };
    let status = if request_error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let mut answer = (status, body).into_response();
    let headers = answer.headers_mut();
    headers.insert(header::CONTENT_TYPE, format.content_type());
    headers.append(header::VARY, HeaderValue::from_static("accept"));
    if response.is_ok() {
        if let Some(value) = response.cache_control.value().and_then(|value| HeaderValue::from_str(&value).ok()) {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
    headers.extend(response.http_headers);
    answer
}
