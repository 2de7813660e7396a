//! The bulk exports of the public record: `/export/facts.ndjson`, `/export/facts.csv` and
//! `/export/facts.jsonld`, with `?since=<feed cursor>` for increments, and the JSON-LD context
//! at `/export/context.jsonld`.
//!
//! Each answer is streamed batch by batch from `domain::export` (which explains why batches of
//! short statements, and what the feed's head bounds). What the server holds per download is
//! a few batches' rows and rendering and the actors and sources it keeps (both bounded),
//! whatever the size of the record, and between statements no database connection: a slow
//! reader slows only its own download. Downloads at once are
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
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use entity::enums::{ActorKind, CitationStatus, FactStatus, ParticipantRole};
use entity::fact_kind;
use serde::{Serialize, Serializer};
use serde_json::json;
use serde_json::value::RawValue;
use tokio::sync::OwnedSemaphorePermit;

use super::{http_error, json_error, retry_after, AppState};
use crate::domain::export::{
    ExportActor, ExportBatch, ExportCitation, ExportFact, ExportParticipant, ExportQualifier, ExportReader,
    ExportScope, ExportSource, RecentlyUsed, EXPORT_BATCH_SIZE, KEPT_PER_GENERATION,
};
use crate::domain::feed::{last_public_change, sequence_of_cursor};
use crate::domain::kind::list_kinds;
use crate::domain::{DomainError, DomainResult};
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

/// Batches loading while one is written: the database reads them, and the server decodes
/// them, while the server renders and sends the one before, so neither waits for the other.
/// Memory is a few batches whatever the export's size.
const BATCHES_LOADING: usize = 2;

/// A batch being loaded by its own task: None when its range held no public fact.
type Loading = tokio::task::JoinHandle<DomainResult<Option<ExportBatch>>>;

/// The body: the format's opening, the chunks of each batch, its closing. A task chooses the
/// batches one after the other and starts a task loading each (`BATCHES_LOADING` waiting, one
/// more being written);
/// the body renders each loaded batch, in order, as it is sent. The tasks end when the export
/// does or when the body is dropped (the client went away). A database error halfway ends the
/// body with an error, so the client sees a broken transfer rather than a short file that
/// looks complete.
fn stream_body(
    db: sea_orm::DatabaseConnection,
    mut reader: ExportReader,
    mut renderer: Renderer,
    permit: OwnedSemaphorePermit,
) -> Body {
    let (loads, mut received) = tokio::sync::mpsc::channel::<DomainResult<Option<Loading>>>(BATCHES_LOADING);
    tokio::spawn(async move {
        loop {
            let next = reader.next_to_load(&db).await.map(|to_load| {
                to_load.map(|to_load| {
                    let db = db.clone();
                    tokio::spawn(async move { to_load.load(&db).await })
                })
            });
            let last = !matches!(next, Ok(Some(_)));
            if loads.send(next).await.is_err() || last {
                return;
            }
        }
    });
    let mut pending = std::collections::VecDeque::new();
    renderer.open(&mut pending);
    let mut loading: Option<Loading> = None;
    let mut finished = false;
    let chunks = futures_util::stream::poll_fn(move |context| {
        use std::task::Poll;
        // The permit is the export's slot: it is given back when this stream is dropped.
        let _slot = &permit;
        loop {
            if let Some(chunk) = pending.pop_front() {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if finished {
                return Poll::Ready(None);
            }
            let failure = if let Some(load) = loading.as_mut() {
                let loaded = std::task::ready!(std::future::Future::poll(std::pin::Pin::new(load), context));
                loading = None;
                match loaded {
                    Ok(Ok(Some(batch))) => {
                        renderer.batch(&batch, &mut pending);
                        continue;
                    }
                    Ok(Ok(None)) => continue,
                    Ok(Err(error)) => export_broke(&error),
                    Err(panicked) => export_broke(&panicked),
                }
            } else {
                match std::task::ready!(received.poll_recv(context)) {
                    Some(Ok(Some(load))) => {
                        loading = Some(load);
                        continue;
                    }
                    Some(Ok(None)) => {
                        renderer.close(&mut pending);
                        finished = true;
                        continue;
                    }
                    Some(Err(error)) => export_broke(&error),
                    // The chooser stops early only by panicking.
                    None => export_broke(&"the export's reader stopped"),
                }
            };
            finished = true;
            return Poll::Ready(Some(Err(failure)));
        }
    });
    Body::from_stream(chunks)
}

/// Logs why an export broke off halfway, and the error that ends its body.
fn export_broke(error: &dyn std::fmt::Display) -> std::io::Error {
    let error_id = uuid::Uuid::now_v7();
    tracing::error!(%error_id, %error, "export failed while streaming");
    std::io::Error::other(format!("export failed; error id {error_id}"))
}

/// The size of the body's chunks: large enough that a chunk is a small part of a write's cost,
/// small enough that the few in flight are a small part of the server's memory.
const CHUNK_BYTES: usize = 64 * 1024;

/// Writes a format's bytes.
struct Renderer {
    format: ExportFormat,
    kinds: HashMap<String, fact_kind::Model>,
    /// The actors and sources already written once.
    rendered: Rendered,
    /// The chunk being written.
    buffer: Vec<u8>,
    /// JSON-LD: whether a node was written (the next one needs a comma).
    wrote_node: bool,
    /// CSV: the cell being joined from several values (actors by role, qualifiers, URLs),
    /// reused from row to row.
    cell: String,
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
        Self {
            format,
            kinds,
            rendered: Rendered::default(),
            buffer: Vec::with_capacity(2 * CHUNK_BYTES),
            wrote_node: false,
            cell: String::new(),
        }
    }

    /// Sends the chunk on once it is full (or, `all`, whatever it holds).
    fn flush(&mut self, chunks: &mut VecDeque<Bytes>, all: bool) {
        if self.buffer.len() >= CHUNK_BYTES || (all && !self.buffer.is_empty()) {
            let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(2 * CHUNK_BYTES));
            chunks.push_back(Bytes::from(full));
        }
    }

    fn open(&mut self, chunks: &mut VecDeque<Bytes>) {
        let out = &mut self.buffer;
        match self.format {
            ExportFormat::Ndjson => {}
            ExportFormat::Csv => {
                let mut row = CsvRow::new(out);
                for column in CSV_COLUMNS {
                    row.cell(column);
                }
                row.end();
            }
            ExportFormat::JsonLd => {
                let context: serde_json::Value = serde_json::from_str(JSONLD_CONTEXT).expect("the context is JSON");
                out.extend_from_slice(b"{\"@context\":");
                serde_json::to_writer(&mut *out, &context["@context"]).expect("writing to memory");
                out.extend_from_slice(b",\"@graph\":[\n");
            }
        }
        self.flush(chunks, true);
    }

    fn close(&mut self, chunks: &mut VecDeque<Bytes>) {
        if self.format == ExportFormat::JsonLd {
            self.buffer.extend_from_slice(b"\n]}\n");
        }
        self.flush(chunks, true);
    }

    fn batch(&mut self, batch: &ExportBatch, chunks: &mut VecDeque<Bytes>) {
        let linked = self.format == ExportFormat::JsonLd;
        if self.format != ExportFormat::Csv {
            self.rendered.prepare(batch, linked);
        }
        for fact in &batch.facts {
            match self.format {
                ExportFormat::Csv => self.csv(batch, fact),
                ExportFormat::Ndjson | ExportFormat::JsonLd => {
                    let mut out = std::mem::take(&mut self.buffer);
                    if linked && std::mem::replace(&mut self.wrote_node, true) {
                        out.extend_from_slice(b",\n");
                    }
                    let writing = Writing { batch, rendered: &self.rendered, linked };
                    serde_json::to_writer(&mut out, &self.record(writing, fact)).expect("writing to memory");
                    if !linked {
                        out.push(b'\n');
                    }
                    self.buffer = out;
                }
            }
            self.flush(chunks, false);
        }
        self.flush(chunks, true);
    }

    /// One fact as NDJSON's object, or (`linked`) as a JSON-LD node: the same keys, which the
    /// context maps, plus `@id` and `@type` on the fact and what it names.
    fn record<'a>(&'a self, writing: Writing<'a>, fact: &'a ExportFact) -> FactRecord<'a> {
        let (batch, linked) = (writing.batch, writing.linked);
        let kind = self.kinds.get(&fact.kind_key);
        let fact_ref = |id| FactRef { id, linked };
        let (node_id, node_type) = node(fact.id, linked, &["Fact", "prov:Entity", "schema:Event"]);
        FactRecord {
            node_id,
            node_type,
            id: GlobalId(ids::FACT, fact.id),
            kind: &fact.kind_key,
            kind_label: kind.map(|k| k.label.as_str()),
            category: kind.map(|k| k.category.as_str()),
            cameo_code: kind.and_then(|k| k.cameo_code.as_deref()),
            summary: &fact.summary,
            modality: fact.modality.as_str(),
            occurred: FuzzyDate { date: Day(fact.occurred_on), precision: fact.occurred_precision.as_str() },
            occurred_until: fact.occurred_until.map(Day),
            country: fact.country.as_deref(),
            status: fact.status.as_str(),
            version: fact.version,
            published_at: fact.published_at.map(Timestamp),
            retracted_at: fact.retracted_at.map(Timestamp),
            retraction_reason: fact.retraction_reason.as_deref(),
            supersedes: fact.supersedes_id.map(fact_ref),
            superseded_by: superseded_by(fact).map(fact_ref),
            updated_at: Timestamp(fact.updated_at),
            participants: Participants { writing, list: batch.participants_of(fact.id) },
            qualifiers: Qualifiers(batch.qualifiers_of(fact.id)),
            citations: Citations { writing, list: batch.citations_of(fact.id) },
        }
    }

    fn csv(&mut self, batch: &ExportBatch, fact: &ExportFact) {
        let kind = self.kinds.get(&fact.kind_key);
        let participants = batch.participants_of(fact.id);
        let citations = batch.citations_of(fact.id);
        let cell = &mut self.cell;
        let mut row = CsvRow::new(&mut self.buffer);
        ids::with_uuid_id(ids::FACT, fact.id, |id| row.cell(id));
        row.cell(&fact.kind_key);
        row.cell(kind.map_or("", |k| k.category.as_str()));
        row.cell(kind.and_then(|k| k.cameo_code.as_deref()).unwrap_or_default());
        let mut day = [0; 10];
        row.cell(&Day(fact.occurred_on).text(&mut day));
        row.cell(fact.occurred_precision.as_str());
        row.cell(&fact.occurred_until.map(|until| Day(until).text(&mut day)).unwrap_or_default());
        row.cell(fact.country.as_deref().unwrap_or_default());
        row.cell(fact.status.as_str());
        row.cell(fact.modality.as_str());
        for role in [
            ParticipantRole::Subject,
            ParticipantRole::Object,
            ParticipantRole::Speaker,
            ParticipantRole::Participant,
            ParticipantRole::Mediator,
        ] {
            let names = participants.iter().filter(|p| p.role == role).filter_map(|p| batch.actors.get(&p.actor_id));
            joined(cell, "; ", names.map(|actor| actor.name.as_str()));
            row.cell(cell);
        }
        row.cell(&fact.summary);
        cell.clear();
        for (index, qualifier) in batch.qualifiers_of(fact.id).iter().enumerate() {
            if index > 0 {
                cell.push_str("; ");
            }
            cell.push_str(&qualifier.key);
            cell.push('=');
            cell.push_str(&qualifier.value);
        }
        row.cell(cell);
        let active = || {
            citations
                .iter()
                .filter(|c| c.status == CitationStatus::Active)
                .filter_map(|c| batch.sources.get(&c.source_id))
        };
        let mut outlets: Vec<uuid::Uuid> = active().filter_map(|s| s.outlet_id).collect();
        outlets.sort_unstable();
        outlets.dedup();
        row.cell(&outlets.len().to_string());
        let mut urls: Vec<&str> = active().map(|s| s.url.as_str()).collect();
        urls.dedup();
        joined(cell, " ", urls.into_iter());
        row.cell(cell);
        let mut stamp = [0; Timestamp::LENGTH];
        row.cell(&fact.published_at.map(|at| Timestamp(at).text(&mut stamp)).unwrap_or_default());
        row.cell(&fact.retracted_at.map(|at| Timestamp(at).text(&mut stamp)).unwrap_or_default());
        match superseded_by(fact) {
            Some(id) => ids::with_uuid_id(ids::FACT, id, |id| row.cell(id)),
            None => row.cell(""),
        }
        row.end();
    }
}

/// Puts `values` into `cell`, `separator` between them.
fn joined<'a>(cell: &mut String, separator: &str, values: impl Iterator<Item = &'a str>) {
    cell.clear();
    for (index, value) in values.enumerate() {
        if index > 0 {
            cell.push_str(separator);
        }
        cell.push_str(value);
    }
}

/// The correction that replaced a fact, once the fact is superseded.
fn superseded_by(fact: &ExportFact) -> Option<uuid::Uuid> {
    fact.superseded_by_id.filter(|_| fact.status == FactStatus::Superseded)
}

// The records, serialized straight from the batch: nothing is copied into a JSON tree first.

/// A uuid written as the API's global id of a `type_name`.
struct GlobalId(&'static str, uuid::Uuid);

impl Serialize for GlobalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ids::with_uuid_id(self.0, self.1, |id| serializer.serialize_str(id))
    }
}

/// A uuid written as a URN, the JSON-LD export's node id.
struct Urn(uuid::Uuid);

impl Serialize for Urn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut urn = *b"urn:uuid:00000000-0000-0000-0000-000000000000";
        self.0.hyphenated().encode_lower(&mut urn[9..]);
        serializer.serialize_str(std::str::from_utf8(&urn).expect("ASCII"))
    }
}

/// A fact named by another: by global id in NDJSON, by URN in JSON-LD.
struct FactRef {
    id: uuid::Uuid,
    linked: bool,
}

impl Serialize for FactRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.linked {
            Urn(self.id).serialize(serializer)
        } else {
            GlobalId(ids::FACT, self.id).serialize(serializer)
        }
    }
}

/// Writes `value`'s last `digits.len()` decimal digits into `digits`, zero-padded.
fn put_digits(digits: &mut [u8], mut value: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// A day, written `YYYY-MM-DD` as `NaiveDate`'s `Display` does.
struct Day(chrono::NaiveDate);

impl Day {
    /// The text, in `buffer` for the years of four digits (any other year goes through
    /// chrono's formatting, which also signs it).
    fn text(self, buffer: &mut [u8; 10]) -> Cow<'_, str> {
        use chrono::Datelike;
        let year = self.0.year();
        if !(0..=9999).contains(&year) {
            return Cow::Owned(self.0.to_string());
        }
        *buffer = *b"0000-00-00";
        put_digits(&mut buffer[0..4], year as u32);
        put_digits(&mut buffer[5..7], self.0.month());
        put_digits(&mut buffer[8..10], self.0.day());
        Cow::Borrowed(std::str::from_utf8(buffer).expect("ASCII"))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Day(self.0).text(&mut [0; 10]))
    }
}

/// A moment, written as RFC 3339 in UTC with microseconds (`2024-05-01T12:00:00.000000Z`).
struct Timestamp(DateTime<Utc>);

impl Timestamp {
    const LENGTH: usize = 27;

    /// The text, in `buffer` for the years of four digits outside leap seconds (any other
    /// goes through chrono's formatting).
    fn text(self, buffer: &mut [u8; Self::LENGTH]) -> Cow<'_, str> {
        use chrono::{Datelike, Timelike};
        let (date, time) = (self.0.date_naive(), self.0.time());
        if !(0..=9999).contains(&date.year()) || time.nanosecond() >= 1_000_000_000 {
            return Cow::Owned(self.0.to_rfc3339_opts(SecondsFormat::Micros, true));
        }
        *buffer = *b"0000-00-00T00:00:00.000000Z";
        put_digits(&mut buffer[0..4], date.year() as u32);
        put_digits(&mut buffer[5..7], date.month());
        put_digits(&mut buffer[8..10], date.day());
        put_digits(&mut buffer[11..13], time.hour());
        put_digits(&mut buffer[14..16], time.minute());
        put_digits(&mut buffer[17..19], time.second());
        put_digits(&mut buffer[20..26], time.nanosecond() / 1_000);
        Cow::Borrowed(std::str::from_utf8(buffer).expect("ASCII"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Timestamp(self.0).text(&mut [0; Self::LENGTH]))
    }
}

/// A date with its precision (`{"date": "2024-05-01", "precision": "MONTH"}`).
#[derive(Serialize)]
struct FuzzyDate {
    date: Day,
    precision: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FactRecord<'a> {
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    node_id: Option<Urn>,
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    node_type: Option<&'static [&'static str]>,
    id: GlobalId,
    kind: &'a str,
    kind_label: Option<&'a str>,
    category: Option<&'a str>,
    cameo_code: Option<&'a str>,
    summary: &'a str,
    modality: &'static str,
    occurred: FuzzyDate,
    occurred_until: Option<Day>,
    country: Option<&'a str>,
    status: &'static str,
    version: i32,
    published_at: Option<Timestamp>,
    retracted_at: Option<Timestamp>,
    retraction_reason: Option<&'a str>,
    supersedes: Option<FactRef>,
    superseded_by: Option<FactRef>,
    updated_at: Timestamp,
    participants: Participants<'a>,
    qualifiers: Qualifiers<'a>,
    citations: Citations<'a>,
}

/// The `@id` (a URN) and `@type` a record carries as a JSON-LD node; neither in NDJSON.
fn node(
    id: uuid::Uuid,
    linked: bool,
    types: &'static [&'static str],
) -> (Option<Urn>, Option<&'static [&'static str]>) {
    if linked {
        (Some(Urn(id)), Some(types))
    } else {
        (None, None)
    }
}

/// What the records of a batch are written from: the batch, the actors and sources already
/// rendered, and the style (NDJSON, or JSON-LD's `linked` nodes).
#[derive(Clone, Copy)]
struct Writing<'a> {
    batch: &'a ExportBatch,
    rendered: &'a Rendered,
    linked: bool,
}

impl<'a> Writing<'a> {
    fn actor(self, id: Option<uuid::Uuid>) -> Option<Fragment<'a, ActorRecord<'a>>> {
        let actor = self.batch.actors.get(&id?)?;
        Some(match self.rendered.actor(actor) {
            Some(json) => Fragment::Rendered(json),
            None => Fragment::Direct(ActorRecord::of(actor, self.linked)),
        })
    }

    fn source(self, id: uuid::Uuid) -> Option<Fragment<'a, SourceRecord<'a>>> {
        let source = self.batch.sources.get(&id)?;
        let outlet = self.batch.outlet_of(source);
        Some(match self.rendered.source(source, outlet) {
            Some(json) => Fragment::Rendered(json),
            None => Fragment::Direct(SourceRecord::of(source, outlet.map(|o| &**o), self.linked)),
        })
    }
}

/// A record written before (its JSON), or to write now.
enum Fragment<'a, R> {
    Rendered(&'a RawValue),
    Direct(R),
}

impl<R: Serialize> Serialize for Fragment<'_, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Fragment::Rendered(json) => json.serialize(serializer),
            Fragment::Direct(record) => record.serialize(serializer),
        }
    }
}

/// Actors and sources as an export writes them, rendered once and then copied: popular ones
/// are named by thousands of facts. An entry holds the very records it was rendered from and
/// serves only a batch that holds them (`Arc::ptr_eq`): a record the reader read again, perhaps
/// changed, is rendered again. As many are kept as the reader keeps records.
struct Rendered {
    actors: RecentlyUsed<RenderedActor>,
    sources: RecentlyUsed<RenderedSource>,
}

impl Default for Rendered {
    fn default() -> Self {
        Self { actors: RecentlyUsed::new(KEPT_PER_GENERATION), sources: RecentlyUsed::new(KEPT_PER_GENERATION) }
    }
}

struct RenderedActor {
    from: Arc<ExportActor>,
    json: Box<RawValue>,
}

/// A source's JSON, which holds its outlet's.
struct RenderedSource {
    from: Arc<ExportSource>,
    outlet: Option<Arc<ExportActor>>,
    json: Box<RawValue>,
}

impl RenderedActor {
    fn renders(&self, actor: &Arc<ExportActor>) -> bool {
        Arc::ptr_eq(&self.from, actor)
    }
}

impl RenderedSource {
    fn renders(&self, source: &Arc<ExportSource>, outlet: Option<&Arc<ExportActor>>) -> bool {
        let same_outlet = match (&self.outlet, outlet) {
            (Some(from), Some(outlet)) => Arc::ptr_eq(from, outlet),
            (None, None) => true,
            _ => false,
        };
        Arc::ptr_eq(&self.from, source) && same_outlet
    }
}

impl Rendered {
    /// Renders the batch's actors and sources that are not rendered yet (and counts a use of
    /// those that are).
    fn prepare(&mut self, batch: &ExportBatch, linked: bool) {
        for actor in batch.actors.values() {
            if !self.actors.get(actor.id).is_some_and(|rendered| rendered.renders(actor)) {
                let json = raw_json(&ActorRecord::of(actor, linked));
                self.actors.insert(actor.id, RenderedActor { from: Arc::clone(actor), json });
            }
        }
        for source in batch.sources.values() {
            let outlet = batch.outlet_of(source);
            if !self.sources.get(source.id).is_some_and(|rendered| rendered.renders(source, outlet)) {
                let json = raw_json(&SourceRecord::of(source, outlet.map(|o| &**o), linked));
                let from = Arc::clone(source);
                self.sources.insert(source.id, RenderedSource { from, outlet: outlet.cloned(), json });
            }
        }
    }

    fn actor(&self, actor: &Arc<ExportActor>) -> Option<&RawValue> {
        let rendered = self.actors.peek(actor.id)?;
        rendered.renders(actor).then_some(&*rendered.json)
    }

    fn source(&self, source: &Arc<ExportSource>, outlet: Option<&Arc<ExportActor>>) -> Option<&RawValue> {
        let rendered = self.sources.peek(source.id)?;
        rendered.renders(source, outlet).then_some(&*rendered.json)
    }
}

fn raw_json(record: &impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(record).expect("a record serializes")
}

struct Participants<'a> {
    writing: Writing<'a>,
    list: &'a [ExportParticipant],
}

impl Serialize for Participants<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.list.iter().map(|p| ParticipantRecord {
            node_type: self.writing.linked.then_some("Participation"),
            actor: self.writing.actor(Some(p.actor_id)),
            role: p.role.as_str(),
            title: p.title.as_deref(),
        }))
    }
}

#[derive(Serialize)]
struct ParticipantRecord<'a> {
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    node_type: Option<&'static str>,
    actor: Option<Fragment<'a, ActorRecord<'a>>>,
    role: &'static str,
    title: Option<&'a str>,
}

struct Qualifiers<'a>(&'a [ExportQualifier]);

impl Serialize for Qualifiers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|q| QualifierRecord { key: &q.key, value: &q.value }))
    }
}

#[derive(Serialize)]
struct QualifierRecord<'a> {
    key: &'a str,
    value: &'a str,
}

struct Citations<'a> {
    writing: Writing<'a>,
    list: &'a [ExportCitation],
}

impl Serialize for Citations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (writing, linked) = (self.writing, self.writing.linked);
        serializer.collect_seq(self.list.iter().map(|c| {
            let (node_id, node_type) = node(c.id, linked, &["Citation", "prov:Derivation"]);
            CitationRecord {
                node_id,
                node_type,
                id: GlobalId(ids::CITATION, c.id),
                status: c.status.as_str(),
                status_reason: c.status_reason.as_deref(),
                proposed_at: c.proposed_at.map(Timestamp),
                quote: &c.quote,
                attribution: c.attribution.as_str(),
                attributed_to: writing.actor(c.attributed_to_id),
                relayed_from: writing.actor(c.relayed_from_id),
                verified: c.verified,
                snapshot_start: c.quote_start,
                snapshot_end: c.quote_end,
                source: writing.source(c.source_id),
            }
        }))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CitationRecord<'a> {
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    node_id: Option<Urn>,
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    node_type: Option<&'static [&'static str]>,
    id: GlobalId,
    status: &'static str,
    status_reason: Option<&'a str>,
    proposed_at: Option<Timestamp>,
    quote: &'a str,
    attribution: &'static str,
    attributed_to: Option<Fragment<'a, ActorRecord<'a>>>,
    relayed_from: Option<Fragment<'a, ActorRecord<'a>>>,
    verified: bool,
    snapshot_start: Option<i32>,
    snapshot_end: Option<i32>,
    source: Option<Fragment<'a, SourceRecord<'a>>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActorRecord<'a> {
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    node_id: Option<Urn>,
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    node_type: Option<&'static [&'static str]>,
    id: GlobalId,
    name: &'a str,
    kind: &'static str,
    country: Option<&'a str>,
    wikidata_qid: Option<&'a str>,
    /// JSON-LD only: the Wikidata entity, when the actor has one.
    #[serde(rename = "sameAs", skip_serializing_if = "Option::is_none")]
    same_as: Option<WikidataEntity<'a>>,
}

impl<'a> ActorRecord<'a> {
    fn of(actor: &'a ExportActor, linked: bool) -> Self {
        let types: &'static [&'static str] = match actor.kind {
            ActorKind::State => &["prov:Agent", "schema:Country"],
            ActorKind::Person => &["prov:Agent", "schema:Person"],
            _ => &["prov:Agent", "schema:Organization"],
        };
        let (node_id, node_type) = node(actor.id, linked, types);
        Self {
            node_id,
            node_type,
            id: GlobalId(ids::ACTOR, actor.id),
            name: &actor.name,
            kind: actor.kind.as_str(),
            country: actor.country.as_deref(),
            wikidata_qid: actor.wikidata_qid.as_deref(),
            same_as: actor.wikidata_qid.as_deref().filter(|_| linked).map(WikidataEntity),
        }
    }
}

/// A Wikidata entity's IRI from its QID.
struct WikidataEntity<'a>(&'a str);

impl Serialize for WikidataEntity<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("http://www.wikidata.org/entity/{}", self.0))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SourceRecord<'a> {
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    node_id: Option<Urn>,
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    node_type: Option<&'static [&'static str]>,
    id: GlobalId,
    url: &'a str,
    title: &'a str,
    kind: &'static str,
    outlet: Option<ActorRecord<'a>>,
    published: Option<FuzzyDate>,
    retrieved_at: Timestamp,
    language: Option<&'a str>,
    archive_url: Option<&'a str>,
    snapshot_sha256: Option<&'a str>,
    version: i32,
}

impl<'a> SourceRecord<'a> {
    fn of(source: &'a ExportSource, outlet: Option<&'a ExportActor>, linked: bool) -> Self {
        let (node_id, node_type) = node(source.id, linked, &["prov:Entity", "schema:CreativeWork"]);
        Self {
            node_id,
            node_type,
            id: GlobalId(ids::SOURCE, source.id),
            url: &source.url,
            title: &source.title,
            kind: source.kind.as_str(),
            outlet: outlet.map(|outlet| ActorRecord::of(outlet, linked)),
            published: source
                .published_on
                .zip(source.published_precision)
                .map(|(date, precision)| FuzzyDate { date: Day(date), precision: precision.as_str() }),
            retrieved_at: Timestamp(source.retrieved_at),
            language: source.language.as_deref(),
            archive_url: source.archive_url.as_deref(),
            snapshot_sha256: source.snapshot_sha256.as_deref(),
            version: source.version,
        }
    }
}

/// Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
/// return, that some of them strip before looking): such a cell gets a leading apostrophe,
/// which spreadsheets show as text (OWASP's advice on CSV injection).
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r', '|', '％', '＝', '＋', '－', '＠'];

/// One RFC 4180 record being written: fields quoted when they hold a comma, a quote or a line
/// break (quotes doubled), CRLF at the end.
struct CsvRow<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> CsvRow<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        Self { out, first: true }
    }

    fn cell(&mut self, cell: &str) {
        let out = &mut *self.out;
        if !std::mem::take(&mut self.first) {
            out.push(b',');
        }
        let guarded = cell.starts_with(FORMULA_STARTS);
        let quoted = guarded || cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ');
        if !quoted {
            out.extend_from_slice(cell.as_bytes());
            return;
        }
        out.push(b'"');
        if guarded {
            out.push(b'\'');
        }
        for piece in cell.split_inclusive('"') {
            out.extend_from_slice(piece.as_bytes());
            if piece.ends_with('"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    }

    fn end(self) {
        self.out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> String {
        let mut out = Vec::new();
        let mut row = CsvRow::new(&mut out);
        for cell in cells {
            row.cell(cell);
        }
        row.end();
        String::from_utf8(out).unwrap()
    }

    fn actor_named(id: uuid::Uuid, name: &str) -> Arc<ExportActor> {
        Arc::new(ExportActor {
            id,
            name: name.into(),
            kind: ActorKind::State,
            country: None,
            wikidata_qid: Some("Q159".into()),
        })
    }

    fn written_actor(batch: &ExportBatch, rendered: &Rendered, id: uuid::Uuid, linked: bool) -> serde_json::Value {
        let writing = Writing { batch, rendered, linked };
        serde_json::to_value(writing.actor(Some(id)).unwrap()).unwrap()
    }

    #[test]
    fn a_rendered_record_serves_only_the_record_it_was_rendered_from() {
        let id = uuid::Uuid::now_v7();
        let first =
            ExportBatch { actors: [(id, actor_named(id, "Russia"))].into_iter().collect(), ..ExportBatch::default() };
        let mut rendered = Rendered::default();
        rendered.prepare(&first, false);
        assert!(rendered.actor(&first.actors[&id]).is_some(), "rendered once");
        assert_eq!(written_actor(&first, &rendered, id, false)["name"], "Russia");

        let again = ExportBatch {
            actors: [(id, actor_named(id, "Russian Federation"))].into_iter().collect(),
            ..ExportBatch::default()
        };
        assert!(rendered.actor(&again.actors[&id]).is_none(), "a record read again is not the one rendered");
        assert_eq!(written_actor(&again, &rendered, id, false)["name"], "Russian Federation");
        rendered.prepare(&again, false);
        assert_eq!(written_actor(&again, &rendered, id, false)["name"], "Russian Federation");
        // A renderer writes one style; JSON-LD's has its own rendered records.
        let linked = written_actor(&again, &Rendered::default(), id, true);
        assert_eq!(linked["sameAs"], "http://www.wikidata.org/entity/Q159", "JSON-LD's own keys: {linked}");
    }

    #[test]
    fn a_batch_naming_more_records_than_are_kept_is_written_whole() {
        let actors = (0..2 * KEPT_PER_GENERATION + 10)
            .map(|n| {
                let id = uuid::Uuid::now_v7();
                (id, actor_named(id, &format!("Actor {n}")))
            })
            .collect();
        let batch = ExportBatch { actors, ..ExportBatch::default() };
        let mut rendered = Rendered::default();
        rendered.prepare(&batch, false);
        assert!(rendered.actors.len() <= 2 * KEPT_PER_GENERATION);
        for (id, actor) in &batch.actors {
            assert_eq!(written_actor(&batch, &rendered, *id, false)["name"], actor.name.as_str());
        }
    }

    #[test]
    fn days_and_moments_are_written_as_chrono_writes_them() {
        use chrono::{NaiveDate, TimeZone};
        for (y, m, d) in [(2024, 5, 1), (1, 1, 1), (999, 12, 31), (9999, 12, 31), (10000, 1, 1), (-44, 3, 15)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(Day(date).text(&mut [0; 10]), date.to_string());
        }
        let moments = [
            Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap() + chrono::Duration::nanoseconds(123_456_789),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            NaiveDate::from_ymd_opt(2016, 12, 31).unwrap().and_hms_micro_opt(23, 59, 59, 1_500_000).unwrap().and_utc(),
        ];
        for at in moments {
            assert_eq!(
                Timestamp(at).text(&mut [0; Timestamp::LENGTH]),
                at.to_rfc3339_opts(SecondsFormat::Micros, true)
            );
        }
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
