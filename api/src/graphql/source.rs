//! Sources in the API: lists and lookups, and recording a source, which goes through
//! `domain::source::store`. The public sees a source once a public fact cites it. The `Source`
//! object is in `graph`.
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::scalars::CalendarDate;
use entity::enums::{DatePrecision, SourceKind};

use crate::domain::ids::{ActorId, CitationId, SourceId};
use crate::domain::source::query::{cursor_of, list_sources, source_by_url, SourceFilter};
use crate::domain::source::store::SourcePatch;
use crate::domain::source::{store as source_store, SourceInput as DomainSourceInput};
use crate::domain::Violations;
use crate::graphql::connection::{page_request, Connection, Total};
use crate::graphql::context::{idempotency_key_for, ContextExt};
use crate::graphql::error::Result;
use crate::graphql::graph::{public_only, visible_source, Source, SourceConnection};
use crate::graphql::ids;

/// Filters over sources.
#[derive(InputObject, Default)]
pub struct SourceFilterInput {
    /// Only sources published by these outlets.
    pub outlets: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct SourceQuery;

#[Object]
impl SourceQuery {
    /// Sources, newest first (for the public, only those a public fact cites).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn sources(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to include.")] filter: Option<SourceFilterInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<SourceConnection> {
        let page = page_request(first, after, last, before)?;
        let mut violations = Violations::new();
        let outlets = ids::decode_list::<ActorId>(
            &filter.unwrap_or_default().outlets.unwrap_or_default(),
            "filter.outlets",
            &mut violations,
        );
        violations.into_result()?;
        let filter = SourceFilter { outlets, public_only: public_only(ctx) };
        let page = list_sources(ctx.db(), &filter, &page).await?;
        Ok(Connection::new(page, cursor_of, Source, Total::Sources(filter)))
    }

    /// One source by its global id; null when there is none or the caller may not see it yet.
    async fn source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of a Source.")] id: ID,
    ) -> Result<Option<Source>> {
        let id = ids::decode::<SourceId>(&id, "id")?;
        visible_source(ctx, id.0).await
    }

    /// The source stored under this URL, normalized as storage normalizes it; null when there is
    /// none or the caller may not see it yet.
    async fn source_by_url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An http(s) URL, in any form that normalizes to the stored one.")] url: String,
    ) -> Result<Option<Source>> {
        Ok(source_by_url(ctx.db(), &url, "url", public_only(ctx)).await?.map(Source))
    }
}

/// A source document as an editor records it.
#[derive(InputObject, Debug)]
pub struct SourceInput {
    /// The document's http(s) URL; sources are unique by its canonical form.
    pub url: String,
    /// Title of the document.
    pub title: String,
    /// What sort of document it is.
    pub kind: SourceKind,
    /// Global id of the outlet (an Actor) that published it.
    pub outlet: Option<ID>,
    /// When it was published (first day of the period for MONTH/YEAR precision).
    pub published_on: Option<CalendarDate>,
    /// How exactly the publication date is known.
    pub published_precision: Option<DatePrecision>,
    /// When it was retrieved; now when omitted.
    pub retrieved_at: Option<DateTime<Utc>>,
    /// Language tag such as `en`.
    pub language: Option<String>,
    /// Address of an archived copy.
    pub archive_url: Option<String>,
    /// The document's text; quotes citing this source are verified against it.
    pub snapshot: Option<String>,
}

impl SourceInput {
    /// The domain's input, its outlet id decoded (a bad one is reported beside it).
    fn into_domain(self) -> (DomainSourceInput, Violations) {
        let mut v = Violations::new();
        let outlet = self.outlet.map(|raw| ids::decode_in(&raw, "outlet".into(), &mut v));
        let input = DomainSourceInput {
            url: self.url,
            title: self.title,
            kind: self.kind,
            outlet,
            published_on: self.published_on.map(|date| date.0),
            published_precision: self.published_precision,
            retrieved_at: self.retrieved_at,
            language: self.language,
            archive_url: self.archive_url,
            snapshot: self.snapshot,
        };
        (input, v)
    }
}

#[derive(Default)]
pub struct SourceMutation;

#[Object]
impl SourceMutation {
    /// Records a source, or returns the one already stored under the same canonical URL.
    async fn create_source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source, and a key that makes retries safe.")] input: CreateSourceInput,
    ) -> Result<CreateSourcePayload> {
        let principal = ctx.require_principal()?;
        let (source, reported) = input.source.into_domain();
        let key = idempotency_key_for(principal, "createSource", input.idempotency_key, &source)?;
        let (id, by) = (SourceId::generate(), principal.user_id);
        let created = source_store::create_source(ctx.db(), id, source, reported, by, key).await?;
        Ok(CreateSourcePayload { source: Source(created) })
    }

    /// Revises a source (any signed-in editor, reviewer or admin); each field given replaces
    /// the stored one. A snapshot added or replaced (a replacement needs `snapshotReason`)
    /// re-verifies every citation of the source: a quote no longer found is flagged unverified.
    async fn update_source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The source, its version and what changes.")] input: UpdateSourceInput,
    ) -> Result<UpdateSourcePayload> {
        let principal = ctx.require_principal()?;
        let id = ids::decode::<SourceId>(&input.id, "id")?;
        let mut reported = Violations::new();
        let outlet = input.outlet.map(|raw| ids::decode_in(&raw, "outlet".into(), &mut reported));
        let published = match (input.published_on, input.published_precision) {
            (Some(date), Some(precision)) => Some((date.0, precision)),
            (None, None) => None,
            _ => {
                reported.add("publishedPrecision", "a published date and its precision go together");
                None
            }
        };
        let patch = SourcePatch {
            title: input.title,
            outlet,
            published,
            language: input.language,
            archive_url: input.archive_url,
            snapshot: input.snapshot,
            snapshot_reason: input.snapshot_reason,
        };
        let (source, outcome) =
            source_store::update_source(ctx.db(), principal, id, input.expected_version, patch, reported).await?;
        Ok(UpdateSourcePayload {
            source: Source(source),
            citations_checked: outcome.checked as i32,
            citations_no_longer_matching: outcome.unmatched.into_iter().map(|c| ids::global(CitationId(c))).collect(),
        })
    }
}

/// A new source, and a key that makes retries safe.
#[derive(InputObject)]
pub struct CreateSourceInput {
    /// The source.
    #[graphql(flatten)]
    pub source: SourceInput,
    /// Makes retries safe: the same key and input return the first result.
    pub idempotency_key: Option<String>,
}

/// What `createSource` did.
#[derive(SimpleObject)]
pub struct CreateSourcePayload {
    /// The source recorded, or the one already stored under the same canonical URL.
    pub source: Source,
}

/// A revision of a source; each field given replaces the stored one, absent ones stay.
#[derive(InputObject)]
pub struct UpdateSourceInput {
    /// Global id of the Source.
    pub id: ID,
    /// The version the change is based on.
    pub expected_version: i32,
    /// New title.
    pub title: Option<String>,
    /// Global id of the outlet (an Actor) that published it.
    pub outlet: Option<ID>,
    /// When it was published (with `publishedPrecision`).
    pub published_on: Option<CalendarDate>,
    /// How exactly the publication date is known (with `publishedOn`).
    pub published_precision: Option<DatePrecision>,
    /// Language tag such as `en`.
    pub language: Option<String>,
    /// Address of an archived copy.
    pub archive_url: Option<String>,
    /// The document's text: added where there was none, or replacing the stored one.
    pub snapshot: Option<String>,
    /// Why the stored snapshot is replaced (required then).
    pub snapshot_reason: Option<String>,
}

/// What `updateSource` did.
#[derive(SimpleObject)]
pub struct UpdateSourcePayload {
    /// The source as the change left it.
    pub source: Source,
    /// How many citations of the source were checked against a new snapshot.
    pub citations_checked: i32,
    /// The citations whose quote the new snapshot no longer contains (now unverified).
    pub citations_no_longer_matching: Vec<ID>,
}
