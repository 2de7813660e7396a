//! The bulk exports of the public record: `/export/facts.ndjson`, `/export/facts.csv` and
//! `/export/facts.jsonld`, with `?since=<feed cursor>` for increments, and the JSON-LD context
//! at `/export/context.jsonld`.
//!
//! Each answer is streamed batch by batch from `domain::export` (which explains why batches of
//! short statements, and what the feed's head bounds). What the server holds per download is
//! one batch's rows and its rendering, whatever the size of the record, and between batches no
//! database connection: a slow reader slows only its own download. Downloads at once are
//! bounded (`--max-concurrent-exports`), each holding its slot until its body ends or is
//! dropped; a client that stops reading altogether is disconnected by the connection's write
//! stall limit (`--response-write-timeout-secs`, `http::connections`), which drops the body and
//! so frees the slot. Exports go through the same admission as GraphQL requests (rate limit,
//! API keys) when they start; the request time limit covers reaching the first byte, not the
//! download, whose length is the client's.
//!
//! Caching: the ETag and Last-Modified name the feed's head (the last public event), and the
//! `Chancery-Feed-Cursor` header carries its cursor, for the next pull's `since`. The ETag is
//! weak because the gzip and identity encodings of one export are the same record in different
//! bytes.
use std::collections::{HashMap, HashSet};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use entity::enums::{ActorKind, CitationStatus, DatePrecision, FactStatus, ParticipantRole};
use entity::{actor, fact, fact_kind, source};
use serde_json::{json, Value};
use tokio::sync::OwnedSemaphorePermit;

use super::{http_error, json_error, retry_after, AppState};
use crate::domain::export::{ExportBatch, ExportReader, ExportScope, EXPORT_BATCH_SIZE};
use crate::domain::feed::{last_public_change, sequence_of_cursor};
use crate::domain::kind::list_kinds;
use crate::domain::DomainError;
use crate::error_code::{error_body, ErrorCode};
use crate::graphql::ids;

/// The response header holding the feed cursor at the head an export was taken at: pass it as
/// `since` next time.
pub const FEED_CURSOR_HEADER: &str = "chancery-feed-cursor";

/// The JSON-LD context of `/export/facts.jsonld`, served at `/export/context.jsonld` and
/// embedded in every JSON-LD export, so that no consumer needs to fetch anything.
pub const JSONLD_CONTEXT: &str = include_str!("export_context.jsonld");

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
    JsonLd,
}

impl ExportFormat {
    fn tag(self) -> &'static str {
        match self {
            Self::Ndjson => "ndjson",
            Self::Csv => "csv",
            Self::JsonLd => "jsonld",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Ndjson => "application/x-ndjson; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::JsonLd => "application/ld+json; charset=utf-8",
        }
    }
}

pub async fn facts_ndjson(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    export(state, &headers, &uri, ExportFormat::Ndjson).await
}

pub async fn facts_csv(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    export(state, &headers, &uri, ExportFormat::Csv).await
}

pub async fn facts_jsonld(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    export(state, &headers, &uri, ExportFormat::JsonLd).await
}

/// `/export/context.jsonld`: the context, cacheable for a day (it changes only with a release).
pub async fn context() -> Response {
    let mut response = JSONLD_CONTEXT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/ld+json; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}

/// A 400 naming the query parameter at fault, in the shape of a GraphQL input error.
fn bad_parameter(parameter: &str, message: &str) -> Response {
    let fields = json!([{ "path": parameter, "message": message }]);
    let body = error_body(ErrorCode::BadUserInput, &format!("{parameter}: {message}"), &[("fields", fields)]);
    json_error(StatusCode::BAD_REQUEST, body)
}

/// An error that is not the client's: logged with an id, answered without details.
fn internal(error: &dyn std::fmt::Display) -> Response {
    let error_id = uuid::Uuid::now_v7();
    tracing::error!(%error_id, %error, "export failed");
    let body = error_body(
        ErrorCode::Internal,
        "internal error; quote the error id when reporting it",
        &[("errorId", error_id.to_string().into())],
    );
    json_error(StatusCode::INTERNAL_SERVER_ERROR, body)
}

/// A query parameter at fault and what is wrong with it.
struct BadParameter {
    parameter: String,
    message: &'static str,
}

/// The `since` parameter; any other parameter, or `since` twice, is refused.
fn since_parameter(uri: &Uri) -> Result<Option<String>, BadParameter> {
    let mut since = None;
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if key != "since" {
            let parameter: String = key.chars().take(64).collect();
            return Err(BadParameter { parameter, message: "is not a parameter of the export; it takes `since` only" });
        }
        if since.replace(value.into_owned()).is_some() {
            return Err(BadParameter { parameter: "since".into(), message: "may be given once" });
        }
    }
    Ok(since)
}

/// Whether `If-None-Match` lists `etag` (weak comparison, RFC 9110 §13.1.2).
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').any(|tag| tag.trim() == "*" || opaque(tag) == opaque(etag)))
}

/// Whether the client's copy is current: by ETag when it sent one, else by date.
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return etag_matches(headers, etag);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok());
    match (since, last_modified) {
        (Some(since), Some(modified)) => {
            let since = DateTime::<Utc>::from(since);
            // HTTP dates have whole seconds: the head is unchanged if it is within the second.
            modified.timestamp() <= since.timestamp()
        }
        _ => false,
    }
}

async fn export(state: AppState, headers: &HeaderMap, uri: &Uri, format: ExportFormat) -> Response {
    let since = match since_parameter(uri) {
        Ok(since) => since,
        Err(bad) => return bad_parameter(&bad.parameter, bad.message),
    };
    let after = match since.as_deref().map(|raw| sequence_of_cursor(raw, "since")).transpose() {
        Ok(after) => after,
        Err(DomainError::InvalidInput(_)) => {
            return bad_parameter("since", "is not a cursor of the change feed (`Query.changes`)")
        }
        Err(error) => return internal(&error),
    };
    let head = match last_public_change(&state.db).await {
        Ok(head) => head,
        Err(error) => return internal(&error),
    };
    let head_sequence = head.as_ref().map_or(0, |change| change.sequence);
    if after.is_some_and(|after| after > head_sequence) {
        return bad_parameter("since", "is ahead of the change feed's head: it is not a cursor of this feed");
    }
    let etag = format!("W/\"{}-{}-{head_sequence}\"", format.tag(), after.map_or("all".to_owned(), |a| a.to_string()));
    let last_modified = head.as_ref().map(|change| change.at);
    let cursor = head.as_ref().map(|change| change.cursor().encode()).or(since);

    let mut response = if not_modified(headers, &etag, last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let Ok(permit) = state.export_slots.clone().try_acquire_owned() else {
            let message = "the server is serving as many exports as it may at once; retry shortly";
            return retry_after(http_error(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Overloaded, message), 5);
        };
        let kinds = match list_kinds(&state.db, None).await {
            Ok(kinds) => kinds.into_iter().map(|kind| (kind.key.clone(), kind)).collect(),
            Err(error) => return internal(&error),
        };
        let reader = ExportReader::new(ExportScope { after, head: head_sequence }, EXPORT_BATCH_SIZE);
        let mut response = Response::new(stream_body(state.db.clone(), reader, Renderer::new(format, kinds), permit));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
        let disposition = format!("attachment; filename=\"chancery-facts.{}\"", format.tag());
        headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII"));
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("ASCII"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, no-cache"));
    if let Some(modified) = last_modified {
        let date = httpdate::fmt_http_date(modified.into());
        headers.insert(header::LAST_MODIFIED, HeaderValue::from_str(&date).expect("ASCII"));
    }
    if let Some(cursor) = cursor {
        headers.insert(FEED_CURSOR_HEADER, HeaderValue::from_str(&cursor).expect("base64 is ASCII"));
    }
    response
}

/// Where the streaming body stands.
struct Download {
    db: sea_orm::DatabaseConnection,
    reader: ExportReader,
    renderer: Renderer,
    started: bool,
    finished: bool,
    /// The export's slot, given back when the body ends or the client goes away.
    _permit: OwnedSemaphorePermit,
}

/// The body: the format's opening, one chunk per batch, its closing. A database error halfway
/// ends the body with an error, so the client sees a broken transfer rather than a short file
/// that looks complete.
fn stream_body(
    db: sea_orm::DatabaseConnection,
    reader: ExportReader,
    renderer: Renderer,
    permit: OwnedSemaphorePermit,
) -> Body {
    let download = Download { db, reader, renderer, started: false, finished: false, _permit: permit };
    let chunks = futures_util::stream::unfold(download, |mut download| async move {
        if download.finished {
            return None;
        }
        let mut out = Vec::new();
        if !download.started {
            download.started = true;
            download.renderer.open(&mut out);
        }
        match download.reader.next_batch(&download.db).await {
            Ok(Some(batch)) => download.renderer.batch(&batch, &mut out),
            Ok(None) => {
                download.renderer.close(&mut out);
                download.finished = true;
            }
            Err(error) => {
                let error_id = uuid::Uuid::now_v7();
                tracing::error!(%error_id, %error, "export failed while streaming");
                download.finished = true;
                return Some((Err(std::io::Error::other(format!("export failed; error id {error_id}"))), download));
            }
        }
        Some((Ok::<_, std::io::Error>(Bytes::from(out)), download))
    });
    // Fused: the gzip encoder polls once more after the end, which `unfold` does not allow.
    Body::from_stream(futures_util::StreamExt::fuse(chunks))
}

/// Writes a format's bytes.
struct Renderer {
    format: ExportFormat,
    kinds: HashMap<String, fact_kind::Model>,
    /// JSON-LD: whether a node was written (the next one needs a comma).
    wrote_node: bool,
}

/// The CSV columns, in order.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "category",
    "cameo_code",
    "event_date",
    "date_precision",
    "end_date",
    "country",
    "status",
    "modality",
    "subjects",
    "objects",
    "speakers",
    "participants",
    "mediators",
    "summary",
    "qualifiers",
    "outlet_count",
    "source_urls",
    "published_at",
    "retracted_at",
    "superseded_by",
];

impl Renderer {
    fn new(format: ExportFormat, kinds: HashMap<String, fact_kind::Model>) -> Self {
        Self { format, kinds, wrote_node: false }
    }

    fn open(&mut self, out: &mut Vec<u8>) {
        match self.format {
            ExportFormat::Ndjson => {}
            ExportFormat::Csv => csv_row(out, CSV_COLUMNS.iter().map(|c| std::borrow::Cow::Borrowed(*c))),
            ExportFormat::JsonLd => {
                let context: Value = serde_json::from_str(JSONLD_CONTEXT).expect("the context is JSON");
                out.extend_from_slice(b"{\"@context\":");
                serde_json::to_writer(&mut *out, &context["@context"]).expect("writing to memory");
                out.extend_from_slice(b",\"@graph\":[\n");
            }
        }
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if self.format == ExportFormat::JsonLd {
            out.extend_from_slice(b"\n]}\n");
        }
    }

    fn batch(&mut self, batch: &ExportBatch, out: &mut Vec<u8>) {
        for fact in &batch.facts {
            match self.format {
                ExportFormat::Ndjson => {
                    serde_json::to_writer(&mut *out, &self.record(batch, fact, false)).expect("writing to memory");
                    out.push(b'\n');
                }
                ExportFormat::JsonLd => {
                    if self.wrote_node {
                        out.extend_from_slice(b",\n");
                    }
                    self.wrote_node = true;
                    serde_json::to_writer(&mut *out, &self.record(batch, fact, true)).expect("writing to memory");
                }
                ExportFormat::Csv => self.csv(batch, fact, out),
            }
        }
    }

    /// One fact as NDJSON's object, or (`linked`) as a JSON-LD node: the same keys, which the
    /// context maps, plus `@id` and `@type` on the fact and what it names.
    fn record(&self, batch: &ExportBatch, fact: &fact::Model, linked: bool) -> Value {
        let kind = self.kinds.get(&fact.kind_key);
        let fact_ref = |id: uuid::Uuid| {
            if linked {
                Value::from(format!("urn:uuid:{id}"))
            } else {
                Value::from(ids::encode_uuid(ids::FACT, id).0)
            }
        };
        let actor = |id: Option<uuid::Uuid>| id.and_then(|id| batch.actors.get(&id)).map(|a| actor_record(a, linked));
        let participants: Vec<Value> = batch
            .participants_of(fact.id)
            .iter()
            .map(|p| {
                let mut record = json!({ "actor": actor(Some(p.actor_id)), "role": p.role.as_str(), "title": p.title });
                if linked {
                    record["@type"] = "Participation".into();
                }
                record
            })
            .collect();
        let qualifiers: Vec<Value> =
            batch.qualifiers_of(fact.id).iter().map(|q| json!({ "key": q.key, "value": q.value })).collect();
        let citations: Vec<Value> = batch
            .citations_of(fact.id)
            .iter()
            .map(|c| {
                let source = batch.sources.get(&c.source_id).map(|s| source_record(s, batch, linked));
                let mut record = json!({
                    "id": ids::encode_uuid(ids::CITATION, c.id).0,
                    "status": c.status.as_str(),
                    "statusReason": c.status_reason,
                    "proposedAt": c.proposed_at.map(timestamp),
                    "quote": c.quote,
                    "attribution": c.attribution.as_str(),
                    "attributedTo": actor(c.attributed_to_id),
                    "relayedFrom": actor(c.relayed_from_id),
                    "verified": c.verified,
                    "snapshotStart": c.quote_start,
                    "snapshotEnd": c.quote_end,
                    "source": source,
                });
                if linked {
                    record["@id"] = format!("urn:uuid:{}", c.id).into();
                    record["@type"] = json!(["Citation", "prov:Derivation"]);
                }
                record
            })
            .collect();
        let mut record = json!({
            "id": ids::encode_uuid(ids::FACT, fact.id).0,
            "kind": fact.kind_key,
            "kindLabel": kind.map(|k| k.label.as_str()),
            "category": kind.map(|k| k.category.as_str()),
            "cameoCode": kind.and_then(|k| k.cameo_code.as_deref()),
            "summary": fact.summary,
            "modality": fact.modality.as_str(),
            "occurred": fuzzy_date(fact.occurred_on, fact.occurred_precision),
            "occurredUntil": fact.occurred_until.map(|d| d.to_string()),
            "country": fact.country,
            "status": fact.status.as_str(),
            "version": fact.version,
            "publishedAt": fact.published_at.map(timestamp),
            "retractedAt": fact.retracted_at.map(timestamp),
            "retractionReason": fact.retraction_reason,
            "supersedes": fact.supersedes_id.map(fact_ref),
            "supersededBy": superseded_by(fact).map(fact_ref),
            "updatedAt": timestamp(fact.updated_at),
            "participants": participants,
            "qualifiers": qualifiers,
            "citations": citations,
        });
        if linked {
            record["@id"] = format!("urn:uuid:{}", fact.id).into();
            record["@type"] = json!(["Fact", "prov:Entity", "schema:Event"]);
        }
        record
    }

    fn csv(&self, batch: &ExportBatch, fact: &fact::Model, out: &mut Vec<u8>) {
        let kind = self.kinds.get(&fact.kind_key);
        let participants = batch.participants_of(fact.id);
        let names = |role: ParticipantRole| {
            participants
                .iter()
                .filter(|p| p.role == role)
                .filter_map(|p| batch.actors.get(&p.actor_id))
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let citations = batch.citations_of(fact.id);
        let active: Vec<&source::Model> = citations
            .iter()
            .filter(|c| c.status == CitationStatus::Active)
            .filter_map(|c| batch.sources.get(&c.source_id))
            .collect();
        let outlets: HashSet<uuid::Uuid> = active.iter().filter_map(|s| s.outlet_id).collect();
        let mut urls: Vec<&str> = active.iter().map(|s| s.url.as_str()).collect();
        urls.dedup();
        let qualifiers = batch
            .qualifiers_of(fact.id)
            .iter()
            .map(|q| format!("{}={}", q.key, q.value))
            .collect::<Vec<_>>()
            .join("; ");
        let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
        let cells: [String; 22] = [
            ids::encode_uuid(ids::FACT, fact.id).0,
            fact.kind_key.clone(),
            text(kind.map(|k| k.category.as_str())),
            text(kind.and_then(|k| k.cameo_code.as_deref())),
            fact.occurred_on.to_string(),
            fact.occurred_precision.as_str().to_owned(),
            fact.occurred_until.map(|d| d.to_string()).unwrap_or_default(),
            text(fact.country.as_deref()),
            fact.status.as_str().to_owned(),
            fact.modality.as_str().to_owned(),
            names(ParticipantRole::Subject),
            names(ParticipantRole::Object),
            names(ParticipantRole::Speaker),
            names(ParticipantRole::Participant),
            names(ParticipantRole::Mediator),
            fact.summary.clone(),
            qualifiers,
            outlets.len().to_string(),
            urls.join(" "),
            fact.published_at.map(timestamp).unwrap_or_default(),
            fact.retracted_at.map(timestamp).unwrap_or_default(),
            superseded_by(fact).map(|id| ids::encode_uuid(ids::FACT, id).0).unwrap_or_default(),
        ];
        csv_row(out, cells.into_iter().map(std::borrow::Cow::Owned));
    }
}

/// The correction that replaced a fact, once the fact is superseded.
fn superseded_by(fact: &fact::Model) -> Option<uuid::Uuid> {
    fact.superseded_by_id.filter(|_| fact.status == FactStatus::Superseded)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn fuzzy_date(date: chrono::NaiveDate, precision: DatePrecision) -> Value {
    json!({ "date": date.to_string(), "precision": precision.as_str() })
}

fn actor_record(actor: &actor::Model, linked: bool) -> Value {
    let mut record = json!({
        "id": ids::encode_uuid(ids::ACTOR, actor.id).0,
        "name": actor.name,
        "kind": actor.kind.as_str(),
        "country": actor.country,
        "wikidataQid": actor.wikidata_qid,
    });
    if linked {
        record["@id"] = format!("urn:uuid:{}", actor.id).into();
        let schema_type = match actor.kind {
            ActorKind::State => "schema:Country",
            ActorKind::Person => "schema:Person",
            _ => "schema:Organization",
        };
        record["@type"] = json!(["prov:Agent", schema_type]);
        if let Some(qid) = &actor.wikidata_qid {
            record["sameAs"] = format!("http://www.wikidata.org/entity/{qid}").into();
        }
    }
    record
}

fn source_record(source: &source::Model, batch: &ExportBatch, linked: bool) -> Value {
    let published =
        source.published_on.zip(source.published_precision).map(|(date, precision)| fuzzy_date(date, precision));
    let mut record = json!({
        "id": ids::encode_uuid(ids::SOURCE, source.id).0,
        "url": source.url,
        "title": source.title,
        "kind": source.kind.as_str(),
        "outlet": source.outlet_id.and_then(|id| batch.actors.get(&id)).map(|a| actor_record(a, linked)),
        "published": published,
        "retrievedAt": timestamp(source.retrieved_at),
        "language": source.language,
        "archiveUrl": source.archive_url,
        "snapshotSha256": source.snapshot_sha256,
        "version": source.version,
    });
    if linked {
        record["@id"] = format!("urn:uuid:{}", source.id).into();
        record["@type"] = json!(["prov:Entity", "schema:CreativeWork"]);
    }
    record
}

/// Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
/// return, that some of them strip before looking): such a cell gets a leading apostrophe,
/// which spreadsheets show as text (OWASP's advice on CSV injection).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '|', '％', '＝', '＋', '－', '＠'];

/// One RFC 4180 record: fields quoted when they hold a comma, a quote or a line break (quotes
/// doubled), CRLF at the end.
fn csv_row<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = std::borrow::Cow<'a, str>>) {
    for (index, cell) in cells.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let guarded = cell.starts_with(FORMULA_STARTS);
        let quoted = guarded || cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ');
        if quoted {
            out.push(b'"');
        }
        if guarded {
            out.push(b'\'');
        }
        for piece in cell.split_inclusive('"') {
            out.extend_from_slice(piece.as_bytes());
            if piece.ends_with('"') {
                out.push(b'"');
            }
        }
        if quoted {
            out.push(b'"');
        }
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut out = Vec::new();
        csv_row(&mut out, cells.iter().map(|c| std::borrow::Cow::Borrowed(*c)));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_cells_are_quoted_as_rfc_4180_says() {
        assert_eq!(row(&["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(row(&["x,y", "say \"hi\"", "two\nlines"]), "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_kept_as_text() {
        assert_eq!(row(&["=HYPERLINK(\"http://x\")"]), "\"'=HYPERLINK(\"\"http://x\"\")\"\r\n");
        for start in ["+1", "-1", "@SUM(A1)", "\tx", "|cmd"] {
            assert!(row(&[start]).starts_with("\"'"), "{start:?}");
        }
        assert_eq!(row(&["1-2"]), "1-2\r\n");
    }
}
