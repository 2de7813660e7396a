//! Source documents and the facts citing them.
use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::enums::SourceKind;
use entity::source;
use sea_orm::DatabaseConnection;

use super::actors::Actor;
use super::connection::{page_request, PageInfo};
use super::error::loader_error;
use super::error::Result;
use super::facts::{
    fact_connection, load_actor, loaders, principal, FactConnection, FactFilterInput, FactOrderInput, FuzzyDate,
};
use super::ids;
use crate::domain::ids::{ActorId, SourceId};
use crate::domain::pagination::Page;
use crate::domain::source::query::{cursor_of, list_sources, source_by_url, SourceFilter};
use crate::domain::Violations;

#[derive(Clone)]
pub struct Source(pub source::Model);

/// Whether the caller sees only the sources public facts cite: anyone not signed in. Every
/// account (editor, reviewer, admin) sees all of them, as editors must find sources to cite.
fn public_only(ctx: &Context<'_>) -> bool {
    principal(ctx).is_none()
}

/// Loads a source when the caller may see it.
pub async fn visible_source(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Source>> {
    let loaders = loaders(ctx);
    let found =
        if public_only(ctx) { loaders.public_sources.load_one(id).await } else { loaders.sources.load_one(id).await };
    Ok(found.map_err(loader_error)?.map(Source))
}

/// One document (article, statement, transcript, interview, report), shared by every fact citing
/// it. The public sees a source once a published (or retracted or superseded) fact cites it.
#[Object]
impl Source {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode_uuid(ids::SOURCE, self.0.id)
    }
    /// Canonical URL: lower-case host, no fragment, no `utm_*` parameters.
    async fn url(&self) -> &str {
        &self.0.canonical_url
    }
    /// Title of the document.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What sort of document it is.
    async fn kind(&self) -> SourceKind {
        self.0.kind
    }
    /// The outlet that published it.
    async fn outlet(&self, ctx: &Context<'_>) -> Result<Option<Actor>> {
        match self.0.outlet_id {
            Some(id) => load_actor(ctx, id).await.map(Some),
            None => Ok(None),
        }
    }
    /// When it was published, to the precision the document itself establishes.
    async fn published(&self) -> Option<FuzzyDate> {
        match (self.0.published_on, self.0.published_precision) {
            (Some(date), Some(precision)) => Some(FuzzyDate::new(date, precision)),
            _ => None,
        }
    }
    /// When an editor retrieved it.
    async fn retrieved_at(&self) -> DateTime<Utc> {
        self.0.retrieved_at
    }
    /// Language (BCP 47 tag such as `en`).
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
    /// Address of an archived copy.
    async fn archive_url(&self) -> Option<&str> {
        self.0.archive_url.as_deref()
    }
    /// Whether a text snapshot is stored (quotes are verified against it).
    async fn has_snapshot(&self) -> bool {
        self.0.snapshot.is_some()
    }
    /// The stored text snapshot of the document. It may be long (up to 500,000 characters), so
    /// it weighs `LARGE_TEXT_COST` in a query's complexity and counts in full against the
    /// answer's size limit.
    #[graphql(complexity = "crate::graphql::cost::LARGE_TEXT_COST")]
    async fn snapshot(&self) -> Option<&str> {
        self.0.snapshot.as_deref()
    }
    /// SHA-256 (hex) of the snapshot, to check a copy against.
    async fn snapshot_sha256(&self) -> Option<&str> {
        self.0.snapshot_sha256.as_deref()
    }
    /// Facts citing this source, as a connection (same arguments as `Query.facts`).
    #[graphql(
        complexity = "crate::graphql::connection::fact_page_cost(filter.as_ref(), first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn facts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Further restrictions.")] filter: Option<FactFilterInput>,
        #[graphql(desc = "How to sort.")] order_by: Option<FactOrderInput>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> Result<FactConnection> {
        let id = self.0.id;
        fact_connection(ctx, filter, order_by, first, after, last, before, |f| f.sources = vec![SourceId(id)]).await
    }
}

/// Filters over sources.
#[derive(InputObject, Default)]
pub struct SourceFilterInput {
    /// Only sources published by these outlets.
    pub outlets: Option<Vec<ID>>,
}

/// An edge of a source connection.
pub struct SourceEdge(source::Model);

/// A source in a connection.
#[Object]
impl SourceEdge {
    /// Opaque cursor.
    async fn cursor(&self) -> String {
        cursor_of(&self.0).encode()
    }
    /// The source.
    async fn node(&self) -> Source {
        Source(self.0.clone())
    }
}

pub struct SourceConnection(Page<source::Model>);

/// A page of sources, newest first (Relay connection).
#[Object]
impl SourceConnection {
    /// The sources of this page with their cursors.
    async fn edges(&self) -> Vec<SourceEdge> {
        self.0.items.iter().cloned().map(SourceEdge).collect()
    }
    /// The sources of this page.
    async fn nodes(&self) -> Vec<Source> {
        self.0.items.iter().cloned().map(Source).collect()
    }
    /// Where this page sits in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo::of(&self.0, cursor_of)
    }
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
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let page = page_request(first, after, last, before)?;
        let mut violations = Violations::new();
        let outlets = ids::decode_list::<ActorId>(
            &filter.unwrap_or_default().outlets.unwrap_or_default(),
            "filter.outlets",
            &mut violations,
        );
        violations.into_result()?;
        let filter = SourceFilter { outlets, public_only: public_only(ctx) };
        Ok(SourceConnection(list_sources(db, &filter, &page).await?))
    }

    /// One source by its global id; null when there is none or the caller may not see it yet.
    async fn source(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of a Source.")] id: ID,
    ) -> Result<Option<Source>> {
        let id = ids::decode_uuid(&id, ids::SOURCE, "id")?;
        visible_source(ctx, id).await
    }

    /// The source stored under this URL, normalized as storage normalizes it; null when there is
    /// none or the caller may not see it yet.
    async fn source_by_url(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An http(s) URL, in any form that normalizes to the stored one.")] url: String,
    ) -> Result<Option<Source>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(source_by_url(db, &url, "url", public_only(ctx)).await?.map(Source))
    }
}
